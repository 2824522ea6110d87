# shellcheck shell=bash
# Helpers for the scenarios that tests/vm/run runs as root inside the guest.
# Source it from a bash script:  . "$(dirname "$0")/lib.sh"
#
# It sets `set -eu -o pipefail` (so avoid `producer | grep -q` and grep -m:
# grep's early exit can kill the producer with SIGPIPE and fail the
# pipeline), installs an EXIT trap that on failure prints what went wrong
# together with the tail of the tcmud log and of the kernel log, and
# provides:
#   steps and checks   step, note, fail, must, must_fail, assert_eq,
#                      assert_match, wait_for, run_timeout, wait_pid
#   LIO                lio_load, cfs_dev_path, user_dev_create, rd_dev_create,
#                      user_dev_uio, dev_remove
#   tcm_loop           loop_attach, loop_detach (LOOP_SD is the /dev/sdX)
#   iSCSI              iscsi_export, iscsi_unexport, iscsi_url
#   tcmud              tcmud_start, tcmud_stop, tcmud_kill, tcmud_alive,
#                      tcmud_holds_uio, wait_log, log_lines
#   data               make_pattern, write_verify
set -eu -o pipefail

: "${TCMUD_SRC:?run this through tests/vm/run}"
: "${TCMUD_BUILD:?run this through tests/vm/run}"
TCMUD_VM_SCRATCH=${TCMUD_VM_SCRATCH:-/run/tcmud-vm}
TCMUD_VM_RESULTS=${TCMUD_VM_RESULTS:-$TCMUD_VM_SCRATCH}
mkdir -p "$TCMUD_VM_SCRATCH"

CFS=/sys/kernel/config
TARGET=$CFS/target
TCMUD_BIN=${TCMUD_BIN:-$TCMUD_BUILD/src/tcmud}
TCMUD_HANDLERS=${TCMUD_HANDLERS:-$TCMUD_BUILD/handlers/rd}
TCMUD_LOG=${TCMUD_LOG:-$TCMUD_VM_RESULTS/tcmud.log}
TCMUD_PID=""
# How long a configfs write that needs the daemon (enable, LUN link) may take.
CFS_TIMEOUT=${CFS_TIMEOUT:-60}
PY=/usr/bin/python3

# --- steps and checks --------------------------------------------------------

_T0=$(date +%s)
# Kernel messages before the scenario are boot noise, left out of dumps.
_DMESG0=$(dmesg | wc -l)
step() { printf '\n==> [%3ds] %s\n' "$(($(date +%s) - _T0))" "$*"; }
note() { printf '    %s\n' "$*"; }

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# must CMD...: run CMD, show its output, fail if it fails.
must() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    | /'
	[ "$rc" = 0 ] || fail "'$*' exited with status $rc"
}

