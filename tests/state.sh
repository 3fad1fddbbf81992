#!/bin/sh
# The build state (OUTDIR/.vmc-state): a build in which nothing changed
# since the last clean build stops after a stat of each file, and any
# change to what a build reads or wrote makes it build again.  Each case
# changes one thing after a clean build, builds, and compares the output
# directory with a build of the same inputs into a new directory.  On
# Linux, the fault shim's trace shows which files each build opened.
#
#   sh tests/state.sh		(VMC=path to test another build)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir state
errlog=$tmp/err

# The trace, where LD_PRELOAD and the shim work.
traced=
if build_shim "$tmp/shim.so" 2> /dev/null &&
    VMC_TRACE="$tmp/probe" LD_PRELOAD="$tmp/shim.so" cat /dev/null \
    2> /dev/null && [ -e "$tmp/probe" ]; then
	traced=yes
else
	skip "traces" "no LD_PRELOAD shim here"
fi

host_file "$tmp/host"
cd "$tmp" || exit 1
mkdir p img
printf 'QFI\373' > img/a.qcow2
printf 'QFI\373' > img/b.qcow2
printf 'QFI\373' > img/c.qcow2
printf '[vm]\ncpus = 1\n' > p/common.inc
printf '[vm]\nmemory = 1G\nimage = ../img/a.qcow2\n' > p/a.ini
printf 'include = common.inc\n[vm]\nmemory = 1G\nimage = ../img/b.qcow2\n' \
    > p/b.ini
ln -s c.qcow2 img/c-link
printf '[vm]\nmemory = 1G\nimage = ../img/c-link\n' > p/c.ini

# Waits for the next second: files changed in the second a build starts
# keep it from recording a state.
tick() {
	s=$(date +%s)
	while [ "$(date +%s)" = "$s" ]; do
		sleep 0.1 2> /dev/null || sleep 1
	done
}

# build OUTDIR [ARGS]: builds p, tracing the files opened.
build() {
	o=$1
	shift
	rm -f "$tmp/trace"
	VMC_TRACE="$tmp/trace" LD_PRELOAD="${traced:+$tmp/shim.so}" \
	    "$VMC" build -H "$tmp/host" -p /vmc -o "$o" "$@" "$tmp/p" \
	    > /dev/null 2> "$tmp/err"
}

# 0 when the last build read a profile: it built rather than stopped.
read_profiles() {
	[ -z "$traced" ] || grep -q '\.ini$' "$tmp/trace"
}

# 0 when out holds what a build into a new directory makes.
same_as_new() {
	rm -rf ref
	"$VMC" build -H "$tmp/host" -p /vmc -o ref "$tmp/p" 2> /dev/null
	# Without the state, which names inodes.
	listing ref > "$tmp/ref.list"
	listing out > "$tmp/out.list"
	cmp -s "$tmp/ref.list" "$tmp/out.list"
}

# A clean build that records its state.
clean() {
	rm -rf out
	tick
	build out && [ -f out/.vmc-state ]
}

# case NAME STATUS: after the change, a build gives STATUS and, when 0,
# the files of a build into a new directory; it must have built.
check_case() {
	name=$1 want=$2
	build out
	st=$?
	read_profiles
	built=$?
	if [ "$st" != "$want" ]; then
		bad "$name" "exit status $st, expected $want"
	elif [ "$want" = 0 ] && ! same_as_new; then
		bad "$name" "the output differs from a new build"
		diff "$tmp/ref.list" "$tmp/out.list" | sed 's/^/	/'
	elif [ -n "$traced" ] && [ $built != 0 ]; then
		bad "$name" "the profiles were not read"
	else
		ok "$name"
	fi
}

# Nothing changed: nothing read but the state, nothing written.
if clean; then
	ok "a clean build records its state"
else
	bad "a clean build records its state" "no out/.vmc-state"
fi
touch "$tmp/stamp"
build out
st=$?
if [ $st = 0 ] && [ ! -s "$tmp/err" ] &&
    [ -z "$(find out -newer "$tmp/stamp")" ]; then
	ok "nothing changed: exit 0, nothing said, nothing written"
else
	bad "nothing changed" "exit $st, or a file was written"
fi
# The outputs are known by their inode's times, not read; of what the
# build read, nothing is opened (VMC may be a wrapper that opens more).
# The build a moment ago is in the state's clock tick no longer.
sleep 0.1
build out
if [ -n "$traced" ]; then
	if read_profiles || grep -q -e "^$tmp/p/" -e "^$tmp/img/" \
	    -e "^out/[^.]" -e "^out/\.vmc-index" -e "^@/[^.]" \
	    -e "^@/\.vmc-index" "$tmp/trace"
	then
		bad "nothing changed: only the state is read" \
		    "opened $(tr '\n' ' ' < "$tmp/trace")"
	else
		ok "nothing changed: only the state is read"
	fi
