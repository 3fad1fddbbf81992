#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * The QEMU command line of a validated VM, as an argument vector with
 * groups (an option and its value) for readable output.
 */

static void
add(struct argv *a, char *s)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = s;
}

/* Starts an output line: an option, then its value unless NULL. */
static void
opt(struct argv *a, const char *o, struct buf *value)
{
	if (a->ngroup == a->capgroup) {
		a->capgroup = a->capgroup ? a->capgroup * 2 : 32;
		a->group = xreallocarray(a->group, a->capgroup,
		    sizeof(*a->group));
	}
	a->group[a->ngroup++] = a->n;
	add(a, xstrdup(o));
	if (value != NULL) {
		add(a, value->p != NULL ? value->p : xstrdup(""));
		memset(value, 0, sizeof(*value));
	}
}

static void
device(struct argv *a, const struct nic *nic, size_t idx)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 mac[18];

	quote_qemu(&b, nic->model.s);
	fmt_mac(nic->hwaddr, mac);
	buf_printf(&b, ",netdev=net%zu,mac=%s", idx, mac);
	opt(a, "-device", &b);
}

/*
 * A card on socket_vmnet's network: QEMU connects to its socket, and
 * reconnects when the daemon restarts, where QEMU can (8.0 and later;
 * lima-vm/lima#5027), so that the guest is not cut off until its own
 * restart; an older QEMU gets the socket from socket_vmnet_client.
 * Both frame each Ethernet frame with its length, as socket_vmnet does.
 */
static void
socket_netdev(struct argv *a, const struct vm *vm, const struct nic *nic,
    size_t idx)
{
	struct buf	 b = { NULL, 0, 0 };

	if (vm->netclient != NULL)
		buf_printf(&b, "socket,id=net%zu,fd=3", idx);
	else {
		buf_printf(&b, "stream,id=net%zu,server=off,addr.type=unix,"
		    "addr.path=", idx);
		quote_qemu(&b, nic->socket);
		if (vm->qemuversion >= QEMU_RECONNECT_MS)
			buf_puts(&b, ",reconnect-ms=1000");
		else if (vm->qemuversion >= QEMU_RECONNECT)
			buf_puts(&b, ",reconnect=1");
	}
	opt(a, "-netdev", &b);
	device(a, nic, idx);
}

static void
netdev(struct argv *a, const struct vm *vm, const struct nic *nic,
    size_t idx)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 ip[16];
	size_t		 i;

	if (nic->socket != NULL) {
		socket_netdev(a, vm, nic, idx);
		return;
	}
	buf_printf(&b, "%s,id=net%zu", netmode_names[nic->mode.n], idx);
	if (nic->mode.n == NET_BRIDGED) {
		buf_puts(&b, ",ifname=");
		quote_qemu(&b, nic->interface.s);
	}
	if (val_ok(&nic->isolated))
		buf_printf(&b, ",isolated=%s", nic->isolated.n ? "on" : "off");
	if (val_ok(&nic->uuid))
		buf_printf(&b, ",net-uuid=%s", nic->uuid.s);
	if (val_ok(&nic->start)) {
		fmt_ipv4(nic->start.n, ip);
		buf_printf(&b, ",start-address=%s", ip);
		fmt_ipv4(nic->end.n, ip);
		buf_printf(&b, ",end-address=%s", ip);
		fmt_ipv4(nic->mask.n, ip);
		buf_printf(&b, ",subnet-mask=%s", ip);
	}
	for (i = 0; i < nic->nfwd; i++) {
		fmt_ipv4(nic->fwd[i].addr, ip);
		buf_printf(&b, ",hostfwd=%s:%s:%u-:%u",
		    nic->fwd[i].proto == PROTO_TCP ? "tcp" : "udp", ip,
		    nic->fwd[i].hport, nic->fwd[i].gport);
	}
	opt(a, "-netdev", &b);
	device(a, nic, idx);
}

/*
 * A qcow2 disk gives back to the host what the guest frees: a TRIM
 * (fstrim, or a file system mounted with discard) drops the clusters,
 * and a write of zeros becomes one too (qemu(1), -drive discard=unmap,
 * detect-zeroes=unmap).  Measured in BENCHMARKS.md.
 */
static void
thin(struct buf *b, const struct vm *vm, int fmt)
{
	if (fmt == FMT_QCOW2 && vm->discard.n)
		buf_puts(b, ",discard=unmap,detect-zeroes=unmap");
}

/*
 * The disks after the image, as virtio disks; the CDs on one virtio
 * SCSI controller, which both pc/q35 and virt machines take, and which
 * both kinds of firmware boot from (SeaBIOS's src/hw/virtio-scsi.c,
 * EDK II's OvmfPkg/VirtioScsiDxe, built into OVMF and AAVMF).  The boot
 * order is the firmware's own, which passes over a disk that has no
 * boot loader.
 */
static void
more_disks(struct argv *a, const struct vm *vm, int cdrom)
{
	struct buf		 b = { NULL, 0, 0 };
	const struct disk	*d;
	size_t			 i, n = 0;

	for (i = 0; i < vm->ndisk; i++) {
		d = &vm->disk[i];
		if (d->cdrom != cdrom)
			continue;
		if (cdrom && n == 0) {
			buf_puts(&b, "virtio-scsi-pci,id=scsi0");
			opt(a, "-device", &b);
		}
		buf_puts(&b, "file=");
		quote_qemu(&b, d->path);
		buf_printf(&b, ",format=%s", format_names[d->fmt]);
		if (!cdrom) {
			thin(&b, vm, d->fmt);
			buf_puts(&b, ",if=virtio");
			opt(a, "-drive", &b);
			continue;
		}
		buf_printf(&b, ",if=none,id=cd%zu,media=cdrom,readonly=on", n);
		opt(a, "-drive", &b);
		buf_printf(&b, "scsi-cd,bus=scsi0.0,drive=cd%zu", n++);
		opt(a, "-device", &b);
	}
}

