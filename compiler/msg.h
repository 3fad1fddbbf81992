/*
 * Every message vmc says, one line of this table each, as mandoc keeps
 * its own in mandoc_msg.c: MSG(id, level, name, format).  The call
 * site names the id, diag(ctx, at, M(ID), ...), and the compiler checks
 * its arguments against the format.  The name is the one vmc(1) lists
 * the message by in DIAGNOSTICS, with each of its forms:
 * tests/diagnostics.sh holds the two to each other.  Levels: ERROR and
 * SYS (a file that cannot be read or written, exit status 3) stop a
 * run; WARN and NOTE do not.  In the order of vmc(1).
 */
MSG(RUNDIR_RELATIVE, ERROR, "rundir-relative",
    "-p: %s is not an absolute path")
MSG(RUNDIR_UNPRINTABLE, ERROR, "rundir-unprintable",
    "-p: run directory %s is not printable UTF-8")
MSG(RUNDIR_FORM, ERROR, "rundir-form",
    "-p: run directory %s has '.', '..', a doubled or a trailing "
    "slash; write it as %s")
MSG(RUNDIR_MISSING, WARN, "rundir-missing",
    "-p: no run directory given for the described host; the jobs "
    "will look for the scripts in the output directory's path on "
    "this machine")
MSG(NOT_PROFILE, ERROR, "not-profile",
    "a profile must be a directory or a .ini file")
MSG(SHOW_NOT_INI, ERROR, "show-not-ini",
    "a profile must be a .ini file")
MSG(NO_PROFILES, ERROR, "no-profiles",
    "no profiles (*.ini) in this directory")
MSG(SKIPPED, NOTE, "skipped",
    "skipped: the profiles of a directory are the regular files "
    "directly in it whose names end in .ini, in lower case")
MSG(VM_NAME, ERROR, "vm-name",
    "VM name %s (the file name) must be 1 to 63 of a-z, 0-9 and "
    "'-', not starting or ending with '-'")
MSG(DIR_UNREADABLE, SYS, "dir-unreadable",
    "%s")
MSG(PROFILE_DIR, SYS, "profile-dir",
    "cannot resolve the profile's directory: %s")
MSG(FLEET_EMPTY, ERROR, "fleet-empty",
    "no host directories in this fleet directory")
MSG(FLEET_HOST_NAME, ERROR, "fleet-host-name",
    "host name %s must be letters, digits, '.', '-' and '_', as an "
    "inventory names it")
MSG(FLEET_DUP_HOST, ERROR, "fleet-dup-host",
    "host '%s' is also %s: host names differ in more than case")
MSG(FLEET_NO_HOST, ERROR, "fleet-no-host",
    "no host description %s: save what 'vmc host' prints on the host")
MSG(FLEET_NO_PROFILES, ERROR, "fleet-no-profiles",
    "no directory of profiles %s")
MSG(FLEET_NO_RUNDIR, ERROR, "fleet-no-rundir",
    "no file %s naming the host's run directory, as -p takes it")
MSG(FLEET_RUNDIR_LINE, ERROR, "fleet-rundir-line",
    "the run directory must be one line")
MSG(LINE_NUL, ERROR, "line-nul",
    "line contains a NUL byte")
MSG(LINE_LONG, ERROR, "line-long",
    "line is %zu bytes long; at most %d are allowed")
MSG(HEADER_UNCLOSED, ERROR, "header-unclosed",
    "section header lacks a closing ']'")
MSG(SECTION_LONG, ERROR, "section-long",
    "section name is longer than %d bytes")
MSG(SECTION_UNPRINTABLE, ERROR, "section-unprintable",
    "section name %s is not printable ASCII")
MSG(HEADER_TEXT, ERROR, "header-text",
    "text after the section header; put it on a line of its own")
MSG(NOT_KEY_VALUE, ERROR, "not-key-value",
    "expected 'key = value' or '[section]'")
MSG(KEY_LONG, ERROR, "key-long",
    "key is longer than %d bytes")
MSG(KEY_MISSING, ERROR, "key-missing",
    "missing key before '='")
MSG(KEY_UNPRINTABLE, ERROR, "key-unprintable",
    "key %s is not printable ASCII")
MSG(VALUE_CONTROL, ERROR, "value-control",
    "%s: %s: control characters are not allowed")
MSG(VALUE_UTF8, ERROR, "value-utf8",
    "%s: %s: invalid UTF-8")
MSG(VALUE_XML, ERROR, "value-xml",
    "%s: %s: U+FFFE and U+FFFF are not allowed (XML has no way "
    "to write them)")
MSG(VALUE_BREAK, ERROR, "value-break",
    "%s: %s: C1 control characters and the Unicode line and paragraph "
    "separators are not allowed (YAML reads them as line breaks)")
MSG(VAR_UNTERMINATED, ERROR, "var-unterminated",
    "%s: unterminated '${' in value")
MSG(VAR_UNKNOWN, ERROR, "var-unknown",
    "%s: unknown variable %s; only ${name} is defined")
