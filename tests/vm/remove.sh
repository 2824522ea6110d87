#!/bin/bash
# Removing a served device through configfs: tcmud logs that it released it,
# closes /dev/uioN and unmaps it, keeps running, keeps serving the device that
# stays, and serves devices created afterwards, including one that reuses the
# removed device's name.
. "$(dirname "$0")/lib.sh"

SIZE=$((32 << 20))

# not_held UIO: tcmud neither has /dev/UIO open nor mapped (an fd of a
# removed node reads "/dev/uioN (deleted)").
not_held() {
	[ -z "$(find "/proc/$TCMUD_PID/fd" -lname "/dev/$1*" 2>/dev/null)" ] &&
		! grep -q "/dev/$1\\b" "/proc/$TCMUD_PID/maps"
}

# serve_and_check NAME SEED: create NAME, check tcmud opened it, attach it to
# tcm_loop and verify I/O over all of it. Sets UIO.
serve_and_check() {
	user_dev_create "$1" "$SIZE"
	UIO=$(user_dev_uio "$1") || fail "no uio device for $1"
	note "$1 is /dev/$UIO"
	wait_for 30 tcmud_holds_uio "$UIO" || fail "tcmud did not open /dev/$UIO"
	grep -q "/dev/$UIO\\b" "/proc/$TCMUD_PID/maps" || fail "tcmud has not mapped /dev/$UIO"
	loop_attach "$(cfs_dev_path user_0 "$1")"
	write_verify "$LOOP_SD" "$SIZE" "$2"
}

# remove_and_check NAME: detach and remove NAME; tcmud must let go of it.
remove_and_check() {
	local mark uio=$UIO
	loop_detach "$(cfs_dev_path user_0 "$1")"
	mark=$(log_lines)
	dev_remove user_0 "$1"
	[ ! -e "/sys/class/uio/$uio" ] || fail "/sys/class/uio/$uio still exists"
	wait_log "$1.*releas|releas.*$1" 30 "$mark"
	wait_for 10 not_held "$uio" || {
		ls -l "/proc/$TCMUD_PID/fd"
		grep uio "/proc/$TCMUD_PID/maps"
		fail "tcmud still holds /dev/$uio after removing $1"
	}
	note "tcmud neither has /dev/$uio open nor mapped"
	tcmud_alive || fail "tcmud exited after $1 was removed"
}

step "load LIO, start tcmud"
lio_load
tcmud_start

step "create kp0, a device that stays while others come and go"
serve_and_check kp0 kp-a
KEEP_SD=$LOOP_SD
KEEP_UIO=$UIO

step "create and serve rm0"
serve_and_check rm0 rm-a
step "remove rm0 through configfs"
remove_and_check rm0

step "create and serve rm1 afterwards"
serve_and_check rm1 rm-b
step "remove rm1"
remove_and_check rm1

step "a new device with the removed name rm0"
serve_and_check rm0 rm-c
step "remove it again"
remove_and_check rm0

step "kp0 is still served"
tcmud_holds_uio "$KEEP_UIO" || fail "tcmud no longer holds /dev/$KEEP_UIO of kp0"
write_verify "$KEEP_SD" "$SIZE" kp-b

step "stop tcmud"
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
