#!/bin/sh
# End-to-end tests: scripts written by `vmc build` boot a real guest on this
# machine's QEMU (TCG), and `vmc show` of every example in profiles/ is
# accepted by it.  Run from the repository root:
#
#	sh tests/e2e/run.sh		(VMC=path/to/vmc, default compiler/vmc)
#
# The guest (Debian's kernel, a busybox initramfs: guest.sh, guest/) is
# cached in ${XDG_CACHE_HOME:-$HOME/.cache}/vmc-e2e.  Everything else lives
# in a temporary directory, and every process started is stopped by PID.
#
# A check that stands on a fact about QEMU or launchd states it and names a
# public source: QEMU's manual qemu(1) or its source, launchd.plist(5).
# Needs: qemu-system-x86, qemu-utils, busybox-static, python3, iproute2
# (tests/e2e/deps.sh installs them).  Only loopback addresses are used.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
cd "$top" || exit 1
QEMU=/usr/bin/qemu-system-x86_64
BOOT_TIMEOUT=90		# seconds for a guest to print VMC-READY
helper="python3 $here/helper.py"

pids=
tmp=

# A missing tool or a broken setup is a failure, never a skip.
bail()
{
	bad "$*"
	echo "e2e: cannot go on: $*" >&2
	exit 1
}

children()
{
	ps -e -o pid= -o ppid= 2>/dev/null | awk -v p="$1" '$2 == p {print $1}'
}

alive()
{
	kill -0 "$1" 2>/dev/null
}

