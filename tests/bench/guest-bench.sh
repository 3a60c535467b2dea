#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest side of tests/bench/run (runs inside the test VM under modrace-vm --no-record).
# $1 holds modrace_bench.ko; $MODRACE_OUT may hold a bpftrace bundle (bpftrace/, with its shared
# libraries, run through the bundled dynamic loader). Prints "bench: KEY VALUE..." lines that the
# host side turns into figures; traces are left in $MODRACE_OUT for size and drop counts.
set -u
M=$1
OUT=$MODRACE_OUT
B=/sys/kernel/debug/modrace_bench
N_REF=${N_REF:-200000}
N_LOCK=${N_LOCK:-200000}
# Flat-out throughput runs: 1M events per CPU, ~20x what the default ring buffer holds.
N_RATE=${N_RATE:-500000}
# Stalled-reader run: more events than the default ring buffer holds (32 MiB, ~200k records).
N_STALL=${N_STALL:-150000}
# Reader-stopped run: three loops' records (2 per pair, ~170 bytes each) fit the default ring buffer.
N_QUIET=${N_QUIET:-15000}
insmod "$M/modrace_bench.ko" || exit 1

# trigger FILE N: run N pairs, print "pairs=.. ns=.." of the run
trigger() { echo "$2" > "$B/$1" && cat "$B/$1"; }
# best_of3 NAME FILE N: three runs, the fastest is kept (the machine is shared and noisy)
best_of3() {
	best=""
	for i in 1 2 3; do
		r=$(trigger "$2" "$3")
		ns=${r#*ns=}; ns=${ns%% *}
		if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
	done
	echo "bench: $1 pairs=$3 ns=$best"
}
# on_every_cpu N: N refcount pairs on every CPU at once (one writer pinned to each), until all end
on_every_cpu() {
	pids=""
	for c in $(seq 0 $(( $(nproc) - 1 ))); do
		taskset $((1 << c)) sh -c "echo $1 > $B/refcount" &
		pids="$pids $!"
	done
	for p in $pids; do wait $p; done
}
# uptime in centiseconds
now_cs() { read up _ < /proc/uptime; echo "${up%.*}${up#*.}"; }
# wait_for CMD...: poll until CMD succeeds, at most 60 s
wait_for() {
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 6000 ] && return 1
		usleep 10000
	done
}
# record_start NAME ARGS...: start modrace record in the background, report its start-up time
record_start() {
	name=$1; shift
	rm -f /tmp/ready
	t0=$(now_cs)
	modrace record -o "$OUT/$name.trace" --ready-file /tmp/ready "$@" > "$OUT/$name.log" 2>&1 &
	rec_pid=$!
	wait_for test -e /tmp/ready || { echo "bench: error $name never attached"; cat "$OUT/$name.log"; }
	echo "bench: startup_$name cs=$(( $(now_cs) - t0 ))"
	ready_ticks=$(cpu_ticks "$rec_pid")
}
# cpu_ticks PID: utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat; the comm,
# "modrace", has no spaces).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# record_stop NAME: stop the recording; print its status and the CPU time its reader used while
# recording (start-up excluded: the kernel verifying the programs is counted to the loader).
record_stop() {
	ticks=$(( $(cpu_ticks "$rec_pid") - ${ready_ticks:-0} ))
	kill -INT "$rec_pid"; wait "$rec_pid"; st=$?
	echo "bench: record_status $1 $st"
	echo "bench: record_cpu_$1 ticks=$ticks hz=$(getconf CLK_TCK 2>/dev/null || echo 100)"
}

echo "bench: cpus $(nproc)"
# Warm-up: fault in the module's code and the debugfs paths.
trigger refcount 1000 > /dev/null; trigger locks 1000 > /dev/null

# 1. untraced
best_of3 refcount_untraced refcount "$N_REF"
best_of3 locks_untraced locks "$N_LOCK"

