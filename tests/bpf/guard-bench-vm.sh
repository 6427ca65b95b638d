#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the test VM (tests/bpf/bench boots it): the time of open(O_RDWR) and close() of a file on tmpfs, without
# and with the write guard attached (it enforces from its attach), in alternating rounds. The guard is
# configured from a stand-in sysfs directory (one protected device number), so fwgate.ko need not be loaded.
# Prints "open_ns off|on NS" per round.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
C=$top/build/bin/fwgatectl
bench=$top/build/tests/bpf_open_bench
n=${FWGATE_BENCH_OPENS:-50000}
rounds=${FWGATE_BENCH_ROUNDS:-15}
s=/tmp/fakesys

mkdir -p $s/targets/t
echo 7:250 >$s/targets/t/dev
echo 7:250 >$s/targets/t/disk_dev
: >/tmp/unrelated
$bench /tmp/unrelated $n >/dev/null
for r in $(seq "$rounds"); do
	echo "open_ns off $($bench /tmp/unrelated "$n")"
	$C bpf guard --sysfs $s >/tmp/guard.log 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q "guard attached" /tmp/guard.log && break; sleep 0.1; done
	grep -q "guard attached" /tmp/guard.log || { echo "guard did not attach" >&2; cat /tmp/guard.log >&2; exit 1; }
	echo "open_ns on $($bench /tmp/unrelated "$n")"
	kill $pid
	wait $pid
done
