#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmc.h"

/*
 * Checks one profile against the host, then the whole set against
 * itself.  Writes no file; every finding is a diagnostic.
 */

#define MIN_MEMORY	(16ULL << 20)
#define QEMU_MAC	0x525400123456ULL	/* every QEMU's first default */
#define MAX_SUN_PATH	103			/* macOS sun_path less the NUL */
#define MAX_LISTED	8			/* VMs named in one message */

static struct loc
val_at(const struct vm *vm, const struct val *v)
{
	return v->at.line > 0 ? v->at : vm->at;
}

static void
check_accel(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	int			 same = vm->arch.n == h->arch.n;
	int			 native = h->os.n == OS_MACOS ? ACCEL_HVF : ACCEL_KVM;

	vm->accels[0] = vm->accels[1] = -1;
	switch (vm->accel.n) {
	case ACCEL_AUTO:
		if (same) {
			vm->accels[0] = native;
			vm->accels[1] = ACCEL_TCG;
		} else
			vm->accels[0] = ACCEL_TCG;
		return;
	case ACCEL_HVF:
	case ACCEL_KVM:
		if ((int)vm->accel.n != native)
			diag_error(ctx, vm->accel.at, vm->accel.key, "%s runs only on "
			    "%s hosts; this host is %s", vm->accel.s,
			    vm->accel.n == ACCEL_HVF ? "macOS" : "Linux",
			    h->os.s);
		else if (!same)
			diag_error(ctx, vm->accel.at, vm->accel.key, "%s cannot run "
			    "an %s guest on an %s host; use accel = tcg",
			    vm->accel.s, vm->arch.s, h->arch.s);
		vm->accels[0] = (int)vm->accel.n;
		return;
	default:
		vm->accels[0] = ACCEL_TCG;
	}
}

/* Reads up to n bytes at off; returns how many. */
static size_t
read_at(int fd, void *p, size_t n, off_t off)
{
	ssize_t	 r;
	size_t	 got = 0;

	while (got < n && (r = pread(fd, (char *)p + got, n - got,
	    off + got)) > 0)
		got += r;
	return got;
}