fi
# The same after a rebuild that renamed files into place, which moves
# their ctime: the state records them as they are after.
cp -p p/a.ini "$tmp/a.keep"
sed 's/1G/3G/' "$tmp/a.keep" > p/a.ini
tick
build out
sleep 0.1
build out
if [ -n "$traced" ]; then
	if grep -q -e "^@/[^.]" -e "^@/\.vmc-index" "$tmp/trace"; then
		bad "after a rebuild in place, nothing changed: only the state is read" \
		    "opened $(tr '\n' ' ' < "$tmp/trace")"
	else
		ok "after a rebuild in place, nothing changed: only the state is read"
	fi
fi
cp -p "$tmp/a.keep" p/a.ini


# A profile edited to the same size, its mtime put back.
clean
cp -p p/a.ini "$tmp/a.keep"
sed 's/1G/2G/' "$tmp/a.keep" > p/a.ini
touch -r "$tmp/a.keep" p/a.ini
check_case "a profile edited, same size and mtime" 0

clean
printf '[vm]\ncpus = 2\n' > p/common.inc
check_case "an include edited" 0

clean
printf 'RAW!' > img/a.qcow2
check_case "an image's contents changed (qcow2 to raw)" 0

clean
ln -sf b.qcow2 img/c-link
check_case "an image symlink pointed at another VM's disk" 1
ln -sf c.qcow2 img/c-link

# A disk beside the image is looked at as the image is.
cp p/a.ini "$tmp/a.keep"
printf 'QFI\373' > img/x.qcow2
ln -s x.qcow2 img/x-link
printf 'disk = ../img/x-link\n' >> p/a.ini
clean
printf 'RAW!' > img/x.qcow2
check_case "a disk's contents changed (qcow2 to raw)" 0
clean
ln -sf b.qcow2 img/x-link
check_case "a disk's symlink pointed at another VM's disk" 1
cp "$tmp/a.keep" p/a.ini

clean
rm out/a.sh
check_case "an output removed" 0

clean
echo '# mine' >> out/b.sh
check_case "an output edited" 0

# Edited in place to the same size, its mtime put back: only the
# contents tell, which the state's hash of each output catches.
clean
cp -p out/b.sh "$tmp/b.keep"
sed 's/-m 1024M/-m 2048M/' "$tmp/b.keep" > "$tmp/b.new"
cat "$tmp/b.new" > out/b.sh
touch -r "$tmp/b.keep" out/b.sh
check_case "an output edited in place, same size and mtime" 0

clean
chmod 700 out/b.sh
check_case "an output's mode changed" 0

clean
printf 'QFI\373' > img/d.qcow2
printf '[vm]\nmemory = 1G\nimage = ../img/d.qcow2\n' > p/d.ini
check_case "a profile added" 0

# The removed profile's files go with the build (vmc(1)); it is clean.
clean
rm p/d.ini
build out
st=$?
if [ $st = 0 ] && [ ! -e out/d.sh ] && [ ! -e out/local.vmc.d.plist ] &&
    same_as_new; then
	ok "a profile removed"
else
	bad "a profile removed" "exit $st, or the output differs"
fi

# A seed is made from files beside the profile: they count as read.
clean
printf 'QFI\373' > img/e.qcow2
printf '#cloud-config\n' > p/e.yaml
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEu/ufF5MtQJ6GhYkb7CTRWYpoHYsACDobMt15hOapJn\n' \
    > p/e.pub
printf '[vm]\nmemory = 1G\nimage = ../img/e.qcow2\n[cloud-init]\n'\
'user-data = e.yaml\nssh-key = e.pub\n' > p/e.ini
check_case "a profile with a seed added" 0
clean
printf '#cloud-config\npackages: [curl]\n' > p/e.yaml
check_case "a seed's user-data edited" 0
clean
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEu/ufF5MtQJ6GhYkb7CTRWYpoHYsACDobMt15hOapJn\n' \
    >> p/e.pub
check_case "a seed's key file edited" 0
clean
rm out/e.cidata/meta-data
check_case "a seed's file removed" 0

clean
sed 's/^cpus = 8/cpus = 4/' "$tmp/host" > "$tmp/host.new"
mv "$tmp/host.new" "$tmp/host"
check_case "the host changed" 0

clean
build out -p /elsewhere
st=$?
if [ $st = 0 ] && grep -q /elsewhere out/a.sh; then
	ok "another run directory"
else
	bad "another run directory" "exit $st, or a.sh does not use it"
fi

clean
printf 'vmc-state 1 0000000000000000\nend 0\n' > out/.vmc-state
check_case "a state of another build" 0
clean
head -c 100 out/.vmc-state > "$tmp/cut"
mv "$tmp/cut" out/.vmc-state
check_case "a truncated state" 0

