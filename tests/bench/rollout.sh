#!/bin/sh
# Benchmark: a rollout of the Ansible role (ansible/) to a fleet of 3
# Macs of BENCH_ROLLOUT_N (default 20) VMs each, made as in
# tests/ansible/run.sh (network namespaces, sshd, the launchctl
# stand-in): the first run, then a run with nothing changed.  The time
# of each is reported; the counts are checked: the first run bootstraps
# every VM, the second makes no launchctl call that changes anything
# and writes nothing on any Mac.  Needs root, sshd and ansible-core.
#
# The exit status is 1 when a count is wrong.
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
# shellcheck source=../ansible/lib.sh
. "$top/tests/ansible/lib.sh"
n=${BENCH_ROLLOUT_N:-20}
tempdir rollout
if ! fleet_can; then
	skip "bench rollout" "$why"
	finish
fi
fleet_up "$n" || { bad "setup" "the namespaces and sshds"; finish; }
errlog=$tmp/play.tail

if date +%N 2>/dev/null | grep -q '^[0-9][0-9]*$'; then
	now() { echo $(($(date +%s%N) / 1000000)); }
else
	now() { python3 -c 'import time; print(time.time_ns() // 1000000)'; }
fi

t0=$(now)
play
t1=$(now)
calls=0
for h in $hosts; do
	calls=$((calls + $(calls "$h" | grep -c '^bootstrap ')))
done
check "first run: exit 0, $((3 * n)) bootstraps" test "$rc $calls" = "0 $((3 * n))"

for h in $hosts; do
	listing -a -t "$tmp/h/$h"
done > "$tmp/before"
t2=$(now)
play
t3=$(now)
for h in $hosts; do
	listing -a -t "$tmp/h/$h"
done > "$tmp/after"
check "no-op run: exit 0, changed=0 on every Mac" changed 0 0 0
check "no-op run: no launchctl call that changes anything" \
    test "$rc" = 0 -a -z "$(calls mini1)$(calls mini2)$(calls mini3)"
check "no-op run: nothing written on any Mac" \
    sh -c "[ $rc = 0 ] && cmp -s '$tmp/before' '$tmp/after'"
printf 'rollout, 3 Macs x %d VMs: first run %d.%03d s, no-op run %d.%03d s\n' \
    "$n" $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000)) \
    $(((t3 - t2) / 1000)) $(((t3 - t2) % 1000))
finish
