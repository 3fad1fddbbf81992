#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * One VM as a whole: the accelerator, CPU, machine and memory against
 * the host, the options QEMU may not be given twice, the job's log,
 * run directory and user, then each room's checks in turn.  A pure
 * function of the VM as derived and resolved, and the host.
 */

#define MIN_MEMORY	(16ULL << 20)
#define HVF_ARM_CPUS	64	/* vCPUs Hypervisor.framework gives a VM */

static void
check_accel(struct ctx *ctx, const struct vm *vm)
{
	const struct host	*h = ctx->host;
	int			 native = h->os.n == OS_MACOS ? ACCEL_HVF : ACCEL_KVM;

	if (vm->accel.n != ACCEL_HVF && vm->accel.n != ACCEL_KVM)
		return;
	if ((int)vm->accel.n != native)
		diag(ctx, vm->accel.at, M(ACCEL_OS), vm->accel.s,
		    vm->accel.n == ACCEL_HVF ? "macOS" : "Linux", h->os.s);
	else if (vm->arch.n != h->arch.n)
		diag(ctx, vm->accel.at, M(ACCEL_ARCH), vm->accel.s, vm->arch.s,
		    h->arch.s);
}

static void
check_memory(struct ctx *ctx, const struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct val	*v = &vm->memory;

	if (!val_ok(v))
		return;
	if (v->n < MIN_MEMORY)
		diag(ctx, v->at, M(MEMORY_SMALL), v->s);
	else if (v->n % (1 << 20) != 0)
		diag(ctx, v->at, M(MEMORY_MIB), v->s);
	else if (v->n > h->memory.n)
		diag(ctx, v->at, M(MEMORY_HOST), v->s,
		    (unsigned long long)(h->memory.n >> 20));
}

static void
check_cpu_model(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v = &vm->cpu;
	const char		*hw;

	hw = ctx->host->os.n == OS_MACOS ? "hvf" : "kvm";
	/* No CPU model QEMU knows is a number: cpus was meant. */
	if (val_ok(v) && v->s[strspn(v->s, "0123456789")] == '\0')
		diag(ctx, v->at, M(CPU_NUMBER), v->s);
	if (val_ok(v) && strncmp(v->s, "host", 4) == 0 && (v->s[4] == '\0' ||
	    v->s[4] == ',') && vm_uses(vm, ACCEL_TCG)) {
		if (vm->accels[0] == ACCEL_TCG)
			diag(ctx, v->at, M(CPU_HOST_TCG), hw);
		else
			diag(ctx, v->at, M(CPU_HOST_FALLBACK), hw);
	}
}

/* The GIC of virt: see derive.c, which picks GICv3 above 8 vCPUs. */
static void
check_gic(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*gic, *c = &vm->cpus;
	const char		*ver = NULL;
	unsigned long long	 n = c->n;

	if ((gic = machine_opt(vm, "gic-version", SIZE_MAX)) != NULL) {
		ver = gic->s + strlen("gic-version=");
		if (strcmp(ver, "host") == 0 && !vm_uses(vm, ACCEL_KVM))
			diag(ctx, gic->at, M(GIC_HOST));
		else if (strcmp(ver, "4") == 0 && vm->accels[0] != ACCEL_TCG)
			diag(ctx, gic->at, M(GIC_V4));
		else if (strcmp(ver, "2") != 0 && strcmp(ver, "3") != 0 &&
		    strcmp(ver, "4") != 0 && strcmp(ver, "host") != 0 &&
		    strcmp(ver, "max") != 0)
			diag(ctx, gic->at, M(GIC_VERSION));
	}
	if (!val_ok(c))
		return;
	if (ver != NULL && strcmp(ver, "2") == 0 && n > GICV2_CPUS)
		diag(ctx, val_at(vm, c), M(GIC_V2), n);
	else if (vm_uses(vm, ACCEL_HVF) && n > HVF_ARM_CPUS)
		diag(ctx, val_at(vm, c), M(HVF_CPUS), n);
}

