#!/bin/sh
# End to end, vmc operating the VMs it installed: two busybox guests
# installed under -R with tests/launchd standing in for launchd, which
# runs the jobs as launchd does; status, the serial console (in a
# pseudo-terminal, and piped), stop, start, restart, restart pending,
# and what each refuses.  Times are printed for BENCHMARKS.md.
#
#	sh tests/e2e/operate.sh		(VMC=path/to/vmc, default compiler/vmc)
#
# The jobs name their run directory by its path on this machine, but it
# is installed under the root: that path is a link into the root, as it
# would be the same directory on a Mac.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
cd "$top" || exit 1
QEMU=/usr/bin/qemu-system-x86_64
BOOT_TIMEOUT=120
helper="python3 $here/helper.py"

bail() {
	bad "$*"
	echo "operate: cannot go on: $*" >&2
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	skip "operate" "needs root: the jobs run as root and as a VM user"
	finish
fi
[ -x "$QEMU" ] || bail "$QEMU not found: install qemu-system-x86"
guest=$(sh "$here/guest.sh") || bail "cannot build the guest"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-operate.XXXXXX") || bail "mktemp"
root=$tmp/root
run=$tmp/run
export FAKE_LAUNCHD="$tmp/launchd" VMC_LAUNCHCTL="$top/tests/launchd"
mkdir -p "$root$run" "$FAKE_LAUNCHD" "$tmp/p" "$tmp/seed/alpha" \
    "$tmp/seed/beta"
ln -s "$root$run" "$run"

cleanup() {
	_rc=$?
	"$VMC" uninstall -R "$root" > /dev/null 2>&1
	pkill -f "launchd --supervise .* $FAKE_LAUNCHD\$" 2> /dev/null
	[ -n "${http:-}" ] && kill "$http" 2> /dev/null
	rm -rf "$tmp"
	exit $_rc
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

for n in alpha beta; do
	printf 'instance-id: iid-%s\nlocal-hostname: %s\n' "$n" "$n" \
	    > "$tmp/seed/$n/meta-data"
done
python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/seed" 0 \
    > "$tmp/http.log" 2>&1 < /dev/null &
http=$!
i=0
hport=
while [ -z "$hport" ] && [ $i -lt 100 ]; do
	hport=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\) .*/\1/p' \
	    "$tmp/http.log")
	[ -n "$hport" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$hport" ] || bail "the seed server did not start"
ports=$($helper freeports 3) || bail "no free ports"
# shellcheck disable=SC2086 # three numbers
set -- $ports
pa=$1 pb=$2 pa2=$3

# profile NAME PORT: a busybox guest on the user network, forwarding
# PORT to its web server; it ignores the power button.
profile() {
	qemu-img create -q -f qcow2 "$tmp/p/$1.qcow2" 16M
	cat > "$tmp/p/$1.ini" <<EOF
[vm]
arch = x86_64
accel = tcg
memory = 256M
image = $1.qcow2
seed = http://10.0.2.2:$hport/\${name}/
qemu = $QEMU
qemu-arg = -kernel
qemu-arg = $guest/vmlinuz
qemu-arg = -initrd
qemu-arg = $guest/initrd.gz
qemu-arg = -append
qemu-arg = console=ttyS0 panic=-1 quiet
qemu-arg = -no-reboot

[network]
mode = user
forward = $2:80

[service]
stop-timeout = 3
EOF
}
profile alpha "$pa"
profile beta "$pb"

# vmc ARGS: runs vmc; its status in rc, its output in out and err.
vmc() {
	"$VMC" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
}
build() {
	"$VMC" build -o "$tmp/o" -p "$run" "$tmp/p" > "$tmp/build.log" 2>&1 ||
	    bail "vmc build: $(cat "$tmp/build.log")"
}

# ready NAME: the guest said VMC-READY in its log, since its last start.
ready() {
	_i=0
	while [ $_i -lt $((BOOT_TIMEOUT * 10)) ]; do
		[ "$(grep -c '^VMC-READY' "$run/$1.log" 2> /dev/null)" -ge "${2:-1}" ] &&
		    return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# page PORT: the guest's web page through a forward.
page() {
	$helper get "http://127.0.0.1:$1/" 2> /dev/null
}

# qemus: how many QEMUs run with this test's run directory.
qemus() {
	pgrep -f "qemu-system-x86_64 .*$run/" | wc -l
}

echo "# operate: install, status"
build
vmc install -R "$root" "$tmp/o"
check "install: both added" test "$rc $(sort "$tmp/out" | tr '\n' ' ')" = \
    "0 alpha: added beta: added "
if ready alpha && ready beta; then
	ok "both guests booted under the launchd stand-in"
else
	bail "the guests did not boot: $(tail -n 5 "$run/alpha.log")"
fi
vmc status -R "$root"
if [ $rc = 0 ] &&
    grep -q "^alpha  .*  running  *[0-9][0-9]*  .*  127.0.0.1:$pa -> 80\$" "$tmp/out" &&
    grep -q "^beta  .*  running  *[0-9][0-9]*  .*  127.0.0.1:$pb -> 80\$" "$tmp/out"; then
	ok "status: both running, with their forwards"
else
	bad "status" "$(cat "$tmp/out" "$tmp/err")"
fi
check "alpha's forward answers with its page" \
    sh -c "$helper get http://127.0.0.1:$pa/ | grep -q 'name=alpha'"

echo "# operate: console"
$helper console - "$VMC" console -R "$root" alpha > "$tmp/session" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'vmc-42' "$tmp/session"; then
	ok "console in a pseudo-terminal: a command, its output, Ctrl-C to the guest, ~. leaves"
else
	bad "console" "rc $rc: $(tail -n 5 "$tmp/session")"
fi
check "the log holds the session" grep -q 'vmc-42' "$run/alpha.log"
vmc status -R "$root" alpha
check "the guest runs on after the console left" \
    grep -q '^alpha  .*  running  ' "$tmp/out"
printf 'echo piped-$((40+2))\n' | "$VMC" console -R "$root" alpha \
    > "$tmp/piped" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'piped-42' "$tmp/piped"; then
	ok "console without a terminal: input sent, output shown, ends when quiet"
else
	bad "piped console" "rc $rc: $(cat "$tmp/piped")"
fi
# A second client while one is attached: refused; the first goes on.
rm -f "$tmp/hold"
$helper console "$tmp/hold" "$VMC" console -R "$root" beta \
    > "$tmp/first" 2>&1 &
first=$!
i=0
while [ ! -s "$tmp/hold" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
vmc console -R "$root" beta < /dev/null
if [ $rc = 1 ] && grep -q 'beta: another console session is attached' "$tmp/err"
then
	ok "a second console client: refused with exit 1"
else
	bad "second client" "rc $rc: $(cat "$tmp/err")"
fi
rm -f "$tmp/hold"
wait $first
rc=$?
check "the first session went on undisturbed" \
    sh -c "[ $rc = 0 ] && grep -q vmc-42 '$tmp/first'"

echo "# operate: stop, start"
t0=$(date +%s)
vmc stop -R "$root" alpha
t1=$(date +%s)
echo "  vmc stop alpha took $((t1 - t0)) s"
if [ $rc = 0 ] && [ "$(cat "$tmp/out")" = "alpha: stopped (quit)" ]; then
	ok "stop: the busybox guest ignores the button: stopped (quit)"
else
	bad "stop" "rc $rc: $(cat "$tmp/out" "$tmp/err")"
fi
vmc stop -R "$root" alpha
check "stop of a stopped VM: already stopped, exit 0" \
    test "$rc $(cat "$tmp/out")" = "0 alpha: already stopped"
# KeepAlive would start a job again after ThrottleInterval, 10 s.
sleep 12
vmc status -R "$root" alpha
if grep -q '^alpha  .*  stopped  ' "$tmp/out" && [ "$(qemus)" = 1 ]; then
	ok "stopped stays stopped past KeepAlive's restart"
else
	bad "stays stopped" "$(cat "$tmp/out"); $(qemus) QEMUs"
fi
vmc status -j -R "$root" alpha
check "status -j: a VM vmc stop stopped is not loaded, and held" \
    python3 -c 'import json, sys; v = json.load(open(sys.argv[1]))[0]
assert v["loaded"] is False and v["held"] is True, v' "$tmp/out"
vmc console -R "$root" alpha < /dev/null
check "console to a stopped VM: exit 1, named" \
    sh -c "[ $rc = 1 ] && grep -q 'alpha is not running' '$tmp/err'"
lines=$(wc -l < "$run/alpha.log")
t0=$(date +%s)
vmc start -R "$root" alpha
t1=$(date +%s)
i=0
while [ "$(wc -l < "$run/alpha.log")" -le "$lines" ] && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
t2=$(date +%s)
echo "  vmc start alpha took $((t1 - t0)) s; first console output after $((t2 - t0)) s"
check "start: started" test "$rc $(cat "$tmp/out")" = "0 alpha: started"
vmc start -R "$root" alpha
check "start of a running VM: already running" \
    test "$rc $(cat "$tmp/out")" = "0 alpha: already running"
ready alpha 2 || bad "alpha booted again"

echo "# operate: restart pending, restart"
sed -i "s/^forward = $pa:80\$/forward = $pa:80\\nforward = $pa2:80/" \
    "$tmp/p/alpha.ini"
build
vmc install -R "$root" "$tmp/o"
check "install of a new forward: alpha: restart pending" \
    grep -qx 'alpha: restart pending' "$tmp/out"
vmc install -R "$root" "$tmp/o"
check "and again at the next install, the files unchanged" \
    grep -qx 'alpha: restart pending' "$tmp/out"
vmc status -R "$root" alpha
if grep -q "^alpha  .*  restart pending  .*  127.0.0.1:$pa -> 80\$" "$tmp/out"
then
	ok "status: restart pending, the running forwards"
else
	bad "status pending" "$(cat "$tmp/out")"
fi
vmc restart -R "$root" alpha
check "restart: restarted" test "$rc $(cat "$tmp/out")" = "0 alpha: restarted"
ready alpha 3 || bad "alpha booted after restart"
vmc status -R "$root" alpha
if grep -q "^alpha  .*  running  .*  127.0.0.1:$pa -> 80, 127.0.0.1:$pa2 -> 80\$" \
    "$tmp/out" && page "$pa2" | grep -q 'name=alpha'; then
	ok "after restart: running the new settings, the new forward answers"
else
	bad "after restart" "$(cat "$tmp/out")"
fi
sed -i 's/^memory = 256M$/memory = 200M/' "$tmp/p/beta.ini"
build
vmc install -r -R "$root" "$tmp/o"
check "install -r: beta: restarted" grep -qx 'beta: restarted' "$tmp/out"

echo "# operate: what is refused"
vmc start -R "$root" alpha nosuch
if [ $rc = 1 ] && grep -q 'no VM nosuch is installed' "$tmp/err" &&
    [ ! -s "$tmp/out" ]; then
	ok "an unknown name refuses the whole command"
else
	bad "unknown" "rc $rc: $(cat "$tmp/out" "$tmp/err")"
fi
su nobody -s /bin/sh -c "'$VMC' stop alpha" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "stop as a user not root: exit 1, run it as root" \
    sh -c "[ $rc = 1 ] && grep -q 'stop runs launchctl: run it as root' '$tmp/err'"
"$VMC" stop -R "$root" beta > "$tmp/stop1" 2>&1 &
s1=$!
sleep 0.5
"$VMC" stop -R "$root" beta > "$tmp/stop2" 2>&1
wait $s1
if grep -qx 'beta: stopped (quit)' "$tmp/stop1" &&
    grep -qx 'beta: already stopped' "$tmp/stop2"; then
	ok "two stops of one VM: the second waits, then already stopped"
else
	bad "two stops" "$(cat "$tmp/stop1" "$tmp/stop2")"
fi
rm -f "$run/beta.log"
vmc start -R "$root" beta
if [ $rc = 0 ] && ready beta; then
	ok "a log removed: start makes it again"
else
	bad "log removed" "rc $rc: $(cat "$tmp/err")"
fi

vmc stop -R "$root" alpha beta
check "stop both: exit 0, one line each" \
    test "$rc $(wc -l < "$tmp/out")" = "0 2"
check "no QEMU left running" test "$(qemus)" = 0

echo "# operate: a Debian guest, which powers off on the button"
# systemd-logind powers off on the ACPI power button (logind.conf(5),
# HandlePowerKey=poweroff); the kernel says "reboot: Power down".
deb=$(sh "$here/debian.sh") || bail "cannot build the Debian guest"
qemu-img create -q -f qcow2 -F qcow2 -b "$deb/root.qcow2" \
    "$tmp/p/debian.qcow2" || bail "qemu-img create (overlay)"
cat > "$tmp/p/debian.ini" <<EOF
[vm]
arch = x86_64
accel = tcg
memory = 512M
image = debian.qcow2
qemu = $QEMU
qemu-arg = -kernel
qemu-arg = $deb/vmlinuz
qemu-arg = -initrd
qemu-arg = $deb/initrd.img
qemu-arg = -append
qemu-arg = root=/dev/vda console=ttyS0

[cloud-init]
user-data = debian.yaml

[service]
stop-timeout = 60
EOF
# cloud-init sets root's password from the seed vmc writes (chpasswd,
# cloud-init's cc_set_passwords), for the console's login.
cat > "$tmp/p/debian.yaml" <<EOF
#cloud-config
chpasswd:
  expire: false
  list: |
    root:vmc-e2e
EOF
build
t0=$(date +%s)
vmc install -R "$root" "$tmp/o"
check "install: debian: added" grep -qx 'debian: added' "$tmp/out"
i=0
while ! grep -q 'login:' "$run/debian.log" 2> /dev/null && [ $i -lt 400 ]; do
	sleep 1
	i=$((i + 1))
done
echo "  debian: login prompt $(($(date +%s) - t0)) s after install"
# Logged in once cloud-init has set the password: its final stage done.
i=0
while ! grep -q 'Cloud-init .* finished' "$run/debian.log" 2> /dev/null &&
    [ $i -lt 300 ]; do
	sleep 1
	i=$((i + 1))
done
VMC_LOGIN=root:vmc-e2e $helper console - "$VMC" console -R "$root" debian \
    > "$tmp/deb.con" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'vmc-42' "$tmp/deb.con"; then
	ok "console: logged in to the Debian guest, a command, its output, ~. leaves"
else
	bad "debian console" "rc $rc: $(tail -n 8 "$tmp/deb.con")"
fi
t0=$(date +%s)
vmc stop -R "$root" debian
t1=$(date +%s)
echo "  vmc stop debian took $((t1 - t0)) s"
if [ $rc = 0 ] && [ "$(cat "$tmp/out")" = "debian: stopped (powered off)" ] &&
    grep -q 'reboot: Power down' "$run/debian.log"; then
	ok "stop: the Debian guest powered off cleanly: stopped (powered off)"
else
	bad "debian stop" "rc $rc: $(cat "$tmp/out" "$tmp/err")"
fi
finish
