#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"
#include "plan.h"

/*
 * Putting an install in place, for install.c: each file written beside
 * its target and renamed over it, the directories flushed before the
 * manifest records what they hold, the manifest itself rewritten as
 * each VM is done, and what a killed install left staged removed.
 */

/*
 * Writes b to the new file tmp, owned by root when we are root, with
 * its mode, synced.  Only root can write where install writes: a file
 * of that name is a killed run's.  -1 with errno set, tmp removed.
 */
static int
write_new(struct inst *in, const char *tmp, const struct buf *b, int mode)
{
	ssize_t	 w;
	size_t	 off = 0;
	int	 fd, error;

	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((in->asroot && fchown(fd, 0, 0) == -1) || fchmod(fd, mode) == -1)
		goto fail;
	while (off < b->len) {
		if ((w = write(fd, b->p + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += w;
	}
	if (path_sync(fd, SYNC_FILE) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	error = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = error;
	return -1;
}

/*
 * Makes the renames and removals in the directory of path durable
 * (path.c): after a power cut, each VM's files are the old or the new
 * ones, and the manifest, written after them, never names what is not
 * on disk.  *last is the directory synced before, which is not synced
 * again.
 */
static int
sync_dir(struct inst *in, const char *path, char **last)
{
	char	*dir, *up;
	int	 fd, rc = 0;

	dir = path_dir(path);
	if (last != NULL && *last != NULL && strcmp(*last, dir) == 0) {
		free(dir);
		return 0;
	}
	/* A directory removed with its last file: its parent changed. */
	while ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && strchr(dir + 1, '/') != NULL) {
		up = path_dir(dir);
		free(dir);
		dir = up;
	}
	if (fd == -1 || path_sync(fd, SYNC_DIR) == -1) {
		diag(in->ctx, at(in, dir), M(INSTALL_SYNC), strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	if (last != NULL) {
		free(*last);
		*last = dir;
	} else
		free(dir);
	return rc;
}

/* sync_dir for installed files' paths, which have no ROOT. */
int
sync_files(struct inst *in, const struct recfile *f, size_t n)
{
	char	*path, *last = NULL;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		path = full(in, f[i].path);
		rc = sync_dir(in, path, &last);
		free(path);
	}
	free(last);
	return rc;
}

/* sync_dir for the directories of the files a plan wrote. */
int
sync_staged(struct inst *in, const struct plan *p)
{
	char	*last = NULL;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < p->nd && rc == 0; i++)
		if (p->d[i].write)
			rc = sync_dir(in, p->d[i].full, &last);
	free(last);
	return rc;
}

/* Writes the manifest to a temporary file and renames it into place. */
int
write_manifest(struct inst *in)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*tmp;
	int		 rc = 0;

	qsort(in->man.vm, in->man.n, sizeof(*in->man.vm), cmp_recvm);
	record_write(&b, &in->man);
	tmp = xasprintf("%s%s/" TMP_PREFIX "manifest", in->opt->root,
	    VMC_DB);
	if (write_new(in, tmp, &b, 0644) == -1 ||
	    rename(tmp, in->manpath) == -1) {
		diag(in->ctx, at(in, in->manpath), M(INSTALL_WRITE),
		    strerror(errno));
		unlink(tmp);
		rc = -1;
	} else
		rc = sync_dir(in, in->manpath, NULL);
	free(tmp);
	buf_free(&b);
	return rc;
}

/* Writes a file next to its target, as it will be. */
int
stage(struct inst *in, struct dest *d)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*dir, *base;
	int		 rc = 0;

	if (check_source(in, d->src, &b) == -1) {
		buf_free(&b);
		return -1;
	}
	/* A seed's directory, made root's like the run directory. */
	dir = path_dir(d->path);
	mkdirs(in, dir);
	free(dir);
	dir = path_dir(d->full);
	base = strrchr(d->full, '/') + 1;
	d->tmp = xasprintf("%s/" TMP_PREFIX "%s", dir, base);
	free(dir);
	if (write_new(in, d->tmp, &b, d->src->mode) == -1) {
		diag(in->ctx, at(in, d->full), M(INSTALL_WRITE),
		    strerror(errno));
		free(d->tmp);
		d->tmp = NULL;
		rc = -1;
	}
	buf_free(&b);
	return rc;
}

void
unstage(struct plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nd; i++)
		if (p->d[i].tmp != NULL) {
			unlink(p->d[i].tmp);
			free(p->d[i].tmp);
			p->d[i].tmp = NULL;
		}
}

/* Removes an installed file; one that is gone is fine. */
int
remove_file(struct inst *in, const char *path)
{
	char	*f;
	int	 rc = 0;

	f = full(in, path);
	if (unlink(f) == -1 && errno != ENOENT) {
		diag(in->ctx, at(in, f), M(INSTALL_REMOVE), strerror(errno));
		rc = -1;
	}
	free(f);
	return rc;
}

