#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/*
 * Resolve: every look a build takes at the file system and the user
 * database for one VM, after the profile is read (parse.c) and its
 * layout derived (derive.c).  Each look is recorded in the VM's doc as
 * it is taken (look.c), so the state holds exactly what the checks
 * depended on; what was found goes into vm->res, and the checks that
 * follow judge it without looking again.  Resolve itself only says
 * what it could not do: a path the kernel cannot resolve, a file that
 * cannot be read.
 */

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

	if ((p = look_path(&vm->doc.looks, vm->dir, v->s, &ctx->paths)) !=
	    NULL)
		return pool_add(&vm->pool, p);
	vis = diag_vis(v->s);
	diag(ctx, v->at, M(PATH_RESOLVE), v->key, vis, strerror(errno));
	free(vis);
	return NULL;
}

/* A stat of path into f, recorded; err -1 when it is not a want. */
static void
find(struct vm *vm, struct found *f, const char *path, mode_t want)
{
	f->path = path;
	f->err = 0;
	if (look_stat(&vm->doc.looks, path, &f->st) == -1)
		f->err = errno;
	else if (want != 0 && (f->st.st_mode & S_IFMT) != want)
		f->err = -1;
}

/*
 * A program or file the job uses on this machine: a regular file, and
 * usable as access(2) says.
 */
static void
find_usable(struct vm *vm, struct found *f, const char *path, int how)
{
	find(vm, f, path, S_IFREG);
	if (f->err == 0 && access(path, how) == -1)
		f->err = errno;
}

/*
 * An image file named by v: its status, format, virtual size and
 * backing file.  f->err -1: not a regular file.
 */
static void
find_image(struct ctx *ctx, struct vm *vm, const struct val *v,
    struct found *f, int *fmt, uint64_t *size, char **backing)
{
	unsigned char	 magic[4];
	int		 fd;

	*backing = NULL;
	memset(f, 0, sizeof(*f));
	if ((f->path = resolve(ctx, vm, v)) == NULL)
		return;
	if ((fd = path_open(AT_FDCWD, f->path, 0, &f->st)) == -1) {
		/* Recorded as it is: absent, or not a regular file. */
		f->err = errno != 0 ? errno : -1;
		look_stat(&vm->doc.looks, f->path, &f->st);
		return;
	}
	look_file(&vm->doc.looks, f->path, &f->st);
	if (read_at(fd, magic, 4, 0) == 4 && memcmp(magic, "QFI\xfb", 4) == 0) {
		*fmt = FMT_QCOW2;
		qcow2_header(fd, size, backing);
	} else {
		*fmt = FMT_RAW;
		*size = f->st.st_size;
	}
	close(fd);
}

/* Two paths name one disk when they reach one inode. */
static const char *
disk_id(struct vm *vm, const struct found *f)
{
	if (f->path == NULL || f->err != 0)
		return f->path;
	return pool_printf(&vm->pool, "%llu:%llu",
	    (unsigned long long)f->st.st_dev,
	    (unsigned long long)f->st.st_ino);
}

/*
 * A live host's qcow2 image must find its backing file, named in its
 * header relative to the image; NULL when there is none to look for.
 */
static const char *
find_backing(struct ctx *ctx, struct vm *vm, const char *image,
    char *backing, struct found *f)
{
	char	*dir, *path;

	if (backing == NULL || !ctx->host->live) {
		free(backing);
		return NULL;
	}
	dir = path_dir(image);
	path = path_clean(dir, backing);
	find(vm, f, pool_add(&vm->pool, path), 0);
	free(dir);
	return pool_add(&vm->pool, backing);
}

/* The disks and CDs beside the image: disks first, each in order. */
static void
resolve_more(struct ctx *ctx, struct vm *vm)
{
	struct disk	*d;
	uint64_t	 size;
	char		*backing;
	size_t		 i;

	vm->ndisk = vm->disks.n + vm->cdroms.n;
	vm->disk = xcalloc(vm->ndisk, sizeof(*vm->disk));
	for (i = 0; i < vm->ndisk; i++) {
		d = &vm->disk[i];
		d->cdrom = i >= vm->disks.n;
		d->v = d->cdrom ? &vm->cdroms.v[i - vm->disks.n] :
		    &vm->disks.v[i];
		d->found = d->fmt = -1;
		find_image(ctx, vm, d->v, &d->f, &d->found, &size, &backing);
		d->path = d->f.path;
		d->id = disk_id(vm, &d->f);
		d->backingname = find_backing(ctx, vm, d->path, backing,
		    &d->backing);
	}
}

static void
resolve_disks(struct ctx *ctx, struct vm *vm)
{
	struct resolved	*r = &vm->res;
	uint64_t	 size;
	char		*backing = NULL;

	if (val_ok(&vm->image)) {
		find_image(ctx, vm, &vm->image, &r->image, &r->imagefmt,
		    &size, &backing);
		vm->imagepath = r->image.path;
		vm->imageid = disk_id(vm, &r->image);
		r->backingname = find_backing(ctx, vm, vm->imagepath,
		    backing, &r->backing);
	}
	/* The cloud image an overlay starts from: its format goes into
	 * the script. */
	if (val_ok(&vm->base) && r->image.path != NULL &&
	    (!val_ok(&vm->format) || vm->format.n == FMT_QCOW2)) {
		find_image(ctx, vm, &vm->base, &r->base, &r->basefmt,
		    &r->basesize, &backing);
		free(backing);
		if (r->base.err == 0) {
			vm->basepath = r->base.path;
			vm->baseid = disk_id(vm, &r->base);
		}
	}
}

