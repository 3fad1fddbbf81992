# vmc: compile INI VM profiles into QEMU launch scripts and launchd jobs.

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
MANDIR ?=	$(PREFIX)/share/man
PKG_CONFIG ?=	pkg-config
INSTALL ?=	install

# libbsd supplies strlcpy(3) and strtonum(3) on Linux; macOS has them.
UNAME ?=	$(shell uname)
PKGS_Linux =	inih libbsd-overlay
PKGS_Darwin =	inih
PKGS =		$(PKGS_$(UNAME))
CFLAGS ?=	-O2 -g
CFLAGS +=	-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra \
		$(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS +=	$(shell $(PKG_CONFIG) --libs $(PKGS))

SRCS =		compiler/buf.c compiler/path.c compiler/look.c \
		compiler/quote.c compiler/diag.c compiler/value.c \
		compiler/parse.c compiler/schema.c compiler/model.c \
		compiler/host.c compiler/derive.c compiler/resolve.c \
		compiler/validate_disk.c compiler/validate_seed.c \
		compiler/validate_net.c compiler/validate_vm.c \
		compiler/validate_fleet.c compiler/validate_nets.c \
		compiler/validate_lan.c \
		compiler/qemu.c compiler/emit_sh.c compiler/emit_plist.c \
		compiler/emit_seed.c \
		compiler/state.c compiler/index.c compiler/output.c \
		compiler/commit.c \
		compiler/compile.c compiler/compile_hosts.c \
		compiler/proc.c compiler/launchd.c \
		compiler/running.c compiler/plan.c compiler/place.c \
		compiler/install.c \
		compiler/status.c compiler/operate.c compiler/console.c \
		compiler/main.c
OBJS =		$(SRCS:.c=.o)
LIBOBJS =	$(filter-out compiler/main.o,$(OBJS))
# A build's state names the sources that made vmc: another vmc rebuilds.
SOURCE_ID =	$(shell cat $(SRCS) compiler/*.h | cksum | cut -d ' ' -f 1)

# The shipped examples: each directory of profiles/ is built for the Mac
# its mac.host describes, into the directory of that name in output/;
# the fleet of ansible/fleet, the same lab on three Macs, into
# output/fleet/HOST.
EXAMPLES =	apple-silicon intel
EXAMPLE_RUNDIR = "/Library/Application Support/vmc"

all: compiler/vmc

compiler/vmc: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(OBJS) tests/unit: compiler/vmc.h compiler/msg.h
compiler/plan.o compiler/place.o compiler/install.o: compiler/plan.h
compiler/schema.o compiler/model.o: compiler/schema.h
compiler/output.o compiler/commit.o: compiler/output.h
compiler/validate_lan.o compiler/compile.o compiler/compile_hosts.o compiler/main.o: compiler/fleet.h
compiler/state.o: $(SRCS)
compiler/state.o: CFLAGS += -DVMC_SOURCE_ID='"$(SOURCE_ID)"'

tests/unit: tests/unit.c $(LIBOBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ tests/unit.c $(LIBOBJS) $(LDLIBS)

# The main job on the shipped examples.
examples: compiler/vmc
	for m in $(EXAMPLES); do \
		./compiler/vmc build -H profiles/$$m/mac.host \
		    -p $(EXAMPLE_RUNDIR) -o output/$$m profiles/$$m || exit 1; \
	done
	./compiler/vmc build -F ansible/fleet -o output/fleet

# The end-to-end suites boot a Debian guest and run both architectures'
# QEMU, so they need a Linux host;
# on Linux the sources are also compiled against macOS's headers, and
# fuzzed, sanitized, run under valgrind, fed faults, killed and raced.
E2E_Linux =	e2e arch ansible macos harden
FUZZ_SECONDS ?=	60

# The fast suites: what a developer runs before each commit.
test: compiler/vmc tests/unit
	./tests/unit
	sh tests/regress.sh
	sh tests/examples.sh
	sh tests/fleet.sh
	sh tests/state.sh
	sh tests/resolve.sh
	sh tests/install.sh
	sh tests/netinstall.sh
	sh tests/layers.sh
	sh tests/diagnostics.sh
	sh tests/host.sh
	sh tests/firststart.sh
	mandoc -Tlint -W warning man/vmc.1 man/vmc.5

# Everything: the fast suites, the benchmarks' checks, real QEMU and
# guests, fuzzing, sanitizers, faults and kills.
check: test
	BENCH_N=1000 BENCH_REPS=1 sh tests/bench/bench.sh
	BENCH_INSTALL_N=200 sh tests/bench/install.sh
	@$(MAKE) $(E2E_$(UNAME)) || exit 1
	@[ "$(UNAME)" = Linux ] || echo "e2e: not run: it boots a Linux guest on a Linux host"

e2e: compiler/vmc
	VMC=compiler/vmc sh tests/e2e/run.sh
	VMC=compiler/vmc sh tests/e2e/cloudinit.sh
	VMC=compiler/vmc sh tests/e2e/operate.sh
	VMC=compiler/vmc sh tests/e2e/socket_vmnet.sh

# Scripts of both guest architectures on this machine's real QEMU.
arch: compiler/vmc
	VMC=compiler/vmc sh tests/e2e/arch.sh

# The Ansible role rolling a fleet of three Macs out, each a network
# namespace with its own sshd: a few minutes, no QEMU.
ansible: compiler/vmc
	VMC=compiler/vmc sh tests/ansible/run.sh

macos:
	sh tests/macos/syntax.sh

harden: compiler/vmc fuzz
	sh tests/sanitize.sh
	sh tests/faults/run.sh
	sh tests/crash.sh

# make fuzz FUZZ_SECONDS=1800 fuzzes longer; make check fuzzes a minute.
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

# Each mutation in tests/mutations must make a fast suite fail.
mutate:
	sh tests/mutate.sh

# Fleet-scale timings against the I/O floor: see BENCHMARKS.md.
# The guest-side defaults measured on the real Debian guest: 15-25 min.
measure: compiler/vmc
	VMC=compiler/vmc sh tests/e2e/guestdefaults.sh

bench: compiler/vmc
	sh tests/bench/bench.sh
	sh tests/bench/install.sh
	VMC=compiler/vmc sh tests/bench/rollout.sh

install: compiler/vmc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 755 compiler/vmc $(DESTDIR)$(BINDIR)/vmc
	$(INSTALL) -m 644 man/vmc.1 $(DESTDIR)$(MANDIR)/man1/vmc.1
	$(INSTALL) -m 644 man/vmc.5 $(DESTDIR)$(MANDIR)/man5/vmc.5

clean:
	rm -f compiler/vmc $(OBJS) tests/unit
	rm -rf tests/fuzz/build

.PHONY: all ansible arch bench check clean e2e examples fuzz harden install macos measure \
	mutate test
