#!/bin/bash
# A user:rd device served by tcmud and exported over iSCSI on 127.0.0.1,
# checked with libiscsi's tools (iscsi-inq, iscsi-readcapacity16, a subset of
# iscsi-test-cu for INQUIRY, READ CAPACITY, READ and WRITE) and with QEMU's
# libiscsi block driver: a 16 MiB pattern written with qemu-img
# convert, read back with qemu-img convert and compared byte for byte, then
# distinct fill patterns at several offsets verified with qemu-io read -P.
#
#   iscsi.sh [--kernel-rd]   --kernel-rd runs the same checks against the
#                            kernel's own ramdisk (rd_mcp), without tcmud
. "$(dirname "$0")/lib.sh"

SIZE=$((64 << 20))
BS=512
NAME=isc0
HBA=user_0
[ "${1:-}" = --kernel-rd ] && HBA=rd_mcp_0
DEV=$(cfs_dev_path "$HBA" "$NAME")
DATA=$((16 << 20))
SERIAL=tcmud-isc0-1234

step "load LIO"
lio_load
if [ "$HBA" = user_0 ]; then
	step "start tcmud and create a $((SIZE >> 20)) MiB user:rd device"
	tcmud_start
	user_dev_create "$NAME" "$SIZE" "" "$SERIAL"
	uio=$(user_dev_uio "$NAME") || fail "no uio device for $NAME"
	wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
else
	step "create a $((SIZE >> 20)) MiB kernel ramdisk (rd_mcp)"
	rd_dev_create "$NAME" "$SIZE" "$SERIAL"
fi

step "export it over iSCSI on $ISCSI_PORTAL"
iscsi_export "$DEV"
URL=$(iscsi_url "$DEV")

step "iscsi-inq: standard INQUIRY and the unit serial number page"
out=$(iscsi-inq "$URL") || fail "iscsi-inq failed: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
assert_match '^Peripheral Device Type:DIRECT_ACCESS' "$out" "device type"
assert_match '^Vendor:.+' "$out" "vendor"
assert_match '^Product:.+' "$out" "product"
# iscsi-inq takes the page code in decimal: 128 is 0x80.
out=$(iscsi-inq -e 1 -c 128 "$URL") || fail "iscsi-inq (page 0x80) failed: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
assert_match "^Unit Serial Number:\\[$SERIAL\\]\$" "$out" "unit serial number (wwn/vpd_unit_serial)"

step "iscsi-readcapacity16"
out=$(iscsi-readcapacity16 "$URL") || fail "iscsi-readcapacity16 failed: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
assert_match "^LOGICAL BLOCK LENGTH IN BYTES:$BS\$" "$out" "block length"
assert_match "^RETURNED LOGICAL BLOCK ADDRESS:$((SIZE / BS - 1))\$" "$out" "last LBA"
assert_match "^Total size:$SIZE\$" "$out" "total size"

step "libiscsi's conformance tests for the basic commands (iscsi-test-cu)"
# --dataloss lets the WRITE tests write; the data checks below come after.
tests=SCSI.TestUnitReady,SCSI.Inquiry,SCSI.ReadCapacity10,SCSI.ReadCapacity16
tests=$tests,SCSI.Read10,SCSI.Read16,SCSI.Write10,SCSI.Write16
rc=0
out=$(iscsi-test-cu --dataloss --test="$tests" "$URL" 2>&1) || rc=$?
{ grep -E '^(Suite|  Test|Run Summary| +(suites|tests|asserts) )|FAIL' <<<"$out" || true; } |
	sed 's/^/    | /'
[ "$rc" = 0 ] || fail "iscsi-test-cu exited with status $rc"
grep -q '^  Test: .*FAILED' <<<"$out" && fail "iscsi-test-cu reports failed tests"
assert_match '^  Test: Simple \.\.\.passed' "$out" "iscsi-test-cu ran its tests"

step "write $((DATA >> 20)) MiB of a pattern with qemu-img, read it back, compare"
pat=$TCMUD_VM_SCRATCH/iscsi.pat
back=$TCMUD_VM_SCRATCH/iscsi.back
make_pattern "$pat" "$DATA" iscsi-a
# -n: the target exists; -S 0: write every byte, never skip zeroes.
must qemu-img convert -n -S 0 -f raw -O raw "$pat" "$URL"
# Reading the whole LUN also shows the rest of it is readable.
must qemu-img convert -f raw -O raw "$URL" "$back"
assert_eq "$SIZE" "$(stat -c %s "$back")" "size of the image read back"
cmp -n "$DATA" "$pat" "$back" || fail "data read back over iSCSI differs"
note "$((DATA >> 20)) MiB read back identical"
rm -f "$back"

step "distinct patterns at several offsets, verified by qemu-io read -P"
cmds=()
for i in 1 2 3 4; do
	cmds+=(-c "write -P 0x$i$i $((i * 8 + 16))M 1M")
done
cmds+=(-c "write -P 0xee $((SIZE - 4096)) 4096")
for i in 1 2 3 4; do
	cmds+=(-c "read -P 0x$i$i $((i * 8 + 16))M 1M")
done
cmds+=(-c "read -P 0xee $((SIZE - 4096)) 4096")
out=$(qemu-io -f raw "${cmds[@]}" "$URL" 2>&1) || fail "qemu-io failed: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
# qemu-io reports a mismatch as "Pattern verification failed" (and exits 1).
grep -qi 'verification failed\|error\|fail' <<<"$out" && fail "qemu-io found a mismatch"
assert_eq 10 "$(printf '%s\n' "$out" | grep -c '^\(wrote\|read\) ')" "completed qemu-io requests"

step "unexport and remove"
iscsi_unexport "$DEV"
dev_remove "$HBA" "$NAME"
if [ "$HBA" = user_0 ]; then
	tcmud_alive || fail "tcmud is no longer running"
	tcmud_stop
	assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
fi
step "passed"
