#!/bin/sh
# The shipped examples: output/ is what vmc makes of profiles/ now, and
# builds are reproducible and all or nothing.
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

build() {
	"$VMC" build -H "$top/profiles/mac.host" -p "$rundir" -o "$1" \
	    "$top/profiles" 2> "$tmp/stderr"
}

cd "$top" || exit 1
build "$tmp/a"
check $? "the examples build"
diff -r "$top/output" "$tmp/a" > "$tmp/diff"
check $? "output/ is up to date (make examples)"
cat "$tmp/diff"

# Another umask, locale, working directory and environment.
mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && umask 077 && env -i PATH=/usr/bin:/bin \
    LC_ALL=C.UTF-8 TZ=Asia/Tokyo "$VMC" build -H "$top/profiles/mac.host" \
    -p "$rundir" -o "$tmp/b" "$top/profiles" 2>/dev/null)
diff -r "$tmp/a" "$tmp/b" > /dev/null
check $? "another umask, locale, cwd and environment give the same bytes"
modes=$(cd "$tmp/b" && for f in *; do
	printf '%s %s\n' "$(stat -c %a "$f" 2>/dev/null || stat -f %Lp "$f")" "$f"
done)
echo "$modes" | grep -v -e '^755 .*\.sh$' -e '^644 .*\.plist$' > /dev/null
check $((1 - $?)) "modes are 755 and 644 whatever the umask"

# A second build into the same directory writes nothing.
touch -t 200001010000 "$tmp/a"/*
snapshot "$tmp/a" > "$tmp/before"
build "$tmp/a"
check $? "a rebuild succeeds"
snapshot "$tmp/a" > "$tmp/after"
cmp -s "$tmp/before" "$tmp/after"
check $? "an unchanged rebuild rewrites no file"
diff -r "$top/output" "$tmp/a" > /dev/null
check $? "and leaves the same bytes"

# A failing build leaves the directory byte-identical, even a file
# vmc did not write.
echo mine > "$tmp/a/notes.txt"
snapshot "$tmp/a" > "$tmp/before"
cp -r "$top/profiles" "$tmp/p"
printf '[vm]\nmemory = lots\n' > "$tmp/p/broken.ini"
"$VMC" build -H "$top/profiles/mac.host" -p "$rundir" -o "$tmp/a" \
    "$tmp/p" 2>/dev/null
[ $? = 1 ]
check $? "a build with an invalid profile exits 1"
snapshot "$tmp/a" > "$tmp/after"
cmp -s "$tmp/before" "$tmp/after"
check $? "and leaves the output directory as it was"
"$VMC" build -H "$top/profiles/mac.host" -p "$rundir" -o "$tmp/new" \
    "$tmp/p" 2>/dev/null
[ ! -e "$tmp/new" ]
check $? "and creates no output directory"

# Every example passes sh -n and shellcheck; the plists parse.
for f in "$top"/output/*.sh; do
	sh -n "$f" && shellcheck -s sh "$f"
	check $? "${f##*/}: sh -n and shellcheck"
done
python3 "$top/tests/plistcheck.py" "$top"/output/*.plist
check $? "the example plists parse and hold the expected keys"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
