#!/bin/sh
# The layers of compiler/: each file may call only files before it in
# this order, so there is no cycle and no call runs back up the
# pipeline.  Calls are read from the objects' symbol tables (nm), and
# vmc.h must list the files' functions in the same order.
#
#   sh tests/layers.sh		(after make)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir layers
order="buf path quote diag value parse model host validate qemu emit_sh
    emit_plist emit_seed state index output compile install status main"

rank() {
	i=0
	for f in $order; do
		[ "$f" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

# Every compiler/*.c is in the order, and every file there exists.
for src in "$top"/compiler/*.c; do
	f=$(basename "$src" .c)
	if [ "$(rank "$f")" = -1 ]; then
		bad "compiler/$f.c has no place in the layers"
	fi
done
for f in $order; do
	[ -f "$top/compiler/$f.c" ] || bad "compiler/$f.c is in the layers but missing"
done

# Who defines each function, then who calls whom.
: > "$tmp/defs"
for f in $order; do
	nm -g --defined-only "$top/compiler/$f.o" 2>/dev/null |
	    awk -v f="$f" 'NF == 3 { print $3, f }' >> "$tmp/defs"
done
: > "$tmp/edges"
for f in $order; do
	nm -u "$top/compiler/$f.o" 2>/dev/null | awk '{ print $NF }' |
	    sort -u > "$tmp/undef"
	awk -v f="$f" 'NR == FNR { def[$1] = $2; next }
	    ($1 in def) && def[$1] != f { print f, def[$1], $1 }' \
	    "$tmp/defs" "$tmp/undef" >> "$tmp/edges"
done
if [ ! -s "$tmp/defs" ]; then
	bad "no objects in compiler/: run make first"
fi
n=0
while read -r from to sym; do
	n=$((n + 1))
	if [ "$(rank "$to")" -ge "$(rank "$from")" ]; then
		bad "$from.c calls $sym of $to.c, which comes after it"
	fi
done < "$tmp/edges"
[ "$n" -gt 0 ] && ok "$n calls between files, each to an earlier layer"

# vmc.h lists the files in the same order.
grep '^/\* [a-z_]*\.c' "$top/compiler/vmc.h" | grep -o '[a-z_]*\.c' |
    sed 's|\.c$||' | tr '\n' ' ' > "$tmp/header"
# shellcheck disable=SC2086 # the words of order
want=$(printf '%s ' $order | sed 's/main $//')
if [ "$(cat "$tmp/header")" = "$want" ]; then
	ok "vmc.h lists the files in the order of the layers"
else
	bad "vmc.h lists $(cat "$tmp/header"); want $want"
fi
finish
