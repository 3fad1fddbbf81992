#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "vmc.h"

/*
 * OUTDIR/NAME.cidata/: the NoCloud seed of a VM with [cloud-init], the
 * files cloud-init reads from a volume labelled CIDATA (cloud-init's
 * DataSourceNoCloud).  meta-data names the instance and the host and
 * carries the public keys of the image's default user; network-config
 * is version 2, each card matched by its MAC; user-data is the user's,
 * verbatim; vendor-data is empty.
 */

const char *const seed_files[SEED_FILES + 1] = { "meta-data", "network-config",
    "user-data", "vendor-data", NULL };

/* A YAML double-quoted scalar; values hold no control characters. */
static void
yaml(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_puts(b, "\\");
		buf_add(b, s, 1);
	}
	buf_puts(b, "\"");
}

static void
meta_data(const struct vm *vm, struct buf *b)
{
	size_t	 i;

	buf_puts(b, "instance-id: ");
	yaml(b, vm->ci.instanceid.s);
	buf_puts(b, "\nlocal-hostname: ");
	yaml(b, vm->ci.hostname.s);
	buf_puts(b, "\n");
	if (vm->ci.nkeys > 0)
		buf_puts(b, "public-keys:\n");
	for (i = 0; i < vm->ci.nkeys; i++) {
		buf_puts(b, "  - ");
		yaml(b, vm->ci.keys[i]);
		buf_puts(b, "\n");
	}
}

static void
addr_list(struct buf *b, const char *indent, const struct cidr *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		buf_printf(b, "%s  - ", indent);
		yaml(b, v[i].s);
		buf_puts(b, "\n");
	}
}

static void
network_config(const struct vm *vm, struct buf *b)
{
	const struct nic	*nic;
	struct cidr		 gw;
	size_t			 i;
	char			 mac[18];

	if (vm->nnic == 0) {
		buf_puts(b, "network:\n  config: disabled\n");
		return;
	}
	buf_puts(b, "network:\n  version: 2\n  ethernets:\n");
	for (i = 0; i < vm->nnic; i++) {
		nic = &vm->nic[i];
		fmt_mac(nic->hwaddr, mac);
		buf_printf(b, "    eth%zu:\n      match:\n        macaddress: "
		    "\"%s\"\n      set-name: eth%zu\n", i, mac, i);
		if (nic->naddr == 0)
			buf_puts(b, "      dhcp4: true\n");
		else {
			buf_puts(b, "      addresses:\n");
			addr_list(b, "      ", nic->addr, nic->naddr);
		}
		if (val_ok(&nic->gateway) && parse_ip(nic->gateway.s, &gw) == 0) {
			buf_printf(b, "      gateway%d: ",
			    gw.family == AF_INET ? 4 : 6);
			yaml(b, nic->gateway.s);
			buf_puts(b, "\n");
		}
		if (nic->ndns > 0) {
			buf_puts(b, "      nameservers:\n        addresses:\n");
			addr_list(b, "        ", nic->dns, nic->ndns);
		}
	}
}

void
emit_seed(const struct vm *vm, size_t file, struct buf *b)
{
	switch (file) {
	case 0:
		meta_data(vm, b);
		break;
	case 1:
		network_config(vm, b);
		break;
	case 2:
		if (vm->ci.ud != NULL)
			buf_add(b, vm->ci.ud, vm->ci.udlen);
		else
			buf_puts(b, "#cloud-config\n");
		break;
	default:
		break;
	}
}
