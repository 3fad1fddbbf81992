#!/bin/sh
# End-to-end tests: scripts written by `vmc build` boot a real guest on this
# machine's QEMU (TCG), and `vmc show` of every example in profiles/ is
# accepted by it.  Run from the repository root:
#
#	sh tests/e2e/run.sh		(VMC=path/to/vmc, default compiler/vmc)
#
# The guests (Debian's kernel with a busybox initramfs: guest.sh, guest/;
# a Debian 12 system with systemd: debian.sh) are cached in
# ${XDG_CACHE_HOME:-$HOME/.cache}/vmc-e2e.  Everything else lives in a
# temporary directory, and every process started is stopped by PID.
# Scripts run under setsid, as launchd runs a job: in a process group of
# their own.
#
# A check that stands on a fact about QEMU or launchd states it and names a
# public source: QEMU's manual qemu(1) or its source, launchd.plist(5).
# Needs: qemu-system-x86, qemu-system-arm, qemu-efi-aarch64, qemu-utils,
# busybox-static, python3, iproute2, netcat-openbsd, mmdebstrap, e2fsprogs
# (tests/e2e/deps.sh installs them).  Only loopback addresses are used.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$top/tests/lib.sh"
cd "$top" || exit 1
QEMU=/usr/bin/qemu-system-x86_64
BOOT_TIMEOUT=90		# seconds for a guest to print VMC-READY
DEBIAN_TIMEOUT=400	# seconds for the Debian guest to reach its login prompt
STOP_TIMEOUT=3		# stop-timeout of the busybox guests, which ignore
			# the power button
DEBIAN_STOP=60		# stop-timeout of the Debian guest
SLACK=8			# seconds past stop-timeout for QMP quit (measured:
			# about 2), kept below ExitTimeOut's 30
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
    sha256sum:coreutils setsid:util-linux; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
	    bail "${t%%:*} not found: install ${t#*:} (tests/e2e/deps.sh)"
done
[ -x "$QEMU" ] || bail "$QEMU not found: install qemu-system-x86"
[ -x "$VMC" ] || bail "vmc not found at $VMC (run make, or set VMC)"
# The scripts speak QMP with /usr/bin/nc -U, as on macOS.
if ! /usr/bin/nc -h 2>&1 | grep -q -- '-U'; then
	bail "/usr/bin/nc with -U not found: install netcat-openbsd"
fi
ok "tools present: $QEMU, qemu-img, python3, ss, nc -U, $VMC"

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

[service]
stop-timeout = $STOP_TIMEOUT
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

[service]
stop-timeout = $STOP_TIMEOUT
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
		ok "$n.sh is #!/bin/sh starting QEMU ... \"\$@\" & once, no exec"
	else
		bad "$n.sh is #!/bin/sh starting QEMU ... \"\$@\" & once, no exec"
	fi
	# launchd.plist(5): the program is an absolute path given to execv(3).
	check "$n.sh runs an absolute QEMU path: $(head -n 1 "$tmp/$n.words")" \
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
	# vmc show -p with the build's run directory prints the same command.
	"$VMC" show -p "$tmp/out" "$tmp/fleet/$n.ini" >"$tmp/$n.show" \
	    2>"$tmp/$n.show.err"
	rc=$?
	check "vmc show $n.ini exited 0 (got $rc)" test $rc -eq 0
	# Its first line is the command line; the job's settings follow.
	head -n 1 "$tmp/$n.show" | $helper words >"$tmp/$n.showwords"
	check "vmc show -p $n.ini = the words $n.sh execs" \
	    cmp -s "$tmp/$n.showwords" "$tmp/$n.words"
	cmp -s "$tmp/$n.showwords" "$tmp/$n.words" ||
	    diff "$tmp/$n.words" "$tmp/$n.showwords" | sed 's/^/  /'
done
check "alpha.sh runs the profile's qemu = $QEMU" \
    test "$(head -n 1 "$tmp/alpha.words")" = "$QEMU"
q=$(command -v qemu-system-x86_64)
check "beta.sh (no qemu key) runs qemu-system-x86_64 from PATH: $q" \
    test "$(head -n 1 "$tmp/beta.words")" = "$q"

