# A fleet of three "Macs" for the Ansible role, sourced by
# tests/ansible/run.sh and tests/bench/rollout.sh after tests/lib.sh and
# tempdir: each Mac a network namespace with its own sshd on a veth
# address (root's key, a configuration for the test alone), its files
# under $tmp/h/HOST (vmc, its profiles and build, an install root, the
# VMs' images and run directory) and a launchctl stand-in (tests/launchctl)
# keeping its jobs and its log in $tmp/launchd/HOST.  The controller is
# a namespace too, whose bridge joins the Macs on 10.231.0.0/24: nothing
# of it reaches this machine's own network.  Needs root, iproute2's ip
# netns, sshd and ansible-core.
# shellcheck shell=sh disable=SC2034

hosts="mini1 mini2 mini3"
ctl=vmc-ctl-$$

# fleet_can: 0 when the fleet can be made here, else says why.  The
# namespaces of a run that was killed go first.
fleet_can() {
	for n in $(ip netns list 2> /dev/null | sed -n 's/^\(vmc-[a-z0-9]*-[0-9]*\).*/\1/p'); do
		kill -0 "${n##*-}" 2> /dev/null && continue
		ip netns pids "$n" | xargs -r kill
		ip netns del "$n"
	done
	if [ "$(id -u)" != 0 ]; then
		why="needs root (network namespaces, sshd)"
	elif ! command -v ansible-playbook > /dev/null; then
		why="needs ansible-playbook (Debian's ansible-core)"
	elif [ ! -x /usr/sbin/sshd ]; then
		why="needs sshd (Debian's openssh-server)"
	elif ! ip netns add "$ctl"; then
		why="cannot make a network namespace"
	else
		return 0
	fi
	return 1
}

# ns HOST: the namespace of a Mac.
ns() {
	echo "vmc-$1-$$"
}

fleet_down() {
	for h in $hosts; do
		[ -f "$tmp/sshd/$h.pid" ] && kill "$(cat "$tmp/sshd/$h.pid")" 2> /dev/null
		ip netns del "$(ns "$h")" 2> /dev/null
	done
	ip netns del "$ctl" 2> /dev/null
}

# sshd_up HOST: starts the Mac's sshd and waits until it listens.
sshd_up() {
	ip netns exec "$(ns "$1")" /usr/sbin/sshd -f "$tmp/sshd/$1.conf" \
	    -E "$tmp/sshd/$1.log" || return 1
	i=0
	while ! ip netns exec "$ctl" nc -z -w 1 "$(addr "$1")" 22 \
	    2> /dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# sshd_down HOST: the Mac's sshd and its sessions end, those Ansible
# keeps open included: the Mac is unreachable.
sshd_down() {
	ip netns pids "$(ns "$1")" | xargs -r kill
	rm -f "$tmp/sshd/$1.pid"
}

addr() {
	case $1 in
	mini1) echo 10.231.0.11 ;;
	mini2) echo 10.231.0.12 ;;
	mini3) echo 10.231.0.13 ;;
	esac
}

