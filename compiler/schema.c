#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"
#include "schema.h"

/*
 * The schema: every section and key of profiles and host files, with
 * its type, default and bounds.  Adding a key is one row in keys[], one
 * entry in vmc.5 and its tests; adding a section, one row in
 * sections[].  model.c builds objects by these tables; the functions
 * at the end find a section or key by its name, or say what was meant.
 */

const char *const arch_names[] = { [ARCH_X86_64] = "x86_64",
    [ARCH_AARCH64] = "aarch64", NULL };
const char *const accel_names[] = { [ACCEL_AUTO] = "auto",
    [ACCEL_HVF] = "hvf", [ACCEL_KVM] = "kvm", [ACCEL_TCG] = "tcg", NULL };
const char *const format_names[] = { [FMT_QCOW2] = "qcow2",
    [FMT_RAW] = "raw", NULL };
const char *const netmode_names[] = { [NET_USER] = "user",
    [NET_SHARED] = "vmnet-shared", [NET_HOST] = "vmnet-host",
    [NET_BRIDGED] = "vmnet-bridged", NULL };
const char *const restart_names[] = { [RESTART_ON_FAILURE] = "on-failure",
    [RESTART_ALWAYS] = "always", [RESTART_NEVER] = "never", NULL };
const char *const os_names[] = { [OS_MACOS] = "macos", [OS_LINUX] = "linux",
    NULL };
const char *const via_names[] = { [VIA_QEMU] = "qemu",
    [VIA_SOCKET_VMNET] = "socket_vmnet", NULL };
const char *const datasource_names[] = { [DS_NOCLOUD] = "nocloud",
    [DS_NOCLOUD_NET] = "nocloud-net", NULL };

/* In the order diagnostics list them. */
const struct section sections[] = {
	[S_VM] = { "vm", D_PROFILE, O_VM, L_NONE, 1, 1 },
	[S_NETWORK] = { "network", D_PROFILE, O_NIC, L_OPTIONAL, MAX_NICS, 0 },
	[S_SERVICE] = { "service", D_PROFILE, O_VM, L_NONE, 1, 0 },
	[S_CLOUD] = { "cloud-init", D_PROFILE, O_CLOUD, L_NONE, 1, 0 },
	[S_HOST] = { "host", D_HOST, O_HOST, L_NONE, 1, 1 },
	[S_INTERFACE] = { "interface", D_HOST, O_IFACE, L_REQUIRED, 0, 0 },
	[S_QEMU] = { "qemu", D_HOST, O_HOST, L_NONE, 1, 0 },
};
const size_t nsections = sizeof(sections) / sizeof(sections[0]);

#define VM(f)	offsetof(struct vm, f)
#define NIC(f)	offsetof(struct nic, f)
#define HOST(f)	offsetof(struct host, f)
#define IF(f)	offsetof(struct iface, f)
#define CI(f)	offsetof(struct cloudinit, f)
#define NONE	0, 0

