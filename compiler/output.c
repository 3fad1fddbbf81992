#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/*
 * Writes a build into the output directory, all or nothing: every
 * changed file goes to a temporary file as it is added, so that the
 * build need not hold them all in memory; only when all are written
 * are they renamed into place, and a failed rename puts the old files
 * back.  Unchanged files are not touched, so their mtime tells launchd
 * users what changed.  A lock on the directory keeps concurrent builds
 * apart.
 */

#define TMP_PREFIX	".vmc-tmp-"

struct pending {
	char	*name;		/* in the output directory */
	char	*tmp;		/* new contents */
	char	*old;		/* hard link to the replaced file, or NULL */
	int	 done;		/* renamed into place */
};

struct output {
	struct ctx	*ctx;
	char		*dir;
	int		 dfd;
	int		 empty;		/* held nothing when opened */
	int		 created;	/* by this build */
	struct pending	*p;		/* the changed files */
	size_t		 n, cap;
};

static void
fail(struct ctx *ctx, const char *dir, const char *name, const char *what)
{
	char	*path;

	path = name != NULL ? path_join(dir, name) : xstrdup(dir);
	diag_sys(ctx, (struct loc){ intern(ctx, path), 0 }, "cannot %s: %s",
	    what, strerror(errno));
	free(path);
}

/* 1 when dir/name already holds exactly these bytes and this mode. */
static int
unchanged(int dfd, const char *name, const struct buf *data, int mode)
{
	struct stat	 st;
	char		*p;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, same = 0;

	if ((fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW))
	    == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == data->len &&
	    (st.st_mode & 07777) == (mode_t)mode) {
		p = xmalloc(data->len);
		while (got < data->len &&
		    (n = read(fd, p + got, data->len - got)) > 0)
			got += n;
		same = got == data->len && memcmp(p, data->p, got) == 0;
		free(p);
	}
	close(fd);
	return same;
}

static char *
write_tmp(struct ctx *ctx, const char *dir, const char *fname,
    const struct buf *data, int mode)
{
	char	 name[sizeof(TMP_PREFIX) + 6] = TMP_PREFIX "XXXXXX";
	char	*path;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	path = xasprintf("%s/%s", dir, name);
	if ((fd = mkstemp(path)) == -1) {
		fail(ctx, dir, fname, "create a temporary file");
		free(path);
		return NULL;
	}
	if (fchmod(fd, mode) == -1) {
		fail(ctx, dir, fname, "set the mode");
		goto fail;
	}
	while (off < data->len) {
		if ((n = write(fd, data->p + off, data->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fail(ctx, dir, fname, "write");
			goto fail;
		}
		off += n;
	}
	if (close(fd) == -1) {
		fd = -1;
		fail(ctx, dir, fname, "write");
		goto fail;
	}
	return path;
fail:
	if (fd != -1)
		close(fd);
	unlink(path);
	free(path);
	return NULL;
}

/*
 * Removes what a killed build left behind; the lock is held.  Returns 1
 * when nothing else is there, so no file needs comparing or keeping.
 */
static int
clean_stale(int dfd)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, empty = 1;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) ==
		    0)
			unlinkat(dfd, de->d_name, 0);
		else if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/*
 * Keeps the file about to be replaced under a hard link next to its
 * temporary file, so that a failed build can put it back.
 */
static int
backup(struct ctx *ctx, int dfd, const char *dir, const char *name,
    struct pending *p)
{
	p->old = xasprintf("%s.old", p->tmp);
	if (linkat(dfd, name, AT_FDCWD, p->old, 0) == 0)
		return 0;
	free(p->old);
	p->old = NULL;
	if (errno == ENOENT)
		return 0;	/* a new file: nothing to keep */
	fail(ctx, dir, name, "keep the old version");
	return -1;
}

static void
roll_back(int dfd, struct pending *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i].done && p[i].old != NULL)
			renameat(AT_FDCWD, p[i].old, dfd, p[i].name);
		else if (p[i].done)
			unlinkat(dfd, p[i].name, 0);
		if (p[i].old != NULL)
			unlink(p[i].old);
		if (!p[i].done)
			unlink(p[i].tmp);
	}
}

static void
output_free(struct output *o)
{
	size_t	 i;

	for (i = 0; i < o->n; i++) {
		free(o->p[i].name);
		free(o->p[i].tmp);
		free(o->p[i].old);
	}
	free(o->p);
	free(o->dir);
	close(o->dfd);
	free(o);
}

/* Creates and locks the output directory and removes stale files. */
struct output *
output_open(struct ctx *ctx, const char *dir)
{
	struct output	*o;
	int		 dfd, created = 1;

	if (mkdir(dir, 0755) == -1) {
		if (errno != EEXIST) {
			fail(ctx, dir, NULL, "create the output directory");
			return NULL;
		}
		created = 0;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		fail(ctx, dir, NULL, "open the output directory");
		return NULL;
	}
	if (flock(dfd, LOCK_EX) == -1) {
		fail(ctx, dir, NULL, "lock the output directory");
		close(dfd);
		return NULL;
	}
	o = xcalloc(1, sizeof(*o));
	o->ctx = ctx;
	o->dir = xstrdup(dir);
	o->dfd = dfd;
	o->created = created;
	o->empty = clean_stale(dfd);
	return o;
}

/* Writes name to a temporary file unless it holds data already. */
int
output_add(struct output *o, const char *name, const struct buf *data,
    int mode)
{
	char	*tmp;

	if (!o->empty && unchanged(o->dfd, name, data, mode))
		return 0;
	if ((tmp = write_tmp(o->ctx, o->dir, name, data, mode)) == NULL)
		return -1;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->p = xreallocarray(o->p, o->cap, sizeof(*o->p));
	}
	memset(&o->p[o->n], 0, sizeof(*o->p));
	o->p[o->n].name = xstrdup(name);
	o->p[o->n++].tmp = tmp;
	return 0;
}

/*
 * Removes every temporary file, and the directory if this build made
 * it, so that a failed build leaves no trace.
 */
void
output_abort(struct output *o)
{
	roll_back(o->dfd, o->p, o->n);
	if (o->created)
		rmdir(o->dir);
	output_free(o);
}

/*
 * Renames every temporary file into place, or, when one fails, puts
 * back what was there.  Closes the directory either way.
 */
int
output_commit(struct output *o)
{
	struct pending	*p;
	size_t		 i;

	for (i = 0; i < o->n; i++) {
		p = &o->p[i];
		if (!o->empty && backup(o->ctx, o->dfd, o->dir, p->name, p) ==
		    -1)
			break;
		if (renameat(AT_FDCWD, p->tmp, o->dfd, p->name) == -1) {
			fail(o->ctx, o->dir, p->name, "rename into place");
			break;
		}
		p->done = 1;
	}
	if (i < o->n) {
		output_abort(o);
		return -1;
	}
	for (i = 0; i < o->n; i++)
		if (o->p[i].old != NULL)
			unlink(o->p[i].old);
	output_free(o);
	return 0;
}
