#!/bin/bash
# The Linux iSCSI initiator (open-iscsi's iscsid and iscsiadm, the kernel's
# iscsi_tcp and sd) against two user:rd LUNs served by tcmud and exported by
# LIO on 127.0.0.1: a plain one and one with protection information (rd
# cfgstring pi=1). For each: sendtargets discovery, login, the /dev/sdX of
# the session, then
#
#   - sg_readcap -l: PROT_EN is 1 on the PI LUN and 0 on the other (through
#     iscsi_tcp, which cannot carry PI, sd uses the PI LUN as a plain disk:
#     tcmud generates the PI on every write and checks it on every read);
#   - mkfs.ext4, mount, files of known content and sha256 written, umount,
#     caches dropped, fsck.ext4 -f -n clean, mount again, every sha256 equal;
#   - fio on the raw disk: random writes of mixed sizes, libaio, iodepth 8,
#     O_DIRECT, verified with crc32c after the write phase; fio must report
#     no error and have read back every byte it wrote;
#   - on the PI LUN, sampled blocks of what fio wrote have a correct PI
#     tuple (CRC guard, ref tag = LBA) in the rd handler's storage file in
#     /dev/shm, whose header gives the offsets: tcmud generated it;
#   - tcmud reported no MEDIUM ERROR or ABORTED COMMAND (a PI check) on it;
#   - logout, and the disk goes away.
#
# Running open-iscsi 2.1.8 (Debian 12) in this guest, where nothing else
# runs, has traps:
#   - iscsiadm starts iscsid on its own with iscsid.startup, which is
#     "systemctl start iscsid.socket": there is no systemd here. iscsid is
#     started by hand in the foreground (-f, no pid file) and the guest's
#     iscsid.conf sets iscsid.startup to /bin/false, so a dead daemon is an
#     error instead of a wait.
#   - iscsid and iscsiadm talk over the abstract unix socket
#     @ISCSIADM_ABSTRACT_NAMESPACE; it is in /proc/net/unix once iscsid is
#     ready. Before that iscsiadm fails ("can not connect to iSCSI daemon").
#   - The guest's /etc is a writable overlay over the host's: the host's
#     initiator name, iscsid.conf and node records (/etc/iscsi/nodes,
#     send_targets) are replaced or removed in the overlay only.
#   - iscsi_tcp is loaded first, so that a missing module fails here and
#     not inside iscsiadm. The session's LUN scan runs in iscsid after the login, so the
#     disk appears a little after iscsiadm returns; it is found under
#     /sys/class/iscsi_session/sessionN/device/target*/ by the session's
#     targetname, and devtmpfs makes its /dev node.
#   - iscsid's SIGTERM handler sends SIGTERM to its process group: started
#     from this script without a session of its own, stopping it kills the
#     script too (status 143). It runs under setsid.
#   - iscsiadm --logout with a mounted file system does not refuse
#     (iscsid.safe_logout defaults to No): file systems are unmounted first.
. "$(dirname "$0")/lib.sh"

PLAIN=ini0
PI=ini1
PLAIN_SIZE=$((256 << 20))
PI_SIZE=$((128 << 20))
INITIATOR=iqn.2003-01.org.tcmud.test:initiator
MNT=$TCMUD_VM_SCRATCH/mnt
FILES=$TCMUD_VM_SCRATCH/files
ISCSID_LOG=$TCMUD_VM_RESULTS/iscsid.log
ISCSID_PID=""
# fio: mixed block sizes at random offsets over FIO_SIZE bytes of the disk.
FIO_SIZE=$((24 << 20))
FIO_OFFSET=$((32 << 20))
# Every iscsiadm call and wait is bounded.
ISCSI_TIMEOUT=60

for t in iscsid iscsiadm mkfs.ext4 fsck.ext4 fio sg_readcap; do
	command -v "$t" >/dev/null || fail "$t is missing on the host (scripts/install-deps.sh)"
done

# --- initiator -----------------------------------------------------------------

