#!/bin/sh
# Runs the unit tests and the regression suite against vmc built with
# AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer,
# and the fault and state tests against it, then the unit tests and the
# regression and state suites with every vmc run under valgrind, which
# must find no error and no leak of any kind.  Builds in a temporary
# directory, never touching compiler/*.o.
#
#   sh tests/sanitize.sh
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
CC=${SANITIZE_CC:-clang}
# A source id, as the Makefile gives, so that builds keep their state;
# its quotes reach the compiler as the string literal's.
# shellcheck disable=SC2089
cflags="-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra
    -DVMC_SOURCE_ID=\"sanitize\" $(pkg-config --cflags inih libbsd-overlay)"
libs=$(pkg-config --libs inih libbsd-overlay)
san="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
    -fno-sanitize-recover=all"
tempdir sanitize
b=$tmp
mkdir "$b/asan" "$b/plain"

# A report makes vmc exit with a status no test expects.
ASAN_OPTIONS=detect_leaks=1:exitcode=97:abort_on_error=0
UBSAN_OPTIONS=halt_on_error=1:exitcode=98:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS

# build DIR FLAGS: compiles every compiler/*.c into DIR, links DIR/vmc.
build() {
	bd=$1
	shift
	objs=
	for src in "$top"/compiler/*.c; do
		o=$bd/$(basename "$src" .c).o
		# shellcheck disable=SC2086,SC2090
		$CC "$@" $cflags -c -o "$o" "$src" || return 1
		[ "${src##*/}" = main.c ] || objs="$objs $o"
	done
	# shellcheck disable=SC2086
	$CC "$@" -o "$bd/vmc" "$bd"/*.o $libs || return 1
	# shellcheck disable=SC2086,SC2090
	$CC "$@" $cflags -o "$bd/unit" "$top/tests/unit.c" $objs $libs
}

# suite NAME COMMAND...: runs a suite that ends "N passed, N failed".
suite() {
	name=$1
	shift
	log=$b/$(echo "$name" | tr ' ' '-').log
	if "$@" > "$log" 2>&1; then
		ok "$name: $(tail -n 1 "$log")"
	else
		bad "$name"
		grep -v '^ok ' "$log" | tail -n 60
	fi
}

# shellcheck disable=SC2086
if build "$b/asan" $san; then
	suite "unit (asan, ubsan)" "$b/asan/unit"
	suite "regress (asan, ubsan)" env VMC="$b/asan/vmc" \
	    sh "$top/tests/regress.sh"
	# The error paths of the output code, with the fault shim preloaded
	# after the statically linked ASan runtime.
	suite "faults (asan, ubsan)" env VMC="$b/asan/vmc" \
	    ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	    sh "$top/tests/faults/run.sh"
	suite "state (asan, ubsan)" env VMC="$b/asan/vmc" \
	    ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	    sh "$top/tests/state.sh"
	suite "install (asan, ubsan)" env VMC="$b/asan/vmc" \
	    sh "$top/tests/install.sh"
else
	bad "building with sanitizers"
fi

if ! command -v valgrind > /dev/null; then
	bad "valgrind is not installed (tests/deps.sh)"
elif CC=${VALGRIND_CC:-cc} build "$b/plain" -gdwarf-4 -O1; then
	cat > "$b/vmc-valgrind" <<EOT
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=all \\
    --errors-for-leak-kinds=all --error-exitcode=99 "$b/plain/vmc" "\$@"
EOT
	chmod +x "$b/vmc-valgrind"
	suite "unit (valgrind)" valgrind -q --leak-check=full \
	    --show-leak-kinds=all --errors-for-leak-kinds=all \
	    --error-exitcode=99 "$b/plain/unit"
	suite "regress (valgrind)" env VMC="$b/vmc-valgrind" \
	    sh "$top/tests/regress.sh"
	suite "state (valgrind)" env VMC="$b/vmc-valgrind" \
	    sh "$top/tests/state.sh"
else
	bad "building for valgrind"
fi

finish
