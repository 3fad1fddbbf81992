#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * What a profile leaves to vmc, computed once from the model and the
 * host before anything is looked at: defaults that depend on the host,
 * the VM's run-time layout (script, sockets, log, seed), which QEMU,
 * firmware and qemu-img it runs, its accelerators, CPU model, MACs and
 * the GIC.  Nothing here reads a file or says a diagnostic, so no
 * check can see a value before it is set, whatever order checks run in.
 */

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

int
vm_uses(const struct vm *vm, int accel)
{
	return vm->accels[0] == accel || vm->accels[1] == accel;
}

/* The value of machine-option NAME among the first upto, or NULL. */
const struct val *
machine_opt(const struct vm *vm, const char *name, size_t upto)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < upto && i < vm->machopts.n; i++)
		if (strncmp(vm->machopts.v[i].s, name, n) == 0 &&
		    vm->machopts.v[i].s[n] == '=')
			return &vm->machopts.v[i];
	return NULL;
}

static void
set_default(struct val *v, const char *s, uint64_t n)
{
	v->s = s;
	v->n = n;
	v->state = V_DEFAULT;
}

/* hvf or kvm where the guest is the host's own architecture, then tcg. */
static void
derive_accel(struct vm *vm, const struct host *h)
{
	int	 native = h->os.n == OS_MACOS ? ACCEL_HVF : ACCEL_KVM;

	vm->accels[0] = vm->accels[1] = -1;
	if (!val_ok(&vm->arch) || !val_ok(&vm->accel))
		return;
	if (vm->accel.n == ACCEL_AUTO && vm->arch.n == h->arch.n) {
		vm->accels[0] = native;
		vm->accels[1] = ACCEL_TCG;
	} else if (vm->accel.n == ACCEL_AUTO)
		vm->accels[0] = ACCEL_TCG;
	else
		vm->accels[0] = (int)vm->accel.n;
}

/*
 * On an Intel Mac, hvf passes the host's CPU features through.  macOS
 * saves a thread's AVX-512 state only once the thread is promoted on
 * first use, and guests have crashed on AVX-512 code and with 1 GiB
 * pages there; AVX-512F masked, Linux drops every AVX-512 extension.
 * max, unlike host, works when hvf or kvm falls back to tcg.
 */
#define HVF_X86_CPU	"max,-avx512f,-avx512vl,-pdpe1gb"

/*
 * QEMU's virt machine starts with GICv2, which has room for GICV2_CPUS;
 * above that vmc asks for GICv3 (tcg and hvf, hw/arm/virt.c).
 */
static const char *
derive_gic(const struct vm *vm)
{
	if (vm->arch.n != ARCH_AARCH64 || !val_ok(&vm->machine) ||
	    (strcmp(vm->machine.s, "virt") != 0 &&
	    strncmp(vm->machine.s, "virt-", 5) != 0) ||
	    !val_ok(&vm->cpus) || vm->cpus.n <= GICV2_CPUS ||
	    machine_opt(vm, "gic-version", SIZE_MAX) != NULL)
		return NULL;
	return "gic-version=3";
}

/* The programs and firmware the job runs, as the profile or host says. */
static void
derive_binaries(struct vm *vm, const struct host *h)
{
	const struct val	*q, *fw;

	q = val_ok(&vm->qemu) ? &vm->qemu : vm->arch.n == ARCH_X86_64 ?
	    &h->qemu_x86_64 : &h->qemu_aarch64;
	if (val_ok(q))
		vm->qemupath = pool_strdup(&vm->pool, q->s);
	/* The profile's firmware is resolved as any file it names. */
	fw = vm->arch.n == ARCH_AARCH64 ? &h->firmware_aarch64 : NULL;
	if (!val_ok(&vm->firmware) && fw != NULL && val_ok(fw))
		vm->fwpath = pool_add(&vm->pool, path_clean("/", fw->s));
	if (val_ok(&vm->base) && val_ok(&h->qemu_img))
		vm->qemuimg = pool_strdup(&vm->pool, h->qemu_img.s);
	/* UEFI keeps its boot entries in a store of the VM's own. */
	if (vm->arch.n == ARCH_AARCH64 && val_ok(&h->vars_aarch64))
		vm->varstemplate = pool_strdup(&vm->pool, h->vars_aarch64.s);
}

/*
 * A network reached through socket_vmnet is named by what makes it one:
 * its mode, and its gateway (start-address) or the interface it
 * bridges.  Its daemon's socket and log are in the run directory,
 * which root owns.
 */
static void
derive_net(struct vm *vm, struct nic *nic, const char *rundir)
{
	const char	*mode;
	char		 ip[16];

	mode = nic->mode.n == NET_SHARED ? "shared" :
	    nic->mode.n == NET_HOST ? "host" : "bridged";
	if (nic->mode.n == NET_BRIDGED && !val_ok(&nic->interface))
		return;
	if (nic->mode.n == NET_BRIDGED)
		nic->netid = pool_printf(&vm->pool, "%s-%s", mode,
		    nic->interface.s);
	else if (val_ok(&nic->start)) {
		fmt_ipv4(nic->start.n, ip);
		nic->netid = pool_printf(&vm->pool, "%s-%s", mode, ip);
	} else
		nic->netid = mode;
	nic->socket = pool_printf(&vm->pool, "%s/vmnet-%s.sock", rundir,
	    nic->netid);
	nic->netlog = pool_printf(&vm->pool, "%s/vmnet-%s.log", rundir,
	    nic->netid);
}

