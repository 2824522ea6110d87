#!/bin/sh
# Install the Debian 12 packages tcmud needs to build, test and run its
# real-kernel tests. Idempotent: installs only what is missing. Needs root.
#
#   install-deps.sh [all]   build and test packages (make deps)
#   install-deps.sh build   build packages only
#   install-deps.sh peers   the peers `make bench` and `make conformance`
#                           measure tcmud against (tcmu-runner), no dependency
#                           of tcmud
set -eu

BUILD_PKGS="cmake make gcc pkg-config libnl-3-dev libnl-genl-3-dev libglib2.0-dev libjson-glib-dev libcmocka-dev libisal-dev libsystemd-dev"
TEST_PKGS="valgrind qemu-system-x86 qemu-utils qemu-block-extra busybox-static cpio kmod sg3-utils libiscsi-bin fio targetcli-fb python3-rtslib-fb dbus open-iscsi e2fsprogs groff-base"

PEER_PKGS="tcmu-runner"

case "${1:-all}" in
build) PKGS="$BUILD_PKGS" ;;
peers) PKGS="$PEER_PKGS" ;;
*) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
esac

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Some packages ship services (open-iscsi: iscsid, dbus, tcmu-runner): the
# tests start what they need inside the guest, nothing is started on this
# machine.
policy=/usr/sbin/policy-rc.d
added=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	added=1
fi
rc=0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing || rc=$?
[ "$added" = 0 ] || rm -f "$policy"
exit "$rc"
