#!/bin/sh
# Installs what building vmc and running its tests need, when missing:
# Debian's packages with apt-get, or Homebrew's on a Mac.
set -eu

case $(uname) in
Darwin)
	for f in inih pkg-config mandoc shellcheck qemu pyyaml; do
		brew list --formula "$f" > /dev/null 2>&1 || brew install "$f"
	done
	;;
Linux)
	pkgs="make gcc pkg-config libinih-dev libbsd-dev mandoc shellcheck
	    python3 python3-yaml time qemu-system-x86 qemu-system-arm qemu-efi-aarch64
	    qemu-utils busybox-static iproute2
	    cpio gzip xz-utils kmod clang libclang-rt-14-dev valgrind
	    netcat-openbsd strace mmdebstrap e2fsprogs util-linux acl"
	missing=
	pkgs="$pkgs openssh-client curl mmdebstrap e2fsprogs"
	# The fleet's rollout: Ansible over ssh to network namespaces.
	pkgs="$pkgs ansible-core openssh-server"
	for p in $pkgs; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
		    grep -q 'ok installed' || missing="$missing $p"
	done
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	if [ -n "$missing" ]; then
		echo "installing:$missing"
		$sudo apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		    --no-install-recommends $missing
	fi
	# The guest kernel of the end-to-end tests.
	$sudo sh "$(dirname "$0")/e2e/deps.sh"
	;;
*)
	echo "deps.sh: install inih, pkg-config, mandoc and shellcheck by hand" >&2
	exit 1
	;;
esac