/*
 * QEMU 7.2 and later connect to socket_vmnet themselves (-netdev
 * stream); an older one is started by socket_vmnet_client, which
 * connects and hands it the socket as descriptor 3.  The client is
 * installed beside socket_vmnet.
 */
static void
derive_client(struct vm *vm, const struct host *h)
{
	char	*dir;
	size_t	 i;

	if (val_ok(&h->qemu_version))
		vm->qemuversion = h->qemu_version.n;
	if (!val_ok(&h->socket_vmnet) || !val_ok(&h->qemu_version) ||
	    vm->qemuversion >= QEMU_STREAM)
		return;
	for (i = 0; i < vm->nnic; i++)
		if (vm->nic[i].socket != NULL) {
			dir = path_dir(h->socket_vmnet.s);
			vm->netclient = pool_printf(&vm->pool,
			    "%s/socket_vmnet_client", dir);
			free(dir);
			return;
		}
}

void
vm_derive(struct vm *vm, const struct host *h, const char *rundir)
{
	struct cloudinit	*ci = &vm->ci;
	struct nic		*nic;
	size_t			 i;

	if (vm->arch.state == V_UNSET)
		set_default(&vm->arch, arch_names[h->arch.n], h->arch.n);
	if (vm->machine.state == V_UNSET)
		set_default(&vm->machine, vm->arch.n == ARCH_X86_64 ? "q35" :
		    "virt", 0);
	if (vm->label.state == V_UNSET)
		set_default(&vm->label, pool_printf(&vm->pool, "local.vmc.%s",
		    vm->name), 0);
	/* "/" joins as "": the paths below are "/NAME.sh", not "//". */
	if (strcmp(rundir, "/") == 0)
		rundir = "";
	vm->script = pool_printf(&vm->pool, "%s/%s.sh", rundir, vm->name);
	/* QEMU run as another user than root cannot create its socket in
	 * the run directory, which root owns: it gets RUNDIR/NAME/. */
	if (!val_ok(&vm->user) || strcmp(vm->user.s, "root") == 0) {
		vm->qmp = pool_printf(&vm->pool, "%s/%s.qmp", rundir, vm->name);
		vm->marker = pool_printf(&vm->pool, "%s/%s.restart", rundir,
		    vm->name);
		vm->console = pool_printf(&vm->pool, "%s/%s.console", rundir,
		    vm->name);
		vm->runfile = pool_printf(&vm->pool, "%s/%s.run", rundir,
		    vm->name);
	} else {
		vm->vmdir = pool_printf(&vm->pool, "%s/%s", rundir, vm->name);
		vm->qmp = pool_printf(&vm->pool, "%s/qmp", vm->vmdir);
		vm->marker = pool_printf(&vm->pool, "%s/restart", vm->vmdir);
		vm->console = pool_printf(&vm->pool, "%s/console", vm->vmdir);
		vm->runfile = pool_printf(&vm->pool, "%s/run", vm->vmdir);
	}
	vm->logpath = val_ok(&vm->log) ? vm->log.s :
	    pool_printf(&vm->pool, "%s/%s.log", rundir, vm->name);
	if (ci->present) {
		vm->seeddir = pool_printf(&vm->pool, "%s/%s" SEED_DIR, rundir,
		    vm->name);
		if (ci->hostname.state == V_UNSET)
			set_default(&ci->hostname, vm->name, 0);
		if (ci->instanceid.state == V_UNSET)
			set_default(&ci->instanceid, vm->name, 0);
	}
	derive_accel(vm, h);
	if (val_ok(&vm->arch))
		derive_binaries(vm, h);
	if (val_ok(&vm->cpu))
		vm->cpumodel = vm->cpu.s;
	else
		vm->cpumodel = vm->arch.n == ARCH_X86_64 &&
		    vm_uses(vm, ACCEL_HVF) ? HVF_X86_CPU : "max";
	vm->gicopt = derive_gic(vm);
	for (i = 0; i < vm->nnic; i++) {
		nic = &vm->nic[i];
		if (!val_ok(&nic->mac))
			continue;
		nic->hwaddr = strcmp(nic->mac.s, "auto") == 0 ?
		    mac_derive(vm->name, i) : nic->mac.n;
	}
	for (i = 0; i < vm->nnic; i++) {
		nic = &vm->nic[i];
		if (val_ok(&nic->mode) && nic->mode.n != NET_USER &&
		    val_ok(&nic->via) && nic->via.n == VIA_SOCKET_VMNET)
			derive_net(vm, nic, rundir);
	}
	derive_client(vm, h);
}

/*
 * Where the guest answers, a line each: "fwd PROTO ADDR HPORT GPORT"
 * for a user-network forward, "mac MODE MAC" for a vmnet card, whose
 * address the host's DHCP server or ARP table knows.
 */
void
reach_lines(struct buf *b, const struct vm *vm)
{
	const struct nic	*nic;
	char			 mac[18], addr[16];
	size_t			 i, j;

	for (i = 0; i < vm->nnic; i++) {
		nic = &vm->nic[i];
		for (j = 0; j < nic->nfwd; j++) {
			fmt_ipv4(nic->fwd[j].addr, addr);
			buf_printf(b, "fwd %s %s %u %u\n",
			    nic->fwd[j].proto == PROTO_UDP ? "udp" : "tcp",
			    addr, nic->fwd[j].hport, nic->fwd[j].gport);
		}
		if (nic->mode.n != NET_USER) {
			fmt_mac(nic->hwaddr, mac);
			buf_printf(b, "mac %s %s\n",
			    netmode_names[nic->mode.n], mac);
		}
	}
}
