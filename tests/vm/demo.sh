#!/bin/bash
# `make demo`: tcmud run the way an operator runs it, in the real-kernel VM.
#
#   1. the system bus, tcmud on it; targetcli lists the user:rd handler
#   2. two LUNs made with targetcli: demo0 (256 MiB) and demo1 (128 MiB, T10
#      PI type 1); a bogus cfgstring refused with the handler's reason
#   3. each exported over iSCSI with targetcli, the Linux initiator
#      (open-iscsi) logs in, the disks appear
#   4. fio on both disks for a few seconds, with its progress line
#   5. one stored block of demo1 corrupted in tcmud's storage: the initiator
#      reading it gets ABORTED COMMAND, LOGICAL BLOCK GUARD CHECK FAILED
#   6. tcmudctl status: devices, counters, latency, errors by sense
#   7. logout, targetcli clearconfig, tcmud lets go and stops
#
# Every step says what it does; any step that does not do it fails the demo.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/lib_targetcli.sh
. "$(dirname "$0")/lib_targetcli.sh"
# shellcheck source=tests/vm/lib_initiator.sh
. "$(dirname "$0")/lib_initiator.sh"

CTL=$TCMUD_BUILD/src/tcmudctl/tcmudctl
BAD_LBA=4096
FIO_SECONDS=${DEMO_FIO_SECONDS:-8}
TCMUD_ARGS="--log-level info"

# show CMD...: print a command as typed, then run it with its output indented.
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
	return "${PIPESTATUS[0]}"
}

# tc ARGS...: a targetcli command, shown as typed.
tc() {
	printf '    $ targetcli %s\n' "$*"
	tcli "$@"
}

_demo_exit() {
	local rc=$?
	set +e
	iscsid_stop
	(exit "$rc")
	_on_exit
}
trap _demo_exit EXIT

step "1. Load LIO, start the system D-Bus and tcmud"
lio_load
system_bus_start
tcmud_start
wait_log "D-Bus: org.kernel.TCMUService1 acquired" 30
note "$(grep -m1 'D-Bus: org.kernel.TCMUService1 acquired' "$TCMUD_LOG" | sed 's/^[a-z]*: //')"
tc ls /backstores 1

step "2. Create two LUNs with targetcli: demo0, and demo1 with T10 protection information"
tc /backstores/user:rd create name=demo0 size=256M cfgstring=
tc /backstores/user:rd create name=demo1 size=128M cfgstring=pi=1
printf '    $ targetcli /backstores/user:rd create name=demo2 size=64M cfgstring=pi=9\n'
if out=$(timeout 120 targetcli /backstores/user:rd create name=demo2 size=64M cfgstring=pi=9 2>&1); then
	fail "targetcli accepted cfgstring=pi=9: $out"
fi
printf '%s\n' "$out" | sed 's/^/      /'
assert_match "pi= takes 0, 1, 2 or 3" "$out" "targetcli's refusal of pi=9"
note "refused, with the rd handler's reason"

step "3. Export both over iSCSI with targetcli and log in with the Linux initiator"
for n in demo0 demo1; do
	iqn=$(_iqn "$n")
	tc /iscsi create "$iqn"
	tc "/iscsi/$iqn/tpg1/luns" create "/backstores/user:rd/$n"
	tc "/iscsi/$iqn/tpg1" set attribute authentication=0 generate_node_acls=1 \
		demo_mode_write_protect=0
done
iscsid_start
show timeout 60 iscsiadm -m discovery -t sendtargets -p "$ISCSI_PORTAL" ||
	fail "iSCSI discovery failed"
login demo0
SD0=$SD
login demo1
SD1=$SD
printf '    $ sg_readcap -l %s\n' "$SD1"
out=$(sg_readcap -l "$SD1" 2>&1) || fail "sg_readcap -l $SD1: $out"
printf '%s\n' "$out" | grep -E 'Protection|prot_en|Logical block length' | sed 's/^/      /'
assert_match "prot_en=1" "$out" "READ CAPACITY(16) of demo1"

