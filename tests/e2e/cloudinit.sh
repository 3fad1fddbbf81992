#!/bin/sh
# End-to-end proof of provisioning without a server: a real cloud-init
# guest (Debian 12, cloud-init 22.4, built by debian.sh and cached) booted
# under TCG from scripts `vmc build` wrote, one guest at a time.
#
#	sh tests/e2e/cloudinit.sh	(VMC=path/to/vmc, default compiler/vmc)
#
# 1. web: base = the guest image, a [cloud-init] seed (a test key made now,
#    user-data that starts a web server on port 80), forwards to 22 and 80,
#    a static address through network-config.  The script creates the
#    overlay on first start; ssh works with the key; the host name is the
#    VM's name; the page answers; the card has the compiled MAC and the
#    static address, gateway and name server.
# 2. net: the same guest provisioned from a seed URL served by the host,
#    with seed-datasource = nocloud-net.
# 3. old: the same with the default nocloud, which cloud-init 22.4 reads
#    as a local seed: it fetches the files, then ignores them and falls
#    back to DataSourceNone (the failure vmc.5 documents).
#
# Boot-to-ssh times are printed as "# time:" lines: measurements, not
# assertions.  Needs what tests/e2e/deps.sh installs (QEMU, qemu-img,
# mmdebstrap, openssh-client, curl, python3).

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
cd "$top" || exit 1
QEMU=/usr/bin/qemu-system-x86_64
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}	# seconds; TCG on a busy machine is slow
helper="python3 $here/helper.py"
pids=

bail()
{
	bad "$*"
	echo "cloudinit: cannot go on: $*" >&2
	finish
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

# Stops one QEMU this script started, by PID.
stop()
{
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	_i=0
	while alive "$1" && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# On the way out: no QEMU left, and the consoles when something failed.
# shellcheck disable=SC2016 # run on exit
at_exit='for _p in $pids; do
	stop "$_p"
done
if [ "$fail" -gt 0 ]; then
	for _f in "$tmp"/*.console "$tmp/http.log"; do
		[ -f "$_f" ] || continue
		echo "# ${_f##*/} (last 40 lines):"
		tail -n 40 "$_f" | sed "s/^/  | /"
	done
fi'
tempdir ci

echo "# cloudinit: preconditions"
for t in qemu-img:qemu-utils ssh:openssh-client ssh-keygen:openssh-client \
    curl:curl python3:python3; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
	    bail "${t%%:*} not found: install ${t#*:} (tests/e2e/deps.sh)"
done
[ -x "$QEMU" ] || bail "$QEMU not found: install qemu-system-x86"
[ -x "$VMC" ] || bail "vmc not found at $VMC (run make, or set VMC)"
guest=$(sh "$here/debian.sh") || bail "cannot build the Debian guest"
for f in vmlinuz initrd.img root.qcow2; do
	[ -f "$guest/$f" ] || bail "no $f in $guest"
done
ok "Debian guest in $guest"
base=$guest/root.qcow2

mkdir "$tmp/fleet" "$tmp/out" "$tmp/web"
ssh-keygen -q -t ed25519 -N '' -C vmc-e2e -f "$tmp/key" ||
    bail "ssh-keygen failed"
ports=$($helper freeports 4) || bail "no free ports"
# shellcheck disable=SC2086
set -- $ports
pssh=$1 pweb=$2 pnet=$3 pold=$4

# The page the guest serves, written by user-data: a marker no default
# page holds.
marker="vmc-e2e-$$-web"
cat >"$tmp/fleet/web-user-data" <<EOF
#cloud-config
write_files:
  - path: /srv/www/index.html
    content: |
      $marker
  - path: /etc/systemd/system/vmc-web.service
    content: |
      [Unit]
      Description=page for the vmc test
      [Service]
      ExecStart=/usr/bin/python3 -m http.server 80 --directory /srv/www
      [Install]
      WantedBy=multi-user.target
runcmd:
  - [systemctl, daemon-reload]
  - [systemctl, enable, --now, --no-block, vmc-web.service]
EOF
cat >"$tmp/fleet/web.ini" <<EOF
; the seed's first scenario: no server anywhere
[vm]
arch = x86_64
accel = tcg
memory = 768M
base = $base
image = web.qcow2
disk-size = 4G

[cloud-init]
user-data = web-user-data
ssh-key = $tmp/key.pub

[network]
mode = user
forward = $pssh:22
forward = $pweb:80
address = 10.0.2.15/24
gateway = 10.0.2.2
dns = 10.0.2.3
EOF

echo "# cloudinit: vmc build (live host)"
"$VMC" build -o "$tmp/out" "$tmp/fleet" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; bail "vmc build failed"; }
ok "vmc build wrote $(cd "$tmp/out" && echo *)"
for f in meta-data network-config user-data vendor-data; do
	check "the seed holds $f" test -f "$tmp/out/web.cidata/$f"
