#!/bin/bash
# `make demo`: serve a user:rd LUN with tcmud, export it over iSCSI and use
# it with libiscsi's tools and QEMU's iSCSI client, explaining each step.
. "$(dirname "$0")/lib.sh"

SIZE=$((128 << 20))
NAME=demo0
DEV=$(cfs_dev_path user_0 "$NAME")

# show CMD...: print a command, then run it with its output indented.
show() {
	local a line="    \$"
	for a in "$@"; do
		case "$a" in
		*" "*) line="$line \"$a\"" ;;
		*) line="$line $a" ;;
		esac
	done
	printf '%s\n' "$line"
	"$@" 2>&1 | sed 's/^/      /'
}

step "Load the kernel's LIO target: target_core_user (TCMU), tcm_loop, iscsi_target_mod"
lio_load
note "configfs is mounted at $CFS"

step "Start tcmud (log: $TCMUD_LOG)"
tcmud_start
note "$(grep -m1 'loaded handler' "$TCMUD_LOG" || true)"

step "Create a $((SIZE >> 20)) MiB user:rd backstore through configfs, as targetcli would"
show mkdir -p "$DEV"
printf '    $ echo -n dev_config=rd/,dev_size=%s > %s\n' "$SIZE" "$DEV/control"
printf '    $ echo -n 1 > %s\n' "$DEV/enable"
user_dev_create "$NAME" "$SIZE" "" "demo-serial-0001"
uio=$(user_dev_uio "$NAME") || fail "no uio device for $NAME"
note "the kernel made /dev/$uio, named '$(cat "/sys/class/uio/$uio/name")'"
wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
note "tcmud: $(grep -m1 "$NAME: serving" "$TCMUD_LOG" | sed 's/^[a-z]*: //')"

step "Export it as LUN 0 of an iSCSI target on $ISCSI_PORTAL"
iscsi_export "$DEV"
URL=$(iscsi_url "$DEV")

step "Ask the LUN who it is (standard INQUIRY and the unit serial number page)"
show iscsi-inq "$URL"
show iscsi-inq -e 1 -c 128 "$URL"

step "Ask the LUN how big it is (READ CAPACITY 16)"
show iscsi-readcapacity16 "$URL"

step "Write 4 MiB of 0xa5 at offset 8 MiB and 1 MiB of 0x3c at the end, then read both back and verify"
out=$(qemu-io -f raw -c "write -P 0xa5 8M 4M" -c "write -P 0x3c $((SIZE - (1 << 20))) 1M" \
	-c "read -P 0xa5 8M 4M" -c "read -P 0x3c $((SIZE - (1 << 20))) 1M" "$URL" 2>&1) ||
	fail "qemu-io failed: $out"
printf '    $ qemu-io -f raw -c "write -P 0xa5 8M 4M" ... %s\n' "$URL"
printf '%s\n' "$out" | sed 's/^/      /'
grep -qi 'verification failed' <<<"$out" && fail "the data read back differs"
note "both ranges read back exactly as written"

step "The first 32 bytes at 8 MiB, as an iSCSI client reads them"
show qemu-io -f raw -c "read -v 8M 32" "$URL"

step "Clean up: unexport, remove the backstore, stop tcmud"
iscsi_unexport "$DEV"
dev_remove user_0 "$NAME"
tcmud_stop
note "tcmud's log:"
sed 's/^/      /' "$TCMUD_LOG"
step "Demo finished"