# Stop one process we started, and whatever it started, by PID: TERM,
# then KILL after 5 seconds.
stop()
{
	for _c in $(children "$1"); do
		stop "$_c"
	done
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null
	_i=0
	while alive "$1" && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	alive "$1" && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

cleanup()
{
	_rc=$?
	trap - EXIT INT TERM HUP
	[ $_rc -ne 0 ] && [ "$fail" -eq 0 ] && bad "run.sh ended early (status $_rc)"
	for _p in $pids; do
		stop "$_p"
	done
	if [ "$fail" -gt 0 ] && [ -n "$tmp" ]; then
		for _f in "$tmp"/*.console "$tmp/http.log"; do
			[ -f "$_f" ] || continue
			echo "# ${_f##*/}:"
			sed 's/^/  | /' "$_f"
		done
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
	summary && [ $_rc -eq 0 ] || exit 1
	exit 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# started PID: remember a background process for cleanup.
started()
{
	pids="$pids $1"
}

# adopt PID: remember its descendants too, which outlive it if it dies first.
adopt()
{
	for _c in $(children "$1"); do
		started "$_c"
		adopt "$_c"
	done
}

# ---------------------------------------------------------------------------
echo "# e2e: preconditions"

for t in python3:python3 ss:iproute2 qemu-img:qemu-utils ps:procps \
    sha256sum:coreutils; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
	    bail "${t%%:*} not found: install ${t#*:} (tests/e2e/deps.sh)"
done
[ -x "$QEMU" ] || bail "$QEMU not found: install qemu-system-x86"
[ -x "$VMC" ] || bail "vmc not found at $VMC (run make, or set VMC)"
ok "tools present: $QEMU, qemu-img, python3, ss, $VMC"

guest=$(sh "$here/guest.sh") || bail "cannot build the guest (see above)"
KERNEL=$guest/vmlinuz
INITRD=$guest/initrd.gz
ok "guest kernel and initramfs in $guest"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-e2e.XXXXXX") || bail "mktemp -d"

# ---------------------------------------------------------------------------
echo "# e2e: seed server and profiles"

mkdir -p "$tmp/seed/alpha" "$tmp/seed/beta" "$tmp/fleet" "$tmp/out"
for n in alpha beta; do
	printf 'instance-id: iid-%s\nlocal-hostname: %s\n' "$n" "$n" \
	    >"$tmp/seed/$n/meta-data"
	printf '#cloud-config\n' >"$tmp/seed/$n/user-data"
done
# Port 0: the server picks a free port and prints it.
python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/seed" 0 \
    >"$tmp/http.log" 2>&1 </dev/null &
started $!
http_pid=$!
i=0
hport=
while [ -z "$hport" ] && [ $i -lt 100 ]; do
	hport=$(sed -n 's/^Serving HTTP on 127\.0\.0\.1 port \([0-9]*\) .*/\1/p' \
	    "$tmp/http.log")
	alive "$http_pid" || break
	[ -n "$hport" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$hport" ] || { cat "$tmp/http.log"; bail "seed server did not start"; }
ok "seed server on 127.0.0.1:$hport (guests reach it as 10.0.2.2)"

ports=$($helper freeports 3) || bail "no free ports"
# shellcheck disable=SC2086 # three numbers
set -- $ports
pa=$1 pb=$2 pc=$3

if ! qemu-img create -q -f qcow2 "$tmp/fleet/alpha.qcow2" 64M ||
    ! qemu-img create -q -f raw "$tmp/fleet/beta.img" 64M; then
	bail "qemu-img create failed"
fi

# alpha names its QEMU; beta takes it from PATH.  alpha also forwards on an
# explicit loopback address other than the default 127.0.0.1.  Neither says
# format: vmc detects it (qcow2 for alpha, raw for beta).
cat >"$tmp/fleet/alpha.ini" <<EOF
; e2e profile: boots under TCG, as KVM inside a VM may start and then fail
[vm]
arch = x86_64
accel = tcg
cpus = 1
memory = 256M
image = alpha.qcow2
seed = http://10.0.2.2:$hport/\${name}/
qemu = $QEMU

[network]
mode = user
forward = $pa:80
forward = 127.0.0.2:$pc:80/tcp
EOF
cat >"$tmp/fleet/beta.ini" <<EOF
[vm]
arch = x86_64
accel = tcg
memory = 256M
image = beta.img
seed = http://10.0.2.2:$hport/\${name}/

[network]
mode = user
forward = $pb:80
EOF
echo "  profiles: alpha (qcow2, forward $pa:80, 127.0.0.2:$pc:80/tcp)," \
    "beta (raw, forward $pb:80), seed port $hport"

# ---------------------------------------------------------------------------
echo "# e2e: vmc build (live host, no -H)"

"$VMC" build -o "$tmp/out" "$tmp/fleet" >"$tmp/build.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	cat "$tmp/build.log"
	bail "vmc build -o OUT DIR exited $rc"
fi
ok "vmc build -o OUT DIR exited 0"

for n in alpha beta; do
	s=$tmp/out/$n.sh
	[ -f "$s" ] || bail "vmc build wrote no $n.sh: $(ls "$tmp/out")"
	check "$n.sh is mode 0755" \
	    test "$(stat -c %a "$s")" = 755
	if $helper script "$s" >"$tmp/$n.words"; then
		ok "$n.sh is #!/bin/sh with one command: exec QEMU ... \"\$@\""
	else
		bad "$n.sh is #!/bin/sh with one command: exec QEMU ... \"\$@\""
	fi
	# launchd.plist(5): the program is an absolute path given to execv(3).
	check "$n.sh execs an absolute QEMU path: $(head -n 1 "$tmp/$n.words")" \
	    test "$(head -n 1 "$tmp/$n.words" | cut -c1)" = /
	pl=$tmp/out/local.vmc.$n.plist
	if $helper plistargs "$pl" >"$tmp/$n.plistargs"; then
		ok "local.vmc.$n.plist is a valid plist with ProgramArguments"
	else
		bad "local.vmc.$n.plist is a valid plist with ProgramArguments"
	fi
	# RUNDIR defaults to the absolute OUTDIR.
	check "$n: plist ProgramArguments = [$tmp/out/$n.sh]" \
	    test "$(cat "$tmp/$n.plistargs")" = "$tmp/out/$n.sh"
	# vmc show prints the same command; only the QMP socket's directory
	# may differ (show has no -o/-p).
	"$VMC" show "$tmp/fleet/$n.ini" >"$tmp/$n.show" 2>"$tmp/$n.show.err"
	rc=$?
	check "vmc show $n.ini exited 0 (got $rc)" test $rc -eq 0
	$helper words <"$tmp/$n.show" | sed 's|^unix:.*/\([^/]*\.qmp,\)|unix:\1|' \
	    >"$tmp/$n.showwords"
	sed 's|^unix:.*/\([^/]*\.qmp,\)|unix:\1|' "$tmp/$n.words" \
	    >"$tmp/$n.wordsq"
	check "vmc show $n.ini = the words $n.sh execs (QMP directory aside)" \
	    cmp -s "$tmp/$n.showwords" "$tmp/$n.wordsq"
	cmp -s "$tmp/$n.showwords" "$tmp/$n.wordsq" ||
	    diff "$tmp/$n.wordsq" "$tmp/$n.showwords" | sed 's/^/  /'
done
check "alpha.sh execs the profile's qemu = $QEMU" \
    test "$(head -n 1 "$tmp/alpha.words")" = "$QEMU"
q=$(command -v qemu-system-x86_64)
check "beta.sh (no qemu key) execs qemu-system-x86_64 from PATH: $q" \
    test "$(head -n 1 "$tmp/beta.words")" = "$q"

# Always give format=: QEMU warns that "automatically detecting the format
# is dangerous for raw images" (block.c) and restricts writes to block 0.
check "alpha.sh: -drive file=$tmp/fleet/alpha.qcow2,format=qcow2 (detected)" \
    grep -qxF "file=$tmp/fleet/alpha.qcow2,format=qcow2,if=virtio" \
    "$tmp/alpha.words"
check "beta.sh: -drive file=$tmp/fleet/beta.img,format=raw (detected)" \
    grep -qxF "file=$tmp/fleet/beta.img,format=raw,if=virtio" \
    "$tmp/beta.words"

mac_of()
{
	sed -n 's/.*[,-]mac=\([0-9a-fA-F:]\{17\}\).*/\1/p' "$1" | head -n 1 |
	    tr 'A-F' 'a-f'
}
mac_alpha=$(mac_of "$tmp/out/alpha.sh")
mac_beta=$(mac_of "$tmp/out/beta.sh")
check "alpha.sh sets a MAC ($mac_alpha)" test -n "$mac_alpha"
check "beta.sh sets a MAC ($mac_beta)" test -n "$mac_beta"
check "alpha and beta get different MACs" test "$mac_alpha" != "$mac_beta"
# In the first octet, bit 0 clear is unicast and bit 1 set is locally
# administered (IEEE 802): 0x52 is both, like the digits 2, 6, a and e.
for m in "$mac_alpha" "$mac_beta"; do
	case $m in
	[0-9a-f][26ae]:*) ok "MAC $m is locally administered unicast" ;;
	*) bad "MAC $m is locally administered unicast" ;;
	esac
