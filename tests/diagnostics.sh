#!/bin/sh
# The DIAGNOSTICS section of vmc(1) names every message: each message
# the regression cases print matches one of its forms, each message
# written in compiler/ appears there, and each form there is still
# written in compiler/.  White space is not compared.
#
#   sh tests/diagnostics.sh
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
tempdir diagnostics

if ! python3 - "$top" > "$tmp/out" <<'PY'
import glob, os, re, sys

top = sys.argv[1]
MACROS = {"No", "Ns", "Ar", "Li", "Cm", "Sy", "Em", "Ql"}
DELIMS = set(".,:;?!()[]|")

def form(line):
    """A message line of the catalogue: its regex and its literal text."""
    parts, lit, ph = [], [], False
    for tok in line[1:].replace("\\&", "").replace("\\e", "\\").split():
        if tok in MACROS:
            ph = tok == "Ar"
            continue
        if ph and not all(c in DELIMS for c in tok):
            parts.append(None)
            continue
        parts.append(tok)
        lit.append(tok)
    rx = "".join(".*" if p is None else re.escape(p) for p in parts)
    return re.compile(rx + r"\Z", re.S), " ".join(lit)

page = open(os.path.join(top, "man/vmc.1")).read().split("\n")
start = page.index(".Sh DIAGNOSTICS")
forms, ids = [], set()
cur = None
for line in page[start + 1:]:
    if line.startswith(".Sh "):
        break
    m = re.match(r"\.It Sy (\S+)", line)
    if m:
        cur = m.group(1)
        if cur in ids:
            print("FAIL the name %s is used twice" % cur)
        ids.add(cur)
        continue
    if cur is not None and line.startswith(".") and \
            line[1:3] in ("No", "Ar"):
        rx, lit = form(line)
        forms.append((cur, rx, lit))
    elif line.startswith(".br"):
        continue
    else:
        cur = None
print("ok   vmc(1) names %d messages in %d forms" % (len(ids), len(forms)))

def squash(s):
    return re.sub(r"\s+", "", s)

# 1. What the regression cases print.
unmatched = 0
seen = set()
for path in sorted(glob.glob(os.path.join(top, "tests/regress/*/stderr"))):
    for line in open(path, errors="replace"):
        m = re.search(r": (error|warning|note): (.*)$", line.rstrip("\n"))
        if not m:
            continue
        msg = squash(m.group(2))
        hit = [f for f in forms if f[2] and f[1].match(msg)]
        if not hit:
            unmatched += 1
            print("FAIL %s: not in vmc(1): %s" % (
                os.path.basename(os.path.dirname(path)), m.group(2)))
        seen.update(f[0] for f in hit)
if unmatched == 0:
    print("ok   every message of the regression cases is in vmc(1)")

# 2. What compiler/ writes: the text between the conversions of each
# message format, quotes aside, is in a form of vmc(1).
def args_of(text, i):
    """The arguments of the call whose '(' ends at i, and where it ends."""
    args, cur, depth = [], "", 1
    while depth:
        c = text[i]
        if c == '"':
            k = i + 1
            while text[k] != '"':
                k += 2 if text[k] == "\\" else 1
            cur += text[i:k + 1]
            i = k + 1
            continue
        if c == "'":
            k = text.index("'", i + 2 if text[i + 1] == "\\" else i + 1)
            cur += text[i:k + 1]
            i = k + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 1:
            args.append(cur)
            cur = ""
        elif depth:
            cur += c
        i += 1
    return args + [cur]

def unquote(s):
    return squash(s.replace("\\'", "").replace("'", "").replace('\\"', ""))

catalogue = unquote(" | ".join(f[2] for f in forms))
src = ""
for path in sorted(glob.glob(os.path.join(top, "compiler/*.c"))):
    src += "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', open(path).read()))
src = squash(src)
missing = 0
for path in sorted(glob.glob(os.path.join(top, "compiler/*.c"))):
    text = open(path).read()
    for m in re.finditer(r"\bdiag_(error|warn|sys|note)\s*\(", text):
        args = args_of(text, m.end())
        fmt = args[2] if m.group(1) in ("sys", "note") else args[3]
        # Each alternative of a ?: is a run of adjacent literals.
        for alt in re.findall(r'(?:"(?:[^"\\]|\\.)*"\s*)+', fmt):
            lits = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', alt))
            for c in re.split(r"%[-0-9.*]*(?:ll|l|z|j|h)?[a-z]", lits):
                c = unquote(c)
                if len(c) >= 4 and c not in catalogue:
                    missing += 1
                    print("FAIL %s:%d: not in vmc(1): %s" % (
                        os.path.basename(path),
                        text[:m.start()].count("\n") + 1, c))
if missing == 0:
    print("ok   every message written in compiler/ is in vmc(1)")

# 3. Every form is still written somewhere in compiler/.
stale = 0
for name, rx, lit in forms:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", lit) if len(w) >= 3]
    gone = [w for w in words if w not in src]
    if gone:
        stale += 1
        print("FAIL %s: vmc(1) has words compiler/ never writes: %s" % (
            name, " ".join(gone)))
if stale == 0:
    print("ok   every form in vmc(1) is written by compiler/")
PY
then
	bad "the catalogue check ran to its end"
fi
while read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	esac
done < "$tmp/out"
finish
