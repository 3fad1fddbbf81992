#!/bin/sh
# Mutation test: each line of tests/mutations changes the compiler in one
# small way that a test must notice.  For each, in a copy of the tree,
# the change is made, vmc rebuilt and the fast suites of make test run
# (unit, regress, examples, fleet, state, resolve, host, netinstall,
# install, diagnostics, firststart)
# until one fails: the mutation
# is then caught.  One that every suite passes survived, which means a missing
# test; one whose text is no longer found exactly once is stale, which
# means the list no longer matches the code.  Either fails the run.
#
#   sh tests/mutate.sh [-n] [N ...]
#
# N: only the mutations on these lines of the list.  -n only checks that
# each mutation's string is found once, without building or testing.
#
# The working tree is never touched.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
. "$top/tests/lib.sh"
list=$top/tests/mutations
dry=0
if [ "${1:-}" = -n ]; then
	dry=1
	shift
fi
tempdir mutate
base=$tmp/base
work=$tmp/work
caught=0 survived=0 stale=0

# The sources, the tests and what they read; no build products.
mkdir "$base"
(cd "$top" && tar cf - --exclude=tests/fuzz/build --exclude='*.o' \
    --exclude=compiler/vmc --exclude=tests/unit Makefile compiler tests \
    profiles output man ansible) | (cd "$base" && tar xf -) ||
    { bad "setup" "cannot copy the tree"; finish; }
cp -R "$base" "$work"

# suites: runs the fast suites in the copy; prints the first to fail.
suites() {
	(cd "$work" && make -s -j2 compiler/vmc tests/unit) \
	    > "$tmp/build.log" 2>&1 || { echo build; return 1; }
	(cd "$work" && ./tests/unit) > "$tmp/suite.log" 2>&1 ||
	    { echo unit; return 1; }
	for s in regress examples fleet state resolve host netinstall install \
	    diagnostics firststart; do
		VMC='' sh "$work/tests/$s.sh" > "$tmp/suite.log" 2>&1 ||
		    { echo "$s"; return 1; }
	done
	return 0
}

# mutate FILE FROM TO: replaces the one occurrence of FROM in FILE by TO,
# both taken as they are; 1 when FROM does not occur exactly once (an
# empty FROM, from a field that starts with a tab, never does).
mutate() {
	[ -n "$2" ] || return 1
	FROM=$2 TO=$3 awk '
	{ text = text $0 "\n" }
	END {
		from = ENVIRON["FROM"]; to = ENVIRON["TO"]
		n = 0; rest = text
		while ((i = index(rest, from)) > 0) {
			n++
			rest = substr(rest, i + length(from))
		}
		if (n != 1)
			exit 1
		i = index(text, from)
		printf "%s%s%s", substr(text, 1, i - 1), to,
		    substr(text, i + length(from))
	}' "$1" > "$tmp/mutant" && cat "$tmp/mutant" > "$1"
}

# Without mutations every suite must pass, or nothing can be told.
if [ $dry = 1 ]; then
	:
elif s=$(suites < /dev/null); then
	echo "unmutated: every fast suite passes"
else
	bad "unmutated" "the $s suite fails without a mutation"
	sed 's/^/	/' "$tmp/build.log" "$tmp/suite.log" | tail -n 30
	finish
fi

n=0
while IFS= read -r line <&3; do
	n=$((n + 1))
	case $line in '' | '#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		case " $* " in *" $n "*) ;; *) continue ;; esac
	fi
	file=$(printf '%s\n' "$line" | cut -f 1)
	from=$(printf '%s\n' "$line" | cut -f 2)
	to=$(printf '%s\n' "$line" | cut -f 3)
	what=$(printf '%s\n' "$line" | cut -f 4)
	name="$n: $file: $what"
	if [ -z "$what" ]; then
		bad "$name" "not FILE, FROM, TO and WHAT separated by tabs"
		continue
	fi
	if ! mutate "$work/$file" "$from" "$to"; then
		stale=$((stale + 1))
		bad "$name" "stale: '$from' is not in $file exactly once"
		continue
	fi
	if [ $dry = 1 ]; then
		ok "$name"
		cp "$base/$file" "$work/$file"
		continue
	fi
	if s=$(suites < /dev/null); then
		survived=$((survived + 1))
		bad "$name" "survived every fast suite"
	else
		caught=$((caught + 1))
		ok "$name (caught by $s)"
	fi
	cp "$base/$file" "$work/$file"
done 3< "$list"
echo "$caught caught, $survived survived, $stale stale"
finish
