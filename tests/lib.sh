# What the shell harnesses share.  A harness sets top to the repository
# and sources this file:
#
#	top=$(cd "$(dirname "$0")/.." && pwd)
#	. "$top/tests/lib.sh"
#
# It then has VMC (the vmc under test, an absolute path), the counters
# pass and fail with ok, bad, record and check, the closing line of
# summary and finish, a temporary directory from tempdir, and the
# helpers listing, fmode, host_file and build_shim.
# shellcheck shell=sh disable=SC2034

# The vmc under test: VMC from the environment, relative to the
# directory the harness was started in, or the one built in the tree.
VMC=${VMC:-$top/compiler/vmc}
case $VMC in /*) ;; *) VMC=$PWD/$VMC ;; esac

pass=0
fail=0
skipped=0
# A file whose contents bad shows under its message, when not empty.
errlog=

# ok NAME: one assertion held.
ok() {
	pass=$((pass + 1))
	printf 'ok   %s\n' "$1"
}

# bad NAME [WHY]: one assertion failed.
bad() {
	fail=$((fail + 1))
	printf 'FAIL %s\n' "$1${2:+: $2}"
	if [ -n "$errlog" ] && [ -s "$errlog" ]; then
		sed 's/^/	/' "$errlog"
	fi
	return 0
}

# skip NAME WHY: an assertion that cannot be tried here: counted as
# skipped, and as failed under CI (CI=true), which must try everything.
skip() {
	if [ "${CI:-}" = true ]; then
		bad "$1" "cannot run under CI: $2"
		return 0
	fi
	skipped=$((skipped + 1))
	printf 'skip %s: %s\n' "$1" "$2"
}

# record STATUS NAME: ok when STATUS is 0.
record() {
	if [ "$1" = 0 ]; then
		ok "$2"
	else
		bad "$2"
	fi
}

# check NAME COMMAND...: ok when COMMAND succeeds.
check() {
	_name=$1
	shift
	if "$@"; then
		ok "$_name"
	else
		bad "$_name"
	fi
}

# The closing line, which sanitize.sh and the Makefile's readers expect
# alone on the last line; 0 when nothing failed.
summary() {
	if [ "$skipped" -gt 0 ]; then
		echo "$pass passed, $fail failed, $skipped skipped"
	else
		echo "$pass passed, $fail failed"
	fi
	[ "$fail" = 0 ]
}

finish() {
	summary
	exit
}

# tempdir NAME [BASE]: makes tmp, a new directory under BASE (default
# TMPDIR or /tmp), removed on exit after the commands in at_exit run.
# A signal ends the harness through the same path.
at_exit=
tempdir() {
	tmp=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/vmc-$1.XXXXXX") || {
		echo "cannot create a temporary directory" >&2
		bad "setup" "mktemp"
		finish
	}
	trap 'eval "$at_exit"; rm -rf "$tmp"' EXIT
	trap 'exit 1' HUP INT PIPE TERM
}

# fmode FILE: the permission bits in octal (GNU stat, else BSD stat).
fmode() {
	stat -c %a "$1" 2> /dev/null || stat -f %Lp "$1"
}

# listing [-a] [-t] DIR: one line per entry of DIR and of the
# directories in it, sorted: path, mode, size and SHA-256 of a file;
# "path/ mode" for a directory; "path -> target" for a symbolic link.
# -a lists hidden entries too; -t adds the modification time in
# nanoseconds.
listing() {
	python3 - "$@" <<'EOF'
import hashlib, os, stat, sys

args = sys.argv[1:]
hidden = times = False
while args and args[0].startswith("-"):
    o = args.pop(0)
    hidden = hidden or "a" in o
    times = times or "t" in o
out = sys.stdout.buffer


def walk(top, prefix):
    for name in sorted(os.listdir(top)):
        if name.startswith(b".") and not hidden:
            continue
        p = os.path.join(top, name)
        st = os.lstat(p)
        mode = b"%o" % stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            line = prefix + name + b" -> " + os.readlink(p)
        elif stat.S_ISDIR(st.st_mode):
            line = prefix + name + b"/ " + mode
        else:
            with open(p, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest().encode()
            line = b"%s %s %d %s" % (prefix + name, mode, st.st_size,
                                     digest)
        if times:
            line += b" %d" % st.st_mtime_ns
        out.write(line + b"\n")
        if stat.S_ISDIR(st.st_mode):
            walk(p, prefix + name + b"/")


walk(os.fsencode(args[0]), b"")
EOF
}

# host_file DEST [SRC]: a host description for the tests, SRC (default
# tests/regress/default.host) with @REC@ made the argument recorder that
# stands in for QEMU.
host_file() {
	sed "s|@REC@|$top/tests/argv-rec|g" \
	    "${2:-$top/tests/regress/default.host}" > "$1"
}

# build_shim DEST: the fault and trace shim (tests/faults/shim.c) for
# LD_PRELOAD; non-zero where it cannot be built.
build_shim() {
	cc -Wall -Wextra -shared -fPIC -o "$1" "$top/tests/faults/shim.c" -ldl
}
