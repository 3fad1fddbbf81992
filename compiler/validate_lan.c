#include <stdlib.h>
#include <string.h>

#include "vmc.h"
#include "fleet.h"

/*
 * The checks across the hosts of a fleet (vmc check -F).  The hosts'
 * interfaces whose IPv4 subnets overlap are one LAN, and a VM bridged
 * onto one of those interfaces is on it: there its MACs and static
 * addresses must be unique across hosts and no host's own, and a seed
 * URL must point at that LAN or at the VM's own host.  Each host's own
 * checks were made by compile.c; a pair on one host is theirs.  Pure,
 * as the other checks across VMs.
 */

/* Keeps the host's IPv4 addresses and takes its VMs. */
void
lan_keep(struct lanhost *h, const struct host *host, struct member *m,
    size_t n)
{
	const struct iface	*f;
	struct lanif		*k;
	size_t			 i, j, cap = 0;

	h->m = m;
	h->n = n;
	for (i = 0; i < host->nifs; i++)
		cap += host->ifs[i].naddr;
	h->ifs = xcalloc(cap, sizeof(*h->ifs));
	for (i = 0; i < host->nifs; i++) {
		f = &host->ifs[i];
		for (j = 0; j < f->naddr; j++) {
			k = &h->ifs[h->nifs];
			if (cidr_ipv4(&f->addr[j], &k->addr, &k->mask) == -1)
				continue;
			k->name = pool_strdup(&h->pool, f->name);
			k->at = f->addr[j].at;
			k->lan = !f->loopback.n && !f->vmnet.n;
			h->nifs++;
		}
	}
}

void
lan_free(struct lanhost *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		member_free(&h->m[i]);
	free(h->m);
	free(h->ifs);
	pool_free(&h->pool);
}

/* An interface's subnet, of one host, in the union of LANs. */
struct net {
	size_t			 host;
	const struct lanif	*f;
	size_t			 up;	/* its parent; itself at a root */
};

static size_t
root(struct net *v, size_t i)
{
	while (v[i].up != i)
		i = v[i].up = v[v[i].up].up;
	return i;
}

/* A card or a static address on a LAN, in reading order. */
struct onlan {
	size_t			 lan;	/* the root of its LAN */
	size_t			 host;
	uint64_t		 n;	/* the MAC or the address */
	const struct member	*m;
	const struct mcard	*c;
	const struct cidr	*a;	/* NULL: the card's MAC */
	size_t			 order;
};

static int
cmp_onlan(const void *x, const void *y)
{
	const struct onlan	*a = x, *b = y;

	if (a->lan != b->lan)
		return a->lan < b->lan ? -1 : 1;
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The LAN as its first subnet says it: 192.168.1.0/24. */
static void
lan_name(const struct net *v, size_t lan, char *buf, size_t size)
{
	char	 a[16];
	int	 prefix = 0;

	fmt_ipv4(v[lan].f->addr & v[lan].f->mask, a);
	while (prefix < 32 && (v[lan].f->mask << prefix) != 0)
		prefix++;
	snprintf(buf, size, "%s/%d", a, prefix);
}

/* The subnet of host h's interface name, or -1: none of IPv4. */
static long
find_net(const struct net *v, size_t n, size_t h, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (v[i].host == h && strcmp(v[i].f->name, name) == 0)
			return (long)i;
	return -1;
}

static void
say_mac(struct ctx *ctx, const struct onlan *o, const struct onlan *first,
    const char *lan)
{
	const struct mcard	*c = o->c, *f = first->c;
	char			 mac[18];

	fmt_mac(c->mac.n, mac);
	if (c->derived && f->derived && strcmp(o->m->name, first->m->name) == 0)
		diag(ctx, c->mac.at, M(LAN_MAC_NAME), mac, o->m->name,
		    f->mac.at.file, f->mac.at.line, lan);
	else
		diag(ctx, c->mac.at, M(LAN_MAC), mac, f->mac.at.file,
		    f->mac.at.line, lan);
}

/* Each later use on a LAN, of another host than the first, is an error. */
static void
report(struct ctx *ctx, const struct net *v, struct onlan *o, size_t n)
{
	size_t	 i, first;
	char	 lan[32];

	qsort(o, n, sizeof(*o), cmp_onlan);
	for (i = 1, first = 0; i < n; i++) {
		if (o[i].lan != o[first].lan || o[i].n != o[first].n) {
			first = i;
			continue;
		}
		if (o[i].host == o[first].host)
			continue;
		lan_name(v, o[i].lan, lan, sizeof(lan));
		if (o[i].a == NULL)
			say_mac(ctx, &o[i], &o[first], lan);
		else
			diag(ctx, o[i].a->at, M(LAN_ADDRESS), o[i].a->s,
			    o[first].a->at.file, o[first].a->at.line, lan);
	}
}

/* No static address on a LAN is a host's own there. */
static void
check_own(struct ctx *ctx, struct lanhost *h, struct net *v, size_t nv,
    const struct onlan *o, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < n; i++)
		for (j = 0; o[i].a != NULL && j < nv; j++)
			if (root(v, j) == o[i].lan && v[j].f->addr == o[i].n)
				diag(ctx, o[i].a->at, M(LAN_HOST_ADDRESS),
				    o[i].a->s, v[j].f->name, h[v[j].host].name,
				    v[j].f->at.file, v[j].f->at.line);
}

