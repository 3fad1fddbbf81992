#!/bin/sh
# vmc install, uninstall and status, under -R in a scratch root, with
# tests/launchctl standing in for launchctl (it logs every call and
# keeps the loaded jobs).  The fleet is the shipped examples plus a VM
# on vmnet-shared run by another user; each case changes the profiles,
# builds, installs, and checks the statuses printed, the launchctl
# calls made and the files written, against a listing of the root
# taken before (path, inode, mode, owner, size, mtime).  Needs root.
#
#   sh tests/install.sh		(VMC=path to test another build)
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
if [ "$(id -u)" != 0 ]; then
	skip "install" "the install tests need root (files owned by root)"
	finish
fi
# shellcheck disable=SC2016 # run on exit
at_exit='chattr -i "$root/Library/Application Support/vmc/ubuntu.sh" 2> /dev/null'
tempdir install
root=$tmp/root

# bad NAME WHY: also shows what the last vmc said.
bad() {
	fail=$((fail + 1))
	echo "FAIL $1: $2"
	for f in stdout err; do
		[ -s "$tmp/$f" ] && sed "s/^/	$f: /" "$tmp/$f"
	done
}

export FAKE_LAUNCHD="$tmp/launchd" VMC_LAUNCHCTL="$top/tests/launchctl"
export VMC_ARP="$tmp/arp"
rundir="/Library/Application Support/vmc"
ld=$root/Library/LaunchDaemons
rd=$root$rundir
man=$root/var/db/vmc/manifest
mkdir -p "$root" "$FAKE_LAUNCHD" "$tmp/p"
chmod 755 "$root"
touch "$FAKE_LAUNCHD/log"
cp "$top"/profiles/intel/*.ini "$top"/profiles/intel/*.inc "$tmp/p/"
# vmnet needs root: the VM run by another user is on the user network.
printf '[vm]\nmemory = 1G\nimage = /Users/Shared/VMs/svc.qcow2\nformat = qcow2\n\n[service]\nuser = nobody\n' \
    > "$tmp/p/svc.ini"
printf '[vm]\nmemory = 1G\nimage = /Users/Shared/VMs/web.qcow2\nformat = qcow2\n\n[network]\nmode = vmnet-shared\n' \
    > "$tmp/p/web.ini"

build() {
	"$VMC" build -H "$top/profiles/intel/mac.host" -p "$rundir" -o "$tmp/out" \
	    "$tmp/p" > /dev/null 2> "$tmp/builderr"
}

# Every file and directory under the root as it is now.
tree() {
	find "$root" -printf '%p\t%i %m %u:%g %s %T@\n' | sort
}

# Runs vmc, keeping its status, output and the launchctl calls it made.
vmc() {
	tree > "$tmp/before"
	n=$(wc -l < "$FAKE_LAUNCHD/log")
	"$VMC" "$@" > "$tmp/stdout" 2> "$tmp/err"
	rc=$?
	tail -n +$((n + 1)) "$FAKE_LAUNCHD/log" > "$tmp/calls"
	tree > "$tmp/after"
}

# The calls that change what launchd runs: all but list, which install
# makes at most once, to learn which VMs run.
acts() {
	[ "$(grep -c '^list$' "$tmp/calls")" -le 1 ] || echo "list twice"
	grep -v '^list$' "$tmp/calls"
}

# The files (not directories) that changed since vmc() listed the root;
# "dirs" when a directory changed too (an entry made or removed).
changed() {
	diff "$tmp/before" "$tmp/after" | sed -n 's/^[<>] //p' | cut -f 1 |
	    sort -u | while IFS= read -r f; do
		if [ -d "$f" ]; then
			echo dirs
		else
			echo "${f#"$root"}"
		fi
	done | sort -u
}

set_mem() {
	sed "s/^memory = .*/memory = $2/" "$tmp/p/$1.ini" > "$tmp/x" &&
	    mv "$tmp/x" "$tmp/p/$1.ini"
}

build || { echo "FAIL build: $(cat "$tmp/builderr")"; exit 1; }
all="k8s-cp k8s-w1 k8s-w2 svc ubuntu ubuntu-bridged web"

# 1. A fresh install: every VM added and bootstrapped, files owned by
# root with modes 0755 and 0644, the other user's run-time directory.
vmc install -n -R "$root" "$tmp/out"
if [ $rc = 0 ] && [ ! -e "$root/Library" ] && [ -z "$(acts)" ] &&
    [ "$(cat "$tmp/stdout")" = "$(for v in $all; do echo "$v: added"; done)" ]
then
	ok "-n on a fresh root: all added, nothing done"
else
	bad "-n fresh" "rc $rc"
fi
vmc install -R "$root" "$tmp/out"
want=$(for v in $all; do
	l=local.vmc.$v
	echo "bootstrap system $ld/$l.plist"
done)
if [ $rc = 0 ] && [ "$(acts)" = "$want" ] &&
    [ "$(grep -c ': added$' "$tmp/stdout")" = 7 ]; then
	ok "fresh install: 7 added, 7 bootstraps"
else
	bad "fresh install" "rc $rc, calls: $(cat "$tmp/calls")"
fi
modes=$(cd "$root" && find Library var -type f -printf '%m %u:%g %p\n' | sort)
if printf '%s\n' "$modes" | grep -v '^755 root:root .*\.sh$' |
    grep -v '^644 root:root .*\.plist$' |
    grep -v '^600 root:root var/db/vmc/lock$' |
    grep -qv '^644 root:root var/db/vmc/manifest$'; then
	bad "owners and modes" "$modes"
elif [ "$(find "$root" -name '.vmc-tmp-*' | wc -l)" != 0 ]; then
	bad "no temporary files" "$(find "$root" -name '.vmc-tmp-*')"
elif [ "$(stat -c '%a %U' "$rd/svc")" != "700 nobody" ] ||
    ! grep -q '<string>nobody</string>' "$ld/local.vmc.svc.plist"; then
	bad "run-time directory" "$(stat -c '%a %U' "$rd/svc")"
