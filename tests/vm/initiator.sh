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
# Running open-iscsi in this guest has traps: see lib_initiator.sh.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/lib_initiator.sh
. "$(dirname "$0")/lib_initiator.sh"

PLAIN=ini0
PI=ini1
PLAIN_SIZE=$((256 << 20))
PI_SIZE=$((128 << 20))
MNT=$TCMUD_VM_SCRATCH/mnt
FILES=$TCMUD_VM_SCRATCH/files
# fio: mixed block sizes at random offsets over FIO_SIZE bytes of the disk.
FIO_SIZE=$((24 << 20))
FIO_OFFSET=$((32 << 20))

for t in iscsid iscsiadm mkfs.ext4 fsck.ext4 fio sg_readcap; do
	command -v "$t" >/dev/null || fail "$t is missing on the host (scripts/install-deps.sh)"
done

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
	iscsid_stop
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