static uint64_t
be64(const unsigned char *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 |
	    (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
	    (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	    (uint64_t)p[6] << 8 | p[7];
}

/*
 * A qcow2 header: the virtual size, and the backing file's name when
 * there is one (the caller frees it).  See QEMU's docs/interop/qcow2.txt.
 */
static void
qcow2_header(int fd, uint64_t *size, char **backing)
{
	unsigned char	 h[32];
	uint64_t	 off;
	uint32_t	 len;
	char		*name;

	*backing = NULL;
	*size = 0;
	if (read_at(fd, h, sizeof(h), 0) != sizeof(h))
		return;
	*size = be64(h + 24);
	off = be64(h + 8);
	len = (uint32_t)h[16] << 24 | h[17] << 16 | h[18] << 8 | h[19];
	if (off == 0 || len == 0 || len > 1023)
		return;
	name = xmalloc(len + 1);
	if (read_at(fd, name, len, (off_t)off) != len ||
	    memchr(name, '\0', len) != NULL) {
		free(name);
		return;
	}
	name[len] = '\0';
	*backing = name;
}

/*
 * The file v names, resolved as every file a profile names is (see
 * path_resolve), in the VM's pool; NULL after a diagnostic.
 */
static const char *
resolve(struct ctx *ctx, struct vm *vm, const struct val *v)
{
	char	*p, *vis;

	if ((p = path_resolve(vm->dir, v->s)) != NULL)
		return pool_add(&vm->pool, p);
	vis = diag_vis(v->s);
	diag_error(ctx, v->at, v->key, "%s: %s", vis, strerror(errno));
	free(vis);
	return NULL;
}

/*
 * An image file named by key v at path: its status, format, virtual
 * size and backing file.  Returns 0, -1 with errno set when it cannot
 * be opened, or -2 when it is not a regular file.
 */
static int
open_image(const char *path, struct stat *st, int *fmt, uint64_t *size,
    char **backing)
{
	unsigned char	 magic[4];
	int		 fd;

	*backing = NULL;
	if ((fd = path_open(AT_FDCWD, path, 0, st)) == -1)
		return errno != 0 ? -1 : -2;
	if (read_at(fd, magic, 4, 0) == 4 && memcmp(magic, "QFI\xfb", 4) == 0) {
		*fmt = FMT_QCOW2;
		qcow2_header(fd, size, backing);
	} else {
		*fmt = FMT_RAW;
		*size = st->st_size;
	}
	close(fd);
	return 0;
}

/* A live host's qcow2 image must find its backing file. */
static void
check_backing(struct ctx *ctx, struct vm *vm, const char *backing)
{
	char	*dir, *path, *vis;

	if (!ctx->host->live)
		return;
	dir = path_dir(vm->imagepath);
	path = path_clean(dir, backing);
	if (access(path, F_OK) == -1) {
		vis = diag_vis(backing);
		diag_error(ctx, vm->image.at, vm->image.key, "its backing file "
		    "%s: %s", vis, strerror(errno));
		free(vis);
	}
	free(path);
	free(dir);
}

/* Returns the detected format, or -1 after a diagnostic. */
static int
probe_image(struct ctx *ctx, struct vm *vm)
{
	struct stat	 st;
	uint64_t	 size;
	int		 fmt, error, rc;
	char		*vis, *backing;

	if ((rc = open_image(vm->imagepath, &st, &fmt, &size, &backing))
	    != 0) {
		error = errno;
		vis = diag_vis(vm->image.s);
		if (rc == -2)
			diag_error(ctx, vm->image.at, vm->image.key, "%s is not "
			    "a regular file", vis);
		else if (error == ENOENT && val_ok(&vm->base))
			;	/* an overlay on base is made on first start */
		else if (error != ENOENT || ctx->host->live)
			diag_error(ctx, vm->image.at, vm->image.key, "%s: %s", vis,
			    strerror(error));
		else if (!val_ok(&vm->format))
			diag_error(ctx, vm->image.at, vm->image.key, "%s does not "
			    "exist here, so its format cannot be detected; "
			    "set format", vis);
		else
			diag_warn(ctx, vm->image.at, vm->image.key, "%s does not "
			    "exist on this machine", vis);
		free(vis);
		return -1;
	}
	vm->imagest = st;
	vm->imageok = 1;
	/* Two paths name one disk when they reach one inode. */
	vm->imageid = pool_printf(&vm->pool, "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (backing != NULL)
		check_backing(ctx, vm, backing);
	free(backing);
	return fmt;
}

/*
 * macOS privacy protection (TCC) keeps a launchd daemon out of these
 * folders of a home directory unless its program has Full Disk Access.
 */
static void
check_private(struct ctx *ctx, const struct vm *vm, const struct val *v,
    const char *path)
{
	static const char *const folder[] = { "Desktop", "Documents",
	    "Downloads" };
	const char	*p;
	size_t		 i, n;

	if (ctx->host->os.n != OS_MACOS || path == NULL ||
	    strncmp(path, "/Users/", 7) != 0 ||
	    (p = strchr(path + 7, '/')) == NULL)
		return;
	for (i = 0, p++; i < sizeof(folder) / sizeof(folder[0]); i++) {
		n = strlen(folder[i]);
		if (strncmp(p, folder[i], n) == 0 &&
		    (p[n] == '/' || p[n] == '\0'))
			diag_warn(ctx, val_at(vm, v), v->key, "'%s' is in "
			    "~/%s, which macOS privacy protection keeps from "
			    "launchd daemons: give %s Full Disk Access (System "
			    "Settings, Privacy & Security) or move it", path,
			    folder[i], vm->qemupath != NULL ? vm->qemupath :
			    "QEMU");
	}
}

/*
 * The cloud image an overlay starts from: it must be readable here, as
 * its format goes into the script.  Sets the base's virtual size.
 */
static void
check_base(struct ctx *ctx, struct vm *vm, uint64_t *size)
{
	struct stat	 st;
	char		*vis, *backing;
	int		 fmt, rc;

	*size = 0;
	if ((vm->basepath = resolve(ctx, vm, &vm->base)) == NULL)
		return;
	/* The job reads it: qemu-img at first start, QEMU at every start
	 * (the backing file of the overlay). */
	check_private(ctx, vm, &vm->base, vm->basepath);
	vis = diag_vis(vm->base.s);
	if ((rc = open_image(vm->basepath, &st, &fmt, size, &backing)) != 0) {
		if (rc == -2)
			diag_error(ctx, vm->base.at, vm->base.key, "%s is not a "
			    "regular file", vis);
		else if (errno == ENOENT && !ctx->host->live)
			diag_error(ctx, vm->base.at, vm->base.key, "%s does not "
			    "exist here, so its format cannot be detected", vis);
		else
			diag_error(ctx, vm->base.at, vm->base.key, "%s: %s", vis,
			    strerror(errno));
		vm->basepath = NULL;
	} else
		vm->basefmt = fmt;
	free(backing);
	free(vis);
}

/* With base, image is the VM's own qcow2 overlay on it. */
static void
check_overlay(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	uint64_t		 size;

	if (val_ok(&vm->format) && vm->format.n != FMT_QCOW2) {
		diag_error(ctx, vm->format.at, vm->format.key, "%s, but an "
		    "image on %s is a qcow2 overlay", vm->format.s,
		    vm->base.key);
		return;
	}
	check_base(ctx, vm, &size);
	if (vm->basepath != NULL && vm->imagepath != NULL &&
	    strcmp(vm->basepath, vm->imagepath) == 0)
		diag_error(ctx, vm->base.at, vm->base.key, "'%s' is also the "
		    "%s; the overlay must be a file of its own", vm->base.s,
		    vm->image.key);
	if (val_ok(&vm->disksize) && size > 0 && vm->disksize.n < size)
		diag_error(ctx, vm->disksize.at, vm->disksize.key, "'%s' is "
		    "smaller than the %s's %lluM", vm->disksize.s,
		    vm->base.key, (unsigned long long)(size >> 20));
	if (!val_ok(&h->qemu_img))
		diag_error(ctx, vm->base.at, vm->base.key, "the host has no "
		    "qemu-img to create the overlay; install QEMU");
	else {
		vm->qemuimg = pool_strdup(&vm->pool, h->qemu_img.s);
		if (h->live && access(vm->qemuimg, X_OK) == -1)
			diag_error(ctx, vm->base.at, vm->base.key, "'%s': %s",
			    vm->qemuimg, strerror(errno));
	}
}

static void
check_image(struct ctx *ctx, struct vm *vm)
{
	int	 fmt;

	if ((vm->imagepath = resolve(ctx, vm, &vm->image)) == NULL)
		return;
	vm->imageid = vm->imagepath;
	if (val_ok(&vm->base))
		check_overlay(ctx, vm);
	else if (val_ok(&vm->disksize))
		diag_error(ctx, vm->disksize.at, vm->disksize.key, "needs %s: "
		    "only an overlay vmc creates can be given a size",
		    vm->base.key);
	if ((fmt = probe_image(ctx, vm)) == -1) {
		if (val_ok(&vm->base) && !val_ok(&vm->format)) {
			vm->format.n = FMT_QCOW2;
			vm->format.s = format_names[FMT_QCOW2];
			vm->format.state = V_DEFAULT;
		}
		return;
	}
	if (val_ok(&vm->base) && fmt != FMT_QCOW2 && !val_ok(&vm->format))
		diag_error(ctx, vm->image.at, vm->image.key, "'%s' is %s, but "
		    "an image on %s is a qcow2 overlay", vm->image.s,
		    format_names[fmt], vm->base.key);
	if (!val_ok(&vm->format)) {
		vm->format.n = fmt;
		vm->format.s = format_names[fmt];
		vm->format.state = V_DEFAULT;
	} else if ((int)vm->format.n != fmt)
		diag_error(ctx, vm->format.at, vm->format.key, "%s, but the "
		    "image is %s", vm->format.s, format_names[fmt]);
}

static void
check_binaries(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct val	*q, *fw;

	q = val_ok(&vm->qemu) ? &vm->qemu : vm->arch.n == ARCH_X86_64 ?
	    &h->qemu_x86_64 : &h->qemu_aarch64;
	if (!val_ok(q))
		diag_error(ctx, vm->at, vm->qemu.key, "the host has no "
		    "qemu-system-%s; install QEMU or set qemu in [vm]",
		    vm->arch.s);
	else {
		vm->qemupath = pool_strdup(&vm->pool, q->s);
		if (h->live && access(q->s, X_OK) == -1)
			diag_error(ctx, val_at(vm, &vm->qemu), vm->qemu.key,
			    "'%s': %s", q->s, strerror(errno));
	}
	fw = val_ok(&vm->firmware) ? &vm->firmware :
	    vm->arch.n == ARCH_AARCH64 ? &h->firmware_aarch64 : NULL;
	if (fw == &vm->firmware && val_ok(fw)) {
		vm->fwpath = resolve(ctx, vm, fw);
	} else if (fw != NULL && val_ok(fw))
		vm->fwpath = pool_add(&vm->pool, path_clean(vm->dir, fw->s));
	else if (vm->arch.n == ARCH_AARCH64)
		diag_error(ctx, vm->at, vm->firmware.key, "an aarch64 VM needs UEFI "
		    "firmware and the host description names none; set "
		    "firmware in [vm]");
	/* UEFI keeps its boot entries in a store of the VM's own. */
	if (vm->arch.n != ARCH_AARCH64 || vm->fwpath == NULL)
		return;
	if (!val_ok(&h->vars_aarch64)) {
		diag_error(ctx, vm->at, NULL, "an aarch64 VM needs a UEFI "
		    "variable store and the host description names no "
		    "template; set %s in its [qemu]", h->vars_aarch64.key);
		return;
	}
	vm->varstemplate = pool_strdup(&vm->pool, h->vars_aarch64.s);
	if (h->live && access(vm->varstemplate, R_OK) == -1)
		diag_error(ctx, vm->at, NULL, "UEFI variable store template "
		    "'%s': %s", vm->varstemplate, strerror(errno));
	if (vm->imagepath != NULL)
		vm->varspath = pool_printf(&vm->pool, "%s.efivars",
		    vm->imagepath);
}

/* Counts a file the seed is made from among the files the VM read. */
static void
add_input(struct ctx *ctx, struct vm *vm, const char *path,
    const struct stat *st)
{
	struct doc	*d = &vm->doc;

	if (d->nin == d->capin) {
		d->capin = d->capin ? d->capin * 2 : 4;
		d->in = xreallocarray(d->in, d->capin, sizeof(*d->in));
	}
	d->in[d->nin].path = intern(ctx, path);
	d->in[d->nin++].st = *st;
}

/*
 * Reads a file named by v, relative to the profile, of at most max
 * bytes, into the VM's pool.  Returns its length, or -1 after a
 * diagnostic.
 */
static ssize_t
slurp(struct ctx *ctx, struct vm *vm, const struct val *v, size_t max,
    char **text, const char **path)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	char		*vis;

	if ((*path = resolve(ctx, vm, v)) == NULL)
		return -1;
	if (path_read(AT_FDCWD, *path, 0, max, &b, &st) == -1) {
		vis = diag_vis(v->s);
		if (errno == 0 || errno == EFBIG)
			diag_error(ctx, v->at, v->key, "%s is not a regular "
			    "file of at most %zuK", vis, max >> 10);
		else
			diag_error(ctx, v->at, v->key, "%s: %s", vis,
			    strerror(errno));
		free(vis);
		buf_free(&b);
		return -1;
	}
	*text = pool_add(&vm->pool, b.p);
	add_input(ctx, vm, *path, &st);
	return b.len;
}

/* user-data goes to the guest verbatim, in a form cloud-init takes. */
static void
check_userdata(struct ctx *ctx, struct vm *vm)
{
	struct cloudinit	*ci = &vm->ci;
	const char		*path;
	char			*text, *vis;
	ssize_t			 n;

	if ((n = slurp(ctx, vm, &ci->userdata, MAX_USERDATA, &text,
	    &path)) == -1)
		return;
	if (strncmp(text, "#cloud-config", 13) == 0 ||
	    strncmp(text, "#!", 2) == 0 ||
	    strncasecmp(text, "Content-Type:", 13) == 0 ||
	    strncasecmp(text, "MIME-Version:", 13) == 0) {
		ci->ud = text;
		ci->udlen = n;
		return;
	}
	vis = diag_vis(ci->userdata.s);
	diag_error(ctx, ci->userdata.at, ci->userdata.key, "%s does not start "
	    "with #cloud-config, #! or a MIME header (Content-Type:)", vis);
	free(vis);
}

static void
add_key(struct vm *vm, const char *line, size_t len)
{
	struct cloudinit	*ci = &vm->ci;

	ci->keys = xreallocarray(ci->keys, ci->nkeys + 1, sizeof(*ci->keys));
	ci->keys[ci->nkeys++] = pool_printf(&vm->pool, "%.*s", (int)len, line);
}

/* A key file: OpenSSH public key lines, blank lines and # comments. */
static void
read_keys(struct ctx *ctx, struct vm *vm, const struct val *v)
{
	const char	*path, *errstr, *file;
	char		*text, *line, *next, *vis, *dir, *shown;
	size_t		 n0 = vm->ci.nkeys, len;
	int		 lineno = 0;

	if (slurp(ctx, vm, v, MAX_KEYFILE, &text, &path) == -1)
		return;
	/* Named as the profile is, as diagnostics name files. */
	dir = path_dir(vm->path);
	shown = path_join(dir, v->s);
	file = intern(ctx, shown);
	free(shown);
	free(dir);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if ((len = strlen(line)) > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		if (!utf8_valid(line) || check_sshkey(line, &errstr) == -1) {
			vis = diag_vis(line);
			diag_error(ctx, (struct loc){ file, lineno }, v->key,
			    "%.40s%s %s", vis, strlen(vis) > 40 ? "..." : "",
			    utf8_valid(line) ? errstr : "is not UTF-8");
			free(vis);
			continue;
		}
		add_key(vm, line, strlen(line));
	}
	if (vm->ci.nkeys == n0) {
		vis = diag_vis(v->s);
		diag_error(ctx, v->at, v->key, "%s holds no public key", vis);
		free(vis);
	}
}

/* Each ssh-key is a public key line, or else names a file of them. */
static void
check_keys(struct ctx *ctx, struct vm *vm)
{
	const struct val	*v;
	const char		*errstr;
	size_t			 i;
	char			*vis;

	for (i = 0; i < vm->ci.sshkeys.n; i++) {
		v = &vm->ci.sshkeys.v[i];
		if (strpbrk(v->s, " \t") == NULL) {
			read_keys(ctx, vm, v);
			continue;
		}
		if (check_sshkey(v->s, &errstr) == 0) {
			add_key(vm, v->s, strlen(v->s));
			continue;
		}
		vis = diag_vis(v->s);
		diag_error(ctx, v->at, v->key, "%.40s%s %s", vis,
		    strlen(vis) > 40 ? "..." : "", errstr);
		free(vis);
	}
}

/* The local seed replaces the seed URL; what it holds must be sound. */
static void
check_cloudinit(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	struct cloudinit	*ci = &vm->ci;

	if (val_ok(&vm->seed))
		diag_error(ctx, vm->seed.at, vm->seed.key, "a seed URL and a "
		    "[cloud-init] section exclude each other: the local seed "
		    "needs no server");
	if (ci->hostname.state == V_UNSET) {
		ci->hostname.s = vm->name;
		ci->hostname.state = V_DEFAULT;
	}
	if (ci->instanceid.state == V_UNSET) {
		ci->instanceid.s = vm->name;
		ci->instanceid.state = V_DEFAULT;
	}
	if (val_ok(&ci->userdata))
		check_userdata(ctx, vm);
	check_keys(ctx, vm);
	vm->seeddir = pool_printf(&vm->pool, "%s/%s" SEED_DIR, rundir,
	    vm->name);
}

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

/* A host interface's IPv4 address and mask; -1 for other families. */
static int
cidr_ipv4(const struct cidr *c, uint32_t *addr, uint32_t *mask)
{
	if (c->family != AF_INET)
		return -1;
	*addr = (uint32_t)c->addr[0] << 24 | c->addr[1] << 16 |
	    c->addr[2] << 8 | c->addr[3];
	*mask = c->prefix == 0 ? 0 : UINT32_MAX << (32 - c->prefix);
	return 0;
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

static void
check_mac(struct ctx *ctx, struct vm *vm, size_t idx)
{
	struct nic	*nic = &vm->nic[idx];

	if (strcmp(nic->mac.s, "auto") == 0)
		nic->hwaddr = mac_derive(vm->name, idx);
	else
		nic->hwaddr = nic->mac.n;
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

static void
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

static void
check_memory(struct ctx *ctx, const struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct val	*v = &vm->memory;

	if (!val_ok(v))
		return;
	if (v->n < MIN_MEMORY)
		diag_error(ctx, v->at, v->key, "'%s' is less than 16M", v->s);
	else if (v->n % (1 << 20) != 0)
		diag_error(ctx, v->at, v->key, "'%s' is not a whole number of "
		    "MiB", v->s);
	else if (v->n > h->memory.n)
		diag_error(ctx, v->at, v->key, "'%s' is more than the host's "
		    "%lluM", v->s, (unsigned long long)(h->memory.n >> 20));
}

static int
uses(const struct vm *vm, int accel)
{
	return vm->accels[0] == accel || vm->accels[1] == accel;
}

/*
 * On an Intel Mac, hvf passes the host's CPU features through.  macOS
 * saves a thread's AVX-512 state only once the thread is promoted on
 * first use, and guests have crashed on AVX-512 code and with 1 GiB
 * pages there; AVX-512F masked, Linux drops every AVX-512 extension.
 */
#define HVF_X86_CPU	"max,-avx512f,-avx512vl,-pdpe1gb"

static void
check_cpu_model(struct ctx *ctx, struct vm *vm)
{
	const struct val	*v = &vm->cpu;

	if (!val_ok(v)) {
		/* max, unlike host, works when hvf or kvm falls back to tcg. */
		vm->cpumodel = vm->arch.n == ARCH_X86_64 &&
		    uses(vm, ACCEL_HVF) ? HVF_X86_CPU : "max";
		return;
	}
	vm->cpumodel = v->s;
	if (strncmp(v->s, "host", 4) == 0 && (v->s[4] == '\0' ||
	    v->s[4] == ',') && uses(vm, ACCEL_TCG))
		diag_error(ctx, v->at, v->key, "'host' needs hvf or kvm and "
		    "%s; use max, or set %s = %s", vm->accels[0] == ACCEL_TCG ?
		    "this VM runs under tcg" : "breaks the fallback to tcg",
		    vm->accel.key, ctx->host->os.n == OS_MACOS ? "hvf" : "kvm");
}

/* The value of machine-option NAME, or NULL. */
static const struct val *
machine_opt(const struct vm *vm, const char *name, size_t upto)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < upto && i < vm->machopts.n; i++)
		if (strncmp(vm->machopts.v[i].s, name, n) == 0 &&
		    vm->machopts.v[i].s[n] == '=')
			return &vm->machopts.v[i];
	return NULL;
}

/*
 * QEMU's virt machine starts with GICv2, which has room for 8 CPUs;
 * with GICv3 (tcg and hvf, hw/arm/virt.c) the redistributors allow
 * more.  Under hvf, Hypervisor.framework allows 64 vCPUs a VM.
 */
#define GICV2_CPUS	8
#define HVF_ARM_CPUS	64

static void
check_gic(struct ctx *ctx, struct vm *vm)
{
	const struct val	*gic, *c = &vm->cpus;
	const char		*ver = NULL;
	unsigned long long	 n = c->n;

	if ((gic = machine_opt(vm, "gic-version", SIZE_MAX)) != NULL) {
		ver = gic->s + strlen("gic-version=");
		if (strcmp(ver, "host") == 0 && !uses(vm, ACCEL_KVM))
			diag_error(ctx, gic->at, gic->key, "gic-version=host "
			    "needs kvm");
		else if (strcmp(ver, "4") == 0 && vm->accels[0] != ACCEL_TCG)
			diag_error(ctx, gic->at, gic->key, "QEMU emulates "
			    "GICv4 under tcg only; set %s = tcg",
			    vm->accel.key);
		else if (strcmp(ver, "2") != 0 && strcmp(ver, "3") != 0 &&
		    strcmp(ver, "4") != 0 && strcmp(ver, "host") != 0 &&
		    strcmp(ver, "max") != 0)
			diag_error(ctx, gic->at, gic->key, "gic-version is 2, "
			    "3, 4, host or max");
	}
	if (!val_ok(c))
		return;
	if (ver == NULL && n > GICV2_CPUS) {
		vm->gicopt = "gic-version=3";
		ver = "3";
	}
	if (ver != NULL && strcmp(ver, "2") == 0 && n > GICV2_CPUS)
		diag_error(ctx, val_at(vm, c), c->key, "%llu is more than the "
		    "%d CPUs of GICv2; use gic-version=3 or leave it to vmc",
		    n, GICV2_CPUS);
	else if (uses(vm, ACCEL_HVF) && n > HVF_ARM_CPUS)
		diag_error(ctx, val_at(vm, c), c->key, "%llu is more than the "
		    "%d vCPUs hvf gives an aarch64 guest; use fewer, or %s = "
		    "tcg", n, HVF_ARM_CPUS, vm->accel.key);
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
			diag_error(ctx, v->at, v->key, "'%.*s' is set by %s",
			    (int)n, v->s, n == 4 ? vm->machine.key :
			    vm->accel.key);
		else if ((first = machine_opt(vm, pool_printf(&vm->pool,
		    "%.*s", (int)n, v->s), i)) != NULL)
			diag_error(ctx, v->at, v->key, "'%.*s' is also set at "
			    "%s:%d", (int)n, v->s, first->at.file,
			    first->at.line);
	}
	if (vm->arch.n == ARCH_AARCH64 && (strcmp(vm->machine.s, "virt") == 0 ||
	    strncmp(vm->machine.s, "virt-", 5) == 0))
		check_gic(ctx, vm);
}

/* Options vmc writes itself, and what to set instead. */
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
	{ "-drive", "use image, and firmware for UEFI" },
	{ "-hda", "use image" },
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

static void
check_qemu_args(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v;
	const char		*opt;
	size_t			 i, j;

	for (i = 0; i < vm->qemuargs.n; i++) {
		v = &vm->qemuargs.v[i];
		/* QEMU takes --opt for -opt. */
		opt = strncmp(v->s, "--", 2) == 0 ? v->s + 1 : v->s;
		for (j = 0; j < sizeof(managed) / sizeof(managed[0]); j++)
			if (strcmp(opt, managed[j].opt) == 0)
				diag_error(ctx, v->at, v->key, "'%s' is an "
				    "option vmc manages: %s", v->s,
				    managed[j].instead);
	}
}

static int
host_has(const struct host *h, uint32_t addr)
{
	uint32_t	 a, m;
	size_t		 i, j;

	for (i = 0; i < h->nifs; i++)
		for (j = 0; j < h->ifs[i].naddr; j++)
			if (cidr_ipv4(&h->ifs[i].addr[j], &a, &m) == 0 &&
			    a == addr)
				return 1;
	return 0;
}

/* Whether the guest can reach the seed's host over one of its cards. */
static void
check_seed(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v = &vm->seed;
	const char		*p;
	char			 host[256];
	uint32_t		 a;
	size_t			 i, n;
	int			 user = 0, lan = 0, v4;

	if (!val_ok(v))
		return;
	if (vm->nnic == 0) {
		diag_error(ctx, v->at, v->key, "the VM has no network card to "
		    "fetch it with; add a [network] section");
		return;
	}
	for (i = 0; i < vm->nnic; i++) {
		if (!val_ok(&vm->nic[i].mode))
			return;
		user |= vm->nic[i].mode.n == NET_USER;
		lan |= vm->nic[i].mode.n == NET_BRIDGED;
	}
	p = strstr(v->s, "://") + 3;
	n = *p == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/");
	if (n >= sizeof(host))
		return;
	memcpy(host, p, n);
	host[n] = '\0';
	v4 = parse_ipv4(host, &a) == 0;
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    (v4 && a >> 24 == 127)) {
		diag_error(ctx, v->at, v->key, "'%s' is the guest itself, not "
		    "the host; %s", host, user ? "from the user network the "
		    "host is 10.0.2.2" : "use an address of the host on the "
		    "guest's network");
		return;
	}
	if (!v4 || user)
		return;
	if ((a & 0xffffff00) == 0x0a000200) {
		diag_error(ctx, v->at, v->key, "'%s' is on QEMU's user network, "
		    "and the VM has no card on it; use the host's address on "
		    "the guest's network", host);
		return;
	}
	if (lan || host_has(ctx->host, a))
		return;
	for (i = 0; i < vm->nnic; i++)
		if (val_ok(&vm->nic[i].start) && vm->nic[i].start.n == a)
			return;
	diag_warn(ctx, v->at, v->key, "'%s' is neither the gateway "
	    "(start-address) of the VM's vmnet network nor an address of the "
	    "host; the guest may not reach it", host);
}

