#!/bin/sh
# The shipped examples: output/ is what vmc makes of profiles/ now, and
# builds are reproducible and all or nothing.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir examples
rundir="/Library/Application Support/vmc"

build() {
	"$VMC" build -H "$top/profiles/mac.host" -p "$rundir" -o "$1" \
	    "$top/profiles" 2> "$tmp/stderr"
}

cd "$top" || exit 1
build "$tmp/a"
record $? "the examples build"
diff -r "$top/output" "$tmp/a" > "$tmp/diff"
record $? "output/ is up to date (make examples)"
cat "$tmp/diff"

# Another umask, locale, working directory and environment.
mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && umask 077 && env -i PATH=/usr/bin:/bin \
    LC_ALL=C.UTF-8 TZ=Asia/Tokyo "$VMC" build -H "$top/profiles/mac.host" \
    -p "$rundir" -o "$tmp/b" "$top/profiles" 2>/dev/null)
diff -r "$tmp/a" "$tmp/b" > /dev/null
record $? "another umask, locale, cwd and environment give the same bytes"
modes=$(cd "$tmp/b" && for f in *; do
	printf '%s %s\n' "$(fmode "$f")" "$f"
done)
echo "$modes" | grep -v -e '^755 .*\.sh$' -e '^644 .*\.plist$' > /dev/null
record $((1 - $?)) "modes are 755 and 644 whatever the umask"

# A second build into the same directory writes nothing.
touch -t 200001010000 "$tmp/a"/*
listing -a -t "$tmp/a" > "$tmp/before"
build "$tmp/a"
record $? "a rebuild succeeds"
listing -a -t "$tmp/a" > "$tmp/after"
cmp -s "$tmp/before" "$tmp/after"
record $? "an unchanged rebuild rewrites no file"
diff -r "$top/output" "$tmp/a" > /dev/null
record $? "and leaves the same bytes"

# A failing build leaves the directory byte-identical, even a file
# vmc did not write.
echo mine > "$tmp/a/notes.txt"
listing -a -t "$tmp/a" > "$tmp/before"
cp -r "$top/profiles" "$tmp/p"
printf '[vm]\nmemory = lots\n' > "$tmp/p/broken.ini"
"$VMC" build -H "$top/profiles/mac.host" -p "$rundir" -o "$tmp/a" \
    "$tmp/p" 2>/dev/null
[ $? = 1 ]
record $? "a build with an invalid profile exits 1"
listing -a -t "$tmp/a" > "$tmp/after"
cmp -s "$tmp/before" "$tmp/after"
record $? "and leaves the output directory as it was"
"$VMC" build -H "$top/profiles/mac.host" -p "$rundir" -o "$tmp/new" \
    "$tmp/p" 2>/dev/null
[ ! -e "$tmp/new" ]
record $? "and creates no output directory"

# Every example passes sh -n and shellcheck; the plists parse.
for f in "$top"/output/*.sh; do
	sh -n "$f" && shellcheck -s sh "$f"
	record $? "${f##*/}: sh -n and shellcheck"
done
python3 "$top/tests/plistcheck.py" "$top"/output/*.plist
record $? "the example plists parse and hold the expected keys"

finish