elif ! cmp -s "$tmp/out/ubuntu.sh" "$rd/ubuntu.sh" ||
    ! python3 "$top/tests/plistcheck.py" "$ld/local.vmc.ubuntu.plist" \
    > /dev/null 2>&1; then
	bad "installed files" "differ from the build's"
else
	ok "installed: root-owned, 0755 scripts, 0644 plists, nobody's 0700 run-time directory"
fi

# 2. The same install again: no launchctl call, no write.
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && [ ! -s "$tmp/calls" ] && [ -z "$(changed)" ] &&
    [ "$(grep -c ': unchanged$' "$tmp/stdout")" = 7 ]; then
	ok "same install again: 7 unchanged, no call, no write"
else
	bad "no-op install" "calls: $(cat "$tmp/calls"); changed: $(changed)"
fi

# 3. Memory changed: the script only.  Without -r the restart is left
# pending; with -r one graceful restart.
set_mem ubuntu 3G && build
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'ubuntu: restart pending' "$tmp/stdout" &&
    [ "$(grep -vc ': unchanged$' "$tmp/stdout")" = 1 ] &&
    [ -z "$(acts)" ] && [ "$(changed)" = "$(printf '%s\n%s\n%s' \
    "$rundir/ubuntu.sh" /var/db/vmc/manifest dirs)" ] &&
    grep -q -- '-m 3072M' "$rd/ubuntu.sh"; then
	ok "script changed: restart pending, no call, only its script and the manifest written"
else
	bad "script changed" "calls: $(cat "$tmp/calls"); changed: $(changed)"