done
check "user-data is passed verbatim" \
    cmp -s "$tmp/fleet/web-user-data" "$tmp/out/web.cidata/user-data"
check "meta-data carries the test key" \
    grep -qF "$(cut -d ' ' -f 2 "$tmp/key.pub")" "$tmp/out/web.cidata/meta-data"
mac=$(sed -n 's/.*,mac=\([0-9a-f:]\{17\}\).*/\1/p' "$tmp/out/web.sh")
check "web.sh gives the card a MAC ($mac)" test -n "$mac"
check "network-config matches the card by that MAC" \
    grep -qF "macaddress: \"$mac\"" "$tmp/out/web.cidata/network-config"
check "web.sh attaches the seed read-only as CIDATA" grep -qF \
    "read-only=on,file.driver=vvfat,file.dir=$tmp/out/web.cidata,file.label=CIDATA" \
    "$tmp/out/web.sh"
check "the overlay does not exist before the first start" \
    test ! -e "$tmp/fleet/web.qcow2"
base_mtime=$(stat -c %Y "$base")

# boot NAME: starts OUT/NAME.sh with the guest's kernel, standard input
# /dev/null as under launchd; sets $qpid and $t0.
boot()
{
	"$tmp/out/$1.sh" -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
	    -append "root=/dev/vda console=ttyS0" \
	    </dev/null >"$tmp/$1.console" 2>&1 &
	qpid=$!
	pids="$pids $qpid"
	t0=$(date +%s)
}

# gssh PORT COMMAND...: runs a command in the guest as debian.
gssh()
{
	_p=$1
	shift
	ssh -q -i "$tmp/key" -p "$_p" -o BatchMode=yes -o ConnectTimeout=10 \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o IdentitiesOnly=yes debian@127.0.0.1 "$@" </dev/null
}

# wait_ssh PORT PID: until ssh with the key works, or QEMU ends, or the
# time is up.
wait_ssh()
{
	while [ $(($(date +%s) - t0)) -lt "$BOOT_TIMEOUT" ]; do
		alive "$2" || return 1
		gssh "$1" true 2>/dev/null && return 0
		sleep 3
	done
	return 1
}

echo "# cloudinit: 1. web: local seed, overlay, static address"
boot web
if wait_ssh "$pssh" "$qpid"; then
	ok "ssh -p $pssh debian@127.0.0.1 works with the test key"
	echo "# time: web booted to ssh in $(($(date +%s) - t0)) s (TCG)"
else
	bail "web: no ssh with the test key within $BOOT_TIMEOUT s"
fi
check "the script created the overlay on first start" \
    test -f "$tmp/fleet/web.qcow2"
qemu-img info -U "$tmp/fleet/web.qcow2" >"$tmp/web.info" 2>&1
check "the overlay's backing file is the base" \
    grep -qxF "backing file: $base" "$tmp/web.info"
check "the overlay names the base's format" \
    grep -qxF "backing file format: qcow2" "$tmp/web.info"
check "the overlay is disk-size = 4G" \
    grep -q "^virtual size: 4 GiB" "$tmp/web.info"
check "the base was not written to" \
    test "$(stat -c %Y "$base")" = "$base_mtime"
h=$(gssh "$pssh" hostname)
check "the guest's host name is the VM's name: $h" test "$h" = web
gmac=$(gssh "$pssh" cat /sys/class/net/eth0/address)
check "the guest's eth0 has the compiled MAC: $gmac" test "$gmac" = "$mac"
gssh "$pssh" ip -o -4 addr show dev eth0 >"$tmp/web.addr"
check "the static address 10.0.2.15/24 is applied" \
    grep -q 'inet 10\.0\.2\.15/24 ' "$tmp/web.addr"
# On the user network DHCP would give the same address: it must be static.
check "the address is not a DHCP lease (no 'dynamic' flag)" \
    sh -c "! grep -q ' dynamic ' '$tmp/web.addr'"
gssh "$pssh" cat /etc/network/interfaces.d/50-cloud-init >"$tmp/web.eni"
check "cloud-init configured eth0 static" \
    grep -q '^iface eth0 inet static' "$tmp/web.eni"
gssh "$pssh" ip -4 route show default >"$tmp/web.route"
check "the default route is via 10.0.2.2" \
    grep -q '^default via 10\.0\.2\.2 ' "$tmp/web.route"
