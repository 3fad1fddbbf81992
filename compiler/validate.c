#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmc.h"

/*
 * Checks one profile against the host, then the whole set against
 * itself.  Writes no file; every finding is a diagnostic.
 */

#define MIN_MEMORY	(16ULL << 20)
#define QEMU_MAC	0x525400123456ULL	/* every QEMU's first default */
#define MAX_SUN_PATH	103			/* macOS sun_path less the NUL */
#define MAX_LISTED	8			/* VMs named in one message */

static struct loc
val_at(const struct vm *vm, const struct val *v)
{
	return v->at.line > 0 ? v->at : vm->at;
}

static void
check_accel(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	int			 same = vm->arch.n == h->arch.n;
	int			 native = h->os.n == OS_MACOS ? ACCEL_HVF : ACCEL_KVM;

	vm->accels[0] = vm->accels[1] = -1;
	switch (vm->accel.n) {
	case ACCEL_AUTO:
		if (same) {
			vm->accels[0] = native;
			vm->accels[1] = ACCEL_TCG;
		} else
			vm->accels[0] = ACCEL_TCG;
		return;
	case ACCEL_HVF:
	case ACCEL_KVM:
		if ((int)vm->accel.n != native)
			diag_error(ctx, vm->accel.at, "accel", "%s runs only on "
			    "%s hosts; this host is %s", vm->accel.s,
			    vm->accel.n == ACCEL_HVF ? "macOS" : "Linux",
			    h->os.s);
		else if (!same)
			diag_error(ctx, vm->accel.at, "accel", "%s cannot run "
			    "an %s guest on an %s host; use accel = tcg",
			    vm->accel.s, vm->arch.s, h->arch.s);
		vm->accels[0] = (int)vm->accel.n;
		return;
	default:
		vm->accels[0] = ACCEL_TCG;
	}
}

/* Returns the detected format, or -1 after a diagnostic. */
static int
probe_image(struct ctx *ctx, struct vm *vm)
{
	struct stat	 st;
	unsigned char	 magic[4];
	ssize_t		 n;
	int		 fd, error;
	char		*vis;

	if ((fd = open(vm->imagepath, O_RDONLY | O_NONBLOCK)) == -1) {
		error = errno;
		vis = diag_vis(vm->image.s);
		if (error != ENOENT || ctx->host->live)
			diag_error(ctx, vm->image.at, "image", "%s: %s", vis,
			    strerror(error));
		else if (vm->format.s == NULL)
			diag_error(ctx, vm->image.at, "image", "%s does not "
			    "exist here, so its format cannot be detected; "
			    "set format", vis);
		else
			diag_warn(ctx, vm->image.at, "image", "%s does not "
			    "exist on this machine", vis);
		free(vis);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		vis = diag_vis(vm->image.s);
		diag_error(ctx, vm->image.at, "image", "%s is not a regular "
		    "file", vis);
		close(fd);
		free(vis);
		return -1;
	}
	vm->imagest = st;
	vm->imageok = 1;
	/* Two paths name one disk when they reach one inode. */
	free(vm->imageid);
	vm->imageid = xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 4 && memcmp(magic, "QFI\xfb", 4) == 0 ? FMT_QCOW2 : FMT_RAW;
}

static void
check_image(struct ctx *ctx, struct vm *vm)
{
	int	 fmt;

	vm->imagepath = path_clean(vm->dir, vm->image.s);
	vm->imageid = xstrdup(vm->imagepath);
	if ((fmt = probe_image(ctx, vm)) == -1)
		return;
	if (vm->format.s == NULL) {
		vm->format.n = fmt;
		vm->format.s = enum_name("format", fmt);
	} else if ((int)vm->format.n != fmt)
		diag_error(ctx, vm->format.at, "format", "%s, but the image is "
		    "%s", vm->format.s, enum_name("format", fmt));
}

static void
check_binaries(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct val	*q, *fw;

	q = vm->qemu.s != NULL ? &vm->qemu : vm->arch.n == ARCH_X86_64 ?
	    &h->qemu_x86_64 : &h->qemu_aarch64;
	if (q->s == NULL)
		diag_error(ctx, vm->at, "qemu", "the host has no "
		    "qemu-system-%s; install QEMU or set qemu in [vm]",
		    vm->arch.s);
	else {
		vm->qemupath = xstrdup(q->s);
		if (h->live && access(q->s, X_OK) == -1)
			diag_error(ctx, val_at(vm, &vm->qemu), "qemu",
			    "'%s': %s", q->s, strerror(errno));
	}
	fw = vm->firmware.s != NULL ? &vm->firmware :
	    vm->arch.n == ARCH_AARCH64 ? &h->firmware_aarch64 : NULL;
	if (fw != NULL && fw->s != NULL)
		vm->fwpath = path_clean(vm->dir, fw->s);
	else if (vm->arch.n == ARCH_AARCH64)
		diag_error(ctx, vm->at, "firmware", "an aarch64 VM needs UEFI "
		    "firmware and the host description names none; set "
		    "firmware in [vm]");
}

