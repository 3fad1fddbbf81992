#!/usr/bin/env python3
"""Parses launchd property lists strictly and checks the keys vmc writes:
a VM's job, or a network's socket_vmnet daemon (local.vmc.net.*), whose
command line is read by the socket_vmnet stand-in's own parser, which
takes socket_vmnet's documented flags."""
import contextlib
import importlib.machinery
import io
import os
import plistlib
import sys

NET_LABEL = "local.vmc.net."
NET_KEYS = {
    "Label": str,
    "ProgramArguments": list,
    "RunAtLoad": bool,
    "KeepAlive": bool,
    "StandardOutPath": str,
    "StandardErrorPath": str,
    "ProcessType": str,
}

REQUIRED = {
    "Label": str,
    "ProgramArguments": list,
    "RunAtLoad": bool,
    "KeepAlive": (bool, dict),
    "StandardOutPath": str,
    "StandardErrorPath": str,
    "ExitTimeOut": int,
    "ProcessType": str,
}
OPTIONAL = {"UserName": str}


def standin():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "socket_vmnet", "socket_vmnet")
    return importlib.machinery.SourceFileLoader("socket_vmnet",
                                                path).load_module()


def check_net(path, data):
    """socket_vmnet's daemon: as root (the default), at load, kept
    alive, its options those socket_vmnet takes, then the socket."""
    errors = []
    for key, kind in NET_KEYS.items():
        if not isinstance(data.get(key), kind):
            errors.append("%s missing or of the wrong type" % key)
    for key in data:
        if key not in NET_KEYS:
            errors.append("unexpected key %s" % key)
    if os.path.basename(path) != "%s.plist" % data.get("Label"):
        errors.append("file name does not match Label")
    if data.get("RunAtLoad") is not True or data.get("KeepAlive") is not True:
        errors.append("RunAtLoad and KeepAlive are not both true")
    if data.get("ProcessType") != "Interactive":
        errors.append("ProcessType is not Interactive")
    for p in ("StandardOutPath", "StandardErrorPath"):
        if not str(data.get(p, "")).startswith("/"):
            errors.append("%s is not absolute" % p)
    args = data.get("ProgramArguments") or [""]
    if not args[0].startswith("/") or not args[-1].startswith("/"):
        errors.append("ProgramArguments: program or socket not absolute")
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), \
                contextlib.redirect_stdout(said):
            o = standin().parse(args[1:])
    except SystemExit:
        errors.append("socket_vmnet refuses its arguments: %s"
                      % said.getvalue().strip().splitlines()[:1])
        return errors
    if not any(a.startswith("--socket-group=") for a in args):
        errors.append("no --socket-group: socket_vmnet's default, staff, "
                      "lets every user connect")
    if o["socket"] != args[-1]:
        errors.append("the socket is not the last argument")
    return errors


def check(path):
    with open(path, "rb") as f:
        data = plistlib.load(f, fmt=plistlib.FMT_XML)
    if str(data.get("Label", "")).startswith(NET_LABEL):
        return check_net(path, data)
    errors = []
    for key, kind in REQUIRED.items():
        if not isinstance(data.get(key), kind):
            errors.append("%s missing or of the wrong type" % key)
    for key in data:
        if key not in REQUIRED and key not in OPTIONAL:
            errors.append("unexpected key %s" % key)
    if os.path.basename(path) != "%s.plist" % data.get("Label"):
        errors.append("file name does not match Label")
    args = data.get("ProgramArguments") or [""]
    if len(args) != 1 or not args[0].startswith("/") or \
            not args[0].endswith(".sh"):
        errors.append("ProgramArguments is not one absolute script path")
    if data.get("ProcessType") != "Interactive":
        errors.append("ProcessType is not Interactive")
    # launchd.plist(5): KeepAlive true, and SuccessfulExit, start the job
    # when it is loaded; without RunAtLoad only a PathState marker may
    # restart it (vmc(5), autostart and restart).
    ka = data.get("KeepAlive")
    if data.get("RunAtLoad") is True:
        if isinstance(ka, dict) and ka != {"SuccessfulExit": False}:
            errors.append("KeepAlive dict is not {SuccessfulExit: false}")
    elif ka is True:
        errors.append("KeepAlive true starts a job without RunAtLoad")
    elif isinstance(ka, dict):
        ps = ka.get("PathState")
        if list(ka) != ["PathState"] or not isinstance(ps, dict) or \
                len(ps) != 1 or list(ps.values()) != [True] or \
                not list(ps)[0].startswith("/"):
            errors.append("KeepAlive without RunAtLoad is not "
                          "{PathState: {/absolute/marker: true}}")
    # ExitTimeOut 0 means never kill; vmc adds 30 s to stop-timeout.
    et = data.get("ExitTimeOut")
    if isinstance(et, int) and not 31 <= et <= 3630:
        errors.append("ExitTimeOut %d is not stop-timeout (1..3600) + 30"
                      % et)
    if data.get("UserName") == "root":
        errors.append("UserName root is the default and must be left out")
    for p in ("StandardOutPath", "StandardErrorPath"):
        if not str(data.get(p, "")).startswith("/"):
            errors.append("%s is not absolute" % p)
    return errors


def main():
    bad = 0
    for path in sys.argv[1:]:
        try:
            errors = check(path)
        except Exception as e:  # a parse error is a finding, not a crash
            errors = ["does not parse: %s" % e]
        for e in errors:
            print("%s: %s" % (path, e))
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
