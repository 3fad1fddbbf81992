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
		diag(ctx, at, M(GUEST_NET_SEED), key);
		return;
	}
	if (!val_ok(&nic->gateway) || parse_ip(nic->gateway.s, &gw) == -1)
		return;
	for (i = 0; i < nic->naddr; i++)
		if (nic->addr[i].family == gw.family)
			return;
	diag(ctx, nic->gateway.at, M(GATEWAY_STATIC), nic->gateway.s);
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
		diag(ctx, nic->at, M(RANGE_PARTIAL));
		return;
	}
	if (!ipv4_mask_ok(m)) {
		diag(ctx, nic->mask.at, M(RANGE_MASK), nic->mask.s);
		return;
	}
	if (s >= e) {
		diag(ctx, nic->end.at, M(RANGE_ORDER), nic->end.s,
		    nic->start.s);
		return;
	}
	if ((s & m) != (e & m) || (s & ~m) == 0 || (e | m) == UINT32_MAX) {
		diag(ctx, nic->end.at, M(RANGE_SUBNET), nic->start.s,
		    nic->end.s, nic->mask.s);
		return;
	}
	if (!private_range(s, m)) {
		diag(ctx, nic->start.at, M(RANGE_PRIVATE), nic->start.s,
		    nic->mask.s);
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
				diag(ctx, nic->start.at, M(RANGE_OVERLAP),
				    nic->start.s, h->ifs[i].addr[j].s,
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
	diag(ctx, f->at, M(FORWARD_NOADDR), s);
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
		diag(ctx, nic->mac.at, M(MAC_MULTICAST), nic->mac.s);
	else if (nic->hwaddr == QEMU_MAC)
		diag(ctx, nic->mac.at, M(MAC_QEMU), nic->mac.s);
	else if (nic->hwaddr == 0)
		diag(ctx, nic->mac.at, M(MAC_ZERO), nic->mac.s);
}

static void
check_bridge(struct ctx *ctx, struct nic *nic)
{
	const struct iface	*ifp;
	struct buf		 b = { NULL, 0, 0 };

	if (nic->interface.state == V_UNSET) {
		diag(ctx, nic->mode.at, M(BRIDGE_NONE));
		return;
	}
	if (!val_ok(&nic->interface))
		return;
	ifp = host_iface(ctx->host, nic->interface.s);
	if (ifp != NULL && ifp->up.n && !ifp->loopback.n && !ifp->vmnet.n)
		return;
	list_bridgeable(ctx->host, &b);
	if (ifp == NULL)
		diag(ctx, nic->interface.at, M(BRIDGE_ABSENT), nic->interface.s,
		    b.p);
	else if (!ifp->up.n)
		diag(ctx, nic->interface.at, M(BRIDGE_DOWN), nic->interface.s,
		    b.p);
	else if (ifp->loopback.n)
		diag(ctx, nic->interface.at, M(BRIDGE_LOOPBACK),
		    nic->interface.s, b.p);
	else
		diag(ctx, nic->interface.at, M(BRIDGE_VMNET), nic->interface.s,
		    b.p);
	buf_free(&b);
}

/* A card that reaches its network through socket_vmnet. */
static void
check_via(struct ctx *ctx, const struct vm *vm, const struct nic *nic)
{
	const struct host	*h = ctx->host;
	char			 ver[32];
	size_t			 i, n;
	int			 root;

	if (val_ok(&nic->group) && nic->socket == NULL)
		diag(ctx, nic->group.at, M(GROUP_VIA));
	if (nic->via.state != V_SET || nic->via.n != VIA_SOCKET_VMNET)
		return;
	if (nic->mode.n == NET_USER) {
		diag(ctx, nic->via.at, M(VIA_USER));
		return;
	}
	if (!val_ok(&h->socket_vmnet))
		diag(ctx, nic->via.at, M(VIA_NONE));
	if (!val_ok(&h->qemu_version))
		diag(ctx, nic->via.at, M(VERSION_NONE));
	if (val_ok(&nic->isolated))
		diag(ctx, nic->isolated.at, M(VIA_OPTION), nic->isolated.key);
	if (val_ok(&nic->uuid))
		diag(ctx, nic->uuid.at, M(VIA_OPTION), nic->uuid.key);
	if (nic->socket != NULL && strlen(nic->socket) > MAX_SUN_PATH)
		diag(ctx, nic->via.at, M(NET_SOCKET_LONG), nic->socket,
		    MAX_SUN_PATH);
	/* Root connects whatever the socket's group. */
	root = !val_ok(&vm->user) || strcmp(vm->user.s, "root") == 0;
	if (!root && nic->group.state == V_UNSET)
		diag(ctx, nic->via.at, M(GROUP_NEEDED), vm->user.s);
	else if (val_ok(&nic->group) && nic->ingroup == 0)
		diag(ctx, nic->group.at, M(GROUP_ABSENT), nic->group.s,
		    nic->group.s);
	else if (!root && val_ok(&nic->group) && nic->ingroup == 1)
		diag(ctx, nic->group.at, M(GROUP_MEMBER), vm->user.s,
		    nic->group.s, vm->user.s, nic->group.s);
	/* Said at the second such card. */
	for (i = 0, n = 0; vm->netclient != NULL && &vm->nic[i] <= nic; i++)
		n += vm->nic[i].socket != NULL;
	if (n == 2) {
		snprintf(ver, sizeof(ver), "%llu.%llu.%llu",
		    (unsigned long long)(vm->qemuversion / 1000000),
		    (unsigned long long)(vm->qemuversion / 1000 % 1000),
		    (unsigned long long)(vm->qemuversion % 1000));
		diag(ctx, nic->via.at, M(VIA_CLIENT), ver);
	}
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
		diag(ctx, nic->mode.at, M(VMNET_OS), nic->mode.s, h->os.s);
	if (vmnet && nic->socket == NULL && val_ok(&vm->user) &&
	    strcmp(vm->user.s, "root") != 0)
		diag(ctx, nic->mode.at, M(VMNET_ROOT), nic->mode.s, vm->user.s);
	check_via(ctx, vm, nic);
	if (nic->mode.n == NET_BRIDGED)
		check_bridge(ctx, nic);
	else if (val_ok(&nic->interface))
		diag(ctx, nic->interface.at, M(BRIDGE_ONLY));
	for (i = 0; i < nic->nfwd; i++) {
		if (vmnet) {
			diag(ctx, nic->fwd[i].at, M(FORWARD_VMNET),
			    nic->mode.s);
			break;
		}
		check_forward_addr(ctx, &nic->fwd[i]);
	}
	if (!vmnet && val_ok(&nic->isolated))
		diag(ctx, nic->isolated.at, M(ISOLATED_MODE));
	if (nic->mode.n != NET_HOST && val_ok(&nic->uuid))
		diag(ctx, nic->uuid.at, M(UUID_MODE));
	if (nic->mode.n == NET_SHARED || nic->mode.n == NET_HOST)
		check_vmnet_range(ctx, nic);
	else if ((range = val_ok(&nic->start) ? &nic->start :
	    val_ok(&nic->end) ? &nic->end : val_ok(&nic->mask) ? &nic->mask :
	    NULL) != NULL)
		diag(ctx, range->at, M(RANGE_MODE));
	if (val_ok(&nic->mac))
		check_mac(ctx, vm, idx);
	check_guest_net(ctx, vm, nic);
}