static int
ipv4_mask_ok(uint32_t m)
{
	return m != 0 && (~m & (~m + 1)) == 0;
}

static void
check_vmnet_range(struct ctx *ctx, struct nic *nic)
{
	const struct host	*h = ctx->host;
	uint32_t		 s = nic->start.n, e = nic->end.n, m = nic->mask.n;
	uint32_t		 net, hm;
	size_t			 i, j;
	int			 set;

	set = (nic->start.s != NULL) + (nic->end.s != NULL) +
	    (nic->mask.s != NULL);
	if (set == 0)
		return;
	if (set != 3) {
		diag_error(ctx, nic->at, NULL, "start-address, end-address and "
		    "subnet-mask go together: set all three or none");
		return;
	}
	if (!ipv4_mask_ok(m))
		diag_error(ctx, nic->mask.at, "subnet-mask", "'%s' is not a "
		    "contiguous mask", nic->mask.s);
	else if (s >= e)
		diag_error(ctx, nic->end.at, "end-address", "'%s' is not "
		    "after start-address '%s'", nic->end.s, nic->start.s);
	else if ((s & m) != (e & m) || (s & ~m) == 0 || (e | m) == UINT32_MAX)
		diag_error(ctx, nic->end.at, "end-address", "'%s' to '%s' is "
		    "not inside one subnet of mask '%s' (excluding its network "
		    "and broadcast addresses)", nic->start.s, nic->end.s,
		    nic->mask.s);
	else {
		net = s & m;
		for (i = 0; i < h->nifs; i++)
			for (j = 0; j < h->ifs[i].naddr; j++) {
				const struct cidr *c = &h->ifs[i].addr[j];
				uint32_t a;

				if (c->family != AF_INET)
					continue;
				a = (uint32_t)c->addr[0] << 24 |
				    c->addr[1] << 16 | c->addr[2] << 8 |
				    c->addr[3];
				hm = c->prefix == 0 ? 0 :
				    UINT32_MAX << (32 - c->prefix);
				/* Two subnets overlap when one holds the other. */
				if ((a & (hm & m)) == (net & (hm & m)))
					diag_error(ctx, nic->start.at,
					    "start-address", "subnet '%s' "
					    "overlaps %s of host interface %s",
					    nic->start.s, c->s, h->ifs[i].name);
			}
	}
}

static void
check_forward_addr(struct ctx *ctx, const struct fwd *f)
{
	const struct host	*h = ctx->host;
	uint32_t		 a, m;
	size_t			 i, j;
	char			 s[16];

	if (f->addr == 0 || f->addr == 0x7f000001)
		return;
	for (i = 0; i < h->nifs; i++)
		for (j = 0; j < h->ifs[i].naddr; j++) {
			const struct cidr *c = &h->ifs[i].addr[j];

			if (c->family != AF_INET)
				continue;
			a = (uint32_t)c->addr[0] << 24 | c->addr[1] << 16 |
			    c->addr[2] << 8 | c->addr[3];
			m = c->prefix == 0 ? 0 : UINT32_MAX << (32 - c->prefix);
			/* Linux answers on all of 127/8, macOS on 127.0.0.1. */
			if (a == f->addr || (h->os.n == OS_LINUX &&
			    h->ifs[i].loopback.n && (a & m) == (f->addr & m)))
				return;
		}
	fmt_ipv4(f->addr, s);
	diag_error(ctx, f->at, "forward", "no host interface has address %s; "
	    "use 127.0.0.1, 0.0.0.0 or an address of the host", s);
}

static void
list_bridgeable(const struct host *h, struct buf *b)
{
	size_t	 i, n = 0;

	for (i = 0; i < h->nifs; i++)
		if (h->ifs[i].up.n && !h->ifs[i].loopback.n)
			buf_printf(b, "%s%s", n++ ? ", " : "", h->ifs[i].name);
	if (n == 0)
		buf_puts(b, "none");
}

