#!/bin/sh
# Two busybox guests on one socket_vmnet network, QEMU run as a user of
# its own, not root, as via = socket_vmnet promises (vmc(5)):
#
#  - the network daemon is tests/socket_vmnet/socket_vmnet, a stand-in
#    that takes socket_vmnet's command line and answers as it does (see
#    its comments), named in the host description as socket_vmnet is,
#    and run as root with the arguments of the LaunchDaemon plist vmc
#    wrote for the network, as launchd would run it;
#  - the scripts vmc wrote for a host description naming it run as the
#    VMs' user; one started before the daemon waits for its socket (at
#    boot launchd may start the VM first), one whose daemon never comes
#    gives up after 30 s with status 1 and says why; QEMU (Debian's 7.2,
#    which has -netdev stream) connects to the daemon's socket, each
#    guest gets an address from the network's DHCP server, and one
#    fetches the other's page, which names the MAC vmc compiled;
#  - a user outside the socket's group cannot connect to it;
#  - the daemon restarted while the guests run: what this QEMU does is
#    recorded (7.2 has no reconnect, so the guests stay cut off), and
#    the reconnect options vmc writes for QEMU 8.0, 9.2 and 10.2 are
#    checked in the command lines it shows.
#
# Run from the repository root as root: sh tests/e2e/socket_vmnet.sh
# (VMC=path/to/vmc).  Needs what tests/e2e/run.sh needs; takes about a
# minute.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
QEMU=/usr/bin/qemu-system-x86_64
helper="python3 $here/helper.py"
DAEMON=$top/tests/socket_vmnet/socket_vmnet
BOOT_TIMEOUT=120	# seconds for a guest to print VMC-READY
vmuser=vmc-net-$$
pids=
dpid=

bail()
{
	bad "$*"
	finish
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

# Stops the scripts (TERM: the guest's power button, then QEMU's quit
# after stop-timeout) and the daemon, by PID.
stop_all()
{
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $pids; do
		i=0
		while alive "$p" && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		alive "$p" && pkill -KILL -s "$p" 2>/dev/null
	done
	pids=
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid"
	dpid=
}

# shellcheck disable=SC2016 # run on exit
at_exit='stop_all
userdel "$vmuser" 2>/dev/null
if [ "$fail" -gt 0 ]; then
	for _f in "$tmp"/*.log "$tmp"/*.err; do
		[ -s "$_f" ] || continue
		echo "# ${_f##*/}:"
		tail -n 30 "$_f" | sed "s/^/  | /"
	done
fi'
tempdir socket_vmnet
chmod 755 "$tmp"

[ "$(id -u)" = 0 ] || bail "run as root: the daemon runs as root, QEMU as another user"
for f in "$QEMU" "$VMC" "$DAEMON"; do
	[ -x "$f" ] || bail "$f not found (tests/e2e/deps.sh; make)"
done
guest=$(sh "$here/guest.sh") || bail "cannot build the e2e guest"
# The guest's kernel where the VMs' user can read it.
cp "$guest/vmlinuz" "$guest/initrd.gz" "$tmp/" || bail "cannot copy the guest"
chmod 644 "$tmp/vmlinuz" "$tmp/initrd.gz"
useradd -M -r -U -s /usr/sbin/nologin "$vmuser" || bail "useradd $vmuser"

echo "# socket_vmnet: build for a host naming the daemon"
mkdir "$tmp/p" "$tmp/out" "$tmp/run"
"$VMC" host >"$tmp/live.host" 2>"$tmp/host.err" || bail "vmc host failed"
ver=$(sed -n 's/^version = //p' "$tmp/live.host")
check "vmc host: the QEMU version ($ver)" test -n "$ver"
# vmnet is macOS's: the description is this machine's, said to be a Mac.
sed -e 's/^os = linux/os = macos/' "$tmp/live.host" >"$tmp/host"
printf 'socket_vmnet = %s\n' "$DAEMON" >>"$tmp/host"
# c is alone on a network whose daemon never starts.
for n in a b c; do
	net=105
	[ $n = c ] && net=106
	qemu-img create -q -f qcow2 "$tmp/p/$n.qcow2" 64M ||
	    bail "qemu-img create failed"
	cat >"$tmp/p/$n.ini" <<EOF
