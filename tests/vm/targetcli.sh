#!/bin/bash
# targetcli drives tcmud through D-Bus, as it drives tcmu-runner: the
# guest's system bus runs with conf/org.kernel.TCMUService1.conf (and
# without tcmu-runner's policy and activation file), tcmud owns
# org.kernel.TCMUService1, and Debian's targetcli (targetcli-fb, rtslib-fb):
#
#   - lists the user:rd backstore with the rd handler's description;
#   - creates a user:rd device with cfgstring pi=1, which tcmud serves with
#     protection information (READ CAPACITY(16) PROT_EN=1 through tcm_loop
#     and over iSCSI), and refuses cfgstring pi=9 with the rd handler's
#     message, creating nothing;
#   - exports it through tcm_loop and iSCSI (luns, portal,
#     generate_node_acls); a pattern written through the tcm_loop disk
#     reads back through it and over iSCSI;
#   - saveconfig, clearconfig, restoreconfig: the device, its LUNs and its
#     PI come back, served by tcmud, and take a new pattern;
#   - deletes the device: tcmud lets go of it and serves nothing.
#
# The bus policy is checked on the real bus too: an unprivileged user may
# list the handlers and check a cfgstring, not register a handler.
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/vm/lib_targetcli.sh
. "$(dirname "$0")/lib_targetcli.sh"

SIZE=$((64 << 20))
LOOP_WWN=naa.5001405dbe000001
IQN=iqn.2003-01.org.tcmud.test:tcli


# as_nobody CMD...: CMD as uid/gid 65534.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# loop_disk: sets LOOP_SD to the /dev/sdX of LUN 0 of the targetcli loopback target.
loop_disk() {
	loop_tpg_disk "$TARGET/loopback/$LOOP_WWN/tpgt_1"
	note "rd0 is $LOOP_SD through tcm_loop (SCSI $LOOP_ADDR)"
}

# iscsi_holds SEED: reading rd0 over iSCSI gives the pattern written as SEED.
iscsi_holds() {
	local back=$TCMUD_VM_SCRATCH/iscsi.back
	must qemu-img convert -f raw -O raw "iscsi://127.0.0.1/$IQN/0" "$back"
	cmp "$TCMUD_VM_SCRATCH/pattern.$1" "$back" || fail "iSCSI reads other data than was written"
	rm -f "$back"
	note "the same $((SIZE >> 20)) MiB over iSCSI"
}

# check_pi: READ CAPACITY(16) reports PI type 1 through tcm_loop and iSCSI.
check_pi() {
	local out
	# A restored LUN starts with a unit attention (INQUIRY DATA HAS CHANGED:
	# rtslib sets the unit serial after the LUN exists); take it first.
	sg_turs "$LOOP_SD" >/dev/null 2>&1 || true
	out=$(sg_readcap --16 "$LOOP_SD") || fail "sg_readcap --16 $LOOP_SD: $out"
	printf '%s\n' "$out" | grep -E 'prot_en|Number of logical blocks|Logical block length' |
		sed 's/^/    | /'
	assert_match "prot_en=1, p_type=0" "$out" "READ CAPACITY(16) through tcm_loop"
	out=$(iscsi-readcapacity16 "iscsi://127.0.0.1/$IQN/0") ||
		fail "iscsi-readcapacity16: $out"
	printf '%s\n' "$out" | sed 's/^/    | /'
	assert_match "^P_TYPE:0 PROT_EN:1\$" "$out" "READ CAPACITY(16) over iSCSI"
	assert_match "^Total size:$SIZE\$" "$out" "size over iSCSI"
}

not_held() { ! tcmud_holds_uio "$1"; }

# sg_write_verify DEV SIZE SEED / sg_read_verify DEV SIZE SEED: like
# write_verify and read_verify, with READ(10)/WRITE(10) through SG_IO and
# RDPROTECT/WRPROTECT 0 (tcmud generates and checks the PI). The block layer
# cannot do it on this disk: tcm_loop offers DIX, so the sd driver sends
# WRPROTECT=1 with the PI in a separate buffer, which target_core_user does
# not carry to userspace.
sg_write_verify() {
	local pat=$TCMUD_VM_SCRATCH/pattern.$3
	[ -e "$pat" ] || make_pattern "$pat" "$2" "$3"
	must sg_dd if="$pat" of="$1" bs=512 blk_sgio=1 sync=1
	sg_read_verify "$@"
}

