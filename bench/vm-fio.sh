#!/bin/bash
# fio against three LIO backstores in one guest, measured in the same run:
#
#   tcmud        tcmud serving a user:rd device (the rd handler, a ramdisk)
#   rd_mcp       the kernel's own ramdisk (target_core_rd), no daemon
#   tcmu-runner  tcmu-runner (Debian's 1.5.4) serving a user:qcow device whose
#                qcow2 image lies on a tmpfs (it has no ramdisk handler)
#
# Each gets a 256 MiB device seen through tcm_loop as /dev/sdX, written once
# in full (so nothing is allocated while measuring), then five fio workloads
# (direct=1, libaio, 2 s ramp, 8 s measured). The script prints one table per
# workload with the ratios tcmud/rd_mcp and tcmud/tcmu-runner and writes the
# same as markdown to $TCMUD_VM_RESULTS/bench.md (one JSON line per backstore
# and workload in results.jsonl, fio's own JSON output in fio/). It is a
# benchmark, not a test: it fails only when a backstore cannot be set up or
# fio fails, never because of a number.
#
# Run it through the real-kernel harness with a Release build (see
# docs/benchmarks.md, or `make bench`):
#
#   TCMUD_BUILD=build-release tests/vm/run bench/vm-fio.sh [KEY=VALUE...]
#
# The harness passes arguments, not the environment, into the guest; these
# keys (all optional) are taken from the arguments or the environment:
#   BENCH_BACKSTORES  which to run, in order (default "tcmud rd_mcp tcmu-runner")
#   BENCH_SIZE_MB     device size in MiB (default 256)
#   BENCH_RAMP        fio ramp_time in seconds (default 2)
#   BENCH_RUNTIME     fio runtime in seconds (default 8)
#   BENCH_WORKLOADS   subset of the workload names below (default all)
#   BENCH_HW_MAX_SECTORS  hw_max_sectors for both user: devices (default: the
#                     kernel's, 128 = 64 KiB per command); an experiment knob
#   BENCH_STRACE=1    diagnostic mode, not for figures: additionally count the
#                     daemons' system calls with strace -c -f during one extra
#                     5 s run of the diagnostic workload per daemon (strace
#                     slows them down)
#   BENCH_PERF=1      diagnostic mode, not for figures: a system-wide perf
#                     profile (cpu-clock) of one extra 5 s run of the diagnostic
#                     workload per backstore, summarised in perf-<backstore>.txt
#   BENCH_DIAG_WORKLOAD  the workload of those extra runs (default
#                     randread-4k-qd32)
#
# TCG makes every figure relative: all three backstores pay the same emulation
# cost in the same guest on one vCPU, so compare them only with each other.
set -eu
# shellcheck source-path=SCRIPTDIR/.. source=tests/vm/lib.sh
. "${TCMUD_SRC:?run this through tests/vm/run}/tests/vm/lib.sh"

for arg in "$@"; do
	case "$arg" in
	BENCH_*=*) export "${arg?}" ;;
	*) fail "unknown argument '$arg' (want BENCH_KEY=VALUE)" ;;
	esac
done
BACKSTORES=${BENCH_BACKSTORES:-tcmud rd_mcp tcmu-runner}
SIZE=$((${BENCH_SIZE_MB:-256} << 20))
RAMP=${BENCH_RAMP:-2}
RUNTIME=${BENCH_RUNTIME:-8}
STRACE=${BENCH_STRACE:-0}
PERF=${BENCH_PERF:-0}
DIAG=${BENCH_DIAG_WORKLOAD:-randread-4k-qd32}
USER_CONTROL=${BENCH_HW_MAX_SECTORS:+hw_max_sectors=$BENCH_HW_MAX_SECTORS}

# name rw bs iodepth: the workloads, in the order of the report.
ALL_WORKLOADS="randread-4k-qd32 randread 4k 32
randwrite-4k-qd32 randwrite 4k 32
randread-4k-qd1 randread 4k 1
read-1m-qd8 read 1M 8
write-1m-qd8 write 1M 8"
WORKLOADS=$ALL_WORKLOADS
if [ -n "${BENCH_WORKLOADS:-}" ]; then
	WORKLOADS=$(printf '%s\n' "$ALL_WORKLOADS" | while read -r n rest; do
		case " $BENCH_WORKLOADS " in *" $n "*) echo "$n $rest" ;; esac
	done)
	[ -n "$WORKLOADS" ] || fail "BENCH_WORKLOADS names no known workload"
