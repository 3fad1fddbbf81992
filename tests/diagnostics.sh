#!/bin/sh
# vmc(1)'s DIAGNOSTICS and the table of messages in compiler/msg.h say
# the same: each name has the same forms in both, and the same level.
# A form is compared as text, with each argument (.Ar in the page, a
# conversion in the format) as a placeholder, and arguments next to each
# other as one; white space and single quotes are not compared.
#
#   sh tests/diagnostics.sh
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir diagnostics

"$top/tests/unit" messages > "$tmp/table" || bad "tests/unit messages"
if ! python3 - "$top/man/vmc.1" "$tmp/table" > "$tmp/out" <<'PY'; then
import sys

DELIMS = set(".,:;?!()[]|")

def squash(s):
    s = "".join(s.replace("'", "").split())
    while "%%" in s:
        s = s.replace("%%", "%")
    return s

def page_form(line):
    """A form in the page: .Ar and the argument after it are one '%'."""
    out, arg = [], False
    for tok in line.replace("\\&", "").replace("\\e", "\\").split():
        if tok in ("No", "Ns", "Ar", "Cm", "Li"):
            arg = tok == "Ar"
        elif arg and not set(tok) <= DELIMS:
            out.append("%")
        else:
            out.append(tok)
    return squash(" ".join(out))

def table_form(fmt):
    """A format of the table: each conversion is one '%'."""
    out, i = "", 0
    while i < len(fmt):
        if fmt[i] == "%":
            i += 1
            while fmt[i] not in "sdiuoxXcp":
                i += 1
            out += "%"
        else:
            out += fmt[i]
        i += 1
    return squash(out)

page, level, name = {}, {}, None
lines = open(sys.argv[1]).read().split("\n")
for line in lines[lines.index(".Sh DIAGNOSTICS") + 1:]:
    if line.startswith(".Sh "):
        break
    words = line.split()
    if line.startswith(".It Sy "):
        name = words[2]
        if name in page:
            print("FAIL vmc(1) names %s twice" % name)
        page[name] = []
        level[name] = words[4] if len(words) > 4 else "error"
    elif name is not None and words and words[0] in (".No", ".Ar"):
        page[name].append(page_form(line[1:]))
    elif not line.startswith(".br"):
        name = None

table = {}
for row in open(sys.argv[2]):
    n, lvl, fmt = row.rstrip("\n").split("\t")
    table.setdefault(n, []).append(table_form(fmt))
    if level.get(n, lvl) != lvl:
        print("FAIL %s: a %s in compiler/msg.h, a %s in vmc(1)" % (
            n, lvl, level[n]))

bad = 0
for n in sorted(set(page) | set(table)):
    for f in page.get(n, []):
        if f not in table.get(n, []):
            bad += 1
            print("FAIL %s: vmc(1) has a form compiler/msg.h has not: %s"
                % (n, f))
    for f in table.get(n, []):
        if f not in page.get(n, []):
            bad += 1
            print("FAIL %s: compiler/msg.h has a form vmc(1) has not: %s"
                % (n, f))
if bad == 0:
    print("ok   vmc(1) and compiler/msg.h list %d messages in %d forms" % (
        len(table), sum(len(v) for v in table.values())))
PY
	bad "the comparison ran to its end"
fi
while read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	esac
done < "$tmp/out"
[ -s "$tmp/out" ] || bad "the comparison printed nothing"
finish