# Always give format=: QEMU warns that "automatically detecting the format
# is dangerous for raw images" (block.c) and restricts writes to block 0.
# A qcow2 image gives back what the guest frees (vmc(5), discard).
check "alpha.sh: -drive file=$tmp/fleet/alpha.qcow2,format=qcow2 (detected)" \
    grep -qxF "file=$tmp/fleet/alpha.qcow2,format=qcow2,discard=unmap,detect-zeroes=unmap,if=virtio" \
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
	setsid "$tmp/out/$n.sh" -kernel "$KERNEL" -initrd "$INITRD" \
	    -append "$APPEND" -no-reboot \
	    </dev/null >"$tmp/$n.console" 2>&1 &
	started $!
	eval "job_$n=\$!"
done

# exe_of PID: the program the process runs.
exe_of()
{
	readlink "/proc/$1/exe" 2>/dev/null
}

# qemu_of PID: the QEMU a script started, once it runs.
qemu_of()
{
	_i=0
	while [ $_i -lt 50 ]; do
		for _c in $(children "$1"); do
			case $(exe_of "$_c") in
			*qemu-system-x86_64*) echo "$_c"; return 0 ;;
			esac
		done
		alive "$1" || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

pgid_of()
{
	ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '
}

for n in alpha beta; do
	eval "j=\$job_$n"
	p=$(qemu_of "$j")
	adopt "$j"
	eval "pid_$n=\$p"
	# The script stays, to stop QEMU gracefully (vmc(1)); launchd kills
	# the job's process group when the script dies, so QEMU must be in it.
	check "$n.sh (PID $j) runs QEMU as its child: PID ${p:-none}" \
	    test -n "$p"
	check "$n: QEMU is in the job's process group $j (no set -m)" \
	    test "$(pgid_of "$p")" = "$j"
	check "$n: /proc/$p/comm is qemu-system-x86" \
	    test "$(cat "/proc/$p/comm" 2>/dev/null)" = qemu-system-x86
	check "$n: QEMU has no child processes" \
	    test -z "$(children "$p")"
	check "$n: the script has no child but QEMU while it runs" \
	    test "$(children "$j")" = "$p"
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
echo "# e2e: 4. SIGTERM to the job: a guest that ignores the power button"

# The busybox guest has nothing that acts on the ACPI power button: QMP
# system_powerdown only injects the button press (QEMU's qapi/machine.json),
# so the script waits stop-timeout seconds, then QMP quit ends QEMU, well
# before launchd's SIGKILL at ExitTimeOut.
now()
{
	date +%s.%N
}

# gone_by PID: QEMU has exited (a zombie not yet reaped counts).
gone_by()
{
	! alive "$1" || ps -o stat= -p "$1" 2>/dev/null | grep -q Z
}