/* The log is a file: in an existing directory, when that can be known. */
static void
check_log(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v = &vm->log;
	struct stat		 st;
	const char		*base;
	char			*dir;

	if (!val_ok(v))
		return;
	base = strrchr(v->s, '/') + 1;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		diag_error(ctx, v->at, v->key, "'%s' names a directory; give "
		    "the file that receives QEMU's output", v->s);
		return;
	}
	if (!ctx->host->live)
		return;
	dir = path_dir(v->s);
	if (stat(dir, &st) == -1)
		diag_error(ctx, v->at, v->key, "directory '%s': %s", dir,
		    strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		diag_error(ctx, v->at, v->key, "'%s' is not a directory", dir);
	else if (stat(v->s, &st) == 0 && S_ISDIR(st.st_mode))
		diag_error(ctx, v->at, v->key, "'%s' is a directory; give the "
		    "file that receives QEMU's output", v->s);
	free(dir);
}

/* What the profile leaves to the host and the VM's name. */
static void
derive(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	const struct host	*h = ctx->host;

	if (vm->arch.state == V_UNSET) {
		vm->arch.n = h->arch.n;
		vm->arch.s = arch_names[h->arch.n];
		vm->arch.state = V_DEFAULT;
	}
	if (vm->machine.state == V_UNSET) {
		vm->machine.s = vm->arch.n == ARCH_X86_64 ? "q35" : "virt";
		vm->machine.state = V_DEFAULT;
	}
	if (vm->label.state == V_UNSET) {
		vm->label.s = pool_printf(&vm->pool, "local.vmc.%s", vm->name);
		vm->label.state = V_DEFAULT;
	}
	vm->script = pool_printf(&vm->pool, "%s/%s.sh", rundir, vm->name);
	/* QEMU run as another user than root cannot create its socket in
	 * the run directory, which root owns: it gets RUNDIR/NAME/. */
	if (!val_ok(&vm->user) || strcmp(vm->user.s, "root") == 0) {
		vm->qmp = pool_printf(&vm->pool, "%s/%s.qmp", rundir, vm->name);
		vm->marker = pool_printf(&vm->pool, "%s/%s.restart", rundir,
		    vm->name);
	} else {
		vm->vmdir = pool_printf(&vm->pool, "%s/%s", rundir, vm->name);
		vm->qmp = pool_printf(&vm->pool, "%s/qmp", vm->vmdir);
		vm->marker = pool_printf(&vm->pool, "%s/restart", vm->vmdir);
	}
	vm->logpath = val_ok(&vm->log) ? vm->log.s :
	    pool_printf(&vm->pool, "%s/%s.log", rundir, vm->name);
}

