#!/bin/bash
# Restarting tcmud under a served device: after kill -9, I/O issued while no
# daemon runs completes once tcmud is back (it recovers the ring), the data
# written before is still there (the rd handler keeps its blocks in /dev/shm),
# and writes and reads work again on the same /dev/sdX; the same after a graceful
# SIGTERM stop, after which enabling a device does not wait for a daemon and
# the next tcmud finds and serves both devices.
. "$(dirname "$0")/lib.sh"

SIZE=$((32 << 20))

# wait_served NAME: tcmud has the device NAME's uio open. Prints the uio.
wait_served() {
	local uio
	uio=$(user_dev_uio "$1") || fail "no uio device for $1"
	wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio of $1"
	echo "$uio"
}

step "load LIO, start tcmud, serve rs0 through tcm_loop"
lio_load
tcmud_start
user_dev_create rs0 "$SIZE"
wait_served rs0 >/dev/null
loop_attach "$(cfs_dev_path user_0 rs0)"
SD=$LOOP_SD
write_verify "$SD" "$SIZE" rs-a

step "kill -9 tcmud"
tcmud_kill
[ "$(cat "$(cfs_dev_path user_0 rs0)/enable")" = 1 ] || fail "rs0 is no longer enabled"
note "tcmud is gone; rs0 is still enabled"

step "read from $SD while no daemon runs"
# The command waits in the ring until a daemon serves it (cmd_time_out,
# 30 s by default, fails it after that).
dd if="$SD" of=/dev/null bs=64k count=16 iflag=direct status=none &
dd_pid=$!
sleep 2
if kill -0 "$dd_pid" 2>/dev/null; then
	note "the read is waiting"
else
	note "the read already finished"
fi

step "start tcmud again"
tcmud_start
wait_served rs0 >/dev/null
note "tcmud serves rs0 again"
wait_pid 60 "the read issued while tcmud was down" "$dd_pid"
note "the read issued while tcmud was down completed"

step "the data written before kill -9 is still there"
read_verify "$SD" "$SIZE" rs-a

step "write and read back on the same $SD"
write_verify "$SD" "$SIZE" rs-b

step "stop tcmud gracefully (SIGTERM)"
tcmud_stop TERM
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"

step "create rs1 while tcmud is stopped: enable must not wait for a daemon"
user_dev_create rs1 "$SIZE"
note "rs1 enabled without a daemon"

step "start tcmud: it finds and serves rs0 and rs1"
tcmud_start
wait_served rs0 >/dev/null
wait_served rs1 >/dev/null
note "both devices are open"
read_verify "$SD" "$SIZE" rs-b
write_verify "$SD" "$SIZE" rs-c
loop_attach "$(cfs_dev_path user_0 rs1)"
write_verify "$LOOP_SD" "$SIZE" rs-d

step "clean up"
loop_detach "$(cfs_dev_path user_0 rs1)"
loop_detach "$(cfs_dev_path user_0 rs0)"
dev_remove user_0 rs1
dev_remove user_0 rs0
tcmud_stop TERM
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