/* The QEMU, firmware, variables template and qemu-img the job runs. */
static void
resolve_binaries(struct ctx *ctx, struct vm *vm)
{
	struct resolved	*r = &vm->res;
	int		 live = ctx->host->live;

	if (val_ok(&vm->firmware) && val_ok(&vm->arch))
		vm->fwpath = resolve(ctx, vm, &vm->firmware);
	if (vm->arch.n == ARCH_AARCH64 && vm->fwpath != NULL &&
	    vm->varstemplate != NULL && vm->imagepath != NULL)
		vm->varspath = pool_printf(&vm->pool, "%s.efivars",
		    vm->imagepath);
	if (!live)
		return;
	if (vm->qemupath != NULL)
		find_usable(vm, &r->qemu, vm->qemupath, X_OK);
	if (vm->fwpath != NULL)
		find_usable(vm, &r->fw, vm->fwpath, R_OK);
	if (vm->arch.n == ARCH_AARCH64 && vm->fwpath != NULL &&
	    vm->varstemplate != NULL)
		find_usable(vm, &r->vars, vm->varstemplate, R_OK);
	if (vm->qemuimg != NULL)
		find_usable(vm, &r->qemuimg, vm->qemuimg, X_OK);
}

/*
 * Reads a file named by v, relative to the profile, of at most max
 * bytes, into the VM's pool; NULL after a diagnostic.
 */
static const char *
slurp(struct ctx *ctx, struct vm *vm, const struct val *v, size_t max,
    size_t *len)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	const char	*path;
	char		*vis;
	int		 error;

	if ((path = resolve(ctx, vm, v)) == NULL)
		return NULL;
	if (path_read(AT_FDCWD, path, 0, max, &b, &st) == -1) {
		error = errno;
		look_stat(&vm->doc.looks, path, &st);
		vis = diag_vis(v->s);
		if (error == 0 || error == EFBIG)
			diag(ctx, v->at, M(SEED_FILE_TYPE), v->key, vis,
			    max >> 10);
		else
			diag(ctx, v->at, M(SEED_FILE_OPEN), v->key, vis,
			    strerror(error));
		free(vis);
		buf_free(&b);
		return NULL;
	}
	look_file(&vm->doc.looks, path, &st);
	*len = b.len;
	return pool_add(&vm->pool, b.p);
}

/* user-data, and each ssh-key that names a file rather than a key. */
static void
resolve_seed(struct ctx *ctx, struct vm *vm)
{
	struct resolved	*r = &vm->res;
	const struct val *v;
	size_t		 i, len;

	if (val_ok(&vm->ci.userdata))
		r->udtext = slurp(ctx, vm, &vm->ci.userdata, MAX_USERDATA,
		    &r->udlen);
	r->keytext = xcalloc(vm->ci.sshkeys.n, sizeof(*r->keytext));
	for (i = 0; i < vm->ci.sshkeys.n; i++) {
		v = &vm->ci.sshkeys.v[i];
		if (strpbrk(v->s, " \t") == NULL)
			r->keytext[i] = slurp(ctx, vm, v, MAX_KEYFILE, &len);
	}
}

/*
 * The log's directory, the run directories, the VM's user, and whether
 * it is in the group of each socket_vmnet socket it connects to.
 */
static void
resolve_service(struct vm *vm, const char *rundir, int checkrundir)
{
	struct resolved	*r = &vm->res;
	struct nic	*nic;
	char		*dir;
	size_t		 i;

	for (i = 0; i < vm->nnic && val_ok(&vm->user); i++) {
		nic = &vm->nic[i];
		if (nic->socket != NULL && val_ok(&nic->group))
			nic->ingroup = look_group(&vm->doc.looks,
			    nic->group.s, vm->user.s) + 1;
	}

	if (checkrundir)
		find(vm, &r->rundir, rundir, S_IFDIR);
	if (val_ok(&vm->log)) {
		dir = path_dir(vm->log.s);
		find(vm, &r->logdir, pool_add(&vm->pool, dir), S_IFDIR);
		find(vm, &r->log, vm->log.s, 0);
	}
	if (vm->vmdir != NULL) {
		r->user = look_user(&vm->doc.looks, vm->user.s, &r->uid,
		    &r->gid) == 0;
		find(vm, &r->vmdir, vm->vmdir, S_IFDIR);
	} else if (vm->qemuimg != NULL || vm->varspath != NULL) {
		dir = path_dir(vm->imagepath);
		find(vm, &r->madedir, pool_add(&vm->pool, dir), S_IFDIR);
	}
}

/*
 * Looks at everything the VM depends on.  rundir is checked when the
 * command line named it.  -1 when the profile's directory cannot be
 * resolved, and nothing else can be.
 */
int
vm_resolve(struct ctx *ctx, struct vm *vm, const char *rundir,
    int checkrundir)
{
	char	*dir;
	size_t	 i;

	vm->res.user = -1;
	for (i = 0; i < vm->nnic; i++)
		vm->nic[i].ingroup = -1;
	/*
	 * What the profile names is found from here (path_resolve).  This
	 * look needs no record: the profiles are recorded by inode, so a
	 * link on the way to them that moves shows there.
	 */
	dir = path_dir(vm->path);
	vm->dir = path_real(dir, &ctx->paths);
	free(dir);
	if (vm->dir == NULL) {
		diag(ctx, vm->at, M(PROFILE_DIR), strerror(errno));
		return -1;
	}
	resolve_disks(ctx, vm);
	resolve_more(ctx, vm);
	resolve_binaries(ctx, vm);
	if (vm->ci.present)
		resolve_seed(ctx, vm);
	if (ctx->host->live)
		resolve_service(vm, rundir, checkrundir);
	return 0;
}