static void
check_machine(struct ctx *ctx, struct vm *vm)
{
	const struct val	*v, *first;
	size_t			 i, n;

	for (i = 0; i < vm->machopts.n; i++) {
		v = &vm->machopts.v[i];
		n = strcspn(v->s, "=");
		if ((n == 4 && strncmp(v->s, "type", 4) == 0) ||
		    (n == 5 && strncmp(v->s, "accel", 5) == 0))
			diag(ctx, v->at, M(PROP_MANAGED), (int)n, v->s,
			    n == 4 ? vm->machine.key : vm->accel.key);
		else if ((first = machine_opt(vm, pool_printf(&vm->pool,
		    "%.*s", (int)n, v->s), i)) != NULL)
			diag(ctx, v->at, M(PROP_TWICE), (int)n, v->s,
			    first->at.file, first->at.line);
	}
	if (vm->arch.n == ARCH_AARCH64 && (strcmp(vm->machine.s, "virt") == 0 ||
	    strncmp(vm->machine.s, "virt-", 5) == 0))
		check_gic(ctx, vm);
}

/* Options vmc writes itself, and what to set instead. */
#define MORE_DISKS	"use disk or cdrom, which vmc checks against " \
			"every other VM's disks"
static const struct {
	const char	*opt;
	const char	*instead;
} managed[] = {
	{ "-m", "use memory" },
	{ "-smp", "use cpus" },
	{ "-cpu", "use cpu" },
	{ "-machine", "use machine and machine-option" },
	{ "-M", "use machine and machine-option" },
	{ "-accel", "use accel" },
	{ "-enable-kvm", "use accel" },
	{ "-drive", "use image, disk or cdrom, and firmware for UEFI" },
	{ "-blockdev", "use image, disk or cdrom" },
	{ "-hda", "use image" },
	{ "-hdb", MORE_DISKS },
	{ "-hdc", MORE_DISKS },
	{ "-hdd", MORE_DISKS },
	{ "-cdrom", MORE_DISKS },
	{ "-fda", MORE_DISKS },
	{ "-fdb", MORE_DISKS },
	{ "-sd", MORE_DISKS },
	{ "-mtdblock", MORE_DISKS },
	{ "-bios", "use firmware" },
	{ "-pflash", "use firmware" },
	{ "-netdev", "use a [network] section" },
	{ "-nic", "use a [network] section" },
	{ "-net", "use a [network] section" },
	{ "-smbios", "use seed" },
	{ "-qmp", "each VM has its own QMP socket" },
	{ "-name", "the VM's name is its profile's" },
	{ "-serial", "the console goes to log" },
	{ "-display", "the VM runs headless, its console in log" },
	{ "-nographic", "the VM runs headless, its console in log" },
	{ "-daemonize", "launchd must supervise QEMU itself" },
};

/*
 * Whether an argument names the file path, or one in the directory dir
 * when dir is set: as a whole, or as a property's value (after '=', and
 * after a "unix:" or "file:" style prefix), spelt in any way that leads
 * there lexically from "/", launchd's working directory.
 */
static int
names_path(const char *arg, const char *path, int dir)
{
	const char	*p, *end, *v;
	char		*word, *clean;
	size_t		 n = strlen(path);
	int		 hit = 0;

	for (p = arg; !hit && *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, ",");
		word = xasprintf("%.*s", (int)(end - p), p);
		v = word + strcspn(word, "=");
		v = *v == '=' ? v + 1 : word;
		if (strchr(v, ':') != NULL && v[strspn(v,
		    "abcdefghijklmnopqrstuvwxyz")] == ':')
			v = strchr(v, ':') + 1;
		clean = path_clean("/", v);
		hit = strcmp(clean, path) == 0 || (dir &&
		    strncmp(clean, path, n) == 0 && clean[n] == '/');
		free(clean);
		free(word);
	}
	return hit;
}