const struct key keys[] = {
	{ S_VM, "arch", T_ENUM, 0, NULL, VM(arch), arch_names, NONE },
	{ S_VM, "machine", T_WORD, 0, NULL, VM(machine), NULL, NONE },
	{ S_VM, "accel", T_ENUM, 0, "auto", VM(accel), accel_names, NONE },
	{ S_VM, "cpus", T_NUM, 0, "1", VM(cpus), NULL, 1, 255 },
	{ S_VM, "memory", T_SIZE, REQUIRED, NULL, VM(memory), NULL, NONE },
	{ S_VM, "image", T_PATH, REQUIRED, NULL, VM(image), NULL, NONE },
	{ S_VM, "format", T_ENUM, 0, NULL, VM(format), format_names, NONE },
	{ S_VM, "seed", T_URL, 0, NULL, VM(seed), NULL, NONE },
	{ S_VM, "seed-datasource", T_ENUM, 0, "nocloud", VM(seedds),
	    datasource_names, NONE },
	{ S_VM, "base", T_PATH, 0, NULL, VM(base), NULL, NONE },
	{ S_VM, "disk-size", T_SIZE, 0, NULL, VM(disksize), NULL, NONE },
	{ S_VM, "disk", T_DISK, MULTI, NULL, VM(disks), NULL, NONE },
	{ S_VM, "cdrom", T_DISK, MULTI, NULL, VM(cdroms), NULL, NONE },
	{ S_VM, "qemu", T_ABSPATH, 0, NULL, VM(qemu), NULL, NONE },
	{ S_VM, "firmware", T_PATH, 0, NULL, VM(firmware), NULL, NONE },
	{ S_VM, "cpu", T_CPU, 0, NULL, VM(cpu), NULL, NONE },
	{ S_VM, "discard", T_BOOL, 0, "yes", VM(discard), NULL, NONE },
	{ S_VM, "rng", T_BOOL, 0, "yes", VM(rng), NULL, NONE },
	{ S_VM, "machine-option", T_PROP, MULTI, NULL, VM(machopts), NULL,
	    NONE },
	{ S_VM, "qemu-arg", T_ARG, MULTI, NULL, VM(qemuargs), NULL, NONE },
	{ S_NETWORK, "mode", T_ENUM, REQUIRED, NULL, NIC(mode), netmode_names,
	    NONE },
	{ S_NETWORK, "via", T_ENUM, 0, "qemu", NIC(via), via_names, NONE },
	{ S_NETWORK, "group", T_WORD, 0, NULL, NIC(group), NULL, NONE },
	{ S_NETWORK, "interface", T_WORD, 0, NULL, NIC(interface), NULL, NONE },
	{ S_NETWORK, "model", T_WORD, 0, "virtio-net-pci", NIC(model), NULL,
	    NONE },
	{ S_NETWORK, "mac", T_MAC, 0, "auto", NIC(mac), NULL, NONE },
	{ S_NETWORK, "forward", T_FWD, 0, NULL, 0, NULL, NONE },
	{ S_NETWORK, "start-address", T_IPV4, 0, NULL, NIC(start), NULL, NONE },
	{ S_NETWORK, "end-address", T_IPV4, 0, NULL, NIC(end), NULL, NONE },
	{ S_NETWORK, "subnet-mask", T_IPV4, 0, NULL, NIC(mask), NULL, NONE },
	{ S_NETWORK, "isolated", T_BOOL, 0, NULL, NIC(isolated), NULL, NONE },
	{ S_NETWORK, "net-uuid", T_UUID, 0, NULL, NIC(uuid), NULL, NONE },
	{ S_NETWORK, "address", T_CIDR, 0, NULL, 0, NULL, NONE },
	{ S_NETWORK, "gateway", T_IP, 0, NULL, NIC(gateway), NULL, NONE },
	{ S_NETWORK, "dns", T_DNS, 0, NULL, 0, NULL, NONE },
	{ S_SERVICE, "label", T_WORD, 0, NULL, VM(label), NULL, NONE },
	{ S_SERVICE, "autostart", T_BOOL, 0, "yes", VM(autostart), NULL, NONE },
	{ S_SERVICE, "restart", T_ENUM, 0, "on-failure", VM(restart),
	    restart_names, NONE },
	{ S_SERVICE, "user", T_WORD, 0, "root", VM(user), NULL, NONE },
	{ S_SERVICE, "log", T_ABSPATH, 0, NULL, VM(log), NULL, NONE },
	{ S_SERVICE, "stop-timeout", T_NUM, 0, "30", VM(stoptimeout), NULL,
	    0, 3600 },
	{ S_CLOUD, "user-data", T_PATH, 0, NULL, CI(userdata), NULL, NONE },
	{ S_CLOUD, "ssh-key", T_STR, MULTI, NULL, CI(sshkeys), NULL, NONE },
	{ S_CLOUD, "hostname", T_HOST, 0, NULL, CI(hostname), NULL, NONE },
	{ S_CLOUD, "instance-id", T_WORD, 0, NULL, CI(instanceid), NULL,
	    NONE },
	{ S_HOST, "os", T_ENUM, REQUIRED, NULL, HOST(os), os_names, NONE },
	{ S_HOST, "arch", T_ENUM, REQUIRED, NULL, HOST(arch), arch_names, NONE },
	{ S_HOST, "cpus", T_NUM, REQUIRED, NULL, HOST(cpus), NULL, 1, 65535 },
	{ S_HOST, "memory", T_SIZE, REQUIRED, NULL, HOST(memory), NULL, NONE },
	{ S_INTERFACE, "address", T_CIDR, 0, NULL, 0, NULL, NONE },
	{ S_INTERFACE, "up", T_BOOL, 0, "yes", IF(up), NULL, NONE },
	{ S_INTERFACE, "loopback", T_BOOL, 0, "no", IF(loopback), NULL, NONE },
	{ S_INTERFACE, "vmnet", T_BOOL, 0, "no", IF(vmnet), NULL, NONE },
	{ S_QEMU, "x86_64", T_ABSPATH, 0, NULL, HOST(qemu_x86_64), NULL, NONE },
	{ S_QEMU, "aarch64", T_ABSPATH, 0, NULL, HOST(qemu_aarch64), NULL,
	    NONE },
	{ S_QEMU, "firmware-aarch64", T_ABSPATH, 0, NULL,
	    HOST(firmware_aarch64), NULL, NONE },
	{ S_QEMU, "vars-aarch64", T_ABSPATH, 0, NULL, HOST(vars_aarch64), NULL,
	    NONE },
	{ S_QEMU, "qemu-img", T_ABSPATH, 0, NULL, HOST(qemu_img), NULL, NONE },
	{ S_QEMU, "version", T_VERSION, 0, NULL, HOST(qemu_version), NULL,
	    NONE },
	{ S_QEMU, "socket_vmnet", T_ABSPATH, 0, NULL, HOST(socket_vmnet), NULL,
	    NONE },
};
const size_t nkeys = sizeof(keys) / sizeof(keys[0]);

