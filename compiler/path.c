#if defined(__linux__)
#define _GNU_SOURCE	/* syncfs(2): see path_sync */
#endif
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmc.h"

/*
 * Path names and the files they name.  Every file vmc reads is opened
 * through path_open.
 */

/*
 * Opens path (relative to dfd) for reading, without side effects:
 * only a regular file is opened, as opening a device can allocate a
 * terminal or arm a watchdog, and opening a FIFO blocks.  O_NONBLOCK
 * and O_NOCTTY cover a file swapped for another between the stat and
 * the open, which the fstat then rejects.  Returns the descriptor and
 * sets *st, or returns -1 with errno set; errno 0 means the file is
 * not a regular file, and *st says what it is.
 */
int
path_open(int dfd, const char *path, int nofollow, struct stat *st)
{
	struct stat	 now;
	int		 fd, flags;

	flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	if (fstatat(dfd, path, st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) == -1)
		return -1;
	if (!S_ISREG(st->st_mode)) {
		errno = 0;
		return -1;
	}
	if ((fd = openat(dfd, path, flags | (nofollow ? O_NOFOLLOW : 0))) ==
	    -1)
		return -1;
	if (fstat(fd, &now) == -1) {
		close(fd);
		return -1;
	}
	*st = now;
	if (!S_ISREG(now.st_mode)) {
		close(fd);
		errno = 0;
		return -1;
	}
	return fd;
}

/*
 * 1 when dfd/name and dfd/other are regular files of size bytes, the
 * same bytes; sets *st to name's status.
 */
int
path_same(int dfd, const char *name, const char *other, size_t size,
    struct stat *st)
{
	struct stat	 ost;
	char		 a[8192], b[8192];
	ssize_t		 n = 0, m;
	size_t		 off = 0;
	int		 fd, ofd, same;

	if ((fd = path_open(dfd, name, 1, st)) == -1)
		return 0;
	if ((ofd = path_open(dfd, other, 1, &ost)) == -1) {
		close(fd);
		return 0;
	}
	same = (uintmax_t)st->st_size == size &&
	    (uintmax_t)ost.st_size == size;
	while (same && off < size && (n = read(fd, a, sizeof(a))) > 0) {
		m = read(ofd, b, n);
		same = m == n && memcmp(a, b, n) == 0;
		off += n;
	}
	close(fd);
	close(ofd);
	return same && off == size;
}

/*
 * Reads dfd/path whole into b, NUL-terminated, opened as path_open
 * opens it, when it holds at most max bytes; sets *st.  Returns 0, or
 * -1 with errno set: 0 when it is not a regular file, EFBIG when it is
 * larger than max, EIO when it shrank while read.
 */
int
path_read(int dfd, const char *path, int nofollow, size_t max,
    struct buf *b, struct stat *st)
{
	ssize_t	 n;
	int	 fd, error;

