#!/usr/bin/env python3
"""Parses launchd property lists strictly and checks the keys vmc writes."""
import os
import plistlib
import sys

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


def check(path):
    with open(path, "rb") as f:
        data = plistlib.load(f, fmt=plistlib.FMT_XML)
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
    ka = data.get("KeepAlive")
    if isinstance(ka, dict) and ka != {"SuccessfulExit": False}:
        errors.append("KeepAlive dict is not {SuccessfulExit: false}")
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
