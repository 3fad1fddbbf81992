#!/usr/bin/env python3
"""Parsers and probes for run.sh, which stays plain sh for process handling.

  helper.py freeports N            N TCP ports free on 127.0.0.1 and 127.0.0.2
  helper.py get URL                print the body of an HTTP GET (no proxy)
  helper.py words                  shell words of standard input, one a line
  helper.py script FILE            check a generated launch script; print
                                   the words it starts QEMU with, one a line
  helper.py plistargs FILE         ProgramArguments of a plist, one a line
  helper.py plistkey FILE KEY      a plist key's value as JSON
  helper.py qmpname SOCKET PID     the VM name QEMU (PID) reports over QMP
  helper.py qmpblock SOCKET PID    its drives: FILE FORMAT rw|ro, a line each
  helper.py example SHOWN WORKDIR  check a shown command line, print the
                                   arguments to run it here, one a line
  helper.py console HOLD VMC ARGS  drive "VMC ARGS" (vmc console) in a
                                   pseudo-terminal as a user would: a
                                   command in the guest's shell, its
                                   output, then "~." to leave; with HOLD
                                   a file, say "attached" in it and wait
                                   for it to go before the command;
                                   VMC_LOGIN=USER:PASSWORD logs in first

Exit status 1 with a message on standard error when a check fails.
"""

import json
import os
import plistlib
import shlex
import socket
import sys
import time
import urllib.request

# QEMU's vmnet netdev options (qapi/net.json: NetdevVmnetHostOptions,
# NetdevVmnetSharedOptions, NetdevVmnetBridgedOptions) and the ones each
# backend requires.
VMNET_OPTS = {
    "vmnet-host": {"id", "isolated", "net-uuid", "start-address",
                   "end-address", "subnet-mask"},
    "vmnet-shared": {"id", "isolated", "nat66-prefix", "start-address",
                     "end-address", "subnet-mask"},
    "vmnet-bridged": {"id", "ifname", "isolated"},
}
VMNET_REQUIRED = {
    "vmnet-host": {"id"},
    "vmnet-shared": {"id"},
    "vmnet-bridged": {"id", "ifname"},
}
# "The three address options go together or not at all."
VMNET_TRIO = {"start-address", "end-address", "subnet-mask"}
# -netdev stream, as qemu(1) of QEMU 9.2 lists its options for a unix
# socket; reconnect is 8.0 to 10.1's, reconnect-ms 9.2's on.
STREAM_OPTS = {"id", "server", "addr.type", "addr.path", "reconnect",
               "reconnect-ms"}

# Options that take no value, as far as vmc could emit them.
FLAGS = {"-S", "-nographic", "-no-reboot", "-no-shutdown", "-enable-kvm"}

# Debian's QEMU of each architecture, and the 64 MiB UEFI code image
# (qemu-efi-aarch64) that pflash needs on virt.
QEMU = {
    "qemu-system-x86_64": "/usr/bin/qemu-system-x86_64",
    "qemu-system-aarch64": "/usr/bin/qemu-system-aarch64",
}
AAVMF = "/usr/share/AAVMF/AAVMF_CODE.fd"


def die(msg):
    print(f"helper: {msg}", file=sys.stderr)
    sys.exit(1)


def note(msg):
    print(f"  {msg}", file=sys.stderr)


def qemu_split(value):
    """Split a QEMU option value on ',' where ',,' is a literal comma."""
    parts, cur, i = [], [], 0
    while i < len(value):
        c = value[i]
        if c == "," and value[i + 1:i + 2] == ",":
            cur.append(",")
            i += 2
            continue
        if c == ",":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def qemu_join(parts):
    return ",".join(p.replace(",", ",,") for p in parts)


def sh_words(text):
    # A backslash-newline outside quotes continues the line in sh.
    return shlex.split(text.replace("\\\n", ""))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def freeports(n):
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            port = s.getsockname()[1]
            t = socket.socket()
            socks.append(t)
            try:
                t.bind(("127.0.0.2", port))
            except OSError:
                continue
            ports.append(port)
    finally:
        for s in socks:
            s.close()
    print(" ".join(map(str, ports)))