static void
check_nic(struct ctx *ctx, struct vm *vm, size_t idx)
{
	const struct host	*h = ctx->host;
	struct nic		*nic = &vm->nic[idx];
	const struct iface	*ifp;
	struct buf		 b = { NULL, 0, 0 };
	size_t			 i;
	int			 vmnet;

	if (nic->mode.s == NULL)
		return;
	vmnet = nic->mode.n != NET_USER;
	if (vmnet && h->os.n != OS_MACOS)
		diag_error(ctx, nic->mode.at, "mode", "%s exists only in QEMU "
		    "on macOS; this host is %s", nic->mode.s, h->os.s);
	if (vmnet && vm->user.s != NULL && strcmp(vm->user.s, "root") != 0)
		diag_error(ctx, nic->mode.at, "mode", "%s needs QEMU to run as "
		    "root, but [service] user is '%s'", nic->mode.s,
		    vm->user.s);
	if (nic->mode.n == NET_BRIDGED && nic->interface.s == NULL &&
	    nic->interface.at.line == 0)
		diag_error(ctx, nic->mode.at, "interface", "vmnet-bridged "
		    "needs the host interface to bridge");
	if (nic->mode.n != NET_BRIDGED && nic->interface.s != NULL)
		diag_error(ctx, nic->interface.at, "interface", "only "
		    "vmnet-bridged bridges an interface");
	if (nic->mode.n == NET_BRIDGED && nic->interface.s != NULL) {
		ifp = host_iface(h, nic->interface.s);
		if (ifp == NULL || !ifp->up.n || ifp->loopback.n) {
			list_bridgeable(h, &b);
			diag_error(ctx, nic->interface.at, "interface", "'%s' "
			    "%s; interfaces that can be bridged: %s",
			    nic->interface.s, ifp == NULL ? "does not exist on "
			    "the host" : !ifp->up.n ? "is down" :
			    "is a loopback interface", b.p);
			buf_free(&b);
		}
	}
	for (i = 0; i < nic->nfwd; i++) {
		if (vmnet) {
			diag_error(ctx, nic->fwd[i].at, "forward", "port "
			    "forwards need mode = user; with %s the guest is "
			    "on the network itself", nic->mode.s);
			break;
		}
		check_forward_addr(ctx, &nic->fwd[i]);
	}
	if (!vmnet && nic->isolated.s != NULL)
		diag_error(ctx, nic->isolated.at, "isolated", "only vmnet modes "
		    "can be isolated");
	if (nic->mode.n != NET_HOST && nic->uuid.s != NULL)
		diag_error(ctx, nic->uuid.at, "net-uuid", "only vmnet-host "
		    "takes a network UUID");
	if (nic->mode.n != NET_SHARED && nic->mode.n != NET_HOST) {
		if (nic->start.s != NULL || nic->end.s != NULL ||
		    nic->mask.s != NULL)
			diag_error(ctx, nic->start.s ? nic->start.at :
			    nic->end.s ? nic->end.at : nic->mask.at, NULL,
			    "start-address, end-address and subnet-mask need "
			    "vmnet-shared or vmnet-host");
	} else
		check_vmnet_range(ctx, nic);
	if (nic->mac.s == NULL)
		return;
	if (strcmp(nic->mac.s, "auto") == 0)
		nic->hwaddr = mac_derive(vm->name, idx);
	else
		nic->hwaddr = nic->mac.n;
	if (nic->hwaddr & 0x010000000000ULL)
		diag_error(ctx, nic->mac.at, "mac", "'%s' is a multicast "
		    "address; the first byte must be even", nic->mac.s);
	else if (nic->hwaddr == QEMU_MAC)
		diag_error(ctx, nic->mac.at, "mac", "'%s' is QEMU's default, "
		    "which every VM gets; pick another or use auto",
		    nic->mac.s);
	else if (nic->hwaddr == 0)
		diag_error(ctx, nic->mac.at, "mac", "'%s' is not a usable "
		    "address", nic->mac.s);
}

/*
 * [service]: the stop timeout, and where the job creates its files at
 * run time.  QEMU run as a user other than root cannot create its
 * socket in the run directory, which root owns: it uses RUNDIR/NAME/,
 * which must belong to that user.
 */
