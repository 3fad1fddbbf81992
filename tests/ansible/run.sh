#!/bin/sh
# The Ansible role of ansible/ rolling a fleet of three "Macs" out with
# real ansible-playbook over real ssh (tests/ansible/lib.sh makes them):
# a first rollout, a run that changes nothing, one profile changed on
# one Mac, check mode, a clash across hosts stopped on the controller,
# an unreachable Mac and the rerun that converges, and a description in
# the fleet directory that is not the Mac's.  The VMs are installed,
# not booted.
#
#   sh tests/ansible/run.sh		(VMC=path to test another build)
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
# shellcheck source=lib.sh
. "$top/tests/ansible/lib.sh"
tempdir ansible
if ! fleet_can; then
	skip "ansible" "$why"
	finish
fi
errlog=$tmp/play.tail
fleet_up 3 || { bad "setup" "the namespaces and sshds"; finish; }

# What each Mac holds, times included: the same before and after a run
# that writes nothing.
trees() {
	for h in $hosts; do
		listing -a -t "$tmp/h/$h"
	done
}

echo "# a first rollout"
play
check "exit 0, every Mac changed" changed 1 1 1
for h in $hosts; do
	check "$h: its three VMs bootstrapped, nothing else" test "$(calls "$h")" = \
"bootstrap system $tmp/h/$h/root/Library/LaunchDaemons/local.vmc.vm1.plist
bootstrap system $tmp/h/$h/root/Library/LaunchDaemons/local.vmc.vm2.plist
bootstrap system $tmp/h/$h/root/Library/LaunchDaemons/local.vmc.vm3.plist"
	check "$h: its scripts in its run directory under its root" \
	    test -x "$tmp/h/$h/root$tmp/h/$h/run/vm3.sh"
done
check "the checks across hosts ran on the controller first" \
    grep -q 'TASK \[vmc : vmc check -F, across the hosts\]' "$tmp/play.out"
check "vmc status -j is in the output, every job loaded" \
    grep -q '"loaded": true' "$tmp/play.out"

echo "# a second run"
trees > "$tmp/before"
play
check "exit 0, changed=0 on every Mac" changed 0 0 0
check "no launchctl call that changes anything" \
    test "$rc" = 0 -a -z "$(calls mini1)$(calls mini2)$(calls mini3)"
trees > "$tmp/after"
check "nothing written on any Mac" \
    sh -c "[ $rc = 0 ] && cmp -s '$tmp/before' '$tmp/after'"
diff "$tmp/before" "$tmp/after" | head -n 5

echo "# one profile changed on one Mac"
profile mini2 vm2 'cpus = 2'
sleep 1
play
check "only mini2 changed" changed 0 1 0
check "mini2: vmc install changed vm2 alone" \
    test "$(grep -c '"vm2: ' "$tmp/play.out") $(grep -c '"vm[0-9]*: ' "$tmp/play.out")" = "1 1"
check "... its script replaced, its restart left pending: no launchctl call" \
    test -z "$(calls mini2)"
check "... and the other Macs untouched" \
    test "$rc" = 0 -a -z "$(calls mini1)$(calls mini3)"

echo "# check mode"
profile mini3 vm4
sleep 1
trees > "$tmp/before"
play --check --diff
check "exit 0, mini3 would change" changed 0 0 1
check "the plan is the diff: vm4: added" \
    grep -q '"vm4: added"' "$tmp/play.out"
trees > "$tmp/after"
check "nothing on any Mac changed" sh -c \
    "[ $rc = 0 ] && cmp -s '$tmp/before' '$tmp/after' && [ -z '$(calls mini1)$(calls mini2)$(calls mini3)' ]"
check "no plan directory left behind" \
    sh -c "[ $rc = 0 ] && ! ls -d /tmp/vmc-plan.* ${TMPDIR:-/tmp}/vmc-plan.* 2> /dev/null | grep -q ."
rm "$tmp/fleet/mini3/profiles/vm4.ini"

echo "# a clash across hosts"
# Two Macs described as Macs with one LAN; one VM name bridged on both.
cp -R "$tmp/fleet" "$tmp/fleet.good"
for h in mini1 mini2; do
	sed -i -e 's/^os = linux$/os = macos/' -e 's/^accel = .*//' \
	    "$tmp/fleet/$h/host"
	printf '[vm]\nmemory = 256M\nimage = /Users/Shared/VMs/lan.qcow2\nformat = qcow2\n\n[network]\nmode = vmnet-bridged\ninterface = eth0\n' \
	    > "$tmp/fleet/$h/profiles/lan.ini"
done
trees > "$tmp/before"
play
check "the playbook fails" test "$rc" != 0
check "... on the controller, saying which MAC on which LAN" grep -q \
    "mini2/profiles/lan.ini:6: error: mac: MAC address '[0-9a-f:]*', derived from the VM name 'lan', is also derived at $tmp/fleet/mini1/profiles/lan.ini:6, on the same LAN 10.231.0.0/24" \
    "$tmp/play.out"
trees > "$tmp/after"
check "... before any Mac is touched" sh -c \
    "! grep -q 'PLAY \[Each Mac' '$tmp/play.out' && cmp -s '$tmp/before' '$tmp/after' && [ -z '$(calls mini1)$(calls mini2)$(calls mini3)' ]"
rm -r "$tmp/fleet"
mv "$tmp/fleet.good" "$tmp/fleet"

echo "# one Mac unreachable"
for h in $hosts; do
	profile "$h" vm5
done
sleep 1
sshd_down mini2
play
check "the playbook fails: mini2 unreachable" \
    sh -c "[ $rc != 0 ] && [ '$(recap mini2 unreachable)' = 1 ]"
check "... the others complete, changed" sh -c \
    "[ '$(recap mini1 changed) $(recap mini3 changed)' = '1 1' ] && [ '$(recap mini1 failed)$(recap mini3 failed)' = 00 ]"
check "... and mini2 untouched" \
    test "$(recap mini1 changed)" = 1 -a -z "$(calls mini2)"
sshd_up mini2
play
check "mini2 back: the rerun converges, only mini2 changed" \
    changed 0 1 0
check "... its new VM bootstrapped" test "$(calls mini2)" = \
    "bootstrap system $tmp/h/mini2/root/Library/LaunchDaemons/local.vmc.vm5.plist"
play
check "and the next run changes nothing" changed 0 0 0

echo "# a description that is not the Mac's"
cp "$tmp/fleet/mini3/host" "$tmp/mini3.host"
sed -i 's|^address = 10.231.0.13/24$|address = 10.231.0.99/24|' "$tmp/fleet/mini3/host"
play
check "a warning naming the difference" grep -q \
    "differs from what vmc host says on mini3: only described: eth0 10.231.0.99/24; only on the host: eth0 10.231.0.13/24" \
    "$tmp/play.out"
check "... for mini3 alone" test "$(grep -c 'differs from what vmc host says' "$tmp/play.out")" = 1
play -e vmc_refresh_hosts=true
check "vmc_refresh_hosts writes the Mac's own description back" \
    cmp -s "$tmp/fleet/mini3/host" "$tmp/mini3.host"
play
check "... and the warning is gone" sh -c \
    "[ $rc = 0 ] && ! grep -q 'differs from what vmc host says' '$tmp/play.out'"
finish
