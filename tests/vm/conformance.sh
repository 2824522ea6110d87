#!/bin/bash
# libiscsi's conformance suite (iscsi-test-cu, SCSI family) against a 64 MiB
# user:rd LUN served by tcmud over iSCSI on 127.0.0.1, or with --kernel-rd
# against the kernel's own ramdisk in the same guest, for comparison.
# Prints every test's outcome and a summary; the full report goes to
# $TCMUD_VM_RESULTS/conformance-<backstore>.txt and the figures to
# docs/conformance.md. For tcmud the run fails if any test fails outside the
# persistent-reservation and RESERVE families, which the kernel answers
# itself before a TCMU handler sees anything.
. "$(dirname "$0")/lib.sh"

KIND=tcmud
[ "${1:-}" = --kernel-rd ] && KIND=kernel-rd

step "load LIO"
lio_load
# Persistent reservations (handled by the kernel) record their state under
# db_root/pr, keyed by the unit serial, which targetcli always sets.
mkdir -p /etc/target/pr
SERIAL=5e7f1c2a-0d3b-4c8e-9a61-tcmud-conf0
if [ "$KIND" = tcmud ]; then
	tcmud_start
	user_dev_create conf0 $((64 << 20)) "" "$SERIAL"
	D=$(cfs_dev_path user_0 conf0)
else
	rd_dev_create conf0 $((64 << 20)) "$SERIAL"
	D=$(cfs_dev_path rd_mcp_0 conf0)
fi
iscsi_export "$D"
ip link set lo up 2>/dev/null || true

step "iscsi-test-cu --test=SCSI --dataloss on $KIND"
OUT=$TCMUD_VM_RESULTS/conformance-$KIND.txt
t=$(date +%s)
rc=0
iscsi-test-cu --test=SCSI --dataloss "$(iscsi_url "$D")" >"$OUT" 2>&1 || rc=$?
note "iscsi-test-cu exited with $rc after $(($(date +%s) - t)) s"
grep -q 'Run Summary' "$OUT" || fail "iscsi-test-cu did not complete"
SUMMARY=$("$PY" "$(dirname "$0")/cu_summary.py" "$OUT")
printf '%s\n' "$SUMMARY" | sed 's/^/    | /'
if [ "$KIND" = tcmud ]; then
	ours=$(printf '%s\n' "$SUMMARY" | grep '^failed ' | grep -Ev ' (Prin|Prout|Reserve6)[A-Za-z]*\.' || true)
	[ -z "$ours" ] || fail "tests that reach the handler failed:
$ours"
fi

if [ "$KIND" = tcmud ]; then
	tcmud_alive || fail "tcmud died during the conformance run"
	iscsi_unexport "$D"
	dev_remove user_0 conf0
	tcmud_stop
	assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
fi
step "done"
