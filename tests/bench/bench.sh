#!/bin/sh
# Benchmark: vmc on generated fleets of N valid profiles, timed against
# the I/O floor of the same run (two copies of the profiles, synced).
#
#   BENCH_N     fleet sizes (default "1000 10000 100000")
#   BENCH_REPS  repetitions of each measurement (default 5, 3 from 100000)
#   VMC         the vmc to run (default compiler/vmc)
#
# Medians are reported.  The exit status is 1 when vmc is wrong (a build
# fails or warns, a no-op rebuild writes a file, a one-profile change
# does not write exactly two): each of these checks is counted in the
# closing line.  Timing targets are only reported, as shared machines
# are noisy.
#
# On disk nothing is deleted before the end: on ext4 mounted with
# discard, creating files just after deleting many is much slower for a
# few minutes, which would be timed as vmc's.  By default the run keeps
# about 2 million small files (8 GB) until it exits; leave a few minutes
# between runs.  On tmpfs each repetition's files go as soon as it is
# measured (and the script waits for the kernel to free them): in a virtual machine, the first write to memory the guest
# never used costs a fault in the hypervisor, which would grow with the
# files the run keeps rather than with the build timed.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
sizes=${BENCH_N:-"1000 10000 100000"}
rundir=/var/lib/vmc

tempdir bench
at_exit="echo 'bench: removing $tmp' >&2"
fstype=$(stat -f -c %T "$tmp" 2> /dev/null)

say() {
	echo "bench: $*" >&2
}

# The checks of correctness, on standard error beside the progress.
right() {
	ok "$*" >&2
}

wrong() {
	bad "$*" >&2
}

# same WHAT GOT WANT: a count as it must be.
same() {
	if [ "$2" = "$3" ]; then
		right "$1: $2"
	else
		wrong "$1: $2, not $3"
	fi
}

# A clock in microseconds: GNU date, else perl or python3 (macOS).
if date +%N 2>/dev/null | grep -q '^[0-9][0-9]*$'; then
	now() { echo $(($(date +%s%N) / 1000)); }
elif perl -MTime::HiRes -e 1 2>/dev/null; then
	now() { perl -MTime::HiRes=time -e 'printf "%d\n", time * 1e6'; }
else
	now() { python3 -c 'import time; print(time.time_ns() // 1000)'; }
fi

# Peak RSS in KiB: GNU time (-f %M) or BSD time (-l, in bytes).
if /usr/bin/time -f %M -o "$tmp/rss" true 2>/dev/null; then
	rssmode=gnu
elif /usr/bin/time -l true 2>&1 | grep -q 'maximum resident'; then
	rssmode=bsd
else
	rssmode=none
	say "no /usr/bin/time: peak RSS not measured (Debian: apt-get install time)"
fi

# The fleet: profiles lo to hi of N into dir, their images into img.
# Every third includes common.inc.  Names, images and forwarded host
# ports (address and port) are distinct.  Variant v > 0 changes the
# profile's script (cpus) and its plist (stop-timeout).
gen() {
	awk -v lo="$1" -v hi="$2" -v v="$3" -v dir="$4" -v img="$5" 'BEGIN {
		for (i = lo; i <= hi; i++) {
			name = sprintf("vm%06d", i)
			f = dir "/" name ".ini"
			if (i % 3 == 0)
				printf "include = common.inc\n\n[vm]\n" > f
			else
				printf "[vm]\ncpus = %d\nmemory = 256M\n" \
				    "format = raw\n" \
				    "seed = http://10.0.2.2:8000/${name}/\n",
				    (v > 0 ? 2 + v % 2 : 1) > f
			printf "image = ../img/%s.raw\n\n", name > f
			printf "[network]\nmode = user\n" > f
			printf "forward = 127.0.%d.%d:%d:22\n\n",
			    int(i / 50000), 1 + i % 250, 10000 + i % 50000 > f
			printf "[service]\n" > f
			if (v > 0)
				printf "stop-timeout = %d\n", 31 + v % 2 > f
			close(f)
			if (img != "") {
				f = img "/" name ".raw"
				printf "" > f
				close(f)
			}
		}
	}'
}

cp "$top/tests/bench/fleet.host" "$tmp/host"