MSG(INCLUDE_LATE, ERROR, "include-late",
    "include: must come before the first section")
MSG(INCLUDE_DEEP, ERROR, "include-deep",
    "include: includes nest deeper than %d files")
MSG(INCLUDE_MANY, ERROR, "include-many",
    "include: more than %d files read for one document")
MSG(INCLUDE_CYCLE, ERROR, "include-cycle",
    "include: include cycle: '%s' is already being read")
MSG(FILE_DIR, SYS, "file-type",
    "'%s' is a directory")
MSG(FILE_LARGE, SYS, "file-type",
    "'%s' is larger than 16 MiB")
MSG(FILE_TYPE, SYS, "file-type",
    "'%s' is not a regular file")
MSG(FILE_READ, SYS, "file-read",
    "cannot read '%s': %s")
MSG(NO_MEMORY, SYS, "no-memory",
    "out of memory")
MSG(SETTINGS_MANY, ERROR, "settings-many",
    "more than %d settings in one profile; the rest are not read")
MSG(DIAG_MANY_FILE, ERROR, "diag-many",
    "more than %d diagnostics for this file; the rest are not "
    "shown")
MSG(DIAG_MANY, ERROR, "diag-many",
    "more than %d diagnostics; the rest are not shown")
MSG(SECTION_UNKNOWN, ERROR, "section-unknown",
    "unknown section %s; did you mean [%s]?")
MSG(SECTION_EXPECTED, ERROR, "section-unknown",
    "unknown section %s; expected %s or [%s]")
MSG(LABEL_NONE, ERROR, "label-none",
    "section [%s] takes no label")
MSG(LABEL_CHARS, ERROR, "label-chars",
    "section label %s: use letters, digits, '.', '_' and '-'")
MSG(LABEL_NEEDED, ERROR, "label-needed",
    "[%s] needs a name: [%s.NAME]")
MSG(SECTION_MANY, ERROR, "section-many",
    "more than %zu %s sections")
MSG(HOST_SECTION_MISSING, ERROR, "section-missing",
    "no [host] section")
MSG(SECTION_MISSING, ERROR, "section-missing",
    "no [%s] section")
MSG(BEFORE_SECTION, ERROR, "before-section",
    "%s: only include may come before the first section")
MSG(KEY_UNKNOWN_HINT, ERROR, "key-unknown",
    "%s: unknown key in [%s]; did you mean '%s'?")
MSG(KEY_UNKNOWN, ERROR, "key-unknown",
    "%s: unknown key in [%s]")
MSG(KEY_TWICE, ERROR, "key-twice",
    "%s: set more than once; first at line %d")
MSG(KEY_REQUIRED, ERROR, "key-required",
    "%s: required in [%s] but not set")
MSG(PATH_EMPTY, ERROR, "path-empty",
    "%s: empty path")
MSG(NOT_ABSPATH, ERROR, "not-abspath",
    "%s: %s is not an absolute path")
MSG(DISK_FORMAT, ERROR, "disk-format",
    "%s: %s: the format after the path is qcow2 or raw")
MSG(PATH_TILDE, ERROR, "path-tilde",
    "%s: %s: '~' is not expanded (no shell reads a profile); give the "
    "full path")
MSG(NOT_NAME, ERROR, "not-name",
    "%s: %s is not a name (letters, digits, '.', '_' and '-')")
MSG(NOT_ENUM, ERROR, "not-enum",
    "%s: %s is not %s or %s")
MSG(NOT_ENUM_HINT, ERROR, "not-enum",
    "%s: %s is not %s or %s; did you mean '%s'?")
MSG(NOT_NUMBER, ERROR, "not-number",
    "%s: %s is not a whole number (from %llu to %llu)")
MSG(NUM_LARGE, ERROR, "too-large",
    "%s: %s is too large (from %llu to %llu)")
MSG(TOO_LARGE, ERROR, "too-large",
    "%s: %s is too large")
MSG(TOO_SMALL, ERROR, "too-small",
    "%s: %s is too small (from %llu to %llu)")
MSG(NOT_SIZE, ERROR, "not-size",
    "%s: %s is not a size (a number with K, M, G or T)")
MSG(SIZE_UNIT, ERROR, "size-unit",
    "%s: %s has an unknown unit; use K, M, G or T")
MSG(NOT_BOOL, ERROR, "not-bool",
    "%s: %s is not yes, no, true, false, on or off (in any case)")
MSG(VALUE_HASH, NOTE, "value-hash",
    "'#' starts a comment only at the start of a line; at the end of "
    "one, a comment starts with ' ;'")
MSG(NOT_MAC, ERROR, "not-mac",
    "%s: %s is not 'auto' or a MAC address like 52:54:00:ab:cd:ef")
MSG(NOT_IPV4, ERROR, "not-ipv4",
    "%s: %s is not an IPv4 address")
MSG(NOT_UUID, ERROR, "not-uuid",
    "%s: %s is not a UUID")
MSG(NOT_VERSION, ERROR, "not-version",
    "%s: %s is not a version such as 9.2.0")