# adm ARGS...: iscsiadm with a timeout; output shown, failure fails.
adm() { must timeout -k 5 "$ISCSI_TIMEOUT" iscsiadm "$@"; }

_iscsid_listening() { grep -q '@ISCSIADM_ABSTRACT_NAMESPACE' /proc/net/unix; }

iscsid_start() {
	modprobe iscsi_tcp || fail "modprobe iscsi_tcp"
	mkdir -p /etc/iscsi /run/lock/iscsi
	rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets /etc/iscsi/ifaces
	printf 'InitiatorName=%s\n' "$INITIATOR" >/etc/iscsi/initiatorname.iscsi
	# NOP-Out timeouts are generous: under TCG a busy guest can be slow to
	# answer, and a missed NOP-In drops the connection.
	cat >/etc/iscsi/iscsid.conf <<'EOF'
iscsid.startup = /bin/false
node.startup = manual
node.session.scan = auto
node.session.initial_login_retry_max = 2
node.session.timeo.replacement_timeout = 20
node.conn[0].timeo.login_timeout = 15
node.conn[0].timeo.logout_timeout = 15
node.conn[0].timeo.noop_out_interval = 10
node.conn[0].timeo.noop_out_timeout = 30
node.session.err_timeo.abort_timeout = 15
node.session.err_timeo.lu_reset_timeout = 30
node.session.err_timeo.tgt_reset_timeout = 30
node.session.err_timeo.host_reset_timeout = 60
EOF
	# In its own session: on SIGTERM iscsid signals its whole process group.
	setsid iscsid -f -n >>"$ISCSID_LOG" 2>&1 </dev/null &
	ISCSID_PID=$!
	wait_for 30 _iscsid_listening || {
		kill -0 "$ISCSID_PID" 2>/dev/null || fail "iscsid exited at start (see $ISCSID_LOG)"
		fail "iscsid is not listening for iscsiadm after 30 s"
	}
	note "iscsid $(iscsid -v | awk '{ print $NF }') running as pid $ISCSID_PID, initiator $INITIATOR"
}

# _session NAME: prints the sysfs directory of the session to NAME's target.
_session() {
	local s
	for s in /sys/class/iscsi_session/session*; do
		[ -e "$s/targetname" ] || continue
		[ "$(cat "$s/targetname")" = "$(_iqn "$1")" ] || continue
		echo "$s"
		return 0
	done
	return 1
}

