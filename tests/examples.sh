#!/bin/sh
# The shipped examples: output/M is what vmc makes of profiles/M now for
# each Mac M (the Makefile's EXAMPLES), and builds are reproducible and
# all or nothing.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
VMC=${VMC:-$top/compiler/vmc}
case $VMC in /*) ;; *) VMC=$top/$VMC ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
rundir="/Library/Application Support/vmc"

# Names, modes, sizes, mtimes and contents of the files in a directory.
snapshot() {
	python3 - "$1" <<'PY'
import hashlib, os, sys
top = sys.argv[1]
for name in sorted(os.listdir(top)):
    p = os.path.join(top, name)
    st = os.lstat(p)
    with open(p, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(name, oct(st.st_mode), st.st_size, st.st_mtime_ns, digest)
PY
}

check() {
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok   $2"
	else
		fail=$((fail + 1))
		echo "FAIL $2"
	fi
}

# build DIR: the examples of Mac $m into DIR.
build() {
	"$VMC" build -H "$top/profiles/$m/mac.host" -p "$rundir" -o "$1" \
	    "$top/profiles/$m" 2> "$tmp/stderr"
}

cd "$top" || exit 1
# The Macs, as the Makefile lists them.
macs=$(sed -n 's/^EXAMPLES =[[:space:]]*//p' "$top/Makefile")
[ -n "$macs" ]
check $? "the Makefile lists the examples' Macs: $macs"
for m in $macs; do
	mkdir -p "$tmp/$m"
	build "$tmp/$m/a"
	check $? "$m: the examples build"
	diff -r "$top/output/$m" "$tmp/$m/a" > "$tmp/diff"
	check $? "$m: output/ is up to date (make examples)"
	cat "$tmp/diff"

	# Another umask, locale, working directory and environment.
	mkdir "$tmp/$m/elsewhere"
	(cd "$tmp/$m/elsewhere" && umask 077 && env -i PATH=/usr/bin:/bin \
	    LC_ALL=C.UTF-8 TZ=Asia/Tokyo "$VMC" build -H "$top/profiles/$m/mac.host" \
	    -p "$rundir" -o "$tmp/$m/b" "$top/profiles/$m" 2>/dev/null)
	diff -r "$tmp/$m/a" "$tmp/$m/b" > /dev/null
	check $? "$m: another umask, locale, cwd and environment give the same bytes"
	modes=$(cd "$tmp/$m/b" && for f in *; do
		printf '%s %s\n' "$(stat -c %a "$f" 2>/dev/null || stat -f %Lp "$f")" "$f"
	done)
	echo "$modes" | grep -v -e '^755 .*\.sh$' -e '^644 .*\.plist$' > /dev/null
	check $((1 - $?)) "$m: modes are 755 and 644 whatever the umask"

	# A second build into the same directory writes nothing.
	touch -t 200001010000 "$tmp/$m/a"/*
	snapshot "$tmp/$m/a" > "$tmp/before"
	build "$tmp/$m/a"
	check $? "$m: a rebuild succeeds"
	snapshot "$tmp/$m/a" > "$tmp/after"
	cmp -s "$tmp/before" "$tmp/after"
	check $? "$m: an unchanged rebuild rewrites no file"
	diff -r "$top/output/$m" "$tmp/$m/a" > /dev/null
	check $? "$m: and leaves the same bytes"

	# A failing build leaves the directory byte-identical, even a file
	# vmc did not write.
	echo mine > "$tmp/$m/a/notes.txt"
	snapshot "$tmp/$m/a" > "$tmp/before"
	cp -r "$top/profiles/$m" "$tmp/$m/p"
	printf '[vm]\nmemory = lots\n' > "$tmp/$m/p/broken.ini"
	"$VMC" build -H "$top/profiles/$m/mac.host" -p "$rundir" -o "$tmp/$m/a" \
	    "$tmp/$m/p" 2>/dev/null
	[ $? = 1 ]
	check $? "$m: a build with an invalid profile exits 1"
	snapshot "$tmp/$m/a" > "$tmp/after"
	cmp -s "$tmp/before" "$tmp/after"
	check $? "$m: and leaves the output directory as it was"
	"$VMC" build -H "$top/profiles/$m/mac.host" -p "$rundir" -o "$tmp/$m/new" \
	    "$tmp/$m/p" 2>/dev/null
	[ ! -e "$tmp/$m/new" ]
	check $? "$m: and creates no output directory"

	# Every example passes sh -n and shellcheck; the plists parse.
	for f in "$top/output/$m"/*.sh; do
		sh -n "$f" && shellcheck -s sh "$f"
		check $? "$m: ${f##*/}: sh -n and shellcheck"
	done
	python3 "$top/tests/plistcheck.py" "$top/output/$m"/*.plist
	check $? "$m: the example plists parse and hold the expected keys"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