sg_read_verify() {
	local pat=$TCMUD_VM_SCRATCH/pattern.$3 back=$TCMUD_VM_SCRATCH/readback.$3
	must sg_dd if="$1" of="$back" bs=512 count=$(($2 / 512)) blk_sgio=1
	cmp "$pat" "$back" || fail "$1 does not hold the data written as $3"
	rm -f "$back"
	note "$(($2 >> 20)) MiB on $1 hold the pattern $3 (SG_IO)"
}

# served: tcmud holds the uio device of rd0 and its dev_config is rd/pi=1.
served() {
	local uio
	uio=$(user_dev_uio rd0) || fail "no uio device for rd0"
	assert_match "^tcm-user/[0-9]+/rd0/rd/pi=1\$" "$(cat "/sys/class/uio/$uio/name")" \
		"uio name of rd0"
	wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud does not hold /dev/$uio"
	note "tcmud serves rd0 (/dev/$uio)"
}

# ext_handler: a process serving subtype "ext" itself, registered the way
# tcmu-runner's libtcmu does it: it owns
# org.kernel.TCMUService1.HandlerManager1.ext, answers CheckConfig there and
# calls RegisterHandler. Prints the answer.
ext_handler() {
	exec "$PY" - <<'EOF'
import sys
from gi.repository import Gio, GLib

XML = """<node><interface name="org.kernel.TCMUService1">
<method name="CheckConfig"><arg type="s" direction="in"/><arg type="b" direction="out"/>
<arg type="s" direction="out"/></method></interface></node>"""
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)

def check(conn, sender, path, iface, method, params, inv):
    cfg = params.unpack()[0]
    ok = "bad" not in cfg
    inv.return_value(GLib.Variant("(bs)", (ok, "ext %s %s" % ("takes" if ok else "refuses", cfg))))

def registered(conn, res):
    ok, msg = conn.call_finish(res).unpack()
    print("RegisterHandler: %s %s" % (ok, msg), flush=True)

def acquired(conn, name):
    conn.call("org.kernel.TCMUService1", "/org/kernel/TCMUService1/HandlerManager1",
              "org.kernel.TCMUService1.HandlerManager1", "RegisterHandler",
              GLib.Variant("(ss)", ("ext", "an external test handler")),
              GLib.VariantType("(bs)"), Gio.DBusCallFlags.NONE, -1, None, registered)

bus.register_object("/org/kernel/TCMUService1/HandlerManager1/ext",
                    Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0], check, None, None)
Gio.bus_own_name_on_connection(bus, "org.kernel.TCMUService1.HandlerManager1.ext",
                               Gio.BusNameOwnerFlags.NONE, acquired, None)
GLib.MainLoop().run()
EOF
}

step "load LIO; the system bus with tcmud's policy only"
lio_load
system_bus_start

step "start tcmud: it owns org.kernel.TCMUService1 on the system bus"
tcmud_start
wait_log "D-Bus: org.kernel.TCMUService1 acquired on the system bus; handlers published: rd" 30
out=$(gdbus call --system -d org.freedesktop.DBus -o /org/freedesktop/DBus \
	-m org.freedesktop.DBus.GetConnectionUnixProcessID org.kernel.TCMUService1)
assert_eq "(uint32 $TCMUD_PID,)" "$out" "owner of org.kernel.TCMUService1"

step "the policy: anyone lists handlers and checks a cfgstring, only root registers"
out=$(as_nobody gdbus call --system -d org.kernel.TCMUService1 -o /org/kernel/TCMUService1 \
	-m org.freedesktop.DBus.ObjectManager.GetManagedObjects) || fail "GetManagedObjects: $out"
assert_match "'/org/kernel/TCMUService1/rd': \{'org.kernel.TCMUService1': \{'ConfigDesc': <[\"']RAM disk" \
	"$out" "GetManagedObjects as uid 65534"
out=$(as_nobody gdbus call --system -d org.kernel.TCMUService1 -o /org/kernel/TCMUService1/rd \
	-m org.kernel.TCMUService1.CheckConfig rd/pi=1) || fail "CheckConfig: $out"
assert_eq "(true, 'success')" "$out" "CheckConfig as uid 65534"
must_fail as_nobody gdbus call --system -d org.kernel.TCMUService1 \
	-o /org/kernel/TCMUService1/HandlerManager1 \
	-m org.kernel.TCMUService1.HandlerManager1.RegisterHandler evil "x"
assert_match "AccessDenied" "$MUST_FAIL_OUT" "RegisterHandler as uid 65534"

step "targetcli lists user:rd with the rd handler's description"
tcli ls /backstores 1
assert_match "o- user:rd " "$TCLI_OUT" "backstores"
tcli /backstores/user:rd help create
assert_match "RAM disk; options 'key=value' separated by ';'" "$TCLI_OUT" "help create"