# 2. modrace, lock tracking off and on
record_start modrace_locks_off --locks off
best_of3 refcount_modrace_locks_off refcount "$N_REF"
record_stop modrace_locks_off
record_start modrace_locks_probe --locks probe
best_of3 refcount_modrace refcount "$N_REF"
best_of3 locks_modrace locks "$N_LOCK"
record_stop modrace_locks_probe

# 2b. what each of modrace's programs costs per run, by the kernel's own accounting
# (kernel.bpf_stats_enabled: two clock reads per run on top), on the refcount trigger: their sum
# per pair against the pair's time says how much is the programs and how much the probes.
if echo 1 > /proc/sys/kernel/bpf_stats_enabled 2>/dev/null; then
	record_start progcost --locks probe -v
	trigger refcount "$N_REF" | sed 's/^/bench: refcount_progcost /'
	record_stop progcost
	echo 0 > /proc/sys/kernel/bpf_stats_enabled
	# "modrace: program NAME: N runs, T ns/run"
	awk '$2 == "program" { sub(":", "", $3); print "bench: progcost " $3 " runs=" $4 " ns=" $6 }' \
		"$OUT/progcost.log"
fi

# 2c. the pair's kernel side alone: the same trigger while the recorder is stopped (SIGSTOP), so
# its reader takes no CPU during the timed loop (under single-threaded TCG both vCPUs share one
# host thread). N_QUIET pairs' records fit the default ring buffer: none is lost, and the trace's
# drop count says so (refcount_reader_stopped_lost).
record_start reader_stopped --locks probe
kill -STOP "$rec_pid"
best_of3 refcount_modrace_reader_stopped refcount "$N_QUIET"
kill -CONT "$rec_pid"
record_stop reader_stopped

# 3. bpftrace, the same probes counting into a map
# bpftrace_run NAME TRIGGER N ARGS...: bpftrace with ARGS (its script prints bpftrace-ready from
# BEGIN) while TRIGGER runs N pairs; prints its start-up time and the trigger's best of three as
# TRIGGER_NAME.
bpftrace_run() {
	name=$1 trig=$2 n=$3; shift 3
	rm -f /tmp/bt.out
	t0=$(now_cs)
	$BT "$@" > /tmp/bt.out 2>&1 &
	bt_pid=$!
	if wait_for grep -q bpftrace-ready /tmp/bt.out; then
		echo "bench: startup_$name cs=$(( $(now_cs) - t0 ))"
		best_of3 "${trig}_$name" "$trig" "$n"
	else
		echo "bench: error $name did not start"; cat /tmp/bt.out
	fi
	kill -INT $bt_pid; wait $bt_pid
	tail -7 /tmp/bt.out
}
if [ -x "$OUT/bpftrace/bpftrace" ]; then
	BT="$OUT/bpftrace/lib/ld-linux-x86-64.so.2 --library-path $OUT/bpftrace/lib $OUT/bpftrace/bpftrace"
	ready='BEGIN { printf("bpftrace-ready\n"); }'
	entries='kprobe:try_module_get, kprobe:__module_get, kprobe:module_put'
	returns='kretprobe:try_module_get, kretprobe:__module_get, kretprobe:module_put'
	# The three functions' entries counting into a map.
	bpftrace_run bpftrace refcount "$N_REF" -e "$ready $entries { @in[probe] = count(); }"
	# modrace's actual probes: a kretprobe too on each (modrace reads the result and the counter
	# at the return).
	bpftrace_run bpftrace_kretprobe refcount "$N_REF" -e "$ready $entries { @in[probe] = count(); }
		$returns { @out[probe] = count(); }"
	# And what modrace's record carries beyond that: the kernel stack (24 frames, as modrace
	# captures) at the return, counted per distinct stack.
	bpftrace_run bpftrace_kstack refcount "$N_REF" -e "$ready $entries { @in[probe] = count(); }
		$returns { @out[kstack(24)] = count(); }"
	# Lock tracking as a bpftrace script would do it: a per-task map on the lock functions (the
	# sleeping ones: on the spinlock functions the same script deadlocks the kernel; see the file).
	# (Named apart from the first run: startup_bpftrace is the refcount probes' start-up.)
	bpftrace_run bpftrace_per_task locks "$N_LOCK" "$M/locks-per-task.bt"
	# The floor of any lock tracking done by BPF programs: programs that do nothing, on the four
	# functions the lock trigger calls (mutex_lock/unlock, _raw_spin_lock/unlock), entered through
	# the same fentry trampolines modrace's lock programs use.
	nop='{ $x = 1; }'
	bpftrace_run bpftrace_nop locks "$N_LOCK" -e "$ready kfunc:mutex_lock $nop
		kfunc:mutex_unlock $nop kfunc:_raw_spin_lock $nop kfunc:_raw_spin_unlock $nop"