/*
 * Removes the directory a VM's file was in when it is one of the VM's
 * own, below the directory of its script (a seed's), and now empty.
 */
void
remove_subdir(struct inst *in, const struct recvm *v, const char *path)
{
	char		*dir, *f;
	const char	*top = NULL;
	size_t		 i, n;

	for (i = 0; i < v->nf; i++)
		if (path_has_suffix(v->f[i].path, ".sh"))
			top = v->f[i].path;
	dir = path_dir(path);
	n = top != NULL ? (size_t)(strrchr(top, '/') - top) : 0;
	if (top != NULL && strlen(dir) > n + 1 && strncmp(dir, top, n) == 0 &&
	    dir[n] == '/') {
		f = full(in, dir);
		rmdir(f);	/* fails while another file is in it */
		free(f);
	}
	free(dir);
}

void
remove_dir(struct inst *in, const char *path)
{
	char	*f;

	f = full(in, path);
	if (rmdir(f) == -1 && errno != ENOENT)
		diag(in->ctx, at(in, f), M(LEFT_IN_PLACE), strerror(errno));
	free(f);
}

/*
 * The manifest's record of a VM as the plan puts it in place; before it
 * does (ahead), its old files too, so that whatever a kill leaves is
 * vmc's and the next install puts it right, and pending when its job is
 * to be loaded again: a kill may leave it loaded or not.
 */
void
record_vm(struct inst *in, const struct plan *p, int ahead)
{
	struct recvm	*v, *slot;
	size_t		 i, j;

	if ((slot = record_find(&in->man, p->new->name)) != NULL)
		recvm_free(slot);
	else {
		in->man.vm = xreallocarray(in->man.vm, in->man.n + 1,
		    sizeof(*in->man.vm));
		slot = &in->man.vm[in->man.n++];
	}
	v = slot;
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(p->new->name);
	v->label = xstrdup(p->new->label);
	v->user = xstrdup(p->new->user);
	v->net = p->new->net;
	if (p->new->group != NULL)
		v->group = xstrdup(p->new->group);
	v->pending = ahead && (p->status == ST_ADDED || p->status ==
	    ST_CHANGED || p->status == ST_RESTARTED || p->reload);
	for (i = 0; i < p->nd; i++)
		recvm_addfile(v, p->d[i].path, p->d[i].src->mode,
		    p->d[i].src->hash);
	for (i = 0; ahead && p->old != NULL && i < p->old->nf; i++) {
		for (j = 0; j < p->nd; j++)
			if (strcmp(p->old->f[i].path, p->d[j].path) == 0)
				break;
		if (j == p->nd)
			recvm_addfile(v, p->old->f[i].path,
			    p->old->f[i].mode, p->old->f[i].hash);
	}
	if (p->dir != NULL)
		v->dir = xstrdup(p->dir);
	else if (ahead && p->old != NULL && p->old->dir != NULL)
		v->dir = xstrdup(p->old->dir);
	if (p->new->run != NULL)
		v->run = xstrdup(p->new->run);
	if (p->new->console != NULL)
		v->console = xstrdup(p->new->console);
	if (p->new->log != NULL)
		v->log = xstrdup(p->new->log);
	v->reach = xcalloc(p->new->nreach + 1, sizeof(*v->reach));
	for (i = 0; i < p->new->nreach; i++)
		v->reach[v->nreach++] = xstrdup(p->new->reach[i]);
}

void
unrecord_vm(struct inst *in, const char *name)
{
	struct recvm	*v;

	if ((v = record_find(&in->man, name)) == NULL)
		return;
	recvm_free(v);
	*v = in->man.vm[--in->man.n];
}

/*
 * Removes what an install killed while it staged left in the directory
 * dir (with ROOT): files named TMP_PREFIX*, which only vmc writes and,
 * the lock held, no other install is writing.
 */
static void
remove_stale(const char *dir)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* remove_stale in each directory the plans write to, once. */
void
remove_stales(struct inst *in)
{
	const char	*dirs[3] = { VMC_DB, LAUNCHDAEMONS, in->index.rundir };
	char		*f, *last = NULL;
	size_t		 i, j;

	for (i = 0; i < 3; i++) {
		f = full(in, dirs[i]);
		remove_stale(f);
		free(f);
	}
	/* And the seeds' directories, below the run directory. */
	for (i = 0; i < in->np; i++)
		for (j = 0; j < in->p[i].nd; j++) {
			f = path_dir(in->p[i].d[j].path);
			if (strcmp(f, LAUNCHDAEMONS) != 0 &&
			    strcmp(f, in->index.rundir) != 0 &&
			    (last == NULL || strcmp(f, last) != 0)) {
				free(last);
				last = full(in, f);
				remove_stale(last);
				free(last);
				last = xstrdup(f);
			}
			free(f);
		}
	free(last);
}