# Something other than a regular file where the state or the index
# belongs: a FIFO must not hang the build, a device must not be read;
# each is ignored and replaced by the build's own.  timeout makes a hang
# a failure.
for f in .vmc-state .vmc-index; do
	for kind in fifo zero link; do
		clean
		rm "out/$f"
		case $kind in
		fifo) mkfifo "out/$f"; what=FIFO ;;
		zero) what="device (/dev/zero)"
		    mknod "out/$f" c 1 5 2> /dev/null ||
		    ln -s /dev/zero "out/$f" ;;
		link) ln -s /dev/zero "out/$f"; what="symlink to /dev/zero" ;;
		esac
		timeout 20 "$VMC" build -H "$tmp/host" -p /vmc -o out \
		    "$tmp/p" > /dev/null 2> "$tmp/err"
		st=$?
		if [ $st = 0 ] && [ -f "out/$f" ] && same_as_new; then
			ok "$f is a $what"
		else
			bad "$f is a $what" "exit $st (124: hung), or none made"
		fi
	done
done

# On this machine (no -H) validation checks the QEMU binary a profile
# names: once it is gone, the next build must say so.
mkdir -p live/p bin
printf 'QFI\373' > live/img.qcow2
cp "$top/tests/argv-rec" bin/qemu
printf '[vm]\nmemory = 64M\naccel = tcg\nimage = ../img.qcow2\nqemu = %s\n' \
    "$tmp/bin/qemu" > live/p/q.ini
tick
"$VMC" build -p /vmc -o live/out live/p > /dev/null 2> "$tmp/err"
st=$?
rm bin/qemu
"$VMC" build -p /vmc -o live/out live/p > /dev/null 2> "$tmp/err"
st2=$?
if [ $st = 0 ] && [ $st2 = 1 ] && grep -q "qemu: .*No such file" "$tmp/err"; then
	ok "the QEMU binary removed after a clean build"
else
	bad "the QEMU binary removed after a clean build" "not noticed"
fi

# The base of an overlay is read for its format, which goes into the
# script: a base replaced by an image of another format must be seen.
mkdir -p ov/p
printf 'QFI\373' > ov/base.img
printf '[vm]\nmemory = 64M\nimage = ../disk.qcow2\nbase = ../base.img\n' \
    > ov/p/o.ini
tick
"$VMC" build -H "$tmp/host" -p /vmc -o ov/out ov/p > /dev/null 2> "$tmp/err"
st=$?
rm ov/base.img
printf 'raw' > ov/base.img
tick
"$VMC" build -H "$tmp/host" -p /vmc -o ov/out ov/p > /dev/null 2> "$tmp/err"
st2=$?
if [ $st = 0 ] && [ $st2 = 0 ] && grep -q -- "-F raw" ov/out/o.sh; then
	ok "the base replaced by an image of another format"
else
	bad "the base replaced by an image of another format" "exit $st," \
	    "$st2, or the script still names the old format"
fi

# What a build killed after it began writing leaves: a temporary file
# beside a state that is otherwise fresh.  The next build must not stop
# short of removing it.
clean
echo partial > out/.vmc-tmp-7
build out
st=$?
set -- out/.vmc-tmp-*
if [ $st = 0 ] && [ ! -e "$1" ] && [ -f out/.vmc-state ] && same_as_new; then
	ok "a killed build's files are removed by the next"
else
	bad "a killed build's files" "exit $st, left files, or no state"
fi

# Built from another directory, through another relative path.
clean
mkdir -p elsewhere
(cd elsewhere && "$VMC" build -H "$tmp/host" -p /vmc -o ../out ../p \
    2> "$tmp/err")
st=$?
if [ $st = 0 ] && same_as_new; then
	ok "another working directory"
else
	bad "another working directory" "exit $st, or the output differs"
fi

# A profile changed in the second the build starts, or dated later (a
# date in the future stands in for "this second" without a race with
# the clock): no state is kept, and a later build keeps one again.
clean
printf '[vm]\nmemory = 1G\nimage = ../img/a.qcow2\n[service]\nautostart = no\n' \
    > p/a.ini
touch -t 209901010000 p/a.ini
build out
st=$?
cat p/a.ini > "$tmp/a.now" && cat "$tmp/a.now" > p/a.ini
if [ $st = 0 ] && [ ! -e out/.vmc-state ] && clean; then
	ok "a profile changed as the build starts: no state until later"
else
	bad "a profile changed as the build starts" "exit $st, or a state"
fi

# A build with a warning keeps no state: the warning must be said again.
clean
printf '[vm]\nmemory = 1G\nimage = ../img/gone.raw\nformat = raw\n' > p/w.ini
build out
st=$?
build out
if [ $st = 0 ] && [ ! -e out/.vmc-state ] && grep -q warning "$tmp/err"
then
	ok "a build with a warning keeps no state, and warns again"
else
	bad "a build with a warning" "exit $st, a state, or no warning"
fi

finish