done

# ---------------------------------------------------------------------------
echo "# e2e: boot alpha and beta at the same time"

# Standard input /dev/null, as under launchd.
# panic=-1 with -no-reboot: a failing guest ends QEMU at once.
APPEND='console=ttyS0 panic=-1 quiet'
for n in alpha beta; do
	"$tmp/out/$n.sh" -kernel "$KERNEL" -initrd "$INITRD" \
	    -append "$APPEND" -no-reboot \
	    </dev/null >"$tmp/$n.console" 2>&1 &
	started $!
	eval "pid_$n=\$!"
done

# exe_of PID: the program the process runs, once the script has exec'd.
exe_of()
{
	readlink "/proc/$1/exe" 2>/dev/null
}

for n in alpha beta; do
	eval "p=\$pid_$n"
	i=0
	while [ $i -lt 30 ]; do
		case $(exe_of "$p") in *qemu-system-x86_64*) break ;; esac
		alive "$p" || break
		sleep 0.1
		i=$((i + 1))
	done
	adopt "$p"
	# launchd.plist(5), EXPECTATIONS: a job must not fork and let its
	# parent exit; the script execs QEMU.
	check "$n.sh's PID $p is QEMU itself (exec): $(exe_of "$p")" \
	    test "$(exe_of "$p")" = "$(readlink -f "$QEMU")"
	check "$n: /proc/$p/comm is qemu-system-x86" \
	    test "$(cat "/proc/$p/comm" 2>/dev/null)" = qemu-system-x86
	check "$n: QEMU has no child processes" \
	    test -z "$(children "$p")"
done

# The running argv is what the script execs plus the extra arguments.
for n in alpha beta; do
	eval "p=\$pid_$n"
	tr '\0' '\n' <"/proc/$p/cmdline" >"$tmp/$n.cmdline" 2>/dev/null
	{ cat "$tmp/$n.words"
	  printf '%s\n' -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
	    -no-reboot; } >"$tmp/$n.want"
	check "$n: running QEMU's argv = the script's words + \"\$@\"" \
	    cmp -s "$tmp/$n.cmdline" "$tmp/$n.want"
	cmp -s "$tmp/$n.cmdline" "$tmp/$n.want" ||
	    diff "$tmp/$n.want" "$tmp/$n.cmdline" | sed 's/^/  /'