# _session_disk NAME: prints the block device (sdX) of LUN 0 of NAME's session.
_session_disk() {
	local s b
	s=$(_session "$1") || return 1
	for b in "$s"/device/target*/*:0/block/*; do
		[ -e "$b" ] || continue
		basename "$b"
		return 0
	done
	return 1
}

_no_session() { ! _session "$1"; }

# login NAME: log in to NAME's target; SD gets its /dev/sdX.
SD=""
login() {
	local iqn b
	iqn=$(_iqn "$1")
	adm -m node -T "$iqn" -p "$ISCSI_PORTAL" --login
	wait_for "$ISCSI_TIMEOUT" _session_disk "$1" ||
		fail "no disk appeared for the session to $iqn within $ISCSI_TIMEOUT s"
	b=$(_session_disk "$1")
	SD=/dev/$b
	wait_for 10 test -b "$SD" || fail "$SD did not appear"
	# The target sees this initiator's session.
	grep -qx "$INITIATOR" "$TARGET/iscsi/$iqn/tpgt_1/dynamic_sessions" ||
		fail "LIO has no session from $INITIATOR on $iqn: $(cat "$TARGET/iscsi/$iqn/tpgt_1/dynamic_sessions")"
	dmesg | grep -F "[$b]" | tail -n 6 | sed 's/^/    | /'
	note "$1 is $SD ($(basename "$(_session "$1")"), $(cat "/sys/block/$b/device/vendor") $(cat "/sys/block/$b/device/model"), $(($(cat "/sys/block/$b/size") * 512 >> 20)) MiB)"
}

# logout NAME: log out of NAME's target and wait for its disk to go.
logout() {
	adm -m node -T "$(_iqn "$1")" -p "$ISCSI_PORTAL" --logout
	wait_for 30 _no_session "$1" || fail "the session to $(_iqn "$1") is still there"
	[ ! -b "$SD" ] || wait_for 10 test ! -b "$SD" || fail "$SD is still there after logout"
}

# --- data ------------------------------------------------------------------------

# make_files: files of known content in FILES, their sha256 in FILES.sha256.
make_files() {
	local f
	rm -rf "$FILES"
	mkdir -p "$FILES/dir"
	make_pattern "$FILES/a" $((3 << 20)) files-a
	make_pattern "$FILES/b" $((1 << 20)) files-b
	make_pattern "$FILES/dir/c" $((2 << 20)) files-c
	make_pattern "$FILES/dir/d" 512 files-d
	# Sizes that are no multiple of a block.
	head -c $(((1 << 20) + 4097)) "$FILES/a" >"$FILES/dir/e"
	head -c 1234 "$FILES/b" >"$FILES/f"
	(cd "$FILES" && find . -type f | sort | xargs sha256sum) >"$FILES.sha256"
	while read -r sum f; do
		note "$(stat -c '%8s' "$FILES/$f") $f ${sum:0:16}..."
	done <"$FILES.sha256"
}

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# fs_check DISK: mkfs, write the files, fsck, read them back.
fs_check() {
	local sd=$1 n
	step "mkfs.ext4 on $sd"
	must timeout 120 mkfs.ext4 -q -F -L tcmud-ini "$sd"
	mkdir -p "$MNT"
	must mount -t ext4 "$sd" "$MNT"
	step "write $(wc -l <"$FILES.sha256") files ($(du -sm "$FILES" | cut -f1) MiB) to the file system, unmount"
	cp -a "$FILES/." "$MNT/"
	sync -f "$MNT"
	must umount "$MNT"
	drop_caches
	step "fsck.ext4 -f -n $sd"
	# Exit status 0: no errors, nothing would be changed.
	must timeout 120 fsck.ext4 -f -n "$sd"
	step "mount again and compare the files with their sha256"
	must mount -t ext4 -o ro "$sd" "$MNT"
	n=$(cd "$MNT" && find . -type f | wc -l)
	assert_eq "$(wc -l <"$FILES.sha256")" "$n" "files on the file system"
	(cd "$MNT" && sha256sum -c --quiet "$FILES.sha256") >"$TCMUD_VM_SCRATCH/sha.out" 2>&1 || {
		sed 's/^/    | /' "$TCMUD_VM_SCRATCH/sha.out"
		fail "files read back from $sd differ from what was written"
	}
	note "all $n files read back with the same sha256"
	must umount "$MNT"
}

# fio_verify DISK: random writes verified with crc32c on the raw disk.
fio_verify() {
	local sd=$1 out=$TCMUD_VM_RESULTS/fio-$2.json rc=0 res
	step "fio on $sd: $((FIO_SIZE >> 20)) MiB of random 4-64 KiB writes (libaio, iodepth 8), then verify (crc32c)"
	timeout -k 10 300 fio --name="verify-$2" --filename="$sd" --direct=1 \
		--ioengine=libaio --iodepth=8 --rw=randwrite --bsrange=4k-64k \
		--offset="$FIO_OFFSET" --size="$FIO_SIZE" --randrepeat=0 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output-format=json --output="$out" >"$out.stderr" 2>&1 || rc=$?
	if [ -s "$out.stderr" ]; then sed 's/^/    | /' "$out.stderr"; fi
	res=$("$PY" - "$out" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))["jobs"][0]
except Exception as e:
    print(f"no fio report: {e}")
    sys.exit(1)
w, r = j["write"]["io_bytes"], j["read"]["io_bytes"]
print(f"error={j['error']} written={w} verified={r} "
      f"write {j['write']['bw'] // 1024} MiB/s, verify {j['read']['bw'] // 1024} MiB/s")
sys.exit(0 if j["error"] == 0 and w > 0 and r == w else 1)
EOF
	) || {
		note "$res"
		fail "fio on $sd: status $rc, verify errors or a short verify (report: $out)"
	}
	[ "$rc" = 0 ] || fail "fio on $sd exited with status $rc"
	note "$res"
	assert_match "^error=0 written=$FIO_SIZE verified=$FIO_SIZE " "$res" "fio bytes written and verified"
}

# readcap_prot DISK WANT: sg_readcap -l reports prot_en=WANT.
readcap_prot() {
	local out
	out=$(timeout 30 sg_readcap -l "$1" 2>&1) || fail "sg_readcap -l $1: $out"
	printf '%s\n' "$out" | sed 's/^/    | /'
	assert_match "prot_en=$2," "$out" "PROT_EN in READ CAPACITY(16) of $1"
}

# pi_tuples_check NAME: blocks fio wrote (every block of its region) have
# the PI tcmud generated for them in NAME's storage file: guard = CRC-16/T10
# of the block, ref tag = low 32 bits of the LBA, app tag not the escape.
pi_tuples_check() {
	local out
	out=$("$PY" - "$1" "$FIO_OFFSET" "$FIO_SIZE" <<'EOF'
import glob, random, struct, sys
name, off, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# struct rd_header (handlers/rd/rd_layout.h): magic, layout_version,
# block_size, pi_type, page_size, size, data_offset, pi_offset, hba,
# reserved, unit_serial[256], name[256].
files = []
for path in glob.glob("/dev/shm/*"):
    with open(path, "rb") as f:
        h = f.read(568)
    if len(h) == 568 and h[:8] == b"tcmud-rd" and h[312:].split(b"\0")[0].decode() == name:
        files.append((path, h))
if len(files) != 1:
    sys.exit(f"{len(files)} storage files for {name} in /dev/shm")
path, h = files[0]
bs, pi_type = struct.unpack_from("<II", h, 12)
data_off, pi_off = struct.unpack_from("<QQ", h, 32)
if pi_type != 1:
    sys.exit(f"{path}: pi_type {pi_type} in the header, not 1")
table = []
for i in range(256):
    c = i << 8
    for _ in range(8):
        c = (c << 1) ^ 0x8BB7 if c & 0x8000 else c << 1
    table.append(c & 0xFFFF)
first, n = off // bs, size // bs
lbas = sorted(random.Random(1).sample(range(first, first + n), 48)) + [first, first + n - 1]
bad = []
with open(path, "rb") as f:
    for lba in lbas:
        f.seek(data_off + lba * bs)
        crc = 0
        for b in f.read(bs):
            crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ b]
        f.seek(pi_off + lba * 8)
        guard, app, ref = struct.unpack(">HHI", f.read(8))
        if (guard, ref) != (crc, lba & 0xFFFFFFFF) or app == 0xFFFF:
            bad.append(f"LBA {lba}: guard {guard:#06x} app {app:#06x} ref {ref:#x}, "
                       f"expected guard {crc:#06x} ref {lba & 0xFFFFFFFF:#x}")
print(f"{path}: {len(lbas) - len(bad)} of {len(lbas)} sampled blocks between LBA "
      f"{first} and {first + n - 1} have their PI")
for line in bad[:10]:
    print(line)
sys.exit(1 if bad else 0)
EOF
	) || {
		printf '%s\n' "$out" | sed 's/^/    | /'
		fail "$1: PI missing or wrong in the storage file"
	}
	note "$out"
}

# no_check_errors UIO FROM: tcmud completed no command of /dev/UIO with
# MEDIUM ERROR or ABORTED COMMAND since log line FROM.
no_check_errors() {
	local bad
	bad=$(tail -n "+$(($2 + 1))" "$TCMUD_LOG" | grep -E "$1: .*CHECK CONDITION, sense key 0x(3|b)") || true
	[ -z "$bad" ] || {
		printf '%s\n' "$bad" | head -n 20 | sed 's/^/    | /'
		fail "tcmud failed commands on $1 with MEDIUM ERROR or ABORTED COMMAND"
	}
	note "tcmud failed no command on $1 with MEDIUM ERROR or ABORTED COMMAND"
}

# one_lun NAME PROT_EN: the whole check through the initiator.
one_lun() {
	local name=$1 uio mark
	uio=$(user_dev_uio "$name") || fail "no uio device for $name"
	mark=$(log_lines)
	step "$name: log in to $(_iqn "$name")"
	login "$name"
	step "$name: sg_readcap -l $SD (PROT_EN=$2)"
	readcap_prot "$SD" "$2"
	fs_check "$SD"
	fio_verify "$SD" "$name"
	if [ "$2" = 1 ]; then
		step "$name: the PI of the blocks fio wrote, in the storage file"
		pi_tuples_check "$name"
	fi
	no_check_errors "$uio" "$mark"
	step "$name: log out"
	logout "$name"
}

# --- cleanup -----------------------------------------------------------------------

# On any exit: unmount, log out, stop iscsid, remove the targets and devices
# (each bounded; a failure here does not hide the first one), then lib.sh's
# handler with the script's status.
_ini_exit() {
	local rc=$? n
	set +e
	if [ "$rc" != 0 ]; then
		echo "--- iscsiadm -m session -P 3 ---"
		timeout 15 iscsiadm -m session -P 3 2>&1 | head -n 60
		if [ -s "$ISCSID_LOG" ]; then
			echo "--- last 40 lines of $ISCSID_LOG ---"
			tail -n 40 "$ISCSID_LOG"
		fi
	fi
	grep -q " $MNT " /proc/mounts && { umount "$MNT" || umount -l "$MNT"; }
	if [ -n "$ISCSID_PID" ]; then
		! compgen -G '/sys/class/iscsi_session/session*' >/dev/null ||
			timeout -k 5 60 iscsiadm -m node --logoutall=all >/dev/null 2>&1
		kill -TERM "$ISCSID_PID" 2>/dev/null
		wait "$ISCSID_PID" 2>/dev/null
	fi
	for n in "$PLAIN" "$PI"; do
		(iscsi_unexport "$(cfs_dev_path user_0 "$n")") 2>/dev/null
		[ ! -d "$(cfs_dev_path user_0 "$n")" ] || (dev_remove user_0 "$n") 2>/dev/null
	done
	(exit "$rc")
	_on_exit
}
trap _ini_exit EXIT

# --- scenario ------------------------------------------------------------------------

step "load LIO, start tcmud"
lio_load
tcmud_start

step "create $PLAIN ($((PLAIN_SIZE >> 20)) MiB) and $PI ($((PI_SIZE >> 20)) MiB, pi=1), export both on $ISCSI_PORTAL"
user_dev_create "$PLAIN" "$PLAIN_SIZE" "" tcmud-ini-plain
user_dev_create "$PI" "$PI_SIZE" "pi=1" tcmud-ini-pi
for n in "$PLAIN" "$PI"; do
	uio=$(user_dev_uio "$n") || fail "no uio device for $n"
	wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
	iscsi_export "$(cfs_dev_path user_0 "$n")"
done

step "start iscsid"
iscsid_start

step "sendtargets discovery on $ISCSI_PORTAL"
out=$(timeout -k 5 "$ISCSI_TIMEOUT" iscsiadm -m discovery -t sendtargets -p "$ISCSI_PORTAL" 2>&1) ||
	fail "iscsiadm discovery: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
for n in "$PLAIN" "$PI"; do
	grep -qx "$ISCSI_PORTAL,1 $(_iqn "$n")" <<<"$out" || fail "discovery did not find $(_iqn "$n")"
done

step "files of known content"
make_files

one_lun "$PLAIN" 0
one_lun "$PI" 1

step "remove the targets and devices, stop tcmud"
for n in "$PLAIN" "$PI"; do
	iscsi_unexport "$(cfs_dev_path user_0 "$n")"
	dev_remove user_0 "$n"
done
tcmud_alive || fail "tcmud is no longer running"
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
