#!/bin/sh
# Builds the fuzz harness with libFuzzer, ASan and UBSan (the compiler
# objects too, in a temporary directory, apart from compiler/*.o),
# replays every input in tests/fuzz/found/ (inputs that once failed),
# seeds the corpus in tests/fuzz/build/corpus/ from the regression
# cases and the shipped profiles, then fuzzes for FUZZ_SECONDS (default
# 60) in one process.  A failing input is kept in tests/fuzz/build/.
#
#   FUZZ_SECONDS=1800 sh tests/fuzz/run.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
fz=$top/tests/fuzz
b=$fz/build
seconds=${FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
flags="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all"
cflags="-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra
    $(pkg-config --cflags inih libbsd-overlay)"
libs=$(pkg-config --libs inih libbsd-overlay)
mkdir -p "$b/corpus"
tempdir fuzz
mkdir "$tmp/obj"

# The compiler's objects, apart from the normal build's.
objs=
for src in "$top"/compiler/*.c; do
	base=${src##*/}
	[ "$base" = main.c ] && continue
	o=$tmp/obj/${base%.c}.o
	objs="$objs $o"
	# shellcheck disable=SC2086
	$CC $flags -fsanitize=fuzzer-no-link,address,undefined \
	    $cflags -c -o "$o" "$src" || { bad "compile ${src##*/}"; finish; }
done
# shellcheck disable=SC2086
$CC $flags -fsanitize=fuzzer,address,undefined $cflags \
    -o "$tmp/fuzz_vmc" "$fz/fuzz_vmc.c" $objs $libs ||
    { bad "link the fuzz harness"; finish; }

# Inputs that once crashed must stay fixed.
for f in "$fz"/found/*; do
	[ -f "$f" ] || continue
	if TMPDIR=$tmp "$tmp/fuzz_vmc" -close_fd_mask=2 "$f" \
	    > "$tmp/replay.log" 2>&1; then
		ok "replay ${f##*/}"
	else
		bad "replay ${f##*/}"
		tail -n 40 "$tmp/replay.log"
	fi
done

# Seeds: each profile with its case's host description, its image
# pointed at the harness's disk so that validation goes deep.
n=0
for p in "$top"/tests/regress/*/profiles/*.ini "$top"/profiles/*/*.ini; do
	[ -f "$p" ] || continue
	d=${p%/profiles/*}
	h=$d/host
	[ -f "$h" ] || h=$top/tests/regress/default.host
	[ "$d" = "$top" ] && h=${p%/*}/mac.host
	n=$((n + 1))
	{
		sed 's/^image *=.*/image = disk.qcow2/' "$p"
		echo "%%host"
		sed 's|@REC@|/usr/bin/qemu-system-x86_64|' "$h"
	} > "$b/corpus/seed-$n"
done

if [ "$seconds" -gt 0 ]; then
	echo "fuzzing for $seconds s"
	# -close_fd_mask=2 silences vmc's diagnostics; sanitizer reports
	# still reach the log.
	if TMPDIR=$tmp "$tmp/fuzz_vmc" -max_total_time="$seconds" \
	    -close_fd_mask=2 -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	    -print_final_stats=1 -dict="$fz/vmc.dict" \
	    -artifact_prefix="$b/" "$b/corpus" > "$tmp/fuzz.log" 2>&1; then
		ok "fuzz for $seconds s"
		grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' \
		    "$tmp/fuzz.log" || tail -n 3 "$tmp/fuzz.log"
	else
		bad "fuzz" "the input is kept in $b/"
		grep -A 60 -E 'ERROR|runtime error|deadly signal' \
		    "$tmp/fuzz.log" | head -n 80
		cp "$tmp/fuzz.log" "$b/last-failure.log"
	fi
fi
finish
