#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/* Path names, as strings: none of these but path_abs asks the kernel. */

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
