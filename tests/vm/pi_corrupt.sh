#!/bin/bash
# End-to-end T10 protection information: user:rd devices with pi=1 (512- and
# 4096-byte blocks, and a 4 TiB one whose LBAs need 64 bits) and pi=3, seen
# through tcm_loop. Known data is written with WRITE(16) (WRPROTECT=0: tcmud
# generates the PI), then checked where the rd handler keeps it: the storage
# file in /dev/shm must hold the blocks at RD_DATA_OFFSET and one PI tuple
# (guard = CRC-16/T10-DIF of the block, ref = low 32 bits of the LBA) per
# block at RD_PI_OFFSET. Then, directly in that file:
#
#   - one byte of block G's data is flipped: READ(16) of G, and of a range
#     around it, fails with ABORTED COMMAND, 10/01 (guard check failed) and
#     G in the sense INFORMATION field;
#   - block R's ref tag is changed: 10/03 (reference tag check failed) with R;
#     with pi=3 the ref tag belongs to the application and the read succeeds;
#   - block E's data is flipped and its app tag set to 0xFFFF (the escape):
#     no check, the read succeeds;
#
# while the neighbours and a never-written block (all-0xFF PI) still read
# correctly, and writing G again through the initiator heals it. Every
# command goes through SG_IO (tests/vm/sgio.py, which decodes fixed and
# descriptor sense itself), never through the block layer.
. "$(dirname "$0")/lib.sh"

# The rd handler's storage layout: handlers/rd/rd_layout.h and rd_shm.h. The
# build fails if these differ from the header (tests/vm/CMakeLists.txt reads
# these three lines).
RD_DATA_OFFSET=0x100000
RD_PI_OFFSET=0x80000000000
RD_PI_TUPLE_SIZE=8
RD_SHM_DIR=/dev/shm

SGIO=$(dirname "$0")/sgio.py

# rd_py ARGS...: the storage-file helpers below.
rd_py() {
	RD_DATA_OFFSET=$RD_DATA_OFFSET RD_PI_OFFSET=$RD_PI_OFFSET RD_PI_TUPLE_SIZE=$RD_PI_TUPLE_SIZE \
		"$PY" - "$@" <<'EOF'
import os, struct, sys

DATA = int(os.environ["RD_DATA_OFFSET"], 0)
PIOFF = int(os.environ["RD_PI_OFFSET"], 0)
TUPLE = int(os.environ["RD_PI_TUPLE_SIZE"], 0)

def fnv1a64(b):
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def crc16_t10(data, _t=[]):
    if not _t:
        for i in range(256):
            c = i << 8
            for _ in range(8):
                c = ((c << 1) ^ 0x8BB7) if c & 0x8000 else c << 1
            _t.append(c & 0xFFFF)
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _t[(crc >> 8) ^ b]
    return crc

assert crc16_t10(b"123456789") == 0xD0DB

cmd = sys.argv[1]
if cmd == "name":            # name HBA DEVNAME SERIAL
    hba, name, serial = sys.argv[2:5]
    enc = "".join(c if c.isalnum() or c in "._-" else "%%%02X" % ord(c) for c in name)
    print(f"tcmud-rd.{hba}.{enc}.{fnv1a64(serial.encode()):016x}")
elif cmd == "header":        # header FILE BS PI SIZE NAME SERIAL
    path, bs, pi, size, name, serial = sys.argv[2:8]
    with open(path, "rb") as f:
        h = f.read(568)
    magic, ver, hbs, hpi, page, hsize, doff, poff = struct.unpack_from("=8sIIIIQQQ", h)
    got = dict(magic=magic, block_size=hbs, pi_type=hpi, size=hsize,
               data_offset=doff, pi_offset=poff,
               unit_serial=h[56:312].rstrip(b"\0").decode(), name=h[312:568].rstrip(b"\0").decode())
    want = dict(magic=b"tcmud-rd", block_size=int(bs), pi_type=int(pi), size=int(size),
                data_offset=DATA, pi_offset=PIOFF, unit_serial=serial, name=name)
    bad = [f"{k}: {got[k]!r}, expected {want[k]!r}" for k in want if got[k] != want[k]]
    if bad:
        sys.exit("storage header: " + "; ".join(bad))
    print(f"header: layout {ver}, {hbs}-byte blocks, pi_type {hpi}, {hsize} bytes, "
          f"data at {doff:#x}, PI at {poff:#x}")
elif cmd == "check":         # check FILE BS PI LBA N PATTERN: data and PI as written
    path, bs, pi, lba, n, pat = sys.argv[2:8]
    bs, pi, lba, n = int(bs), int(pi), int(lba), int(n)
    want = open(pat, "rb").read(n * bs)
    with open(path, "rb") as f:
        f.seek(DATA + lba * bs)
        data = f.read(n * bs)
        f.seek(PIOFF + lba * TUPLE)
        tuples = f.read(n * TUPLE)
    if data != want:
        first = next(i for i in range(n) if data[i*bs:(i+1)*bs] != want[i*bs:(i+1)*bs])
        sys.exit(f"block {lba + first} is not at {DATA:#x} + LBA * {bs} in {path}")
    for i in range(n):
        guard, app, ref = struct.unpack_from(">HHI", tuples, i * TUPLE)
        blk = data[i * bs:(i + 1) * bs]
        if guard != crc16_t10(blk):
            sys.exit(f"block {lba + i}: stored guard {guard:#06x}, CRC of its data "
                     f"{crc16_t10(blk):#06x} (PI tuple at {PIOFF:#x} + LBA * {TUPLE})")
        if pi in (1, 2) and ref != (lba + i) & 0xFFFFFFFF:
            sys.exit(f"block {lba + i}: stored ref tag {ref:#x}, expected {(lba + i) & 0xFFFFFFFF:#x}")
    g, a, r = struct.unpack_from(">HHI", tuples, 0)
    print(f"{n} blocks from LBA {lba} stored as written; PI of LBA {lba}: "
          f"guard {g:#06x} app {a:#06x} ref {r:#010x}")
elif cmd == "flip":          # flip FILE OFFSET: invert one byte
    path, off = sys.argv[2], int(sys.argv[3], 0)
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0xFF]))
elif cmd == "put16" or cmd == "put32":  # putN FILE OFFSET VALUE: big-endian
    path, off, v = sys.argv[2], int(sys.argv[3], 0), int(sys.argv[4], 0)
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(struct.pack(">H" if cmd == "put16" else ">I", v))
else:
    sys.exit(f"unknown command {cmd}")