def get(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as r:
            sys.stdout.write(r.read().decode("utf-8", "replace"))
    except OSError as e:
        die(f"GET {url}: {e}")


def words():
    for w in sh_words(sys.stdin.read()):
        print(w)


def script(path):
    """#!/bin/sh that starts QEMU ARGS... "$@" in the background, once, and
    waits for it: the stop sequence needs a shell around QEMU.  No exec
    (the script must outlive QEMU's start) and no set -m (QEMU stays in
    the job's process group, which launchd kills when the script dies)."""
    with open(path) as f:
        text = f.read()
    if not text.startswith("#!/bin/sh\n"):
        die(f"{path}: does not start with #!/bin/sh")
    lines = text.replace("\\\n", "").split("\n")
    cmds = [l for l in lines if l.strip() and not l.lstrip().startswith("#")]
    starts = [l for l in cmds if l.rstrip().endswith('"$@" &')]
    if len(starts) != 1:
        die(f"{path}: {len(starts)} commands end in '\"$@\" &', want one")
    for l in cmds:
        w = l.split()
        if w[0] == "exec" or (w[0] == "set" and "-m" in w):
            die(f"{path}: {l.strip()!r}")
    cmd = starts[0].rstrip()[:-len('"$@" &')]
    for a in shlex.split(cmd):
        print(a)


def plistargs(path):
    with open(path, "rb") as f:
        try:
            pl = plistlib.load(f, fmt=plistlib.FMT_XML)
        except Exception as e:  # plistlib raises several types
            die(f"{path}: not a valid XML plist: {e}")
    args = pl.get("ProgramArguments")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        die(f"{path}: ProgramArguments is not an array of strings")
    for a in args:
        print(a)


def plistkey(path, key):
    with open(path, "rb") as f:
        pl = plistlib.load(f, fmt=plistlib.FMT_XML)
    if key not in pl:
        die(f"{path}: no {key}")
    print(json.dumps(pl[key], sort_keys=True))


def qmp_ask(path, pid, ask):
    """QEMU's answer to the QMP command ask.  QEMU greets on QMP only once
    its main loop runs, that is once every option was accepted and the
    machine was built.  Gives up when process PID is gone."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    err = None
    for _ in range(100):
        try:
            s.connect(path)
            break
        except OSError as e:
            err = e
            if not os.path.exists(f"/proc/{pid}"):
                die(f"cannot connect to {path}: {err}; process {pid} "
                    "has exited")
            time.sleep(0.1)
    else:
        die(f"cannot connect to {path}: {err}")
    try:
        f = s.makefile("rw")
        if "QMP" not in json.loads(f.readline() or "{}"):
            die("no QMP greeting")
        for cmd in ("qmp_capabilities", ask):
            f.write(json.dumps({"execute": cmd}) + "\n")
            f.flush()
            while True:
                r = json.loads(f.readline() or '{"error": "EOF"}')
                if "return" in r or "error" in r:
                    break
            if "error" in r:
                die(f"{cmd}: {r['error']}")
    except OSError as e:
        die(f"QMP on {path}: {e}")
    finally:
        s.close()
    return r["return"]


def qmpname(path, pid):
    print(qmp_ask(path, pid, "query-name").get("name", ""))


def qmpblock(path, pid):
    """Each drive with a medium, as QEMU has it: its file, its format, and
    rw or ro."""
    for b in qmp_ask(path, pid, "query-block"):
        m = b.get("inserted")
        if m:
            print(m["file"], m["drv"], "ro" if m["ro"] else "rw")


def example(shown, workdir):
    """Check the command line vmc showed for an example; print the variant
    to run on this Linux host.  Only what belongs to the Mac is replaced,
    each replacement noted on standard error: the QEMU binary (by Debian's
    of its architecture), hvf and kvm (by tcg), the UEFI firmware (by
    Debian's), the disk image (by a scratch one of the same format in
    WORKDIR), the QMP socket (into WORKDIR), hostfwd host addresses and ports
    (127.0.0.1, free), vmnet netdevs (by user, once their options were
    checked against QEMU's)."""
    with open(shown) as f:
        argv = sh_words(f.read())
    if not argv:
        die("empty command line")
    errors = []
    if not os.path.isabs(argv[0]):
        errors.append(f"QEMU path {argv[0]!r} is not absolute")
    qemu = QEMU.get(os.path.basename(argv[0]))
    if qemu is None:
        die(f"not a QEMU this test knows: {argv[0]}")
    note(f"{argv[0]} -> {qemu}")
    out = [qemu]
    accel = qmp = False
    i = 1
    while i < len(argv):
        opt = argv[i]
        if not opt.startswith("-"):
            errors.append(f"stray argument {opt!r}")
            i += 1
            continue
        if opt in FLAGS:
            out.append(opt)
            i += 1
            continue
        if i + 1 >= len(argv):
            errors.append(f"{opt} without a value")
            break
        val = argv[i + 1]
        i += 2
        parts = qemu_split(val)
        # What breaks on some host or accelerator: -cpu host needs kvm or
        # hvf, so the tcg fallback fails; macOS QEMU exits on process=.
        if opt == "-cpu" and parts[0] == "host":
            errors.append("-cpu host breaks the tcg fallback; use max")
        if opt == "-name" and any(p.startswith("process=") for p in parts):
            errors.append("-name process= makes macOS QEMU exit 1")
        if opt in ("-daemonize", "-hda"):
            errors.append(f"{opt} is not for launchd / virtio")
        if opt == "-machine" and "highmem=off" in parts:
            errors.append("highmem=off on QEMU 7.1+")
        if opt == "-accel":
            if parts[0] in ("hvf", "kvm"):
                note(f"-accel {parts[0]} dropped (tcg here)")
                continue
            accel = True
        elif opt == "-drive" and "if=pflash" in parts:
            parts = [("file=" + AAVMF) if p.startswith("file=") else p
                     for p in parts]
            note(f"firmware -> {AAVMF}")
            val = qemu_join(parts)
        elif opt == "-drive":
            fmt = next((p[7:] for p in parts if p.startswith("format=")),
                       None)
            if fmt not in ("qcow2", "raw"):
                errors.append(f"-drive without format=qcow2|raw: {val}")
                fmt = "raw"
            img = os.path.join(workdir, "scratch." + fmt)
            parts = [("file=" + img) if p.startswith("file=") else p
                     for p in parts]
            note(f"image -> scratch {fmt}")
            val = qemu_join(parts)
        elif opt == "-chardev" and parts[0] == "socket":
            # The console's socket is in the VM's own run directory when
            # it runs as its own user: here, in the work directory.
            parts = [("path=" + os.path.join(workdir, "console.sock"))
                     if p.startswith("path=") else p for p in parts]
            note("console socket -> work directory")
            val = qemu_join(parts)
        elif opt == "-qmp" and val.startswith("unix:"):
            parts[0] = "unix:" + os.path.join(workdir, "qmp.sock")
            note("QMP socket -> work directory")
            val = qemu_join(parts)
            qmp = True
        elif opt == "-netdev":
            val = netdev(parts, errors)
        out += [opt, val]
    if not accel:
        out += ["-accel", "tcg"]
        note("-accel tcg added")
    if not qmp:
        out += ["-qmp", "unix:" + os.path.join(workdir, "qmp.sock") +
                ",server=on,wait=off"]
        note("-qmp added to see when QEMU is up")
    for e in errors:
        print(f"  error: {e}", file=sys.stderr)
    for a in out:
        if "\n" in a:
            die(f"argument with a newline: {a!r}")
        print(a)
    sys.exit(1 if errors else 0)


def netdev(parts, errors):
    kind = parts[0]
    opts = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k in opts and k != "hostfwd":
            errors.append(f"-netdev {kind}: {k} given twice")
        opts.setdefault(k, []).append(v)
    if kind in VMNET_OPTS:
        bad = set(opts) - VMNET_OPTS[kind]
        missing = VMNET_REQUIRED[kind] - set(opts)
        trio = VMNET_TRIO & set(opts)
        if bad:
            errors.append(f"-netdev {kind}: options QEMU does not have: "
                          + ", ".join(sorted(bad)))
        if missing:
            errors.append(f"-netdev {kind}: missing "
                          + ", ".join(sorted(missing)))
        if trio and trio != VMNET_TRIO:
            errors.append(f"-netdev {kind}: start-address, end-address and "
                          "subnet-mask go together")
        if "isolated" in opts and opts["isolated"][0] not in ("on", "off"):
            errors.append(f"-netdev {kind}: isolated={opts['isolated'][0]}")
        if not bad and not missing:
            note(f"-netdev {kind}: options {', '.join(sorted(opts))} are "
                 "all QEMU's")
        note(f"-netdev {kind} -> user (vmnet is macOS only)")
        return qemu_join(["user", "id=" + opts.get("id", ["net0"])[0]])
    if kind == "stream":
        # socket_vmnet's socket (qemu(1), -netdev stream): a client of a
        # unix socket, with a reconnect option of the host's QEMU.
        bad = set(opts) - STREAM_OPTS
        if bad:
            errors.append("-netdev stream: options QEMU does not have: "
                          + ", ".join(sorted(bad)))
        if opts.get("server") != ["off"] or \
                opts.get("addr.type") != ["unix"] or \
                not opts.get("addr.path", [""])[0].startswith("/"):
            errors.append("-netdev stream: not a client of a unix socket "
                          "by its absolute path")
        note("-netdev stream -> user (socket_vmnet is macOS only)")
        return qemu_join(["user", "id=" + opts.get("id", ["net0"])[0]])
    if kind != "user":
        errors.append(f"-netdev {kind}: neither user nor vmnet")
        return qemu_join(parts)
    new = ["user"]
    for p in parts[1:]:
        if p.startswith("hostfwd="):
            # PROTO:ADDR:HPORT-GADDR:GPORT
            rule = p[len("hostfwd="):]
            proto, _, rest = rule.partition(":")
            host, _, guest = rest.partition("-")
            addr, _, hport = host.rpartition(":")
            if proto not in ("tcp", "udp") or not hport.isdigit():
                errors.append(f"bad hostfwd rule {rule!r}")
            # An empty address binds every interface (qemu(1), -netdev
            # user, hostfwd); vmc always names one.
            if not addr:
                errors.append(f"hostfwd {rule!r} binds every interface")
            port = free_port()
            note(f"hostfwd {proto}:{addr}:{hport} -> 127.0.0.1:{port}")
            p = f"hostfwd={proto}:127.0.0.1:{port}-{guest}"
        new.append(p)
    return qemu_join(new)


def console(hold, argv):
    """A session of vmc console in a pseudo-terminal; prints what it saw
    and exits with vmc's status (1 when the session went wrong)."""
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    seen = b""

    def until(done, timeout):
        """Reads until done(seen) holds; False at the timeout or EOF."""
        nonlocal seen
        end = time.time() + timeout
        while not done(seen):
            left = end - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return False
                if not data:
                    return False
                seen += data
        return True

    def expect(what, timeout):
        start = len(seen)
        return until(lambda b: what in b[start:], timeout)

    ok = expect(b"~. leaves", 10)
    # The shell's prompt after an empty line (the guest's "/ # "); with
    # VMC_LOGIN=USER:PASSWORD, after logging in at getty's prompt.
    os.write(fd, b"\r")
    login = os.environ.get("VMC_LOGIN")
    if login:
        # A guest under TCG on a busy host can take minutes to log in;
        # a refused login is tried again, up to three times.
        user, password = login.split(":", 1)
        for _ in range(3):
            ok = expect(b"login: ", 120)
            os.write(fd, user.encode() + b"\r")
            ok = ok and expect(b"assword: ", 60)
            os.write(fd, password.encode() + b"\r")
            start = len(seen)
            ok = ok and until(lambda b: b"# " in b[start:] or
                              b"incorrect" in b[start:], 240)
            if ok and b"# " in seen[start:]:
                break
            ok = False
    else:
        ok = ok and expect(b"# ", 60)
    if ok and hold != "-":
        with open(hold, "w") as f:
            f.write("attached\n")
        while os.path.exists(hold):
            time.sleep(0.1)
    # Control-C goes to the guest: it ends a sleep there, not vmc.  The
    # sleep runs once the guest has printed what comes before it.
    os.write(fd, b"echo zz-$((1+1)); sleep 100\r")
    ok = ok and expect(b"zz-2", 30)
    # A guest slowed down by a busy host may not have started the sleep
    # when the first Control-C comes: it goes to the shell, the sleep
    # runs on, and the next one ends it.
    for _ in range(4 if ok else 0):
        time.sleep(0.5)
        os.write(fd, b"\x03")
        os.write(fd, b"echo vmc-$((6*7))\r")
        if expect(b"vmc-42", 15):
            break
    else:
        ok = False
    os.write(fd, b"\r~.")
    _, status = os.waitpid(pid, 0)
    try:
        while True:
            data = os.read(fd, 4096)
            if not data:
                break
            seen += data
    except OSError:
        pass
    sys.stdout.write(seen.decode("utf-8", "replace"))
    rc = os.waitstatus_to_exitcode(status)
    sys.exit(rc if rc != 0 else (0 if ok else 1))


def main():
    if len(sys.argv) > 3 and sys.argv[1] == "console":
        console(sys.argv[2], sys.argv[3:])
    cmds = {
        "freeports": (1, lambda a: freeports(int(a[0]))),
        "get": (1, lambda a: get(a[0])),
        "words": (0, lambda a: words()),
        "script": (1, lambda a: script(a[0])),
        "plistargs": (1, lambda a: plistargs(a[0])),
        "plistkey": (2, lambda a: plistkey(a[0], a[1])),
        "qmpname": (2, lambda a: qmpname(a[0], a[1])),
        "qmpblock": (2, lambda a: qmpblock(a[0], a[1])),
        "example": (2, lambda a: example(a[0], a[1])),
    }
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or \
            len(sys.argv) - 2 != cmds[sys.argv[1]][0]:
        die("usage: see the top of helper.py")
    cmds[sys.argv[1]][1](sys.argv[2:])


if __name__ == "__main__":
    main()
