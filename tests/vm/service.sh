#!/bin/bash
# tcmud as a systemd service (run with tests/vm/run --systemd): the unit the
# build configures, installed with a drop-in that points it at this build,
# loads target_core_user, starts under its sandbox and serves a user:rd LUN
# through tcm_loop; `systemctl reload` delivers SIGHUP and the daemon lives
# on; a crash (SIGKILL) is restarted by systemd and `systemctl restart` brings
# the LUN back with its data (the rd handler's storage in /dev/shm is the
# system's, not one private to the service); the journal keeps every log line with its
# priority; `systemctl stop` ends the daemon with status 0 and no failed
# state.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/lib_targetcli.sh
. "$(dirname "$0")/lib_targetcli.sh"

[ "${TCMUD_VM_SYSTEMD:-0}" = 1 ] || fail "run this with tests/vm/run --systemd"

SIZE=$((16 << 20))
UNIT=tcmud.service
UNIT_DIR=/etc/systemd/system
# CAP_NET_ADMIN (12), the unit's whole capability bounding set.
CAPS=0000000000001000

# sd_quote ARG: ARG as one double-quoted word of a unit's command line.
sd_quote() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g; s/%/%%/g; s/\$/$$/g')"
}

# prop NAME: one property of the unit (systemctl show).
prop() { systemctl show -P "$1" "$UNIT"; }

# prop_is NAME VALUE: the property NAME is VALUE.
prop_is() { [ "$(prop "$1")" = "$2" ]; }

# main_pid: the daemon's pid; fails when the unit has none.
main_pid() {
	local pid
	pid=$(prop MainPID)
	case "$pid" in "" | 0) fail "$UNIT has no main process" ;; esac
	echo "$pid"
}

# journal_log: the unit's journal, also as TCMUD_LOG, which lib.sh prints
# when the scenario fails and checks for sanitizer reports.
journal_log() {
	journalctl -u "$UNIT" --no-pager -o short-monotonic >"$TCMUD_LOG" 2>&1 || true
}
# (lib.sh's _on_exit takes the scenario's status from $?.)
_service_exit() {
	local rc=$?
	set +e
	journal_log
	return "$rc"
}
trap '_service_exit; _on_exit' EXIT

# holds_uio PID UIO: PID has /dev/UIO open.
holds_uio() { [ -n "$(find "/proc/$1/fd" -lname "/dev/$2" 2>/dev/null)" ]; }

# served PID [NAME]: PID has the uio of device NAME (default sv0) open.
served() {
	local uio name=${2:-sv0}
	uio=$(user_dev_uio "$name") || fail "no uio device for $name"
	wait_for 60 holds_uio "$1" "$uio" || fail "tcmud (pid $1) did not open /dev/$uio"
	note "pid $1 serves $name (/dev/$uio)"
}

# bus_owner_is PID: PID owns org.kernel.TCMUService1 on the system bus.
bus_owner_is() {
	[ "$(gdbus call --system -d org.freedesktop.DBus -o /org/freedesktop/DBus \
		-m org.freedesktop.DBus.GetConnectionUnixProcessID org.kernel.TCMUService1 2>/dev/null)" = "(uint32 $1,)" ]
}

# pid_log PID ERE: PID's journal lines matching ERE.
pid_log() { journalctl -u "$UNIT" "_PID=$1" --no-pager -o cat | grep -E -- "$2"; }

# mark: remember the end of the unit's journal; since_mark prints what
# came after it. (The stopped unit's Result and ExecMainStatus cannot be
# asked for: systemd unloads an inactive unit nothing refers to, and loads
# it afresh, with empty values, for systemctl show. What systemd logged
# about the stop stays.)
MARK=$TCMUD_VM_SCRATCH/journal.cursor
mark() {
	rm -f "$MARK"
	journalctl -u "$UNIT" -q -n 1 --cursor-file="$MARK" >/dev/null
}
since_mark() { journalctl -u "$UNIT" --no-pager -q -o cat --cursor-file="$MARK"; }

