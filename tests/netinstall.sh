#!/bin/sh
# vmc install of the networks VMs reach through socket_vmnet: each
# network's daemon (its plist, local.vmc.net.NETWORK) goes in place,
# changes and goes away with the VMs on it, under -R in a scratch root,
# with tests/launchctl standing in for launchctl.  Networks go first on
# the way up and last on the way down; a change to a VM never touches
# its network; a change to a network restarts its daemon, and the plan
# says which VMs' links drop (QEMU 8.0 and later reconnect) or which VMs
# restart after it (an older QEMU does not).  Needs root.
#
#   sh tests/netinstall.sh	(VMC=path to test another build)
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
if [ "$(id -u)" != 0 ]; then
	skip "netinstall" "the install tests need root (files owned by root)"
	finish
fi
tempdir netinstall
root=$tmp/root
export FAKE_LAUNCHD="$tmp/launchd" VMC_LAUNCHCTL="$top/tests/launchctl"
rundir=/vmc
ld=$root/Library/LaunchDaemons
net=shared-192.168.105.1
nl=local.vmc.net.$net
mkdir -p "$root" "$FAKE_LAUNCHD" "$tmp/p"
chmod 755 "$root"
touch "$FAKE_LAUNCHD/log"

# host VERSION: the Intel Mac of the examples, with socket_vmnet.
host() {
	{
		cat "$top/profiles/intel/mac.host"
		printf 'version = %s\n' "$1"
		echo "socket_vmnet = /opt/socket_vmnet/bin/socket_vmnet"
	} > "$tmp/host"
}

# vm NAME END [MEMORY [USER]]: a VM on the shared network, DHCP up to
# END, its socket for group $group (daemon: on Linux and macOS alike).
group=daemon
vm() {
	cat > "$tmp/p/$1.ini" <<EOF
[vm]
memory = ${3:-1G}
image = /Users/Shared/VMs/$1.qcow2
format = qcow2
[network]
mode = vmnet-shared
via = socket_vmnet
group = $group
start-address = 192.168.105.1
end-address = $2
subnet-mask = 255.255.255.0
[service]
user = ${4:-root}
EOF
}

build() {
	"$VMC" build -H "$tmp/host" -p "$rundir" -o "$tmp/out" "$tmp/p" \
	    > /dev/null 2> "$tmp/builderr" ||
	    bad "build" "$(cat "$tmp/builderr")"
}

# Runs vmc, keeping its status, output and the launchctl calls it made.
vmc() {
	n=$(wc -l < "$FAKE_LAUNCHD/log")
	"$VMC" "$@" > "$tmp/stdout" 2> "$tmp/err"
	rc=$?
	tail -n +$((n + 1)) "$FAKE_LAUNCHD/log" | grep -v '^list$' > "$tmp/calls"
}

# said LINE...: install printed these lines; else shows what it printed.
# shellcheck disable=SC2317 # run by check
said() {
	printf '%s\n' "$@" > "$tmp/want"
	diff -u "$tmp/want" "$tmp/stdout" > "$tmp/diff" && return
	sed 's/^/	/' "$tmp/diff"
	return 1
}

lines() {
	printf '%s\n' "$@"
}

host 9.2.0
vm a 192.168.105.254
vm b 192.168.105.254
build

echo "# the network's daemon first, then the VMs on it"
vmc install -R "$root" "$tmp/out"
check "fresh install: the network added, then its VMs" \
    said "net:$net: added" "a: added" "b: added"
check "its daemon bootstrapped first: $(head -n 1 "$tmp/calls")" \
    test "$(cat "$tmp/calls")" = "$(lines "bootstrap system $ld/$nl.plist" \
    "bootstrap system $ld/local.vmc.a.plist" \
    "bootstrap system $ld/local.vmc.b.plist")"
check "its plist is root's, mode 644" \
    test "$(stat -c '%U %a' "$ld/$nl.plist" 2>&1)" = "root 644"
check "the plist installed is the one built" \
    cmp -s "$ld/$nl.plist" "$tmp/out/$nl.plist"
check "the manifest records the network" \
    grep -qx "net $net $nl daemon" "$root/var/db/vmc/manifest"

vmc install -R "$root" "$tmp/out"
check "again: all unchanged, no call" \
    test $rc = 0 -a ! -s "$tmp/calls"
check "again: the network unchanged" \
    said "net:$net: unchanged" "a: unchanged" "b: unchanged"

vmc status -R "$root"
check "status shows the network's daemon running: $(grep "^net:" "$tmp/stdout")" \
    grep -q "^net:$net  *$nl  *running" "$tmp/stdout"
vmc status -j -R "$root"
check "status -j: the daemon's object is of kind network, the VMs' of vm" \
    python3 -c '
import json, sys
v = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert v["net:" + sys.argv[2]]["kind"] == "network", v
assert v["net:" + sys.argv[2]]["state"] == "running", v
assert v["a"]["kind"] == v["b"]["kind"] == "vm", v
' "$tmp/stdout" "$net"
vmc stop -R "$root" "net:$net"
check "stop of a network: refused, said: $(cat "$tmp/err")" \
    test $rc != 0 -a ! -s "$tmp/calls"
check "... as a network's" grep -q "operate-net\|is a network's" "$tmp/err"

echo "# a change to a VM never touches its network"
vm a 192.168.105.254 2G
build
vmc install -R "$root" "$tmp/out"
check "a's memory changed: a alone, its restart pending" \
    said "net:$net: unchanged" "a: restart pending" "b: unchanged"
check "no call names the network's job" \
    test -z "$(grep -F "$nl" "$tmp/calls")"