/*
 * [service]: the stop timeout, and the run-time directory of a VM run
 * as another user than root, which must belong to that user.
 */
static void
check_service(struct ctx *ctx, struct vm *vm)
{
	const struct val	*u = &vm->user;
	struct passwd		*pw;
	struct stat		 st;
	struct loc		 at = val_at(vm, u);

	if (val_ok(&vm->stoptimeout) && vm->stoptimeout.n == 0)
		diag_error(ctx, vm->stoptimeout.at, vm->stoptimeout.key, "0 "
		    "would be ExitTimeOut 0, which launchd reads as never "
		    "kill: a guest that does not power off would stall the "
		    "Mac's shutdown; use 1 to 3600");
	if (vm->vmdir == NULL)
		return;
	if (!ctx->host->live) {
		diag_warn(ctx, at, u->key, "QEMU runs as %s and needs '%s' "
		    "owned by %s, mode 0700; it cannot be checked for a "
		    "described host", u->s, vm->vmdir, u->s);
		return;
	}
	if ((pw = getpwnam(u->s)) == NULL) {
		diag_warn(ctx, at, u->key, "no user %s on this host, so the "
		    "owner of '%s' cannot be checked", u->s, vm->vmdir);
		return;
	}
	if (stat(vm->vmdir, &st) == -1)
		diag_warn(ctx, at, u->key, "'%s': %s; QEMU runs as %s and "
		    "needs it owned by %s, mode 0700", vm->vmdir,
		    strerror(errno), u->s, u->s);
	else if (!S_ISDIR(st.st_mode))
		diag_error(ctx, at, u->key, "'%s' is not a directory",
		    vm->vmdir);
	else if (st.st_uid != pw->pw_uid)
		diag_error(ctx, at, u->key, "'%s' is owned by uid %lu, not by "
		    "%s: QEMU, run as %s, cannot create its socket there",
		    vm->vmdir, (unsigned long)st.st_uid, u->s, u->s);
	else if ((st.st_mode & 077) != 0)
		diag_warn(ctx, at, u->key, "'%s' is mode %03o: others can "
		    "reach the monitor socket in it; make it 0700",
		    vm->vmdir, (unsigned)(st.st_mode & 0777));
}