	b->len = 0;
	if ((fd = path_open(dfd, path, nofollow, st)) == -1)
		return -1;
	if ((uintmax_t)st->st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	buf_grow(b, st->st_size);
	while (b->len < (size_t)st->st_size) {
		n = read(fd, b->p + b->len, st->st_size - b->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = n == 0 ? EIO : errno;
			b->len = 0;
			b->p[0] = '\0';
			close(fd);
			errno = error;
			return -1;
		}
		b->len += n;
	}
	close(fd);
	b->p[b->len] = '\0';
	return 0;
}

/*
 * Durability, in steps: path_sync(fd, SYNC_FILE) for each file
 * written, path_sync(fd, SYNC_SUBDIR) for each directory below the one
 * the files are published in that got entries, then
 * path_sync(dfd, SYNC_DIR) on that directory, before and after the
 * renames that publish the files.  Where the kernel can flush a whole
 * file system at once (Linux's syncfs), the first two steps are left
 * to the last: one flush instead of one journal commit a file, which
 * on ext4 costs milliseconds each.  Elsewhere each file and directory
 * is fsync'ed; on macOS that only hands the data to the drive, whose
 * cache may lose or reorder it at a power cut, so the last step asks
 * for F_FULLFSYNC, which flushes the drive's cache, once for all
 * before it.
 */
int
path_sync(int fd, int what)
{
	/* VMC_PORTABLE_SYNC takes the steps of other systems on Linux too,
	 * for tests/faults/run.sh. */
#if defined(__linux__) && !defined(VMC_PORTABLE_SYNC)
	return what == SYNC_DIR ? syncfs(fd) : 0;
#else
#ifdef F_FULLFSYNC
	if (what == SYNC_DIR && fcntl(fd, F_FULLFSYNC) == 0)
		return 0;
#else
	(void)what;
#endif
	return fsync(fd);
#endif
}

int
path_has_suffix(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

int
path_has_suffix_case(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

char *
path_dir(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

char *
path_join(const char *dir, const char *file)
{
	size_t	 n;

	if (file[0] == '/' || strcmp(dir, ".") == 0)
		return xstrdup(file);
	n = strlen(dir);
	return xasprintf("%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/",
	    file);
}

/*
 * dir joined with path, without "." and ".." components or doubled
 * slashes.  Lexical: the image need not exist on this machine.
 */
char *
path_clean(const char *dir, const char *path)
{
	char	*joined, *out, *p, *q, *seg;
	size_t	 n;

	joined = path_join(dir, path);
	out = xmalloc(strlen(joined) + 2);
	out[0] = '\0';
	n = 0;
	for (p = joined; *p != '\0'; p = q) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != '/'; q++)
			continue;
		seg = p;
		if (q - seg == 1 && seg[0] == '.')
			continue;
		if (q - seg == 2 && seg[0] == '.' && seg[1] == '.' &&
		    joined[0] == '/') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			out[n] = '\0';
			continue;
		}
		if (n > 0 || joined[0] == '/')
			out[n++] = '/';
		memcpy(out + n, seg, q - seg);
		n += q - seg;
		out[n] = '\0';
	}
	if (n == 0)
		strcpy(out, joined[0] == '/' ? "/" : ".");
	free(joined);
	return out;
}

/*
 * realpath(3) of dir, through the cache when c is not NULL, whose few
 * entries fill in turn: NULL with errno set.
 */
char *
path_real(const char *dir, struct pathcache *c)
{
	char	*real;
	size_t	 i;

	for (i = 0; c != NULL && i < PATHCACHE; i++)
		if (c->e[i].dir != NULL && strcmp(c->e[i].dir, dir) == 0) {
			errno = c->e[i].err;
			return c->e[i].real != NULL ? xstrdup(c->e[i].real) :
			    NULL;
		}
	real = realpath(dir, NULL);
	if (c == NULL)
		return real;
	i = c->next++ % PATHCACHE;
	free(c->e[i].dir);
	free(c->e[i].real);
	c->e[i].dir = xstrdup(dir);
	c->e[i].real = real != NULL ? xstrdup(real) : NULL;
	c->e[i].err = real != NULL ? 0 : errno;
	errno = c->e[i].err;
	return real;
}

void
pathcache_free(struct pathcache *c)
{
	size_t	 i;

	for (i = 0; i < PATHCACHE; i++) {
		free(c->e[i].dir);
		free(c->e[i].real);
	}
	memset(c, 0, sizeof(*c));
}

/*
 * The one resolution of a path a profile names (an image, firmware),
 * relative to dir: as the kernel would resolve it, whatever the working
 * directory or the spelling of the command line.  The directory goes
 * through realpath, so that a symbolic link followed by ".." leads
 * where open(2) goes; the last component stays, so that a link there
 * is followed when the file is used, as it was when it was checked.
 * Components that do not exist on this machine (a described host's
 * files) are taken as written below the longest ancestor that does.
 * Returns NULL with errno set when the kernel cannot resolve it.  With
 * c, the directory is resolved once for a run of paths in it (the
 * no-op's looks, state.c): a change in the middle of the run is as one
 * made after it.
 */
char *
path_resolve(const char *dir, const char *path, struct pathcache *c)
{
	char	*full, *prefix, *real, *out, *base;
	size_t	 n, end;
	int	 first;

	full = path_join(dir, path);
	n = strlen(full);
	while (n > 1 && full[n - 1] == '/')
		full[--n] = '\0';
	/* full[0, end) is resolved: the directory, or all when the last
	 * component moves the directory. */
	base = strrchr(full, '/');
	base = base == NULL ? full : base + 1;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || *base == '\0')
		end = n;
	else
		end = base > full ? (size_t)(base - full - 1) : 0;
	for (first = 1;; first = 0) {
		if (end == 0)
			prefix = xstrdup(full[0] == '/' ? "/" : ".");
		else
			prefix = xasprintf("%.*s", (int)end, full);
		real = path_real(prefix, first ? c : NULL);
		free(prefix);
		if (real != NULL || errno != ENOENT || end == 0)
			break;
		/* Missing here: its parent, the rest as written. */
		while (end > 0 && full[end - 1] != '/')
			end--;
		if (end > 0)
			end--;
	}
	if (real == NULL) {
		free(full);
		return NULL;
	}
	while (full[end] == '/')
		end++;
	out = full[end] == '\0' ? xstrdup(real) : path_clean(real, full + end);
	free(real);
	free(full);
	return out;
}

/* dir made absolute against the working directory, without a trailing '/'. */
char *
path_absdir(const char *dir)
{
	char	 cwd[PATH_MAX];
	size_t	 n;
	char	*p;

	if (dir[0] == '/')
		p = xstrdup(dir);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		err(EXIT_SYSTEM, "getcwd");
	else
		p = strcmp(dir, ".") == 0 ? xstrdup(cwd) : path_join(cwd, dir);
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

/*
 * Whether the owner and mode of a file refuse a user (uid, its primary
 * group gid) what how asks: 04 read, 06 read and write.  Only the
 * primary group is known: for another group, both the group's and
 * others' bits must refuse.  Access lists are not read.
 */
int
path_refuses(const struct stat *st, uid_t uid, gid_t gid, int how)
{
	int	 u = st->st_mode >> 6 & 7, g = st->st_mode >> 3 & 7;
	int	 o = st->st_mode & 7;

	if (st->st_uid == uid)
		return (u & how) != how;
	if (st->st_gid == gid)
		return (g & how) != how;
	return (g & how) != how && (o & how) != how;
}
