# vmc: compile INI VM profiles into QEMU launch scripts and launchd jobs.

PREFIX ?=	/usr/local
BINDIR ?=	$(PREFIX)/bin
MANDIR ?=	$(PREFIX)/share/man
PKG_CONFIG ?=	pkg-config

# libbsd supplies vis(3) and friends on Linux; macOS has them natively.
UNAME ?=	$(shell uname)
PKGS_Linux =	inih libbsd-overlay
PKGS_Darwin =	inih
VIS_Linux =	-DLIBBSD_NETBSD_VIS
PKGS =		$(PKGS_$(UNAME))
CFLAGS ?=	-O2 -g
CFLAGS +=	-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra $(VIS_$(UNAME)) \
		$(shell $(PKG_CONFIG) --cflags $(PKGS))
LDLIBS +=	$(shell $(PKG_CONFIG) --libs $(PKGS))

SRCS =		compiler/buf.c compiler/diag.c compiler/emit_plist.c \
		compiler/emit_sh.c compiler/host.c compiler/main.c \
		compiler/output.c compiler/qemu.c compiler/quote.c \
		compiler/read.c compiler/schema.c compiler/validate.c \
		compiler/value.c
OBJS =		$(SRCS:.c=.o)

all: compiler/vmc

compiler/vmc: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(OBJS): compiler/vmc.h

clean:
	rm -f compiler/vmc $(OBJS)

.PHONY: all clean
