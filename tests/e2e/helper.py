#!/usr/bin/env python3
"""Small parsers for run.sh, which stays plain sh for the process handling.

  helper.py freeports N            N TCP ports free on 127.0.0.1 and 127.0.0.2
  helper.py get URL                print the body of an HTTP GET (no proxy)
  helper.py words                  shell words of standard input, one a line
  helper.py script FILE            check a generated launch script; print
                                   the words it execs, one a line
  helper.py plistargs FILE         ProgramArguments of a plist, one a line
  helper.py example SHOWN WORKDIR  check a shown command line, print the
                                   arguments to run it here, one a line
"""

import os
import plistlib
import shlex
import socket
import sys
import urllib.request

# QEMU's vmnet netdev options (REFERENCE.md, "QEMU": the three -netdev
# vmnet-* lines) and which of them each backend requires.
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

QEMU = "/usr/bin/qemu-system-x86_64"


def die(msg):
    print(f"helper: {msg}", file=sys.stderr)
    sys.exit(1)


def qemu_split(value):
    """Split a QEMU option value on ',' where ',,' is a literal comma."""
    parts, cur, i = [], [], 0
    while i < len(value):
        c = value[i]
        if c == ",":
            if value[i + 1:i + 2] == ",":
                cur.append(",")
                i += 2
                continue
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def qemu_join(parts):
    return ",".join(p.replace(",", ",,") for p in parts)


def freeports(n):
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            t = socket.socket()
            try:
                t.bind(("127.0.0.2", port))
            except OSError:
                s.close()
                t.close()
                continue
            socks += [s, t]
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


def sh_words(text):
    # A backslash-newline outside quotes continues the line in sh.
    return shlex.split(text.replace("\\\n", ""))


def words():
    for w in sh_words(sys.stdin.read()):
        print(w)


def script(path):
    """The script must be #!/bin/sh, comments, and one command:
    exec QEMU ARGS... "$@" (REFERENCE.md, "launchd": exec the program)."""
    with open(path) as f:
        text = f.read()
    if not text.startswith("#!/bin/sh\n"):
        die(f"{path}: does not start with #!/bin/sh")
    lines = text.replace("\\\n", "").split("\n")
    cmds = [l for l in lines if l.strip() and not l.lstrip().startswith("#")]
    if len(cmds) != 1:
        die(f"{path}: {len(cmds)} commands, want one exec: {cmds!r}")
    cmd = cmds[0].rstrip()
    if (not cmd.startswith("exec ") or not cmd.endswith('"$@"') or
            not cmd[-5].isspace()):
        die(f"{path}: not 'exec ... \"$@\"': {cmd!r}")
    w = shlex.split(cmd[:-4])
    for a in w[1:]:
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