# stop_job NAME JOB QEMU SECONDS: SIGTERM to the job's script only, as
# launchd sends it; sets rc (the job's status), took (seconds from the
# signal to QEMU's exit) and left (processes left in the job's group).
stop_job()
{
	_t0=$(now)
	kill -TERM "$2"
	_i=0
	while ! gone_by "$3" && [ $_i -lt $(($4 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	took=$(echo "$(now) $_t0" | awk '{ printf "%.1f", $1 - $2 }')
	_i=0
	while ! gone_by "$2" && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	wait "$2"
	rc=$?
	left=$(ps -e -o pgid= -o pid= -o args= | awk -v g="$2" '$1 == g')
	echo "  $1: SIGTERM to QEMU exit: $took s (job status $rc)"
}

for n in alpha beta; do
	eval "j=\$job_$n p=\$pid_$n"
	if ! alive "$p"; then
		bad "$n: QEMU still running before SIGTERM"
		continue
	fi
	et=$($helper plistkey "$tmp/out/local.vmc.$n.plist" ExitTimeOut)
	stop_job "$n" "$j" "$p" $((STOP_TIMEOUT + SLACK + 5))
	check "$n: QEMU exited within stop-timeout $STOP_TIMEOUT + $SLACK s: $took s" \
	    awk -v t="$took" -v m=$((STOP_TIMEOUT + SLACK)) 'BEGIN { exit !(t <= m) }'
	check "$n: stop-timeout + $SLACK s is below the plist's ExitTimeOut $et" \
	    test $((STOP_TIMEOUT + SLACK)) -lt "${et:-0}"
	check "$n: job exit status 0 after QMP quit (got $rc)" test $rc -eq 0
	check "$n: nothing left in the job's process group" test -z "$left"
	tr -d '\r' <"$tmp/$n.console" >"$tmp/$n.con"
	check "$n: the guest did not power off (it ignores the button)" \
	    test -z "$(grep -F 'reboot: Power down' "$tmp/$n.con")"
done

# ---------------------------------------------------------------------------
echo "# e2e: 5. vmc show of the examples in profiles/ on this QEMU"

# The examples are written for the Macs described by profiles/*/mac.host.
# Each shown line is checked, then run here with -S (paused) by the QEMU of
# its architecture after helper.py replaced only what belongs to the Mac
# (noted in the output).  QEMU greeting on QMP means every option was
# accepted and the machine was built.
set -- profiles/*/*.ini
[ -f "$1" ] || bail "no profiles/*/*.ini examples"
for f in "$@"; do
	machost=${f%/*}/mac.host
	[ -f "$machost" ] || bail "$machost not found"
	m=${f%/*}
	m=${m##*/}
	n=$m-$(basename "$f" .ini)
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
	head -n 1 "$d/shown" >"$d/line"
	if $helper example "$d/line" "$d" >"$d/args" 2>"$d/notes"; then
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
	[ -x "$1" ] || bail "$1 not found: install its QEMU (tests/e2e/deps.sh)"
	# One at a time: each paused QEMU holds the example's memory.
	"$@" -S </dev/null >"$d/qemu.console" 2>&1 &
	p=$!
	started $p
	r=$($helper qmpname "$d/qmp.sock" "$p" 2>&1 </dev/null)
	if [ "$(basename "$f" .ini)" = "$r" ] && alive "$p"; then
		ok "$n: $1 accepts the shown options (up, paused, QMP name $r)"
	else
		bad "$n: $1 accepts the shown options ($r)"
		sed 's/^/  | /' "$d/qemu.console"
	fi
	stop "$p"
done
# Examples on one L2 network need MACs of their own: every QEMU process
# gives its NICs the same default MACs from 52:54:00:12:34:56 on (QEMU's
# net/net.c, qemu_macaddr_default_if_unset).  Those of one Mac.
for m in profiles/*/; do
	m=${m%/}
	m=${m##*/}
	macs=$(cat "$tmp/ex/$m"-*/shown 2>/dev/null |
	    sed -n 's/.*[,-]mac=\([0-9a-fA-F:]\{17\}\).*/\1/p' | tr 'A-F' 'a-f')
	check "$m: the examples' $(echo "$macs" | wc -l) MACs are all different" \
	    test "$(echo "$macs" | sort -u | wc -l)" -eq "$(echo "$macs" | wc -l)"
done


# ---------------------------------------------------------------------------
echo "# e2e: 6. a guest that powers itself off, and the restart marker"

# How launchd restarts a job (launchd.plist(5); vmc(5), restart): with
# autostart, restart = on-failure is KeepAlive { SuccessfulExit = false },
# a restart after a non-zero exit only.  Without autostart (SuccessfulExit
# would imply RunAtLoad), it is KeepAlive { PathState { MARKER = true } },
# a restart while MARKER exists: the script removes it when it starts and
# creates it when QEMU failed.  A guest that powers off makes QEMU exit 0,
# so neither restarts it.
mkdir -p "$tmp/off" "$tmp/offout"
for n in off offno; do
	qemu-img create -q -f qcow2 "$tmp/off/$n.qcow2" 64M ||
	    bail "qemu-img create failed"
	{
		printf '[vm]\narch = x86_64\naccel = tcg\nmemory = 256M\n'
		printf 'image = %s.qcow2\nqemu = %s\n' "$n" "$QEMU"
		printf '[service]\nrestart = on-failure\n'
		[ $n = offno ] && printf 'autostart = no\n'
	} >"$tmp/off/$n.ini"
done
"$VMC" build -o "$tmp/offout" "$tmp/off" >"$tmp/off.log" 2>&1 ||
    { cat "$tmp/off.log"; bail "vmc build of off, offno failed"; }
marker=$tmp/offout/offno.restart
check "off: plist RunAtLoad true, KeepAlive {SuccessfulExit: false}" \
    test "$($helper plistkey "$tmp/offout/local.vmc.off.plist" RunAtLoad) $($helper plistkey "$tmp/offout/local.vmc.off.plist" KeepAlive)" = \
    'true {"SuccessfulExit": false}'
check "offno: plist RunAtLoad false, KeepAlive {PathState: {$marker: true}}" \
    test "$($helper plistkey "$tmp/offout/local.vmc.offno.plist" RunAtLoad) $($helper plistkey "$tmp/offout/local.vmc.offno.plist" KeepAlive)" = \
    "false {\"PathState\": {\"$marker\": true}}"

# A QEMU that fails: status 1, and the marker asks launchd to restart.
"$tmp/offout/offno.sh" -no-such-option </dev/null >"$tmp/offno.fail" 2>&1
rc=$?
check "offno: a failing QEMU makes the job exit 1 (got $rc)" test $rc -eq 1
check "offno: and leaves the marker, so launchd restarts it" test -f "$marker"

for n in off offno; do
	setsid "$tmp/offout/$n.sh" -kernel "$KERNEL" -initrd "$INITRD" \
	    -append "console=ttyS0 panic=-1 quiet vmc.poweroff" -no-reboot \
	    </dev/null >"$tmp/$n.console" 2>&1 &
	started $!
	j=$!
	i=0
	while alive "$j" && [ $i -lt $((BOOT_TIMEOUT * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$j"
	rc=$?
	tr -d '\r' <"$tmp/$n.console" >"$tmp/$n.con"
	check "$n: the guest powered itself off (reboot: Power down)" \
	    grep -q 'reboot: Power down' "$tmp/$n.con"
	check "$n: the job exits 0, so restart = on-failure leaves it down (got $rc)" \
	    test $rc -eq 0
	left=$(ps -e -o pgid= -o pid= -o args= | awk -v g="$j" '$1 == g')
	check "$n: nothing left in the job's process group" test -z "$left"
done
check "offno: the run removed the marker and made none: no restart" \
    test ! -e "$marker"

# ---------------------------------------------------------------------------
echo "# e2e: 7. SIGTERM to the job: a Debian guest powers off cleanly"

# Debian 12 with systemd and udev: logind powers off on the ACPI power
# button (logind.conf(5), HandlePowerKey=poweroff).  Its kernel and initrd
# come in through the script's "$@"; the cached image is the backing file
# of an overlay.
deb=$(sh "$here/debian.sh") || bail "cannot build the Debian guest (see above)"
ok "Debian guest in $deb"
mkdir -p "$tmp/deb" "$tmp/debout"
qemu-img create -q -f qcow2 -F qcow2 -b "$deb/root.qcow2" \
    "$tmp/deb/debian.qcow2" || bail "qemu-img create (overlay) failed"
cat >"$tmp/deb/debian.ini" <<EOD
[vm]
arch = x86_64
accel = tcg
memory = 512M
image = debian.qcow2
qemu = $QEMU

[service]
stop-timeout = $DEBIAN_STOP
EOD
"$VMC" build -o "$tmp/debout" "$tmp/deb" >"$tmp/deb.log" 2>&1 ||
    { cat "$tmp/deb.log"; bail "vmc build of the Debian profile failed"; }
t0=$(date +%s)
setsid "$tmp/debout/debian.sh" -kernel "$deb/vmlinuz" \
    -initrd "$deb/initrd.img" -append "root=/dev/vda console=ttyS0" \
    </dev/null >"$tmp/debian.console" 2>&1 &
started $!
j=$!
p=$(qemu_of "$j")
adopt "$j"
# Up: logind started (it watches the power button) and getty prompts.
up=
while [ $(($(date +%s) - t0)) -lt $DEBIAN_TIMEOUT ] && alive "$j"; do
	tr -d '\r' <"$tmp/debian.console" | sed 's/\x1b\[[0-9;]*m//g' \
	    >"$tmp/debian.con"
	if grep -q 'Started systemd-logind' "$tmp/debian.con" &&
	    grep -q 'login:' "$tmp/debian.con"; then
		up=1
		break
	fi
	sleep 1
done
if [ -n "$up" ]; then
	ok "debian: systemd-logind up, login prompt ($(($(date +%s) - t0)) s)"
	stop_job debian "$j" "$p" $((DEBIAN_STOP + SLACK + 5))
	tr -d '\r' <"$tmp/debian.console" >"$tmp/debian.con"
	check "debian: the guest shut down cleanly (reboot: Power down)" \
	    grep -q 'reboot: Power down' "$tmp/debian.con"
	check "debian: QEMU exited within stop-timeout $DEBIAN_STOP s: $took s" \
	    awk -v t="$took" -v m=$DEBIAN_STOP 'BEGIN { exit !(t <= m) }'
	check "debian: job exit status 0 (got $rc)" test $rc -eq 0
	check "debian: nothing left in the job's process group" \
	    test -z "$left"
else
	bad "debian: systemd-logind up and a login prompt within $DEBIAN_TIMEOUT s"
fi
