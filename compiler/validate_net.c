#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "vmc.h"

/*
 * Each network card against the host: its mode, the vmnet range, the
 * interface to bridge, port forwards, the MAC, and the guest's own
 * addresses.
 */

#define QEMU_MAC	0x525400123456ULL	/* every QEMU's first default */

/* The guest's own addresses only reach it through the local seed. */
static void
check_guest_net(struct ctx *ctx, const struct vm *vm, const struct nic *nic)
{
	struct cidr	 gw;
	const char	*key = NULL;
	struct loc	 at;
	size_t		 i;

	if (nic->naddr > 0) {
		key = nic->addr[0].key;
		at = nic->addr[0].at;
	} else if (val_ok(&nic->gateway)) {
		key = nic->gateway.key;
		at = nic->gateway.at;
	} else if (nic->ndns > 0) {
		key = nic->dns[0].key;
		at = nic->dns[0].at;
	}
	if (key != NULL && !vm->ci.present) {
		diag_error(ctx, at, key, "the guest learns its addresses from "
		    "the seed vmc writes: add a [cloud-init] section");
		return;
	}
	if (!val_ok(&nic->gateway) || parse_ip(nic->gateway.s, &gw) == -1)
		return;
	for (i = 0; i < nic->naddr; i++)
		if (nic->addr[i].family == gw.family)
			return;
	diag_error(ctx, nic->gateway.at, nic->gateway.key, "'%s' needs a "
	    "static address of its family", nic->gateway.s);
}

static int
ipv4_mask_ok(uint32_t m)
{
	return m != 0 && (~m & (~m + 1)) == 0;
}

/* Whether the subnet of s and mask m lies in one RFC 1918 range. */
static int
private_range(uint32_t s, uint32_t m)
{
	static const uint32_t	 range[][2] = { { 0x0a000000, 0xff000000 },
	    { 0xac100000, 0xfff00000 }, { 0xc0a80000, 0xffff0000 } };
	size_t			 i;

	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		if ((s & range[i][1]) == range[i][0] &&
		    (m & range[i][1]) == range[i][1])
			return 1;
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
	if (!private_range(s, m)) {
		diag_error(ctx, nic->start.at, nic->start.key, "subnet '%s' of "
		    "mask '%s' is not inside a private range (10.0.0.0/8, "
		    "172.16.0.0/12 or 192.168.0.0/16), which vmnet requires",
		    nic->start.s, nic->mask.s);
		return;
	}
	for (i = 0; i < h->nifs; i++)
		for (j = 0; j < h->ifs[i].naddr; j++) {
			/* A vmnet bridge may be this very network, running. */
			if (h->ifs[i].vmnet.n ||
			    cidr_ipv4(&h->ifs[i].addr[j], &a, &hm) == -1)
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
		if (h->ifs[i].up.n && !h->ifs[i].loopback.n &&
		    !h->ifs[i].vmnet.n)
			buf_printf(b, "%s%s", n++ ? ", " : "", h->ifs[i].name);
	if (n == 0)
		buf_puts(b, "none");
}

static void
check_mac(struct ctx *ctx, const struct vm *vm, size_t idx)
{
	const struct nic	*nic = &vm->nic[idx];

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
	if (ifp != NULL && ifp->up.n && !ifp->loopback.n && !ifp->vmnet.n)
		return;
	list_bridgeable(ctx->host, &b);
	diag_error(ctx, nic->interface.at, nic->interface.key, "'%s' %s; "
	    "interfaces that can be bridged: %s", nic->interface.s,
	    ifp == NULL ? "does not exist on the host" : !ifp->up.n ?
	    "is down" : ifp->loopback.n ? "is a loopback interface" :
	    "is the bridge of a vmnet network", b.p);
	buf_free(&b);
}

void
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
	check_guest_net(ctx, vm, nic);
}
