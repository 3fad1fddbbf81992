#!/bin/sh
# Faults: the output directory cannot be written, is a file, is full,
# or one call on vmc's write path fails (shim.c, by LD_PRELOAD).  Each
# must give exit status 3 and a message, and leave the output directory
# byte for byte as it was, without temporary files.  Then special files
# where a profile, an include or an image is expected (a FIFO, a
# dangling symlink, a directory, an unreadable file, an empty directory,
# a file over the size limit), and a QEMU path full of shell
# metacharacters that the generated script must still exec.
#
#   sh tests/faults/run.sh		(VMC=path to test another build)
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
mounts=
tempdir faults
# shellcheck disable=SC2317 # run on exit
unmount() {
	for m in $mounts; do
		umount "$m" 2> /dev/null
	done
}
at_exit=unmount
errlog=$tmp/err

build_shim "$tmp/shim.so" || { bad "setup" "the shim"; finish; }

host=$tmp/host
host_file "$host"

# Profiles a, b and c, then a second version: a and c changed in both
# their files, b unchanged, d new.  The second build writes six files
# and its index.
mkdir "$tmp/v1" "$tmp/v2"
for v in a b c d; do
	printf 'QFI\373' > "$tmp/$v.qcow2"
	printf '[vm]\nmemory = 1G\nimage = ../%s.qcow2\n' "$v" > "$tmp/v1/$v.ini"
	cp "$tmp/v1/$v.ini" "$tmp/v2/$v.ini"
done
rm "$tmp/v1/d.ini"
for v in a c; do
	printf '[service]\nautostart = no\n' >> "$tmp/v2/$v.ini"
	sed -i.bak 's/1G/2G/' "$tmp/v2/$v.ini" && rm "$tmp/v2/$v.ini.bak"
done

# Past the second the profiles were written in, so that builds keep
# their state (state.c).
sleep 1

# The old build, with a file of the user's beside it.
"$VMC" build -H "$host" -p /vmc -o "$tmp/old" "$tmp/v1" ||
    { bad "setup" "the old build"; finish; }
echo "not vmc's" > "$tmp/old/notes.txt"

# What a directory holds, hidden files too.
listing -a "$tmp/old" > "$tmp/old.list"

# expect NAME STATUS PATTERN DIR CMD...: runs CMD, wants STATUS, a
# diagnostic matching PATTERN, and DIR as listed in $tmp/want.list.
expect() {
	name=$1 want=$2 pattern=$3 dir=$4
	shift 4
	"$@" > /dev/null 2> "$tmp/err"
	st=$?
	if [ "$st" != "$want" ]; then
		bad "$name" "exit status $st, expected $want"
	elif ! grep -Eq -- "$pattern" "$tmp/err"; then
		bad "$name" "no diagnostic matching '$pattern'"
	elif [ -n "$dir" ] && ! listing -a "$dir" | cmp -s - "$tmp/want.list"; then
		bad "$name" "the output directory changed"
		listing -a "$dir" | diff "$tmp/want.list" - | sed 's/^/	/'
	else
		ok "$name"
	fi
	rm -f "$tmp/err"
}

# fault SPEC PATTERN [FILE]: the second build with one call failing, with
# a diagnostic about FILE (/NAME) in the output directory.
fault() {
	rm -rf "$tmp/out"
	cp -a "$tmp/old" "$tmp/out"
	cp "$tmp/old.list" "$tmp/want.list"
	expect "fault $1" 3 "^$tmp/out${3:-.*}: error: cannot $2" "$tmp/out" \
	    env VMC_FAULT="$1" LD_PRELOAD="$tmp/shim.so" \
	    "$VMC" build -H "$host" -p /vmc -o "$tmp/out" "$tmp/v2"
}

# The first open of a directory is the check for a fresh state.
fault open:2:EACCES "open the output directory: Permission denied"
fault flock:1:EIO "lock the output directory: Input/output error"
for n in 1 2 3 4 5 6; do
	fault "create:$n:EMFILE" "create a temporary file: Too many open files"
	fault "write:$n:ENOSPC" "write: No space left on device"
	fault "linkat:$n:EIO" "keep the old version: Input/output error"
	fault "renameat:$n:EIO" "rename into place: Input/output error"
