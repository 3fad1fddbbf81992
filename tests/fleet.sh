#!/bin/sh
# vmc check -F and build -F on the fleet of ansible/fleet (the
# Kubernetes lab on three Macs): output/fleet is up to date, each host's
# build is the one vmc build -H makes of it alone, a fleet error writes
# nothing for any host, and a fleet rebuild with nothing changed writes
# nothing.  The checks across hosts themselves are regress cases
# (err-fleet-*).
#
#   sh tests/fleet.sh		(VMC=path to test another build)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir fleet
fleet=$top/ansible/fleet
hosts="mini1 mini2 mini3"
cd "$top" || exit 1

"$VMC" build -F ansible/fleet -o "$tmp/out" 2> "$tmp/err"
record $? "the example fleet builds"
diff -r output/fleet "$tmp/out" > "$tmp/diff"
record $? "output/fleet is up to date (make examples)"
cat "$tmp/diff"
mkdir "$tmp/alone"
for h in $hosts; do
	"$VMC" build -H "$fleet/$h/host" -p "$(cat "$fleet/$h/rundir")" \
	    -o "$tmp/alone/$h" "$fleet/$h/profiles" 2> /dev/null
	diff -r "$tmp/alone/$h" "$tmp/out/$h" > "$tmp/diff"
	record $? "$h: its files are those vmc build -H makes of it alone"
	cat "$tmp/diff"
done
"$VMC" check -F ansible/fleet 2> "$tmp/checkerr"
record $? "vmc check -F passes where build -F does"
check "a fleet's build says each of its warnings once, as its check" \
    cmp -s "$tmp/err" "$tmp/checkerr"
check "... and there are some: the images are not on this machine" \
    grep -q 'warning: image:' "$tmp/err"

# A fleet whose images exist here builds without warnings and keeps
# its state: a rebuild writes nothing on any host.
cp -R "$fleet" "$tmp/f"
mkdir "$tmp/img"
for h in $hosts; do
	sed -e "s|/Users/Shared/VMs|$tmp/img|" -e 's/qcow2/raw/g' \
	    "$fleet/$h/profiles/k8s-node.inc" > "$tmp/f/$h/profiles/k8s-node.inc"
done
: > "$tmp/img/k8s-cp.raw"
: > "$tmp/img/k8s-w1.raw"
: > "$tmp/img/k8s-w2.raw"
# Read in the second they changed (ctime counts), files would keep the
# state away.
sleep 1
"$VMC" build -F "$tmp/f" -o "$tmp/o2" 2> "$tmp/err"
check "a fleet with its images here builds without a word" \
    sh -c "[ $? = 0 ] && [ ! -s '$tmp/err' ]"
check "... keeping each host's state" \
    test -f "$tmp/o2/mini1/.vmc-state" -a -f "$tmp/o2/mini3/.vmc-state"
listing -a -t "$tmp/o2" > "$tmp/before"
"$VMC" build -F "$tmp/f" -o "$tmp/o2" 2> "$tmp/err"
record $? "a rebuild of the fleet succeeds"
listing -a -t "$tmp/o2" > "$tmp/after"
check "... and writes nothing on any host" cmp -s "$tmp/before" "$tmp/after"

# One VM's name on two hosts of one LAN: the MACs vmc derives clash.
mv "$tmp/f/mini2/profiles/k8s-w1.ini" "$tmp/f/mini2/profiles/k8s-cp.ini"
: > "$tmp/img/k8s-cp2.raw"
printf '[vm]\nimage = %s/k8s-cp2.raw\n' "$tmp/img" \
    >> "$tmp/f/mini2/profiles/k8s-cp.ini"
"$VMC" build -F "$tmp/f" -o "$tmp/o2" 2> "$tmp/err"
check "a MAC clash across hosts fails the build, exit 1" test $? = 1
check "... naming both hosts' profiles" grep -q \
    "^$tmp/f/mini2/profiles/k8s-node.inc:11: error: mac: MAC address '[0-9a-f:]*', derived from the VM name 'k8s-cp', is also derived at $tmp/f/mini1/profiles/k8s-node.inc:11, on the same LAN 192.168.1.0/24: set mac, or rename one\$" \
    "$tmp/err"
listing -a -t "$tmp/o2" > "$tmp/after"
check "... and changes nothing on any host" cmp -s "$tmp/before" "$tmp/after"
"$VMC" build -F "$tmp/f" -o "$tmp/o3" 2> /dev/null
check "... nor makes the output directory" test ! -e "$tmp/o3"
printf 'mac = 52:54:00:00:20:02\n' >> "$tmp/f/mini2/profiles/k8s-cp.ini"
sed -i 's/^\[vm\]$/[network]\nmac = 52:54:00:00:20:02\n\n[vm]/' \
    "$tmp/f/mini2/profiles/k8s-cp.ini"
sed -i '$d' "$tmp/f/mini2/profiles/k8s-cp.ini"
"$VMC" build -F "$tmp/f" -o "$tmp/o2" 2> "$tmp/err"
check "with mac set, the same name on two hosts builds" test $? = 0
check "... into each host's own directory" \
    test -f "$tmp/o2/mini2/k8s-cp.sh" -a ! -e "$tmp/o2/mini2/k8s-w1.sh"

# Host names are the inventory's, and macOS's disks, which do not tell
# case apart.
cp -R "$tmp/f/mini3" "$tmp/f/MINI3"
"$VMC" check -F "$tmp/f" 2> "$tmp/err"
check "two hosts whose names differ in case: exit 1, both named" \
    sh -c "[ $? = 1 ] && grep -q \"^$tmp/f/mini3: error: host 'mini3' is also $tmp/f/MINI3: host names differ in more than case\$\" '$tmp/err'"
rm -r "$tmp/f/MINI3"

# -F brings the hosts, their descriptions and run directories.
for args in "check -F $tmp/f $tmp/f/mini1/profiles" \
    "check -F $tmp/f -H $fleet/mini1/host" "build -F $tmp/f -p /x" \
    "show -F $tmp/f"; do
	# shellcheck disable=SC2086
	"$VMC" $args > /dev/null 2> "$tmp/err"
	check "vmc $args: usage, exit 2" \
	    sh -c "[ $? = 2 ] && grep -q '^usage: ' '$tmp/err'"
done
finish