echo "# a change to a network restarts its daemon; QEMU 9.2 reconnects"
vm a 192.168.105.200 2G
vm b 192.168.105.200
build
check "the daemon's plist has the new DHCP end" \
    grep -q -- "--vmnet-dhcp-end=192.168.105.200" "$tmp/out/$nl.plist"
vmc install -n -R "$root" "$tmp/out"
check "-n: the network changed, the VMs not" \
    said "net:$net: changed" "a: unchanged" "b: unchanged"
check "-n: the plan says whose links drop: $(cat "$tmp/err")" \
    grep -q "network $net changes .*the links of a, b drop" "$tmp/err"
check "-n: no call" test ! -s "$tmp/calls"
vmc install -R "$root" "$tmp/out"
check "the daemon restarted, nothing else" \
    test "$(cat "$tmp/calls")" = "$(lines "bootout system/$nl" \
    "bootstrap system $ld/$nl.plist")"

echo "# QEMU 7.2 does not reconnect: its VMs restart after the daemon"
host 7.2.0
build
vmc install -R "$root" "$tmp/out"
check "QEMU 7.2: the scripts changed (restart pending), the network not" \
    said "net:$net: unchanged" "a: restart pending" "b: restart pending"
vm a 192.168.105.254 2G
vm b 192.168.105.254
build
vmc install -R "$root" "$tmp/out"
check "the network changed: a and b restarted" \
    said "net:$net: changed" "a: restarted" "b: restarted"
check "... and said: $(cat "$tmp/err")" \
    grep -q "network $net changes .*a, b, whose QEMU (before 8.0) does not reconnect, restarted after it" \
    "$tmp/err"
check "the daemon first, then each VM stopped and started" \
    test "$(cat "$tmp/calls")" = "$(lines "bootout system/$nl" \
    "bootstrap system $ld/$nl.plist" \
    "bootout system/local.vmc.a" "bootstrap system $ld/local.vmc.a.plist" \
    "bootout system/local.vmc.b" "bootstrap system $ld/local.vmc.b.plist")"

echo "# the group of the socket, on the system installed to"
group=vmc-nogroup-$$
vm a 192.168.105.254 2G
vm b 192.168.105.254
build
vmc install -R "$root" "$tmp/out"
check "a group that does not exist here: refused, no call: $(cat "$tmp/err")" \
    test $rc = 1 -a ! -s "$tmp/calls" -a ! -s "$tmp/stdout"
check "... said" grep -q "network $net is for group $group, which does not exist" \
    "$tmp/err"
group=daemon
vm a 192.168.105.254 2G
vm b 192.168.105.254 1G nobody
build
vmc install -R "$root" "$tmp/out"
check "a VM's user outside the group: refused, no call: $(cat "$tmp/err")" \
    test $rc = 1 -a ! -s "$tmp/calls" -a ! -s "$tmp/stdout"
check "... said" grep -q "VM b runs as user nobody, who is not in group daemon" \
    "$tmp/err"

echo "# the files QEMU opens as the VM's user"
group=$(id -gn nobody)
vm a 192.168.105.254 2G
vm b 192.168.105.254 1G nobody
build
mkdir -p "$root/Users/Shared/VMs"
: > "$root/Users/Shared/VMs/b.qcow2"
chmod 600 "$root/Users/Shared/VMs/b.qcow2"
vmc install -n -R "$root" "$tmp/out"
check "b's image root's, mode 600: said: $(cat "$tmp/err")" \
    grep -q "b.qcow2: warning: VM b runs as user nobody, whom the owner and mode of this file do not let write it" \
    "$tmp/err"
chown nobody "$root/Users/Shared/VMs/b.qcow2"
vmc install -n -R "$root" "$tmp/out"
check "b's image nobody's: no warning: $(cat "$tmp/err")" \
    test $rc = 0 -a -z "$(grep warning "$tmp/err")"
group=daemon
vm a 192.168.105.254 2G
vm b 192.168.105.254 1G nobody

echo "# the group, on the machine that builds"
# A live build (no -H) looks the group up; this host is no Mac, which
# is said too, and beside the point.
"$VMC" check "$tmp/p/b.ini" > /dev/null 2> "$tmp/err"
check "nobody is not in daemon: $(grep group-member "$tmp/err")" \
    grep -q "b.ini:8: error: group: user 'nobody' is not in group 'daemon'" \
    "$tmp/err"
group=vmc-nogroup-$$
vm b 192.168.105.254 1G nobody
"$VMC" check "$tmp/p/b.ini" > /dev/null 2> "$tmp/err"
check "a group that does not exist: $(grep "group:" "$tmp/err")" \
    grep -q "b.ini:8: error: group: no group '$group' on this host" \
    "$tmp/err"
group=daemon

echo "# the last VM off the network: its daemon goes, last"
rm "$tmp/p/b.ini"
printf '[vm]\nmemory = 1G\nimage = /Users/Shared/VMs/a.qcow2\nformat = qcow2\n[network]\nmode = user\n' \
    > "$tmp/p/a.ini"
build
check "no daemon plist is built for no VM" test ! -e "$tmp/out/$nl.plist"
vmc install -R "$root" "$tmp/out"
check "b removed first, the network last" \
    said "b: removed" "a: restart pending" "net:$net: removed"
check "the daemon booted out after the VMs" \
    test "$(tail -n 1 "$tmp/calls")" = "bootout system/$nl"
check "its plist removed" test ! -e "$ld/$nl.plist"
check "the manifest forgets it" \
    test -z "$(grep "^net " "$root/var/db/vmc/manifest")"
finish
