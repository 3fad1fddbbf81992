#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/*
 * The state of the last clean build, kept in OUTDIR/.vmc-state, so that
 * a build in which nothing changed costs a stat of each file it read
 * and wrote instead of a build:
 *
 *	vmc-state 1 KEY
 *	i DEV INO SIZE MTIME CTIME MODE PATH	a file read: profile, include, image
 *	o DEV INO SIZE MTIME 0 MODE NAME	a file written, in OUTDIR
 *	end COUNT
 *
 * KEY hashes all else a build depends on: vmc's version and sources,
 * the host, the run directory, the working directory, the user and the
 * profiles named.  Times are in seconds, so output.c records no state
 * when a file read changed in the second the build started: a later
 * change within that second would keep its time.
 */

/* Set by the Makefile to a checksum of compiler/: no state without it. */
#ifndef VMC_SOURCE_ID
#define VMC_SOURCE_ID	""
#endif

#define STATE_MAGIC	"vmc-state 1"

static uint64_t
hash_str(uint64_t h, const char *s)
{
	return hash_add(h, s, strlen(s) + 1);
}

/* The key of a build, or 0 when it cannot have one. */
uint64_t
state_key(const struct host *host, const char *rundir, char *const *paths,
    size_t n)
{
	char	 cwd[PATH_MAX];
	char	*text = NULL;
	size_t	 len = 0, i;
	FILE	*fp;
	uint64_t h = HASH_INIT;
	long	 ids[3];

	if (*VMC_SOURCE_ID == '\0' || getcwd(cwd, sizeof(cwd)) == NULL ||
	    (fp = open_memstream(&text, &len)) == NULL)
		return 0;
	host_print(host, fp);
	if (fclose(fp) != 0) {
		free(text);
		return 0;
	}
	ids[0] = host->live;
	ids[1] = (long)geteuid();
	ids[2] = (long)getegid();
	h = hash_str(h, VMC_VERSION);
	h = hash_str(h, VMC_SOURCE_ID);
	h = hash_add(h, ids, sizeof(ids));
	h = hash_add(h, text, len + 1);
	h = hash_str(h, rundir);
	h = hash_str(h, cwd);
	for (i = 0; i < n; i++)
		h = hash_str(h, paths[i]);
	free(text);
	return h == 0 ? 1 : h;
}

void
state_begin(struct buf *b, uint64_t key)
{
	buf_printf(b, STATE_MAGIC " %016" PRIx64 "\n", key);
}

/* One file; 0 when its path cannot be recorded. */
int
state_file(struct buf *b, int kind, const char *path, const struct stat *st)
{
	if (strchr(path, '\n') != NULL)
		return 0;
	buf_printf(b, "%c %ju %ju %jd %jd %jd %o %s\n", kind,
	    (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
	    (intmax_t)st->st_size, (intmax_t)st->st_mtime,
	    kind == 'i' ? (intmax_t)st->st_ctime : 0,
	    (unsigned)st->st_mode, path);
	return 1;
}

void
state_end(struct buf *b, size_t n)
{
	buf_printf(b, "end %zu\n", n);
}

/* 1 when the line describes the file as it is now. */
static int
same_file(int dfd, char *line)
{
	struct stat	 st;
	uintmax_t	 dev, ino;
	intmax_t	 size, mtime, ctime;
	unsigned long	 mode;
	char		*p, *path;
	int		 kind = line[0];

	if ((kind != 'i' && kind != 'o') || line[1] != ' ')
		return 0;
	p = line + 2;
	dev = strtoumax(p, &p, 10);
	ino = strtoumax(p, &p, 10);
	size = strtoimax(p, &p, 10);
	mtime = strtoimax(p, &p, 10);
	ctime = strtoimax(p, &p, 10);
	mode = strtoul(p, &p, 8);
	if (*p++ != ' ' || *p == '\0')
		return 0;
	path = p;
	path[strcspn(path, "\n")] = '\0';
	if (kind == 'i' ? stat(path, &st) == -1 :
	    fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return dev == (uintmax_t)st.st_dev && ino == (uintmax_t)st.st_ino &&
	    size == (intmax_t)st.st_size && mtime == (intmax_t)st.st_mtime &&
	    (kind == 'o' || ctime == (intmax_t)st.st_ctime) &&
	    mode == (unsigned long)st.st_mode;
}

/*
 * 1 when the last clean build into dir had this key and every file it
 * read and wrote is as it left it: there is nothing to do.
 */
int
state_fresh(const char *dir, uint64_t key)
{
	struct stat	 st;
	char	*line = NULL, head[64];
	size_t	 cap = 0, n = 0, count;
	FILE	*fp;
	int	 dfd, fd, fresh = 0;

	if (key == 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return 0;
	if ((fd = path_open(dfd, STATE_FILE, 1, &st)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		close(dfd);
		return 0;
	}
	snprintf(head, sizeof(head), STATE_MAGIC " %016" PRIx64 "\n", key);
	if (getline(&line, &cap, fp) > 0 && strcmp(line, head) == 0) {
		while (getline(&line, &cap, fp) > 0 && same_file(dfd, line))
			n++;
		fresh = sscanf(line, "end %zu", &count) == 1 && count == n &&
		    getc(fp) == EOF;
	}
	free(line);
	fclose(fp);
	close(dfd);
	return fresh;
}