# Runs one timed command; sets us to its time in microseconds.  A
# failure or any diagnostic is wrong: the fleet is meant to be clean.
timed() {
	what=$1
	shift
	t0=$(now)
	"$@" > /dev/null 2> "$tmp/err"
	rc=$?
	t1=$(now)
	us=$((t1 - t0))
	if [ "$rc" != 0 ] || grep -q 'error:\|warning:' "$tmp/err"; then
		wrong "$what at N=$n exited $rc"
		sed 5q "$tmp/err" >&2
	else
		right "$what at N=$n"
	fi
}

# shellcheck disable=SC2317 # run by timed
vmc_build() {
	"$VMC" build -H "$tmp/host" -p "$rundir" -o "$1" "$dir/profiles"
}

# noop_opens OUT: a no-op rebuild into OUT opens no file there but its
# state (strace -y names the directory a relative open is made in).
noop_opens() {
	if ! command -v strace > /dev/null; then
		echo "  SKIP no output opened on a no-op (no strace)"
		return
	fi
	strace -f -qq -y -e trace=open,openat,openat2,creat \
	    -o "$tmp/noop.strace" "$VMC" build -H "$tmp/host" -p "$rundir" \
	    -o "$1" "$dir/profiles" || wrong "the traced no-op build failed"
	grep -F "$1" "$tmp/noop.strace" | grep -v O_DIRECTORY |
	    grep -v '"\.vmc-state"' > "$tmp/noop.opened"
	same "output files the no-op rebuild at N=$n opened" \
	    "$(awk 'END { print NR }' "$tmp/noop.opened")" 0
	head -n 3 "$tmp/noop.opened"
}

# shellcheck disable=SC2317 # run by timed
vmc_check() {
	"$VMC" check -H "$tmp/host" "$dir/profiles"
}

# The full build under time(1), for its peak RSS; kib is set.
# shellcheck disable=SC2317 # run by timed
vmc_build_rss() {
	case $rssmode in
	gnu)
		/usr/bin/time -f %M -o "$tmp/rss" "$VMC" build \
		    -H "$tmp/host" -p "$rundir" -o "$1" "$dir/profiles"
		;;
	bsd)
		/usr/bin/time -l "$VMC" build \
		    -H "$tmp/host" -p "$rundir" -o "$1" "$dir/profiles" \
		    2> "$tmp/rss.bsd"
		;;
	*)
		vmc_build "$1"
		;;
	esac
}

read_rss() {
	case $rssmode in
	gnu)	kib=$(tail -n 1 "$tmp/rss") ;;	# after "exited with"
	bsd)	kib=$(awk '/maximum resident/ { print int($1 / 1024) }' \
		    "$tmp/rss.bsd") ;;
	*)	kib= ;;
	esac
}

# The floor: the I/O a build cannot avoid, made durable as a build's
# commit is (sync -f is Linux's syncfs; elsewhere sync flushes all).
if sync -f "$tmp" 2> /dev/null; then
	durable="sync -f"
else
	durable=sync
fi

# shellcheck disable=SC2317 # run by timed
floor() {
	cp -r "$dir/profiles" "$1.a" && cp -r "$dir/profiles" "$1.b" &&
	    $durable "$1.b"
}

# Output files in $1 modified after the stamp; the build's own records,
# its state (.vmc-state) and index (.vmc-index), are not outputs.
newer() {
	find "$1" -type f ! -name .vmc-state ! -name .vmc-index \
	    -newer "$tmp/stamp" |
	    awk 'END { print NR }'
}

# The stamp, then a pause longer than the file system's clock tick so
# that any file written later is newer.
stamp() {
	touch "$tmp/stamp"
	sleep 0.05 2>/dev/null || sleep 1
}

