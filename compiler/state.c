#include <sys/stat.h>

#include <dirent.h>
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
 * and of each file it wrote, instead of a build:
 *
 *	vmc-state 4 KEY
 *	i KIND FINGERPRINT PATH			a look the build took (look.c):
 *						every file read or checked,
 *						every path resolved, every
 *						user looked up
 *	o DEV INO SIZE MTIME CTIME HASH MODE NAME
 *						a file written, in OUTDIR;
 *						CTIME is SECONDS.NANOSECONDS
 *	end COUNT
 *
 * KEY hashes all else a build depends on: vmc's version and sources,
 * the host, the run directory, the working directory, the user and the
 * profiles named.  Times of the files read are in seconds, so output.c
 * records no state when a file read changed in the second the build
 * started: a later change within that second would keep its time.
 *
 * An output is trusted without being opened when its device, inode,
 * size, mode, mtime and ctime are as recorded, as git's index trusts a
 * file: every write, chmod, link or rename sets the inode's change time
 * to the kernel's clock, and no call lets a user set it back (utimes(2)
 * sets the access and modification times only, and itself moves the
 * ctime).  Otherwise it is read, and trusted only when its contents
 * still hash to HASH (FNV-1a of 64 bits: it is there to catch edits and
 * torn writes; who can forge a collision can as well rewrite the
 * state).  The clock ticks coarser than a nanosecond, so a change in
 * the tick the state was written in could keep the ctime recorded: an
 * output whose ctime is not older than the state's mtime is read too
 * (git's "racily clean" entries).  What the state cannot see: a change
 * made while the build that wrote the file ran, in the tick of its last
 * stat; someone setting the clock back (root only) and changing a file
 * in the tick it recorded; a file system that keeps no ctime.  A
 * directory holding a temporary file (TMP_PREFIX) is never fresh: a
 * build was killed there, and the next one must finish its cleanup.
 */

/* Set by the Makefile to a checksum of compiler/: no state without it. */
#ifndef VMC_SOURCE_ID
#define VMC_SOURCE_ID	""
#endif

#define STATE_MAGIC	"vmc-state 4"

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
	host_print(NULL, host, fp);
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

/* One look; 0 when it cannot be recorded. */
int
state_look(struct buf *b, const struct look *l)
{
	if (strchr(l->path, '\n') != NULL)
		return 0;
	buf_printf(b, "i %c %s %s\n", l->kind, l->fp, l->path);
	return 1;
}

/* One output, with the hash of its contents; 0 when it cannot be. */
int
state_file(struct buf *b, const char *name, const struct stat *st,
    uint64_t hash)
{
	if (strchr(name, '\n') != NULL)
		return 0;
	buf_printf(b, "o %ju %ju %jd %jd %jd.%09ld %016" PRIx64 " %o %s\n",
	    (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
	    (intmax_t)st->st_size, (intmax_t)st->st_mtime,
	    (intmax_t)ST_CTIM(st).tv_sec, (long)ST_CTIM(st).tv_nsec, hash,
	    (unsigned)st->st_mode, name);
	return 1;
}

void
state_end(struct buf *b, size_t n)
{
	buf_printf(b, "end %zu\n", n);
}

/* 1 when the output name in dfd has size bytes that hash to hash. */
static int
same_contents(int dfd, const char *name, intmax_t size, uint64_t hash)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	int		 same;

	same = size >= 0 && path_read(dfd, name, 1, size, &b, &st) == 0 &&
	    b.len == (size_t)size && hash_buf(b.p, b.len) == hash;
	buf_free(&b);
	return same;
}

/* 1 when a look finds what it found when the line was written. */
static int
same_look(char *line, struct pathcache *c)
{
	char	*fp, *path;

	if (line[2] == '\0' || line[3] != ' ')
		return 0;
	fp = line + 4;
	if ((path = strchr(fp, ' ')) == NULL || path[1] == '\0')
		return 0;
	*path++ = '\0';
	path[strcspn(path, "\n")] = '\0';
	return look_same(line[2], path, fp, c);
}

/* 1 when the line describes the file or look as it is now. */
static int
same_file(int dfd, char *line, const struct timespec *written,
    struct pathcache *c)
{
	struct stat	 st;
	uintmax_t	 dev, ino;
	intmax_t	 size, mtime, csec;
	long		 cnsec;
	uint64_t	 hash = 0;
	unsigned long	 mode;
	char		*p, *path;
	int		 racy;

	if (line[0] == 'i' && line[1] == ' ')
		return same_look(line, c);
	if (line[0] != 'o' || line[1] != ' ')
		return 0;
	p = line + 2;
	dev = strtoumax(p, &p, 10);
	ino = strtoumax(p, &p, 10);
	size = strtoimax(p, &p, 10);
	mtime = strtoimax(p, &p, 10);
	csec = strtoimax(p, &p, 10);
	if (*p++ != '.')
		return 0;
	cnsec = strtol(p, &p, 10);
	hash = strtoull(p, &p, 16);
	mode = strtoul(p, &p, 8);
	if (*p++ != ' ' || *p == '\0')
		return 0;
	path = p;
	path[strcspn(path, "\n")] = '\0';
	if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (dev != (uintmax_t)st.st_dev || ino != (uintmax_t)st.st_ino ||
	    size != (intmax_t)st.st_size || mode != (unsigned long)st.st_mode)
		return 0;
	racy = csec > (intmax_t)written->tv_sec || (csec ==
	    (intmax_t)written->tv_sec && cnsec >= written->tv_nsec);
	if (mtime == (intmax_t)st.st_mtime && !racy &&
	    csec == (intmax_t)ST_CTIM(&st).tv_sec &&
	    cnsec == ST_CTIM(&st).tv_nsec)
		return 1;
	return same_contents(dfd, path, size, hash);
}

/* 1 when dfd holds a temporary file: a killed build's, or one running. */
static int
has_tmp(int dfd)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, found = 0;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 1;
	}
	while (!found && (de = readdir(d)) != NULL)
		found = strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) ==
		    0;
	closedir(d);
	return found;
}

/*
 * 1 when the last clean build into dir had this key and every file it
 * read and wrote is as it left it: there is nothing to do.
 */
int
state_fresh(const char *dir, uint64_t key)
{
	struct pathcache cache;
	struct stat	 st;
	char	*line = NULL, head[64];
	size_t	 cap = 0, n = 0, count;
	FILE	*fp;
	int	 dfd, fd, fresh = 0;

	if (key == 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return 0;
	memset(&cache, 0, sizeof(cache));
	if ((fd = path_open(dfd, STATE_FILE, 1, &st)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		close(dfd);
		return 0;
	}
	snprintf(head, sizeof(head), STATE_MAGIC " %016" PRIx64 "\n", key);
	if (getline(&line, &cap, fp) > 0 && strcmp(line, head) == 0) {
		while (getline(&line, &cap, fp) > 0 &&
		    same_file(dfd, line, &ST_MTIM(&st), &cache))
			n++;
		fresh = sscanf(line, "end %zu", &count) == 1 && count == n &&
		    getc(fp) == EOF && !has_tmp(dfd);
	}
	free(line);
	pathcache_free(&cache);
	fclose(fp);
	close(dfd);
	return fresh;
}
