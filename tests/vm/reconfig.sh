#!/bin/bash
# Netlink round trips with the real kernel: the kernel waits for tcmud's
# reply to each event (tcmud asked for that with SET_FEATURES), so a change
# tcmud refuses makes the configfs write fail, and one it accepts is seen by
# the initiator.
#   - resize through attrib/dev_size (capacity seen after a rescan, data past
#     the old end written and read back), and a size that is not a whole
#     number of blocks refused;
#   - write cache on and off through attrib/emulate_write_cache (the sd
#     driver's cache_type follows the caching mode page);
#   - dev_config changes: new rd options accepted, bad ones and a change of
#     handler refused;
#   - a LUN reset is delivered as a TMR ring entry (tmr_notification=1);
#   - enabling a device whose options the handler refuses fails.
. "$(dirname "$0")/lib.sh"

# rescan_capacity: blocks the sd driver sees after a rescan.
rescan() {
	write_file "/sys/block/$(basename "$LOOP_SD")/device/rescan" 1
}

readcap_blocks() {
	sg_readcap --16 "$LOOP_SD" | sed -n 's/.*Number of logical blocks=\([0-9]*\)$/\1/p'
}

cache_type() {
	cat /sys/block/"$(basename "$LOOP_SD")"/device/scsi_disk/*/cache_type
}

step "load LIO and start tcmud"
lio_load
tcmud_start
D=$(cfs_dev_path user_0 rc0)
user_dev_create rc0 $((16 << 20))
uio=$(user_dev_uio rc0) || fail "no uio device for rc0"
wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
loop_attach "$D"
assert_eq 32768 "$(readcap_blocks)" "capacity before resize"

step "grow to 32 MiB through attrib/dev_size"
mark=$(log_lines)
must write_file "$D/attrib/dev_size" $((32 << 20))
wait_log 'rc0: reconfigured \(65536 blocks' 10 "$mark"
assert_eq 65536 "$(readcap_blocks)" "READ CAPACITY(16) after resize"
rescan
assert_eq 65536 "$(cat "/sys/block/$(basename "$LOOP_SD")/size")" "sd's size after rescan"
write_verify "$LOOP_SD" $((32 << 20)) rc0-grown

step "a size that is not a whole number of blocks is refused"
mark=$(log_lines)
must_fail write_file "$D/attrib/dev_size" $(((32 << 20) + 100))
wait_log 'rc0: reconfiguration refused: size [0-9]+ is not a positive multiple' 10 "$mark"
assert_eq 65536 "$(readcap_blocks)" "capacity after a refused resize"

step "write cache off and on through attrib/emulate_write_cache"
must write_file "$D/attrib/emulate_write_cache" 0
rescan
assert_match 'write through' "$(cache_type)" "sd cache_type with WCE=0"
must write_file "$D/attrib/emulate_write_cache" 1
rescan
assert_match 'write back' "$(cache_type)" "sd cache_type with WCE=1"

step "dev_config changes"
must write_file "$D/attrib/dev_config" "rd/size=32M"
wait_for 10 grep -q 'tcm-user/.*/rc0/rd/size=32M' "/sys/class/uio/$uio/name" ||
	fail "uio name did not follow the new dev_config: $(cat "/sys/class/uio/$uio/name")"
mark=$(log_lines)
must_fail write_file "$D/attrib/dev_config" "rd/colour=blue"
wait_log "rc0: reconfiguration refused: .*colour" 10 "$mark"
must_fail write_file "$D/attrib/dev_config" "qcow/disk.img"
wait_log "rc0: reconfiguration refused: .*changes the handler" 10 "$mark"
write_verify "$LOOP_SD" $((32 << 20)) rc0-after

step "LUN reset with attrib/tmr_notification=1: the TMR entry comes through the ring"
must write_file "$D/attrib/tmr_notification" 1
mark=$(log_lines)
must sg_reset --device "$LOOP_SD" >/dev/null
wait_log "rc0: task management function 5 named 0 commands" 10 "$mark"
write_verify "$LOOP_SD" $((32 << 20)) rc0-after-reset

step "enabling a device whose options rd refuses fails"
B=$(cfs_dev_path user_0 bad0)
mkdir -p "$B"
write_file "$B/control" "dev_config=rd/colour=blue,dev_size=$((1 << 20))"
mark=$(log_lines)
must_fail run_timeout "$CFS_TIMEOUT" "enabling $B" write_file "$B/enable" 1
assert_eq 0 "$(cat "$B/enable")" "enable of the refused device"
wait_log "bad0\): refused: .*colour" 10 "$mark"
rmdir "$B"

step "clean up"
loop_detach "$D"
dev_remove user_0 rc0
tcmud_alive || fail "tcmud is no longer running"
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