def example(shown, workdir):
    """Check the shown command line of an example; write the variant to run
    on this Linux host. Only host-specific parts are replaced, each reported
    on standard error: the QEMU binary, hvf/kvm (by tcg), the disk image (by
    a scratch one of the same format), the QMP socket path, hostfwd host
    addresses and ports (loopback, free), vmnet netdevs (by user, after
    their options were checked against QEMU's)."""
    with open(shown) as f:
        argv = sh_words(f.read())
    if not argv:
        die("empty command line")
    errors = []
    note = lambda m: print(f"  {m}", file=sys.stderr)
    if not os.path.isabs(argv[0]):
        errors.append(f"QEMU path {argv[0]!r} is not absolute")
    if not os.path.basename(argv[0]).startswith("qemu-system-x86_64"):
        die(f"not an x86_64 QEMU: {argv[0]}")
    note(f"binary {argv[0]} -> {QEMU}")
    out = [QEMU]
    accel_seen = False
    i = 1
    while i < len(argv):
        opt = argv[i]
        val = argv[i + 1] if i + 1 < len(argv) else None
        if not opt.startswith("-"):
            errors.append(f"stray argument {opt!r}")
            i += 1
            continue
        takes = opt not in ("-S", "-nographic", "-no-reboot",
                            "-no-shutdown", "-enable-kvm")
        if takes and val is None:
            errors.append(f"{opt} without a value")
            break
        if opt == "-accel":
            a = qemu_split(val)[0]
            if a in ("hvf", "kvm"):
                note(f"-accel {a} dropped (tcg here)")
            else:
                accel_seen = True
                out += [opt, val]
        elif opt == "-drive" and "if=pflash" not in qemu_split(val):
            parts = qemu_split(val)
            fmt = next((p[7:] for p in parts if p.startswith("format=")),
                       None)
            if fmt not in ("qcow2", "raw"):
                errors.append(f"-drive without format=qcow2|raw: {val}")
                fmt = "raw"
            img = os.path.join(workdir, "scratch." + fmt)
            parts = [("file=" + img) if p.startswith("file=") else p
                     for p in parts]
            note(f"image -> scratch {fmt}")
            out += [opt, qemu_join(parts)]
        elif opt == "-qmp" and val.startswith("unix:"):
            parts = qemu_split(val)
            parts[0] = "unix:" + os.path.join(workdir, "qmp.sock")
            note("QMP socket -> work directory")
            out += [opt, qemu_join(parts)]
        elif opt == "-netdev":
            out += [opt, netdev(val, errors, note)]
        else:
            out.append(opt)
            if takes:
                out.append(val)
        i += 2 if takes else 1
    if not accel_seen:
        out += ["-accel", "tcg"]
        note("-accel tcg added")
    for e in errors:
        print(f"  error: {e}", file=sys.stderr)
    for a in out:
        if "\n" in a:
            die(f"argument with a newline: {a!r}")
        print(a)
    sys.exit(1 if errors else 0)


def netdev(val, errors, note):
    parts = qemu_split(val)
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
            errors.append(f"-netdev {kind}: missing " +
                          ", ".join(sorted(missing)))
        if trio and trio != VMNET_TRIO:
            errors.append(f"-netdev {kind}: start-address, end-address and "
                          "subnet-mask go together")
        for k in ("isolated",):
            if k in opts and opts[k][0] not in ("on", "off"):
                errors.append(f"-netdev {kind}: {k}={opts[k][0]}")
        note(f"-netdev {kind} options ok against QEMU's: "
             + ", ".join(sorted(opts)) if not bad and not missing else
             f"-netdev {kind} options checked")
        note(f"-netdev {kind} -> user (vmnet is macOS only)")
        return qemu_join(["user", "id=" + opts.get("id", ["net0"])[0]])
    if kind != "user":
        errors.append(f"-netdev {kind}: not user or vmnet")
        return val
    new = ["user"]
    for p in parts[1:]:
        if p.startswith("hostfwd="):
            # PROTO:ADDR:HPORT-GADDR:GPORT
            rule = p[8:]
            proto, _, rest = rule.partition(":")
            host, _, guest = rest.partition("-")
            addr, _, hport = host.rpartition(":")
            if proto not in ("tcp", "udp") or not hport.isdigit():
                errors.append(f"bad hostfwd rule {rule!r}")
            port = next_port()
            note(f"hostfwd {proto}:{addr}:{hport} -> 127.0.0.1:{port}")
            p = f"hostfwd={proto}:127.0.0.1:{port}-{guest}"
        new.append(p)
    return qemu_join(new)


def next_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    if len(sys.argv) < 2:
        die("usage: see the top of helper.py")
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "freeports" and len(args) == 1:
        freeports(int(args[0]))
    elif cmd == "get" and len(args) == 1:
        get(args[0])
    elif cmd == "words" and not args:
        words()
    elif cmd == "script" and len(args) == 1:
        script(args[0])
    elif cmd == "plistargs" and len(args) == 1:
        plistargs(args[0])
    elif cmd == "example" and len(args) == 2:
        example(*args)
    else:
        die("usage: see the top of helper.py")


if __name__ == "__main__":
    main()