static void
check_service(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	struct passwd	*pw;
	struct stat	 st;
	const char	*u = vm->user.s;
	struct loc	 at = val_at(vm, &vm->user);

	if (vm->stoptimeout.s != NULL && vm->stoptimeout.n == 0)
		diag_error(ctx, vm->stoptimeout.at, "stop-timeout", "0 would "
		    "be ExitTimeOut 0, which launchd reads as never kill: a "
		    "guest that does not power off would stall the Mac's "
		    "shutdown; use 1 to 3600");
	if (u == NULL || strcmp(u, "root") == 0) {
		vm->qmp = xasprintf("%s/%s.qmp", rundir, vm->name);
		vm->marker = xasprintf("%s/%s.restart", rundir, vm->name);
		return;
	}
	vm->vmdir = xasprintf("%s/%s", rundir, vm->name);
	vm->qmp = xasprintf("%s/qmp", vm->vmdir);
	vm->marker = xasprintf("%s/restart", vm->vmdir);
	if (!ctx->host->live) {
		diag_warn(ctx, at, "user", "QEMU runs as %s and needs '%s' "
		    "owned by %s, mode 0700; it cannot be checked for a "
		    "described host", u, vm->vmdir, u);
		return;
	}
	if ((pw = getpwnam(u)) == NULL) {
		diag_warn(ctx, at, "user", "no user %s on this host, so the "
		    "owner of '%s' cannot be checked", u, vm->vmdir);
		return;
	}
	if (stat(vm->vmdir, &st) == -1)
		diag_warn(ctx, at, "user", "'%s': %s; QEMU runs as %s and "
		    "needs it owned by %s, mode 0700", vm->vmdir,
		    strerror(errno), u, u);
	else if (!S_ISDIR(st.st_mode))
		diag_error(ctx, at, "user", "'%s' is not a directory",
		    vm->vmdir);
	else if (st.st_uid != pw->pw_uid)
		diag_error(ctx, at, "user", "'%s' is owned by uid %lu, not by "
		    "%s: QEMU, run as %s, cannot create its socket there",
		    vm->vmdir, (unsigned long)st.st_uid, u, u);
	else if ((st.st_mode & 077) != 0)
		diag_warn(ctx, at, "user", "'%s' is mode %03o: others can "
		    "reach the monitor socket in it; make it 0700",
		    vm->vmdir, (unsigned)(st.st_mode & 0777));
}

void
vm_validate(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	const struct host	*h = ctx->host;
	size_t			 i;

	if (vm->arch.s == NULL && vm->arch.at.line == 0) {
		vm->arch.n = h->arch.n;
		vm->arch.s = h->arch.s;
	}
	if (vm->machine.s == NULL && vm->machine.at.line == 0)
		vm->machine.s = vm->arch.n == ARCH_X86_64 ? "q35" : "virt";
	if (vm->label.s == NULL && vm->label.at.line == 0)
		vm->label.s = vm->labelbuf = xasprintf("local.vmc.%s", vm->name);
	vm->script = xasprintf("%s/%s.sh", rundir, vm->name);
	check_service(ctx, vm, rundir);
	vm->logpath = vm->log.s != NULL ? xstrdup(vm->log.s) :
	    xasprintf("%s/%s.log", rundir, vm->name);
	/* Each check runs when the values it needs parsed. */
	if (vm->arch.s != NULL && vm->accel.s != NULL)
		check_accel(ctx, vm);
	if (vm->cpus.s != NULL && vm->cpus.n > h->cpus.n)
		diag_warn(ctx, val_at(vm, &vm->cpus), "cpus", "%llu is more "
		    "than the host's %llu", (unsigned long long)vm->cpus.n,
		    (unsigned long long)h->cpus.n);
	if (vm->memory.s == NULL)
		;
	else if (vm->memory.n < MIN_MEMORY)
		diag_error(ctx, vm->memory.at, "memory", "'%s' is less than "
		    "16M", vm->memory.s);
	else if (vm->memory.n % (1 << 20) != 0)
		diag_error(ctx, vm->memory.at, "memory", "'%s' is not a whole "
		    "number of MiB", vm->memory.s);
	else if (vm->memory.n > h->memory.n)
		diag_error(ctx, vm->memory.at, "memory", "'%s' is more than "
		    "the host's %lluM", vm->memory.s,
		    (unsigned long long)(h->memory.n >> 20));
	if (vm->image.s != NULL)
		check_image(ctx, vm);
	if (vm->arch.s != NULL)
		check_binaries(ctx, vm);
	for (i = 0; i < vm->nnic; i++)
		check_nic(ctx, vm, i);
	if (strlen(vm->qmp) > MAX_SUN_PATH)
		diag_error(ctx, vm->at, NULL, "the monitor socket '%s' is "
		    "longer than %d bytes; choose a shorter run directory (-p)",
		    vm->qmp, MAX_SUN_PATH);
}