done
# The seventh file is the build's index, the eighth its state,
# written and renamed last.
fault create:7:ENOSPC "create a temporary file: No space left on device" \
    /.vmc-index
fault write:7:EIO "write: Input/output error" /.vmc-index
fault linkat:7:EIO "keep the old version: Input/output error" /.vmc-index
fault renameat:7:EIO "rename into place: Input/output error" \
    /.vmc-index
fault create:8:ENOSPC "create a temporary file: No space left on device" \
    /.vmc-state
fault write:8:EIO "write: Input/output error" /.vmc-state
fault renameat:8:EIO "rename into place: Input/output error" \
    /.vmc-state
fault write:3:ENOSPC:half "write: No space left on device"
fault write:6:EDQUOT:half "write: Disk quota exceeded"
# fchmod is needed only when the umask takes bits from the modes.
mask=$(umask)
umask 077
fault fchmod:4:EPERM "set the mode: Operation not permitted"
umask "$mask"
fault close:5:EIO "write: Input/output error"
fault renameat:6:EXDEV "rename into place: Invalid cross-device link"

# Durable commits: the files and the directory are synced before the
# renames and after them (on Linux by one syncfs each, elsewhere by an
# fsync of each file too); a failed sync fails the build like a failed
# write, and puts back what was renamed.
if [ "$(uname)" = Linux ]; then
	fault fsync:1:EIO "sync the directory: Input/output error"
	fault fsync:2:EIO "sync the directory: Input/output error"
fi

