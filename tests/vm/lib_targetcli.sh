#!/bin/bash
# targetcli and the system bus in the guest. Sourced after lib.sh.

# tcli ARGS...: one targetcli command (never hangs the scenario), output shown.
TCLI_OUT=""
tcli() {
	local rc=0
	TCLI_OUT=$(timeout 120 targetcli "$@" 2>&1) || rc=$?
	[ -z "$TCLI_OUT" ] || printf '%s\n' "$TCLI_OUT" | sed 's/^/    | /'
	[ "$rc" = 0 ] || fail "'targetcli $*' exited with status $rc"
}

# so_dir NAME: the configfs directory of storage object NAME (rtslib picks
# the user_N HBA).
so_dir() {
	local d
	for d in "$TARGET"/core/user_*/"$1"; do
		[ -d "$d" ] || return 1
		echo "$d"
		return 0
	done
	return 1
}

# system_bus_policy: tcmud's D-Bus policy in place (only root owns
# org.kernel.TCMUService1 and registers handlers) and nothing else for the
# name: the host may have tcmu-runner installed, whose policy would let
# anyone call RegisterHandler and whose activation file would start it.
system_bus_policy() {
	rm -f /etc/dbus-1/system.d/tcmu-runner.conf \
		/usr/share/dbus-1/system-services/org.kernel.TCMUService1.service
	install -m 0644 "$TCMUD_SRC/conf/org.kernel.TCMUService1.conf" /etc/dbus-1/system.d/
}

# system_bus_start: the system D-Bus, with system_bus_policy, where no
# service manager runs one.
system_bus_start() {
	system_bus_policy
	mkdir -p /run/dbus
	must dbus-daemon --system --fork
	wait_for 30 test -S /run/dbus/system_bus_socket || fail "the system bus did not come up"
}