# After a large removal the kernel frees the files' memory in the
# background for a few seconds; a build timed meanwhile shares the CPUs
# with it (a 100,000 build then takes 4.6 s instead of 3.2 s).
settle() {
	sleep 3
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

: > "$tmp/results"
for n in $sizes; do
	case $n in
	*[!0-9]* | '' | 0)
		echo "bench: BENCH_N: '$n' is not a positive number" >&2
		exit 2
		;;
	esac
	reps=${BENCH_REPS:-$([ "$n" -ge 100000 ] && echo 3 || echo 5)}
	case $reps in
	*[!0-9]* | '' | 0)
		echo "bench: BENCH_REPS: '$reps' is not a positive number" >&2
		exit 2
		;;
	esac
	dir=$tmp/n$n
	mkdir -p "$dir/profiles" "$dir/img"
	say "N=$n: generating"
	# shellcheck disable=SC2016
	printf '%s\n' '[vm]' 'cpus = 1' 'memory = 256M' 'format = raw' \
	    'seed = http://10.0.2.2:8000/${name}/' > "$dir/profiles/common.inc"
	gen 1 "$n" 0 "$dir/profiles" "$dir/img"
	# A build keeps no state when a profile changed in the second it
	# started (state.c); the timed builds come later than that.
	sleep 1

	say "N=$n: warming up"
	timed "warm-up build" vmc_build "$dir/warm"
	timed "warm-up check" vmc_check
	timed "warm-up copy" floor "$dir/warmcopy"
	[ "$fstype" = tmpfs ] && rm -rf "$dir/warm" "$dir/warmcopy.a" \
	    "$dir/warmcopy.b" && settle

	tf='' te='' tn='' tc='' tk='' tl='' rss=0 wn=0 wc=0
	k=1
	while [ "$k" -le "$reps" ]; do
		say "N=$n: repetition $k of $reps"
		# The last one-change rebuild is a second old: the no-op
		# can use the state (state.c).
		[ "$k" -gt 1 ] && sleep 1
		timed "copy" floor "$dir/copy$k"
		tl="$tl $us"

		# The output directory does not exist yet, as in CI.
		out=$dir/out$k
		timed "full build" vmc_build_rss "$out"
		tf="$tf $us"
		read_rss
		[ -n "$kib" ] && [ "$kib" -gt "$rss" ] && rss=$kib
		got=$(find "$out" -type f ! -name .vmc-state ! -name .vmc-index |
		    awk 'END { print NR }')
		same "files of the full build at N=$n" "$got" $((2 * n))

		# Into an empty directory that was there before.
		mkdir "$dir/existing$k"
		timed "full build into an existing directory" vmc_build \
		    "$dir/existing$k"
		te="$te $us"

		stamp
		timed "no-op rebuild" vmc_build "$out"
		tn="$tn $us"
		got=$(newer "$out")
		[ "$got" -gt "$wn" ] && wn=$got
		same "files the no-op rebuild at N=$n wrote" "$got" 0
		[ "$k" = 1 ] && noop_opens "$out"

		gen 1 1 "$k" "$dir/profiles" ""
		stamp
		timed "one-change rebuild" vmc_build "$out"
		tc="$tc $us"
		got=$(newer "$out")
		[ "$got" -gt "$wc" ] && wc=$got
		same "files the one-change rebuild at N=$n wrote" "$got" 2

		timed "check" vmc_check
		tk="$tk $us"
		[ "$fstype" = tmpfs ] && rm -rf "$dir/copy$k.a" "$dir/copy$k.b" \
		    "$out" "$dir/existing$k" && settle
		k=$((k + 1))
	done
	# shellcheck disable=SC2086
	echo "$n $reps $(median $tf) $(median $tn) $(median $tc)" \
	    "$(median $tk) $(median $tl) ${rss:-0} $wn $wc $(median $te)" \
	    >> "$tmp/results"
done

cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
echo "vmc benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -s) $(uname -m)," \
    "$cpus CPUs, $("$VMC" -V)"