# fleet_up NVMS: the namespaces, sshds, the Macs' files, and a fleet
# directory with NVMS profiles for each Mac, described as vmc host
# describes it there.
fleet_up() {
	at_exit="${at_exit:+$at_exit; }fleet_down"
	mkdir -p "$tmp/sshd" "$tmp/launchd" "$tmp/fleet" "$tmp/ansible" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/key" || return 1
	cp "$tmp/key.pub" "$tmp/authorized_keys"
	ip -n "$ctl" link set lo up &&
	ip -n "$ctl" link add br0 type bridge &&
	ip -n "$ctl" addr add 10.231.0.1/24 dev br0 &&
	ip -n "$ctl" link set br0 up || return 1
	k=0
	for h in $hosts; do
		k=$((k + 1))
		ip netns add "$(ns "$h")" &&
		ip -n "$(ns "$h")" link set lo up &&
		ip -n "$ctl" link add "v$k" type veth peer name eth0 \
		    netns "$(ns "$h")" &&
		ip -n "$ctl" link set "v$k" master br0 up &&
		ip -n "$(ns "$h")" addr add "$(addr "$h")/24" dev eth0 &&
		ip -n "$(ns "$h")" link set eth0 up || return 1
		ssh-keygen -q -t ed25519 -N '' -f "$tmp/sshd/$h.key" || return 1
		cat > "$tmp/sshd/$h.conf" <<-EOF
		ListenAddress $(addr "$h")
		HostKey $tmp/sshd/$h.key
		PidFile $tmp/sshd/$h.pid
		AuthorizedKeysFile $tmp/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		Subsystem sftp internal-sftp
		EOF
		sshd_up "$h" || return 1
		d=$tmp/h/$h
		mkdir -p "$d/img" "$d/run" "$d/root" "$tmp/launchd/$h" \
		    "$tmp/fleet/$h/profiles"
		printf '#!/bin/sh\nFAKE_LAUNCHD=%s exec %s "$@"\n' \
		    "$tmp/launchd/$h" "$top/tests/launchctl" > "$d/launchctl"
		chmod 755 "$d/launchctl"
		: > "$tmp/launchd/$h/log"
		ip netns exec "$(ns "$h")" "$VMC" host > "$tmp/fleet/$h/host" \
		    2> /dev/null || return 1
		echo "$d/run" > "$tmp/fleet/$h/rundir"
		i=0
		while [ $i -lt "$1" ]; do
			i=$((i + 1))
			profile "$h" "vm$i"
		done
	done
	cat > "$tmp/inventory.ini" <<-EOF
	[macs]
	mini1 ansible_host=$(addr mini1)
	mini2 ansible_host=$(addr mini2)
	mini3 ansible_host=$(addr mini3)

	[macs:vars]
	ansible_user=root
	ansible_ssh_private_key_file=$tmp/key
	ansible_python_interpreter=/usr/bin/python3
	vmc_become=false
	vmc_binary=$VMC
	vmc_path=$tmp/h/{{ inventory_hostname }}/bin/vmc
	vmc_confdir=$tmp/h/{{ inventory_hostname }}/etc
	vmc_outdir=$tmp/h/{{ inventory_hostname }}/out
	vmc_root=$tmp/h/{{ inventory_hostname }}/root
	vmc_launchctl=$tmp/h/{{ inventory_hostname }}/launchctl
	EOF
	# The files' times: a build that reads a file changed in its own
	# second keeps no state.
	sleep 1
}

# profile HOST NAME [LINES]: a VM on the user network, its image there.
profile() {
	: > "$tmp/h/$1/img/$2.raw"
	printf '[vm]\nmemory = 256M\naccel = tcg\nimage = %s\nformat = raw\n%s\n[network]\nmode = user\n' \
	    "$tmp/h/$1/img/$2.raw" "${3:-}" > "$tmp/fleet/$1/profiles/$2.ini"
}

# play [ARGS]: ansible-playbook on the controller with the fleet of
# $tmp/fleet, its output in $tmp/play.out, its status in rc; each Mac's
# launchctl log starts anew.
play() {
	for h in $hosts; do
		: > "$tmp/launchd/$h/log"
	done
	ip netns exec "$ctl" env LC_ALL=C.UTF-8 ANSIBLE_HOST_KEY_CHECKING=False \
	    ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null" \
	    ANSIBLE_SSH_CONTROL_PATH_DIR="$tmp/ansible/cp" \
	    ANSIBLE_LOCAL_TEMP="$tmp/ansible/local" ANSIBLE_NOCOLOR=1 \
	    ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_FORCE_COLOR=0 \
	    ANSIBLE_PIPELINING=True \
	    ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
	    ansible-playbook -i "$tmp/inventory.ini" "$top/ansible/site.yml" \
	    -e "vmc_fleetdir=$tmp/fleet" -e "vmc_controller=$VMC" "$@" \
	    > "$tmp/play.out" 2>&1 < /dev/null
	rc=$?
	# What a failed check shows.
	{ echo "... ansible-playbook $*: exit $rc"; grep -E 'fatal|FAILED|ERROR|error:|WARNING|changed=' "$tmp/play.out" | tail -n 20; } > "$tmp/play.tail"
}

# changed N1 N2 N3: the play succeeded, and the recap's changed count of
# each Mac is as given, none failed.
changed() {
	[ "$rc" = 0 ] &&
	    [ "$(recap mini1 changed) $(recap mini2 changed) $(recap mini3 changed)" = "$*" ] &&
	    [ "$(recap mini1 failed)$(recap mini2 failed)$(recap mini3 failed)" = 000 ]
}

# recap HOST FIELD: that count of the play's recap, as ok, changed,
# unreachable or failed.
recap() {
	sed -n "s/^$1 *: .*[^a-z]$2=\([0-9]*\).*/\1/p" "$tmp/play.out"
}

# calls HOST: what launchctl was asked on the Mac that can change it:
# anything but list and print.
calls() {
	grep -v -e '^list$' -e '^print ' "$tmp/launchd/$1/log"
}