fi

RUNNER=/usr/bin/tcmu-runner
RUNNER_HANDLERS=/usr/lib/x86_64-linux-gnu/tcmu-runner
RUNNER_LOGDIR=$TCMUD_VM_RESULTS/tcmu-runner
RUNNER_PID=""
DBUS_STARTED=0

FIODIR=$TCMUD_VM_RESULTS/fio
RESULTS=$TCMUD_VM_RESULTS/results.jsonl
rm -rf "$FIODIR"
mkdir -p "$FIODIR"
: >"$RESULTS"

# Stop tcmu-runner too when the script fails half-way (lib.sh's EXIT trap
# stops tcmud only), then run lib.sh's handler with the same status.
_bench_exit() {
	local rc=$?
	[ -z "$RUNNER_PID" ] || kill -TERM "$RUNNER_PID" 2>/dev/null
	(exit "$rc")
	_on_exit
}
trap _bench_exit EXIT

# --- measuring -----------------------------------------------------------------

# cpu_ticks PID: user+system clock ticks of the whole process (all threads);
# 0 without a daemon.
cpu_ticks() {
	[ -n "$1" ] || {
		echo 0
		return
	}
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ctxsw PID: voluntary plus involuntary context switches of all its threads.
ctxsw() {
	[ -n "$1" ] || {
		echo 0
		return
	}
	cat /proc/"$1"/task/*/status | awk '/_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# precondition: write the whole device once, so that no backstore allocates
# while being measured (the rd handler maps its chunks lazily, qcow2 allocates
# clusters on first write), and every read returns written data.
precondition() {
	local t
	t=$(date +%s)
	fio --name=precondition --filename="$LOOP_SD" --direct=1 --ioengine=libaio \
		--rw=write --bs=1M --iodepth=8 --size="$SIZE" --eta=never --output=/dev/null ||
		fail "fio precondition on $LOOP_SD"
	note "$((SIZE >> 20)) MiB written once in $(($(date +%s) - t)) s"
}

# run_workloads BACKSTORE DAEMON_PID: every workload against $LOOP_SD; one
# JSON line per workload goes to $RESULTS.
run_workloads() {
	local bs_name=$1 pid=$2 name rw bs qd out c0 c1 s0 s1 t0 t1
	while read -r name rw bs qd; do
		out=$FIODIR/$bs_name-$name.json
		c0=$(cpu_ticks "$pid")
		s0=$(ctxsw "$pid")
		t0=$(date +%s.%N)
		fio --name="$name" --filename="$LOOP_SD" --direct=1 --ioengine=libaio \
			--rw="$rw" --bs="$bs" --iodepth="$qd" --numjobs=1 --size="$SIZE" \
			--time_based --ramp_time="$RAMP" --runtime="$RUNTIME" \
			--lat_percentiles=1 --randrepeat=0 --norandommap \
			--eta=never --output-format=json --output="$out" ||
			fail "fio $name on $bs_name"
		t1=$(date +%s.%N)
		c1=$(cpu_ticks "$pid")
		s1=$(ctxsw "$pid")
		"$PY" - "$out" "$bs_name" "$name" "$rw" "$bs" "$qd" \
			$((c1 - c0)) "$(getconf CLK_TCK)" $((s1 - s0)) "$t0" "$t1" \
			"$RAMP" "$RUNTIME" >>"$RESULTS" <<'EOF'
import json, sys
(path, store, name, rw, bs, qd, ticks, hz, ctx, t0, t1, ramp, runtime) = sys.argv[1:]
job = json.load(open(path))["jobs"][0]
side = job["write" if "write" in rw else "read"]
if job.get("error"):
    sys.exit(f"fio reported error {job['error']}")
wall = float(t1) - float(t0)
# The daemon's CPU and context switches cover fio's whole run (ramp included);
# per I/O they are divided by the I/Os of that whole run, estimated from the
# measured rate.
ios_all = side["iops"] * (float(ramp) + float(runtime))
print(json.dumps({
    "store": store, "name": name, "rw": rw, "bs": bs, "qd": int(qd),
    "iops": side["iops"], "mibs": side["bw_bytes"] / 1048576,
    "lat_mean_us": side["lat_ns"]["mean"] / 1000,
    "lat_p99_us": side["lat_ns"]["percentile"]["99.000000"] / 1000,
    "ios": side["total_ios"],
    "daemon_cpu_pct": 100 * int(ticks) / int(hz) / wall if wall else 0,
    "daemon_cpu_us_per_io": 1e6 * int(ticks) / int(hz) / ios_all if ios_all else 0,
    "daemon_ctxsw_per_io": int(ctx) / ios_all if ios_all else 0,
    "fio_cpu_pct": job["usr_cpu"] + job["sys_cpu"],
}))
EOF
		"$PY" - "$RESULTS" <<'EOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
print(f"    {r['name']:<18} {r['iops']:>9.0f} IOPS {r['mibs']:>8.1f} MiB/s"
      f"  lat mean {r['lat_mean_us']:>8.1f} us  p99 {r['lat_p99_us']:>8.1f} us"
      f"  daemon cpu {r['daemon_cpu_pct']:>3.0f}%")
EOF
	done <<<"$WORKLOADS"
}

# diag_fio BACKSTORE TAG [PREFIX...]: one 5 s run of the diagnostic workload
# (PREFIX runs fio, e.g. under perf); prints the number of I/Os it did.
diag_fio() {
	local bs_name=$1 tag=$2 name rw bs qd out
	shift 2
	# (no process substitution: the guest has no /dev/fd)
	read -r name rw bs qd <<<"$(printf '%s\n' "$ALL_WORKLOADS" | grep "^$DIAG " || true)"
	[ -n "$name" ] || fail "BENCH_DIAG_WORKLOAD: no workload named $DIAG"
	out=$FIODIR/$bs_name-$tag.json
	"$@" fio --name="$tag" --filename="$LOOP_SD" --direct=1 --ioengine=libaio \
		--rw="$rw" --bs="$bs" --iodepth="$qd" --size="$SIZE" --time_based \
		--runtime=5 --norandommap --eta=never --output-format=json \
		--output="$out" >&2 || fail "fio $name under $tag"
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]; print(j["read"]["total_ios"] + j["write"]["total_ios"])' "$out"
}

# strace_count PID BACKSTORE: diagnostic only (BENCH_STRACE=1): system calls
# of the daemon during one run of the diagnostic workload, per I/O.
strace_count() {
	local pid=$1 bs_name=$2 out=$TCMUD_VM_RESULTS/strace-$2.txt spid ios
	[ "$STRACE" = 1 ] || return 0
	step "$bs_name: system calls during $DIAG (strace -c -f, diagnostic)"
	strace -c -f -q -p "$pid" -o "$out" &
	spid=$!
	sleep 2
	ios=$(diag_fio "$bs_name" strace)
	kill -INT "$spid"
	wait "$spid" || true
	note "$ios I/Os; strace summary ($out):"
	"$PY" - "$out" "$ios" <<'EOF'
import sys
ios = int(sys.argv[2])
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 5 and f[3].isdigit() and not line.startswith("-"):
        calls, name = int(f[3]), f[-1]
        print(f"    | {name:<16} {calls:>9} calls  {calls / ios:6.3f} per I/O")
EOF
}

# perf_profile BACKSTORE: diagnostic only (BENCH_PERF=1): where the one vCPU
# spends its time during one run of the diagnostic workload, by process and
# by symbol.
perf_profile() {
	local bs_name=$1 data=$TCMUD_VM_SCRATCH/perf-$1.data out=$TCMUD_VM_RESULTS/perf-$1.txt ios
	[ "$PERF" = 1 ] || return 0
	step "$bs_name: CPU profile during $DIAG (perf, diagnostic)"
	ios=$(diag_fio "$bs_name" perf perf record -q -a -g -e cpu-clock -F 1999 -o "$data" --)
	{
		echo "### $DIAG, $ios I/Os in 5 s"
		echo "### by process"
		perf report -i "$data" --stdio --no-children -g none --sort comm --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$'
		echo "### by symbol (self time)"
		perf report -i "$data" --stdio --no-children -g none --sort comm,dso,sym --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$'
		echo "### by symbol, including callees"
		perf report -i "$data" --stdio --children -g none --sort comm,sym --percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '^$'
	} >"$out"
	rm -f "$data"
	note "profile in $out; by process:"
	sed -n '/^### by process/,/^### by symbol/p' "$out" | grep -v '^###' | head -n 8 | sed 's/^/    | /'
}

# device_facts HBA NAME: the attributes that shape the I/O the backstore sees.
device_facts() {
	local d sd
	d=$(cfs_dev_path "$1" "$2")
	sd=$(basename "$LOOP_SD")
	note "hw_max_sectors=$(cat "$d/attrib/hw_max_sectors") hw_queue_depth=$(cat "$d/attrib/hw_queue_depth")" \
		"$(sed 's/^/max_data_area_mb=/' "$d/attrib/max_data_area_mb" 2>/dev/null || true)" \
		"$sd: max_sectors_kb=$(cat "/sys/block/$sd/queue/max_sectors_kb") nr_requests=$(cat "/sys/block/$sd/queue/nr_requests")" \
		"scheduler=$(cat "/sys/block/$sd/queue/scheduler")"
}

# --- backstores ----------------------------------------------------------------

bench_tcmud() {
	step "tcmud: user:rd, $((SIZE >> 20)) MiB"
	# Never measure with debug logging (lib.sh's default): the last
	# --log-level wins.
	# shellcheck disable=SC2034 # read by tcmud_start
	TCMUD_ARGS="--log-level info"
	tcmud_start
	note "$("$TCMUD_BIN" --version)"
	user_dev_create bench "$SIZE" "" "" "$USER_CONTROL"
	local uio
	uio=$(user_dev_uio bench) || fail "no uio device for bench"
	wait_for 30 tcmud_holds_uio "$uio" || fail "tcmud did not open /dev/$uio"
	loop_attach "$(cfs_dev_path user_0 bench)"
	device_facts user_0 bench
	precondition
	run_workloads tcmud "$TCMUD_PID"
	strace_count "$TCMUD_PID" tcmud
	perf_profile tcmud
	loop_detach "$(cfs_dev_path user_0 bench)"
	dev_remove user_0 bench
	tcmud_stop
	assert_eq 0 "$TCMUD_STATUS" "tcmud's exit status"
}

bench_rd_mcp() {
	step "kernel rd_mcp, $((SIZE >> 20)) MiB"
	rd_dev_create bench "$SIZE"
	loop_attach "$(cfs_dev_path rd_mcp_0 bench)"
	device_facts rd_mcp_0 bench
	precondition
	run_workloads rd_mcp ""
	perf_profile rd_mcp
	loop_detach "$(cfs_dev_path rd_mcp_0 bench)"
	dev_remove rd_mcp_0 bench
}

_runner_alive() { [ -n "$RUNNER_PID" ] && kill -0 "$RUNNER_PID" 2>/dev/null; }

runner_start() {
	# tcmu-runner registers org.kernel.TCMUService1 on the system bus and
	# does not serve devices without it.
	if [ "$DBUS_STARTED" = 0 ]; then
		mkdir -p /run/dbus
		dbus-daemon --system --fork || fail "cannot start the system D-Bus"
		DBUS_STARTED=1
	fi
	mkdir -p "$RUNNER_LOGDIR" /etc/tcmu
	# The guest's /etc is a tmpfs overlay over the host's: edits stay here.
	cat >/etc/tcmu/tcmu.conf <<EOF
log_level = 3
log_dir = "$RUNNER_LOGDIR"
EOF
	"$RUNNER" --handler-path "$RUNNER_HANDLERS" -l "$RUNNER_LOGDIR" \
		>>"$RUNNER_LOGDIR/stderr.log" 2>&1 </dev/null &
	RUNNER_PID=$!
	wait_for 30 _tcmud_has_genl "$RUNNER_PID" || {
		tail -n 30 "$RUNNER_LOGDIR"/*.log 2>/dev/null
		fail "tcmu-runner opened no generic netlink socket within 30 s"
	}
	# The D-Bus name is the last thing it sets up before serving.
	wait_for 30 dbus-send --system --print-reply --dest=org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus.GetNameOwner \
		string:org.kernel.TCMUService1 || note "(tcmu-runner has not claimed its D-Bus name)"
	note "tcmu-runner running as pid $RUNNER_PID ($("$RUNNER" --version 2>&1 | head -n 1))"
}

runner_stop() {
	local _
	kill -TERM "$RUNNER_PID"
	for _ in $(seq 300); do
		_runner_alive || break
		sleep 0.1
	done
	_runner_alive && fail "tcmu-runner did not exit within 30 s of SIGTERM"
	wait "$RUNNER_PID" 2>/dev/null || true
	RUNNER_PID=""
}

bench_runner() {
	local img d t
	if [ ! -x "$RUNNER" ] || [ ! -e "$RUNNER_HANDLERS/handler_qcow.so" ]; then
		step "tcmu-runner: not installed on the host, peer skipped"
		note "(apt-get install --no-install-recommends tcmu-runner, or make bench)"
		return 0
	fi
	step "tcmu-runner: user:qcow, qcow2 image on tmpfs, $((SIZE >> 20)) MiB"
	img=$TCMUD_VM_SCRATCH/qcow/bench.qcow2
	mkdir -p "${img%/*}"
	grep -q " ${img%/*} tmpfs " /proc/mounts || mount -t tmpfs -o size=$(((SIZE >> 20) + 64))m tmpfs "${img%/*}"
	must qemu-img create -q -f qcow2 "$img" "$SIZE"
	# Allocate every cluster now so the handler never allocates while measured.
	t=$(date +%s)
	qemu-io -f qcow2 -c "write -P 0x5a 0 $SIZE" "$img" >/dev/null || fail "qemu-io write"
	note "image fully written with qemu-io in $(($(date +%s) - t)) s: $(qemu-img info "$img" | grep -E 'disk size' | tr -s ' ')"
	runner_start
	d=$(cfs_dev_path user_0 bench)
	mkdir -p "$d"
	write_file "$d/control" "dev_config=qcow/$img,dev_size=$SIZE${USER_CONTROL:+,$USER_CONTROL}"
	run_timeout "$CFS_TIMEOUT" "enabling $d" write_file "$d/enable" 1
	loop_attach "$d"
	device_facts user_0 bench
	precondition
	run_workloads tcmu-runner "$RUNNER_PID"
	strace_count "$RUNNER_PID" tcmu-runner
	perf_profile tcmu-runner
	loop_detach "$d"
	dev_remove user_0 bench
	runner_stop
	rm -f "$img"
	umount "${img%/*}"
}

# --- report --------------------------------------------------------------------

report() {
	local md=$TCMUD_VM_RESULTS/bench.md
	{
		echo "kernel $(uname -r) ($(uname -v)), $(nproc) vCPU, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
		echo "guest cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
		echo "$(fio --version), $("$TCMUD_BIN" --version)$([ -x "$RUNNER" ] && echo ", tcmu-runner $(dpkg-query -W -f='${Version}' tcmu-runner 2>/dev/null)")"
		echo "device $((SIZE >> 20)) MiB via tcm_loop, direct=1 ioengine=libaio numjobs=1, ramp $RAMP s, runtime $RUNTIME s${USER_CONTROL:+, user: devices with $USER_CONTROL}"
	} >"$TCMUD_VM_SCRATCH/env.txt"
	step "results"
	"$PY" - "$RESULTS" "$md" "$TCMUD_VM_SCRATCH/env.txt" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
env = open(sys.argv[3]).read().strip().splitlines()
stores = ["tcmud", "rd_mcp", "tcmu-runner"]
label = {"tcmud": "tcmud (user:rd)", "rd_mcp": "kernel rd_mcp",
         "tcmu-runner": "tcmu-runner (user:qcow, tmpfs)"}
names = list(dict.fromkeys(r["name"] for r in rows))
by = {(r["store"], r["name"]): r for r in rows}
title = {}
for r in rows:
    title[r["name"]] = f"{r['bs']} {r['rw']}, iodepth {r['qd']}"

def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"

def get(store, name, key):
    r = by.get((store, name))
    return None if r is None else r[key]

cols = [("IOPS", "iops", "{:.0f}"), ("MiB/s", "mibs", "{:.1f}"),
        ("lat mean us", "lat_mean_us", "{:.1f}"), ("lat p99 us", "lat_p99_us", "{:.1f}"),
        ("daemon CPU %", "daemon_cpu_pct", "{:.0f}"),
        ("daemon CPU us/IO", "daemon_cpu_us_per_io", "{:.1f}"),
        ("daemon ctxsw/IO", "daemon_ctxsw_per_io", "{:.2f}")]
ratio_cols = cols[:4]

def fmt(v, f):
    return "-" if v is None else f.format(v)

md = ["# fio: tcmud vs kernel rd_mcp vs tcmu-runner", ""]
md += [f"- {line}" for line in env]
md += ["- daemon columns: CPU time of the whole daemon process over fio's run "
       "(ramp included) and per I/O of that run; rd_mcp has no daemon",
       "- ratios are tcmud divided by the peer: above 1 is better for IOPS and MiB/s, "
       "below 1 is better for latency", ""]

# Summary: the headline figure of each workload.
def headline(name):
    r = by.get(("tcmud", name)) or next(v for k, v in by.items() if k[1] == name)
    if r["qd"] == 1:
        return "lat_mean_us", "mean latency us"
    if r["bs"] == "1M":
        return "mibs", "MiB/s"
    return "iops", "IOPS"

md += ["## Summary", "",
       "| workload | figure | tcmud | rd_mcp | tcmu-runner | tcmud/rd_mcp | tcmud/tcmu-runner |",
       "|---|---|---:|---:|---:|---:|---:|"]
for n in names:
    key, what = headline(n)
    v = [get(s, n, key) for s in stores]
    f = "{:.1f}" if key != "iops" else "{:.0f}"
    md.append(f"| {title[n]} | {what} | {fmt(v[0], f)} | {fmt(v[1], f)} | {fmt(v[2], f)} "
              f"| {ratio(v[0], v[1])} | {ratio(v[0], v[2])} |")
md.append("")

for n in names:
    md += [f"## {title[n]}", "",
           "| backstore | " + " | ".join(c[0] for c in cols) + " |",
           "|---|" + "---:|" * len(cols)]
    for s in stores:
        r = by.get((s, n))
        if r is None:
            md.append(f"| {label[s]} | " + " | ".join("skipped" if s == "tcmu-runner" else "-"
                                                      for _ in cols) + " |")
            continue
        vals = []
        for _, k, f in cols:
            vals.append("-" if s == "rd_mcp" and k.startswith("daemon") else f.format(r[k]))
        md.append(f"| {label[s]} | " + " | ".join(vals) + " |")
    for peer in stores[1:]:
        md.append(f"| tcmud / {peer} | " +
                  " | ".join(ratio(get("tcmud", n, k), get(peer, n, k)) for _, k, _ in ratio_cols) +
                  " |" + " |" * (len(cols) - len(ratio_cols)))
    md.append("")

open(sys.argv[2], "w").write("\n".join(md) + "\n")

# The same on the console, as plain text tables.
for line in env:
    print("    " + line)
for n in names:
    print()
    print(f"    {title[n]}")
    hdr = f"    {'':<32}" + "".join(f"{c[0]:>17}" for c in cols)
    print(hdr)
    for s in stores:
        r = by.get((s, n))
        if r is None:
            print(f"    {label[s]:<32}" + f"{'(skipped)' if s == 'tcmu-runner' else '-':>17}")
            continue
        print(f"    {label[s]:<32}" + "".join(
            f"{'-' if s == 'rd_mcp' and k.startswith('daemon') else f.format(r[k]):>17}"
            for _, k, f in cols))
    for peer in stores[1:]:
        print(f"    {'tcmud / ' + peer:<32}" + "".join(
            f"{ratio(get('tcmud', n, k), get(peer, n, k)):>17}" for _, k, _ in ratio_cols))
EOF
	note "markdown: $md"
}

# --- main ----------------------------------------------------------------------

step "setup"
lio_load
note "$(uname -r), $(nproc) vCPU; backstores: $BACKSTORES"
for b in $BACKSTORES; do
	case "$b" in
	tcmud) bench_tcmud ;;
	rd_mcp) bench_rd_mcp ;;
	tcmu-runner) bench_runner ;;
	*) fail "unknown backstore $b" ;;
	esac
done
report