step "4. fio on both disks for $FIO_SECONDS s: 4 KiB random reads and writes, iodepth 16"
printf '    $ fio --rw=randrw --bs=4k --iodepth=16 --direct=1 ... %s %s\n' "$SD0" "$SD1"
fio --eta=always --eta-newline=2 --output="$TCMUD_VM_SCRATCH/fio.out" \
	--ioengine=libaio --direct=1 --rw=randrw --bs=4k --iodepth=16 --time_based \
	--runtime="$FIO_SECONDS" --ramp_time=1 --size=64M --group_reporting \
	--name=demo0 --filename="$SD0" --name=demo1 --filename="$SD1" 2>&1 |
	tr '\r' '\n' | grep '^Jobs:' | sed 's/^/      /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "fio failed: $(cat "$TCMUD_VM_SCRATCH/fio.out")"
grep -E '^ *(read|write):|err=' "$TCMUD_VM_SCRATCH/fio.out" | sed 's/^/      /'
grep -q 'err= 0' "$TCMUD_VM_SCRATCH/fio.out" || fail "fio reported errors"

step "5. Corrupt one stored block of demo1 in tcmud's storage; the initiator reads it"
make_pattern "$TCMUD_VM_SCRATCH/block" 512 demo
show dd if="$TCMUD_VM_SCRATCH/block" of="$SD1" bs=512 seek="$BAD_LBA" count=1 oflag=direct ||
	fail "writing LBA $BAD_LBA of demo1"
file=$(compgen -G "/dev/shm/tcmud-rd.*.demo1.*" | head -n 1)
[ -n "$file" ] || fail "no storage file of demo1 in /dev/shm"
data_off=$("$PY" -c 'import struct, sys; print(struct.unpack_from("<Q", open(sys.argv[1], "rb").read(64), 32)[0])' "$file")
note "demo1's blocks are in $file (data from offset $data_off); flipping one byte of LBA $BAD_LBA"
printf '\x5a' | dd of="$file" bs=1 seek=$((data_off + BAD_LBA * 512 + 100)) count=1 conv=notrunc status=none
mark=$(dmesg | wc -l)
printf '    $ dd if=%s of=/dev/null bs=512 skip=%s count=1 iflag=direct\n' "$SD1" "$BAD_LBA"
if out=$(dd if="$SD1" of=/dev/null bs=512 skip="$BAD_LBA" count=1 iflag=direct 2>&1); then
	fail "the corrupted block was read without an error"
fi
printf '%s\n' "$out" | sed 's/^/      /'
note "the kernel's sd driver logged:"
dmesg | tail -n "+$((mark + 1))" | grep -E "$(basename "$SD1")" | grep -E 'Sense Key|Add. Sense|error' |
	head -n 4 | sed 's/^/      /'
dmesg | tail -n "+$((mark + 1))" | grep -q 'Logical block guard check failed' ||
	fail "the initiator did not get LOGICAL BLOCK GUARD CHECK FAILED"

step "6. tcmudctl status: what tcmud serves, and how it went"
show "$CTL" status || fail "tcmudctl status failed"
"$CTL" status --json --interval 0 >"$TCMUD_VM_SCRATCH/status.json" || fail "tcmudctl status --json"
"$PY" - "$TCMUD_VM_SCRATCH/status.json" <<'EOF' || fail "the status does not show the guard check failures"
import json, sys
st = json.load(open(sys.argv[1]))
d = {x["name"]: x for x in st["devices"]}
assert d["demo1"]["sense"].get("0b/10/01", 0) >= 1, d["demo1"]["sense"]
print(f"      demo1: errors by sense {d['demo1']['sense']} (0b/10/01: ABORTED COMMAND, guard check failed)")
EOF

step "7. Tear down: log out, targetcli clearconfig, stop tcmud"
logout demo1
logout demo0
tc clearconfig confirm=True
wait_for 30 sh -c "! compgen -G '$CFS/target/core/user_*/demo*' >/dev/null" ||
	fail "the devices are still in configfs"
wait_log "demo1: rd: removed" 30
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud's exit status"
note "tcmud stopped cleanly; its log is in $TCMUD_LOG"
step "Demo finished"