void
vm_validate(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	const struct host	*h = ctx->host;
	size_t			 i;

	derive(ctx, vm, rundir);
	vm->accels[0] = vm->accels[1] = -1;
	/* Each check runs when the values it needs parsed. */
	if (val_ok(&vm->arch) && val_ok(&vm->accel))
		check_accel(ctx, vm);
	if (val_ok(&vm->arch))
		check_cpu_model(ctx, vm);
	if (val_ok(&vm->arch) && val_ok(&vm->machine))
		check_machine(ctx, vm);
	check_qemu_args(ctx, vm);
	if (val_ok(&vm->cpus) && vm->cpus.n > h->cpus.n)
		diag_warn(ctx, val_at(vm, &vm->cpus), vm->cpus.key, "%llu is "
		    "more than the host's %llu", (unsigned long long)vm->cpus.n,
		    (unsigned long long)h->cpus.n);
	check_memory(ctx, vm);
	if (val_ok(&vm->image))
		check_image(ctx, vm);
	if (val_ok(&vm->arch))
		check_binaries(ctx, vm);
	for (i = 0; i < vm->nnic; i++)
		check_nic(ctx, vm, i);
	check_seed(ctx, vm);
	check_log(ctx, vm);
	check_service(ctx, vm);
	check_private(ctx, vm, &vm->image, val_ok(&vm->image) ?
	    vm->imagepath : NULL);
	check_private(ctx, vm, &vm->firmware, vm->fwpath);
	check_private(ctx, vm, &vm->log, val_ok(&vm->log) ? vm->logpath :
	    NULL);
	if (vm->ci.present)
		check_cloudinit(ctx, vm, rundir);
	if (vm->seedds.state == V_SET && !val_ok(&vm->seed))
		diag_error(ctx, vm->seedds.at, vm->seedds.key, "needs %s, the "
		    "URL the guest fetches its seed from", vm->seed.key);
	if (strlen(vm->qmp) > MAX_SUN_PATH)
		diag_error(ctx, vm->at, NULL, "the monitor socket '%s' is "
		    "longer than %d bytes; choose a shorter run directory (-p)",
		    vm->qmp, MAX_SUN_PATH);
}

