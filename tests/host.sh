#!/bin/sh
# vmc host: what it prints is a host description that vmc check -H
# reads back, and it describes the machine as the live probe sees it.
# On Linux, in a private network namespace, interfaces are made with
# names the kernel allows but that are odd in an INI file; each must
# come back as its own section with its address.  Names a section cannot
# carry are tried one at a time: each must be left out with a warning.
#
#   sh tests/host.sh		(VMC=path to test another build)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir host
errlog=$tmp/err

# Names Linux takes (1 to 15 bytes, no '/', ':' or blank) that must work.
# shellcheck disable=SC2016 # a '$' in a name
set -- a.b-c_d x@y abcdefghijklmno a=b '#c' ';d' 'a"b' 'a\b' "a'b" \
    'a$b' 'a*b' a,b -x 9n 'a|b' 'a&b' 'a(b' 'a<b' a~b
# Names an INI section cannot carry: vmc host leaves them out, warning.
hostile="a]b;c [x] $(printf '\303\251t') $(printf '\377x')"

# A profile that needs nothing of the host but its description.
mkdir "$tmp/p"
printf 'QFI\373' > "$tmp/p/disk.qcow2"
printf '[vm]\nmemory = 64M\nimage = disk.qcow2\nqemu = %s\n' \
    "$top/tests/argv-rec" > "$tmp/p/vm.ini"

# described NAME HOSTFILE PROFILES: vmc check -H accepts the
# description, and the profiles are judged as on the live host.
described() {
	"$VMC" check -H "$2" "$3" > "$tmp/out" 2> "$tmp/err"
	st=$?
	if [ $st != 0 ] || [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then
		bad "$1" "vmc check -H exit $st, or it said something"
		return
	fi
	ok "$1"
}

"$VMC" host > "$tmp/host" 2> "$tmp/err"
st=$?
if [ $st = 0 ] && [ ! -s "$tmp/err" ]; then
	ok "vmc host exits 0 and says nothing on standard error"
else
	bad "vmc host" "exit $st, or it said something"
fi
described "this host's description is read back" "$tmp/host" "$tmp/p"
# The QEMU version, as the x86_64 QEMU it names says it.
q=$(sed -n 's/^x86_64 = //p' "$tmp/host")
if [ -n "$q" ]; then
	want=$("$q" --version | sed -n '1s/^QEMU emulator version \([0-9.]*\).*/\1/p')
	check "vmc host: version = $want, as $q --version says" \
	    grep -qxF "version = $want" "$tmp/host"
else
	skip "vmc host: the QEMU version" "no qemu-system-x86_64 here"
fi
# Homebrew's QEMU: the version is its Cellar directory's (the revision
# _1 left out), read from the path, not by running the binary, which
# here would say otherwise.
cellar=$tmp/hb/Cellar/qemu/9.2.0_1/bin
mkdir -p "$cellar" "$tmp/hb/bin"
printf '#!/bin/sh\necho "QEMU emulator version 1.0.0"\n' \
    > "$cellar/qemu-system-x86_64"
chmod +x "$cellar/qemu-system-x86_64"
ln -s ../Cellar/qemu/9.2.0_1/bin/qemu-system-x86_64 "$tmp/hb/bin/"
PATH=$tmp/hb/bin:$PATH "$VMC" host > "$tmp/hb.host" 2> /dev/null
check "vmc host: Homebrew's QEMU version from its Cellar path" \
    grep -qx "version = 9.2.0" "$tmp/hb.host"

# The rest makes interfaces, which needs a network namespace of its own.
if [ "$(uname)" != Linux ] || ! command -v ip > /dev/null ||
    ! command -v unshare > /dev/null; then
	skip "odd interface names" "Linux, ip and unshare are needed"
	finish
fi
ns=
for u in "unshare -n" "unshare -r -n"; do
	if $u true 2> /dev/null; then
		ns=$u
		break
	fi
done
if [ -z "$ns" ]; then
	skip "odd interface names" "no network namespace may be made here"
	finish
fi

# In the namespace: lo up, an interface for each name with address
# 10.77.N.1/24, then vmc host.  Bridges exist in every kernel; dummy
# interfaces need a module.
cat > "$tmp/ns.sh" <<'EOF'
out=$1 err=$2
shift 2
ip link set lo up || exit 1
i=0
for name; do
	i=$((i + 1))
	{ ip link add "$name" type dummy 2> /dev/null ||
	    ip link add "$name" type bridge; } &&
	    ip addr add "10.77.$i.1/24" dev "$name" &&
	    ip link set "$name" up || exit 1
done
exec "$VMC" host > "$out" 2> "$err"
EOF

# shellcheck disable=SC2086 # the command and its options
VMC=$VMC $ns sh "$tmp/ns.sh" "$tmp/ns.host" "$tmp/err" "$@"
record $? "in a namespace, $# interfaces with odd names, then vmc host"
# Each name comes back as its section, its address on the next line.
i=0
missing=
for name; do
	i=$((i + 1))
	grep -A 1 -Fx "[interface.$name]" "$tmp/ns.host" |
	    grep -Fqx "address = 10.77.$i.1/24" || missing="$missing '$name'"
done
if [ -z "$missing" ]; then
	ok "each odd name is printed as its section, with its address"
else
	bad "sections" "not printed as [interface.NAME] with its address:$missing"
fi
# Forwards to each address: the check must find them on the host, and
# 127.0.0.2 on lo, a loopback interface (Linux answers on all of 127/8).
i=0
mkdir "$tmp/f"
cp "$tmp/p/disk.qcow2" "$tmp/f"
{
	cat "$tmp/p/vm.ini"
	printf '[network]\nmode = user\nforward = 127.0.0.2:1999:22\n'
	for name; do
		i=$((i + 1))
		echo "forward = 10.77.$i.1:$((2000 + i)):22"
	done
} > "$tmp/f/vm.ini"
described "vmc check -H reads the odd names back, with their addresses" \
    "$tmp/ns.host" "$tmp/f"

set -f
for name in $hostile; do
	# shellcheck disable=SC2086
	VMC=$VMC $ns sh "$tmp/ns.sh" "$tmp/one.host" "$tmp/one.err" "$name"
	st=$?
	if [ $st != 0 ] || ! grep -Fq "left out: a host file cannot name it" \
	    "$tmp/one.err" || grep -Fqx "[interface.$name]" "$tmp/one.host"; then
		bad "hostile name" "vmc host exit $st, or '$name' not left \
out with a warning"
		continue
	fi
	described "an interface '$name' is left out with a warning, and \
the rest is read back" "$tmp/one.host" "$tmp/p"
done
set +f
finish
