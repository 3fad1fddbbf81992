#!/bin/sh
# Scripts of both architectures on this machine's real QEMU, under TCG:
#
#  - an aarch64 VM with cpus = 10 (more than GICv2's 8) runs Debian's
#    qemu-system-aarch64 with the pflash firmware `vmc host` found, and
#    reaches the UEFI firmware, which prints to the serial console, with
#    no QEMU error;
#  - an x86_64 VM with its own cpu, machine-option and qemu-arg values,
#    a second disk and two CDs is accepted by qemu-system-x86_64: paused
#    with -S through "$@", it answers on its QMP socket with no error or
#    warning, and has each drive, the CDs read-only;
#  - the aarch64 VM has a CD too: virt takes the virtio SCSI controller.
#
# Run from the repository root: sh tests/e2e/arch.sh (VMC=path/to/vmc).
# Needs: qemu-system-arm, qemu-efi-aarch64, qemu-system-x86, qemu-utils,
# python3 (tests/e2e/deps.sh installs them).  Takes a few seconds.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
helper="python3 $here/helper.py"
ARM=/usr/bin/qemu-system-aarch64
X86=/usr/bin/qemu-system-x86_64
AAVMF=/usr/share/AAVMF/AAVMF_CODE.fd
UEFI_TIMEOUT=60		# seconds for the firmware to print
pid=

bail()
{
	bad "$*"
	finish
}