MSG(NOT_CIDR, ERROR, "not-cidr",
    "%s: %s is not an address with a prefix length, like "
    "192.168.1.10/24")
MSG(NOT_IP, ERROR, "not-ip",
    "%s: %s is not an IPv4 or IPv6 address")
MSG(NOT_HOSTNAME, ERROR, "not-hostname",
    "%s: %s is not a host name (letters, digits and '-', in "
    "labels separated by '.')")
MSG(FORWARD_LONG, ERROR, "forward-long",
    "forward: %s is too long")
MSG(FORWARD_SYNTAX, ERROR, "forward-syntax",
    "forward: %s is not [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]")
MSG(FORWARD_PROTO, ERROR, "forward-proto",
    "forward: %s has an unknown protocol; use /tcp or /udp")
MSG(FORWARD_ADDR, ERROR, "forward-addr",
    "forward: %s has a host address that is not an IPv4 address")
MSG(FORWARD_HPORT, ERROR, "forward-hport",
    "forward: %s has a host port that is not from 1 to 65535")
MSG(FORWARD_GPORT, ERROR, "forward-gport",
    "forward: %s has a guest port that is not from 1 to 65535")
MSG(CPU_MODEL, ERROR, "cpu-model",
    "cpu: %s does not start with a CPU model (letters, digits, "
    "'.', '_' and '-')")
MSG(CPU_FEATURE, ERROR, "cpu-feature",
    "cpu: %s has a feature that is not +NAME, -NAME or "
    "NAME=VALUE (letters, digits, '.', '_' and '-')")
MSG(PROP_SYNTAX, ERROR, "prop-syntax",
    "machine-option: %s is not NAME=VALUE")
MSG(PROP_COMMA, ERROR, "prop-comma",
    "machine-option: %s has a single ',' (one property a line; a "
    "comma inside a value is written ',,')")
MSG(ARG_EMPTY, ERROR, "arg-empty",
    "qemu-arg: empty argument")
MSG(URL_SCHEME, ERROR, "url-scheme",
    "seed: %s must start with http:// or https://")
MSG(URL_BLANK, ERROR, "url-blank",
    "seed: %s must not contain blanks or ';' (cloud-init splits "
    "on them)")
MSG(URL_HOST, ERROR, "url-host",
    "seed: %s has no host")
MSG(URL_IPV6, ERROR, "url-host",
    "seed: %s has a bad IPv6 address")
MSG(URL_PORT, ERROR, "url-port",
    "seed: %s has a bad port")
MSG(URL_SLASH, ERROR, "url-slash",
    "seed: %s must end with '/' (cloud-init appends meta-data)")
MSG(ACCEL_OS, ERROR, "accel-os",
    "accel: %s runs only on %s hosts; this host is %s")
MSG(ACCEL_ARCH, ERROR, "accel-arch",
    "accel: %s cannot run an %s guest on an %s host; use accel = "
    "tcg")
MSG(CPUS_HOST, WARN, "cpus-host",
    "cpus: %llu is more than the host's %llu")
MSG(MEMORY_SMALL, ERROR, "memory-small",
    "memory: '%s' is less than 16M")
MSG(MEMORY_MIB, ERROR, "memory-mib",
    "memory: '%s' is not a whole number of MiB")
MSG(MEMORY_HOST, ERROR, "memory-host",
    "memory: '%s' is more than the host's %lluM")
MSG(IMAGE_OPEN, ERROR, "image-open",
    "image: %s: %s")
MSG(IMAGE_UNKNOWN, ERROR, "image-unknown",
    "image: %s does not exist here, so its format cannot be "
    "detected; set format")
MSG(IMAGE_ABSENT, WARN, "image-absent",
    "image: %s does not exist on this machine")
MSG(IMAGE_TYPE, ERROR, "image-type",
    "image: %s is not a regular file")
MSG(FORMAT_MISMATCH, ERROR, "format-mismatch",
    "format: %s, but the image is %s")
MSG(DISK_MISSING, ERROR, "disk-missing",
    "disk: %s does not exist; vmc makes no disk but an overlay on "
    "base: make it with qemu-img create")
MSG(DISK_OPEN, ERROR, "disk-open",
    "%s: %s: %s")
MSG(DISK_UNKNOWN, ERROR, "disk-unknown",
    "%s: %s does not exist here, so its format cannot be detected; "
    "add ,format=qcow2 or ,format=raw")
MSG(DISK_ABSENT, WARN, "disk-absent",
    "%s: %s does not exist on this machine")
MSG(DISK_TYPE, ERROR, "disk-type",
    "%s: %s is not a regular file")
MSG(DISK_MISMATCH, ERROR, "disk-mismatch",
    "%s: %s is %s, not %s as given")
MSG(DISK_BACKING, ERROR, "disk-backing",
    "%s: %s: its backing file %s: %s")
MSG(QEMU_NONE, ERROR, "qemu-none",
    "qemu: the host has no qemu-system-%s; install QEMU or set "
    "qemu in [vm]")
MSG(QEMU_ACCESS, ERROR, "qemu-access",
    "qemu: '%s': %s")
