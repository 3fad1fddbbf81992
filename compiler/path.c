#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

int
path_has_suffix(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
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

/* An absolute form of a path, without resolving the last component. */
char *
path_abs(const char *path)
{
	char	 real[PATH_MAX];
	char	*dir, *base, *p;

	if (path[0] == '/')
		return xstrdup(path);
	dir = path_dir(path);
	if (realpath(dir, real) == NULL) {
		free(dir);
		return NULL;
	}
	free(dir);
	base = strrchr(path, '/');
	base = base == NULL ? (char *)path : base + 1;
	p = path_join(real, base);
	return p;
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
