#!/bin/sh
# The shipped examples: output/M is what vmc makes of profiles/M now for
# each Mac M (the Makefile's EXAMPLES), and builds are reproducible and
# all or nothing.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir examples
rundir="/Library/Application Support/vmc"

# build DIR: the examples of Mac $m into DIR.
build() {
	"$VMC" build -H "$top/profiles/$m/mac.host" -p "$rundir" -o "$1" \
	    "$top/profiles/$m" 2> "$tmp/stderr"
}

cd "$top" || exit 1
# The Macs, as the Makefile lists them.
macs=$(sed -n 's/^EXAMPLES =[[:space:]]*//p' "$top/Makefile")
[ -n "$macs" ]
record $? "the Makefile lists the examples' Macs: $macs"
for m in $macs; do
	mkdir -p "$tmp/$m"
	build "$tmp/$m/a"
	record $? "$m: the examples build"
	diff -r "$top/output/$m" "$tmp/$m/a" > "$tmp/diff"
	record $? "$m: output/ is up to date (make examples)"
	cat "$tmp/diff"

	# Another umask, locale, working directory and environment.
	mkdir "$tmp/$m/elsewhere"
	(cd "$tmp/$m/elsewhere" && umask 077 && env -i PATH=/usr/bin:/bin \
	    LC_ALL=C.UTF-8 TZ=Asia/Tokyo "$VMC" build -H "$top/profiles/$m/mac.host" \
	    -p "$rundir" -o "$tmp/$m/b" "$top/profiles/$m" 2>/dev/null)
	diff -r "$tmp/$m/a" "$tmp/$m/b" > /dev/null
	record $? "$m: another umask, locale, cwd and environment give the same bytes"
	modes=$(cd "$tmp/$m/b" && for f in *; do
		printf '%s %s\n' "$(fmode "$f")" "$f"
	done)
	echo "$modes" | grep -v -e '^755 .*\.sh$' -e '^644 .*\.plist$' > /dev/null
	record $((1 - $?)) "$m: modes are 755 and 644 whatever the umask"

	# A second build into the same directory writes nothing.
	touch -t 200001010000 "$tmp/$m/a"/*
	listing -a -t "$tmp/$m/a" > "$tmp/before"
	build "$tmp/$m/a"
	record $? "$m: a rebuild succeeds"
	listing -a -t "$tmp/$m/a" > "$tmp/after"
	cmp -s "$tmp/before" "$tmp/after"
	record $? "$m: an unchanged rebuild rewrites no file"
	diff -r "$top/output/$m" "$tmp/$m/a" > /dev/null
	record $? "$m: and leaves the same bytes"

	# A failing build leaves the directory byte-identical, even a file
	# vmc did not write.
	echo mine > "$tmp/$m/a/notes.txt"
	listing -a -t "$tmp/$m/a" > "$tmp/before"
	cp -r "$top/profiles/$m" "$tmp/$m/p"
	printf '[vm]\nmemory = lots\n' > "$tmp/$m/p/broken.ini"
	"$VMC" build -H "$top/profiles/$m/mac.host" -p "$rundir" -o "$tmp/$m/a" \
	    "$tmp/$m/p" 2>/dev/null
	[ $? = 1 ]
	record $? "$m: a build with an invalid profile exits 1"
	listing -a -t "$tmp/$m/a" > "$tmp/after"
	cmp -s "$tmp/before" "$tmp/after"
	record $? "$m: and leaves the output directory as it was"
	"$VMC" build -H "$top/profiles/$m/mac.host" -p "$rundir" -o "$tmp/$m/new" \
	    "$tmp/$m/p" 2>/dev/null
	[ ! -e "$tmp/$m/new" ]
	record $? "$m: and creates no output directory"

	# Every example passes sh -n and shellcheck; the plists parse.
	for f in "$top/output/$m"/*.sh; do
		sh -n "$f" && shellcheck -s sh "$f"
		record $? "$m: ${f##*/}: sh -n and shellcheck"
	done
	python3 "$top/tests/plistcheck.py" "$top/output/$m"/*.plist
	record $? "$m: the example plists parse and hold the expected keys"
done

finish
