#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmc.h"

/*
 * The networks VMs reach through socket_vmnet: one daemon serves each
 * (derive.c names it by its mode and its start address or interface),
 * so the cards on one network must agree on what the daemon is given,
 * and the networks must keep apart from each other and from the VMs'
 * launchd labels.  Pure, as the other checks across VMs.
 */

/* A card on a network, in reading order. */
struct card {
	const struct mnet	*m;
	size_t			 order;
};

static int
cmp_card(const void *a, const void *b)
{
	const struct card	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->m->id, y->m->id)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * A card m that gives the daemon another value of a key than the card
 * with did: addresses compare as numbers, a group as a name.
 */
static void
clash(struct ctx *ctx, const struct mnet *m, const struct val *mine,
    const struct mnet *with, const struct val *its)
{
	if (val_ok(mine) == val_ok(its) && (!val_ok(mine) ||
	    (mine->s != NULL && its->s != NULL && (mine == &m->group ?
	    strcmp(mine->s, its->s) == 0 : mine->n == its->n))))
		return;
	diag(ctx, val_ok(mine) ? mine->at : m->at, M(NET_CLASH),
	    val_ok(mine) ? mine->key : "via", m->id, with->at.file,
	    with->at.line, its->key != NULL ? its->key : mine->key);
}

/*
 * A later card that asks the daemon for something else than the first;
 * for the group, than the first that names one (a card without one, of
 * a VM run as root, takes the network's).
 */
static void
check_alike(struct ctx *ctx, const struct mnet *first, const struct mnet *m,
    const struct mnet *grouped)
{
	clash(ctx, m, &m->end, first, &first->end);
	clash(ctx, m, &m->mask, first, &first->mask);
	if (grouped != NULL && val_ok(&m->group))
		clash(ctx, m, &m->group, grouped, &grouped->group);
}

/* A static IPv4 address of a guest, in reading order. */
struct addr {
	const struct cidr	*c;
	size_t			 order;
};

static int
cmp_addr(const void *a, const void *b)
{
	const struct addr	*x = a, *y = b;
	int			 c;

	if ((c = memcmp(x->c->addr, y->c->addr, 4)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* No static address twice among the cards c of one network. */
static void
check_addresses(struct ctx *ctx, const struct card *c, size_t n)
{
	struct addr	*a;
	size_t		 i, j, k = 0;

	for (i = 0; i < n; i++)
		k += c[i].m->naddr;
	a = xcalloc(k + 1, sizeof(*a));
	for (i = 0, k = 0; i < n; i++)
		for (j = 0; j < c[i].m->naddr; j++)
			if (c[i].m->addr[j].family == AF_INET) {
				a[k] = (struct addr){ &c[i].m->addr[j], k };
				k++;
			}
	qsort(a, k, sizeof(*a), cmp_addr);
	for (i = 1, j = 0; i < k; i++) {
		if (memcmp(a[i].c->addr, a[j].c->addr, 4) != 0)
			j = i;
		else
			diag(ctx, a[i].c->at, M(NET_ADDRESS), a[i].c->s,
			    a[j].c->at.file, a[j].c->at.line, c[0].m->id);
	}
	free(a);
}

/* Two networks with ranges must not share an address. */
static void
check_overlap(struct ctx *ctx, const struct netd *d, size_t n)
{
	const struct mnet	*x, *y;
	uint32_t		 m;
	size_t			 i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++) {
			x = d[i].m;
			y = d[j].m;
			if (!val_ok(&x->start) || !val_ok(&x->mask) ||
			    !val_ok(&y->start) || !val_ok(&y->mask))
				continue;
			m = (uint32_t)x->mask.n & (uint32_t)y->mask.n;
			if ((x->start.n & m) == (y->start.n & m))
				diag(ctx, x->start.at, M(NET_OVERLAP), x->id,
				    y->id, y->start.at.file, y->start.at.line);
		}
}

/*
 * Checks the networks of the VMs v and returns their daemons, one per
 * network, by name, in *out.
 */
size_t
nets_validate(struct ctx *ctx, const struct member *v, size_t n,
    struct netd **out)
{
	const struct host	*h = ctx->host;
	struct card		*c;
	struct netd		*d;
	const struct mnet	*grouped;
	const char		*label;
	size_t			 i, j, k, nc = 0, nd = 0;

	*out = NULL;
	for (i = 0; i < n; i++)
		nc += v[i].nnet;
	if (nc == 0)
		return 0;
	c = xcalloc(nc, sizeof(*c));
	for (i = 0, nc = 0; i < n; i++)
		for (j = 0; j < v[i].nnet; j++, nc++)
			c[nc] = (struct card){ &v[i].nets[j], nc };
	qsort(c, nc, sizeof(*c), cmp_card);
	d = xcalloc(nc, sizeof(*d));
	for (i = 0; i < nc; i = j) {
		d[nd].m = c[i].m;
		d[nd].label = xasprintf(NET_LABEL "%s", c[i].m->id);
		d[nd].program = val_ok(&h->socket_vmnet) ?
		    h->socket_vmnet.s : "socket_vmnet";
		grouped = NULL;
		for (j = i; j < nc && strcmp(c[j].m->id, c[i].m->id) == 0;
		    j++) {
			if (j > i)
				check_alike(ctx, c[i].m, c[j].m, grouped);
			if (grouped == NULL && val_ok(&c[j].m->group))
				grouped = c[j].m;
		}
		/* Root alone (its group on macOS) when no card names one. */
		d[nd].group = grouped != NULL ? grouped->group.s : "wheel";
		check_addresses(ctx, &c[i], j - i);
		nd++;
	}
	check_overlap(ctx, d, nd);
	/* A VM's label must not be a network's: one plist each. */
	for (i = 0; i < n; i++) {
		label = v[i].label.s;
		if (label == NULL || strncasecmp(label, NET_LABEL,
		    strlen(NET_LABEL)) != 0)
			continue;
		for (k = 0; k < nd; k++)
			if (strcasecmp(label, d[k].label) == 0)
				diag(ctx, v[i].label.at, M(NET_LABEL_USED),
				    label, d[k].m->id);
	}
	free(c);
	*out = d;
	return nd;
}

void
nets_free(struct netd *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(d[i].label);
	free(d);
}