fi
set_mem ubuntu 5G && build
vmc install -r -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'ubuntu: restarted' "$tmp/stdout" &&
    [ "$(acts)" = "bootout system/local.vmc.ubuntu
bootstrap system $root/Library/LaunchDaemons/local.vmc.ubuntu.plist" ]; then
	ok "script changed, -r: a graceful stop (bootout) and start of that job"
else
	bad "-r" "calls: $(cat "$tmp/calls")"
fi

# 4. log changed: the plist only.  bootout and bootstrap, that job only.
printf '\n[service]\nlog = /Library/Logs/k8s-w1.log\n' >> "$tmp/p/k8s-w1.ini" &&
    build
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'k8s-w1: changed' "$tmp/stdout" &&
    [ "$(grep -vc ': unchanged$' "$tmp/stdout")" = 1 ] &&
    [ "$(acts)" = "bootout system/local.vmc.k8s-w1
bootstrap system $ld/local.vmc.k8s-w1.plist" ] &&
    [ "$(changed)" = "$(printf '%s\n%s\n%s' \
    /Library/LaunchDaemons/local.vmc.k8s-w1.plist /var/db/vmc/manifest dirs)" ]
then
	ok "plist changed: bootout + bootstrap of that job only"
else
	bad "plist changed" "calls: $(cat "$tmp/calls"); changed: $(changed)"
fi

# 5. A profile removed: the build removes its files from OUTDIR and says
# so; install boots it out and removes its files and record.
rm "$tmp/p/k8s-w2.ini" && build
if [ ! -e "$tmp/out/k8s-w2.sh" ] && [ ! -e "$tmp/out/local.vmc.k8s-w2.plist" ] &&
    grep -q 'k8s-w2.sh: note: removed' "$tmp/builderr" &&
    grep -q 'local.vmc.k8s-w2.plist: note: removed' "$tmp/builderr"; then
	ok "build: a gone VM's files removed from OUTDIR, with a note"
else
	bad "build removal" "$(ls "$tmp/out"; cat "$tmp/builderr")"
fi
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'k8s-w2: removed' "$tmp/stdout" &&
    [ "$(acts)" = "bootout system/local.vmc.k8s-w2" ] &&
    [ ! -e "$rd/k8s-w2.sh" ] && [ ! -e "$ld/local.vmc.k8s-w2.plist" ] &&
    ! grep -q k8s-w2 "$man"; then
	ok "profile removed: bootout, files and record gone"
else
	bad "profile removed" "calls: $(cat "$tmp/calls")"
fi
# A file the build made for a gone VM but someone changed is left alone.
echo '# mine' >> "$tmp/out/k8s-cp.sh"
mv "$tmp/p/k8s-cp.ini" "$tmp/k8s-cp.ini" && build
if [ -e "$tmp/out/k8s-cp.sh" ] && [ ! -e "$tmp/out/local.vmc.k8s-cp.plist" ] &&
    grep -q 'k8s-cp.sh: warning: left alone' "$tmp/builderr"; then
	ok "build: a changed file of a gone VM left alone, with a warning"
else
	bad "build keeps changed" "$(cat "$tmp/builderr")"
fi
rm "$tmp/out/k8s-cp.sh"
mv "$tmp/k8s-cp.ini" "$tmp/p/" && build

# 6. -n changes nothing and runs nothing, and says what install would.
set_mem k8s-cp 7G && build
vmc install -n -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'k8s-cp: restart pending' "$tmp/stdout" &&
    [ -z "$(acts)" ] && [ -z "$(changed)" ]; then
	ok "install -n: prints the plan, no call, no write"
else
	bad "install -n" "calls: $(cat "$tmp/calls"); changed: $(changed)"
fi
vmc uninstall -n -R "$root"
if [ $rc = 0 ] && [ "$(grep -c ': removed$' "$tmp/stdout")" = 6 ] &&
    [ -z "$(acts)" ] && [ -z "$(changed)" ]; then
	ok "uninstall -n: prints the plan, no call, no write"
else
	bad "uninstall -n" "calls: $(cat "$tmp/calls"); changed: $(changed)"
fi

# 7. Unsafe: a group-writable directory above the run directory, or a
# file in the way that vmc did not install.  Refused, nothing changed.
chmod g+w "$root/Library"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && [ ! -s "$tmp/stdout" ] && [ -z "$(acts)" ] &&
    [ -z "$(changed)" ] &&
    grep -q "^$root/Library: error: refused: owned by someone other than root, or writable by group" "$tmp/err"
then
	ok "group-writable parent: refused, named, nothing changed"
else
	bad "unsafe directory" "rc $rc"
fi
chmod g-w "$root/Library"
chown nobody "$root/var"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && grep -q "^$root/var: error: refused" "$tmp/err" &&
    [ -z "$(changed)" ]; then
	ok "a directory not owned by root: refused"
else
	bad "not root's" "rc $rc"
fi
chown root "$root/var"
# The run directory behind a link whose target's parent anyone can write:
# that directory counts as those of the path as written.
as=$root/Library/Application\ Support
mkdir -m 777 "$as/data"
mv "$rd" "$as/data/vms"
ln -s data/vms "$rd"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && grep -q "^$as/data: error: refused: owned by" "$tmp/err" &&
    [ -z "$(changed)" ] && [ -z "$(acts)" ]; then
	ok "a link to a run directory under a writable directory: refused"
else
	bad "link's target unsafe" "rc $rc"
fi
rm "$rd"
mv "$as/data/vms" "$rd"
rmdir "$as/data"
# Under -R, a link by an absolute path would leave the root.
mkdir "$tmp/outside"
mv "$root/var/db/vmc" "$tmp/outside/vmc"
ln -s "$tmp/outside/vmc" "$root/var/db/vmc"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && grep -q "^$root/var/db/vmc: error: refused: a symbolic link by an absolute path" "$tmp/err" &&
    [ -z "$(changed)" ] && [ -z "$(acts)" ]; then
	ok "-R: an absolute link inside the root: refused"
else
	bad "absolute link under -R" "rc $rc"
fi
rm "$root/var/db/vmc"
mv "$tmp/outside/vmc" "$root/var/db/vmc"
printf '[vm]\nmemory = 1G\nimage = /x.qcow2\nformat = qcow2\n' > "$tmp/p/new.ini"
build
echo '<plist/>' > "$ld/local.vmc.new.plist"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && [ -z "$(acts)" ] && [ -z "$(changed)" ] &&
    grep -q "local.vmc.new.plist: error: refused: in the way of VM new, and not installed by vmc" "$tmp/err"
then
	ok "a file in the way: refused, nothing changed"
else
	bad "file in the way" "rc $rc"
fi
rm "$ld/local.vmc.new.plist" "$tmp/p/new.ini"
build
# A file in OUTDIR edited after the build.
cp "$tmp/out/ubuntu.sh" "$tmp/keep.sh"
echo '# edited' >> "$tmp/out/ubuntu.sh"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && [ -z "$(changed)" ] &&
    grep -q "ubuntu.sh: error: refused: changed since vmc build wrote it" "$tmp/err"
then
	ok "a built file edited since: refused"
else
	bad "edited OUTDIR" "rc $rc"
fi
cp "$tmp/keep.sh" "$tmp/out/ubuntu.sh"

# 8. A failure half-way: ubuntu's script cannot be replaced.  k8s-cp,
# before it, is done and recorded; ubuntu is as it was; a rerun
# finishes.
set_mem ubuntu 6G && build
if chattr +i "$rd/ubuntu.sh" 2> /dev/null; then
	old=$(sha1sum < "$rd/ubuntu.sh")
	vmc install -R "$root" "$tmp/out"
	chattr -i "$rd/ubuntu.sh"
	if [ $rc = 3 ] && grep -qx 'k8s-cp: restart pending' "$tmp/stdout" &&
	    grep -qx 'ubuntu: restart pending' "$tmp/stdout" &&
	    grep -q 'ubuntu.sh: error: cannot rename into place' "$tmp/err" &&
	    [ "$old" = "$(sha1sum < "$rd/ubuntu.sh")" ] &&
	    [ -z "$(find "$root" -name '.vmc-tmp-*')" ] &&
	    cmp -s "$tmp/out/k8s-cp.sh" "$rd/k8s-cp.sh"; then
		ok "unwritable target: exit 3, the VM before done, this one as it was"
	else
		bad "unwritable target" "rc $rc"
	fi
	vmc install -R "$root" "$tmp/out"
	if [ $rc = 0 ] && grep -qx 'k8s-cp: unchanged' "$tmp/stdout" &&
	    grep -qx 'ubuntu: restart pending' "$tmp/stdout" &&
	    cmp -s "$tmp/out/ubuntu.sh" "$rd/ubuntu.sh"; then
		ok "rerun after the failure finishes the job"
	else
		bad "rerun" "rc $rc"
	fi
else
	skip "unwritable target" "chattr +i does not work here"
fi
# A launchctl failure: the new plist is in place, the job not loaded,
# the manifest still the old version's; a rerun loads it.
printf '\n[service]\nstop-timeout = 40\n' >> "$tmp/p/web.ini" && build
FAKE_LAUNCHD_FAIL=bootstrap:local.vmc.web vmc install -R "$root" "$tmp/out"
if [ $rc = 3 ] && grep -qx 'web: changed' "$tmp/stdout" &&
    grep -q 'bootstrap system .*: Bootstrap failed: 5: Input/output error' "$tmp/err" &&
    [ ! -e "$FAKE_LAUNCHD/jobs/local.vmc.web" ]; then
	ok "bootstrap fails: exit 3 with launchctl's message"
else
	bad "bootstrap fails" "rc $rc"
fi
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'web: changed' "$tmp/stdout" &&
    [ "$(acts)" = "bootout system/local.vmc.web
bootstrap system $ld/local.vmc.web.plist" ] &&
    [ -e "$FAKE_LAUNCHD/jobs/local.vmc.web" ]; then
	ok "rerun after the launchctl failure loads the job"
else
	bad "rerun after launchctl" "calls: $(cat "$tmp/calls")"
fi

# 9. status: state, pid and last exit from launchctl list, since and
# forwards from the run record; the vmnet-shared guest's address by its
# MAC in the DHCP leases (bytes without leading zeros), the bridged
# one's from arp -an.
"$VMC_LAUNCHCTL" bootout system/local.vmc.k8s-w1
"$VMC_LAUNCHCTL" kill TERM system/local.vmc.ubuntu
mac=$(sed -n 's/^mac vmnet-shared //p' "$man")
loose=$(echo "$mac" | awk -F: '{ for (i = 1; i <= NF; i++) { sub(/^0/, "", $i); printf "%s%s", $i, i < NF ? ":" : "" } }')
bmac=$(awk '$1 == "vm" { on = $2 == "ubuntu-bridged" } on && $1 == "mac" { print $3 }' "$man")
printf '{\n\tname=web\n\tip_address=192.168.64.9\n\thw_address=1,%s\n\tidentifier=1,%s\n\tlease=0x60000000\n}\n{\n\tname=web\n\tip_address=192.168.64.7\n\thw_address=1,%s\n\tlease=0x60000100\n}\n' \
    "$loose" "$loose" "$loose" > "$root/var/db/dhcpd_leases"
printf '#!/bin/sh\necho "? (192.168.1.1) at 0:11:22:33:44:55 on en0 ifscope [ethernet]"\necho "? (192.168.1.23) at %s on en0 ifscope [ethernet]"\n' \
    "$bmac" > "$VMC_ARP"
chmod +x "$VMC_ARP"
# run_record NAME [CONFIG]: the record NAME's script writes when QEMU
# starts (emit_sh.c): its config (the installed script's, unless given),
# when, QEMU's pid (this shell's stands for it, so that it counts as
# running) and where it answers, as the manifest says.
vm_lines() {
	awk -v n="$1" '$1 == "vm" { on = $2 == n } on' "$man"
}
run_record() {
	_r=$root$(vm_lines "$1" | sed -n 's/^run //p')
	_cfg=${2:-$(sed -n 's/^config=//p' "$rd/$1.sh")}
	{
		echo "config $_cfg"
		echo "since 1700000000"
		echo "pid $$"
		vm_lines "$1" | grep '^fwd \|^mac '
	} > "$_r"
}
for n in k8s-cp web ubuntu-bridged svc ubuntu; do
	run_record $n
done
TZ=UTC vmc status -R "$root"
if [ $rc = 0 ] && [ -z "$(changed)" ] &&
    head -1 "$tmp/stdout" | grep -q '^NAME  *LABEL  *STATE  *PID  *EXIT  *SINCE  *ADDRESS$' &&
    grep -q '^ubuntu  *local.vmc.ubuntu  *stopped  *-  *0  *-  *-$' "$tmp/stdout" &&
    grep -q '^k8s-w1  *local.vmc.k8s-w1  *stopped  *-  *-  *-  *-$' "$tmp/stdout" &&
    grep -q '^k8s-cp  .*  running  *[0-9][0-9]*  *0  *2023-11-14 22:13  *unknown$' "$tmp/stdout" &&
    grep -q '^web  .*  192.168.64.7$' "$tmp/stdout" &&
    grep -q '^ubuntu-bridged  .*  192.168.1.23$' "$tmp/stdout" &&
    grep -q '^svc  .*  -$' "$tmp/stdout" &&
    [ "$(grep -c '^list$' "$tmp/calls")" = 1 ] &&
    [ "$(wc -l < "$tmp/calls")" = 1 ]; then
	ok "status: one launchctl list; state, pid, last exit, since, leases, arp"
else
	bad status "$(cat "$tmp/stdout" "$tmp/calls")"
fi
# What arp prints is read as a stream: 200 MB of other entries before
# the bridged guest's are never held (RSS stays small), and an entry
# whose address is not one is not shown.
cp "$VMC_ARP" "$tmp/arp.small"
{
	printf '#!/bin/sh\n'
	printf 'echo "? (\033]0;owned\007) at %s on en0 ifscope [ethernet]"\n' "$bmac"
	printf "yes '? (10.9.9.9) at 2:0:0:0:0:1 on en0 ifscope [ethernet]' | head -n 3500000\n"
	printf 'echo "? (192.168.1.23) at %s on en0 ifscope [ethernet]"\n' "$bmac"
} > "$VMC_ARP"
/usr/bin/time -f %M -o "$tmp/rss" "$VMC" status -R "$root" ubuntu-bridged \
    > "$tmp/stdout" 2> "$tmp/err"
rc=$?
cp "$tmp/arp.small" "$VMC_ARP"
if [ $rc = 0 ] && grep -q '^ubuntu-bridged  .*  192.168.1.23$' "$tmp/stdout" &&
    [ "$(tail -n 1 "$tmp/rss")" -lt 32768 ]; then
	ok "status: 200 MB from arp read as a stream ($(tail -n 1 "$tmp/rss") KB)"
else
	bad "status and a long arp" "rc $rc, $(tail -n 1 "$tmp/rss") KB"
fi
# What runs, not what is installed: a forward of the running script's
# record, and restart pending while it runs other files.
run_record k8s-cp 0123456789abcdef
echo 'fwd tcp 127.0.0.1 2299 22' >> "$root$(vm_lines k8s-cp | sed -n 's/^run //p')"
vmc status -R "$root" k8s-cp
if [ $rc = 0 ] &&
    grep -q '^k8s-cp  .*  restart pending  .*, 127.0.0.1:2299 -> 22$' "$tmp/stdout"
then
	ok "status: the running record's addresses, restart pending"
else
	bad "status pending" "$(cat "$tmp/stdout")"
fi
# Its files unchanged, a VM that runs replaced ones: install says
# restart pending, and -r restarts it.
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'k8s-cp: restart pending' "$tmp/stdout" &&
    [ "$(grep -vc ': unchanged$' "$tmp/stdout")" = 1 ] && [ -z "$(acts)" ]
then
	ok "install: restart pending for a VM running replaced files"
else
	bad "install pending" "$(cat "$tmp/stdout" "$tmp/calls")"
fi
vmc install -r -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'k8s-cp: restarted' "$tmp/stdout" &&
    [ "$(acts)" = "bootout system/local.vmc.k8s-cp
bootstrap system $ld/local.vmc.k8s-cp.plist" ]; then
	ok "install -r: restarts a VM running replaced files"
else
	bad "install -r pending" "$(cat "$tmp/stdout" "$tmp/calls")"
fi
run_record k8s-cp
vmc status -j -R "$root" web ubuntu
if [ $rc = 0 ] && python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
assert [x["name"] for x in v] == ["ubuntu", "web"] or \
    [x["name"] for x in v] == ["web", "ubuntu"], v
w = [x for x in v if x["name"] == "web"][0]
u = [x for x in v if x["name"] == "ubuntu"][0]
assert w["state"] == "running" and isinstance(w["pid"], int), w
assert w["since"] == "2023-11-14T22:13:20Z" and w["addresses"] == ["192.168.64.7"], w
assert w["restart_pending"] is False and w["console"].endswith("/web.console"), w
assert w["log"].endswith("/web.log") and w["label"] == "local.vmc.web", w
assert u["state"] == "stopped" and u["pid"] is None and u["last_exit"] == 0, u
assert u["addresses"] == [] and u["since"] is None, u
assert w["loaded"] is u["loaded"] is True and w["held"] is u["held"] is False, v
' "$tmp/stdout"; then
	ok "status -j: one object a VM, as vmc(1) describes"
else
	bad "status -j" "$(cat "$tmp/stdout")"
fi
# What launchctl prints is checked: an exit status that is not a number
# is shown as '?', never sent to the terminal raw.
saved=$(cat "$FAKE_LAUNCHD/jobs/local.vmc.svc")
printf 'running 404 \033]0;owned\007\n' > "$FAKE_LAUNCHD/jobs/local.vmc.svc"
vmc status -R "$root" svc
esc=$(printf '\033')
if [ $rc = 0 ] && ! grep -q "$esc" "$tmp/stdout" &&
    grep -q '^svc  .*running  *404  *? ' "$tmp/stdout"; then
	ok "status: what launchctl prints is checked before it is shown"
else
	bad "status escapes" "$(od -c "$tmp/stdout" | head -5)"
fi
echo "$saved" > "$FAKE_LAUNCHD/jobs/local.vmc.svc"
vmc status -R "$root" web nosuch
if [ $rc = 1 ] && grep -q 'no VM nosuch is installed' "$tmp/err"; then
	ok "status of a VM not installed: exit 1"
else
	bad "status unknown" "rc $rc"
fi

# A VM with a cloud-init seed: the seed's directory goes beside the
# script, root's, and away with the VM.
printf '#cloud-config\nhostname: seedy\n' > "$tmp/p/seedy.yaml"
printf '[vm]\nmemory = 1G\nimage = /Users/Shared/VMs/seedy.qcow2\nformat = qcow2\n\n[cloud-init]\nuser-data = seedy.yaml\n\n[network]\nmode = user\n' \
    > "$tmp/p/seedy.ini"
build
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'seedy: added' "$tmp/stdout" &&
    cmp -s "$tmp/out/seedy.cidata/user-data" "$rd/seedy.cidata/user-data" &&
    [ -f "$rd/seedy.cidata/meta-data" ] &&
    [ "$(fmode "$rd/seedy.cidata")" = 755 ] &&
    [ "$(fmode "$rd/seedy.cidata/meta-data")" = 644 ] &&
    grep -q "seedy.cidata/network-config" "$man"; then
	ok "a seed's directory installed beside its script"
else
	bad "seed installed" "rc $rc"
fi
# A seed never changes under a running guest: the VM is restarted.
printf '#cloud-config\nhostname: seedy2\n' > "$tmp/p/seedy.yaml"
build
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'seedy: restarted' "$tmp/stdout" &&
    grep -q "note: VM seedy runs and its seed changes: it is restarted" "$tmp/err" &&
    grep -q "bootout system/local.vmc.seedy" "$tmp/calls" &&
    cmp -s "$tmp/out/seedy.cidata/user-data" "$rd/seedy.cidata/user-data"; then
	ok "a running VM's seed changed: restarted, said"
else
	bad "seed changed under a running VM" "rc $rc"
fi
rm "$tmp/p/seedy.ini" "$tmp/p/seedy.yaml"
build
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx 'seedy: removed' "$tmp/stdout" &&
    [ ! -e "$rd/seedy.cidata" ] && [ ! -e "$tmp/out/seedy.cidata" ] &&
    ! grep -q seedy "$man"; then
	ok "and removed with its VM, from the build and the system"
else
	bad "seed removed" "rc $rc; $(ls "$rd" "$tmp/out")"
fi

# 10. Uninstall one, then all: bootout, files and records gone.
vmc uninstall -R "$root" svc
if [ $rc = 0 ] && [ "$(cat "$tmp/stdout")" = "svc: removed" ] &&
    [ "$(acts)" = "bootout system/local.vmc.svc" ] &&
    [ ! -e "$rd/svc" ] && [ ! -e "$rd/svc.sh" ] && ! grep -q '^vm svc ' "$man"
then
	ok "uninstall svc: its job, files, run-time directory and record"
else
	bad "uninstall one" "calls: $(cat "$tmp/calls")"
fi
vmc uninstall -R "$root"
if [ $rc = 0 ] && [ "$(grep -c ': removed$' "$tmp/stdout")" = 5 ] &&
    [ "$(grep -c '^bootout ' "$tmp/calls")" = 5 ] &&
    [ -z "$(find "$ld" "$rd" -type f)" ] && [ "$(tail -1 "$man")" = "end 0" ]; then
	ok "uninstall of all: every job out, every file gone"
else
	bad "uninstall all" "calls: $(cat "$tmp/calls")"
fi

# 11. Two installs at once: the second waits for the first, then works
# from the manifest it left.  Without the lock it would plan from the
# manifest as it found it: the first's VMs would stay, unrecorded.
"$VMC" build -H "$top/profiles/intel/mac.host" -p "$rundir" \
    -o "$tmp/one" "$tmp/p/ubuntu.ini" > /dev/null 2> "$tmp/builderr"
FAKE_LAUNCHD_SLOW=0.3 "$VMC" install -R "$root" "$tmp/out" \
    > "$tmp/first" 2>&1 &
first=$!
# Until the first has begun its work (its first launchctl call).
n=$(wc -l < "$FAKE_LAUNCHD/log")
i=0
while [ "$(wc -l < "$FAKE_LAUNCHD/log")" = "$n" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
vmc install -x -R "$root" "$tmp/one"
wait "$first"
rc1=$?
left=$(cd "$ld" && ls)
if [ $rc1 = 0 ] && [ $rc = 0 ] && [ "$left" = local.vmc.ubuntu.plist ] &&
    [ "$(grep -c '^vm ' "$man")" = 1 ] && [ "$(ls "$FAKE_LAUNCHD/jobs")" = \
    local.vmc.ubuntu ] && [ "$(grep -c ': removed$' "$tmp/stdout")" = \
    $(($(grep -c '^vm ' "$tmp/out/.vmc-index") - 1)) ]
then
	ok "two installs at once: the second finds what the first did"
else
	bad "two installs at once" "rc $rc1 $rc, left: $left"
fi

# 12. What a root job's first start writes in must be root's alone; a
# program it runs that another user owns is said.
qemu-img create -q -f qcow2 "$tmp/p/ov-base.qcow2" 64M
printf '[vm]\nmemory = 1G\nbase = ov-base.qcow2\nimage = /Users/Shared/VMs/ov.qcow2\n' \
    > "$tmp/p/ov.ini"
build || echo "FAIL build ov: $(cat "$tmp/builderr")"
mkdir -p "$root/Users/Shared/VMs" "$root/usr/local/bin"
chmod 1777 "$root/Users/Shared"
chown nobody "$root/Users/Shared/VMs"
vmc install -R "$root" "$tmp/out"
if [ $rc = 1 ] && grep -q "^$root/Users/Shared/VMs: error: refused: owned by" "$tmp/err" &&
    [ -z "$(changed)" ] && [ -z "$(acts)" ]; then
	ok "a first start's directory another user owns: refused"
else
	bad "first start's directory" "rc $rc"
fi
chown root "$root/Users/Shared/VMs"
cp /bin/true "$root/usr/local/bin/qemu-system-x86_64"
chown nobody "$root/usr/local/bin/qemu-system-x86_64"
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx "ov: added" "$tmp/stdout" &&
    grep -q "^$root/usr/local/bin/qemu-system-x86_64: warning: VM k8s-cp's job runs this as root, and it belongs to uid 65534" "$tmp/err"
then
	ok "... root's, under a sticky directory: installed; another's QEMU said"
else
	bad "first start's directory root's" "rc $rc"
fi
rm -f "$tmp/p/ov.ini" "$tmp/p/ov-base.qcow2" "$root/usr/local/bin/qemu-system-x86_64"
build
vmc install -R "$root" "$tmp/out"

# 13. OUTDIR changed under an install after it changed another VM: part
# new, part old, said, exit 3 (not 1, "refused, changed nothing").
set_mem svc 3G
set_mem web 3G
build
FAKE_LAUNCHD_EDIT=$tmp/out/web.sh vmc install -r -R "$root" "$tmp/out"
if [ $rc = 3 ] && grep -qx "svc: restarted" "$tmp/stdout" &&
    grep -q "error: refused: changed since vmc build wrote it" "$tmp/err" &&
    grep -q "error: stopped at VM web: the VMs before it are installed" "$tmp/err"
then
	ok "OUTDIR changed half-way: exit 3, saying which VMs are which"
else
	bad "changed half-way" "rc $rc"
fi
build
vmc install -R "$root" "$tmp/out"
[ $rc = 0 ] && grep -q "^web: \(changed\|restart pending\)" "$tmp/stdout" ||
    bad "converge after a half-way install" "rc $rc"

# 14. A run directory of "/" and a one-letter name, then another run
# directory: the old files' names are shorter than ".plist" (ASan, in
# tests/sanitize.sh, sees a read out of bounds if they are not measured).
mkdir -p "$tmp/one" "$tmp/root1"
printf '[vm]\nmemory = 1G\nimage = /a.qcow2\nformat = qcow2\n' > "$tmp/one/a.ini"
"$VMC" build -H "$top/profiles/intel/mac.host" -p / -o "$tmp/out1" "$tmp/one" 2> /dev/null
vmc install -R "$tmp/root1" "$tmp/out1"
rc1=$rc
"$VMC" build -H "$top/profiles/intel/mac.host" -p /x -o "$tmp/out1" "$tmp/one" 2> /dev/null
vmc install -R "$tmp/root1" "$tmp/out1"
if [ $rc1 = 0 ] && [ $rc = 0 ] && grep -qx "a: changed" "$tmp/stdout" &&
    [ -f "$tmp/root1/x/a.sh" ] && [ ! -e "$tmp/root1/a.sh" ]; then
	ok "-p / and a one-letter name, then -p /x: changed, moved"
else
	bad "-p / then /x" "rc $rc1 $rc"
fi

# 15. What a killed install staged is removed by the next (not by -n).
# (the run directory's name holds a space: the list is "$@").
set -- "$ld/.vmc-tmp-local.vmc.web.plist" "$rd/.vmc-tmp-web.sh" \
    "$root/var/db/vmc/.vmc-tmp-manifest"
for f; do
	echo '<plist/>' > "$f"
done
vmc install -n -R "$root" "$tmp/out"
left=0
for f; do
	[ -e "$f" ] && left=$((left + 1))
done
vmc install -R "$root" "$tmp/out"
for f; do
	[ -e "$f" ] && left=$((left + 10))
done
if [ $rc = 0 ] && [ $left = 3 ]; then
	ok "stale staged files: kept by -n, removed by the next install"
else
	bad "stale staged files" "rc $rc, $left"
fi

# 16. Under -R without VMC_LAUNCHCTL no launchctl runs: staging a
# package for another system must not boot out this one's jobs.
mkdir -p "$tmp/root2"
VMC_LAUNCHCTL= vmc install -R "$tmp/root2" "$tmp/out"
if [ $rc = 0 ] && [ -z "$(cat "$tmp/calls")" ] &&
    grep -q "note: -R: no launchctl is run" "$tmp/err" &&
    [ -f "$tmp/root2/Library/LaunchDaemons/local.vmc.web.plist" ]; then
	ok "-R without VMC_LAUNCHCTL: installed, no launchctl run, said"
else
	bad "-R without launchctl" "rc $rc"
fi
VMC_LAUNCHCTL= vmc stop -R "$tmp/root2" web
if [ $rc = 1 ] && [ -z "$(cat "$tmp/calls")" ] &&
    grep -q "error: stop -R: no launchd runs the jobs" "$tmp/err"; then
	ok "-R without VMC_LAUNCHCTL: stop refused"
else
	bad "-R stop without launchctl" "rc $rc"
fi

# 17. A VM started by hand though autostart = no (no RunAtLoad) runs
# after install changes or restarts it, as it ran before.
printf '[vm]\nmemory = 1G\nimage = /hand.qcow2\nformat = qcow2\n\n[service]\nautostart = no\n' \
    > "$tmp/p/hand.ini"
build
vmc install -R "$root" "$tmp/out"
"$VMC_LAUNCHCTL" kickstart system/local.vmc.hand
set_mem hand 2G
build
vmc install -R "$root" "$tmp/out"
rc1=$rc
state1=$(cut -d ' ' -f 1 "$FAKE_LAUNCHD/jobs/local.vmc.hand")
grep -q "^hand: " "$tmp/stdout" || rc1="$rc1 (not said)"; cp "$tmp/stdout" "$tmp/stdout1"
set_mem hand 3G
build
vmc install -r -R "$root" "$tmp/out"
state2=$(cut -d ' ' -f 1 "$FAKE_LAUNCHD/jobs/local.vmc.hand")
if [ "$rc1" = 0 ] && [ $rc = 0 ] && [ "$state1" = running ] &&
    [ "$state2" = running ] && grep -q "kickstart system/local.vmc.hand" "$tmp/calls"
then
	ok "autostart = no, started by hand: running after changed and -r"
else
	bad "hand-started VM" "rc $rc1 $rc, $state1 $state2"
fi
rm "$tmp/p/hand.ini"
build
vmc install -R "$root" "$tmp/out"

# 18. Killed while a new VM's job is loaded: the manifest, written
# first, knows the VM, so a rerun puts it right, and a removal later
# boots its job out (it is never loaded and unknown).
printf '[vm]\nmemory = 1G\nimage = /kill.qcow2\nformat = qcow2\n' > "$tmp/p/kill.ini"
build
FAKE_LAUNCHD_KILL=bootstrap:local.vmc.kill vmc install -R "$root" "$tmp/out"
rc1=$rc
recorded=$(grep -c '^vm kill ' "$man")
vmc install -R "$root" "$tmp/out"
rc2=$rc
grep -qx "kill: changed" "$tmp/stdout" || rc2="$rc2 (not changed)"
pending=$(grep -c '^pending$' "$man")
rm "$tmp/p/kill.ini"
build
vmc install -R "$root" "$tmp/out"
if [ "$rc1" = 143 ] && [ "$recorded" = 1 ] && [ "$rc2" = 0 ] &&
    [ "$pending" = 0 ] && [ $rc = 0 ] && grep -qx "kill: removed" "$tmp/stdout" &&
    [ ! -e "$FAKE_LAUNCHD/jobs/local.vmc.kill" ] &&
    [ ! -e "$ld/local.vmc.kill.plist" ]; then
	ok "killed while bootstrapping: recorded, put right, removed later"
else
	bad "killed during bootstrap" "rc $rc1 $rc2 $rc, recorded $recorded, pending $pending"
fi

# 19. A label handed from one VM to another: hob gives local.vmc.shared
# to hoa and takes another.  hob's job is booted out before hoa's is
# loaded, and the plist under the label is hoa's, not removed as hob's.
printf '[vm]\nmemory = 1G\nimage = /hoa.qcow2\nformat = qcow2\n' > "$tmp/p/hoa.ini"
printf '[vm]\nmemory = 1G\nimage = /hob.qcow2\nformat = qcow2\n\n[service]\nlabel = local.vmc.shared\n' \
    > "$tmp/p/hob.ini"
build
vmc install -R "$root" "$tmp/out"
printf '[vm]\nmemory = 1G\nimage = /hoa.qcow2\nformat = qcow2\n\n[service]\nlabel = local.vmc.shared\n' \
    > "$tmp/p/hoa.ini"
printf '[vm]\nmemory = 1G\nimage = /hob.qcow2\nformat = qcow2\n\n[service]\nlabel = local.vmc.hob2\n' \
    > "$tmp/p/hob.ini"
build
vmc install -R "$root" "$tmp/out"
rc1=$rc
vmc install -R "$root" "$tmp/out"
if [ "$rc1" = 0 ] && [ $rc = 0 ] &&
    grep -q "hoa.sh" "$ld/local.vmc.shared.plist" &&
    grep -q "hob.sh" "$ld/local.vmc.hob2.plist" &&
    [ ! -e "$ld/local.vmc.hoa.plist" ] &&
    [ -e "$FAKE_LAUNCHD/jobs/local.vmc.shared" ] &&
    [ -e "$FAKE_LAUNCHD/jobs/local.vmc.hob2" ] &&
    [ ! -e "$FAKE_LAUNCHD/jobs/local.vmc.hoa" ] &&
    ! grep -qv ": unchanged$" "$tmp/stdout"; then
	ok "a label handed over: the old holder out first, each plist its own"
else
	bad "label hand-over" "rc $rc1 $rc"
fi
rm "$tmp/p/hoa.ini" "$tmp/p/hob.ini"
build
vmc install -R "$root" "$tmp/out"

# An installed script edited by hand is put back, and that is said.
echo '# by hand' >> "$rd/web.sh"
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && cmp -s "$tmp/out/web.sh" "$rd/web.sh" &&
    grep -q "web.sh: note: edited since vmc installed it for VM web: put back" "$tmp/err"
then
	ok "a script edited by hand: put back, said"
else
	bad "edited by hand" "rc $rc"
fi

# 20. A label changed in case only, on a file system that ignores case
# (the Mac's APFS), where the old plist's name finds the new one: a
# hard link of the old plist under the new name stands for that here.
printf '[vm]\nmemory = 1G\nimage = /case.qcow2\nformat = qcow2\n\n[service]\nlabel = local.vmc.case\n' \
    > "$tmp/p/case.ini"
build
vmc install -R "$root" "$tmp/out"
sed 's/^label = .*/label = local.vmc.Case/' "$tmp/p/case.ini" > "$tmp/x" &&
    mv "$tmp/x" "$tmp/p/case.ini"
build
ln "$ld/local.vmc.case.plist" "$ld/local.vmc.Case.plist"
vmc install -R "$root" "$tmp/out"
if [ $rc = 0 ] && grep -qx "case: changed" "$tmp/stdout" &&
    grep -q "<string>local.vmc.Case</string>" "$ld/local.vmc.Case.plist" &&
    [ ! -e "$ld/local.vmc.case.plist" ] &&
    [ -e "$FAKE_LAUNCHD/jobs/local.vmc.Case" ] &&
    [ ! -e "$FAKE_LAUNCHD/jobs/local.vmc.case" ]; then
	ok "a label changed in case only: the plist found as the old one's"
else
	bad "label case" "rc $rc"
fi
rm "$tmp/p/case.ini"
build
vmc install -R "$root" "$tmp/out"

# 21. Durable: each rename and removal is flushed (syncfs, as path.c
# does on Linux) before the manifest that records it is renamed into
# place, and the manifest itself before install exits.
if command -v strace > /dev/null; then
	set_mem web 5G
	build
	# LeakSanitizer cannot run under ptrace (tests/sanitize.sh).
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
	    strace -f -qq -e trace=rename,renameat,renameat2,unlink,unlinkat,syncfs \
	    -o "$tmp/trace" "$VMC" install -R "$root" "$tmp/out" \
	    > "$tmp/stdout" 2> "$tmp/err"
	rc=$?
	why=$(awk '
	/syncfs\(/ { dirty = 0; next }
	/rename/ && /manifest"/ && !/vmc-tmp-manifest", [^)]*vmc-tmp/ {
		if (dirty) { print "manifest renamed before a flush"; exit }
		dirty = 1; next
	}
	/rename|unlink/ && !/ = -1 / { dirty = 1 }
	END { if (dirty) print "exits before a flush" }' "$tmp/trace")
	if [ $rc = 0 ] && grep -q "^web: " "$tmp/stdout" && [ -z "$why" ] &&
	    grep -q 'syncfs(' "$tmp/trace"; then
		ok "install flushes its changes before the manifest, and that"
	else
		bad "durable install" "rc $rc: $why"
	fi
else
	skip "durable install" "no strace (tests/deps.sh)"
fi

# 22. A build of other profiles (one profile built alone into its own
# directory) would remove the others: refused, nothing changed, unless
# -x.
mkdir -p "$tmp/root3" "$tmp/alone"
cp "$tmp/p/web.ini" "$tmp/alone/"
"$VMC" build -H "$top/profiles/intel/mac.host" -p "$rundir" -o "$tmp/out-alone" \
    "$tmp/alone" 2> /dev/null
vmc install -R "$tmp/root3" "$tmp/out"
rc1=$rc
vmc install -R "$tmp/root3" "$tmp/out-alone"
rc2=$rc
n=$(grep -c "error: refused: built from other profiles than the VMs installed, it would remove VM" "$tmp/err")
[ -z "$(changed)" ] || rc2="$rc2 (changed)"
vmc install -x -R "$tmp/root3" "$tmp/out-alone"
if [ "$rc1" = 0 ] && [ "$rc2" = 1 ] && [ "$n" -ge 5 ] && [ $rc = 0 ] &&
    grep -qx "ubuntu: removed" "$tmp/stdout" && grep -q "^web: " "$tmp/stdout"
then
	ok "a build of other profiles: its removals refused, unless -x"
else
	bad "other profiles" "rc $rc1 $rc2 $rc, $n refused"
fi

# 23. Usage, and root.
"$VMC" install > /dev/null 2>&1
rc1=$?
"$VMC" install -q "$tmp/out" > /dev/null 2>&1
rc2=$?
"$VMC" install -R "$tmp/nosuch" "$tmp/out" > /dev/null 2>&1
rc3=$?
if [ $rc1 = 2 ] && [ $rc2 = 2 ] && [ $rc3 = 1 ]; then
	ok "usage errors exit 2; a missing -R root exits 1"
else
	bad usage "$rc1 $rc2 $rc3"
fi
if command -v setpriv > /dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$VMC" install "$tmp/out" > /dev/null 2> "$tmp/err"
	rc=$?
	if [ $rc = 1 ] && grep -q 'run it as root (sudo vmc install)' "$tmp/err"
	then
		ok "install without -R, not as root: refused, saying so"
	else
		bad "not root" "rc $rc"
	fi
fi

finish
