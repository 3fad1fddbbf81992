#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * The disks and the programs a VM's job runs, judged from what
 * resolve.c found: the image and its format, an overlay on a base,
 * the backing file, more disks and CDs, QEMU, firmware and qemu-img.
 */

/* Why a file resolve.c found is not usable. */
static const char *
why(int err)
{
	return err == -1 ? "not a regular file" : strerror(err);
}

/*
 * macOS privacy protection (TCC) keeps a launchd daemon out of these
 * folders of a home directory unless its program has Full Disk Access.
 */
void
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
			diag(ctx, val_at(vm, v), M(PRIVACY), v->key, path,
			    folder[i],
			    vm->qemupath != NULL ? vm->qemupath : "QEMU");
	}
}

/* The image, or why not; 0 when it was found. */
static int
judge_image(struct ctx *ctx, struct vm *vm)
{
	const struct found	*f = &vm->res.image;
	char			*vis;

	if (f->err == 0)
		return 0;
	vis = diag_vis(vm->image.s);
	if (f->err == -1)
		diag(ctx, vm->image.at, M(IMAGE_TYPE), vis);
	else if (f->err == ENOENT && val_ok(&vm->base))
		;	/* an overlay on base is made on first start */
	else if (f->err != ENOENT || ctx->host->live)
		diag(ctx, vm->image.at, M(IMAGE_OPEN), vis, strerror(f->err));
	else if (!val_ok(&vm->format))
		diag(ctx, vm->image.at, M(IMAGE_UNKNOWN), vis);
	else
		diag(ctx, vm->image.at, M(IMAGE_ABSENT), vis);
	free(vis);
	return -1;
}

static void
check_backing(struct ctx *ctx, const struct vm *vm)
{
	const struct found	*f = &vm->res.backing;
	char			*vis;

	if (f->path == NULL || f->err == 0)
		return;
	vis = diag_vis(vm->res.backingname);
	diag(ctx, vm->image.at, M(IMAGE_BACKING), vis, strerror(f->err));
	free(vis);
}

/* The cloud image an overlay starts from: it must be readable here. */
static void
check_base(struct ctx *ctx, struct vm *vm)
{
	const struct found	*f = &vm->res.base;
	char			*vis;

	if (f->path == NULL)
		return;
	/* The job reads it: qemu-img at first start, QEMU at every start
	 * (the backing file of the overlay). */
	check_private(ctx, vm, &vm->base, f->path);
	if (f->err == 0)
		return;
	vis = diag_vis(vm->base.s);
	if (f->err == -1)
		diag(ctx, vm->base.at, M(BASE_TYPE), vis);
	else if (f->err == ENOENT && !ctx->host->live)
		diag(ctx, vm->base.at, M(BASE_UNKNOWN), vis);
	else
		diag(ctx, vm->base.at, M(BASE_OPEN), vis, strerror(f->err));
	free(vis);
}

/* With base, image is the VM's own qcow2 overlay on it. */
static void
check_overlay(struct ctx *ctx, struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct resolved	*r = &vm->res;
	uint64_t		 size = r->base.err == 0 ? r->basesize : 0;

	if (val_ok(&vm->format) && vm->format.n != FMT_QCOW2) {
		diag(ctx, vm->format.at, M(OVERLAY_FORMAT), vm->format.s);
		return;
	}
	check_base(ctx, vm);
	if (vm->basepath != NULL && vm->imagepath != NULL &&
	    strcmp(vm->basepath, vm->imagepath) == 0)
		diag(ctx, vm->base.at, M(BASE_IMAGE), vm->base.s);
	if (val_ok(&vm->disksize) && size > 0 && vm->disksize.n < size)
		diag(ctx, vm->disksize.at, M(DISK_SIZE_SMALL), vm->disksize.s,
		    (unsigned long long)(size >> 20));
	if (!val_ok(&h->qemu_img))
		diag(ctx, vm->base.at, M(QEMU_IMG_NONE));
	else if (r->qemuimg.path != NULL && r->qemuimg.err != 0)
		diag(ctx, vm->base.at, M(QEMU_IMG_ACCESS), vm->qemuimg,
		    why(r->qemuimg.err));
}

static void
check_image(struct ctx *ctx, struct vm *vm)
{
	int	 fmt = vm->res.imagefmt;

	if (vm->imagepath == NULL)
		return;
	if (val_ok(&vm->base))
		check_overlay(ctx, vm);
	else if (val_ok(&vm->disksize))
		diag(ctx, vm->disksize.at, M(DISK_SIZE_BASE));
	if (judge_image(ctx, vm) == -1) {
		if (val_ok(&vm->base) && !val_ok(&vm->format)) {
			vm->format.n = FMT_QCOW2;
			vm->format.s = format_names[FMT_QCOW2];
			vm->format.state = V_DEFAULT;
		}
		return;
	}
	check_backing(ctx, vm);
	if (val_ok(&vm->base) && fmt != FMT_QCOW2 && !val_ok(&vm->format))
		diag(ctx, vm->image.at, M(OVERLAY_IMAGE), vm->image.s,
		    format_names[fmt]);
	if (!val_ok(&vm->format)) {
		vm->format.n = fmt;
		vm->format.s = format_names[fmt];
		vm->format.state = V_DEFAULT;
	} else if ((int)vm->format.n != fmt)
		diag(ctx, vm->format.at, M(FORMAT_MISMATCH), vm->format.s,
		    format_names[fmt]);
}