# Stops the job started last, by PID: TERM, which the script turns into
# a power-button press, 1 s (stop-timeout), then QMP quit; a kill of the
# script and QEMU after 20 seconds.
stop()
{
	[ -n "$pid" ] || return 0
	_q=$(pgrep -P "$pid")
	kill -TERM "$pid" 2>/dev/null
	_i=0
	while alive "$pid" && [ $_i -lt 200 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	alive "$pid" && kill -KILL "$pid" ${_q:+"$_q"} 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

# On the way out: no QEMU left, and the consoles when something failed.
# shellcheck disable=SC2016 # run on exit
at_exit='stop
if [ "$fail" -gt 0 ]; then
	for _f in "$tmp"/*.console "$tmp"/*.err; do
		[ -s "$_f" ] || continue
		echo "# ${_f##*/}:"
		sed "s/^/  | /" "$_f"
	done
fi'
tempdir arch

for f in "$ARM" "$X86" "$AAVMF" "$VMC"; do
	[ -e "$f" ] || bail "$f not found (tests/e2e/deps.sh; make)"
done
command -v qemu-img >/dev/null 2>&1 || bail "qemu-img not found"
mkdir "$tmp/p" "$tmp/out"
# An installer CD, as far as QEMU is concerned: a raw file.
dd if=/dev/zero of="$tmp/p/install.iso" bs=1024 count=1024 2>/dev/null ||
    bail "cannot write install.iso"

echo "# arch: vmc host"
"$VMC" host >"$tmp/host" 2>"$tmp/host.err"
check "vmc host: firmware-aarch64 = $AAVMF (64 MiB, for pflash)" \
    grep -qxF "firmware-aarch64 = $AAVMF" "$tmp/host"

echo "# arch: profiles"
for n in arm x86 data; do
	qemu-img create -q -f qcow2 "$tmp/p/$n.qcow2" 64M ||
	    bail "qemu-img create failed"
done
cat >"$tmp/p/arm.ini" <<EOF
; more CPUs than GICv2 has room for
[vm]
arch = aarch64
accel = tcg
cpus = 10
memory = 512M
image = arm.qcow2
cdrom = install.iso
[service]
stop-timeout = 1
EOF
cat >"$tmp/p/x86.ini" <<EOF
; escape hatches, each a form QEMU must take
[vm]
arch = x86_64
accel = tcg
cpu = qemu64,+ssse3,-pdpe1gb,phys-bits=40
memory = 256M
image = x86.qcow2
disk = data.qcow2
cdrom = install.iso
cdrom = install.iso,format=raw
machine-option = smm=off
machine-option = dump-guest-core=off
qemu-arg = -device
qemu-arg = virtio-rng-pci
qemu-arg = -rtc
qemu-arg = base=utc,clock=vm
[service]
stop-timeout = 1
EOF
# Built for this machine as it is: the live host, no -H.
"$VMC" build -o "$tmp/out" "$tmp/p" >"$tmp/build.err" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/build.err"; bail "vmc build exited $rc"; }
ok "vmc build of both profiles for this machine"
$helper script "$tmp/out/arm.sh" >"$tmp/arm.words" ||
    bail "arm.sh does not start QEMU once"
$helper script "$tmp/out/x86.sh" >"$tmp/x86.words" ||
    bail "x86.sh does not start QEMU once"
check "arm.sh: -machine virt,gic-version=3 (10 CPUs)" \
    grep -qxF "virt,gic-version=3" "$tmp/arm.words"
check "arm.sh: pflash firmware $AAVMF" grep -qxF \
    "if=pflash,format=raw,readonly=on,file=$AAVMF" "$tmp/arm.words"
check "x86.sh: -cpu qemu64,+ssse3,-pdpe1gb,phys-bits=40" \
    grep -qxF "qemu64,+ssse3,-pdpe1gb,phys-bits=40" "$tmp/x86.words"

echo "# arch: aarch64, 10 CPUs, to the UEFI firmware"
t0=$(date +%s)
"$tmp/out/arm.sh" </dev/null >"$tmp/arm.console" 2>"$tmp/arm.err" &
pid=$!
i=0
while [ $i -lt $((UEFI_TIMEOUT * 10)) ] && alive "$pid" &&
    ! grep -q "UEFI firmware" "$tmp/arm.console" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if alive "$pid" && grep -q "UEFI firmware" "$tmp/arm.console"; then
	ok "$ARM -smp 10 reached the UEFI firmware ($(($(date +%s) - t0)) s):" \
	    "$(grep -a -m 1 -o 'UEFI firmware[^)]*)' "$tmp/arm.console")"
else
	bad "$ARM -smp 10 reached the UEFI firmware"
fi
stop
# Only the message of the stop itself.
grep -v 'terminating on signal' "$tmp/arm.err" >"$tmp/arm.err2"
check "qemu-system-aarch64 printed no error" test ! -s "$tmp/arm.err2"

echo "# arch: x86_64 with its own cpu, machine options and arguments"
"$tmp/out/x86.sh" -S </dev/null >"$tmp/x86.console" 2>"$tmp/x86.err" &
pid=$!
r=$($helper qmpname "$tmp/out/x86.qmp" "$pid" 2>&1)
check "$X86 accepts them: paused, QMP answers as '$r'" test "$r" = x86
$helper qmpblock "$tmp/out/x86.qmp" "$pid" >"$tmp/x86.blocks" 2>&1
printf '%s\n' "$tmp/p/x86.qcow2 qcow2 rw" "$tmp/p/data.qcow2 qcow2 rw" \
    "$tmp/p/install.iso raw ro" "$tmp/p/install.iso raw ro" >"$tmp/x86.want"
check "QEMU has the image, the disk, and the CD twice, read-only: $(tr '\n' ';' <"$tmp/x86.blocks")" \
    cmp -s "$tmp/x86.want" "$tmp/x86.blocks"
# The extra arguments come last, just before the script's own; QEMU is
# the script's one child.
tail=$(tr '\0' ' ' <"/proc/$(pgrep -P "$pid")/cmdline" 2>/dev/null |
    sed 's/.*-serial chardev:serial0 //')
check "QEMU ran with them last: $tail" \
    test "$tail" = "-device virtio-rng-pci -rtc base=utc,clock=vm -S "
stop
grep -v 'terminating on signal' "$tmp/x86.err" >"$tmp/x86.err2"
check "qemu-system-x86_64 printed no error or warning" \
    test ! -s "$tmp/x86.err2"
finish
