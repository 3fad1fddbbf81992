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
 * changed file goes to a temporary file first; only when all are
 * written are they renamed into place, and a failed rename puts the
 * old files back.  Unchanged files are not touched, so their mtime
 * tells launchd users what changed.  A lock on the directory keeps
 * concurrent builds apart.
 */

#define TMP_PREFIX	".vmc-tmp-"

struct pending {
	char	*tmp;		/* new contents */
	char	*old;		/* hard link to the replaced file, or NULL */
	int	 done;		/* renamed into place */
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
unchanged(int dfd, const struct outfile *f)
{
	struct stat	 st;
	char		*p;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, same = 0;

	if ((fd = openat(dfd, f->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW))
	    == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size == f->data.len &&
	    (st.st_mode & 07777) == (mode_t)f->mode) {
		p = xmalloc(f->data.len);
		while (got < f->data.len &&
		    (n = read(fd, p + got, f->data.len - got)) > 0)
			got += n;
		same = got == f->data.len && memcmp(p, f->data.p, got) == 0;
		free(p);
	}
	close(fd);
	return same;
}

static char *
write_tmp(struct ctx *ctx, const char *dir, const struct outfile *f)
{
	char	 name[sizeof(TMP_PREFIX) + 6] = TMP_PREFIX "XXXXXX";
	char	*path;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	path = xasprintf("%s/%s", dir, name);
	if ((fd = mkstemp(path)) == -1) {
		fail(ctx, dir, f->name, "create a temporary file");
		free(path);
		return NULL;
	}
	if (fchmod(fd, f->mode) == -1) {
		fail(ctx, dir, f->name, "set the mode");
		goto fail;
	}
	while (off < f->data.len) {
		if ((n = write(fd, f->data.p + off, f->data.len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fail(ctx, dir, f->name, "write");
			goto fail;
		}
		off += n;
	}
	if (close(fd) == -1) {
		fd = -1;
		fail(ctx, dir, f->name, "write");
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
roll_back(int dfd, struct pending *p, const struct outfile *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i].done && p[i].old != NULL)
			renameat(AT_FDCWD, p[i].old, dfd, f[i].name);
		else if (p[i].done)
			unlinkat(dfd, f[i].name, 0);
		if (p[i].old != NULL)
			unlink(p[i].old);
		if (p[i].tmp != NULL && !p[i].done)
			unlink(p[i].tmp);
	}
}

int
output_write(struct ctx *ctx, const char *dir, struct outfile *f, size_t n,
    size_t *written)
{
	struct pending	*p;
	size_t		 i;
	int		 dfd, empty, rc = -1;

	*written = 0;
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		fail(ctx, dir, NULL, "create the output directory");
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		fail(ctx, dir, NULL, "open the output directory");
		return -1;
	}
	if (flock(dfd, LOCK_EX) == -1) {
		fail(ctx, dir, NULL, "lock the output directory");
		close(dfd);
		return -1;
	}
	empty = clean_stale(dfd);
	p = xcalloc(n, sizeof(*p));
	for (i = 0; i < n; i++) {
		if (!empty && unchanged(dfd, &f[i]))
			continue;
		if ((p[i].tmp = write_tmp(ctx, dir, &f[i])) == NULL)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if (p[i].tmp == NULL)
			continue;
		if (!empty && backup(ctx, dfd, dir, f[i].name, &p[i]) == -1)
			goto out;
		if (renameat(AT_FDCWD, p[i].tmp, dfd, f[i].name) == -1) {
			fail(ctx, dir, f[i].name, "rename into place");
			goto out;
		}
		p[i].done = 1;
		(*written)++;
	}
	rc = 0;
out:
	if (rc == -1) {
		roll_back(dfd, p, f, n);
		*written = 0;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && p[i].old != NULL)
			unlink(p[i].old);
		free(p[i].old);
		free(p[i].tmp);
	}
	free(p);
	close(dfd);
	return rc;
}
