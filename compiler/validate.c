#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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
			diag_error(ctx, vm->accel.at, vm->accel.key, "%s runs only on "
			    "%s hosts; this host is %s", vm->accel.s,
			    vm->accel.n == ACCEL_HVF ? "macOS" : "Linux",
			    h->os.s);
		else if (!same)
			diag_error(ctx, vm->accel.at, vm->accel.key, "%s cannot run "
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

	if ((fd = path_open(AT_FDCWD, vm->imagepath, 0, &st)) == -1 &&
	    errno != 0) {
		error = errno;
		vis = diag_vis(vm->image.s);
		if (error != ENOENT || ctx->host->live)
			diag_error(ctx, vm->image.at, vm->image.key, "%s: %s", vis,
			    strerror(error));
		else if (!val_ok(&vm->format))
			diag_error(ctx, vm->image.at, vm->image.key, "%s does not "
			    "exist here, so its format cannot be detected; "
			    "set format", vis);
		else
			diag_warn(ctx, vm->image.at, vm->image.key, "%s does not "
			    "exist on this machine", vis);
		free(vis);
		return -1;
	}
	if (fd == -1) {
		vis = diag_vis(vm->image.s);
		diag_error(ctx, vm->image.at, vm->image.key, "%s is not a regular "
		    "file", vis);
		free(vis);
		return -1;
	}
	vm->imagest = st;
	vm->imageok = 1;
	/* Two paths name one disk when they reach one inode. */
	vm->imageid = pool_printf(&vm->pool, "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 4 && memcmp(magic, "QFI\xfb", 4) == 0 ? FMT_QCOW2 : FMT_RAW;
}

static void
check_image(struct ctx *ctx, struct vm *vm)
{
	char	*p, *vis;
	int	 fmt;

	if ((p = path_resolve(vm->dir, vm->image.s)) == NULL) {
		vis = diag_vis(vm->image.s);
		diag_error(ctx, vm->image.at, vm->image.key, "%s: %s", vis,
		    strerror(errno));
		free(vis);
		return;
	}
	vm->imagepath = pool_add(&vm->pool, p);
	vm->imageid = vm->imagepath;
	if ((fmt = probe_image(ctx, vm)) == -1)
		return;
	if (!val_ok(&vm->format)) {
		vm->format.n = fmt;
		vm->format.s = format_names[fmt];
		vm->format.state = V_DEFAULT;
	} else if ((int)vm->format.n != fmt)
		diag_error(ctx, vm->format.at, vm->format.key, "%s, but the "
		    "image is %s", vm->format.s, format_names[fmt]);
}

static void
check_binaries(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct val	*q, *fw;
	char			*p;

	q = val_ok(&vm->qemu) ? &vm->qemu : vm->arch.n == ARCH_X86_64 ?
	    &h->qemu_x86_64 : &h->qemu_aarch64;
	if (!val_ok(q))
		diag_error(ctx, vm->at, vm->qemu.key, "the host has no "
		    "qemu-system-%s; install QEMU or set qemu in [vm]",
		    vm->arch.s);
	else {
		vm->qemupath = pool_strdup(&vm->pool, q->s);
		if (h->live && access(q->s, X_OK) == -1)
			diag_error(ctx, val_at(vm, &vm->qemu), vm->qemu.key,
			    "'%s': %s", q->s, strerror(errno));
	}
	fw = val_ok(&vm->firmware) ? &vm->firmware :
	    vm->arch.n == ARCH_AARCH64 ? &h->firmware_aarch64 : NULL;
	if (fw == &vm->firmware && val_ok(fw)) {
		/* Named by the profile: resolved as its image is. */
		if ((p = path_resolve(vm->dir, fw->s)) != NULL)
			vm->fwpath = pool_add(&vm->pool, p);
		else
			diag_error(ctx, fw->at, fw->key, "'%s': %s", fw->s,
			    strerror(errno));
	} else if (fw != NULL && val_ok(fw))
		vm->fwpath = pool_add(&vm->pool, path_clean(vm->dir, fw->s));
	else if (vm->arch.n == ARCH_AARCH64)
		diag_error(ctx, vm->at, vm->firmware.key, "an aarch64 VM needs UEFI "
		    "firmware and the host description names none; set "
		    "firmware in [vm]");
}

static int
ipv4_mask_ok(uint32_t m)
{
	return m != 0 && (~m & (~m + 1)) == 0;
}

/* A host interface's IPv4 address and mask; -1 for other families. */
static int
cidr_ipv4(const struct cidr *c, uint32_t *addr, uint32_t *mask)
{
	if (c->family != AF_INET)
		return -1;
	*addr = (uint32_t)c->addr[0] << 24 | c->addr[1] << 16 |
	    c->addr[2] << 8 | c->addr[3];
	*mask = c->prefix == 0 ? 0 : UINT32_MAX << (32 - c->prefix);
	return 0;
}

static void
check_vmnet_range(struct ctx *ctx, struct nic *nic)
{
	const struct host	*h = ctx->host;
	uint32_t		 s = nic->start.n, e = nic->end.n, m = nic->mask.n;
	uint32_t		 a, hm;
	size_t			 i, j;
	int			 set;

	set = val_ok(&nic->start) + val_ok(&nic->end) + val_ok(&nic->mask);
	if (set == 0)
		return;
	if (set != 3) {
		diag_error(ctx, nic->at, NULL, "%s, %s and %s go together: set "
		    "all three or none", nic->start.key, nic->end.key,
		    nic->mask.key);
		return;
	}
	if (!ipv4_mask_ok(m)) {
		diag_error(ctx, nic->mask.at, nic->mask.key, "'%s' is not a "
		    "contiguous mask", nic->mask.s);
		return;
	}
	if (s >= e) {
		diag_error(ctx, nic->end.at, nic->end.key, "'%s' is not after "
		    "%s '%s'", nic->end.s, nic->start.key, nic->start.s);
		return;
	}
	if ((s & m) != (e & m) || (s & ~m) == 0 || (e | m) == UINT32_MAX) {
		diag_error(ctx, nic->end.at, nic->end.key, "'%s' to '%s' is "
		    "not inside one subnet of mask '%s' (excluding its network "
		    "and broadcast addresses)", nic->start.s, nic->end.s,
		    nic->mask.s);
		return;
	}
	for (i = 0; i < h->nifs; i++)
		for (j = 0; j < h->ifs[i].naddr; j++) {
			if (cidr_ipv4(&h->ifs[i].addr[j], &a, &hm) == -1)
				continue;
			/* Two subnets overlap when one holds the other. */
			if ((a & hm & m) == (s & hm & m))
				diag_error(ctx, nic->start.at, nic->start.key,
				    "subnet '%s' overlaps %s of host interface "
				    "%s", nic->start.s, h->ifs[i].addr[j].s,
				    h->ifs[i].name);
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
			if (cidr_ipv4(&h->ifs[i].addr[j], &a, &m) == -1)
				continue;
			/* Linux answers on all of 127/8, macOS on 127.0.0.1. */
			if (a == f->addr || (h->os.n == OS_LINUX &&
			    h->ifs[i].loopback.n && (a & m) == (f->addr & m)))
				return;
		}
	fmt_ipv4(f->addr, s);
	diag_error(ctx, f->at, f->key, "no host interface has address %s; "
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

/* Stable and locally administered: 52 and 40 bits of FNV-1a. */
uint64_t
mac_derive(const char *name, size_t nic)
{
	unsigned char	 tail[2] = { 0xff, nic & 0xff };
	uint64_t	 h;

	h = hash_add(HASH_INIT, name, strlen(name));
	h = hash_add(h, tail, sizeof(tail));
	return 0x520000000000ULL | (h & 0xffffffffffULL);
}

static void
check_mac(struct ctx *ctx, struct vm *vm, size_t idx)
{
	struct nic	*nic = &vm->nic[idx];

	if (strcmp(nic->mac.s, "auto") == 0)
		nic->hwaddr = mac_derive(vm->name, idx);
	else
		nic->hwaddr = nic->mac.n;
	if (nic->hwaddr & 0x010000000000ULL)
		diag_error(ctx, nic->mac.at, nic->mac.key, "'%s' is a multicast "
		    "address; the first byte must be even", nic->mac.s);
	else if (nic->hwaddr == QEMU_MAC)
		diag_error(ctx, nic->mac.at, nic->mac.key, "'%s' is QEMU's "
		    "default, which every VM gets; pick another or use auto",
		    nic->mac.s);
	else if (nic->hwaddr == 0)
		diag_error(ctx, nic->mac.at, nic->mac.key, "'%s' is not a "
		    "usable address", nic->mac.s);
}

static void
check_bridge(struct ctx *ctx, struct nic *nic)
{
	const struct iface	*ifp;
	struct buf		 b = { NULL, 0, 0 };

	if (nic->interface.state == V_UNSET) {
		diag_error(ctx, nic->mode.at, nic->interface.key, "%s needs "
		    "the host interface to bridge", nic->mode.s);
		return;
	}
	if (!val_ok(&nic->interface))
		return;
	ifp = host_iface(ctx->host, nic->interface.s);
	if (ifp != NULL && ifp->up.n && !ifp->loopback.n)
		return;
	list_bridgeable(ctx->host, &b);
	diag_error(ctx, nic->interface.at, nic->interface.key, "'%s' %s; "
	    "interfaces that can be bridged: %s", nic->interface.s,
	    ifp == NULL ? "does not exist on the host" : !ifp->up.n ?
	    "is down" : "is a loopback interface", b.p);
	buf_free(&b);
}

static void
check_nic(struct ctx *ctx, struct vm *vm, size_t idx)
{
	const struct host	*h = ctx->host;
	struct nic		*nic = &vm->nic[idx];
	const struct val	*range;
	size_t			 i;
	int			 vmnet;

	if (!val_ok(&nic->mode))
		return;
	vmnet = nic->mode.n != NET_USER;
	if (vmnet && h->os.n != OS_MACOS)
		diag_error(ctx, nic->mode.at, nic->mode.key, "%s exists only "
		    "in QEMU on macOS; this host is %s", nic->mode.s, h->os.s);
	if (vmnet && val_ok(&vm->user) && strcmp(vm->user.s, "root") != 0)
		diag_error(ctx, nic->mode.at, nic->mode.key, "%s needs QEMU to "
		    "run as root, but [service] %s is '%s'", nic->mode.s,
		    vm->user.key, vm->user.s);
	if (nic->mode.n == NET_BRIDGED)
		check_bridge(ctx, nic);
	else if (val_ok(&nic->interface))
		diag_error(ctx, nic->interface.at, nic->interface.key, "only "
		    "%s bridges an interface", netmode_names[NET_BRIDGED]);
	for (i = 0; i < nic->nfwd; i++) {
		if (vmnet) {
			diag_error(ctx, nic->fwd[i].at, nic->fwd[i].key, "port "
			    "forwards need mode = user; with %s the guest is "
			    "on the network itself", nic->mode.s);
			break;
		}
		check_forward_addr(ctx, &nic->fwd[i]);
	}
	if (!vmnet && val_ok(&nic->isolated))
		diag_error(ctx, nic->isolated.at, nic->isolated.key, "only "
		    "vmnet modes can be isolated");
	if (nic->mode.n != NET_HOST && val_ok(&nic->uuid))
		diag_error(ctx, nic->uuid.at, nic->uuid.key, "only %s takes a "
		    "network UUID", netmode_names[NET_HOST]);
	if (nic->mode.n == NET_SHARED || nic->mode.n == NET_HOST)
		check_vmnet_range(ctx, nic);
	else if ((range = val_ok(&nic->start) ? &nic->start :
	    val_ok(&nic->end) ? &nic->end : val_ok(&nic->mask) ? &nic->mask :
	    NULL) != NULL)
		diag_error(ctx, range->at, NULL, "%s, %s and %s need %s or %s",
		    nic->start.key, nic->end.key, nic->mask.key,
		    netmode_names[NET_SHARED], netmode_names[NET_HOST]);
	if (val_ok(&nic->mac))
		check_mac(ctx, vm, idx);
}

static void
check_memory(struct ctx *ctx, const struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct val	*v = &vm->memory;

	if (!val_ok(v))
		return;
	if (v->n < MIN_MEMORY)
		diag_error(ctx, v->at, v->key, "'%s' is less than 16M", v->s);
	else if (v->n % (1 << 20) != 0)
		diag_error(ctx, v->at, v->key, "'%s' is not a whole number of "
		    "MiB", v->s);
	else if (v->n > h->memory.n)
		diag_error(ctx, v->at, v->key, "'%s' is more than the host's "
		    "%lluM", v->s, (unsigned long long)(h->memory.n >> 20));
}

/* What the profile leaves to the host and the VM's name. */
static void
derive(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	const struct host	*h = ctx->host;

	if (vm->arch.state == V_UNSET) {
		vm->arch.n = h->arch.n;
		vm->arch.s = arch_names[h->arch.n];
		vm->arch.state = V_DEFAULT;
	}
	if (vm->machine.state == V_UNSET) {
		vm->machine.s = vm->arch.n == ARCH_X86_64 ? "q35" : "virt";
		vm->machine.state = V_DEFAULT;
	}
	if (vm->label.state == V_UNSET) {
		vm->label.s = pool_printf(&vm->pool, "local.vmc.%s", vm->name);
		vm->label.state = V_DEFAULT;
	}
	vm->script = pool_printf(&vm->pool, "%s/%s.sh", rundir, vm->name);
	vm->qmp = pool_printf(&vm->pool, "%s/%s.qmp", rundir, vm->name);
	vm->logpath = val_ok(&vm->log) ? vm->log.s :
	    pool_printf(&vm->pool, "%s/%s.log", rundir, vm->name);
}

void
vm_validate(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	const struct host	*h = ctx->host;
	size_t			 i;

	derive(ctx, vm, rundir);
	/* Each check runs when the values it needs parsed. */
	if (val_ok(&vm->arch) && val_ok(&vm->accel))
		check_accel(ctx, vm);
	if (val_ok(&vm->cpus) && vm->cpus.n > h->cpus.n)
		diag_warn(ctx, val_at(vm, &vm->cpus), vm->cpus.key, "%llu is "
		    "more than the host's %llu", (unsigned long long)vm->cpus.n,
		    (unsigned long long)h->cpus.n);
	check_memory(ctx, vm);
	if (val_ok(&vm->image))
		check_image(ctx, vm);
	if (val_ok(&vm->arch))
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
	const char	*key;
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
report_dups(struct ctx *ctx, struct ref *r, size_t n, const char *what)
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
			diag_error(ctx, r[i].at, r[i].key, "%s '%s' is also used at "
			    "%s:%d", what, show, r[first].at.file,
			    r[first].at.line);
		else
			diag_error(ctx, r[i].at, r[i].key, "%s '%s' is also used by "
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
	diag_error(ctx, f->at, f->key, "host port %s/%u on %s is also "
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

/* A copy of a value, its text in the member's pool. */
static struct val
keep(struct member *m, const struct vm *vm, const struct val *v)
{
	struct val	 copy = *v;

	copy.at = val_at(vm, v);
	if (v->s != NULL)
		copy.s = pool_strdup(&m->pool, v->s);
	return copy;
}

/* Keeps what the checks across profiles need of a validated VM. */
void
member_init(struct member *m, const struct vm *vm)
{
	size_t	 i, j;

	memset(m, 0, sizeof(*m));
	m->name = pool_strdup(&m->pool, vm->name);
	m->at = vm->at;
	m->label = keep(m, vm, &vm->label);
	if (vm->imageid != NULL) {
		m->imageid = pool_strdup(&m->pool, vm->imageid);
		m->image = keep(m, vm, &vm->image);
	}
	/* Only what starts at boot counts against the host's memory. */
	if (vm->autostart.n)
		m->memory = keep(m, vm, &vm->memory);
	m->macs = xcalloc(vm->nnic, sizeof(*m->macs));
	for (i = 0; i < vm->nnic; i++) {
		m->nfwd += vm->nic[i].nfwd;
		if (val_ok(&vm->nic[i].mac)) {
			m->macs[m->nmac] = keep(m, vm, &vm->nic[i].mac);
			m->macs[m->nmac++].n = vm->nic[i].hwaddr;
		}
	}
	m->fwd = xcalloc(m->nfwd, sizeof(*m->fwd));
	for (i = 0, m->nfwd = 0; i < vm->nnic; i++)
		for (j = 0; j < vm->nic[i].nfwd; j++)
			m->fwd[m->nfwd++] = vm->nic[i].fwd[j];
}

void
member_free(struct member *m)
{
	pool_free(&m->pool);
	free(m->macs);
	free(m->fwd);
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
		names[i] = (struct ref){ v[i].name, 0, NULL, NULL, v[i].at, i,
		    0 };
		/* Plists named Web and web are one file on macOS. */
		labels[i] = (struct ref){ v[i].label.s, 0, NULL, v[i].label.key,
		    v[i].label.at, i, 1 };
		if (v[i].imageid != NULL)
			images[nimg++] = (struct ref){ v[i].imageid, 0,
			    v[i].image.s, v[i].image.key, v[i].image.at, i, 0 };
		for (j = 0; j < v[i].nmac; j++, nmac++)
			macs[nmac] = (struct ref){ NULL, v[i].macs[j].n, NULL,
			    v[i].macs[j].key, v[i].macs[j].at, nmac, 0 };
		for (j = 0; j < v[i].nfwd; j++, nport++)
			ports[nport] = (struct portref){ &v[i].fwd[j], nport };
		if (!val_ok(&v[i].memory))
			continue;
		total += v[i].memory.n;
		if (over == NULL && total > ctx->host->memory.n)
			over = &v[i];
	}
	report_dups(ctx, names, n, "VM name");
	report_dups(ctx, labels, n, "launchd label");
	report_dups(ctx, images, nimg, "disk image");
	report_dups(ctx, macs, nmac, "MAC address");
	check_ports(ctx, ports, nport);
	if (over != NULL)
		diag_warn(ctx, over->memory.at, over->memory.key, "the VMs "
		    "that start at boot need %lluM together, more than the "
		    "host's %lluM", (unsigned long long)(total >> 20),
		    (unsigned long long)(ctx->host->memory.n >> 20));
	free(names);
	free(labels);
	free(images);
	free(macs);
	free(ports);
}
