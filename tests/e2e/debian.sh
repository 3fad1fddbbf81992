#!/bin/sh
# Build (or reuse) a Debian 12 guest with systemd and udev, so that it
# powers off on the ACPI power button (systemd-logind acts on the "Power
# Button" input device udev sets up), with cloud-init and openssh-server.
# Prints the directory holding vmlinuz, initrd.img and root.qcow2 (the root
# file system on the whole disk, /dev/vda) on standard output; progress and
# errors go to standard error.  Boot it through a script's "$@" with
#	-kernel DIR/vmlinuz -initrd DIR/initrd.img
#	-append "root=/dev/vda console=ttyS0"
# and an overlay on root.qcow2: the cached image is never written to.
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/vmc-e2e/debian-KEY, KEY a hash of
# this file; one build takes a few minutes and needs deb.debian.org.

set -eu

cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vmc-e2e
suite=bookworm
mirror=http://deb.debian.org/debian
pkgs=systemd-sysv,udev,dbus,cloud-init,openssh-server,linux-image-amd64,\
ifupdown,isc-dhcp-client,iproute2,netbase,locales
size=3G

say()
{
	echo "debian: $*" >&2
}

die()
{
	echo "debian: error: $*" >&2
	exit 1
}

for t in mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs qemu-img:qemu-utils \
    sha256sum:coreutils; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
	    die "${t%%:*} not found (install ${t#*:}; tests/e2e/deps.sh does)"
done

# mmdebstrap and mkfs.ext4 -d need root to give the files their owners.
asroot=
if [ "$(id -u)" -ne 0 ]; then
	sudo -n true 2>/dev/null ||
	    die "building the image needs root or passwordless sudo"
	asroot="sudo -n"
fi

key=$(sha256sum "$0" | cut -c1-16)
gdir=$cache/debian-$key
if [ -f "$gdir/root.qcow2" ]; then
	echo "$gdir"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/tmp.XXXXXX")
trap '$asroot rm -rf "$work"' EXIT
root=$work/root
say "building $suite with mmdebstrap (a few minutes)"
# cloud-init's locale module fails without a generated locale.  No machine
# id and no ssh host keys: each boot of an overlay makes its own.  The
# hooks' $1 is mmdebstrap's, not this script's.
# shellcheck disable=SC2016
$asroot mmdebstrap --variant=minbase --include="$pkgs" \
    --customize-hook='echo "en_US.UTF-8 UTF-8" >"$1/etc/locale.gen"' \
    --customize-hook='chroot "$1" locale-gen >/dev/null' \
    --customize-hook='echo "/dev/vda / ext4 defaults 0 1" >"$1/etc/fstab"' \
    --customize-hook='echo vmc-e2e >"$1/etc/hostname"' \
    --customize-hook=': >"$1/etc/machine-id"' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
    "$suite" "$root" "$mirror" </dev/null >"$work/mmdebstrap.log" 2>&1 ||
    { tail -n 30 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
mkdir -p "$work/out"
cp -L "$root/vmlinuz" "$work/out/vmlinuz" 2>/dev/null ||
    cp "$root"/boot/vmlinuz-* "$work/out/vmlinuz" || die "no kernel"
cp -L "$root/initrd.img" "$work/out/initrd.img" 2>/dev/null ||
    cp "$root"/boot/initrd.img-* "$work/out/initrd.img" || die "no initrd"
say "making the $size root file system"
$asroot mkfs.ext4 -q -F -L root -d "$root" "$work/root.raw" "$size" \
    >/dev/null ||
    die "mkfs.ext4 -d failed"
$asroot chown -R "$(id -u):$(id -g)" "$work/out" "$work/root.raw"
qemu-img convert -f raw -O qcow2 "$work/root.raw" "$work/out/root.qcow2" ||
    die "qemu-img convert failed"
rm -rf "$gdir"
mv "$work/out" "$gdir"
$asroot rm -rf "$work"
trap - EXIT
for old in "$cache"/debian-*; do
	[ "$old" = "$gdir" ] || rm -rf "$old"
done
say "guest in $gdir"
echo "$gdir"
