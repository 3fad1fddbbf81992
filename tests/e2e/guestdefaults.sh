#!/bin/sh
# Measures the guest-side defaults of the QEMU command line on the real
# Debian cloud-init guest (debian.sh), each against the same line with
# the default turned off, in one run:
#
#  - discard: the guest writes 512 MiB to a file, syncs, deletes it and
#    runs fstrim; the space the overlay takes on the host (its allocated
#    blocks) before the write, after it, and after the trim, with
#    discard = yes (discard=unmap,detect-zeroes=unmap) and discard = no.
#    Asserted: with the default, the overlay comes back to within 64 MiB
#    of its size before the write.
#  - rng: three first boots each with rng = yes (virtio-rng-pci fed by
#    /dev/urandom) and rng = no, each from a new overlay (cloud-init
#    makes the ssh host keys then): seconds from the script's start to
#    ssh answering, and the guest's entropy_avail at first login.
#    Recorded, not asserted.
#
# Under TCG, as CI has no KVM: a boot takes a minute or two, the whole
# run 15 to 25 minutes.  Not part of make check: make measure runs it.
#
#	sh tests/e2e/guestdefaults.sh	(VMC=path/to/vmc, default compiler/vmc)

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
cd "$top" || exit 1
helper="python3 $here/helper.py"
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
RUNS=${RUNS:-3}
qpid=

bail()
{
	bad "$*"
	finish
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

stop()
{
	[ -n "$qpid" ] || return 0
	kill -TERM "$qpid" 2>/dev/null
	_i=0
	while alive "$qpid" && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	alive "$qpid" && kill -KILL "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
}

# shellcheck disable=SC2016 # run on exit
at_exit='stop'
tempdir guest

guest=$(sh "$here/debian.sh") || bail "cannot build the Debian guest"
ssh-keygen -q -t ed25519 -N '' -C vmc-measure -f "$tmp/key" ||
    bail "ssh-keygen failed"
port=$($helper freeports 1) || bail "no free port"
# The guest has no sudo: root logs in with the key (fstrim needs root).
printf '#cloud-config\ndisable_root: false\n' >"$tmp/user-data"

# vm NAME KEY VALUE: a profile on the guest image, KEY = VALUE in [vm].
vm()
{
	mkdir -p "$tmp/p"
	cat >"$tmp/p/$1.ini" <<EOF
[vm]
arch = x86_64
accel = tcg
cpus = 2
memory = 1G
base = $guest/root.qcow2
image = $1.qcow2
$2 = $3
[cloud-init]
ssh-key = $tmp/key.pub
user-data = $tmp/user-data
[network]
mode = user
forward = $port:22
EOF
	rm -f "$tmp/p/$1.qcow2"
	rm -rf "$tmp/out"
	"$VMC" build -o "$tmp/out" "$tmp/p/$1.ini" >"$tmp/build.log" 2>&1 ||
	    { cat "$tmp/build.log"; bail "vmc build failed"; }
}

# boot NAME: starts NAME.sh with the guest's kernel; sets qpid and t0.
boot()
{
	t0=$(date +%s%3N)
	"$tmp/out/$1.sh" -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
	    -append "root=/dev/vda console=ttyS0" \
	    </dev/null >"$tmp/$1.console" 2>&1 &
	qpid=$!
}

gssh()
{
	ssh -q -i "$tmp/key" -p "$port" -o BatchMode=yes -o ConnectTimeout=10 \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o IdentitiesOnly=yes root@127.0.0.1 "$@" </dev/null
}

# up: waits for ssh; sets secs to the time since boot.
up()
{
	while [ $(($(date +%s%3N) - t0)) -lt $((BOOT_TIMEOUT * 1000)) ]; do
		alive "$qpid" || return 1
		if gssh true 2>/dev/null; then
			secs=$(awk -v ms=$(($(date +%s%3N) - t0)) \
			    'BEGIN { printf "%.1f", ms / 1000 }')
			return 0
		fi
		sleep 1
	done
	return 1
}

# The space the file takes on the host, in MiB (its allocated blocks).
mib()
{
	du -k "$1" | awk '{ printf "%d", $1 / 1024 }'
}

echo "# discard: 512 MiB written, deleted, trimmed"
for d in yes no; do
	vm "d$d" discard "$d"
	check "discard = $d: the image's -drive says so" sh -c \
	    "[ $d = no ] || grep -q 'discard=unmap,detect-zeroes=unmap' \
	    '$tmp/out/d$d.sh'"
	boot "d$d"
	up || bail "discard = $d: the guest did not answer on ssh"
	img=$tmp/p/d$d.qcow2
	gssh sync
	before=$(mib "$img")
	gssh dd if=/dev/urandom of=/var/tmp/big bs=1M count=512 \
	    conv=fsync status=none || bad "discard = $d: the write failed"
	written=$(mib "$img")
	gssh "rm /var/tmp/big && sync && fstrim -av" \
	    >"$tmp/fstrim.$d" 2>&1
	sleep 2
	after=$(mib "$img")
	echo "# discard = $d: overlay $before MiB before, $written MiB" \
	    "written, $after MiB trimmed ($(tr '\n' ' ' <"$tmp/fstrim.$d"))"
	eval "before_$d=$before after_$d=$after"
	stop
done
# shellcheck disable=SC2154 # set by eval
check "discard = yes: the overlay back within 64 MiB ($before_yes -> $after_yes MiB)" \
    test $((after_yes - before_yes)) -le 64
# shellcheck disable=SC2154
echo "# discard = no: the overlay keeps $((after_no - before_no)) MiB"

# Taken in turns, so that a change in the machine's load falls on both.
echo "# rng: first boots to ssh, $RUNS each, in turns"
t_yes='' t_no=''
for i in $(seq "$RUNS"); do
	for r in yes no; do
		vm "r$r" rng "$r"
		boot "r$r"
		up || bail "rng = $r: the guest did not answer on ssh"
		e=$(gssh cat /proc/sys/kernel/random/entropy_avail)
		rngs=$(gssh cat /sys/devices/virtual/misc/hw_random/rng_available)
		echo "# rng = $r, boot $i: ssh after $secs s, entropy_avail" \
		    "$e, hw_random: ${rngs:-none}"
		eval "t_$r=\"\$t_$r $secs\""
		stop
	done
done
echo "# rng = yes: ssh after$t_yes s"
echo "# rng = no: ssh after$t_no s"
finish