# Elsewhere than Linux each file is fsync'ed, then each directory of a
# seed, then the output directory (with F_FULLFSYNC on macOS), before
# the renames and after.  A vmc built with VMC_PORTABLE_SYNC takes those
# steps here.  Every fsync of a build that changes a seed, failing in
# turn, must fail the build and leave the directory as it was, and one
# of them is the seed directory's.
pv=$tmp/portable
mkdir "$pv" "$pv/compiler" "$tmp/sd" "$tmp/sd/p"
cp "$top"/compiler/*.[ch] "$pv/compiler/"
cp "$top/Makefile" "$pv/"
if make -s -C "$pv" CPPFLAGS=-DVMC_PORTABLE_SYNC compiler/vmc \
    > "$tmp/err" 2>&1; then
	printf 'QFI\373' > "$tmp/sd/s.qcow2"
	printf '[vm]\nmemory = 64M\nimage = ../s.qcow2\n\n[cloud-init]\nhostname = one\n' \
	    > "$tmp/sd/p/s.ini"
	"$pv/compiler/vmc" build -H "$host" -p /vmc -o "$tmp/sd/old" \
	    "$tmp/sd/p" > /dev/null 2>&1
	sed 's/one/two/' "$tmp/sd/p/s.ini" > "$tmp/sd/x" &&
	    mv "$tmp/sd/x" "$tmp/sd/p/s.ini"
	# A second on, so that every build keeps its state: each takes
	# the same steps.
	sleep 1
	listing -a "$tmp/sd/old" > "$tmp/sd/old.list"
	n=1 failed=0 seeddir=0 wrong=
	while [ $n -le 40 ]; do
		rm -rf "$tmp/sd/out"
		cp -a "$tmp/sd/old" "$tmp/sd/out"
		VMC_FAULT=fsync:$n:EIO LD_PRELOAD="$tmp/shim.so" \
		    "$pv/compiler/vmc" build -H "$host" -p /vmc \
		    -o "$tmp/sd/out" "$tmp/sd/p" > /dev/null 2> "$tmp/err"
		st=$?
		[ $st = 0 ] && break
		failed=$((failed + 1))
		if [ $st != 3 ] || ! listing -a "$tmp/sd/out" |
		    cmp -s - "$tmp/sd/old.list"; then
			wrong="$wrong fsync:$n (exit $st)"
		fi
		grep "error:" "$tmp/err" >> "$tmp/sd/said"
		grep -q "/s.cidata: error: cannot sync the directory" \
		    "$tmp/err" && seeddir=$((seeddir + 1))
		n=$((n + 1))
	done
	if [ $st = 0 ] && [ -z "$wrong" ] && [ $seeddir = 2 ] &&
	    grep -q 'two' "$tmp/sd/out/s.cidata/meta-data"; then
		ok "portable sync: each of $failed fsyncs fails the build cleanly; the seed directory is synced before and after the renames"
	else
		bad "portable sync" "exit $st after $failed failures; \
wrong:$wrong; seed directory failures: $seeddir"
		sed 's/^/	/' "$tmp/sd/said"
	fi
else
	bad "build a vmc with the portable sync" "$(head -n 3 "$tmp/err")"
fi

# Where a hard link is refused (Linux's protected_hardlinks, FAT), the
# old version is kept as a copy instead: the build goes through.
for n in 1 4; do
	rm -rf "$tmp/out" "$tmp/want"
	cp -a "$tmp/old" "$tmp/out"
	"$VMC" build -H "$host" -p /vmc -o "$tmp/want" "$tmp/v2"
	rm -f "$tmp/want/.vmc-state"
	cp -p "$tmp/old/notes.txt" "$tmp/want/"
	listing "$tmp/want" > "$tmp/want.list"
	if env VMC_FAULT="linkat:$n:EPERM" LD_PRELOAD="$tmp/shim.so" "$VMC" \
	    build -H "$host" -p /vmc -o "$tmp/out" "$tmp/v2" 2> "$tmp/err" &&
	    listing "$tmp/out" | grep -v '^\.vmc-state ' |
	    cmp -s - "$tmp/want.list"; then
		ok "linkat:$n:EPERM: the old version is copied"
	else
		bad "linkat:$n:EPERM" "failed or differs"
	fi
done

# Memory runs out while the build writes: vmc exits at once, and what
# it wrote must still be undone.  ASan's allocator is not the shim's.
if [ -z "${ASAN_OPTIONS:-}" ]; then
	for n in 1 50; do
		rm -rf "$tmp/out"
		cp -a "$tmp/old" "$tmp/out"
		cp "$tmp/old.list" "$tmp/want.list"
		expect "fault malloc:$n:ENOMEM" 3 "Cannot allocate memory" \
		    "$tmp/out" env VMC_FAULT="malloc:$n:ENOMEM" \
		    LD_PRELOAD="$tmp/shim.so" "$VMC" build -H "$host" -p /vmc \
		    -o "$tmp/out" "$tmp/v2"
	done
else
	echo "skip malloc faults: AddressSanitizer's allocator is in use"
fi

# The output directory cannot be created: nothing appears.
: > "$tmp/want.list"
mkdir "$tmp/parent"
expect "fault mkdir:1:EACCES" 3 "cannot create the output directory: \
Permission denied" "$tmp/parent" env VMC_FAULT=mkdir:1:EACCES \
    LD_PRELOAD="$tmp/shim.so" "$VMC" build -H "$host" -p /vmc \
    -o "$tmp/parent/out" "$tmp/v2"

# A new output directory is staged beside it and renamed into place:
# a failure leaves neither behind.
for spec in create:1:EMFILE create:4:ENOSPC write:3:ENOSPC \
    write:2:EIO:half close:4:EIO renameat:1:EXDEV; do
	case $spec in
	create*) msg="create a temporary file" ;;
	renameat*) msg="rename into place" ;;
	*) msg="write" ;;
	esac
	expect "new output directory, fault $spec" 3 "^$tmp/parent/out.*: \
error: cannot $msg" "$tmp/parent" env VMC_FAULT="$spec" \
	    LD_PRELOAD="$tmp/shim.so" "$VMC" build -H "$host" -p /vmc \
	    -o "$tmp/parent/out" "$tmp/v2"
done
# Without a staging directory, temporary files in it do the job.
rm -rf "$tmp/want"
"$VMC" build -H "$host" -p /vmc -o "$tmp/want" "$tmp/v2"
# The state names inodes, which differ.
listing -a "$tmp/want" | grep -v '^\.vmc-state ' > "$tmp/want.list"
if env VMC_FAULT=mkdir:2:EIO LD_PRELOAD="$tmp/shim.so" "$VMC" build \
    -H "$host" -p /vmc -o "$tmp/parent/out" "$tmp/v2" &&
    listing -a "$tmp/parent/out" | grep -v '^\.vmc-state ' |
    cmp -s - "$tmp/want.list" &&
    [ "$(ls -A "$tmp/parent")" = out ]; then
	ok "new output directory, staging directory not made"
else
	bad "new output directory, staging directory not made" \
	    "failed, differs or left files"
fi
rm -rf "$tmp/parent/out"

# The output directory is a file, or a dangling symlink.
echo "a file" > "$tmp/parent/file"
listing -a "$tmp/parent" > "$tmp/want.list"
expect "output directory is a file" 3 "^$tmp/parent/file: error: cannot \
open the output directory: Not a directory" "$tmp/parent" \
    "$VMC" build -H "$host" -p /vmc -o "$tmp/parent/file" "$tmp/v2"
ln -s nowhere "$tmp/parent/link"
listing -a "$tmp/parent" > "$tmp/want.list"
expect "output directory is a dangling symlink" 3 "cannot open the output \
directory: No such file or directory" "$tmp/parent" \
    "$VMC" build -H "$host" -p /vmc -o "$tmp/parent/link" "$tmp/v2"

# A read-only output directory.  Root writes through permissions, so
# root makes a read-only bind mount, where that is allowed.
rm -rf "$tmp/ro"
cp -a "$tmp/old" "$tmp/ro"
cp "$tmp/old.list" "$tmp/want.list"
if [ "$(id -u)" != 0 ]; then
	chmod a-w "$tmp/ro"
	expect "output directory not writable" 3 "cannot create a temporary \
file: Permission denied" "$tmp/ro" "$VMC" build -H "$host" -p /vmc \
	    -o "$tmp/ro" "$tmp/v2"
	chmod u+w "$tmp/ro"
elif mount --bind "$tmp/ro" "$tmp/ro" 2> /dev/null; then
	mounts="$tmp/ro $mounts"
	if mount -o remount,bind,ro "$tmp/ro" 2> /dev/null; then
		expect "output directory read-only" 3 "cannot create a \
temporary file: Read-only file system" "$tmp/ro" "$VMC" build -H "$host" \
		    -p /vmc -o "$tmp/ro" "$tmp/v2"
	else
		echo "skip output directory read-only: cannot remount"
	fi
	umount "$tmp/ro"
else
	echo "skip output directory read-only: mount not permitted" \
	    "(the shim's EACCES and EROFS faults stand in)"
fi

# A full disk: a small tmpfs, filled up after the old build.
mkdir "$tmp/full"
if [ "$(id -u)" = 0 ] &&
    mount -t tmpfs -o size=256k,mode=755 tmpfs "$tmp/full" 2> /dev/null; then
	mounts="$tmp/full $mounts"
	cp -a "$tmp/old/." "$tmp/full/"
	dd if=/dev/zero of="$tmp/full/filler" bs=4096 2> /dev/null
	listing -a "$tmp/full" > "$tmp/want.list"
	expect "disk full" 3 "cannot write: No space left on device" \
	    "$tmp/full" "$VMC" build -H "$host" -p /vmc -o "$tmp/full" \
	    "$tmp/v2"
	# With room again the same build goes through.
	rm "$tmp/full/filler"
	if "$VMC" build -H "$host" -p /vmc -o "$tmp/full" "$tmp/v2" &&
	    ! listing -a "$tmp/full" | grep -q '^\.vmc-tmp-'; then
		ok "disk no longer full"
	else
		bad "disk no longer full" "the build failed or left files"
	fi
	umount "$tmp/full"
else
	echo "skip disk full: no tmpfs (the shim's ENOSPC faults stand in)"
fi

# Special files where vmc reads.  Root reads through permissions, so
# the unreadable cases run vmc as nobody.
asuser=
# shellcheck disable=SC2317 # run by expect
asnobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	asuser=nobody
	cp "$VMC" "$tmp/vmc"
	chmod 755 "$tmp" "$tmp/vmc"
	chmod 644 "$host"
fi
s=$tmp/special
mkdir "$s" "$s/p" "$s/empty" "$s/out"
echo sentinel > "$s/out/keep"
listing -a "$s/out" > "$tmp/want.list"
printf 'QFI\373' > "$s/disk.qcow2"
good='[vm]\nmemory = 1G\nimage = ../disk.qcow2\n'

# special NAME STATUS PATTERN: builds $s/p, which holds one case.
special() {
	expect "$1" "$2" "$3" "$s/out" "$VMC" build -H "$host" -p /vmc \
	    -o "$s/out" "$s/p"
	rm -rf "$s/p"
	mkdir "$s/p"
}

mkfifo "$s/p/fifo.ini"
special "profile is a FIFO" 3 "^$s/p/fifo.ini: error: '$s/p/fifo.ini' is \
not a regular file$"
ln -s nowhere.ini "$s/p/link.ini"
special "profile is a dangling symlink" 3 "^$s/p/link.ini: error: cannot \
read '$s/p/link.ini': No such file or directory$"
mkdir "$s/p/dir.ini"
printf %b "$good" > "$s/p/dir.ini/x.ini"
special "profile is a directory (skipped in a directory build)" 1 \
    "^$s/p: error: no profiles \(\*.ini\) in this directory$"
rm -rf "$s/p"
mkdir -p "$s/p/dir.ini"
expect "profile named on the command line is a directory" 1 "^$s/p/dir.ini: \
error: no profiles \(\*.ini\) in this directory$" "$s/out" "$VMC" build \
    -H "$host" -p /vmc -o "$s/out" "$s/p/dir.ini"
rm -rf "$s/p"
mkdir "$s/p"
special "empty directory" 1 "^$s/p: error: no profiles \(\*.ini\) in this \
directory$"
truncate -s 17M "$s/p/huge.ini"
special "profile over 16 MiB" 3 "'$s/p/huge.ini' is larger than 16 MiB$"
printf 'include = fifo.inc\n[vm]\nmemory = 1G\nimage = ../disk.qcow2\n' \
    > "$s/p/inc.ini"
mkfifo "$s/p/fifo.inc"
special "include is a FIFO" 3 "^$s/p/inc.ini:1: error: '$s/p/fifo.inc' is \
not a regular file$"
printf 'include = gone.inc\n[vm]\nmemory = 1G\nimage = ../disk.qcow2\n' \
    > "$s/p/inc.ini"
ln -s nowhere "$s/p/gone.inc"
special "include is a dangling symlink" 3 "^$s/p/inc.ini:1: error: cannot \
read '$s/p/gone.inc': No such file or directory$"
for kind in FIFO directory "dangling symlink"; do
	printf '[vm]\nmemory = 1G\nimage = img\nformat = raw\n' > "$s/p/i.ini"
	case $kind in
	FIFO) mkfifo "$s/p/img"; want=1
	    msg="^$s/p/i.ini:3: error: image: 'img' is not a regular file$" ;;
	directory) mkdir "$s/p/img"; want=1
	    msg="^$s/p/i.ini:3: error: image: 'img' is not a regular file$" ;;
	*) ln -s nowhere "$s/p/img"; want=0
	    msg="^$s/p/i.ini:3: warning: image: 'img' does not exist on this \
machine$" ;;
	esac
	if [ $want = 0 ]; then
		# A build for a described host may name an image that is
		# elsewhere: a warning, and the build is written.
		expect "image is a $kind" 0 "$msg" "" "$VMC" check -H "$host" \
		    "$s/p"
		rm -rf "$s/p"
		mkdir "$s/p"
	else
		special "image is a $kind" $want "$msg"
	fi
done
# Devices named as an include or an image are never opened: opening
# one can allocate a terminal (/dev/ptmx), set a power policy
# (/dev/cpu_dma_latency) or arm a watchdog.  The shim's trace shows
# every open.
for dev in /dev/ptmx /dev/cpu_dma_latency /dev/zero; do
	[ -c "$dev" ] || continue
	printf 'include = %s\n[vm]\nmemory = 1G\nimage = %s\n' "$dev" "$dev" \
	    > "$s/p/dev.ini"
	rm -f "$tmp/trace"
	expect "include and image are $dev" 3 "^$s/p/dev.ini:1: error: \
'$dev' is not a regular file$" "$s/out" env VMC_TRACE="$tmp/trace" \
	    LD_PRELOAD="$tmp/shim.so" "$VMC" build -H "$host" -p /vmc \
	    -o "$s/out" "$s/p"
	printf '[vm]\nmemory = 1G\nimage = %s\nformat = raw\n' "$dev" \
	    > "$s/p/dev.ini"
	expect "image is $dev" 1 "^$s/p/dev.ini:3: error: image: \
'$dev' is not a regular file$" "$s/out" env VMC_TRACE="$tmp/trace" \
	    LD_PRELOAD="$tmp/shim.so" "$VMC" build -H "$host" -p /vmc \
	    -o "$s/out" "$s/p"
	if grep -q "^$dev\$" "$tmp/trace"; then
		bad "$dev is never opened" "$(grep -c "^$dev\$" "$tmp/trace") opens"
	else
		ok "$dev is never opened"
	fi
	rm -rf "$s/p"
	mkdir "$s/p"
done
if [ -n "$asuser" ]; then
	chmod 755 "$s" "$s/p"
	chmod 777 "$s/out"
	printf %b "$good" > "$s/p/u.ini"
	chmod 000 "$s/p/u.ini"
	expect "profile unreadable" 3 "^$s/p/u.ini: error: cannot read \
'$s/p/u.ini': Permission denied$" "$s/out" asnobody "$tmp/vmc" build \
	    -H "$host" -p /vmc -o "$s/out" "$s/p"
	rm -f "$s/p/u.ini"
	printf '[vm]\nmemory = 1G\nimage = img\n' > "$s/p/u.ini"
	printf 'QFI\373' > "$s/p/img"
	chmod 000 "$s/p/img"
	expect "image unreadable" 1 "^$s/p/u.ini:3: error: image: 'img': \
Permission denied$" "$s/out" asnobody "$tmp/vmc" build -H "$host" \
	    -p /vmc -o "$s/out" "$s/p"
	rm -rf "$s/p"
	mkdir "$s/p"
elif [ "$(id -u)" != 0 ]; then
	printf %b "$good" > "$s/p/u.ini"
	chmod 000 "$s/p/u.ini"
	special "profile unreadable" 3 "^$s/p/u.ini: error: cannot read \
'$s/p/u.ini': Permission denied$"
else
	echo "skip unreadable files: root without setpriv"
fi

# Linux's protected_hardlinks: after a build as root into a directory
# a user owns, the user's own build must still go through, though the
# kernel refuses a hard link to root's files.
if [ -n "$asuser" ] &&
    [ "$(cat /proc/sys/fs/protected_hardlinks 2> /dev/null)" = 1 ]; then
	rm -rf "$tmp/ph" "$tmp/want"
	"$VMC" build -H "$host" -p /vmc -o "$tmp/ph" "$tmp/v1" &&
	    chown 65534:65534 "$tmp/ph"
	"$VMC" build -H "$host" -p /vmc -o "$tmp/want" "$tmp/v2"
	listing "$tmp/want" | grep -v '^\.vmc-state ' > "$tmp/want.list"
	if asnobody "$tmp/vmc" build -H "$host" -p /vmc -o "$tmp/ph" \
	    "$tmp/v2" 2> "$tmp/err" && listing "$tmp/ph" |
	    grep -v '^\.vmc-state ' | cmp -s - "$tmp/want.list"; then
		ok "a user builds over root's build (protected_hardlinks)"
	else
		bad "a user builds over root's build (protected_hardlinks)" \
		    "failed or differs"
	fi
	rm -rf "$tmp/ph" "$tmp/want" "$tmp/err"
else
	echo "skip protected_hardlinks: not root, or not enabled"
fi

# A default ACL on the output directory gives new files other modes
# than the umask would: each file still gets its own, and a build after
# the state is gone rewrites nothing.
mkdir "$tmp/acl"
if setfacl -d -m u::rwx,g::---,o::--- "$tmp/acl" 2> /dev/null; then
	"$VMC" build -H "$host" -p /vmc -o "$tmp/acl" "$tmp/v1"
	st=$?
	modes=$(cd "$tmp/acl" && stat -c '%a' ./*.sh ./*.plist | sort -u |
	    tr '\n' ' ')
	rm -f "$tmp/acl/.vmc-state"
	before=$(ls -li --time-style=full-iso "$tmp/acl")
	"$VMC" build -H "$host" -p /vmc -o "$tmp/acl" "$tmp/v1"
	if [ $st = 0 ] && [ "$modes" = "644 755 " ] &&
	    [ "$(ls -li --time-style=full-iso "$tmp/acl")" = "$before" ]; then
		ok "a default ACL on the output directory"
	else
		bad "a default ACL on the output directory" \
		    "exit $st, modes $modes, or files rewritten"
	fi
	# A new output directory is staged beside it, under the same ACL.
	"$VMC" build -H "$host" -p /vmc -o "$tmp/acl/new" "$tmp/v1"
	st=$?
	modes=$(cd "$tmp/acl/new" && stat -c '%a' ./*.sh ./*.plist .vmc-state |
	    sort -u | tr '\n' ' ')
	if [ $st = 0 ] && [ "$modes" = "644 755 " ]; then
		ok "a default ACL above a new output directory"
	else
		bad "a default ACL above a new output directory" \
		    "exit $st, modes $modes"
	fi
else
	echo "skip default ACL: setfacl missing or not supported here"
fi
rm -rf "$tmp/acl"

# A working directory deeper than PATH_MAX: the profile's directory
# cannot be resolved, which is an error, never a relative image path.
listing "$s/out" > "$tmp/want.list"
mkdir "$s/deep"
(
	cd "$s/deep" || exit 1
	long=$(printf '%0200d' 0)
	i=0
	while [ $i -lt 24 ]; do
		mkdir "$long" && cd -P "$long" || exit 1
		i=$((i + 1))
	done
	mkdir p
	printf 'QFI\373' > disk.qcow2
	printf '[vm]\nmemory = 1G\nimage = ../disk.qcow2\nformat = qcow2\n' \
	    > p/a.ini
	"$VMC" build -H "$host" -p /vmc -o "$s/out" p > /dev/null 2> "$tmp/err"
)
st=$?
if [ $st = 3 ] && grep -qx "p/a.ini: error: cannot resolve the profile's \
directory: File name too long" "$tmp/err" &&
    listing "$s/out" | cmp -s - "$tmp/want.list"; then
	ok "working directory deeper than PATH_MAX"
else
	bad "working directory deeper than PATH_MAX" "exit $st"
fi
rm -rf "$s/deep" "$tmp/err"

# Floods of diagnostics: a 16 MiB profile of junk lines, alone and
# included eight times, many bad profiles, and 16 MiB of settings.  What is said is bounded
# (DIAG_FILE_MAX a file read, DIAG_RUN_MAX a run, each saying it stops),
# and so is memory: under ulimit -v (not with ASan, which reserves more
# address space than any such limit) the build still fails as invalid.
mkdir "$s/big" "$s/big8" "$s/many"
yes x | head -c 16777216 > "$s/big/a.ini"
for i in 1 2 3 4 5 6 7 8; do
	echo "include = ../big/a.ini"
done > "$s/big8/b.ini"
for i in $(seq 1 12); do
	yes y | head -n 150 > "$s/many/m$i.ini"
done
mkdir "$s/kv"
{ echo '[vm]'; yes 'a = b' | head -c 16000000; } > "$s/kv/a.ini"
limit=
[ -z "${ASAN_OPTIONS:-}" ] && limit="ulimit -v 400000;"
# flood NAME DIR LINES: builds DIR, wants status 1, LINES lines said.
flood() {
	sh -c "$limit exec \"\$@\"" sh "$VMC" build -H "$host" -p /vmc \
	    -o "$s/out" "$2" > /dev/null 2> "$tmp/err"
	st=$?
	if [ $st != 1 ]; then
		bad "$1" "exit status $st, expected 1"
	elif [ "$(wc -l < "$tmp/err")" != "$3" ] ||
	    [ "$(grep -c 'the rest are not shown$' "$tmp/err")" = 0 ]; then
		bad "$1" "$(wc -l < "$tmp/err") lines said, expected $3"
	elif ! listing "$s/out" | cmp -s - "$tmp/want.list"; then
		bad "$1" "the output directory changed"
	else
		ok "$1"
	fi
	rm -f "$tmp/err"
}
flood "16 MiB of junk lines" "$s/big" 101
flood "16 MiB of junk lines included 8 times" "$s/big8" 808
flood "12 profiles of 150 bad lines" "$s/many" 1001
# Settings are kept for the model: at most 10000 a profile.
flood "16 MiB of key = value lines" "$s/kv" 101
rm -rf "$s/big" "$s/big8" "$s/many" "$s/kv"

# A file name that holds a newline and a terminal escape is said with
# both made visible: one line, no escape character.
d="$s/x
y$(printf '\033')[31m"
mkdir "$d"
printf 'junk\n' > "$d/e.ini"
"$VMC" check -H "$host" "$d" 2> "$tmp/err"
if [ "$(wc -l < "$tmp/err")" = 1 ] && ! grep -q "$(printf '\033')" "$tmp/err" &&
    grep -Fqx "$s/x\\012y\\033[31m/e.ini:1: error: expected 'key = value' \
or '[section]'" "$tmp/err"; then
	ok "a file name with a newline and an escape"
else
	bad "a file name with a newline and an escape" "said raw"
fi
rm -rf "$d" "$tmp/err"

# A QEMU path and an output directory full of shell metacharacters:
# the generated script must still exec QEMU (here the argument
# recorder) with exactly the declared arguments, and run nothing else.
# shellcheck disable=SC2016
q=$tmp/'q $(touch pwned) `touch pwned`;&|<>~'"'"'"\!#,='
# shellcheck disable=SC2016
o=$tmp/'o $(touch pwned);&|<>'"'"'"'
mkdir "$q" "$s/q"
ln -s "$top/tests/argv-rec" "$q/qemu-system-x86_64"
printf '[vm]\nmemory = 1G\nimage = ../disk.qcow2\nqemu = %s\n' \
    "$q/qemu-system-x86_64" > "$s/q/hq.ini"
if "$VMC" build -H "$host" -p /vmc -o "$o" "$s/q" 2> "$tmp/err" &&
    (cd "$tmp" && VMC_ARGV_OUT="$tmp/argv" "$o/hq.sh") &&
    [ ! -e "$tmp/pwned" ] && [ ! -e "$top/pwned" ]; then
	cat > "$tmp/argv.want" <<EOF
-name
guest=hq
-machine
q35
-accel
hvf
-accel
tcg
-cpu
max,-avx512f,-avx512vl,-pdpe1gb
-smp
1
-m
1024M
-drive
file=$s/disk.qcow2,format=qcow2,discard=unmap,detect-zeroes=unmap,if=virtio
-object
rng-random,id=rng0,filename=/dev/urandom
-device
virtio-rng-pci,rng=rng0
-nic
none
-qmp
unix:/vmc/hq.qmp,server=on,wait=off
-display
none
-chardev
socket,id=serial0,path=/vmc/hq.console,server=on,wait=off,logfile=/dev/stdout,logappend=on
-serial
chardev:serial0
EOF
	if cmp -s "$tmp/argv.want" "$tmp/argv"; then
		ok "QEMU path with shell metacharacters"
	else
		bad "QEMU path with shell metacharacters" "other arguments"
		diff "$tmp/argv.want" "$tmp/argv"
	fi
else
	bad "QEMU path with shell metacharacters" "build or exec failed"
fi

finish