/*
 * Cross-profile checks sort references and compare neighbours, so a
 * fleet of n VMs costs O(n log n).
 */
struct ref {
	const char	*s;	/* compared when not NULL, else n */
	uint64_t	 n;
	const char	*show;	/* what the message quotes, when not s */
	struct loc	 at;
	size_t		 order;	/* ties keep reading order */
	int		 fold;	/* compare s ignoring case */
};

static int
same_ref(const struct ref *x, const struct ref *y)
{
	if (x->s == NULL)
		return x->n == y->n;
	return (x->fold ? strcasecmp(x->s, y->s) : strcmp(x->s, y->s)) == 0;
}

static int
cmp_ref(const void *a, const void *b)
{
	const struct ref	*x = a, *y = b;
	int			 c;

	if (x->s != NULL && (c = x->fold ? strcasecmp(x->s, y->s) :
	    strcmp(x->s, y->s)) != 0)
		return c;
	if (x->s == NULL && x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Each later use of a value is an error naming the first use. */
static void
report_dups(struct ctx *ctx, struct ref *r, size_t n, const char *key,
    const char *what)
{
	const char	*show;
	size_t		 i, first;
	char		 mac[18];

	qsort(r, n, sizeof(*r), cmp_ref);
	for (i = 1, first = 0; i < n; i++) {
		if (!same_ref(&r[i], &r[first])) {
			first = i;
			continue;
		}
		fmt_mac(r[i].n, mac);
		show = r[i].show ? r[i].show : r[i].s ? r[i].s : mac;
		if (r[first].at.line > 0)
			diag_error(ctx, r[i].at, key, "%s '%s' is also used at "
			    "%s:%d", what, show, r[first].at.file,
			    r[first].at.line);
		else
			diag_error(ctx, r[i].at, key, "%s '%s' is also used by "
			    "%s", what, show, r[first].at.file);
	}
}

/* Host port forwards clash on one protocol and port when the addresses
 * are equal or either is 0.0.0.0. */
struct portref {
	const struct fwd	*f;
	size_t			 order;
};

static int
cmp_port(const void *a, const void *b)
{
	const struct portref	*x = a, *y = b;

	if (x->f->proto != y->f->proto)
		return x->f->proto < y->f->proto ? -1 : 1;
	if (x->f->hport != y->f->hport)
		return x->f->hport < y->f->hport ? -1 : 1;
	if (x->f->addr != y->f->addr)
		return x->f->addr < y->f->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
port_clash(struct ctx *ctx, const struct fwd *f, const struct fwd *other)
{
	char	 a[16];

	fmt_ipv4(f->addr, a);
	diag_error(ctx, f->at, "forward", "host port %s/%u on %s is also "
	    "forwarded at %s:%d", f->proto == PROTO_TCP ? "tcp" : "udp",
	    f->hport, a, other->at.file, other->at.line);
}

/*
 * Within one protocol and port, sorted by address: each forward clashes
 * with the first-read forward on its own address, on 0.0.0.0, or (when
 * it is 0.0.0.0 itself) on any address; the later one is reported.
 */
static void
check_ports(struct ctx *ctx, struct portref *p, size_t n)
{
	const struct portref	*all, *wild, *same, *c;
	size_t			 i, j, k, a;

	qsort(p, n, sizeof(*p), cmp_port);
	for (i = 0; i < n; i = j) {
		all = wild = NULL;
		for (j = i; j < n && p[j].f->proto == p[i].f->proto &&
		    p[j].f->hport == p[i].f->hport; j++) {
			if (all == NULL || p[j].order < all->order)
				all = &p[j];
			if (p[j].f->addr == 0 &&
			    (wild == NULL || p[j].order < wild->order))
				wild = &p[j];
		}
		for (k = i; k < j; k = a) {
			/* The same address sorts together, first read first. */
			same = &p[k];
			for (a = k; a < j && p[a].f->addr == p[k].f->addr; a++) {
				c = p[a].f->addr == 0 ? all : same;
				if (wild != NULL && wild->order < c->order)
					c = wild;
				if (c->order < p[a].order)
					port_clash(ctx, p[a].f, c->f);
			}
		}
	}
}

/* Keeps what the checks across profiles need of a validated VM. */
void
member_init(struct member *m, const struct vm *vm)
{
	size_t	 i, j;

	memset(m, 0, sizeof(*m));
	m->name = xstrdup(vm->name);
	m->at = vm->at;
	m->label = xstrdup(vm->label.s);
	m->labelat = val_at(vm, &vm->label);
	if (vm->imageid != NULL) {
		m->imageid = xstrdup(vm->imageid);
		m->image = xstrdup(vm->image.s);
		m->imageat = vm->image.at;
	}
	if (vm->autostart.n && vm->memory.s != NULL) {
		m->memory = vm->memory.n;
		m->memat = vm->memory.at;
	}
	m->macs = xcalloc(vm->nnic, sizeof(*m->macs));
	for (i = 0; i < vm->nnic; i++) {
		m->nfwd += vm->nic[i].nfwd;
		if (vm->nic[i].mac.s != NULL) {
			m->macs[m->nmac].hw = vm->nic[i].hwaddr;
			m->macs[m->nmac++].at = val_at(vm, &vm->nic[i].mac);
		}
	}
	m->fwd = xcalloc(m->nfwd, sizeof(*m->fwd));
	for (i = 0, m->nfwd = 0; i < vm->nnic; i++)
		for (j = 0; j < vm->nic[i].nfwd; j++) {
			m->fwd[m->nfwd] = vm->nic[i].fwd[j];
			m->fwd[m->nfwd++].s = NULL;	/* freed with the VM */
		}
}

void
member_free(struct member *m)
{
	free(m->name);
	free(m->label);
	free(m->image);
	free(m->imageid);
	free(m->macs);
	free(m->fwd);
}

/* Names the VMs counted: those that start at boot (autostart). */
static void
memory_warn(struct ctx *ctx, const struct member *v, size_t n,
    const struct member *over, uint64_t total)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i, shown = 0, counted = 0;

	for (i = 0; i < n; i++) {
		if (v[i].memory == 0)
			continue;
		if (counted++ < MAX_LISTED)
			buf_printf(&b, "%s%s", shown++ ? ", " : "", v[i].name);
	}
	if (counted > shown)
		buf_printf(&b, " and %zu more", counted - shown);
	diag_warn(ctx, over->memat, "memory", "the VMs that start at boot "
	    "(%s) need %lluM together, more than the host's %lluM", b.p,
	    (unsigned long long)(total >> 20),
	    (unsigned long long)(ctx->host->memory.n >> 20));
	buf_free(&b);
}

void
fleet_validate(struct ctx *ctx, struct member *v, size_t n)
{
	struct ref	*names, *labels, *images, *macs;
	struct portref	*ports;
	size_t		 i, j, nmac = 0, nport = 0, nimg = 0;
	uint64_t	 total = 0;
	const struct member *over = NULL;

	names = xcalloc(n, sizeof(*names));
	labels = xcalloc(n, sizeof(*labels));
	images = xcalloc(n, sizeof(*images));
	for (i = 0; i < n; i++) {
		nmac += v[i].nmac;
		nport += v[i].nfwd;
	}
	macs = xcalloc(nmac, sizeof(*macs));
	ports = xcalloc(nport, sizeof(*ports));
	for (i = 0, nmac = 0, nport = 0; i < n; i++) {
		names[i] = (struct ref){ v[i].name, 0, NULL, v[i].at, i, 0 };
		/* Plists named Web and web are one file on macOS. */
		labels[i] = (struct ref){ v[i].label, 0, NULL, v[i].labelat,
		    i, 1 };
		if (v[i].imageid != NULL)
			images[nimg++] = (struct ref){ v[i].imageid, 0,
			    v[i].image, v[i].imageat, i, 0 };
		for (j = 0; j < v[i].nmac; j++, nmac++)
			macs[nmac] = (struct ref){ NULL, v[i].macs[j].hw, NULL,
			    v[i].macs[j].at, nmac, 0 };
		for (j = 0; j < v[i].nfwd; j++, nport++)
			ports[nport] = (struct portref){ &v[i].fwd[j], nport };
		total += v[i].memory;
		if (over == NULL && total > ctx->host->memory.n)
			over = &v[i];
	}
	report_dups(ctx, names, n, NULL, "VM name");
	report_dups(ctx, labels, n, "label", "launchd label");
	report_dups(ctx, images, nimg, "image", "disk image");
	report_dups(ctx, macs, nmac, "mac", "MAC address");
	check_ports(ctx, ports, nport);
	if (over != NULL)
		memory_warn(ctx, v, n, over, total);
	free(names);
	free(labels);
	free(images);
	free(macs);
	free(ports);
}
