#!/bin/sh
# The state never lies: after a clean build on this machine, for each
# change to the world in the table below, vmc build fails exactly when
# vmc check (with the same options) fails, with the same diagnostics;
# and each change in the table is one check rejects.  A build that
# trusted its state without looking again would exit 0 in silence.
#
# The world is a live host (no -H): QEMU, qemu-img and the aarch64
# firmware are stand-ins on a PATH of their own, so that they can be
# removed; the rest is files a profile names, a run directory, a VM
# user and a host interface in a network namespace.
#
#   sh tests/resolve.sh		(as root, after make)
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir resolve
# A user of this run's own, so that runs side by side (make mutate and
# make check) do not delete each other's.
vmuser=vmc-resolve-$$

if [ "$(id -u)" != 0 ]; then
	skip "resolve" "needs root: a VM user, owners and a network namespace"
	finish
fi
if ! command -v qemu-img > /dev/null; then
	skip "resolve" "needs qemu-img to make the disks"
	finish
fi
useradd -M -r -s /usr/sbin/nologin "$vmuser" ||
    { bad "setup" "useradd $vmuser"; finish; }
# shellcheck disable=SC2016 # run on exit
at_exit='userdel "$vmuser" 2> /dev/null'

# world DIR: a fresh world in DIR, clean-built once.
world() {
	w=$1
	mkdir -p "$w/bin" "$w/share/qemu" "$w/p" "$w/disks" "$w/fw" \
	    "$w/logs" "$w/run/arm"
	for p in qemu-system-x86_64 qemu-system-aarch64 qemu-img; do
		printf '#!/bin/sh\nexit 0\n' > "$w/bin/$p"
		chmod 755 "$w/bin/$p"
	done
	truncate -s 64M "$w/share/qemu/edk2-aarch64-code.fd"
	truncate -s 1M "$w/share/qemu/edk2-arm-vars.fd"
	truncate -s 1M "$w/disks/base.raw" "$w/disks/cloud.raw"
	qemu-img create -q -f qcow2 -F raw -b base.raw "$w/disks/web.qcow2"
	printf 'bios' > "$w/fw/bios.bin"
	printf '#cloud-config\n' > "$w/p/ud.yaml"
	printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0c3Q0a2V5Zm9ydGVzdGluZ3ZtY3Jlc29sdmVy t@h\n' \
	    > "$w/p/key.pub"
	chown "$vmuser" "$w/run/arm"
	chmod 700 "$w/run/arm"
	chmod 755 "$w/run"
	cat > "$w/p/web.ini" <<EOF
[vm]
arch = x86_64
accel = tcg
memory = 64M
image = ../disks/web.qcow2
firmware = ../fw/bios.bin

[service]
log = $w/logs/web.log

[network]
mode = user
forward = ${fwdaddr:-127.0.0.1}:2222:22

[cloud-init]
user-data = ud.yaml
ssh-key = key.pub
EOF
	cat > "$w/p/arm.ini" <<EOF
[vm]
arch = aarch64
accel = tcg
memory = 64M
image = ../disks/arm.qcow2
base = ../disks/cloud.raw

[service]
user = $vmuser
EOF
	# Files changed in the second a build starts leave it no state.
	sleep 1.1
	vmc build -o "$w/out" "$w/p" > "$w/first" 2>&1 &&
	    [ -f "$w/out/.vmc-state" ] && vmc build -o "$w/out" "$w/p" \
	    > /dev/null 2>&1 && [ ! -s "$w/first" ]
}

# vmc ARGS: this vmc on the world's PATH, with the world's run directory.
vmc() {
	_cmd=$1
	shift
	if [ "$_cmd" = build ]; then
		$inns env PATH="$w/bin" "$VMC" build -p "$w/run" "$@"
	else
		$inns env PATH="$w/bin" "$VMC" "$_cmd" -p "$w/run" "$@"
	fi
}

# row NAME CHANGE [kept]: CHANGE (shell, with $w the world) after a
# clean build; check must reject it unless "kept" says it is a change
# check takes, and build must agree with check.  Rows run at once, each
# in a world of its own (they mostly wait out a second); their verdicts
# are said in order by said.
nrow=0
row() {
	nrow=$((nrow + 1))
	(verdict "$nrow" "$@" > "$tmp/row.$nrow" 2>&1) &
}

