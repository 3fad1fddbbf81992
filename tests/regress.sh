#!/bin/sh
# The regression suite: each directory in tests/regress/ is a case.
#
#   profiles/   the input files
#   host        host description for -H (default: default.host)
#   cmd         vmc arguments (default: build -H @HOST@ -p /vmc -o @OUT@ profiles)
#   status      expected exit status (default 0)
#   stderr      expected diagnostics (default: none)
#   stdout      expected standard output (default: none)
#   out/        expected output files of a build that succeeds
#   argv.NAME   expected arguments NAME.sh hands QEMU, one a line (-u
#               rewrites those that exist)
#   norun       the scripts are not run: they wait for socket_vmnet's
#               socket (their arguments: show, in ok-socket-vmnet)
#
# In cmd and expectations @CASE@ stands for the case directory and @REC@ for
# the argument recorder.  Usage: regress.sh [-u] [case ...]; -u writes
# the actual results as the expectations, to be reviewed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd -P)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
rec=$top/tests/argv-rec
update=0
if [ "${1:-}" = -u ]; then
	update=1
	shift
fi
tempdir regress

# Replaces machine-specific paths with their tokens, and the checksum of
# a job's files, which covers them, with @CONFIG@.
tokens() {
	sed -e "s|$casedir|@CASE@|g" -e "s|$rec|@REC@|g" -e "s|$work|@WORK@|g" \
	    -e 's|^config=[0-9a-f]\{16\}$|config=@CONFIG@|' "$@"
}

# One thing wrong in the case being run.
wrong() {
	echo "FAIL $name: $*"
	good=0
}

run_case() {
	name=$1
	casedir=$top/tests/regress/$name
	work=$tmp/$name
	out=$work/out
	mkdir -p "$work"
	host=$casedir/host
	[ -f "$host" ] || host=$top/tests/regress/default.host
	host_file "$work/host" "$host"
	cmd="build -H @HOST@ -p /vmc -o @OUT@ profiles"
	[ -f "$casedir/cmd" ] && cmd=$(cat "$casedir/cmd")
	want_status=0
	[ -f "$casedir/status" ] && want_status=$(cat "$casedir/status")
	# A failing build must leave what was there alone.
	if [ "$want_status" != 0 ]; then
		mkdir -p "$out"
		echo sentinel > "$out/keep"
	fi
	cmd=$(printf '%s\n' "$cmd" | sed -e "s|@HOST@|$work/host|g" \
	    -e "s|@OUT@|$out|g" -e "s|@CASE@|$casedir|g")
	# shellcheck disable=SC2086
	(cd "$casedir" && exec $VMC $cmd) > "$work/stdout" 2> "$work/stderr.raw"
	status=$?
	tokens "$work/stderr.raw" > "$work/stderr"
	good=1
	if [ $update = 1 ]; then
		echo "$status" > "$casedir/status"
		[ "$status" = 0 ] && rm "$casedir/status"
		if [ -s "$work/stderr" ]; then
			cp "$work/stderr" "$casedir/stderr"
		else
			rm -f "$casedir/stderr"
		fi
		if [ "$status" = 0 ] && [ -d "$out" ]; then
			rm -rf "$casedir/out"
			copy_outputs "$casedir/out"
		fi
	fi
	[ "$status" = "$want_status" ] ||
	    wrong "exit status $status, expected $want_status"
	if [ -f "$casedir/stderr" ]; then
		diff -u "$casedir/stderr" "$work/stderr" > "$work/diff" ||
		    { wrong "diagnostics differ"; cat "$work/diff"; }
	elif [ -s "$work/stderr" ]; then
		wrong "unexpected diagnostics"; cat "$work/stderr"
	fi
	tokens "$work/stdout" > "$work/stdout.tok"
	if [ $update = 1 ]; then
		if [ -s "$work/stdout.tok" ]; then
			cp "$work/stdout.tok" "$casedir/stdout"
		else
			rm -f "$casedir/stdout"
		fi
	fi
	if [ -f "$casedir/stdout" ]; then
		diff -u "$casedir/stdout" "$work/stdout.tok" > "$work/diff" ||
		    { wrong "output differs"; cat "$work/diff"; }
	elif [ -s "$work/stdout" ]; then
		wrong "unexpected output"; cat "$work/stdout"
	fi
	if [ "$want_status" != 0 ]; then
		if [ "$(ls -A "$out")" != keep ] ||
		    [ "$(cat "$out/keep")" != sentinel ]; then
			wrong "the output directory was changed"
		fi
	elif [ -d "$casedir/out" ]; then
		check_outputs
	fi
	if [ $good = 1 ]; then
		ok "$name"
	else
		fail=$((fail + 1))
	fi
}

# copy_outputs DIR: the output files, and those of the directories in
# it (a VM's seed), with machine-specific paths as tokens.
copy_outputs() {
	mkdir "$1"
	for f in "$out"/* "$out"/*/*; do
		[ -e "$f" ] || continue
		g=$1/${f#"$out"/}
		if [ -d "$f" ]; then
			mkdir "$g"
		else
			tokens "$f" > "$g"
		fi
	done
}

check_outputs() {
	copy_outputs "$work/tok"
	diff -ru "$casedir/out" "$work/tok" > "$work/diff" ||
	    { wrong "outputs differ"; cat "$work/diff"; }
	for f in "$out"/*.sh; do
		[ -f "$f" ] || continue
		[ "$(fmode "$f")" = 755 ] ||
		    wrong "${f##*/} is not mode 755"
		sh -n "$f" || wrong "${f##*/} fails sh -n"
		shellcheck -s sh "$f" || wrong "${f##*/} fails shellcheck"
		vm=${f##*/}
		vm=${vm%.sh}
		[ -f "$casedir/norun" ] && continue
		# The script runs QEMU (here the recorder) with its arguments
		# untouched by the shell, then what it was given.  What it
		# says (a restart marker it cannot make in the run directory
		# of -p) is shown only when it fails.
		# shellcheck disable=SC2016
		VMC_ARGV_OUT=$work/argv.$vm "$f" 'extra arg' '$(x)' \
		    2> "$work/script.err" ||
		    wrong "$vm.sh failed: $(head -n 3 "$work/script.err")"
		# shellcheck disable=SC2016
		tail -n 2 "$work/argv.$vm" | tr '\n' '|' |
		    grep -Fqx 'extra arg|$(x)|' ||
		    wrong "$vm.sh does not pass its arguments on"
		if [ -f "$casedir/argv.$vm" ]; then
			sed '$d' "$work/argv.$vm" | sed '$d' | tokens > "$work/argv.tok"
			[ $update = 1 ] && cp "$work/argv.tok" "$casedir/argv.$vm"
			diff -u "$casedir/argv.$vm" "$work/argv.tok" ||
			    wrong "$vm.sh hands QEMU other arguments"
		fi
	done
	for f in "$out"/*.cidata; do
		[ -d "$f" ] || continue
		python3 "$top/tests/yamlcheck.py" "$f" ||
		    wrong "${f##*/} is not read back as vmc wrote it"
	done
	for f in "$out"/*.plist; do
		[ -f "$f" ] || continue
		[ "$(fmode "$f")" = 644 ] ||
		    wrong "${f##*/} is not mode 644"
		python3 "$top/tests/plistcheck.py" "$f" || wrong "${f##*/} is not a valid plist"
	done
}

if [ $# = 0 ]; then
	for c in "$top"/tests/regress/*/; do
		c=${c%/}
		run_case "${c##*/}"
	done
else
	for c; do
		run_case "$c"
	done
fi
finish
