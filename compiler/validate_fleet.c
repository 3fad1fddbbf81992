#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmc.h"

/*
 * The checks across VMs: names, labels, disks, MACs and host ports are
 * each used once, and what starts at boot fits in the host's memory.
 * Each VM is kept as a member (what these checks need of it) once it
 * is valid, so that a fleet costs memory for its members only.
 */

#define MAX_LISTED	8			/* VMs named in one message */


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

enum refkind { REF_NAME, REF_LABEL, REF_MAC };

/* A later use of a value, naming the first: its line, or its file. */
static void
say_dup(struct ctx *ctx, enum refkind kind, struct loc at, const char *show,
    struct loc first)
{
#define DUP(id, by)	(first.line > 0 ?				\
	diag(ctx, at, M(id), show, first.file, first.line) :		\
	diag(ctx, at, M(by), show, first.file))
	switch (kind) {
	case REF_NAME:
		DUP(DUP_NAME, DUP_NAME_BY);
		break;
	case REF_LABEL:
		DUP(DUP_LABEL, DUP_LABEL_BY);
		break;
	case REF_MAC:
		DUP(DUP_MAC, DUP_MAC_BY);
		break;
	}
#undef DUP
}

/* Each later use of a value is an error naming the first use. */
static void
report_dups(struct ctx *ctx, struct ref *r, size_t n, enum refkind kind)
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
		say_dup(ctx, kind, r[i].at, show, r[first].at);
	}
}

/* A disk of the fleet, in reading order. */
struct diskref {
	const struct mdisk	*d;
	size_t			 order;
	const struct mdisk	*w;	/* the first writer of its file, when
					 * that is another */
};

