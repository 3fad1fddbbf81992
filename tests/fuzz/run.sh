#!/bin/sh
# Builds the fuzz harness with libFuzzer, ASan and UBSan (the compiler
# objects too, in a temporary directory, apart from compiler/*.o),
# replays every input in tests/fuzz/found/ (inputs that once failed),
# seeds the corpus in tests/fuzz/build/corpus/ from the regression
# cases and the shipped profiles, then fuzzes for FUZZ_SECONDS (default
# 60) in one process.  A failing input is kept in tests/fuzz/build/.
# Then the same for fuzz_readers.c, the readers of the index, the
# manifest, the DHCP leases, arp -an and the run record, seeded from
# the shipped examples' index and samples of the others.
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
# shellcheck disable=SC2086
$CC $flags -fsanitize=fuzzer,address,undefined $cflags \
    -o "$tmp/fuzz_readers" "$fz/fuzz_readers.c" $objs $libs ||
    { bad "link the readers' fuzz harness"; finish; }

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

# Seeds of the readers: the reader's number as a first byte, then a
# file as vmc writes it or as macOS's programs print it.
rc=$b/corpus-readers
mkdir -p "$rc"
{ printf '\000'; cat "$top/output/intel/.vmc-index"; } > "$rc/index"
{
	printf '\001vmc-manifest 1\nvm web local.vmc.web _vmc\npending\n'
	printf 'run /vmc/web/run\nconsole /vmc/web/console\nlog /var/log/web.log\n'
	printf 'f 755 0123456789abcdef /vmc/web.sh\nd 700 /vmc/web\n'
	printf 'fwd tcp 127.0.0.1 2222 22\nmac vmnet-shared 52:54:00:0a:0b:0c\nend 1\n'
} > "$rc/manifest"
printf '\002{\n\tname=web\n\tip_address=192.168.64.7\n\thw_address=1,52:54:0:a:b:c\n\tlease=0x60000100\n}\n' \
    > "$rc/leases"
printf '\003? (192.168.1.23) at 52:54:0:a:b:c on en0 ifscope [ethernet]\n? (10.0.0.1) at (incomplete) on en1\n' \
    > "$rc/arp"
printf '\004config 0123456789abcdef\nsince 1700000000\npid 1\nfwd tcp 127.0.0.1 2222 22\nended quit 0\nstopped\n' \
    > "$rc/run"

# fuzz NAME HARNESS CORPUS: fuzzes for $seconds.
fuzz() {
	echo "fuzzing $1 for $seconds s"
	# -close_fd_mask=2 silences vmc's diagnostics; sanitizer reports
	# still reach the log.
	if TMPDIR=$tmp "$2" -max_total_time="$seconds" \
	    -close_fd_mask=2 -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
	    -print_final_stats=1 -dict="$fz/vmc.dict" \
	    -artifact_prefix="$b/" "$3" > "$tmp/fuzz.log" 2>&1; then
		ok "fuzz $1 for $seconds s"
		grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' \
		    "$tmp/fuzz.log" || tail -n 3 "$tmp/fuzz.log"
	else
		bad "fuzz $1" "the input is kept in $b/"
		grep -A 60 -E 'ERROR|runtime error|deadly signal' \
		    "$tmp/fuzz.log" | head -n 80
		cp "$tmp/fuzz.log" "$b/last-failure-$1.log"
	fi
}

if [ "$seconds" -gt 0 ]; then
	fuzz profiles "$tmp/fuzz_vmc" "$b/corpus"
	fuzz readers "$tmp/fuzz_readers" "$rc"
fi
finish