static void
check_qemu_args(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v;
	const char		*opt, **files;
	char			*vis;
	size_t			 i, j, n;
	int			 hit;

	/* What vmc makes, runs and reads for this VM. */
	files = xcalloc(9 + vm->ndisk, sizeof(*files));
	n = 0;
	files[n++] = vm->script;
	files[n++] = vm->qmp;
	files[n++] = vm->marker;
	files[n++] = vm->console;
	files[n++] = vm->runfile;
	files[n++] = vm->logpath;
	files[n++] = vm->imagepath;
	if (vm->basepath != NULL)
		files[n++] = vm->basepath;
	if (vm->varspath != NULL)
		files[n++] = vm->varspath;
	for (i = 0; i < vm->ndisk; i++)
		files[n++] = vm->disk[i].path;
	for (i = 0; i < vm->qemuargs.n; i++) {
		v = &vm->qemuargs.v[i];
		/* QEMU takes --opt for -opt. */
		opt = strncmp(v->s, "--", 2) == 0 ? v->s + 1 : v->s;
		for (j = 0; j < sizeof(managed) / sizeof(managed[0]); j++)
			if (strcmp(opt, managed[j].opt) == 0)
				diag(ctx, v->at, M(ARG_MANAGED), v->s,
				    managed[j].instead);
		if (opt[0] == '-' && strchr(opt, ' ') != NULL) {
			vis = diag_vis(v->s);
			diag(ctx, v->at, M(ARG_SPACE), vis);
			free(vis);
		}
		hit = (vm->vmdir != NULL && names_path(v->s, vm->vmdir, 1)) ||
		    (vm->seeddir != NULL && names_path(v->s, vm->seeddir, 1));
		for (j = 0; j < n && !hit; j++)
			hit = files[j] != NULL && names_path(v->s, files[j], 0);
		if (hit) {
			vis = diag_vis(v->s);
			diag(ctx, v->at, M(ARG_FILE), vis);
			free(vis);
		}
	}
	free(files);
}

/* The log is a file: in an existing directory, when that can be known. */
static void
check_log(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v = &vm->log;
	const struct resolved	*r = &vm->res;
	const char		*base;

	if (!val_ok(v))
		return;
	base = strrchr(v->s, '/') + 1;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		diag(ctx, v->at, M(LOG_NAMES_DIR), v->s);
		return;
	}
	if (r->logdir.path == NULL)
		return;
	if (r->logdir.err == -1)
		diag(ctx, v->at, M(LOG_PARENT_TYPE), r->logdir.path);
	else if (r->logdir.err != 0)
		diag(ctx, v->at, M(LOG_PARENT), r->logdir.path,
		    strerror(r->logdir.err));
	else if (r->log.err == 0 && S_ISDIR(r->log.st.st_mode))
		diag(ctx, v->at, M(LOG_IS_DIR), v->s);
}

/*
 * The run directory named by -p, on this machine: launchd runs the
 * scripts in it as root, so whoever can write it runs code as root.
 */
static void
check_rundir(struct ctx *ctx, const struct vm *vm)
{
	const struct found	*f = &vm->res.rundir;

	if (f->path == NULL || f->err == ENOENT)
		return;	/* vmc install creates it */
	if (f->err == -1)
		diag(ctx, vm->at, M(RUNDIR_TYPE), f->path);
	else if (f->err != 0)
		diag(ctx, vm->at, M(RUNDIR_OPEN), f->path, strerror(f->err));
	else if ((f->st.st_mode & 022) != 0)
		diag(ctx, vm->at, M(RUNDIR_MODE), f->path,
		    (unsigned)(f->st.st_mode & 0777));
}

/*
 * [service]: the stop timeout, and the run-time directory of a VM run
 * as another user than root, which must belong to that user.
 */
static int
user_refused(const struct resolved *r, const struct stat *st, int how)
{
	return path_refuses(st, r->uid, r->gid, how);
}

