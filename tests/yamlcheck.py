#!/usr/bin/env python3
"""Reads a NoCloud seed directory as cloud-init does, with PyYAML's safe
loader (cloud-init's util.load_yaml), and checks what it finds: meta-data
a mapping of an instance-id, a local-hostname and a list of public keys,
each a string of one line; network-config a version 2 network or a
disabled one; user-data, when it is #cloud-config, a mapping."""
import os
import re
import sys

import yaml

BREAKS = re.compile("[\n\r\x85\u2028\u2029]")


def one_line(errors, what, value):
    if not isinstance(value, str):
        errors.append("%s is not a string: %r" % (what, value))
    elif not value or BREAKS.search(value):
        errors.append("%s is empty or spans lines: %r" % (what, value))


def check(seed):
    errors = []
    with open(os.path.join(seed, "meta-data"), encoding="utf-8") as f:
        meta = yaml.safe_load(f)
    if not isinstance(meta, dict):
        return ["meta-data is not a mapping"]
    for key in meta:
        if key not in ("instance-id", "local-hostname", "public-keys"):
            errors.append("meta-data has an unexpected key %r" % key)
    one_line(errors, "instance-id", meta.get("instance-id"))
    one_line(errors, "local-hostname", meta.get("local-hostname"))
    keys = meta.get("public-keys", [])
    if not isinstance(keys, list):
        errors.append("public-keys is not a list")
    else:
        for k in keys:
            one_line(errors, "a public key", k)
    with open(os.path.join(seed, "network-config"), encoding="utf-8") as f:
        net = yaml.safe_load(f)
    if not isinstance(net, dict) or not isinstance(net.get("network"), dict):
        errors.append("network-config has no network mapping")
    elif net["network"] != {"config": "disabled"}:
        n = net["network"]
        if n.get("version") != 2 or not isinstance(n.get("ethernets"), dict):
            errors.append("network-config is not version 2 with ethernets")
        else:
            for name, eth in n["ethernets"].items():
                mac = eth.get("match", {}).get("macaddress", "")
                if not re.fullmatch("([0-9a-f]{2}:){5}[0-9a-f]{2}", mac):
                    errors.append("%s matches no MAC: %r" % (name, mac))
    with open(os.path.join(seed, "user-data"), "rb") as f:
        ud = f.read()
    if ud.startswith(b"#cloud-config"):
        if not isinstance(yaml.safe_load(ud), (dict, type(None))):
            errors.append("user-data is #cloud-config but not a mapping")
    return errors


def main():
    bad = 0
    for seed in sys.argv[1:]:
        try:
            errors = check(seed)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            errors = [str(e).replace("\n", " ")]
        for e in errors:
            print("%s: %s" % (seed, e), file=sys.stderr)
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
