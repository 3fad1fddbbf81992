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
order="buf path look quote diag value parse schema model host derive resolve
    validate_disk validate_seed validate_net validate_vm validate_fleet
    validate_nets validate_lan qemu emit_sh emit_plist emit_seed state index output commit
    compile compile_hosts proc
    launchd running plan place install status operate console main"
# The rooms that judge must not look: every look at the file system or
# the user database is resolve.c's, which records it for the state.
pure="derive validate_disk validate_seed validate_net validate_vm
    validate_fleet validate_nets validate_lan"
looks="open openat fopen stat lstat fstatat access faccessat realpath
    getpwnam getpwuid getgrnam opendir readdir readlink path_open
    path_read path_resolve look_stat look_path look_user look_group
    look_file"

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
if [ "$n" -gt 0 ]; then
	ok "$n calls between files, each to an earlier layer"
else
	bad "no calls between files found: nm read nothing"
fi

# The pure rooms call nothing that looks at the system.
for f in $pure; do
	nm -u "$top/compiler/$f.o" 2>/dev/null | awk '{ print $NF }' |
	    sed 's/@.*//' > "$tmp/undef"
	found=
	for sym in $looks; do
		grep -qx "$sym" "$tmp/undef" && found="$found $sym"
		grep -qx "${sym}64" "$tmp/undef" && found="$found ${sym}64"
	done
	if [ -n "$found" ]; then
		bad "$f.c looks at the system:$found; that is resolve.c's"
	else
		ok "$f.c takes no look at the system"
	fi
done

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
