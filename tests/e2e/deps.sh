#!/bin/sh
# Install what tests/e2e/run.sh and arch.sh need, as root on Debian.  The
# guest kernel is not installed: guest.sh fetches its package with apt-get
# download (which needs package lists, refreshed here when missing) into its
# cache.

set -eu

# netcat-openbsd: the scripts' /usr/bin/nc -U, as macOS has it.  mmdebstrap
# and e2fsprogs build the Debian guest (debian.sh, run by run.sh: cached).
pkgs="qemu-system-x86 qemu-system-arm qemu-efi-aarch64 qemu-utils
    busybox-static python3 iproute2 procps xz-utils zstd netcat-openbsd
    mmdebstrap e2fsprogs util-linux"

# ssh and curl reach the cloud-init guest of cloudinit.sh; mmdebstrap
# and e2fsprogs build it (debian.sh, cached).
pkgs="$pkgs openssh-client curl mmdebstrap e2fsprogs"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root" >&2
	exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
	echo "deps.sh: apt-get not found: Debian only" >&2
	exit 1
}

missing=
for p in $pkgs; do
	case $(dpkg-query -W -f '${Status}' "$p" 2>/dev/null) in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

# Lists are needed both to install and to resolve linux-image-amd64.
if [ -n "$missing" ] ||
    ! apt-cache depends linux-image-amd64 2>/dev/null | grep -q Depends; then
	apt-get update -q
fi
if [ -n "$missing" ]; then
	echo "deps.sh: installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $missing
fi
# The guest kernel: fetched into the cache now, not installed.
sh "$(dirname "$0")/guest.sh" >/dev/null
echo "deps.sh: e2e dependencies present, guest cached"