MSG(FIRMWARE_NONE, ERROR, "firmware-none",
    "firmware: an aarch64 VM needs UEFI firmware and the host "
    "description names none; set firmware in [vm]")
MSG(CPU_NUMBER, ERROR, "cpu-number",
    "cpu: '%s' is a number, not a CPU model; the number of CPUs is "
    "cpus")
MSG(CPU_HOST_TCG, ERROR, "cpu-host",
    "cpu: 'host' needs hvf or kvm and this VM runs under tcg; "
    "use max, or set accel = %s")
MSG(CPU_HOST_FALLBACK, ERROR, "cpu-host",
    "cpu: 'host' needs hvf or kvm and breaks the fallback to "
    "tcg; use max, or set accel = %s")
MSG(GIC_V2, ERROR, "gic-v2",
    "cpus: %llu is more than the 8 CPUs of GICv2; use "
    "gic-version=3 or leave it to vmc")
MSG(HVF_CPUS, ERROR, "hvf-cpus",
    "cpus: %llu is more than the 64 vCPUs hvf gives an aarch64 "
    "guest; use fewer, or accel = tcg")
MSG(GIC_HOST, ERROR, "gic-host",
    "machine-option: gic-version=host needs kvm")
MSG(GIC_V4, ERROR, "gic-v4",
    "machine-option: QEMU emulates GICv4 under tcg only; set "
    "accel = tcg")
MSG(GIC_VERSION, ERROR, "gic-version",
    "machine-option: gic-version is 2, 3, 4, host or max")
MSG(PROP_MANAGED, ERROR, "prop-managed",
    "machine-option: '%.*s' is set by %s")
MSG(PROP_TWICE, ERROR, "prop-twice",
    "machine-option: '%.*s' is also set at %s:%d")
MSG(ARG_MANAGED, ERROR, "arg-managed",
    "qemu-arg: '%s' is an option vmc manages: %s")
MSG(ARG_SPACE, ERROR, "arg-space",
    "qemu-arg: %s holds a space: give one argument a line, the option "
    "on one, its value on the next")
MSG(ARG_FILE, ERROR, "arg-file",
    "qemu-arg: %s names a file vmc manages for this VM (its script, "
    "QMP or console socket, run record, log, disks or seed)")
MSG(ROOT_RUNS_OTHERS, WARN, "root-runs-others",
    "%s, which this VM's job runs as root, belongs to uid %u or is "
    "writable by others (mode %04o): whoever can replace it runs code "
    "as root; run the VM as its own user")
MSG(FIRST_START_DIR, WARN, "first-start-dir",
    "image: %s, where the first start makes files as root, is not "
    "root's or is writable by group or others: install refuses it")
MSG(PRIVACY, WARN, "privacy",
    "%s: '%s' is in ~/%s, which macOS privacy protection keeps "
    "from launchd daemons: give %s Full Disk Access (System "
    "Settings, Privacy & Security) or move it")
MSG(LOG_NAMES_DIR, ERROR, "log-dir",
    "log: '%s' names a directory; give the file that receives "
    "QEMU's output")
MSG(LOG_IS_DIR, ERROR, "log-dir",
    "log: '%s' is a directory; give the file that receives "
    "QEMU's output")
MSG(LOG_PARENT_TYPE, ERROR, "log-parent",
    "log: '%s' is not a directory")
MSG(LOG_PARENT, ERROR, "log-parent",
    "log: directory '%s': %s")
MSG(RUNDIR_TYPE, ERROR, "rundir-unsafe",
    "-p: run directory '%s' is not a directory")
MSG(RUNDIR_OPEN, ERROR, "rundir-unsafe",
    "-p: run directory '%s': %s")
MSG(RUNDIR_MODE, ERROR, "rundir-unsafe",
    "-p: run directory '%s' is mode %03o: launchd runs its "
    "scripts as root, so it must not be writable by group or "
    "others")
MSG(FIRMWARE_UNUSABLE, ERROR, "firmware-unusable",
    "firmware: '%s': %s")
MSG(STOP_ZERO, ERROR, "stop-zero",
    "stop-timeout: 0 would be ExitTimeOut 0, which launchd reads "
    "as never kill: a guest that does not power off would stall "
    "the Mac's shutdown; use 1 to 3600")
MSG(USER_DIR_UNCHECKED, WARN, "user-dir-unchecked",
    "user: QEMU runs as %s and needs '%s' owned by %s, mode "
    "0700; it cannot be checked for a described host")
MSG(USER_DIR_OPEN, WARN, "user-dir-unchecked",
    "user: '%s': %s; QEMU runs as %s and needs it owned by %s, "
    "mode 0700")
MSG(USER_ACCESS, WARN, "user-access",
    "%s: QEMU runs as %s, whom the owner and mode of '%s' do not let "
    "%s it")
MSG(USER_MISSING, ERROR, "user-missing",
    "user: no user %s on this host: launchd cannot start the job "
    "as %s")
MSG(USER_DIR_TYPE, ERROR, "user-dir-type",
    "user: %s is not a directory")