step "a bogus cfgstring is refused with the rd handler's message"
rc=0
out=$(timeout 120 targetcli /backstores/user:rd create name=bad0 size=64M cfgstring=pi=9 2>&1) ||
	rc=$?
printf '%s\n' "$out" | sed 's/^/    | /'
[ "$rc" != 0 ] || fail "targetcli created a device with cfgstring pi=9"
assert_match "cfgstring invalid: handler 'rd' refuses config 'pi=9': .*pi= takes 0, 1, 2 or 3" \
	"$out" "targetcli's message"
! so_dir bad0 >/dev/null || fail "a storage object bad0 exists"

step "a handler of another process: listed by targetcli, its CheckConfig answers"
ext_out=$TCMUD_VM_SCRATCH/ext.out
ext_handler >"$ext_out" 2>&1 &
EXT_PID=$!
wait_for 30 grep -q "^RegisterHandler: True succeeded" "$ext_out" || {
	cat "$ext_out"
	fail "the external handler was not registered"
}
tcli ls /backstores 1
assert_match "o- user:ext " "$TCLI_OUT" "backstores with the external handler"
rc=0
out=$(timeout 120 targetcli /backstores/user:ext create name=x0 size=1M cfgstring=bad 2>&1) ||
	rc=$?
printf '%s\n' "$out" | sed 's/^/    | /'
[ "$rc" != 0 ] || fail "targetcli created a user:ext device with cfgstring bad"
assert_match "cfgstring invalid: ext refuses ext/bad" "$out" "the external handler's message"
mark=$(log_lines)
kill "$EXT_PID"
wait "$EXT_PID" 2>/dev/null || true
wait_log "handler 'ext' unpublished: .* left the bus" 30 "$mark"
tcli ls /backstores 1
grep -q "user:ext" <<<"$TCLI_OUT" && fail "targetcli still lists user:ext"

step "create user:rd rd0 with cfgstring pi=1"
mark=$(log_lines)
tcli /backstores/user:rd create name=rd0 size=64M cfgstring=pi=1
assert_match "Created user-backed storage object rd0 size $SIZE" "$TCLI_OUT" "create"
wait_log "CheckConfig\('rd/pi=1'\) from .*: success" 10 "$mark"
served
WWN=$(sed -n 's/.*T10 VPD Unit Serial Number: //p' "$(so_dir rd0)/wwn/vpd_unit_serial")
[ -n "$WWN" ] || fail "rd0 has no unit serial"
note "targetcli gave rd0 the unit serial $WWN"

step "export it through tcm_loop and iSCSI with targetcli"
tcli /loopback create "$LOOP_WWN"
tcli "/loopback/$LOOP_WWN/luns" create /backstores/user:rd/rd0
tcli /iscsi create "$IQN"
tcli "/iscsi/$IQN/tpg1/luns" create /backstores/user:rd/rd0
tcli "/iscsi/$IQN/tpg1" set attribute authentication=0 generate_node_acls=1 \
	demo_mode_write_protect=0
tcli ls "/iscsi/$IQN"
assert_match "o- 0.0.0.0:3260 " "$TCLI_OUT" "the iSCSI portal"
loop_disk
check_pi

step "a pattern through the tcm_loop disk; read back through it and over iSCSI"
sg_write_verify "$LOOP_SD" "$SIZE" tcli-a
iscsi_holds tcli-a
# What the initiator sees as the unit serial (tcmud reads it when it opens
# the device; rtslib writes it after the enable).
note "INQUIRY unit serial through tcm_loop: $(sg_inq -p 0x80 "$LOOP_SD" 2>&1 |
	sed -n 's/^ *Unit serial number: //p')"

step "tcmudctl status over the system bus shows rd0 and what it served"
CTL=$TCMUD_BUILD/src/tcmudctl/tcmudctl
must "$CTL" status --interval 0.5
"$CTL" status --json --interval 0 >"$TCMUD_VM_SCRATCH/status.json" ||
	fail "tcmudctl status --json failed"
"$PY" - "$SIZE" "$TCMUD_VM_SCRATCH/status.json" <<'EOF_PY' ||
import json, sys
size = int(sys.argv[1])
with open(sys.argv[2]) as f:
    st = json.load(f)
devs = [d for d in st["devices"] if d["name"] == "rd0"]
assert len(devs) == 1, "rd0 listed once"
d = devs[0]
assert d["subtype"] == "rd" and d["pi_type"] == 1, d
assert d["size_bytes"] == size, d
# The pattern went in and came back out through this device.
assert d["bytes_written"] >= size and d["bytes_read"] >= size, d
assert d["writes"] > 0 and d["reads"] > 0 and d["commands"] >= d["reads"] + d["writes"], d
assert d["latency_us"]["p50"] > 0 and d["latency_us"]["max"] >= d["latency_us"]["p99"], d
EOF_PY
	fail "tcmudctl's JSON does not describe rd0 as served: $(cat "$TCMUD_VM_SCRATCH/status.json")"
