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
CTL=$PREFIX/sbin/tcmudctl
[ -x "$CTL" ] || fail "$CTL was not installed"
POLICY=/etc/dbus-1/system.d/org.kernel.TCMUService1.conf
grep -q -- "Installing: $POLICY$" "$INST" || fail "the D-Bus policy was not installed to $POLICY"
ACT=$PREFIX/share/dbus-1/system-services/org.kernel.TCMUService1.service
[ -f "$ACT" ] || fail "the D-Bus activation file $ACT was not installed"
assert_match "^Exec=$BIN" "$(grep '^Exec=' "$ACT")" "the activation file starts the installed binary"
for page in man8/tcmud.8 man8/tcmudctl.8 man5/tcmud.conf.5; do
	[ -f "$PREFIX/share/man/$page" ] || fail "the manual page $page was not installed"
done
note "installed: tcmud, tcmudctl, handler_rd.so, the unit, the D-Bus policy and activation file, the manual pages"

step "start the installed tcmud with no arguments, on a system bus with the installed policy"
lio_load
# Only what was installed decides who may own the name: no tcmu-runner files.
rm -f /etc/dbus-1/system.d/tcmu-runner.conf \
	/usr/share/dbus-1/system-services/org.kernel.TCMUService1.service
mkdir -p /run/dbus
must dbus-daemon --system --fork
wait_for 30 test -S /run/dbus/system_bus_socket || fail "the system bus did not come up"
echo "=== installed tcmud started $(date +%T) ===" >>"$TCMUD_LOG"
(cd / && exec "$BIN") >>"$TCMUD_LOG" 2>&1 </dev/null &
TCMUD_PID=$!
wait_log "loaded handler 'rd' from $RD" 30
wait_log "configuration $PREFIX/etc/tcmud/tcmud.conf\)" 5
wait_log "netlink: listening" 30
wait_log "D-Bus: org.kernel.TCMUService1 acquired on the system bus" 30

step "serve a device with it"
D=$(cfs_dev_path user_0 inst0)
user_dev_create inst0 $((8 << 20))
uio=$(user_dev_uio inst0) || fail "no uio device for inst0"
wait_for 30 tcmud_holds_uio "$uio" || fail "the installed tcmud did not open /dev/$uio"
loop_attach "$D"
write_verify "$LOOP_SD" $((8 << 20)) inst0
out=$("$CTL" status --interval 0) || fail "the installed tcmudctl: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
assert_match "^inst0 +rd " "$out" "tcmudctl status lists inst0"

step "clean up"
loop_detach "$D"
dev_remove user_0 inst0
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
step "passed"
