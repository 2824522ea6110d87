#!/bin/bash
# user:rd devices served by tcmud, seen through tcm_loop as local SCSI disks:
# standard INQUIRY, READ CAPACITY (10 and 16) with the configured capacity
# and block size, every byte of two patterns written and read back with
# O_DIRECT, and reads at and past the end (ILLEGAL REQUEST / LOGICAL BLOCK
# ADDRESS OUT OF RANGE). A 64 MiB device with 512-byte blocks, then a 16 MiB
# one with 4096-byte blocks (hw_block_size=4096).
#
#   loop_rw.sh [--kernel-rd]   --kernel-rd runs the same checks against the
#                              kernel's own ramdisk (rd_mcp, 512-byte blocks
#                              only), without tcmud
. "$(dirname "$0")/lib.sh"

HBA=user_0
[ "${1:-}" = --kernel-rd ] && HBA=rd_mcp_0

# read16 BS LBA BLOCKS: READ(16) of BLOCKS blocks of BS bytes with sg_raw.
read16() {
	# shellcheck disable=SC2046 # one argument per CDB byte
	sg_raw -r $(($1 * $3)) "$LOOP_SD" 88 00 \
		$(printf '%016x' "$2" | sed 's/../& /g') \
		$(printf '%08x' "$3" | sed 's/../& /g') 00 00
}

# expect_lba_out_of_range BS LBA BLOCKS
expect_lba_out_of_range() {
	must_fail read16 "$@"
	assert_match '[Ii]llegal [Rr]equest' "$MUST_FAIL_OUT" "sense key of READ(16) at LBA $2"
	assert_match '[Ll]ogical block address out of range' "$MUST_FAIL_OUT" \
		"additional sense of READ(16) at LBA $2"
}

# create NAME SIZE BS: create the backstore device (and make tcmud serve it).
create() {
	if [ "$HBA" = user_0 ]; then
		step "create a $(($2 >> 20)) MiB user:rd device with $3-byte blocks"
		user_dev_create "$1" "$2" "" "" "hw_block_size=$3"
		uio=$(user_dev_uio "$1") || fail "no uio device for $1"
		note "$1 is /dev/$uio: $(cat "/sys/class/uio/$uio/name")"
		wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
	else
		step "create a $(($2 >> 20)) MiB kernel ramdisk (rd_mcp)"
		rd_dev_create "$1" "$2"
	fi
}

# check_device NAME SIZE BS
check_device() {
	local name=$1 size=$2 bs=$3 blocks=$(($2 / $3)) dev sd out long
	dev=$(cfs_dev_path "$HBA" "$name")
	create "$name" "$size" "$bs"

	step "attach $name to tcm_loop"
	loop_attach "$dev"
	sd=$(basename "$LOOP_SD")

	step "standard INQUIRY (sg_inq)"
	out=$(sg_inq "$LOOP_SD") || fail "sg_inq failed: $out"
	printf '%s\n' "$out" | sed 's/^/    | /'
	assert_match 'PDT=0 ' "$out" "peripheral device type (disk)"
	assert_match 'Vendor identification: .+' "$out" "vendor"

	step "READ CAPACITY (sg_readcap, sg_readcap --16)"
	for long in "" --16; do
		# shellcheck disable=SC2086
		out=$(sg_readcap $long "$LOOP_SD") || fail "sg_readcap $long failed: $out"
		printf '%s\n' "$out" | sed 's/^/    | /'
		assert_match "Number of logical blocks=$blocks\$" "$out" "capacity ($long)"
		assert_match "Logical block length=$bs bytes" "$out" "block size ($long)"
	done
	assert_eq "$bs" "$(cat "/sys/block/$sd/queue/logical_block_size")" "kernel's logical block size"
	assert_eq $((size / 512)) "$(cat "/sys/block/$sd/size")" "kernel's size in 512-byte sectors"

	step "write a pattern over the whole device and read it back (O_DIRECT)"
	write_verify "$LOOP_SD" "$size" "$name-a"
	step "write a second pattern and read it back"
	write_verify "$LOOP_SD" "$size" "$name-b"

	step "reads at and past the end"
	must read16 "$bs" $((blocks - 1)) 1 >/dev/null
	note "READ(16) of the last block: ok"
	expect_lba_out_of_range "$bs" "$blocks" 1 >/dev/null
	note "READ(16) at LBA $blocks (one past the end): refused"
	expect_lba_out_of_range "$bs" $((blocks - 1)) 2 >/dev/null
	note "READ(16) crossing the end: refused"
	expect_lba_out_of_range "$bs" $((1 << 40)) 1 >/dev/null
	note "READ(16) at LBA 2^40: refused"

	step "detach and remove $name"
	loop_detach "$dev"
	dev_remove "$HBA" "$name"
}

step "load LIO"
lio_load
[ "$HBA" = rd_mcp_0 ] || tcmud_start
check_device lrw0 $((64 << 20)) 512
if [ "$HBA" = user_0 ]; then
	check_device lrw4k $((16 << 20)) 4096
	tcmud_alive || fail "tcmud is no longer running"
	tcmud_stop
	assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
fi
step "passed"