[vm]
arch = x86_64
accel = tcg
memory = 256M
image = $n.qcow2
[network]
mode = vmnet-shared
via = socket_vmnet
group = $vmuser
start-address = 192.168.$net.1
end-address = 192.168.$net.254
subnet-mask = 255.255.255.0
[service]
user = $vmuser
stop-timeout = 2
EOF
	mkdir -m 700 "$tmp/run/$n"
	: >"$tmp/$n.log"
done
chown "$vmuser:" "$tmp"/p/?.qcow2 "$tmp"/run/? "$tmp"/?.log
"$VMC" build -H "$tmp/host" -p "$tmp/run" -o "$tmp/out" "$tmp/p" \
    >"$tmp/build.err" 2>&1
rc=$?
check "vmc build exits 0" test $rc = 0
sock=$tmp/run/vmnet-shared-192.168.105.1.sock
$helper script "$tmp/out/a.sh" >"$tmp/a.words" || bail "a.sh does not start QEMU once"
check "a.sh connects QEMU to $sock, no reconnect on QEMU $ver" grep -qxF \
    "stream,id=net0,server=off,addr.type=unix,addr.path=$sock" \
    "$tmp/a.words"
check "a.sh passes shellcheck" shellcheck -s sh "$tmp/out/a.sh"

# start NAME [APPEND]: runs NAME.sh as the VMs' user, in a session of its
# own as launchd would, the guest's console in NAME.log.
start()
{
	setsid runuser -u "$vmuser" -- "$tmp/out/$1.sh" -kernel "$tmp/vmlinuz" \
	    -initrd "$tmp/initrd.gz" -no-reboot \
	    -append "console=ttyS0 panic=-1 quiet vmc.noseed ${2:-}" \
	    </dev/null >>"$tmp/$1.log" 2>"$tmp/$1.err" &
	pids="$pids $!"
}

# ready NAME: waits for VMC-READY in NAME's console.
ready()
{
	i=0
	while [ $i -lt $((BOOT_TIMEOUT * 10)) ] &&
	    ! grep -q VMC-READY "$tmp/$1.log" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q VMC-READY "$tmp/$1.log"
}

