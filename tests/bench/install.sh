#!/bin/sh
# Benchmark: what vmc install costs when one VM of a fleet changes, and
# when none does.  Counts, not timings, are the point: a fleet of
# BENCH_INSTALL_ONE (default 50) VMs is installed, one profile changed
# (its script and its plist), built and installed again: every
# launchctl call and every file written must be that VM's (the
# manifest, vmc's own record, aside).  Then a fleet of
# BENCH_INSTALL_N (default 1000) installed VMs is installed again
# unchanged: 0 launchctl calls, 0 files written.  Times are reported.
# Runs under -R in a scratch root with tests/launchctl; needs root.
#
# The exit status is 1 when a count is wrong.
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
VMC=${VMC:-$top/compiler/vmc}
case $VMC in /*) ;; *) VMC=$top/$VMC ;; esac
one=${BENCH_INSTALL_ONE:-50}
big=${BENCH_INSTALL_N:-1000}
failures=0

# Under CI, which runs as root, not being root is a failure.
if [ "$(id -u)" != 0 ]; then
	echo "bench install: skipped: needs root (files owned by root)" >&2
	echo "0 passed, 0 failed, 1 skipped"
	[ "${CI:-}" != true ]
	exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
export VMC_LAUNCHCTL="$top/tests/launchctl"

wrong() {
	echo "bench install: WRONG: $*" >&2
	failures=$((failures + 1))
}

if date +%N 2>/dev/null | grep -q '^[0-9][0-9]*$'; then
	now() { echo $(($(date +%s%N) / 1000)); }
else
	now() { python3 -c 'import time; print(time.time_ns() // 1000)'; }
fi

cp "$top/tests/bench/fleet.host" "$tmp/host"

# N profiles in $2; variant $3 of profile $4 changes its script (cpus)
# and its plist (stop-timeout).
gen() {
	mkdir -p "$2"
	awk -v n="$1" -v dir="$2" -v v="$3" -v which="$4" 'BEGIN {
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/vm%06d.ini", dir, i)
			c = (i == which) ? v : 0
			printf "[vm]\ncpus = %d\nmemory = 256M\nformat = raw\n" \
			    "image = /vm/%06d.raw\n\n[network]\nmode = user\n" \
			    "forward = %d:22\n\n[service]\nstop-timeout = %d\n",
			    1 + c, i, 10000 + i, 30 + c > f
			close(f)
		}
	}'
}

# Sets d to the fleet's directory, built and installed under d/root.
fleet() {
	d=$tmp/$1
	mkdir -p "$d/root" "$d/launchd"
	chmod 755 "$d/root"
	export FAKE_LAUNCHD="$d/launchd"
	: > "$d/launchd/log"
	gen "$1" "$d/p" 0 0
	"$VMC" build -H "$tmp/host" -p /Library/VMs -o "$d/out" "$d/p" \
	    > /dev/null 2>&1 || wrong "build of $1 failed"
	t0=$(now)
	"$VMC" install -R "$d/root" "$d/out" > /dev/null 2> "$d/err" ||
	    wrong "install of $1 failed: $(cat "$d/err")"
	fresh=$(( ($(now) - t0) / 1000 ))
}

# Installs again: calls and written are set to the launchctl calls made
# and the files written (any file or directory newer than a stamp);
# ms to the time taken.
again() {
	n0=$(wc -l < "$d/launchd/log")
	touch "$tmp/stamp"
	sleep 0.05 2> /dev/null || sleep 1
	t0=$(now)
	"$VMC" install -R "$d/root" "$d/out" > "$d/status" 2> "$d/err" ||
	    wrong "install again failed: $(cat "$d/err")"
	ms=$(( ($(now) - t0) / 1000 ))
	# list, which only reads, apart: at most one a run.
	tail -n +$((n0 + 1)) "$d/launchd/log" | grep -v '^list$' > "$d/calls"
	calls=$(wc -l < "$d/calls")
	lists=$(tail -n +$((n0 + 1)) "$d/launchd/log" | grep -c '^list$')
	find "$d/root" -newer "$tmp/stamp" ! -type d | sed "s|^$d/root||" |
	    sort > "$d/written"
	written=$(wc -l < "$d/written")
}

# A fleet of $one, one profile changed.
fleet "$one"
mid=$(( (one + 1) / 2 ))
name=$(printf 'vm%06d' "$mid")
gen "$one" "$d/p" 1 "$mid"
"$VMC" build -H "$tmp/host" -p /Library/VMs -o "$d/out" "$d/p" \
    > /dev/null 2>&1 || wrong "rebuild failed"
again
others=$(grep -cv "local.vmc.$name\$\|local.vmc.$name.plist\$" "$d/calls")
foreign=$(grep -cv "/$name.sh\$\|/local.vmc.$name.plist\$\|^/var/db/vmc/manifest\$" \
    "$d/written")
if [ "$calls" != 2 ] || [ "$others" != 0 ] || [ "$lists" -gt 1 ]; then
	wrong "one change: $calls launchctl calls, $others for other VMs, $lists lists"
fi
if [ "$written" != 3 ] || [ "$foreign" != 0 ]; then
	wrong "one change: $written files written, $foreign of other VMs"
fi
if ! grep -qx "$name: changed" "$d/status" ||
    [ "$(grep -c ': unchanged$' "$d/status")" != $((one - 1)) ]; then
	wrong "one change: statuses"
fi
one_line=$(printf '| %7d | %9d | %10d | %5d | %12d | %7d | %13d |' \
    "$one" "$fresh" "$ms" "$calls" "$others" "$written" "$foreign")
sed 's/^/    /' "$d/calls" > "$tmp/one.calls"
sed 's/^/    /' "$d/written" > "$tmp/one.written"
rm -rf "$d"

# A fleet of $big, nothing changed.
fleet "$big"
again
[ "$calls" = 0 ] || wrong "no-op install of $big: $calls launchctl calls"
[ "$written" = 0 ] || wrong "no-op install of $big: $written files written"
[ "$(grep -c ': unchanged$' "$d/status")" = "$big" ] ||
    wrong "no-op install of $big: statuses"
big_line=$(printf '| %7d | %9d | %10d | %5d | %12s | %7d | %13s |' \
    "$big" "$fresh" "$ms" "$calls" - "$written" -)
# vmc status of the fleet: one launchctl list, whatever the number.
n0=$(wc -l < "$d/launchd/log")
t0=$(now)
"$VMC" status -R "$d/root" > "$d/st" 2> "$d/err" ||
    wrong "status of $big failed: $(cat "$d/err")"
sms=$(( ($(now) - t0) / 1000 ))
scalls=$(tail -n +$((n0 + 1)) "$d/launchd/log" | wc -l)
[ "$scalls" = 1 ] || wrong "status of $big: $scalls launchctl calls"
[ "$(wc -l < "$d/st")" = $((big + 1)) ] || wrong "status of $big: rows"
rm -rf "$d"

echo "vmc install: one VM changed (script and plist), then nothing changed"
echo
echo "|       N | fresh ms | again ms | calls | calls other | written | written other |"
echo "|--------:|---------:|---------:|------:|------------:|--------:|--------------:|"
echo "$one_line"
echo "$big_line"
echo
echo "vmc status of $big installed VMs: $scalls launchctl call, $sms ms"
echo
echo "the one change ($name), launchctl calls:"
cat "$tmp/one.calls"
echo "files written:"
cat "$tmp/one.written"
if [ "$failures" = 0 ]; then
	echo "correctness: ok (one change touches only its VM; no-op: 0 calls, 0 files;"
	echo "status: 1 launchctl call)"
fi
[ "$failures" = 0 ]
