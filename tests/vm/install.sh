#!/bin/bash
# What `cmake --install` produces works as installed: tcmud started with no
# arguments at all (as tcmud.service starts it) finds the rd handler in its
# built-in handler directory and serves a user:rd device. The install goes
# into the guest's tmpfs overlay, so the host is untouched.
. "$(dirname "$0")/lib.sh"

PREFIX=/usr/local
step "cmake --install into $PREFIX (guest overlay)"
INST=$TCMUD_VM_SCRATCH/install.log
# The build tree is read-only underneath the overlay; cmake writes its
# install manifest there, which the overlay absorbs.
must cmake --install "$TCMUD_BUILD" --prefix "$PREFIX" >"$INST"
sed 's/^/    | /' "$INST"
BIN=$PREFIX/sbin/tcmud
[ -x "$BIN" ] || fail "$BIN was not installed"
UNIT=$(grep -o "$PREFIX/lib/systemd/system/tcmud.service" "$INST" | head -n1)
[ -n "$UNIT" ] || fail "tcmud.service was not installed"
assert_match "^ExecStart=$BIN\$" "$(grep '^ExecStart=' "$UNIT")" "the unit starts the installed binary"
RD=$(grep -o "$PREFIX/.*/tcmud/handler_rd.so" "$INST" | head -n1)
[ -n "$RD" ] || fail "handler_rd.so was not installed under $PREFIX/.../tcmud"

step "start the installed tcmud with no arguments"
lio_load
echo "=== installed tcmud started $(date +%T) ===" >>"$TCMUD_LOG"
(cd / && exec "$BIN") >>"$TCMUD_LOG" 2>&1 </dev/null &
TCMUD_PID=$!
wait_log "loaded handler 'rd' from $RD" 30
wait_log "configuration $PREFIX/etc/tcmud/tcmud.conf\)" 5
wait_log "netlink: listening" 30

step "serve a device with it"
D=$(cfs_dev_path user_0 inst0)
user_dev_create inst0 $((8 << 20))
uio=$(user_dev_uio inst0) || fail "no uio device for inst0"
wait_for 30 tcmud_holds_uio "$uio" || fail "the installed tcmud did not open /dev/$uio"
loop_attach "$D"
write_verify "$LOOP_SD" $((8 << 20)) inst0

step "clean up"
loop_detach "$D"
dev_remove user_0 inst0
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
