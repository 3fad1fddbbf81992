#!/bin/sh
# Build (or reuse) the e2e guest: Debian's amd64 kernel plus a busybox-static
# initramfs running guest/init. Prints the directory holding vmlinuz and
# initrd.gz on standard output; progress and errors go to standard error.
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/vmc-e2e, keyed on every input.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vmc-e2e
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
    virtio_pci failover net_failover virtio_net"

say()
{
	echo "guest: $*" >&2
}

die()
{
	echo "guest: error: $*" >&2
	exit 1
}

need()
{
	command -v "$1" >/dev/null 2>&1 ||
	    die "$1 not found (install $2; tests/e2e/deps.sh does)"
}

hash_of()
{
	sha256sum "$@" | awk '{print $1}'
}

need apt-cache apt
need apt-get apt
need dpkg-deb dpkg
need sha256sum coreutils
need gzip gzip
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (install busybox-static)"
# The initramfs has no libc: only the static build runs there.
case $(dpkg-query -W -f '${Status}' busybox-static 2>/dev/null) in
*" installed") ;;
*) die "busybox-static is not installed" ;;
esac
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing although busybox-static is installed"

mkdir -p "$cache"

# Resolve the metapackage to the concrete image package and its version.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | head -n 1)
ver=
if [ -n "$pkg" ]; then
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
	    sed -n 's/^Version: //p' | head -n 1)
fi
if [ -n "$pkg" ] && [ -n "$ver" ]; then
	kdir=$cache/kernel/${pkg}_$ver
else
	# No package lists (apt-get update not run): a cached kernel will do.
	kdir=$(ls -d "$cache"/kernel/linux-image-*/ 2>/dev/null |
	    sort -V | tail -n 1)
	[ -n "$kdir" ] || die "cannot resolve linux-image-amd64 (run apt-get update) and no kernel is cached"
	kdir=${kdir%/}
	say "cannot resolve linux-image-amd64; using cached $(basename "$kdir")"
fi

if [ ! -f "$kdir/vmlinuz" ]; then
	say "fetching ${pkg}_$ver"
	work=$(mktemp -d "$cache/tmp.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get download "$pkg=$ver" >/dev/null 2>"$work/apt.err") ||
	    { cat "$work/apt.err" >&2; die "apt-get download $pkg=$ver failed"; }
	dpkg-deb -x "$work"/*.deb "$work/root" || die "dpkg-deb -x failed"
	mkdir -p "$work/kernel/modules"
	cp "$work"/root/boot/vmlinuz-* "$work/kernel/vmlinuz" ||
	    die "no vmlinuz in $pkg"
	for m in $modules; do
		f=$(find "$work/root/lib/modules" \( -name "$m.ko" -o \
		    -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) |
		    head -n 1)
		[ -n "$f" ] || die "module $m not in $pkg"
		out=$work/kernel/modules/$m.ko
		case $f in
		*.xz)	xz -dc "$f" >"$out" ;;
		*.zst)	zstd -qdc "$f" >"$out" ;;
		*.gz)	gzip -dc "$f" >"$out" ;;
		*)	cp "$f" "$out" ;;
		esac
	done
	echo "${pkg}_$ver" >"$work/kernel/version"
	rm -rf "$kdir"
	mkdir -p "$cache/kernel"
	mv "$work/kernel" "$kdir"
	# Keep only the kernel just fetched.
	for old in "$cache"/kernel/*; do
		[ "$old" = "$kdir" ] || rm -rf "$old"
	done
	rm -rf "$work"
	trap - EXIT
fi

key=$(cat "$kdir/version" "$busybox" "$here/guest/init" \
    "$here/guest/udhcpc.script" "$here/guest.sh" | sha256sum | cut -c1-16)
gdir=$cache/guest-$key
if [ ! -f "$gdir/initrd.gz" ]; then
	say "building initramfs $key"
	work=$(mktemp -d "$cache/tmp.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	root=$work/root
	mkdir -p "$root/bin" "$root/etc" "$root/lib/modules" "$root/dev" \
	    "$root/proc" "$root/sys" "$root/tmp"
	cp "$busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$here/guest/init" "$root/init"
	cp "$here/guest/udhcpc.script" "$root/etc/udhcpc.script"
	chmod 0755 "$root/init" "$root/etc/udhcpc.script" "$root/bin/busybox"
	cp "$kdir"/modules/*.ko "$root/lib/modules/"
	mkdir -p "$work/out"
	(cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null) |
	    gzip -9 >"$work/out/initrd.gz" || die "cpio failed"
	cp "$kdir/vmlinuz" "$work/out/vmlinuz"
	rm -rf "$gdir"
	mv "$work/out" "$gdir"
	for old in "$cache"/guest-*; do
		[ "$old" = "$gdir" ] || rm -rf "$old"
	done
	rm -rf "$work"
	trap - EXIT
fi

echo "$gdir"