# assert_stopped_cleanly WHAT: since mark, the daemon was stopped and exited
# with status 0: systemd logged "Deactivated successfully", and no failure
# and no unclean exit (it logs the main process's exit only when that is
# not a clean one).
assert_stopped_cleanly() {
	local log
	log=$(since_mark)
	grep -q "^$UNIT: Deactivated successfully" <<<"$log" ||
		fail "$1: systemd did not log that $UNIT was deactivated successfully"
	if grep -E "^$UNIT: (Failed with result|Main process exited)" <<<"$log"; then
		fail "$1: tcmud did not exit cleanly"
	fi
	if systemctl -q is-failed "$UNIT"; then fail "$1: $UNIT is in the failed state"; fi
	note "$1: tcmud exited with status 0 (\"Deactivated successfully\"), $UNIT is not failed"
}

step "install $UNIT from $TCMUD_BUILD with a drop-in for this build"
[ -f "$TCMUD_BUILD/$UNIT" ] || fail "$TCMUD_BUILD/$UNIT is missing (build the project first)"
[ -x "$TCMUD_BIN" ] || fail "$TCMUD_BIN is missing (build the project first)"
install -m 644 "$TCMUD_BUILD/$UNIT" "$UNIT_DIR/$UNIT"
mkdir -p "$UNIT_DIR/$UNIT.d"
DROPIN=$UNIT_DIR/$UNIT.d/build.conf
{
	echo "[Service]"
	echo "ExecStart="
	echo "ExecStart=$(sd_quote "$TCMUD_BIN") --handler-dir $(sd_quote "$TCMUD_HANDLERS") --log-level debug"
	echo "Environment=$(sd_quote "ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}")"
	# LeakSanitizer stops the threads with ptrace(2) to scan them at exit,
	# which the unit's system call filter refuses.
	if grep -aq __asan_init "$TCMUD_BIN"; then echo "SystemCallFilter=ptrace"; fi
	# A build tree under /home or /root is hidden by ProtectHome=yes, one
	# under /tmp or /var/tmp by PrivateTmp=yes (a clone in /tmp, as CI may
	# make).
	case "$TCMUD_BUILD" in
	/home/* | /root/* | /run/user/*) echo "ProtectHome=read-only" ;;
	/tmp/* | /var/tmp/*) echo "PrivateTmp=no" ;;
	esac
} >"$DROPIN"
# The daemon reports READY=1 and feeds the watchdog through sd_notify(3);
# a build that cannot is run as Type=simple without the watchdog.
if grep -aq 'WATCHDOG=1' "$TCMUD_BIN"; then
	NOTIFY=1
	note "tcmud speaks sd_notify: the unit's Type=notify and watchdog apply"
else
	NOTIFY=0
	printf 'Type=simple\nWatchdogSec=0\n' >>"$DROPIN"
	note "tcmud does not speak sd_notify: Type=simple, no watchdog (drop-in)"
fi
sed 's/^/    | /' "$DROPIN"
must systemctl daemon-reload
must systemd-analyze verify "$UNIT"
assert_eq loaded "$(prop LoadState)" "LoadState"
assert_match 'tcmu-runner\.service' "$(prop Conflicts)" "Conflicts"
if [ -d /sys/module/target_core_user ]; then fail "target_core_user is loaded before tcmud starts"; fi
note "$UNIT loaded; target_core_user is not loaded yet"

step "the system bus: tcmud's policy"
system_bus_policy
# dbus.service reads its policies when it starts; one already running
# (socket-activated during the boot) is told to read them again.
if systemctl -q is-active dbus.service; then must systemctl reload dbus.service; fi
note "/etc/dbus-1/system.d/org.kernel.TCMUService1.conf in place"

step "systemctl start $UNIT"
run_timeout 120 "systemctl start $UNIT" systemctl start "$UNIT"
T_START=$(date +%s)
assert_eq active "$(prop ActiveState)" "ActiveState after start"
PID=$(main_pid)
assert_eq "$(readlink -f "$TCMUD_BIN")" "$(readlink "/proc/$PID/exe")" "the main process's binary"
[ -d /sys/module/target_core_user ] || fail "starting $UNIT did not load target_core_user"
note "tcmud runs as pid $PID; target_core_user was loaded for it"
if [ "$NOTIFY" = 1 ]; then
	# Type=notify: start returned after READY=1, so netlink is up already.
	_tcmud_has_genl "$PID" || fail "$UNIT is active but tcmud has no netlink socket"
	note "READY=1 came after netlink was up"
else
	wait_for 30 _tcmud_has_genl "$PID" || fail "tcmud opened no netlink socket within 30 s"
fi
st=/proc/$PID/status
assert_eq 1 "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$st")" "NoNewPrivs"
assert_eq 2 "$(awk '$1 == "Seccomp:" { print $2 }' "$st")" "Seccomp (filter mode)"
assert_eq "$CAPS" "$(awk '$1 == "CapBnd:" { print $2 }' "$st")" "capability bounding set"
note "sandboxed: no new privileges, a seccomp filter, CAP_NET_ADMIN only"

step "serve a user:rd LUN through tcm_loop"
lio_load
D=$(cfs_dev_path user_0 sv0)
user_dev_create sv0 "$SIZE"
served "$PID"
loop_attach "$D"
SD=$LOOP_SD
write_verify "$SD" "$SIZE" sv-a
shm=$(find /dev/shm -maxdepth 1 -name 'tcmud-rd.*sv0*' | head -n 1)
[ -n "$shm" ] || fail "no rd storage file for sv0 in /dev/shm"
note "the rd handler's storage is $shm, visible outside the service"

step "targetcli: a second LUN through the service's D-Bus name"
wait_for 30 bus_owner_is "$PID" || fail "tcmud (pid $PID) does not own org.kernel.TCMUService1"
tcli /backstores/user:rd create name=sv1 size="$SIZE" cfgstring=
D1=$(so_dir sv1) || fail "targetcli made no storage object sv1"
served "$PID" sv1
loop_attach "$D1"
SD1=$LOOP_SD
write_verify "$SD1" "$SIZE" sv1-a

step "systemctl reload $UNIT: SIGHUP, the daemon lives on"
run_timeout 60 "systemctl reload $UNIT" systemctl reload "$UNIT"
wait_for 30 pid_log "$PID" 'SIGHUP' || fail "no SIGHUP line from pid $PID after the reload"
note "log: $(pid_log "$PID" 'SIGHUP' | tail -n 1)"
assert_eq active "$(prop ActiveState)" "ActiveState after reload"
assert_eq "$PID" "$(main_pid)" "main pid after reload"
read_verify "$SD" "$SIZE" sv-a

if [ "$NOTIFY" = 1 ]; then
	step "the watchdog is fed"
	assert_eq 10s "$(prop WatchdogUSec)" "WatchdogUSec"
	# Let more than WatchdogSec pass since the start.
	[ $(($(date +%s) - T_START)) -gt 11 ] || sleep $((12 - ($(date +%s) - T_START)))
	assert_eq "$PID" "$(main_pid)" "main pid after WatchdogSec"
	assert_eq 0 "$(prop NRestarts)" "restarts"
	note "pid $PID is still there after more than WatchdogSec"
fi

step "a crash: SIGKILL, and systemd restarts tcmud (Restart=on-failure)"
must systemctl kill --signal=SIGKILL "$UNIT"
wait_for 60 prop_is NRestarts 1 || fail "$UNIT was not restarted after SIGKILL"
wait_for 60 prop_is ActiveState active || fail "$UNIT is not active after its restart"
NEW=$(main_pid)
[ "$NEW" != "$PID" ] || fail "the main pid did not change after SIGKILL"
PID=$NEW
served "$PID"
read_verify "$SD" "$SIZE" sv-a
write_verify "$SD" "$SIZE" sv-b

step "systemctl restart $UNIT: the LUN serves again with its data"
mark
run_timeout 120 "systemctl restart $UNIT" systemctl restart "$UNIT"
assert_eq active "$(prop ActiveState)" "ActiveState after restart"
NEW=$(main_pid)
[ "$NEW" != "$PID" ] || fail "the main pid did not change with restart"
assert_stopped_cleanly "restart"
PID=$NEW
served "$PID"
read_verify "$SD" "$SIZE" sv-b
write_verify "$SD" "$SIZE" sv-c
served "$PID" sv1
read_verify "$SD1" "$SIZE" sv1-a
wait_for 30 bus_owner_is "$PID" || fail "the restarted tcmud does not own its D-Bus name"
out=$("$TCMUD_BUILD/src/tcmudctl/tcmudctl" status --interval 0) || fail "tcmudctl status: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
assert_match "^sv0 +rd " "$out" "tcmudctl lists sv0"
assert_match "^sv1 +rd " "$out" "tcmudctl lists sv1"

step "systemctl status $UNIT"
out=$(systemctl status --no-pager -n 5 "$UNIT") || fail "systemctl status $UNIT: status $?"
printf '%s\n' "$out" | sed 's/^/    | /'
assert_match 'Active: active \(running\)' "$out" "systemctl status"

step "the journal has tcmud's lines with their priorities"
journalctl -u "$UNIT" --no-pager -o json >"$TCMUD_VM_SCRATCH/journal.json"
"$PY" - "$TCMUD_VM_SCRATCH/journal.json" <<'EOF' || fail "the journal's priorities do not match tcmud's levels"
import json, sys
want = {"error": "3", "warn": "4", "info": "6", "debug": "7"}
seen, bad = {}, []
for line in open(sys.argv[1]):
    e = json.loads(line)
    msg = e.get("MESSAGE")
    if e.get("SYSLOG_IDENTIFIER") != "tcmud" or not isinstance(msg, str):
        continue
    if msg.startswith("<") and msg[1:2].isdigit():
        bad.append("priority prefix left in the text: " + msg)
    level = msg.split(":", 1)[0]
    if level in want:
        seen[level] = seen.get(level, 0) + 1
        if e.get("PRIORITY") != want[level]:
            bad.append("PRIORITY=%s: %s" % (e.get("PRIORITY"), msg))
print("    tcmud's journal lines by level:", ", ".join("%s %d" % kv for kv in sorted(seen.items())))
for b in bad[:10]:
    print("    " + b)
sys.exit(1 if bad or not seen.get("info") or not seen.get("debug") else 0)
EOF
# Whatever the sandbox refuses (a configfs write, a device, a system call)
# shows up as a warning or an error; a healthy run has none.
out=$(journalctl -u "$UNIT" --no-pager -o cat -p warning SYSLOG_IDENTIFIER=tcmud)
[ -z "$out" ] || fail "tcmud logged warnings or errors: $out"
note "no warnings or errors from tcmud"
out=$(journalctl -u "$UNIT" --no-pager -o cat -p info "_PID=$PID")
assert_match '^info: ' "$out" "journalctl -p info"
if grep -q '^debug: ' <<<"$out"; then fail "journalctl -p info shows debug lines"; fi
note "journalctl -p info: $(grep -c . <<<"$out") lines of pid $PID, no debug ones"

step "clean up the LUNs"
loop_detach "$D"
dev_remove user_0 sv0
loop_detach "$D1"
tcli /backstores/user:rd delete sv1

step "systemctl stop $UNIT"
mark
run_timeout 60 "systemctl stop $UNIT" systemctl stop "$UNIT"
assert_eq inactive "$(prop ActiveState)" "ActiveState after stop"
assert_stopped_cleanly "stop"
journal_log
step "passed"
