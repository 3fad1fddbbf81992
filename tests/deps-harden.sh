#!/bin/sh
# Installs what the hardening tests need beyond tests/deps.sh: clang
# with its sanitizer and libFuzzer runtimes (tests/fuzz/run.sh,
# tests/sanitize.sh), valgrind (tests/sanitize.sh) and the tools the
# fault and crash tests call.
set -eu

case $(uname) in
Linux)
	pkgs="clang libclang-rt-14-dev valgrind util-linux coreutils"
	missing=
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
	;;
*)
	echo "deps-harden.sh: the hardening tests run on Linux" >&2
	exit 1
	;;
esac