MSG(USER_DIR_OWNER, ERROR, "user-dir-owner",
    "user: '%s' is owned by uid %lu, not by %s: QEMU, run as %s, "
    "cannot create its socket there")
MSG(USER_DIR_MODE, WARN, "user-dir-mode",
    "user: '%s' is mode %03o: others can reach the monitor "
    "socket in it; make it 0700")
MSG(IMAGE_BACKING, ERROR, "image-backing",
    "image: its backing file %s: %s")
MSG(BASE_OPEN, ERROR, "base-open",
    "base: %s: %s")
MSG(BASE_UNKNOWN, ERROR, "base-unknown",
    "base: %s does not exist here, so its format cannot be "
    "detected")
MSG(BASE_TYPE, ERROR, "base-type",
    "base: %s is not a regular file")
MSG(BASE_IMAGE, ERROR, "base-image",
    "base: '%s' is also the image; the overlay must be a file of "
    "its own")
MSG(OVERLAY_FORMAT, ERROR, "overlay-format",
    "format: %s, but an image on base is a qcow2 overlay")
MSG(OVERLAY_IMAGE, ERROR, "overlay-format",
    "image: '%s' is %s, but an image on base is a qcow2 overlay")
MSG(DISK_SIZE_BASE, ERROR, "disk-size-base",
    "disk-size: needs base: only an overlay vmc creates can be "
    "given a size")
MSG(DISK_SIZE_SMALL, ERROR, "disk-size-small",
    "disk-size: '%s' is smaller than the base's %lluM")
MSG(QEMU_IMG_NONE, ERROR, "qemu-img-none",
    "base: the host has no qemu-img to create the overlay; "
    "install QEMU")
MSG(QEMU_IMG_ACCESS, ERROR, "qemu-img-access",
    "base: '%s': %s")
MSG(VARS_NONE, ERROR, "vars-none",
    "an aarch64 VM needs a UEFI variable store and the host "
    "description names no template; set vars-aarch64 in its "
    "[qemu]")
MSG(VARS_ACCESS, ERROR, "vars-access",
    "UEFI variable store template '%s': %s")
MSG(QMP_LONG, ERROR, "qmp-long",
    "the monitor socket '%s' is longer than %d bytes; choose a "
    "shorter run directory (-p)")
MSG(CONSOLE_LONG, ERROR, "qmp-long",
    "the console socket '%s' is longer than %d bytes; choose a "
    "shorter run directory (-p)")
MSG(NET_SOCKET_LONG, ERROR, "qmp-long",
    "the socket_vmnet socket '%s' is longer than %d bytes; choose a "
    "shorter run directory (-p)")
MSG(HOST_INTERFACES, SYS, "host-interfaces",
    "cannot list network interfaces: %s")
MSG(HOST_NAME, WARN, "host-name",
    "interface %s left out: a host file cannot name it")
MSG(HOST_UNAME, SYS, "host-uname",
    "uname: %s")
MSG(VMNET_OS, ERROR, "vmnet-os",
    "mode: %s exists only in QEMU on macOS; this host is %s")
MSG(VMNET_ROOT, ERROR, "vmnet-root",
    "mode: %s needs QEMU to run as root, but [service] user is "
    "'%s'; set via = socket_vmnet")
MSG(VIA_USER, ERROR, "via-user",
    "via: socket_vmnet serves vmnet modes; mode = user is QEMU's own")
MSG(VIA_NONE, ERROR, "via-none",
    "via: the host description names no socket_vmnet; install it "
    "(brew install socket_vmnet) and run vmc host again, or set "
    "socket_vmnet in its [qemu]")
MSG(VERSION_NONE, ERROR, "version-none",
    "via: the host description gives no QEMU version, which decides "
    "how QEMU reaches socket_vmnet; run vmc host again, or set "
    "version in its [qemu]")
MSG(VIA_OPTION, ERROR, "via-option",
    "%s: socket_vmnet takes no such option; leave it out, or set "
    "via = qemu")
MSG(VIA_CLIENT, ERROR, "via-client",
    "via: QEMU %s has no -netdev stream (7.2 and later) and is "
    "handed one socket by socket_vmnet_client: one card alone may "
    "use socket_vmnet")
MSG(GROUP_NEEDED, ERROR, "group-needed",
    "via: QEMU runs as '%s', and socket_vmnet lets root and one group "
    "connect: set group to a group that only the VMs' users are in")
MSG(GROUP_VIA, ERROR, "group-via",
    "group: it is the group of socket_vmnet's socket; set via = "
    "socket_vmnet, or leave it out")
MSG(GROUP_ABSENT, ERROR, "group-absent",
    "group: no group '%s' on this host; make one for the VMs' users "
    "(dseditgroup -o create %s)")
MSG(GROUP_MEMBER, ERROR, "group-member",
    "group: user '%s' is not in group '%s', so QEMU could not "
    "connect to socket_vmnet (dseditgroup -o edit -a %s -t user %s)")
MSG(BRIDGE_NONE, ERROR, "bridge-none",
    "interface: vmnet-bridged needs the host interface to bridge")