void
qemu_argv(const struct vm *vm, struct argv *a)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;

	memset(a, 0, sizeof(*a));
	for (i = 0; vm->netclient != NULL && i < vm->nnic; i++)
		if (vm->nic[i].socket != NULL) {
			opt(a, vm->netclient, NULL);
			add(a, xstrdup(vm->nic[i].socket));
			break;
		}
	opt(a, vm->qemupath, NULL);
	buf_puts(&b, "guest=");
	quote_qemu(&b, vm->name);
	opt(a, "-name", &b);
	quote_qemu(&b, vm->machine.s);
	if (vm->gicopt != NULL)
		buf_printf(&b, ",%s", vm->gicopt);
	/* Validated as NAME=VALUE with commas doubled: QEMU's own form. */
	for (i = 0; i < vm->machopts.n; i++)
		buf_printf(&b, ",%s", vm->machopts.v[i].s);
	opt(a, "-machine", &b);
	for (i = 0; i < 2 && vm->accels[i] != -1; i++) {
		buf_puts(&b, accel_names[vm->accels[i]]);
		opt(a, "-accel", &b);
	}
	/* Validated as QEMU's -cpu syntax, which has no escapes. */
	buf_puts(&b, vm->cpumodel);
	opt(a, "-cpu", &b);
	buf_printf(&b, "%llu", (unsigned long long)vm->cpus.n);
	opt(a, "-smp", &b);
	buf_printf(&b, "%lluM", (unsigned long long)(vm->memory.n >> 20));
	opt(a, "-m", &b);
	if (vm->fwpath != NULL) {
		buf_puts(&b, "if=pflash,format=raw,readonly=on,file=");
		quote_qemu(&b, vm->fwpath);
		opt(a, "-drive", &b);
	}
	if (vm->varspath != NULL) {
		buf_puts(&b, "if=pflash,unit=1,format=raw,file=");
		quote_qemu(&b, vm->varspath);
		opt(a, "-drive", &b);
	}
	buf_puts(&b, "file=");
	quote_qemu(&b, vm->imagepath);
	buf_printf(&b, ",format=%s", vm->format.s);
	thin(&b, vm, (int)vm->format.n);
	buf_puts(&b, ",if=virtio");
	opt(a, "-drive", &b);
	more_disks(a, vm, 0);
	if (val_ok(&vm->seed)) {
		buf_printf(&b, "type=1,serial=ds=%s;s=", vm->seedds.s);
		quote_qemu(&b, vm->seed.s);
		opt(a, "-smbios", &b);
	}
	/* The local seed: QEMU shows the directory as a FAT disk. */
	if (vm->seeddir != NULL) {
		buf_puts(&b, "if=virtio,format=raw,read-only=on,"
		    "file.driver=vvfat,file.dir=");
		quote_qemu(&b, vm->seeddir);
		buf_puts(&b, ",file.label=CIDATA");
		opt(a, "-drive", &b);
	}
	more_disks(a, vm, 1);
	/* The host's randomness for the guest's early boot (Lima,
	 * quickemu): /dev/urandom, QEMU's own default source. */
	if (vm->rng.n) {
		buf_puts(&b, "rng-random,id=rng0,filename=/dev/urandom");
		opt(a, "-object", &b);
		buf_puts(&b, "virtio-rng-pci,rng=rng0");
		opt(a, "-device", &b);
	}
	for (i = 0; i < vm->nnic; i++)
		netdev(a, vm, &vm->nic[i], i);
	if (vm->nnic == 0) {
		buf_puts(&b, "none");
		opt(a, "-nic", &b);
	}
	buf_puts(&b, "unix:");
	quote_qemu(&b, vm->qmp);
	buf_puts(&b, ",server=on,wait=off");
	opt(a, "-qmp", &b);
	buf_puts(&b, "none");
	opt(a, "-display", &b);
	/*
	 * The serial port on a socket for vmc console, and everything the
	 * guest prints also to the script's standard output, which launchd
	 * opened as the job's log (QEMU's chardev logfile, qemu(1)): opening
	 * /dev/stdout duplicates it on macOS, and reopens the file on Linux.
	 */
	buf_puts(&b, "socket,id=serial0,path=");
	quote_qemu(&b, vm->console);
	buf_puts(&b, ",server=on,wait=off,logfile=/dev/stdout,logappend=on");
	opt(a, "-chardev", &b);
	buf_puts(&b, "chardev:serial0");
	opt(a, "-serial", &b);
	/* Extra arguments, as given: each option starts a line. */
	for (i = 0; i < vm->qemuargs.n; i++) {
		if (i == 0 || vm->qemuargs.v[i].s[0] == '-')
			opt(a, vm->qemuargs.v[i].s, NULL);
		else
			add(a, xstrdup(vm->qemuargs.v[i].s));
	}
}

void
argv_free(struct argv *a)
{
	size_t	 i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->group);
	memset(a, 0, sizeof(*a));
}
