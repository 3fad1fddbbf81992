#!/bin/sh
# The first-start block of the generated scripts, run by dash and by
# bash --posix (macOS's /bin/sh) with the real qemu-img; the argument
# recorder stands in for QEMU.  An overlay on base and an aarch64 UEFI
# variable store are made once, atomically; when making one fails, the
# script stops before QEMU with status 1 and leaves nothing behind.
# A VM on a socket_vmnet network waits for the network's socket before
# it starts QEMU.
#
#   sh tests/firststart.sh	(after make; needs qemu-img and bash)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
VMC=${VMC:-$top/compiler/vmc}
rec=$top/tests/argv-rec
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() {
	pass=$((pass + 1))
	echo "ok   $1"
}

bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
}

check() {
	_d=$1
	shift
	if "$@"; then ok "$_d"; else bad "$_d"; fi
}

for t in qemu-img bash dash; do
	command -v $t > /dev/null || { echo "firststart: no $t" >&2; exit 1; }
done
cd "$tmp" || exit 1
mkdir p
qemu-img create -q -f qcow2 p/base.qcow2 64M
truncate -s 1M p/arm.raw
head -c 4096 /dev/urandom > vars.fd
printf '[vm]\nmemory = 256M\nbase = base.qcow2\nimage = o.qcow2\n'\
'disk-size = 128M\n' > p/o.ini
printf '[vm]\narch = aarch64\nmemory = 256M\nimage = arm.raw\n' > p/arm.ini
truncate -s 1M p/net.raw
printf '[vm]\narch = x86_64\nmemory = 256M\nimage = net.raw\n[network]\n'\
'mode = vmnet-host\nvia = socket_vmnet\n' > p/net.ini
sed -e "s|@REC@|$rec|" -e "s|^qemu-img = .*|qemu-img = $(command -v qemu-img)|" \
    -e "s|^vars-aarch64 = .*|vars-aarch64 = $tmp/vars.fd|" \
    "$top/tests/regress/default.host" > host
printf 'version = 9.2.0\nsocket_vmnet = /opt/socket_vmnet/bin/socket_vmnet\n' \
    >> host
"$VMC" build -H host -p "$tmp/out" -o out p || exit 1
# The same, with a qemu-img that takes its time, to be interrupted.
printf '#!/bin/sh\nsleep 2\nexec %s "$@"\n' "$(command -v qemu-img)" > slow-img
chmod +x slow-img
sed "s|^qemu-img = .*|qemu-img = $tmp/slow-img|" host > host.slow
"$VMC" build -H host.slow -p "$tmp/out" -o out.slow p || exit 1
echo precious > victim

for sh in dash "bash --posix"; do
	rm -f p/o.qcow2 p/arm.raw.efivars argv
	VMC_ARGV_OUT=argv $sh out/o.sh 2> err
	check "$sh: o.sh creates the overlay and starts QEMU" \
	    test $? = 0 -a -f p/o.qcow2 -a -f argv
	qemu-img info p/o.qcow2 > o.info 2>&1
	check "$sh: the overlay is on the base, its format named" \
	    grep -qxF "backing file format: qcow2" o.info
	check "$sh: the overlay has disk-size" \
	    grep -q '^virtual size: 128 MiB' o.info
	VMC_ARGV_OUT=argv $sh out/arm.sh 2> err
	check "$sh: arm.sh copies the UEFI variables template" \
	    cmp -s vars.fd p/arm.raw.efivars
	# A second start keeps what the first made.
	printf changed | dd of=p/arm.raw.efivars conv=notrunc 2>/dev/null
	VMC_ARGV_OUT=argv $sh out/arm.sh 2> err
	check "$sh: a later start keeps the variable store" \
	    test "$(head -c 7 p/arm.raw.efivars)" = changed
	# A store cut short (a power cut as it was copied) is made anew.
	head -c 1000 vars.fd > p/arm.raw.efivars
	VMC_ARGV_OUT=argv $sh out/arm.sh 2> err
	check "$sh: a variable store cut short is copied anew" \
	    cmp -s vars.fd p/arm.raw.efivars
	check "$sh: ... saying so" grep -q "^arm: its UEFI variables .* are cut short: made anew" err
	# Without its base, the overlay cannot be made: no QEMU, no litter.
	rm -f p/o.qcow2 argv
	mv p/base.qcow2 base.away
	VMC_ARGV_OUT=argv $sh out/o.sh 2> err
	check "$sh: a failed qemu-img stops the script with status 1" \
	    test $? = 1
	check "$sh: ... before QEMU starts" test ! -e argv
	set -- p/o.qcow2*
	check "$sh: ... leaving no overlay or temporary file" test ! -e "$1"
	check "$sh: ... and saying why" grep -q "^o: cannot create its disk " err
	mv base.away p/base.qcow2
	# A link, dangling or not, is never replaced: it may name a disk
	# on a volume not mounted yet.
	rm -f p/o.qcow2 argv
	ln -s /Volumes/vmc-not-mounted/o.qcow2 p/o.qcow2
	VMC_ARGV_OUT=argv $sh out/o.sh 2> err
	check "$sh: a dangling link as the image stops the script" \
	    test $? = 1 -a ! -e argv
	check "$sh: ... the link left as it was" \
	    test "$(readlink p/o.qcow2)" = /Volumes/vmc-not-mounted/o.qcow2
	check "$sh: ... and saying why" grep -q "symbolic link to nothing" err
	rm -f p/o.qcow2
	# A link planted where a temporary file of the script's own pid
	# would go is never written through.
	# shellcheck disable=SC2016
	VMC_ARGV_OUT=argv $sh -c 'ln -s "$PWD/victim" p/o.qcow2.$$ &&
	    exec '"$sh"' out/o.sh' 2> err
	rm -f p/arm.raw.efivars
	# shellcheck disable=SC2016
	VMC_ARGV_OUT=argv $sh -c 'ln -s "$PWD/victim" p/arm.raw.efivars.$$ &&
	    exec '"$sh"' out/arm.sh' 2> err
	check "$sh: a planted link at a predictable name is not followed" \
	    test "$(cat victim)" = precious
	qemu-img info p/o.qcow2 > o.info 2>&1
	check "$sh: ... and the overlay made" \
	    grep -qxF "backing file format: qcow2" o.info
	check "$sh: ... and the variable store" cmp -s vars.fd p/arm.raw.efivars
	rm -f p/o.qcow2* p/arm.raw.efivars*
	# A signal during the first start removes what is half made.
	rm -f argv
	VMC_ARGV_OUT=argv $sh out.slow/o.sh 2> err &
	spid=$!
	sleep 1
	kill -TERM $spid
	wait $spid
	check "$sh: TERM during the first start ends the script, status 1" \
	    test $? = 1 -a ! -e argv
	set -- p/o.qcow2*
	check "$sh: ... leaving no overlay or temporary file" test ! -e "$1"
	# No QEMU before the network's socket is there; then at once.
	rm -f argv out/vmnet-host.sock
	VMC_ARGV_OUT=argv $sh out/net.sh 2> err &
	spid=$!
	sleep 2
	check "$sh: a VM waits for socket_vmnet's socket" \
	    test ! -e argv -a -z "$(kill -0 $spid 2>&1)"
	python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' out/vmnet-host.sock
	wait $spid
	check "$sh: ... and starts QEMU once it is there" \
	    test $? = 0 -a -e argv
	rm -f out/vmnet-host.sock
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