echo "# socket_vmnet: two guests, QEMU as $vmuser, started before the daemon"
start b
start c
cpid=${pids##* }
sleep 3
check "b waits for its network's socket, QEMU not started yet" \
    test ! -e "$tmp/run/b/run" -a -z "$(pgrep -u "$vmuser" qemu-system)"
echo "# socket_vmnet: the daemon from vmc's plist, as root, for the VMs' group"
plist=$tmp/out/local.vmc.net.shared-192.168.105.1.plist
$helper plistargs "$plist" >"$tmp/daemon.args" ||
    bail "$plist has no ProgramArguments"
check "the daemon's plist runs the host's socket_vmnet on the socket" \
    test "$(head -n 1 "$tmp/daemon.args")" = "$DAEMON" -a \
    "$(tail -n 1 "$tmp/daemon.args")" = "$sock"
check "... for the VMs' group" grep -qx -- "--socket-group=$vmuser" \
    "$tmp/daemon.args"
daemonlog=$tmp/run/vmnet-shared-192.168.105.1.log
check "... its log beside the socket" test "$($helper plistkey "$plist" \
    StandardErrorPath)" = "\"$daemonlog\""
# daemon LOG: runs the plist's arguments (one a line, none with a line
# break) as launchd runs a job's, standard error to LOG.
daemon() {
	_ifs=$IFS
	IFS='
'
	set -f
	# shellcheck disable=SC2046 # split at line breaks only
	set -- "$1" $(cat "$tmp/daemon.args")
	IFS=$_ifs
	set +f
	_log=$1
	shift
	"$@" 2>"$_log" &
	dpid=$!
}
daemon "$daemonlog"
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the socket is root's and its group's: $(ls -l "$sock" 2>&1)" \
    test "$(stat -c '%U %G %a' "$sock" 2>&1)" = "root $vmuser 770"
runuser -u nobody -- python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$sock" 2>"$tmp/nobody.err"
check "a user outside the group cannot connect: $(tail -n 1 "$tmp/nobody.err")" \
    grep -q "Permission denied" "$tmp/nobody.err"

ready b
check "b booted and got an address from the network's DHCP: $(grep -a -m 1 \
    VMC-IP= "$tmp/b.log")" grep -q "VMC-IP=192.168.105.[0-9]*/24" "$tmp/b.log"
bip=$(sed -n 's/.*VMC-IP=\([0-9.]*\)\/.*/\1/p' "$tmp/b.log" | head -n 1)
bmac=$(sed -n 's/.*VMC-MAC=\([0-9a-f:]*\).*/\1/p' "$tmp/b.log" | head -n 1)
check "b has the MAC vmc compiled ($bmac)" grep -qF "mac=$bmac" "$tmp/out/b.sh"
# QEMU's pid, from the run record the script wrote.
qpid=$(sed -n 's/^pid //p' "$tmp/run/b/run" 2>/dev/null)
check "QEMU (pid ${qpid:-none}) runs as $vmuser, not root" \
    test "$(ps -o uid= -o comm= -p "${qpid:-0}" 2>/dev/null | xargs)" = \
    "$(id -u "$vmuser") qemu-system-x86"
start a "vmc.peer=$bip"
ready a
check "a fetched b's page over the network: $(grep -a -m 1 VMC-PEER= \
    "$tmp/a.log")" grep -q "VMC-PEER=vmc-e2e guest name=noseed mac=$bmac" \
    "$tmp/a.log"
check "the daemon saw both connect" \
    test "$(grep -c 'Accepted a connection' "$daemonlog")" = 2
# c's daemon never came: 30 s after its start the script gave up.
i=0
while alive "$cpid" && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait "$cpid"
rc=$?
pids=$(for p in $pids; do [ "$p" = "$cpid" ] || echo "$p"; done)
check "c, without its daemon, ends with status 1 (exit $rc)" test $rc = 1
check "... saying why: $(cat "$tmp/c.err")" grep -q \
    "^c: no socket_vmnet socket .*vmnet-shared-192.168.106.1.sock after 30 s" \
    "$tmp/c.err"
check "... before QEMU ran" test ! -e "$tmp/run/c/run"

echo "# socket_vmnet: the daemon restarted under running guests"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
check "the daemon ends on TERM with status 1, saying so" \
    test $rc = 1 -a -n "$(grep 'Received signal' "$daemonlog")"
# launchd's KeepAlive starts it again.
daemon "$tmp/daemon2.err"
sleep 5
n=$(grep -c 'Accepted a connection' "$tmp/daemon2.err")
echo "# QEMU $ver reconnected $n times within 5 s of the restart" \
    "(-netdev stream without reconnect, before 8.0: none expected)"
check "QEMU $ver does not reconnect by itself" test "$n" = 0
for p in $pids; do
	alive "$p" || bad "a script ended when the daemon restarted"
done
stop_all

echo "# socket_vmnet: the reconnect option for later QEMUs"
for v in 8.0.0:reconnect=1 9.2.0:reconnect-ms=1000 10.2.0:reconnect-ms=1000
do
	sed "s/^version = .*/version = ${v%%:*}/" "$tmp/host" >"$tmp/host.v"
	"$VMC" show -H "$tmp/host.v" -p "$tmp/run" "$tmp/p/a.ini" \
	    >"$tmp/show" 2>/dev/null
	check "QEMU ${v%%:*}: ${v#*:}" grep -qF "addr.path=$sock,${v#*:} " \
	    "$tmp/show"
done
finish
