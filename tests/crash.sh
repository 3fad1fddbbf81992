#!/bin/sh
# Crashes and races.  A build of a few thousand profiles is killed with
# SIGKILL at random moments, many times: the output directory must
# always hold every file whole, each either its old or its new version,
# and the next build must remove what the killed one left.  Then two
# builds run into one output directory at once, many times: both must
# succeed and the directory must equal one complete build.
#
#   sh tests/crash.sh		(VMC=path, CRASH_VMS=3000, CRASH_KILLS=30,
#				 CRASH_FRESH=10, CRASH_RACES=10,
#				 CRASH_SEED=n to repeat a run)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
vms=${CRASH_VMS:-3000}
kills=${CRASH_KILLS:-30}
fresh=${CRASH_FRESH:-10}
races=${CRASH_RACES:-10}
seed=${CRASH_SEED:-$$}
pids=
# Memory-backed when there is one: the test is about kills, not disks.
base=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
tempdir crash "$base"
# The builds still running when the harness ends.
# shellcheck disable=SC2317 # run on exit
stop_builds() {
	for p in $pids; do
		kill -9 "$p" 2> /dev/null
		wait "$p" 2> /dev/null
	done
}
at_exit=stop_builds

echo "seed $seed, $vms profiles"
host_file "$tmp/host.8g"
sed 's/^memory = .*/memory = 64T/' "$tmp/host.8g" > "$tmp/host"

# Version 1 and version 2 of every profile; every output file differs
# between them.
mkdir "$tmp/img" "$tmp/v1" "$tmp/v2"
awk -v n="$vms" -v d="$tmp" 'BEGIN {
	for (i = 0; i < n; i++) {
		f = d "/img/vm" i ".qcow2"
		printf "QFI\373" > f
		close(f)
		f = d "/v1/vm" i ".ini"
		printf "[vm]\nmemory = 1G\nimage = ../img/vm%d.qcow2\n", i > f
		close(f)
		f = d "/v2/vm" i ".ini"
		printf "[vm]\nmemory = 2G\nimage = ../img/vm%d.qcow2\n" \
		    "[service]\nautostart = no\n", i > f
		close(f)
	}
}'

build() {
	"$VMC" build -H "$tmp/host" -p /vmc -o "$@"
}

# Whole files by name, mode and checksum; hidden files (the temporary
# ones and the state) are counted apart.
if ! build "$tmp/want1" "$tmp/v1" || ! build "$tmp/want2" "$tmp/v2"; then
	bad "setup" "the builds of both versions"
	finish
fi
listing "$tmp/want1" > "$tmp/want1.list"
listing "$tmp/want2" > "$tmp/want2.list"
sort -u "$tmp/want1.list" "$tmp/want2.list" > "$tmp/either.list"
nfiles=$(wc -l < "$tmp/want1.list")

# Random delays from 0 to about two builds' time, in seconds.
start=$(date +%s%N)
build "$tmp/timing" "$tmp/v1"
span=$((($(date +%s%N) - start) / 1000000))
awk -v seed="$seed" -v n="$kills" -v ms="$span" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++)
		printf "%.3f\n", rand() * 2 * ms / 1000
}' > "$tmp/delays"

cp -a "$tmp/want1" "$tmp/out"
n=0
leftover=0
mixed=0
broken=0
stale=0
while read -r delay; do
	n=$((n + 1))
	# Alternate the version written so that both directions are cut.
	v=$((n % 2 + 1))
	# vmc itself, not a subshell, is the process killed.
	"$VMC" build -H "$tmp/host" -p /vmc -o "$tmp/out" "$tmp/v$v" \
	    2> /dev/null &
	pid=$!
	pids="$pids $pid"
	sleep "$delay"
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
	pids=
	listing "$tmp/out" > "$tmp/now.list"
	set -- "$tmp/out"/.vmc-tmp-*
	[ -e "$1" ] && leftover=$((leftover + 1))
	if [ "$(wc -l < "$tmp/now.list")" != "$nfiles" ] ||
	    [ -n "$(sort "$tmp/now.list" | comm -23 - "$tmp/either.list")" ]
	then
		broken=$((broken + 1))
		echo "after kill $n (${delay}s): $(wc -l < "$tmp/now.list") files, these not whole:"
		sort "$tmp/now.list" | comm -23 - "$tmp/either.list" | head -n 5
	fi
	if ! cmp -s "$tmp/now.list" "$tmp/want1.list" &&
	    ! cmp -s "$tmp/now.list" "$tmp/want2.list"; then
		mixed=$((mixed + 1))
		# The state of a build stands for a whole version: beside
		# mixed files the next build must not trust it, whichever
		# version it builds.  Each is tried on a copy of hard links
		# (the same inodes, which the state records): a build that
		# trusted the state would leave the mixed files as they are.
		for w in 1 2; do
			[ -e "$tmp/out/.vmc-state" ] || break
			rm -rf "$tmp/probe"
			cp -al "$tmp/out" "$tmp/probe"
			build "$tmp/probe" "$tmp/v$w" 2> /dev/null
			if ! listing "$tmp/probe" | cmp -s - "$tmp/want$w.list"
			then
				stale=$((stale + 1))
				echo "after kill $n (${delay}s): a build of version $w trusted the state beside mixed files"
			fi
		done
		rm -rf "$tmp/probe"
	fi
done < "$tmp/delays"
echo "$kills kills: $leftover left temporary files, $mixed left old and new files mixed"
if [ $broken = 0 ]; then
	ok "after every kill each file is whole, its old or its new version"
else
	bad "kills" "$broken of $kills left files missing or not whole"