/*
 * A disk or CD beside the image: an existing regular file in the format
 * given, which is what QEMU gets; vmc makes none of them.
 */
static void
check_more(struct ctx *ctx, const struct vm *vm, struct disk *d)
{
	const struct val	*v = d->v;
	int			 given = (int)v->n - 1, err = d->f.err;
	char			*vis, *bvis;

	d->fmt = given >= 0 ? given : d->found;
	if (d->path == NULL)
		return;
	check_private(ctx, vm, v, d->path);
	vis = diag_vis(v->s);
	if (err == -1)
		diag(ctx, v->at, M(DISK_TYPE), v->key, vis);
	else if (err == ENOENT && !ctx->host->live && given >= 0)
		diag(ctx, v->at, M(DISK_ABSENT), v->key, vis);
	else if (err == ENOENT && !ctx->host->live)
		diag(ctx, v->at, M(DISK_UNKNOWN), v->key, vis);
	else if (err == ENOENT && !d->cdrom)
		diag(ctx, v->at, M(DISK_MISSING), vis);
	else if (err != 0)
		diag(ctx, v->at, M(DISK_OPEN), v->key, vis, strerror(err));
	else if (given >= 0 && given != d->found)
		diag(ctx, v->at, M(DISK_MISMATCH), v->key, vis,
		    format_names[d->found], format_names[given]);
	else if (d->backing.path != NULL && d->backing.err != 0) {
		bvis = diag_vis(d->backingname);
		diag(ctx, v->at, M(DISK_BACKING), v->key, vis, bvis,
		    strerror(d->backing.err));
		free(bvis);
	}
	free(vis);
}

static void
check_binaries(struct ctx *ctx, const struct vm *vm)
{
	const struct host	*h = ctx->host;
	const struct resolved	*r = &vm->res;

	if (vm->qemupath == NULL)
		diag(ctx, vm->at, M(QEMU_NONE), vm->arch.s);
	else if (r->qemu.path != NULL && r->qemu.err != 0)
		diag(ctx, val_at(vm, &vm->qemu), M(QEMU_ACCESS), vm->qemupath,
		    why(r->qemu.err));
	if (vm->fwpath == NULL && vm->arch.n == ARCH_AARCH64 &&
	    !val_ok(&vm->firmware))
		diag(ctx, vm->at, M(FIRMWARE_NONE));
	if (r->fw.path != NULL && r->fw.err != 0)
		diag(ctx, val_at(vm, &vm->firmware), M(FIRMWARE_UNUSABLE),
		    vm->fwpath, why(r->fw.err));
	if (vm->arch.n != ARCH_AARCH64 || vm->fwpath == NULL)
		return;
	if (!val_ok(&h->vars_aarch64))
		diag(ctx, vm->at, M(VARS_NONE));
	else if (r->vars.path != NULL && r->vars.err != 0)
		diag(ctx, vm->at, M(VARS_ACCESS), vm->varstemplate,
		    why(r->vars.err));
}

/*
 * What a job run as root runs or makes files in, which someone else
 * could change: such a person runs code as root (install refuses the
 * directory).
 */
static void
check_root_owned(struct ctx *ctx, const struct vm *vm)
{
	const struct resolved	*r = &vm->res;
	const struct found	*f;
	size_t			 i;

	if (vm->vmdir != NULL)
		return;
	for (i = 0; i < 2; i++) {
		f = i == 0 ? &r->qemu : &r->qemuimg;
		if (f->path != NULL && f->err == 0 &&
		    (f->st.st_uid != 0 || (f->st.st_mode & 022) != 0))
			diag(ctx, vm->at, M(ROOT_RUNS_OTHERS), f->path,
			    (unsigned)f->st.st_uid,
			    (unsigned)(f->st.st_mode & 07777));
	}
	f = &r->madedir;
	if (f->path != NULL && f->err == 0 &&
	    (f->st.st_uid != 0 || (f->st.st_mode & 022) != 0))
		diag(ctx, val_at(vm, &vm->image), M(FIRST_START_DIR), f->path);
}

/* The image and the programs; then where macOS keeps daemons out. */
void
check_disks(struct ctx *ctx, struct vm *vm)
{
	size_t	 i;

	check_root_owned(ctx, vm);
	if (val_ok(&vm->image))
		check_image(ctx, vm);
	for (i = 0; i < vm->ndisk; i++)
		check_more(ctx, vm, &vm->disk[i]);
	if (val_ok(&vm->arch))
		check_binaries(ctx, vm);
	check_private(ctx, vm, &vm->image, val_ok(&vm->image) ?
	    vm->imagepath : NULL);
	check_private(ctx, vm, &vm->firmware, vm->fwpath);
	check_private(ctx, vm, &vm->log, val_ok(&vm->log) ? vm->logpath :
	    NULL);
}
