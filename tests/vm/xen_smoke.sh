#!/bin/bash
# Run with tests/vm/run --xen: the kernel is a PV dom0 under Xen 4.17, the
# event channel device works, and a loopback pair of event channels in dom0
# delivers notifications both ways through /dev/xen/evtchn.
. "$(dirname "$0")/lib.sh"

step "running under Xen"
[ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ] || fail "/sys/hypervisor/type is not xen"
note "Xen $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)"
# (grep -c reads everything: with pipefail, grep -q could kill dmesg with SIGPIPE)
[ "$(dmesg | grep -c 'Hypervisor detected: Xen PV')" != 0 ] || fail "the kernel did not boot as a Xen PV guest"
[ -d /proc/xen ] || fail "no /proc/xen: not a Xen domain"

step "modprobe xen-evtchn gives /dev/xen/evtchn"
modprobe xen-evtchn
wait_for 10 test -c /dev/xen/evtchn || fail "/dev/xen/evtchn did not appear"
must ls -l /dev/xen/evtchn

step "a loopback pair of event channels in dom0"
must "$PY" - <<'PY'
import fcntl, os, select, struct

def ioc(nr, size):            # _IOC(_IOC_NONE, 'E', nr, size)
    return (size << 16) | (ord("E") << 8) | nr

BIND_INTERDOMAIN, BIND_UNBOUND_PORT, NOTIFY = ioc(1, 8), ioc(2, 4), ioc(4, 4)

def call(fd, req, *args):
    # With a mutable buffer fcntl.ioctl returns the ioctl's return value: the port.
    return fcntl.ioctl(fd, req, bytearray(struct.pack("I" * len(args), *args)))

def expect(fd, port):
    r, _, _ = select.select([fd], [], [], 5)
    assert r, "no event within 5 s"
    got = struct.unpack("I", os.read(fd, 4))[0]
    assert got == port, f"event on port {got}, expected {port}"
    os.write(fd, struct.pack("I", port))    # unmask

a = os.open("/dev/xen/evtchn", os.O_RDWR)
b = os.open("/dev/xen/evtchn", os.O_RDWR)
pa = call(a, BIND_UNBOUND_PORT, 0)
pb = call(b, BIND_INTERDOMAIN, 0, pa)
print(f"A bound unbound port {pa}, B bound port {pb} to it")
for i in range(3):
    call(a, NOTIFY, pa)
    expect(b, pb)
    call(b, NOTIFY, pb)
    expect(a, pa)
print("3 notifications each way delivered")
PY
step "passed"