fi
# Kills that all land before or after the writes would prove nothing.
if [ "$leftover" -gt 0 ]; then
	ok "$leftover of $kills kills cut a build while it wrote"
else
	bad "kills" "none left temporary files: none cut a build while it wrote"
fi
if [ "$stale" = 0 ]; then
	ok "no build trusted a state beside mixed files ($mixed mixed)"
else
	bad "kills" "$stale builds after $mixed mixed results trusted a state"
fi

# The next build finishes the job and leaves nothing behind.
if build "$tmp/out" "$tmp/v2" 2> "$tmp/err" &&
    listing "$tmp/out" | cmp -s - "$tmp/want2.list" &&
    set -- "$tmp/out"/.vmc-tmp-* && [ ! -e "$1" ]; then
	ok "the build after the kills removes temporary files"
else
	bad "the build after the kills" "failed, differs or left files"
	cat "$tmp/err"
fi

# Kills at chosen calls of the commit, with the fault shim: after the
# state is renamed into place, while the backups are removed (the
# first unlinkat), and after the first rename.  The state must not
# be trusted while temporary files remain: the next build of the same
# profiles removes them.
if build_shim "$tmp/shim.so" 2> /dev/null && [ -z "${ASAN_OPTIONS:-}" ]; then
	for spec in unlinkat:1 unlinkat:3 renameat:1; do
		rm -rf "$tmp/k"
		build "$tmp/k" "$tmp/v1" 2> /dev/null
		sleep 1	# a state is kept only past the second of a change
		env VMC_FAULT="$spec:SIGKILL" LD_PRELOAD="$tmp/shim.so" \
		    "$VMC" build -H "$tmp/host" -p /vmc -o "$tmp/k" "$tmp/v2" \
		    2> /dev/null
		build "$tmp/k" "$tmp/v2" 2> "$tmp/err"
		st=$?
		set -- "$tmp/k"/.vmc-tmp-*
		if [ $st = 0 ] && [ ! -e "$1" ] &&
		    listing "$tmp/k" | cmp -s - "$tmp/want2.list"; then
			ok "killed at $spec of the commit: the next build cleans up"
		else
			bad "killed at $spec of the commit" \
			    "exit $st, or temporary files left"
		fi
	done
	rm -rf "$tmp/k"
else
	skip "kills at chosen calls" "no LD_PRELOAD shim here"
fi

# Kills while a new output directory is staged beside it: afterwards
# it is missing, empty or complete, and the next build removes the
# staging directory.
n=0
broken=0
missing=0
empty=0
whole=0
while [ $n -lt "$fresh" ]; do
	n=$((n + 1))
	rm -rf "$tmp/new"
	delay=$(sed -n "${n}p" "$tmp/delays")
	"$VMC" build -H "$tmp/host" -p /vmc -o "$tmp/new" "$tmp/v1" \
	    2> /dev/null &
	pid=$!
	pids=$pid
	sleep "$delay"
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
	pids=
	if [ ! -d "$tmp/new" ]; then
		missing=$((missing + 1))
	elif [ -z "$(ls "$tmp/new")" ]; then
		empty=$((empty + 1))
	elif listing "$tmp/new" | cmp -s - "$tmp/want1.list"; then
		whole=$((whole + 1))
	else
		broken=$((broken + 1))
		echo "after kill $n (${delay}s) of a new build: $(listing "$tmp/new" | wc -l) files"
	fi
	if ! build "$tmp/new" "$tmp/v1" 2> "$tmp/err" ||
	    ! listing "$tmp/new" | cmp -s - "$tmp/want1.list" ||
	    [ -e "$tmp/.vmc-tmp-new" ] ||
	    { set -- "$tmp/new"/.vmc-tmp-* && [ -e "$1" ]; }; then
		broken=$((broken + 1))
		echo "the build after kill $n of a new build failed, differs or left files"
		cat "$tmp/err"
	fi
done
echo "$fresh kills of a new build: $missing left no directory, $empty an empty one, $whole a complete one"
if [ $broken = 0 ]; then
	ok "$fresh kills of a new build: none or all of it, and the next build cleans up"
else
	bad "kills of a new build" "$broken went wrong"
fi

# Two builds at once, of both versions, into one directory.
r=0
racebad=0
while [ $r -lt "$races" ]; do
	r=$((r + 1))
	# Every other race starts without the directory: both builds may
	# try to create it, and one stages it.
	[ $((r % 2)) = 0 ] && rm -rf "$tmp/out"
	build "$tmp/out" "$tmp/v1" 2> "$tmp/err1" &
	a=$!
	build "$tmp/out" "$tmp/v2" 2> "$tmp/err2" &
	b=$!
	pids="$a $b"
	wait $a
	sa=$?
	wait $b
	sb=$?
	pids=
	listing "$tmp/out" > "$tmp/now.list"
	set -- "$tmp/out"/.vmc-tmp-* "$tmp"/.vmc-tmp-*
	if [ $sa != 0 ] || [ $sb != 0 ] || [ -e "$1" ] || [ -e "$2" ] ||
	    { ! cmp -s "$tmp/now.list" "$tmp/want1.list" &&
	    ! cmp -s "$tmp/now.list" "$tmp/want2.list"; }; then
		racebad=$((racebad + 1))
		echo "race $r: exit $sa and $sb"
		cat "$tmp/err1" "$tmp/err2"
	fi
done
if [ $racebad = 0 ]; then
	ok "$races times two builds at once: both succeed, one complete build remains"
else
	bad "concurrent builds" "$racebad of $races went wrong"
fi

finish