# must_fail CMD...: run CMD, show its output, fail if it succeeds. The output
# is kept in MUST_FAIL_OUT for further checks.
MUST_FAIL_OUT=""
must_fail() {
	local rc=0
	MUST_FAIL_OUT=$("$@" 2>&1) || rc=$?
	[ -z "$MUST_FAIL_OUT" ] || printf '%s\n' "$MUST_FAIL_OUT" | sed 's/^/    | /'
	[ "$rc" != 0 ] || fail "'$*' succeeded but should have failed"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_match ERE TEXT WHAT
assert_match() {
	grep -Eq -- "$1" <<<"$2" || fail "$3: '$2' does not match /$1/"
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# run_timeout SECONDS WHAT CMD...: run CMD, failing with WHAT when it is
# still running after SECONDS. Some configfs writes block in the kernel until
# the daemon answers (enable waits for netlink, a LUN link sends INQUIRY);
# this turns such a hang into a readable failure.
run_timeout() {
	local secs=$1 what=$2
	shift 2
	"$@" &
	wait_pid "$secs" "$what" $!
}

# wait_pid SECONDS WHAT PID: wait for the background job PID, failing with
# WHAT when it is still running after SECONDS or exits non-zero.
wait_pid() {
	local deadline=$(($(date +%s) + $1)) what=$2 pid=$3 rc=0
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "$what: still blocked after $1 s"
		sleep 0.1
	done
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "$what: status $rc"
}

# write_file FILE TEXT: the echo -n > FILE that configfs wants, as a command.
write_file() { printf '%s' "$2" >"$1"; }

# _post_checks: problems that fail a scenario even when every step passed: a
# sanitizer report from tcmud, or kernel trouble (an oops, a warning, a
# TCMU ring the kernel considers broken, a hung task).
_post_checks() {
	local k
	if [ -s "$TCMUD_LOG" ] &&
		grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TCMUD_LOG"; then
		echo "FAIL: a sanitizer reported an error in tcmud (see its log below)"
		return 1
	fi
	k=$(dmesg | tail -n "+$((_DMESG0 + 1))" |
		grep -E 'BUG:|WARNING:|Oops|general protection|ring is broken|ring broken|blocked for more than') || true
	if [ -n "$k" ]; then
		echo "FAIL: kernel trouble:"
		printf '%s\n' "$k"
		return 1
	fi
}

_on_exit() {
	local rc=$?
	set +e
	[ "$rc" != 0 ] || _post_checks || rc=1
	if [ "$rc" != 0 ]; then
		echo
		echo "=== scenario failed (status $rc) ==="
		if [ -s "$TCMUD_LOG" ]; then
			echo "--- last 150 lines of $TCMUD_LOG ---"
			tail -n 150 "$TCMUD_LOG"
		fi
		echo "--- uio devices ---"
		grep -H . /sys/class/uio/uio*/name 2>/dev/null
		echo "--- kernel messages since the scenario started (last 60) ---"
		dmesg | tail -n "+$((_DMESG0 + 1))" | tail -n 60
	fi
	[ -z "$TCMUD_PID" ] || kill -TERM "$TCMUD_PID" 2>/dev/null
	exit "$rc"
}
trap _on_exit EXIT

# --- LIO ---------------------------------------------------------------------

# lio_load: load target_core_user, tcm_loop, iscsi_target_mod and sd_mod
# and mount configfs. The guest has no udev, so nothing loads sd_mod when a
# SCSI disk appears.
lio_load() {
	local m
	# target_core_mod complains at load when its db_root (/etc/target, for
	# persistent reservations) is missing; the guest's /etc is writable.
	mkdir -p /etc/target
	for m in target_core_user tcm_loop iscsi_target_mod sd_mod; do
		modprobe "$m" || fail "modprobe $m"
	done
	grep -q " $CFS configfs " /proc/mounts || mount -t configfs none "$CFS"
	[ -d "$TARGET/core" ] || fail "$TARGET/core is missing after mounting configfs"
}

# cfs_dev_path HBA NAME: the configfs directory of a backstore device.
cfs_dev_path() { echo "$TARGET/core/$1/$2"; }

# user_dev_create NAME SIZE [CFG] [SERIAL] [CONTROL]: create and enable a
# user:rd device (dev_config rd/CFG) of SIZE bytes in core/user_0, optionally
# with a unit serial number in wwn/vpd_unit_serial (as targetcli sets one)
# and more control options (e.g. hw_block_size=4096).
user_dev_create() {
	local name=$1 size=$2 cfg=${3:-} serial=${4:-} extra=${5:+,$5} d
	d=$(cfs_dev_path user_0 "$name")
	mkdir -p "$d"
	write_file "$d/control" "dev_config=rd/$cfg,dev_size=$size$extra"
	[ -z "$serial" ] || write_file "$d/wwn/vpd_unit_serial" "$serial"
	# With a daemon that asked for netlink replies, enable blocks until the
	# daemon has answered ADDED_DEVICE.
	run_timeout "$CFS_TIMEOUT" "enabling $d" write_file "$d/enable" 1
	[ "$(cat "$d/enable")" = 1 ] || fail "$d is not enabled"
}

# rd_dev_create NAME SIZE [SERIAL]: the kernel's own ramdisk (rd_mcp), to
# check the scenarios against a backstore that needs no daemon.
rd_dev_create() {
	local d
	d=$(cfs_dev_path rd_mcp_0 "$1")
	mkdir -p "$d"
	write_file "$d/control" "rd_pages=$(($2 / 4096))"
	write_file "$d/enable" 1
	[ -z "${3:-}" ] || write_file "$d/wwn/vpd_unit_serial" "$3"
}

# user_dev_uio NAME: prints the uioN of the user device NAME (matched on the
# uio name tcm-user/<hba id>/NAME/<dev_config>), fails when there is none.
user_dev_uio() {
	local n
	for n in /sys/class/uio/uio*; do
		[ -e "$n/name" ] || continue
		case "$(cat "$n/name")" in
		tcm-user/*/"$1"/*)
			basename "$n"
			return 0
			;;
		esac
	done
	return 1
}

# dev_remove HBA NAME: remove a backstore device (its LUNs must be gone).
dev_remove() {
	local d
	d=$(cfs_dev_path "$1" "$2")
	run_timeout "$CFS_TIMEOUT" "removing $d" rmdir "$d"
	rmdir "$TARGET/core/$1" 2>/dev/null || true
}

# _wwn NAME: a stable NAA WWN for a name (LIO's OUI 001405).
_wwn() { printf 'naa.5001405%09x' "$(printf '%s' "$1" | cksum | cut -d' ' -f1)"; }

# --- tcm_loop ------------------------------------------------------------------

LOOP_SD=""

# loop_attach DEVPATH: export the device at configfs DEVPATH as LUN 0 of a
# tcm_loop target and set LOOP_SD to its /dev/sdX.
loop_attach() {
	local dev=$1 name wwn tpg
	name=$(basename "$dev")
	wwn=$(_wwn "loop-$name")
	tpg=$TARGET/loopback/$wwn/tpgt_1
	mkdir -p "$tpg/lun/lun_0"
	write_file "$tpg/nexus" "$(_wwn "init-$name")"
	# Linking the LUN makes the SCSI midlayer scan it at once (INQUIRY etc.).
	run_timeout "$CFS_TIMEOUT" "linking $name to tcm_loop" ln -s "$dev" "$tpg/lun/lun_0/$name"
	loop_tpg_disk "$tpg"
	note "$name is $LOOP_SD (SCSI $LOOP_ADDR, $wwn)"
}

# loop_tpg_disk TPG: wait for the block device of LUN 0 of tcm_loop's TPG
# (a configfs directory); LOOP_SD gets its /dev/sdX, LOOP_ADDR its SCSI
# address.
loop_tpg_disk() {
	local blk
	# address is "<host>:0:<tpgt>", the SCSI address of the LUN is that plus :0.
	LOOP_ADDR=$(cat "$1/address"):0
	wait_for 30 _loop_block "$LOOP_ADDR" || fail "no block device for SCSI $LOOP_ADDR"
	blk=$(_loop_block "$LOOP_ADDR")
	LOOP_SD=/dev/$blk
	wait_for 10 test -b "$LOOP_SD" || fail "$LOOP_SD did not appear"
}

_loop_block() {
	local b
	for b in /sys/bus/scsi/devices/"$1"/block/*; do
		[ -e "$b" ] || return 1
		basename "$b"
		return 0
	done
	return 1
}

# loop_detach DEVPATH: undo loop_attach.
loop_detach() {
	local name wwn tpg
	name=$(basename "$1")
	wwn=$(_wwn "loop-$name")
	tpg=$TARGET/loopback/$wwn/tpgt_1
	[ -d "$tpg" ] || return 0
	run_timeout "$CFS_TIMEOUT" "unlinking $name from tcm_loop" rm -f "$tpg/lun/lun_0/$name"
	rmdir "$tpg/lun/lun_0" "$tpg" "$TARGET/loopback/$wwn"
}

# --- iSCSI -------------------------------------------------------------------

ISCSI_PORTAL=127.0.0.1:3260

# _iqn NAME: the target IQN used for a device name.
_iqn() { echo "iqn.2003-01.org.tcmud.test:$1"; }

# iscsi_url DEVPATH: the libiscsi URL of LUN 0 exported by iscsi_export.
iscsi_url() { echo "iscsi://${ISCSI_PORTAL%:3260}/$(_iqn "$(basename "$1")")/0"; }

# iscsi_export DEVPATH: export the device as LUN 0 of a target on 127.0.0.1
# without authentication, open to every initiator.
iscsi_export() {
	local name tpg
	name=$(basename "$1")
	tpg=$TARGET/iscsi/$(_iqn "$name")/tpgt_1
	mkdir -p "$tpg/lun/lun_0"
	ln -s "$1" "$tpg/lun/lun_0/$name"
	mkdir "$tpg/np/$ISCSI_PORTAL"
	echo 0 >"$tpg/attrib/authentication"
	echo 1 >"$tpg/attrib/generate_node_acls"
	echo 0 >"$tpg/attrib/demo_mode_write_protect"
	echo 1 >"$tpg/enable"
	note "$name is $(iscsi_url "$1")"
}

# iscsi_unexport DEVPATH: undo iscsi_export.
iscsi_unexport() {
	local name t
	name=$(basename "$1")
	t=$TARGET/iscsi/$(_iqn "$name")
	[ -d "$t" ] || return 0
	echo 0 >"$t/tpgt_1/enable"
	rmdir "$t/tpgt_1/np/$ISCSI_PORTAL"
	run_timeout "$CFS_TIMEOUT" "unlinking $name from iSCSI" rm -f "$t/tpgt_1/lun/lun_0/$name"
	rmdir "$t/tpgt_1/lun/lun_0" "$t/tpgt_1" "$t"
}

# --- tcmud ---------------------------------------------------------------------

# tcmud_start: start the daemon in the background (more options in
# TCMUD_ARGS), its output appended to TCMUD_LOG, and wait until it listens
# for netlink events.
TCMUD_ARGS=${TCMUD_ARGS:-}
tcmud_start() {
	[ -x "$TCMUD_BIN" ] || fail "$TCMUD_BIN is missing (build the project first)"
	echo "=== tcmud started $(date +%T) ===" >>"$TCMUD_LOG"
	# shellcheck disable=SC2086 # TCMUD_ARGS is a list of options
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1} \
		"$TCMUD_BIN" --handler-dir "$TCMUD_HANDLERS" --log-level debug $TCMUD_ARGS \
		>>"$TCMUD_LOG" 2>&1 </dev/null &
	TCMUD_PID=$!
	wait_for 30 _tcmud_has_genl "$TCMUD_PID" || {
		tcmud_alive || fail "tcmud exited at start"
		fail "tcmud opened no generic netlink socket within 30 s"
	}
	note "tcmud running as pid $TCMUD_PID"
}

# _tcmud_has_genl PID: the process has a NETLINK_GENERIC (16) socket open.
_tcmud_has_genl() {
	local inodes
	inodes=$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
		sed 's/socket:\[\([0-9]*\)\]/\1/')
	[ -n "$inodes" ] || return 1
	# /proc/net/netlink: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
	awk -v want=" $(echo "$inodes" | tr '\n' ' ') " \
		'$2 == 16 && index(want, " " $10 " ") { found = 1 } END { exit !found }' \
		/proc/net/netlink
}

tcmud_alive() {
	[ -n "$TCMUD_PID" ] && kill -0 "$TCMUD_PID" 2>/dev/null &&
		! grep -q '^State:.*Z' "/proc/$TCMUD_PID/status" 2>/dev/null
}

# tcmud_stop [SIGNAL]: stop the daemon (default SIGTERM), wait up to 30 s
# and set TCMUD_STATUS to its exit status.
TCMUD_STATUS=""
tcmud_stop() {
	local sig=${1:-TERM} _
	[ -n "$TCMUD_PID" ] || fail "tcmud is not running"
	kill "-$sig" "$TCMUD_PID"
	for _ in $(seq 300); do
		tcmud_alive || break
		sleep 0.1
	done
	tcmud_alive && fail "tcmud did not exit within 30 s of SIG$sig"
	TCMUD_STATUS=0
	# (stderr: no "Killed" job notice from bash)
	wait "$TCMUD_PID" 2>/dev/null || TCMUD_STATUS=$?
	TCMUD_PID=""
	echo "=== tcmud stopped by SIG$sig, status $TCMUD_STATUS ===" >>"$TCMUD_LOG"
}

tcmud_kill() { tcmud_stop KILL; }

# tcmud_holds_uio UIO: the daemon has /dev/UIO open.
tcmud_holds_uio() {
	[ -n "$(find "/proc/$TCMUD_PID/fd" -lname "/dev/$1" 2>/dev/null)" ]
}

# log_lines: the number of lines in the tcmud log, a mark for wait_log.
log_lines() { wc -l <"$TCMUD_LOG" 2>/dev/null || echo 0; }

# wait_log ERE [SECONDS] [AFTER_LINE]: wait for a tcmud log line matching ERE
# (case-insensitive) after line AFTER_LINE; prints the line.
wait_log() {
	local re=$1 secs=${2:-30} from=${3:-0} deadline line
	deadline=$(($(date +%s) + secs))
	while :; do
		line=$(tail -n "+$((from + 1))" "$TCMUD_LOG" 2>/dev/null | grep -Ei -- "$re") || true
		if [ -n "$line" ]; then
			note "log: ${line%%$'\n'*}"
			return 0
		fi
		[ "$(date +%s)" -lt "$deadline" ] || fail "no tcmud log line matching /$re/ within $secs s"
		sleep 0.2
	done
}

# --- data ----------------------------------------------------------------------

# make_pattern FILE BYTES SEED: seeded pseudo-random data in which every
# 512-byte block also starts with its block number and a hash of the seed
# (two little-endian 64-bit words), so misplaced blocks are recognisable.
make_pattern() {
	"$PY" - "$1" "$2" "$3" <<'EOF'
import array, hashlib, random, sys
path, size, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
buf = bytearray(random.Random(seed).randbytes(size))
words = memoryview(buf).cast("Q")
n = size // 512
tag = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "little")
# Strided slice assignment does this without a Python loop per block.
words[0::64] = memoryview(array.array("Q", range(n)))
words[1::64] = memoryview(array.array("Q", [tag]) * n)
with open(path, "wb") as f:
    f.write(buf)
EOF
}

# write_verify BLOCKDEV BYTES SEED: write a pattern over the first BYTES of
# the device with O_DIRECT, read it back with O_DIRECT and compare every byte.
# read_verify DEV SIZE SEED: DEV still holds the pattern write_verify wrote
# with SEED (e.g. across a daemon restart).
read_verify() {
	local dev=$1 size=$2 seed=$3 pat back
	pat=$TCMUD_VM_SCRATCH/pattern.$seed
	back=$TCMUD_VM_SCRATCH/readback.$seed
	[ -e "$pat" ] || fail "no pattern $seed was written"
	dd if="$dev" of="$back" bs=1M count=$((size / 1048576)) iflag=direct status=none ||
		fail "reading $size bytes from $dev"
	cmp "$pat" "$back" || fail "$dev no longer holds the data written as $seed"
	rm -f "$back"
	note "$((size / 1048576)) MiB on $dev still hold what was written as $seed"
}

write_verify() {
	local dev=$1 size=$2 seed=$3 pat back t
	pat=$TCMUD_VM_SCRATCH/pattern.$seed
	back=$TCMUD_VM_SCRATCH/readback.$seed
	[ -e "$pat" ] || make_pattern "$pat" "$size" "$seed"
	t=$(date +%s)
	dd if="$pat" of="$dev" bs=1M oflag=direct conv=fsync status=none ||
		fail "writing $size bytes to $dev"
	dd if="$dev" of="$back" bs=1M count=$((size / 1048576)) iflag=direct status=none ||
		fail "reading $size bytes from $dev"
	cmp "$pat" "$back" || fail "data read back from $dev differs from what was written"
	rm -f "$back"
	note "$((size / 1048576)) MiB written and read back identical on $dev ($(($(date +%s) - t)) s)"
}