const struct key *
schema_key(enum sect sect, const char *key)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++)
		if (keys[i].sect == sect && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

void
schema_unknown_key(struct ctx *ctx, enum sect sect, const struct setting *s)
{
	const char	*cand[nkeys], *hint;
	size_t		 i, n = 0;

	for (i = 0; i < nkeys; i++)
		if (keys[i].sect == sect)
			cand[n++] = keys[i].key;
	if ((hint = closest(s->key, cand, n)) != NULL)
		diag(ctx, s->at, M(KEY_UNKNOWN_HINT), s->key, s->section, hint);
	else
		diag(ctx, s->at, M(KEY_UNKNOWN), s->key, s->section);
}

/*
 * Finds the section of a header such as "network.lan" and its label,
 * or -1 when the document has no such section.
 */
int
schema_section(enum doctype doc, const char *name, const char **label)
{
	const char	*dot;
	size_t		 i, n;

	if ((dot = strchr(name, '.')) == NULL) {
		*label = NULL;
		n = strlen(name);
	} else {
		*label = dot + 1;
		n = dot - name;
	}
	for (i = 0; i < nsections; i++)
		if (sections[i].doc == doc &&
		    strncmp(sections[i].name, name, n) == 0 &&
		    sections[i].name[n] == '\0')
			return (int)i;
	return -1;
}

static void
unknown_section(struct ctx *ctx, enum doctype doc, const char *name,
    struct loc at)
{
	const char	*cand[nsections], *hint;
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i, n = 0;
	char		*vis;

	for (i = 0; i < nsections; i++)
		if (sections[i].doc == doc)
			cand[n++] = sections[i].name;
	vis = diag_vis(name);
	if ((hint = closest(name, cand, n)) != NULL)
		diag(ctx, at, M(SECTION_UNKNOWN), vis, hint);
	else {
		for (i = 0; i + 1 < n; i++)
			buf_printf(&b, "%s[%s]", i == 0 ? "" : ", ", cand[i]);
		diag(ctx, at, M(SECTION_EXPECTED), vis, b.p, cand[n - 1]);
		buf_free(&b);
	}
	free(vis);
}

/*
 * Checks a section header.  Returns its section, or -1 after a
 * diagnostic; its keys then go nowhere.
 */
int
schema_check_section(struct ctx *ctx, enum doctype doc, const char *name,
    struct loc at, const char **label)
{
	const struct section	*sec;
	int			 i;
	char			*vis;

	if ((i = schema_section(doc, name, label)) == -1) {
		unknown_section(ctx, doc, name, at);
		return -1;
	}
	sec = &sections[i];
	if (*label != NULL && sec->label == L_NONE) {
		diag(ctx, at, M(LABEL_NONE), sec->name);
		return -1;
	}
	if (*label != NULL && sec->label == L_OPTIONAL &&
	    check_word(*label, "._-") == -1) {
		vis = diag_vis(*label);
		diag(ctx, at, M(LABEL_CHARS), vis);
		free(vis);
		return -1;
	}
	if (*label == NULL && sec->label == L_REQUIRED) {
		diag(ctx, at, M(LABEL_NEEDED), sec->name, sec->name);
		return -1;
	}
	return i;
}