verdict() {
	n=$1 name=$2 change=$3
	w=$tmp/w.$n
	if ! world "$w"; then
		echo "bad|$name: setup|$(cat "$w/first" 2> /dev/null)"
		return
	fi
	sleep 1.1	# the change must fall after the build's second
	eval "$change"
	vmc check "$w/p" > /dev/null 2> "$w/check.err"
	crc=$?
	vmc build -o "$w/out" "$w/p" > /dev/null 2> "$w/build.err"
	brc=$?
	if [ "${4:-}" = kept ]; then
		if [ "$crc" = 0 ] && [ "$brc" = 0 ] &&
		    ! cmp -s "$w/out/arm.sh" "$w/arm.before"; then
			echo "ok|$name: check takes it, and build rewrites the script"
		else
			echo "bad|$name|check $crc, build $brc, script unchanged"
		fi
	elif [ "$crc" = 0 ]; then
		echo "bad|$name: check rejects it|check exit 0"
	elif [ "$brc" != "$crc" ]; then
		echo "bad|$name: build fails as check does|check exit $crc," \
		    "build exit $brc: $(cat "$w/check.err")"
	elif ! cmp -s "$w/check.err" "$w/build.err"; then
		echo "bad|$name: build says what check says|$(diff \
		    "$w/check.err" "$w/build.err")"
	else
		echo "ok|$name: check exit $crc, build the same, same diagnostics"
	fi
}

said() {
	wait
	i=1
	while [ "$i" -le "$nrow" ]; do
		IFS='|' read -r v what why < "$tmp/row.$i"
		if [ "$v" = ok ]; then
			ok "$what"
		else
			bad "$what" "$why"
		fi
		i=$((i + 1))
	done
	nrow=0
	rm -f "$tmp"/row.*
}

inns=
fwdaddr=
row "the backing file removed" 'rm "$w/disks/base.raw"'
row "the log directory removed" 'rm -r "$w/logs"'
row "the run directory made group-writable" 'chmod 775 "$w/run"'
row "the run directory replaced by a file" 'rm -r "$w/run"; : > "$w/run"'
row "the VM's run directory given away" 'chown root "$w/run/arm"'
row "the image replaced by a directory" \
    'rm "$w/disks/web.qcow2"; mkdir "$w/disks/web.qcow2"'
row "the firmware removed" 'rm "$w/fw/bios.bin"'
row "the UEFI variables template replaced by a directory" \
    'rm "$w/share/qemu/edk2-arm-vars.fd"; mkdir "$w/share/qemu/edk2-arm-vars.fd"'
row "qemu-img removed" 'rm "$w/bin/qemu-img"'
row "qemu-img replaced by a directory" \
    'rm "$w/bin/qemu-img"; mkdir "$w/bin/qemu-img"'
row "QEMU removed" 'rm "$w/bin/qemu-system-x86_64"'
row "the key file removed" 'rm "$w/p/key.pub"'
row "the key file replaced by a directory" \
    'rm "$w/p/key.pub"; mkdir "$w/p/key.pub"'
row "the user-data removed" 'rm "$w/p/ud.yaml"'
row "the base replaced by a directory" \
    'rm "$w/disks/cloud.raw"; mkdir "$w/disks/cloud.raw"'
row "the image's directory moved behind a link" \
    'mv "$w/disks" "$w/disks2"; ln -s disks3 "$w/disks"'
row "the base replaced by a qcow2 image" \
    'cp "$w/out/arm.sh" "$w/arm.before"; rm "$w/disks/cloud.raw";
    qemu-img create -q -f qcow2 "$w/disks/cloud.raw" 1M' \
    kept
said
# Alone: the other worlds need the user.
row "the VM user deleted" 'userdel "$vmuser"'
said
if ! id "$vmuser" > /dev/null 2>&1; then
	useradd -M -r -s /usr/sbin/nologin "$vmuser"
fi

# A host interface the profile forwards from goes away: in a network
# namespace of its own, with a dummy interface holding the address.
ns=vmc-resolve-$$
if ip netns add "$ns" 2> /dev/null; then
	at_exit="${at_exit:+$at_exit; }ip netns del $ns 2> /dev/null"
	inns="ip netns exec $ns"
	$inns ip link set lo up
	if $inns ip link add vmcres0 type veth peer name vmcres1 \
	    2> /dev/null && $inns ip addr add 10.9.9.1/24 dev vmcres0 &&
	    $inns ip link set vmcres0 up; then
		fwdaddr=10.9.9.1
		row "a host interface's address removed" \
		    '$inns ip addr del 10.9.9.1/24 dev vmcres0'
		said
	else
		skip "a host interface's address removed" "no veth interface"
	fi
	inns=
	fwdaddr=
else
	skip "a host interface's address removed" "no network namespace"
fi
finish