MSG(BRIDGE_ABSENT, ERROR, "bridge-bad",
    "interface: '%s' does not exist on the host; interfaces that "
    "can be bridged: %s")
MSG(BRIDGE_DOWN, ERROR, "bridge-bad",
    "interface: '%s' is down; interfaces that can be bridged: %s")
MSG(BRIDGE_LOOPBACK, ERROR, "bridge-bad",
    "interface: '%s' is a loopback interface; interfaces that "
    "can be bridged: %s")
MSG(BRIDGE_ONLY, ERROR, "bridge-only",
    "interface: only vmnet-bridged bridges an interface")
MSG(FORWARD_VMNET, ERROR, "forward-vmnet",
    "forward: port forwards need mode = user; with %s the guest "
    "is on the network itself")
MSG(FORWARD_NOADDR, ERROR, "forward-noaddr",
    "forward: no host interface has address %s; use 127.0.0.1, "
    "0.0.0.0 or an address of the host")
MSG(ISOLATED_MODE, ERROR, "isolated-mode",
    "isolated: only vmnet modes can be isolated")
MSG(UUID_MODE, ERROR, "uuid-mode",
    "net-uuid: only vmnet-host takes a network UUID")
MSG(RANGE_MODE, ERROR, "range-mode",
    "start-address, end-address and subnet-mask need "
    "vmnet-shared or vmnet-host")
MSG(RANGE_PARTIAL, ERROR, "range-partial",
    "start-address, end-address and subnet-mask go together: set "
    "all three or none")
MSG(RANGE_MASK, ERROR, "range-mask",
    "subnet-mask: '%s' is not a contiguous mask")
MSG(RANGE_ORDER, ERROR, "range-order",
    "end-address: '%s' is not after start-address '%s'")
MSG(RANGE_SUBNET, ERROR, "range-subnet",
    "end-address: '%s' to '%s' is not inside one subnet of mask "
    "'%s' (excluding its network and broadcast addresses)")
MSG(RANGE_OVERLAP, ERROR, "range-overlap",
    "start-address: subnet '%s' overlaps %s of host interface %s")
MSG(RANGE_PRIVATE, ERROR, "range-private",
    "start-address: subnet '%s' of mask '%s' is not inside a "
    "private range (10.0.0.0/8, 172.16.0.0/12 or "
    "192.168.0.0/16), which vmnet requires")
MSG(BRIDGE_VMNET, ERROR, "bridge-vmnet",
    "interface: '%s' is the bridge of a vmnet network; "
    "interfaces that can be bridged: %s")
MSG(SEED_NO_NIC, ERROR, "seed-no-nic",
    "seed: the VM has no network card to fetch it with; add a "
    "[network] section")
MSG(SEED_LOOPBACK_USER, ERROR, "seed-loopback",
    "seed: '%s' is the guest itself, not the host; from the user "
    "network the host is 10.0.2.2")
MSG(SEED_LOOPBACK, ERROR, "seed-loopback",
    "seed: '%s' is the guest itself, not the host; use an "
    "address of the host on the guest's network")
MSG(SEED_USER_NET, ERROR, "seed-user-net",
    "seed: '%s' is on QEMU's user network, and the VM has no "
    "card on it; use the host's address on the guest's network")
MSG(SEED_UNREACHABLE, WARN, "seed-unreachable",
    "seed: '%s' is neither the gateway (start-address) of the "
    "VM's vmnet network nor an address of the host; the guest "
    "may not reach it")
MSG(MAC_MULTICAST, ERROR, "mac-multicast",
    "mac: '%s' is a multicast address; the first byte must be "
    "even")
MSG(MAC_QEMU, ERROR, "mac-qemu",
    "mac: '%s' is QEMU's default, which every VM gets; pick "
    "another or use auto")
MSG(MAC_ZERO, ERROR, "mac-zero",
    "mac: '%s' is not a usable address")
MSG(SEED_BOTH, ERROR, "seed-both",
    "seed: a seed URL and a [cloud-init] section exclude each "
    "other: the local seed needs no server")
MSG(DATASOURCE_SEED, ERROR, "datasource-seed",
    "seed-datasource: needs seed, the URL the guest fetches its "
    "seed from")
MSG(PATH_RESOLVE, ERROR, "path-resolve",
    "%s: %s: %s")
MSG(SEED_FILE_OPEN, ERROR, "seed-file-open",
    "%s: %s: %s")
MSG(SEED_FILE_TYPE, ERROR, "seed-file-type",
    "%s: %s is not a regular file of at most %zuK")
MSG(USER_DATA_FORMAT, ERROR, "user-data-format",
    "user-data: %s does not start with #cloud-config, #! or a "
    "MIME header (Content-Type:)")
MSG(KEY_TYPE, ERROR, "key-type",
    "ssh-key: %.40s%s is not an OpenSSH public key (ssh-ed25519, "
    "ssh-rsa, ecdsa-sha2-* or sk-*, then the key in base64)")
MSG(KEY_BASE64, ERROR, "key-base64",
    "ssh-key: %.40s%s has a key that is not in base64 or not of "
    "its type")
