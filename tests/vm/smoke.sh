#!/bin/bash
# The harness itself: LIO's modules load, configfs mounts, and a user:
# device enabled by hand (no daemon) appears as a UIO device with the name
# and mapping target_core_user gives it, and goes away when removed.
. "$(dirname "$0")/lib.sh"

step "load the LIO modules and mount configfs"
lio_load
for m in target_core_mod target_core_user tcm_loop iscsi_target_mod uio; do
	grep -q "^$m " /proc/modules || fail "module $m is not loaded"
done
must ls "$TARGET" "$TARGET/core"

step "create and enable a user:rd device by hand"
d=$(cfs_dev_path user_0 smoke0)
mkdir -p "$d"
write_file "$d/control" "dev_config=rd/size=1M,dev_size=1048576"
# Nobody asked for netlink replies, so enable does not wait for a daemon.
run_timeout 30 "enabling $d" write_file "$d/enable" 1
must cat "$d/info"

step "the device is a UIO device named after it"
uio=$(user_dev_uio smoke0) || fail "no /sys/class/uio/*/name for smoke0"
name=$(cat "/sys/class/uio/$uio/name")
note "$uio: $name"
assert_eq "tcm-user/0/smoke0/rd/size=1M" "$name" "uio name"
size=$(cat "/sys/class/uio/$uio/maps/map0/size")
note "map0/size: $size"
assert_match '^0x[0-9a-f]+$' "$size" "map0/size"
[ "$((size))" -gt $((8 << 20)) ] || fail "map0/size $size is smaller than the command ring"
test -c "/dev/$uio" || fail "/dev/$uio is not a character device"

step "remove the device"
dev_remove user_0 smoke0
[ ! -e "/sys/class/uio/$uio" ] || fail "/sys/class/uio/$uio still exists after rmdir"
[ ! -e "$d" ] || fail "$d still exists"
note "$uio is gone"
step "smoke test passed"
