#!/bin/bash
# The Linux iSCSI initiator in the guest: open-iscsi's iscsid and iscsiadm,
# the kernel's iscsi_tcp and sd. Sourced after lib.sh; the caller may set
# INITIATOR (the initiator name), ISCSID_LOG and ISCSI_TIMEOUT first.
#
# Running open-iscsi 2.1.8 (Debian 12) in this guest, where nothing else
# runs, has traps:
#   - iscsiadm starts iscsid on its own with iscsid.startup, which is
#     "systemctl start iscsid.socket": there is no systemd here. iscsid is
#     started by hand in the foreground (-f, no pid file) and the guest's
#     iscsid.conf sets iscsid.startup to /bin/false, so a dead daemon is an
#     error instead of a wait.
#   - iscsid and iscsiadm talk over the abstract unix socket
#     @ISCSIADM_ABSTRACT_NAMESPACE; it is in /proc/net/unix once iscsid is
#     ready. Before that iscsiadm fails ("can not connect to iSCSI daemon").
#   - The guest's /etc is a writable overlay over the host's: the host's
#     initiator name, iscsid.conf and node records (/etc/iscsi/nodes,
#     send_targets) are replaced or removed in the overlay only.
#   - iscsi_tcp is loaded first, so that a missing module fails here and
#     not inside iscsiadm. The session's LUN scan runs in iscsid after the login, so the
#     disk appears a little after iscsiadm returns; it is found under
#     /sys/class/iscsi_session/sessionN/device/target*/ by the session's
#     targetname, and devtmpfs makes its /dev node.
#   - iscsid's SIGTERM handler sends SIGTERM to its process group: started
#     from this script without a session of its own, stopping it kills the
#     script too (status 143). It runs under setsid.
#   - iscsiadm --logout with a mounted file system does not refuse
#     (iscsid.safe_logout defaults to No): file systems are unmounted first.

INITIATOR=${INITIATOR:-iqn.2003-01.org.tcmud.test:initiator}
ISCSID_LOG=${ISCSID_LOG:-$TCMUD_VM_RESULTS/iscsid.log}
ISCSID_PID=""
# Every iscsiadm call and wait is bounded.
ISCSI_TIMEOUT=${ISCSI_TIMEOUT:-60}

# adm ARGS...: iscsiadm with a timeout; output shown, failure fails.
adm() { must timeout -k 5 "$ISCSI_TIMEOUT" iscsiadm "$@"; }

_iscsid_listening() { grep -q '@ISCSIADM_ABSTRACT_NAMESPACE' /proc/net/unix; }

iscsid_start() {
	modprobe iscsi_tcp || fail "modprobe iscsi_tcp"
	mkdir -p /etc/iscsi /run/lock/iscsi
	rm -rf /etc/iscsi/nodes /etc/iscsi/send_targets /etc/iscsi/ifaces
	printf 'InitiatorName=%s\n' "$INITIATOR" >/etc/iscsi/initiatorname.iscsi
	# NOP-Out timeouts are generous: under TCG a busy guest can be slow to
	# answer, and a missed NOP-In drops the connection.
	cat >/etc/iscsi/iscsid.conf <<'EOF'
iscsid.startup = /bin/false
node.startup = manual
node.session.scan = auto
node.session.initial_login_retry_max = 2
node.session.timeo.replacement_timeout = 20
node.conn[0].timeo.login_timeout = 15
node.conn[0].timeo.logout_timeout = 15
node.conn[0].timeo.noop_out_interval = 10
node.conn[0].timeo.noop_out_timeout = 30
node.session.err_timeo.abort_timeout = 15
node.session.err_timeo.lu_reset_timeout = 30
node.session.err_timeo.tgt_reset_timeout = 30
node.session.err_timeo.host_reset_timeout = 60
EOF
	# In its own session: on SIGTERM iscsid signals its whole process group.
	setsid iscsid -f -n >>"$ISCSID_LOG" 2>&1 </dev/null &
	ISCSID_PID=$!
	wait_for 30 _iscsid_listening || {
		kill -0 "$ISCSID_PID" 2>/dev/null || fail "iscsid exited at start (see $ISCSID_LOG)"
		fail "iscsid is not listening for iscsiadm after 30 s"
	}
	note "iscsid $(iscsid -v | awk '{ print $NF }') running as pid $ISCSID_PID, initiator $INITIATOR"
}

# _session NAME: prints the sysfs directory of the session to NAME's target.
_session() {
	local s
	for s in /sys/class/iscsi_session/session*; do
		[ -e "$s/targetname" ] || continue
		[ "$(cat "$s/targetname")" = "$(_iqn "$1")" ] || continue
		echo "$s"
		return 0
	done
	return 1
}

# _session_disk NAME: prints the block device (sdX) of LUN 0 of NAME's session.
_session_disk() {
	local s b
	s=$(_session "$1") || return 1
	for b in "$s"/device/target*/*:0/block/*; do
		[ -e "$b" ] || continue
		basename "$b"
		return 0
	done
	return 1
}

_no_session() { ! _session "$1"; }

# login NAME: log in to NAME's target; SD gets its /dev/sdX.
SD=""
login() {
	local iqn b
	iqn=$(_iqn "$1")
	adm -m node -T "$iqn" -p "$ISCSI_PORTAL" --login
	wait_for "$ISCSI_TIMEOUT" _session_disk "$1" ||
		fail "no disk appeared for the session to $iqn within $ISCSI_TIMEOUT s"
	b=$(_session_disk "$1")
	SD=/dev/$b
	wait_for 10 test -b "$SD" || fail "$SD did not appear"
	# The target sees this initiator's session.
	grep -qx "$INITIATOR" "$TARGET/iscsi/$iqn/tpgt_1/dynamic_sessions" ||
		fail "LIO has no session from $INITIATOR on $iqn: $(cat "$TARGET/iscsi/$iqn/tpgt_1/dynamic_sessions")"
	dmesg | grep -F "[$b]" | tail -n 6 | sed 's/^/    | /'
	note "$1 is $SD ($(basename "$(_session "$1")"), $(cat "/sys/block/$b/device/vendor") $(cat "/sys/block/$b/device/model"), $(($(cat "/sys/block/$b/size") * 512 >> 20)) MiB)"
}

# logout NAME: log out of NAME's target and wait for its disk to go.
logout() {
	adm -m node -T "$(_iqn "$1")" -p "$ISCSI_PORTAL" --logout
	wait_for 30 _no_session "$1" || fail "the session to $(_iqn "$1") is still there"
	[ ! -b "$SD" ] || wait_for 10 test ! -b "$SD" || fail "$SD is still there after logout"
}

# iscsid_stop: log out of every session and stop iscsid (for cleanup: never
# fails, each step bounded).
iscsid_stop() {
	[ -n "$ISCSID_PID" ] || return 0
	! compgen -G '/sys/class/iscsi_session/session*' >/dev/null ||
		timeout -k 5 60 iscsiadm -m node --logoutall=all >/dev/null 2>&1
	kill -TERM "$ISCSID_PID" 2>/dev/null
	wait "$ISCSID_PID" 2>/dev/null
	ISCSID_PID=""
}