echo "times in ms, medians; full: into a new directory; existing: into an"
echo "empty directory that was there; floor: cp -r of the profiles into two"
echo "directories, then $durable; no-op w, one-change w: output files written"
echo
awk -v rssmode="$rssmode" '
function ms(us) { return sprintf("%.1f", us / 1000) }
{
	n[NR] = $1; full[$1] = $3; noop[$1] = $4; floor[$1] = $7; rss[$1] = $8
	row[NR] = sprintf("| %7d | %4d | %9s | %9s | %8s | %10s | %8s | %8s | %10.2f | %11.2f | %10.2f | %7s | %7d | %12d |",
	    $1, $2, ms($3), ms($11), ms($4), ms($5), ms($6), ms($7), $3 / $7,
	    $11 / $7, $4 / $3,
	    rssmode == "none" ? "n/a" : sprintf("%.1f", $8 / 1024), $9, $10)
}
END {
	print "|       N | reps |      full |  existing |    no-op | one-change |    check |    floor | full/floor | exist/floor | no-op/full | RSS MiB | no-op w | one-change w |"
	print "|--------:|-----:|----------:|----------:|---------:|-----------:|---------:|---------:|-----------:|------------:|-----------:|--------:|--------:|-------------:|"
	for (i = 1; i <= NR; i++)
		print row[i]
	print ""
	print "targets:"
	for (k = 1000; k <= 10000; k *= 10)
		if (k in full)
			verdict(sprintf("full build at %d <= 1.5 x floor: %.2f x",
			    k, full[k] / floor[k]), full[k] <= 1.5 * floor[k])
		else
			printf "  SKIP full build at %d <= 1.5 x floor (N=%d not run)\n", k, k
	for (i = 1; i <= NR; i++)
		verdict(sprintf("no-op <= 0.1 x full build at %d: %.2f x",
		    n[i], noop[n[i]] / full[n[i]]), noop[n[i]] <= 0.1 * full[n[i]])
	if ((10000 in full) && (100000 in full))
		verdict(sprintf("full build 100000 / 10000 <= 12: %.1f " \
		    "(floor: %.1f)", full[100000] / full[10000],
		    floor[100000] / floor[10000]),
		    full[100000] <= 12 * full[10000])
	else
		print "  SKIP full build 100000 / 10000 <= 12 (needs both N)"
	if ((100000 in full) && rssmode != "none")
		verdict(sprintf("peak RSS at 100000 < 128 MiB: %.1f MiB",
		    rss[100000] / 1024), rss[100000] < 128 * 1024)
	else
		print "  SKIP peak RSS at 100000 < 128 MiB (not measured)"
}
function verdict(text, ok) { printf "  %-4s %s\n", ok ? "PASS" : "MISS", text }
' "$tmp/results"

# Hostile input: a 16 MiB profile of junk lines, alone and included 8
# times.  Diagnostics are capped (vmc(1)), so memory must stay small.
mkdir "$tmp/junk" "$tmp/junk8"
yes x | head -c 16777216 > "$tmp/junk/a.ini"
printf 'include = ../junk/a.ini\n%.0s' 1 2 3 4 5 6 7 8 > "$tmp/junk8/b.ini"
echo
echo "hostile input: vmc check, peak RSS and time"
echo
echo "| profile                   |  RSS MiB |  time ms | lines said |"
echo "|---------------------------|---------:|---------:|-----------:|"
for j in junk junk8; do
	t0=$(now)
	case $rssmode in
	gnu)	/usr/bin/time -f %M -o "$tmp/rss" "$VMC" check -H "$tmp/host" \
		    "$tmp/$j" 2> "$tmp/said" ;;
	bsd)	/usr/bin/time -l "$VMC" check -H "$tmp/host" "$tmp/$j" \
		    > /dev/null 2> "$tmp/rss.bsd"
		"$VMC" check -H "$tmp/host" "$tmp/$j" 2> "$tmp/said" ;;
	*)	"$VMC" check -H "$tmp/host" "$tmp/$j" 2> "$tmp/said" ;;
	esac
	st=$?
	t1=$(now)
	read_rss
	[ $st = 1 ] || wrong "vmc check of $j: exit $st, expected 1"
	name="16 MiB of junk lines"
	[ $j = junk8 ] && name="a profile including it 8x"
	mib=n/a
	[ -n "$kib" ] && mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
	printf '| %-25s | %8s | %8s | %10s |\n' "$name" "$mib" \
	    "$(((t1 - t0) / 1000))" "$(wc -l < "$tmp/said")"
	[ -n "$kib" ] && [ "$kib" -ge 65536 ] &&
	    wrong "vmc check of $j: peak RSS $kib KiB, at least 64 MiB"
done
rm -rf "$tmp/junk" "$tmp/junk8"
echo "target: peak RSS < 64 MiB for both (WRONG below if not)"

echo
if [ "$fail" -gt 0 ]; then
	echo "correctness: FAIL ($fail)"
else
	echo "correctness: ok (builds clean, no-op writes 0 files, one change writes 2)"
fi
finish