EOF
}

# sgio ARGS...: sets SG_OUT to sgio.py's line and SG_RC to its status.
SG_OUT=""
SG_RC=0
sgio() {
	SG_RC=0
	SG_OUT=$("$PY" "$SGIO" "$LOOP_SD" "$@" 2>&1) || SG_RC=$?
}

# read_good LBA N: READ(16) succeeds and returns the pattern's blocks.
read_good() {
	local lba=$1 n=$2 out=$TCMUD_VM_SCRATCH/read.bin
	sgio read "$lba" "$n" "$BS" "$out"
	[ "$SG_RC" = 0 ] || fail "READ(16) of $n block(s) at LBA $lba: $SG_OUT"
	cmp -s -n $((n * BS)) "$out" "$PAT" 0 $(((lba - BASE) * BS)) ||
		fail "READ(16) at LBA $lba returned other data than was written"
	note "READ(16) LBA $lba x$n: GOOD, data as written"
}

# read_sense LBA N ASCQ INFO: READ(16) fails with ABORTED COMMAND, 10/ASCQ
# and INFO in the INFORMATION field.
read_sense() {
	local lba=$1 n=$2 ascq=$3 info=$4 want
	sgio read "$lba" "$n" "$BS"
	want="key=0x0b asc=0x10 ascq=$(printf '0x%02x' "$ascq") info=$(printf '0x%x' "$info")"
	if [ "$SG_RC" != 3 ] || [[ "$SG_OUT" != *"$want"* ]]; then
		fail "READ(16) of $n block(s) at LBA $lba: expected CHECK CONDITION $want, got: $SG_OUT"
	fi
	note "READ(16) LBA $lba x$n: ${SG_OUT%% sense=*}"
}