note "tcmudctl --json: rd0 with its reads, writes and latency"

step "restart tcmud: rd0 keeps its blocks and the serial targetcli gave it"
# rtslib wrote the serial after the enable: INQUIRY reports it anyway, and
# the restarted daemon (which reads it at open) keeps the same storage.
want_serial=$(sed -n 's/^T10 VPD Unit Serial Number: //p' "$TARGET/core/user_0/rd0/wwn/vpd_unit_serial")
[ -n "$want_serial" ] || fail "targetcli set no unit serial on rd0"
serial_now() { sg_inq -p 0x80 "$LOOP_SD" 2>&1 | sed -n 's/^ *Unit serial number: //p'; }
assert_eq "$want_serial" "$(serial_now)" "INQUIRY unit serial before the restart"
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud's exit status after SIGTERM"
tcmud_start
served
wait_for 30 sh -c "sg_turs '$LOOP_SD' >/dev/null 2>&1" || true
sg_read_verify "$LOOP_SD" "$SIZE" tcli-a
assert_eq "$want_serial" "$(serial_now)" "INQUIRY unit serial after the restart"
note "rd0 after the restart: the same $((SIZE >> 20)) MiB and serial $want_serial"

step "saveconfig, clearconfig, restoreconfig"
tcli saveconfig
# Debian's rtslib saves to /etc/rtslib-fb-target/saveconfig.json.
SAVE=$(sed -n 's/^Configuration saved to //p' <<<"$TCLI_OUT")
[ -f "$SAVE" ] || fail "targetcli saved no file"
grep -q '"config": "rd/pi=1"' "$SAVE" || fail "$SAVE has no user:rd rd0 with config rd/pi=1"
mark=$(log_lines)
tcli clearconfig confirm=True
! so_dir rd0 >/dev/null || fail "rd0 is still in configfs after clearconfig"
wait_log "rd0: released uio" 30 "$mark"
mark=$(log_lines)
tcli restoreconfig
so_dir rd0 >/dev/null || fail "restoreconfig did not bring rd0 back"
served
wait_log "rd0: rd: new storage in /dev/shm/.*pi type 1" 10 "$mark"
assert_eq "$WWN" "$(sed -n 's/.*T10 VPD Unit Serial Number: //p' "$(so_dir rd0)/wwn/vpd_unit_serial")" \
	"unit serial of the restored rd0"
tcli ls "/iscsi/$IQN/tpg1/luns"
assert_match "lun0 .*user/rd0" "$TCLI_OUT" "iSCSI LUN after restoreconfig"
loop_disk
check_pi
# clearconfig removed the device, and with it (as with the kernel's rd_mcp)
# the rd handler's blocks: the restored rd0 is a new, empty device.
must sg_dd if="$LOOP_SD" of="$TCMUD_VM_SCRATCH/restored.head" bs=512 count=2048 blk_sgio=1
cmp -n $((1 << 20)) "$TCMUD_VM_SCRATCH/restored.head" /dev/zero ||
	fail "the restored rd0 does not start empty"
note "the restored rd0 is empty, as a removed rd device's blocks go with it"
sg_write_verify "$LOOP_SD" "$SIZE" tcli-b
iscsi_holds tcli-b

step "delete rd0 with targetcli: tcmud lets go of it"
uio=$(user_dev_uio rd0)
mark=$(log_lines)
tcli /backstores/user:rd delete rd0
! so_dir rd0 >/dev/null || fail "rd0 is still in configfs"
wait_log "rd0: released $uio" 30 "$mark"
wait_for 10 not_held "$uio" || fail "tcmud still holds /dev/$uio"
mark=$(log_lines)
kill -HUP "$TCMUD_PID"
wait_log "found 0 tcm-user device\(s\), serving 0" 30 "$mark"
tcli ls /backstores/user:rd
assert_match "o- user:rd .*\[Storage Objects: 0\]" "$TCLI_OUT" "user:rd after delete"

step "stop tcmud: it leaves the bus"
tcli clearconfig confirm=True
tcmud_stop
assert_eq 0 "$TCMUD_STATUS" "tcmud exit status after SIGTERM"
must_fail gdbus call --system -d org.kernel.TCMUService1 -o /org/kernel/TCMUService1 \
	-m org.freedesktop.DBus.ObjectManager.GetManagedObjects
step "passed"