static int
cmp_order(const void *a, const void *b)
{
	const struct diskref	*x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

static int
cmp_disk(const void *a, const void *b)
{
	const struct diskref	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->d->id, y->d->id)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * No two disks QEMU writes are one file, in two VMs or in one: two
 * writers corrupt an image.  CDs and bases, which QEMU only reads, may
 * share a file, but not one a disk writes under them.  Each use is
 * reported against the first writer, in reading order: the files'
 * order (device and inode) must not decide the messages'.
 */
static void
check_shared(struct ctx *ctx, struct diskref *r, size_t n)
{
	const struct mdisk	*w, *d;
	struct loc		 first;
	size_t			 i, j, k;

	qsort(r, n, sizeof(*r), cmp_disk);
	for (i = 0; i < n; i = j) {
		w = NULL;
		for (j = i; j < n && strcmp(r[j].d->id, r[i].d->id) == 0; j++)
			if (w == NULL && !r[j].d->ro)
				w = r[j].d;
		for (k = i; k < j; k++)
			r[k].w = r[k].d != w ? w : NULL;
	}
	qsort(r, n, sizeof(*r), cmp_order);
	for (k = 0; k < n; k++) {
		if ((w = r[k].w) == NULL)
			continue;
		d = r[k].d;
		first = w->v.at;
		if (!d->ro && first.line > 0)
			diag(ctx, d->v.at, M(DUP_IMAGE), d->v.key, d->v.s,
			    first.file, first.line);
		else if (!d->ro)
			diag(ctx, d->v.at, M(DUP_IMAGE_BY), d->v.key, d->v.s,
			    first.file);
		else if (first.line > 0)
			diag(ctx, d->v.at, M(DUP_READ), d->v.key, d->v.s,
			    first.file, first.line);
		else
			diag(ctx, d->v.at, M(DUP_READ_BY), d->v.key, d->v.s,
			    first.file);
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
	diag(ctx, f->at, M(PORT_CLASH), f->proto == PROTO_TCP ? "tcp" : "udp",
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

/* A card on socket_vmnet's network, for the checks and its daemon. */
static void
keep_net(struct member *m, const struct vm *vm, const struct nic *nic)
{
	struct mnet	*k = &m->nets[m->nnet++];
	size_t		 i;

	k->id = pool_strdup(&m->pool, nic->netid);
	k->socket = pool_strdup(&m->pool, nic->socket);
	k->log = pool_strdup(&m->pool, nic->netlog);
	k->at = val_at(vm, &nic->via);
	k->mode = keep(m, vm, &nic->mode);
	k->interface = keep(m, vm, &nic->interface);
	k->start = keep(m, vm, &nic->start);
	k->end = keep(m, vm, &nic->end);
	k->mask = keep(m, vm, &nic->mask);
	k->group = keep(m, vm, &nic->group);
	k->addr = xcalloc(nic->naddr, sizeof(*k->addr));
	for (i = 0; i < nic->naddr; i++) {
		k->addr[i] = nic->addr[i];
		k->addr[i].s = pool_strdup(&m->pool, nic->addr[i].s);
	}
	k->naddr = nic->naddr;
	k->restart = vm->qemuversion < QEMU_RECONNECT;
}

static int
bridged(const struct nic *nic)
{
	return val_ok(&nic->mode) && nic->mode.n == NET_BRIDGED &&
	    val_ok(&nic->interface) && val_ok(&nic->mac);
}

/* A card bridged onto an interface: what the checks across hosts need. */
static void
keep_card(struct member *m, const struct vm *vm, const struct nic *nic)
{
	struct mcard	*k = &m->cards[m->ncard++];
	size_t		 i;

	k->iface = pool_strdup(&m->pool, nic->interface.s);
	k->derived = strcmp(nic->mac.s, "auto") == 0;
	k->mac = keep(m, vm, &nic->mac);
	k->mac.n = nic->hwaddr;
	if (k->derived)
		k->mac.at = nic->at;
	k->addr = xcalloc(nic->naddr, sizeof(*k->addr));
	for (i = 0; i < nic->naddr; i++)
		if (nic->addr[i].family == AF_INET) {
			k->addr[k->naddr] = nic->addr[i];
			k->addr[k->naddr++].s = pool_strdup(&m->pool,
			    nic->addr[i].s);
		}
}

/*
 * A seed URL that a LAN must carry: an IPv4 address that no user
 * network (check_seed judges those) or vmnet gateway of the VM's is.
 */
static void
keep_seed(struct member *m, const struct vm *vm)
{
	char		 host[256];
	uint32_t	 a;
	size_t		 i;

	if (!val_ok(&vm->seed) || m->ncard == 0 ||
	    seed_host(vm->seed.s, host, sizeof(host), &a) != 0)
		return;
	for (i = 0; i < vm->nnic; i++)
		if ((val_ok(&vm->nic[i].mode) &&
		    vm->nic[i].mode.n == NET_USER) ||
		    (val_ok(&vm->nic[i].start) && vm->nic[i].start.n == a))
			return;
	m->seed = xmalloc(sizeof(*m->seed));
	*m->seed = keep(m, vm, &vm->seed);
	m->seed->n = a;
}

/* Keeps what the checks across profiles need of a validated VM. */
void
member_init(struct member *m, const struct vm *vm, int bad)
{
	size_t	 i, j, k;

	memset(m, 0, sizeof(*m));
	m->name = pool_strdup(&m->pool, vm->name);
	m->at = vm->at;
	m->label = keep(m, vm, &vm->label);
	m->disks = xcalloc((vm->imageid != NULL) + (vm->baseid != NULL) +
	    vm->ndisk, sizeof(*m->disks));
	if (vm->imageid != NULL)
		m->disks[m->ndisk++] = (struct mdisk){
		    pool_strdup(&m->pool, vm->imageid),
		    keep(m, vm, &vm->image), 0 };
	/* A base that is its own image is said once (base-image). */
	if (vm->baseid != NULL && (vm->imageid == NULL ||
	    strcmp(vm->baseid, vm->imageid) != 0))
		m->disks[m->ndisk++] = (struct mdisk){
		    pool_strdup(&m->pool, vm->baseid),
		    keep(m, vm, &vm->base), 1 };
	for (i = 0; i < vm->ndisk; i++)
		if (vm->disk[i].id != NULL)
			m->disks[m->ndisk++] = (struct mdisk){
			    pool_strdup(&m->pool, vm->disk[i].id),
			    keep(m, vm, vm->disk[i].v), vm->disk[i].cdrom };
	/* Only what starts at boot counts against the host's memory, and
	 * only a VM without errors of its own (such as too much memory). */
	if (vm->autostart.n && !bad)
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
	/* Most VMs have neither: a fleet's memory is its members'. */
	for (i = 0, j = 0, k = 0; i < vm->nnic; i++) {
		j += vm->nic[i].socket != NULL;
		k += bridged(&vm->nic[i]);
	}
	m->nets = j > 0 ? xcalloc(j, sizeof(*m->nets)) : NULL;
	m->cards = k > 0 ? xcalloc(k, sizeof(*m->cards)) : NULL;
	for (i = 0; i < vm->nnic; i++) {
		if (vm->nic[i].socket != NULL)
			keep_net(m, vm, &vm->nic[i]);
		if (bridged(&vm->nic[i]))
			keep_card(m, vm, &vm->nic[i]);
	}
	keep_seed(m, vm);
}

void
member_free(struct member *m)
{
	size_t	 i;

	pool_free(&m->pool);
	free(m->disks);
	free(m->macs);
	free(m->fwd);
	for (i = 0; i < m->nnet; i++)
		free(m->nets[i].addr);
	free(m->nets);
	for (i = 0; i < m->ncard; i++)
		free(m->cards[i].addr);
	free(m->cards);
	free(m->seed);
}

/* Names the VMs counted: those that start at boot. */
static void
memory_warn(struct ctx *ctx, const struct member *v, size_t n,
    const struct member *over, uint64_t total)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i, counted = 0;

	for (i = 0; i < n; i++)
		if (val_ok(&v[i].memory) && counted++ < MAX_LISTED)
			buf_printf(&b, "%s%s", counted > 1 ? ", " : "",
			    v[i].name);
	if (counted > MAX_LISTED)
		buf_printf(&b, " and %zu more", counted - MAX_LISTED);
	diag(ctx, over->memory.at, M(MEMORY_OVER), b.p,
	    (unsigned long long)(total >> 20),
	    (unsigned long long)(ctx->host->memory.n >> 20));
	buf_free(&b);
}

void
fleet_validate(struct ctx *ctx, struct member *v, size_t n)
{
	struct ref	*names, *labels, *macs;
	struct diskref	*disks;
	struct portref	*ports;
	size_t		 i, j, nmac = 0, nport = 0, ndisk = 0;
	uint64_t	 total = 0;
	const struct member *over = NULL;

	names = xcalloc(n, sizeof(*names));
	labels = xcalloc(n, sizeof(*labels));
	for (i = 0; i < n; i++) {
		ndisk += v[i].ndisk;
		nmac += v[i].nmac;
		nport += v[i].nfwd;
	}
	disks = xcalloc(ndisk, sizeof(*disks));
	macs = xcalloc(nmac, sizeof(*macs));
	ports = xcalloc(nport, sizeof(*ports));
	for (i = 0, ndisk = 0, nmac = 0, nport = 0; i < n; i++) {
		names[i] = (struct ref){ v[i].name, 0, NULL, v[i].at, i, 0 };
		/* Plists named Web and web are one file on macOS. */
		labels[i] = (struct ref){ v[i].label.s, 0, NULL, v[i].label.at,
		    i, 1 };
		for (j = 0; j < v[i].ndisk; j++, ndisk++)
			disks[ndisk] = (struct diskref){ &v[i].disks[j], ndisk,
			    NULL };
		for (j = 0; j < v[i].nmac; j++, nmac++)
			macs[nmac] = (struct ref){ NULL, v[i].macs[j].n, NULL,
			    v[i].macs[j].at, nmac, 0 };
		for (j = 0; j < v[i].nfwd; j++, nport++)
			ports[nport] = (struct portref){ &v[i].fwd[j], nport };
		if (!val_ok(&v[i].memory))
			continue;
		total += v[i].memory.n;
		if (over == NULL && total > ctx->host->memory.n)
			over = &v[i];
	}
	report_dups(ctx, names, n, REF_NAME);
	report_dups(ctx, labels, n, REF_LABEL);
	check_shared(ctx, disks, ndisk);
	report_dups(ctx, macs, nmac, REF_MAC);
	check_ports(ctx, ports, nport);
	if (over != NULL)
		memory_warn(ctx, v, n, over, total);
	free(names);
	free(labels);
	free(disks);
	free(macs);
	free(ports);
}