MSG(KEY_CONTROL, ERROR, "key-control",
    "ssh-key: %.40s%s contains a control character or a line "
    "separator")
MSG(KEY_UTF8, ERROR, "key-utf8",
    "ssh-key: %.40s%s is not UTF-8")
MSG(KEY_FILE_EMPTY, ERROR, "key-file-empty",
    "ssh-key: %s holds no public key")
MSG(KEY_PRIVATE, ERROR, "key-private",
    "ssh-key: %s is a private key: name its public key, the .pub file")
MSG(GUEST_NET_SEED, ERROR, "guest-net-seed",
    "%s: the guest learns its addresses from the seed vmc "
    "writes: add a [cloud-init] section")
MSG(GATEWAY_STATIC, ERROR, "gateway-static",
    "gateway: '%s' needs a static address of its family")
MSG(DUP_NAME, ERROR, "dup-name",
    "VM name '%s' is also used at %s:%d")
MSG(DUP_NAME_BY, ERROR, "dup-name",
    "VM name '%s' is also used by %s")
MSG(DUP_LABEL, ERROR, "dup-label",
    "label: launchd label '%s' is also used at %s:%d")
MSG(DUP_LABEL_BY, ERROR, "dup-label",
    "label: launchd label '%s' is also used by %s")
MSG(DUP_IMAGE, ERROR, "dup-image",
    "%s: disk image '%s' is also used at %s:%d")
MSG(DUP_IMAGE_BY, ERROR, "dup-image",
    "%s: disk image '%s' is also used by %s")
MSG(DUP_READ, ERROR, "dup-read",
    "%s: '%s' is a disk QEMU writes at %s:%d")
MSG(DUP_READ_BY, ERROR, "dup-read",
    "%s: '%s' is a disk QEMU writes, of %s")
MSG(DUP_MAC, ERROR, "dup-mac",
    "mac: MAC address '%s' is also used at %s:%d")
MSG(DUP_MAC_BY, ERROR, "dup-mac",
    "mac: MAC address '%s' is also used by %s")
MSG(NET_CLASH, ERROR, "net-clash",
    "%s: network '%s' is also reached at %s:%d with another %s; one "
    "socket_vmnet serves it: set both alike")
MSG(NET_OVERLAP, ERROR, "net-overlap",
    "start-address: network '%s' overlaps network '%s' of %s:%d; "
    "networks of socket_vmnet must not share addresses")
MSG(NET_ADDRESS, ERROR, "net-address",
    "address: '%s' is also a static address at %s:%d, on the same "
    "network '%s'")
MSG(NET_LABEL_USED, ERROR, "net-label",
    "label: launchd label '%s' is taken by the socket_vmnet of "
    "network '%s'; choose another")
MSG(PORT_CLASH, ERROR, "port-clash",
    "forward: host port %s/%u on %s is also forwarded at %s:%d")
MSG(MEMORY_OVER, WARN, "memory-over",
    "memory: the VMs that start at boot (%s) need %lluM "
    "together, more than the host's %lluM")
MSG(LAN_MAC, ERROR, "lan-mac",
    "mac: MAC address '%s' is also used at %s:%d, on the same LAN %s")
MSG(LAN_MAC_NAME, ERROR, "lan-mac",
    "mac: MAC address '%s', derived from the VM name '%s', is also "
    "derived at %s:%d, on the same LAN %s: set mac, or rename one")
MSG(LAN_ADDRESS, ERROR, "lan-address",
    "address: '%s' is also a static address at %s:%d, on the same "
    "LAN %s")
MSG(LAN_HOST_ADDRESS, ERROR, "lan-host-address",
    "address: '%s' is the address of %s on host %s, at %s:%d")
MSG(LAN_SEED, ERROR, "lan-seed",
    "seed: %s is neither on the LAN %s nor an address of host %s: "
    "the guest cannot reach it")
MSG(OUTPUT, SYS, "output",
    "cannot %s: %s")
MSG(GONE_REMOVED, NOTE, "gone-removed",
    "removed: its VM is gone")
MSG(GONE_CHANGED, WARN, "gone-changed",
    "left alone: made for VM %s, which is gone, but changed since")
MSG(INDEX_FOREIGN, WARN, "index-foreign",
    "not an index this vmc wrote: the files of VMs that are gone "
    "are not removed")
MSG(INDEX_READ, SYS, "index-read",
    "cannot read: %s")
MSG(INDEX_BAD, ERROR, "index-bad",
    "not a %s written by this vmc")
MSG(NOT_ROOT, ERROR, "not-root",
    "%s changes /Library/LaunchDaemons and runs launchctl: run "
    "it as root (sudo vmc %s), or see what it would do with -n")
MSG(NOT_BUILD, ERROR, "not-build",
    "missing: %s is not the output of vmc build")
MSG(LOCK, SYS, "lock",
    "cannot lock: %s")
MSG(NOT_DIR, ERROR, "not-dir",
    "-R: not a directory")