# pi_case NAME BLOCK_SIZE PI SIZE BASE: the whole scenario on one device;
# BASE is the first LBA written.
pi_case() {
	local name=$1 serial="pi-$1-serial" uio file out n=32 G R E U
	BS=$2
	PIT=$3
	BASE=$5
	step "$name: $(($4 >> 20)) MiB user:rd, $BS-byte blocks, dev_config rd/pi=$PIT"
	user_dev_create "$name" "$4" "pi=$PIT" "$serial" "hw_block_size=$BS"
	uio=$(user_dev_uio "$name") || fail "no uio device for $name"
	wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
	loop_attach "$(cfs_dev_path user_0 "$name")"
	out=$(sg_readcap --16 "$LOOP_SD") || fail "sg_readcap --16: $out"
	assert_match "prot_en=1, p_type=$((PIT - 1))" "$out" "READ CAPACITY(16) protection fields"

	file=$RD_SHM_DIR/$(rd_py name 0 "$name" "$serial")
	[ -f "$file" ] || fail "no storage file $file (in $RD_SHM_DIR: $(ls "$RD_SHM_DIR"))"
	note "storage: $file"
	must rd_py header "$file" "$BS" "$PIT" "$4" "$name" "$serial"

	step "$name: write $n blocks at LBA $BASE, find them and their PI in the storage file"
	PAT=$TCMUD_VM_SCRATCH/pat.$name
	make_pattern "$PAT" $((n * BS)) "$name"
	sgio write "$BASE" "$n" "$BS" "$PAT"
	[ "$SG_RC" = 0 ] || fail "WRITE(16) of $n blocks at LBA $BASE: $SG_OUT"
	must rd_py check "$file" "$BS" "$PIT" "$BASE" "$n" "$PAT"
	read_good "$BASE" "$n"

	G=$((BASE + 5))
	R=$((BASE + 11))
	E=$((BASE + 17))
	U=$((BASE + n + 100))
	step "$name: corrupt block $G's data, block $R's ref tag, block $E's data with app tag 0xFFFF"
	rd_py flip "$file" $((RD_DATA_OFFSET + G * BS + BS - 7))
	rd_py put32 "$file" $((RD_PI_OFFSET + R * RD_PI_TUPLE_SIZE + 4)) $(((R + 0x100) & 0xFFFFFFFF))
	rd_py flip "$file" $((RD_DATA_OFFSET + E * BS + 3))
	rd_py put16 "$file" $((RD_PI_OFFSET + E * RD_PI_TUPLE_SIZE + 2)) 0xFFFF

	step "$name: read them back"
	read_sense "$G" 1 1 "$G"
	read_sense $((G - 2)) 5 1 "$G"
	read_good $((G - 1)) 1
	read_good $((G + 1)) 1
	if [ "$PIT" = 3 ]; then
		read_good "$R" 1
		note "(type 3: the ref tag is the application's, not checked)"
	else
		read_sense "$R" 1 3 "$R"
		read_sense $((R - 1)) 3 3 "$R"
	fi
	read_good $((R + 1)) 1
	sgio read "$E" 1 "$BS"
	[ "$SG_RC" = 0 ] || fail "READ(16) of block $E (app tag 0xFFFF: not checked): $SG_OUT"
	note "READ(16) LBA $E: GOOD (app tag 0xFFFF disables the checks)"
	sgio read "$U" 1 "$BS" "$TCMUD_VM_SCRATCH/unwritten.bin"
	[ "$SG_RC" = 0 ] || fail "READ(16) of never-written block $U: $SG_OUT"
	cmp -s -n "$BS" "$TCMUD_VM_SCRATCH/unwritten.bin" /dev/zero ||
		fail "never-written block $U does not read as zeros"
	note "READ(16) LBA $U (never written): GOOD, zeros"

	step "$name: write block $G again; it reads back"
	dd if="$PAT" of="$TCMUD_VM_SCRATCH/one.bin" bs="$BS" skip=5 count=1 status=none
	sgio write "$G" 1 "$BS" "$TCMUD_VM_SCRATCH/one.bin"
	[ "$SG_RC" = 0 ] || fail "WRITE(16) at LBA $G: $SG_OUT"
	read_good "$G" 1

	step "$name: detach and remove"
	loop_detach "$(cfs_dev_path user_0 "$name")"
	dev_remove user_0 "$name"
	wait_for 10 test ! -e "$file" || fail "$file is still there after the device was removed"
	note "$file removed with the device"
}

step "load LIO, start tcmud"
lio_load
grep -q " $RD_SHM_DIR tmpfs " /proc/mounts || fail "$RD_SHM_DIR is not a tmpfs"
tcmud_start

pi_case pi1 512 1 $((16 << 20)) 1000
pi_case pi1k4 4096 1 $((16 << 20)) 300
pi_case pi3 512 3 $((16 << 20)) 2000
# 4 TiB: LBAs past 2^32 do not fit fixed-format sense; the INFORMATION field
# must still carry the whole LBA (descriptor format).
pi_case pibig 512 1 $((4 << 40)) $(((1 << 32) + 4096))

tcmud_alive || fail "tcmud is no longer running"
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