/*
 * A VM's seed on a LAN: at an address in a subnet of that LAN, or at
 * one of its own host's addresses.
 */
static void
check_seed_lan(struct ctx *ctx, const struct lanhost *h, size_t host,
    struct net *v, size_t nv, const struct member *m)
{
	size_t	 i, j;
	long	 k;
	char	 lan[32] = "";
	uint32_t a = (uint32_t)m->seed->n;

	for (i = 0; i < h[host].nifs; i++)
		if (h[host].ifs[i].addr == a)
			return;
	for (i = 0; i < m->ncard; i++) {
		if ((k = find_net(v, nv, host, m->cards[i].iface)) == -1)
			return;		/* a LAN vmc does not know */
		for (j = 0; j < nv; j++)
			if (root(v, j) == root(v, (size_t)k) &&
			    (a & v[j].f->mask) == (v[j].f->addr & v[j].f->mask))
				return;
		if (lan[0] == '\0')
			lan_name(v, root(v, (size_t)k), lan, sizeof(lan));
	}
	if (lan[0] != '\0')
		diag(ctx, m->seed->at, M(LAN_SEED), m->seed->s, lan,
		    h[host].name);
}

void
lan_validate(struct ctx *ctx, struct lanhost *h, size_t nh)
{
	struct net	*v;
	struct onlan	*o;
	const struct mcard *c;
	size_t		 i, j, k, a, nv = 0, no = 0, x, y;
	long		 net;
	uint32_t	 mask;

	for (i = 0; i < nh; i++)
		nv += h[i].nifs;
	v = xcalloc(nv, sizeof(*v));
	for (i = 0, nv = 0; i < nh; i++)
		for (j = 0; j < h[i].nifs; j++)
			if (h[i].ifs[j].lan) {
				v[nv] = (struct net){ i, &h[i].ifs[j], nv };
				nv++;
			}
	/* Subnets that overlap are one LAN; a fleet has few of them. */
	for (i = 0; i < nv; i++)
		for (j = i + 1; j < nv; j++) {
			mask = v[i].f->mask & v[j].f->mask;
			if ((v[i].f->addr & mask) != (v[j].f->addr & mask))
				continue;
			x = root(v, i);
			y = root(v, j);
			if (x != y)
				v[x > y ? x : y].up = x < y ? x : y;
		}
	for (i = 0; i < nh; i++)
		for (j = 0; j < h[i].n; j++)
			for (k = 0; k < h[i].m[j].ncard; k++)
				no += 1 + h[i].m[j].cards[k].naddr;
	o = xcalloc(no, sizeof(*o));
	for (i = 0, no = 0; i < nh; i++)
		for (j = 0; j < h[i].n; j++)
			for (k = 0; k < h[i].m[j].ncard; k++) {
				c = &h[i].m[j].cards[k];
				if ((net = find_net(v, nv, i, c->iface)) == -1)
					continue;
				o[no] = (struct onlan){ root(v, (size_t)net), i,
				    c->mac.n, &h[i].m[j], c, NULL, no };
				no++;
				for (a = 0; a < c->naddr; a++, no++) {
					o[no] = o[no - 1 - a];
					o[no].a = &c->addr[a];
					o[no].n = (uint64_t)c->addr[a].addr[0] << 24 |
					    c->addr[a].addr[1] << 16 |
					    c->addr[a].addr[2] << 8 |
					    c->addr[a].addr[3];
					/* apart from every MAC's 48 bits */
					o[no].n |= (uint64_t)1 << 48;
					o[no].order = no;
				}
			}
	report(ctx, v, o, no);
	for (i = 0; i < no; i++)
		o[i].n &= UINT32_MAX;
	check_own(ctx, h, v, nv, o, no);
	for (i = 0; i < nh; i++)
		for (j = 0; j < h[i].n; j++)
			if (h[i].m[j].seed != NULL)
				check_seed_lan(ctx, h, i, v, nv, &h[i].m[j]);
	free(o);
	free(v);
}