else
	echo "bench: error no bpftrace bundle in $OUT/bpftrace"
fi

# 4. ftrace's own module events
T=/sys/kernel/tracing
echo 0 > $T/tracing_on; echo > $T/trace
echo 65536 > $T/buffer_size_kb
echo 1 > $T/events/module/module_get/enable
echo 1 > $T/events/module/module_put/enable
echo 1 > $T/tracing_on
best_of3 refcount_ftrace refcount "$N_REF"
# Buffer bytes per event, from a run that fits the buffer.
echo > $T/trace
trigger refcount 20000 > /dev/null
bytes=0; entries=0
for s in $T/per_cpu/cpu*/stats; do
	b=$(awk '/^bytes:/{print $2}' "$s"); e=$(awk '/^entries:/{print $2}' "$s")
	bytes=$((bytes + b)); entries=$((entries + e))
done
echo "bench: ftrace_buffer bytes=$bytes entries=$entries"
echo 0 > $T/tracing_on
echo 0 > $T/events/module/module_get/enable; echo 0 > $T/events/module/module_put/enable
echo 1408 > $T/buffer_size_kb

# 5. throughput at default settings: flat out on one CPU, then on every CPU
record_start rate_1cpu
r=$(taskset 1 sh -c "echo $N_RATE > $B/refcount; cat $B/refcount")
echo "bench: rate_1cpu $r"
record_stop rate_1cpu
record_start rate_allcpu
t0=$(now_cs)
on_every_cpu "$N_RATE"
echo "bench: rate_allcpu pairs=$(( N_RATE * $(nproc) )) cs=$(( $(now_cs) - t0 ))"
record_stop rate_allcpu

# 5b. a stalled reader: the recorder is stopped (SIGSTOP) while every CPU runs N_STALL pairs, then
# resumed. The events it recorded are those the ring buffer held: how long a stall it absorbs.
record_start stall
kill -STOP "$rec_pid"
on_every_cpu "$N_STALL"
kill -CONT "$rec_pid"
echo "bench: stall pairs=$(( N_STALL * $(nproc) ))"
record_stop stall

# 6. the edge: paced refcount writers on every CPU, offered rates rising until events are lost.
# Each step is its own recording (its drops are its own), ~5 s of offered load.
R=/sys/module/modrace_bench/parameters/rate
ncpu=$(nproc)
for eps in 5000 10000 20000 30000 40000 60000 80000; do
	per_cpu=$((eps / 2 / ncpu))  # pairs per second per writer
	n=$((per_cpu * 5))
	echo "$per_cpu" > $R
	record_start "sweep_$eps"
	t0=$(now_cs)
	on_every_cpu "$n"
	echo "bench: sweep offered_eps=$eps pairs=$((n * ncpu)) cs=$(( $(now_cs) - t0 ))"
	record_stop "sweep_$eps"
done
echo 0 > $R
rmmod modrace_bench
echo "bench: done"