MSG(UNSAFE_DIR, ERROR, "unsafe-dir",
    "refused: owned by someone other than root, or writable by "
    "group or others: not safe for what launchd runs as root")
MSG(ROOT_RUNS, WARN, "root-runs",
    "VM %s's job runs this as root, and it belongs to uid %u or is "
    "writable by others (mode %04o): whoever can replace it runs code "
    "as root")
MSG(ROOT_NO_LAUNCHCTL, NOTE, "root-no-launchctl",
    "-R: no launchctl is run, as the jobs under another root are "
    "not this system's; VMC_LAUNCHCTL names one to run")
MSG(ROOT_NO_JOBS, ERROR, "root-no-launchd",
    "%s -R: no launchd runs the jobs under another root; "
    "VMC_LAUNCHCTL names a launchctl to run")
MSG(ROOT_LINK, ERROR, "root-link",
    "refused: a symbolic link by an absolute path or '..' could "
    "lead out of the root given with -R")
MSG(EDITED, NOTE, "edited",
    "edited since vmc installed it for VM %s: put back as built")
MSG(SEED_RESTART, NOTE, "seed-restart",
    "VM %s runs and its seed changes: it is restarted, as a guest "
    "must never see its seed change under it")
MSG(NET_DROPS, NOTE, "net-drops",
    "network %s changes and its socket_vmnet restarts: the links of "
    "%s drop, and their QEMU reconnects within a second")
MSG(NET_RESTARTS, NOTE, "net-restarts",
    "network %s changes and its socket_vmnet restarts: %s, whose QEMU "
    "(before 8.0) does not reconnect, restarted after it")
MSG(INSTALL_PARTIAL, SYS, "install-partial",
    "stopped at VM %s: the VMs before it are installed as built, "
    "it and those after it as they were")
MSG(INSTALL_SYNC, SYS, "install-sync",
    "cannot make the changes in this directory durable: %s")
MSG(OTHER_PROFILES, ERROR, "other-profiles",
    "refused: built from other profiles than the VMs installed, it "
    "would remove VM %s; build every profile into one directory, or "
    "give -x to remove it")
MSG(BUILD_CHANGED, ERROR, "build-changed",
    "refused: changed since vmc build wrote it; build again")
MSG(IN_THE_WAY, ERROR, "in-the-way",
    "refused: in the way of VM %s, and not installed by vmc")
MSG(IN_THE_WAY_DIR, ERROR, "in-the-way",
    "refused: in the way of VM %s, and not a directory")
MSG(INDEX_INCOMPLETE, ERROR, "index-incomplete",
    "refused: the build index names no %s for VM %s")
MSG(NO_USER, ERROR, "no-user",
    "refused: VM %s runs as user %s, who does not exist here")
MSG(USES, WARN, "uses",
    "VM %s runs as user %s, whom the owner and mode of this file do "
    "not let %s it")
MSG(NO_GROUP, ERROR, "no-group",
    "refused: the socket_vmnet of network %s is for group %s, which "
    "does not exist here")
MSG(NOT_IN_GROUP, ERROR, "not-in-group",
    "refused: VM %s runs as user %s, who is not in group %s of "
    "network %s, so QEMU could not connect to it")
MSG(NOT_INSTALLED_REFUSED, ERROR, "not-installed",
    "refused: no VM %s is installed")
MSG(OPERATE_NET, ERROR, "operate-net",
    "refused: %s is a network's socket_vmnet, which vmc install "
    "starts and stops with the VMs on it; name a VM")
MSG(NOT_INSTALLED, ERROR, "not-installed",
    "no VM %s is installed")
MSG(INSTALL_WRITE, SYS, "install-write",
    "cannot write: %s")
MSG(INSTALL_REMOVE, SYS, "install-write",
    "cannot remove: %s")
MSG(INSTALL_RUNDIR, SYS, "install-write",
    "cannot make the run-time directory: %s")
MSG(INSTALL_RENAME, SYS, "install-write",
    "cannot rename into place: %s")
MSG(LAUNCHCTL, SYS, "launchctl",
    "%s: %s%s(exit status %d)")
MSG(LEFT_IN_PLACE, NOTE, "left-in-place",
    "left in place: %s")
MSG(OPERATE_ROOT, ERROR, "operate-root",
    "%s runs launchctl: run it as root (sudo vmc %s)")
MSG(START_EXITED, SYS, "start-failed",
    "%s: QEMU exited as it started (status %d): see its log %s")
MSG(START_TIMEOUT, SYS, "start-failed",
    "%s: QEMU did not start within %d s: see its log %s")
MSG(CONSOLE_NONE, ERROR, "console-none",
    "%s: installed without a console; build and install it again")
MSG(CONSOLE_STOPPED, ERROR, "console-stopped",
    "%s is not running; vmc start starts it")
MSG(CONSOLE_BUSY, ERROR, "console-busy",
    "%s: another console session is attached")
MSG(CONSOLE_CONNECT, ERROR, "console-connect",
    "%s: cannot connect to %s: %s")
MSG(CONSOLE_LOST, SYS, "console-lost",
    "%s: the console failed: %s")