done

# The -qmp socket the script names answers as this VM.
for n in alpha beta; do
	eval "p=\$pid_$n"
	q=$(sed -n 's/^unix:\(.*\.qmp\),server=on.*/\1/p' "$tmp/$n.words")
	r=$($helper qmpname "$q" "$p" 2>&1)
	check "$n: QMP socket ${q:-(none)} answers query-name: $r" \
	    test "$r" = "$n"
done

wait_ready()
{
	_i=0
	while [ $_i -lt $((BOOT_TIMEOUT * 10)) ]; do
		grep -q -e '^VMC-READY' -e '^VMC-ERROR' "$1" && return 0
		alive "$2" || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

t0=$(date +%s)
for n in alpha beta; do
	eval "p=\$pid_$n"
	wait_ready "$tmp/$n.console" "$p"
	if grep -q '^VMC-READY' "$tmp/$n.console"; then
		ok "$n booted to VMC-READY ($(($(date +%s) - t0)) s)"
	else
		bad "$n booted to VMC-READY"
	fi
done
tr -d '\r' <"$tmp/alpha.console" >"$tmp/alpha.con"
tr -d '\r' <"$tmp/beta.console" >"$tmp/beta.con"

# console_has FILE LINE: the guest printed exactly LINE.
console_has()
{
	grep -qxF -e "$2" "$1"
}

# ---------------------------------------------------------------------------
echo "# e2e: 1. seed URL through SMBIOS, meta-data from the host"

for n in alpha beta; do
	want="ds=nocloud;s=http://10.0.2.2:$hport/$n/"
	# The guest reads -smbios type=1,serial= in
	# /sys/class/dmi/id/product_serial, byte for byte.
	check "$n: guest read serial '$want'" \
	    console_has "$tmp/$n.con" "VMC-SERIAL=$want"
	check "$n: guest got HTTP 200 for ${want#*;s=}meta-data" \
	    console_has "$tmp/$n.con" "VMC-META-STATUS=HTTP/1.0 200 OK"
	sed -n 's/^VMC-META=//p' "$tmp/$n.con" >"$tmp/$n.meta"
	check "$n: guest printed the meta-data served for it" \
	    cmp -s "$tmp/$n.meta" "$tmp/seed/$n/meta-data"
	check "$n: seed server logged GET /$n/meta-data 200" \
	    grep -q "\"GET /$n/meta-data HTTP/1.0\" 200" "$tmp/http.log"
done

# ---------------------------------------------------------------------------
echo "# e2e: 2. forwards reach the guest, bound as the profile says"

# listeners PORT: the local addresses listening on TCP PORT, with owner.
listeners()
{
	ss -ltnpH "sport = :$1" 2>/dev/null |
	    awk '{ a = $4; sub(/:[0-9]+$/, "", a); print a, $6 }'
}

# forward_ok NAME ADDR PORT: exactly one listener, on ADDR, owned by
# NAME's QEMU, and HTTP to it returns NAME's page.
forward_ok()
{
	_p='' _mac=''
	eval "_p=\$pid_$1 _mac=\$mac_$1"
	_l=$(listeners "$3")
	check "$1: port $3 listens on $2 only (ss: $(echo "$_l" | tr "\n" " "))" \
	    test "$(echo "$_l" | awk '{print $1}')" = "$2"
	check "$1: listener on $2:$3 belongs to QEMU pid $_p" \
	    test -n "$(echo "$_l" | grep "pid=$_p,")"
	_body=$($helper get "http://$2:$3/" 2>&1)
	check "$1: http://$2:$3/ returns $1's page ($_body)" \
	    test "$_body" = "vmc-e2e guest name=$1 mac=$_mac"
}
# qemu(1), -netdev user,hostfwd=: QEMU listens from its start, before the
# guest boots, on the address given; ss shows the bound address.
forward_ok alpha 127.0.0.1 "$pa"
forward_ok alpha 127.0.0.2 "$pc"
forward_ok beta 127.0.0.1 "$pb"

# ---------------------------------------------------------------------------
echo "# e2e: 3. MACs"

for n in alpha beta; do
	eval "m=\$mac_$n"
	check "$n: guest MAC equals vmc's $m" \
	    console_has "$tmp/$n.con" "VMC-MAC=$m"
done

# ---------------------------------------------------------------------------
echo "# e2e: 4. SIGTERM to the script's PID ends QEMU"

# SIGTERM makes QEMU stop the guest at once and exit 0 (QEMU's
# system/runstate.c, qemu_system_killed).
for n in alpha beta; do
	eval "p=\$pid_$n"
	if ! alive "$p"; then
		bad "$n: QEMU still running before SIGTERM"
		continue
	fi
	kill -TERM "$p"
	i=0
	while alive "$p" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$p"; then
		bad "$n: QEMU (pid $p) exited within 5 s of SIGTERM"
		continue
	fi
	wait "$p"
	rc=$?
	ok "$n: QEMU (pid $p) exited within 5 s of SIGTERM"
	check "$n: exit status 0 after SIGTERM (got $rc)" test $rc -eq 0
	# shellcheck disable=SC2009 # fixed strings, not patterns
	left=$(ps -e -o pid= -o args= | grep -F "$tmp/" | grep -F "guest=$n" |
	    grep -v grep)
	check "$n: no process left behind" test -z "$left"
done

# ---------------------------------------------------------------------------
echo "# e2e: 5. vmc show of the examples in profiles/ on this QEMU"

# The examples are written for an Intel Mac described by profiles/mac.host.
# Each shown line is checked, then run here with -S (paused) after helper.py
# replaced only what belongs to the Mac (noted in the output).  QEMU greeting
# on QMP means every option was accepted and the machine was built.
machost=profiles/mac.host
[ -f "$machost" ] || bail "$machost not found"
set -- profiles/*.ini
[ -f "$1" ] || bail "no profiles/*.ini examples"
for f in "$@"; do
	n=$(basename "$f" .ini)
	d=$tmp/ex/$n
	mkdir -p "$d"
	"$VMC" show -H "$machost" "$f" >"$d/shown" 2>"$d/show.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/  /' "$d/show.err"
		bad "vmc show -H $machost $f exited 0 (got $rc)"
		continue
	fi
	ok "vmc show -H $machost $f exited 0"
	echo "  $f:"
	if $helper example "$d/shown" "$d" >"$d/args" 2>"$d/notes"; then
		sed 's/^/  /' "$d/notes"
		ok "$n: shown line passes helper.py's static checks"
	else
		sed 's/^/  /' "$d/notes"
		bad "$n: shown line passes helper.py's static checks"
		[ -s "$d/args" ] || continue
	fi
	if ! qemu-img create -q -f qcow2 "$d/scratch.qcow2" 64M ||
	    ! qemu-img create -q -f raw "$d/scratch.raw" 64M; then
		bail "qemu-img create failed"
	fi
	set --
	while IFS= read -r a; do
		set -- "$@" "$a"
	done <"$d/args"
	"$@" -S </dev/null >"$d/qemu.console" 2>&1 &
	started $!
	echo "$n $!" >>"$tmp/ex/running"
done
[ -f "$tmp/ex/running" ] || : >"$tmp/ex/running"
while read -r n p; do
	d=$tmp/ex/$n
	r=$($helper qmpname "$d/qmp.sock" "$p" 2>&1 </dev/null)
	if [ "$r" = "$n" ] && alive "$p"; then
		ok "$n: this QEMU accepts the shown options (up, paused, QMP name $r)"
	else
		bad "$n: this QEMU accepts the shown options ($r)"
		sed 's/^/  | /' "$d/qemu.console"
	fi
	stop "$p"
done <"$tmp/ex/running"
# Examples on one L2 network need MACs of their own: every QEMU process
# gives its NICs the same default MACs from 52:54:00:12:34:56 on (QEMU's
# net/net.c, qemu_macaddr_default_if_unset).
macs=$(cat "$tmp"/ex/*/shown 2>/dev/null | sed -n 's/.*[,-]mac=\([0-9a-fA-F:]\{17\}\).*/\1/p' |
    tr 'A-F' 'a-f')
check "the examples' $(echo "$macs" | wc -l) MACs are all different" \
    test "$(echo "$macs" | sort -u | wc -l)" -eq "$(echo "$macs" | wc -l)"