# status.json names the data source from the first stage on.
gssh "$pssh" cat /run/cloud-init/status.json >"$tmp/web.status"
check "cloud-init used the local seed (DataSourceNoCloud [seed=/dev/vd...])" \
    grep -q 'DataSourceNoCloud \[seed=/dev/vd' "$tmp/web.status"
i=0
page=
while [ $i -lt 60 ]; do
	page=$(curl -fsS --max-time 5 "http://127.0.0.1:$pweb/" 2>/dev/null) &&
	    break
	sleep 2
	i=$((i + 1))
done
check "curl http://127.0.0.1:$pweb/ returns the page user-data made" \
    test "$page" = "$marker"
stop "$qpid"

# ---------------------------------------------------------------------------
# 2 and 3: a seed URL served by the host.  meta-data carries the key; an
# empty vendor-data spares 22.4 its retries.
for n in net old; do
	mkdir -p "$tmp/web/$n"
	{
		printf 'instance-id: iid-%s\nlocal-hostname: %s\n' "$n" "$n"
		printf 'public-keys:\n  - "%s"\n' "$(cat "$tmp/key.pub")"
	} >"$tmp/web/$n/meta-data"
	printf '#cloud-config\n' >"$tmp/web/$n/user-data"
	: >"$tmp/web/$n/vendor-data"
done
python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/web" 0 \
    >"$tmp/http.log" 2>&1 </dev/null &
hpid=$!
pids="$pids $hpid"
i=0
hport=
while [ -z "$hport" ] && [ $i -lt 100 ]; do
	hport=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\) .*/\1/p' \
	    "$tmp/http.log")
	[ -n "$hport" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$hport" ] || bail "the seed server did not start"
rm -f "$tmp/fleet"/*.ini
for n in net old; do
	port=$pnet
	[ $n = old ] && port=$pold
	{
		echo "[vm]"
		echo "accel = tcg"
		echo "memory = 768M"
		echo "base = $base"
		echo "image = $n.qcow2"
		echo "seed = http://10.0.2.2:$hport/$n/"
		[ $n = net ] && echo "seed-datasource = nocloud-net"
		echo "[network]"
		echo "mode = user"
		echo "forward = $port:22"
	} >"$tmp/fleet/$n.ini"
done
"$VMC" build -o "$tmp/out" "$tmp/fleet" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; bail "vmc build of net and old failed"; }
check "net.sh gives the serial ds=nocloud-net;s=URL" grep -qF \
    "type=1,serial=ds=nocloud-net;s=http://10.0.2.2:$hport/net/" \
    "$tmp/out/net.sh"
check "old.sh gives the serial ds=nocloud;s=URL (the default)" grep -qF \
    "type=1,serial=ds=nocloud;s=http://10.0.2.2:$hport/old/" \
    "$tmp/out/old.sh"

echo "# cloudinit: 2. net: seed URL with seed-datasource = nocloud-net"
boot net
if wait_ssh "$pnet" "$qpid"; then
	ok "net: ssh works with the key from the served meta-data"
	echo "# time: net booted to ssh in $(($(date +%s) - t0)) s (TCG)"
else
	bad "net: ssh with the key from the served meta-data"
fi
h=$(gssh "$pnet" hostname 2>/dev/null)
check "net: the guest's host name is net: $h" test "$h" = net
gssh "$pnet" cat /run/cloud-init/status.json >"$tmp/net.status" 2>/dev/null
check "net: cloud-init used DataSourceNoCloudNet" \
    grep -q 'DataSourceNoCloudNet' "$tmp/net.status"
stop "$qpid"

echo "# cloudinit: 3. old: the same URL with the default nocloud"
boot old
# cloud-init's last word on the console names the data source it used.
while [ $(($(date +%s) - t0)) -lt "$BOOT_TIMEOUT" ] && alive "$qpid" &&
    ! grep -q 'Cloud-init v\. .* finished at' "$tmp/old.console"; do
	sleep 3
done
echo "# time: old reached cloud-init's final stage in" \
    "$(($(date +%s) - t0)) s (TCG)"
tr -d '\r' <"$tmp/old.console" | grep 'Cloud-init v\. .* finished at' \
    >"$tmp/old.final"
check "old: cloud-init fetched meta-data from the URL" \
    grep -q 'GET /old/meta-data' "$tmp/http.log"
check "old: and then fell back to DataSourceNone: $(cat "$tmp/old.final")" \
    grep -q 'Datasource DataSourceNone' "$tmp/old.final"
# shellcheck disable=SC2317 # called through check
no_ssh()
{
	! gssh "$1" true 2>/dev/null
}
check "old: so the key was never authorized" no_ssh "$pold"
stop "$qpid"
finish