/* QEMU, run as the VM's user, opens its disks itself. */
static void
check_user_files(struct ctx *ctx, const struct vm *vm)
{
	const struct resolved	*r = &vm->res;
	const struct disk	*d;
	size_t			 i;

	if (r->image.path != NULL && r->image.err == 0 &&
	    user_refused(r, &r->image.st, 06))
		diag(ctx, vm->image.at, M(USER_ACCESS), "image", vm->user.s,
		    r->image.path, "write");
	if (r->base.path != NULL && r->base.err == 0 &&
	    user_refused(r, &r->base.st, 04))
		diag(ctx, vm->base.at, M(USER_ACCESS), "base", vm->user.s,
		    r->base.path, "read");
	for (i = 0; i < vm->ndisk; i++) {
		d = &vm->disk[i];
		if (d->path != NULL && d->f.err == 0 &&
		    user_refused(r, &d->f.st, d->cdrom ? 04 : 06))
			diag(ctx, d->v->at, M(USER_ACCESS), d->v->key,
			    vm->user.s, d->path, d->cdrom ? "read" : "write");
	}
}

static void
check_service(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*u = &vm->user;
	const struct found	*d = &vm->res.vmdir;
	struct loc		 at = val_at(vm, u);

	if (val_ok(&vm->stoptimeout) && vm->stoptimeout.n == 0)
		diag(ctx, vm->stoptimeout.at, M(STOP_ZERO));
	if (vm->vmdir == NULL)
		return;
	if (!ctx->host->live) {
		diag(ctx, at, M(USER_DIR_UNCHECKED), u->s, vm->vmdir, u->s);
		return;
	}
	if (vm->res.user == 0) {
		diag(ctx, at, M(USER_MISSING), u->s, u->s);
		return;
	}
	check_user_files(ctx, vm);
	if (d->err == -1)
		diag(ctx, at, M(USER_DIR_TYPE), vm->vmdir);
	else if (d->err != 0)
		diag(ctx, at, M(USER_DIR_OPEN), vm->vmdir, strerror(d->err),
		    u->s, u->s);
	else if (d->st.st_uid != vm->res.uid)
		diag(ctx, at, M(USER_DIR_OWNER), vm->vmdir,
		    (unsigned long)d->st.st_uid, u->s, u->s);
	else if ((d->st.st_mode & 077) != 0)
		diag(ctx, at, M(USER_DIR_MODE), vm->vmdir,
		    (unsigned)(d->st.st_mode & 0777));
}

void
vm_validate(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	size_t			 i;

	/* Each check runs when the values it needs parsed. */
	if (val_ok(&vm->arch) && val_ok(&vm->accel))
		check_accel(ctx, vm);
	if (val_ok(&vm->arch))
		check_cpu_model(ctx, vm);
	if (val_ok(&vm->arch) && val_ok(&vm->machine))
		check_machine(ctx, vm);
	check_qemu_args(ctx, vm);
	if (val_ok(&vm->cpus) && vm->cpus.n > h->cpus.n)
		diag(ctx, val_at(vm, &vm->cpus), M(CPUS_HOST),
		    (unsigned long long)vm->cpus.n,
		    (unsigned long long)h->cpus.n);
	check_memory(ctx, vm);
	check_disks(ctx, vm);
	for (i = 0; i < vm->nnic; i++)
		check_nic(ctx, vm, i);
	check_seed(ctx, vm);
	check_log(ctx, vm);
	check_rundir(ctx, vm);
	check_service(ctx, vm);
	if (vm->ci.present)
		check_cloudinit(ctx, vm);
	if (vm->seedds.state == V_SET && !val_ok(&vm->seed))
		diag(ctx, vm->seedds.at, M(DATASOURCE_SEED));
	if (strlen(vm->qmp) > MAX_SUN_PATH)
		diag(ctx, vm->at, M(QMP_LONG), vm->qmp, MAX_SUN_PATH);
	else if (strlen(vm->console) > MAX_SUN_PATH)
		diag(ctx, vm->at, M(CONSOLE_LONG), vm->console, MAX_SUN_PATH);
}