/*
 * Cross-profile checks sort references and compare neighbours, so a
 * fleet of n VMs costs O(n log n).
 */
struct ref {
	const char	*s;	/* compared when not NULL, else n */
	uint64_t	 n;
	const char	*show;	/* what the message quotes, when not s */
	const char	*key;
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

/* Each later use of a value is an error naming the first use. */
static void
report_dups(struct ctx *ctx, struct ref *r, size_t n, const char *what)
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
		if (r[first].at.line > 0)
			diag_error(ctx, r[i].at, r[i].key, "%s '%s' is also used at "
			    "%s:%d", what, show, r[first].at.file,
			    r[first].at.line);
		else
			diag_error(ctx, r[i].at, r[i].key, "%s '%s' is also used by "
			    "%s", what, show, r[first].at.file);
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
	diag_error(ctx, f->at, f->key, "host port %s/%u on %s is also "
	    "forwarded at %s:%d", f->proto == PROTO_TCP ? "tcp" : "udp",
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

/* Keeps what the checks across profiles need of a validated VM. */
void
member_init(struct member *m, const struct vm *vm)
{
	size_t	 i, j;

	memset(m, 0, sizeof(*m));
	m->name = pool_strdup(&m->pool, vm->name);
	m->at = vm->at;
	m->label = keep(m, vm, &vm->label);
	if (vm->imageid != NULL) {
		m->imageid = pool_strdup(&m->pool, vm->imageid);
		m->image = keep(m, vm, &vm->image);
	}
	/* Only what starts at boot counts against the host's memory. */
	if (vm->autostart.n)
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
}

void
member_free(struct member *m)
{
	pool_free(&m->pool);
	free(m->macs);
	free(m->fwd);
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
	diag_warn(ctx, over->memory.at, over->memory.key, "the VMs that "
	    "start at boot (%s) need %lluM together, more than the host's "
	    "%lluM", b.p, (unsigned long long)(total >> 20),
	    (unsigned long long)(ctx->host->memory.n >> 20));
	buf_free(&b);
}

void
fleet_validate(struct ctx *ctx, struct member *v, size_t n)
{
	struct ref	*names, *labels, *images, *macs;
	struct portref	*ports;
	size_t		 i, j, nmac = 0, nport = 0, nimg = 0;
	uint64_t	 total = 0;
	const struct member *over = NULL;

	names = xcalloc(n, sizeof(*names));
	labels = xcalloc(n, sizeof(*labels));
	images = xcalloc(n, sizeof(*images));
	for (i = 0; i < n; i++) {
		nmac += v[i].nmac;
		nport += v[i].nfwd;
	}
	macs = xcalloc(nmac, sizeof(*macs));
	ports = xcalloc(nport, sizeof(*ports));
	for (i = 0, nmac = 0, nport = 0; i < n; i++) {
		names[i] = (struct ref){ v[i].name, 0, NULL, NULL, v[i].at, i,
		    0 };
		/* Plists named Web and web are one file on macOS. */
		labels[i] = (struct ref){ v[i].label.s, 0, NULL, v[i].label.key,
		    v[i].label.at, i, 1 };
		if (v[i].imageid != NULL)
			images[nimg++] = (struct ref){ v[i].imageid, 0,
			    v[i].image.s, v[i].image.key, v[i].image.at, i, 0 };
		for (j = 0; j < v[i].nmac; j++, nmac++)
			macs[nmac] = (struct ref){ NULL, v[i].macs[j].n, NULL,
			    v[i].macs[j].key, v[i].macs[j].at, nmac, 0 };
		for (j = 0; j < v[i].nfwd; j++, nport++)
			ports[nport] = (struct portref){ &v[i].fwd[j], nport };
		if (!val_ok(&v[i].memory))
			continue;
		total += v[i].memory.n;
		if (over == NULL && total > ctx->host->memory.n)
			over = &v[i];
	}
	report_dups(ctx, names, n, "VM name");
	report_dups(ctx, labels, n, "launchd label");
	report_dups(ctx, images, nimg, "disk image");
	report_dups(ctx, macs, nmac, "MAC address");
	check_ports(ctx, ports, nport);
	if (over != NULL)
		memory_warn(ctx, v, n, over, total);
	free(names);
	free(labels);
	free(images);
	free(macs);
	free(ports);
}
