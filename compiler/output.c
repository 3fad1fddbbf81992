#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"
#include "output.h"

/*
 * Writes a build into the output directory, all or nothing: every
 * changed file goes to a temporary file as it is added, so that the
 * build need not hold them all in memory; only when all are written
 * are they renamed into place, and a failed rename puts the old files
 * back.  Unchanged files are not touched, so their mtime tells launchd
 * users what changed.  A lock on the directory keeps concurrent builds
 * apart.
 *
 * An output directory this build creates is built whole beside it, in
 * a staging directory of the same parent, under the files' own names,
 * and renamed over the empty directory in one step at the end.
 *
 * The build's state (state.c) is one more file, written as the build
 * goes and renamed into place last.
 *
 * The build's index (index.c) names every VM and the files made for
 * it.  The index of the last build tells which files belong to VMs
 * that are gone: those are removed with the rest of the commit, unless
 * someone changed them since.
 *
 * A name may hold one '/': a file in a directory of the output (a
 * VM's seed).  Such a directory is made when its first file is added,
 * and removed again by a failed build that made it.
 */

/*
 * The output being written, for the one way out that does not pass
 * through compile.c: a failed allocation exits at once (buf.c).  The
 * exit handler then undoes the build as output_abort does, so that it
 * leaves the directory as a failed build must.  The only mutable
 * global: exit(3) takes no argument.
 */
static struct output	*writing;

static void
abort_at_exit(void)
{
	if (writing != NULL)
		output_abort(writing);
}

void
out_fail(struct ctx *ctx, const char *dir, const char *name, const char *what)
{
	char	*path;

	path = name != NULL ? path_join(dir, name) : xstrdup(dir);
	diag(ctx, (struct loc){ intern(ctx, path), 0 }, M(OUTPUT), what,
	    strerror(errno));
	free(path);
}

/* Where new files go: the staging directory or the output directory. */
int
out_wdir(const struct output *o)
{
	return o->stage != NULL ? o->sfd : o->dfd;
}

/*
 * 1 when dir/name already holds exactly these bytes and this mode; st
 * is set to the file's status.
 */
static int
unchanged(int dfd, const char *name, const struct buf *data, int mode,
    struct stat *st)
{
	struct buf	 b = { NULL, 0, 0 };
	int		 same;

	same = path_read(dfd, name, 1, data->len, &b, st) == 0 &&
	    (st->st_mode & 07777) == (mode_t)mode && b.len == data->len &&
	    memcmp(b.p, data->p, b.len) == 0;
	buf_free(&b);
	return same;
}

int
out_write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/*
 * Gives the open file name its final mode, when the umask or a default
 * ACL of the directory changed the one asked for; sets *st to its
 * status then.  0, or -1 after a diagnostic.
 */
int
out_final_mode(struct output *o, int fd, const char *name, int mode,
    struct stat *st)
{
	if (fstat(fd, st) == 0 && ((st->st_mode & 07777) == (mode_t)mode ||
	    (fchmod(fd, mode) == 0 && fstat(fd, st) == 0)))
		return 0;
	out_fail(o->ctx, o->dir, name, "set the mode");
	return -1;
}

/*
 * Creates the file that becomes name; the caller gives it its final
 * mode (out_final_mode) before it is synced.  Under its own name when
 * staging, else a temporary file named by a counter, as the lock is
 * held and stale temporary files are gone (O_EXCL makes sure).  Sets
 * *tmp to its name in out_wdir().  A staged name that is taken sets
 * clash, without a diagnostic: only names the checks across profiles
 * reject can.
 */
int
out_create(struct output *o, const char *name, int mode, char **tmp)
{
	int		 fd;

	for (;;) {
		*tmp = o->stage != NULL ? xstrdup(name) :
		    xasprintf(TMP_PREFIX "%zu", o->seq++);
		fd = openat(out_wdir(o), *tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd != -1 || errno != EEXIST || o->stage != NULL)
			break;
		free(*tmp);
	}
	if (fd == -1 && errno == EEXIST)
		o->clash = 1;
	else if (fd == -1)
		out_fail(o->ctx, o->dir, name, "create a temporary file");
	if (fd == -1) {
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

/*
 * Makes a file's contents durable (with the sync of its directory
 * that follows, path.c) before the rename that publishes it, so that
 * a power cut cannot leave a name pointing at an empty or zero-filled
 * file.
 */
int
out_sync_file(struct output *o, int fd, const char *name)
{
	if (path_sync(fd, SYNC_FILE) == 0)
		return 0;
	out_fail(o->ctx, o->dir, name, "write");
	return -1;
}

/*
 * The same for a directory's entries: the renames made in it, and
 * first in the directories below it that hold files of the build (a
 * seed's).
 */
int
out_sync_dir(struct output *o, int fd, const char *dir)
{
	const char	*name, *slash, *last = NULL;
	char		*sub;
	size_t		 i;
	int		 sfd, rc = 0;

	for (i = 0; rc == 0 && i < o->nnames; i++) {
		name = o->names[i];
		if ((slash = strchr(name, '/')) == NULL || (last != NULL &&
		    strncmp(last, name, slash - name + 1) == 0))
			continue;
		last = name;
		sub = xasprintf("%.*s", (int)(slash - name), name);
		if ((sfd = openat(fd, sub, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1 ? errno != ENOENT :
		    path_sync(sfd, SYNC_SUBDIR) == -1) {
			out_fail(o->ctx, dir, sub, "sync the directory");
			rc = -1;
		}
		if (sfd != -1)
			close(sfd);
		free(sub);
	}
	if (rc == 0 && path_sync(fd, SYNC_DIR) == 0)
		return 0;
	if (rc == 0)
		out_fail(o->ctx, dir, NULL, "sync the directory");
	return -1;
}

/* Appends the state so far to its file, which is made on first use. */
int
out_state_flush(struct output *o)
{
	struct stat	 st;

	if (o->statefd == -1 &&
	    (o->statefd = out_create(o, STATE_FILE, 0644, &o->statetmp)) != -1 &&
	    out_final_mode(o, o->statefd, STATE_FILE, 0644, &st) == -1) {
		close(o->statefd);
		o->statefd = -1;
		unlinkat(out_wdir(o), o->statetmp, 0);
		free(o->statetmp);
		o->statetmp = NULL;
	}
	if (o->statefd == -1) {
		o->nostate = 1;
		return -1;
	}
	if (out_write_all(o->statefd, o->state.p, o->state.len) == -1) {
		out_fail(o->ctx, o->dir, STATE_FILE, "write");
		o->nostate = 1;
		return -1;
	}
	o->state.len = 0;
	return 0;
}

/*
 * Records a look the build took, or a file it wrote with the hash of
 * its contents, in the state.  Times are in seconds: a file read that
 * changed in the second the build started could change again without
 * its times showing it, so then no state is kept.
 */
static void
counted(struct output *o, int recorded)
{
	if (!recorded) {
		o->nostate = 1;
		return;
	}
	o->nstate++;
	if (o->state.len >= 64 * 1024)
		out_state_flush(o);
}

void
output_note(struct output *o, const struct look *l)
{
	if (o->key == 0 || o->nostate)
		return;
	counted(o, l->t < o->start && state_look(&o->state, l));
}

void
out_note(struct output *o, const char *name, const struct stat *st,
    uint64_t hash)
{
	if (o->key == 0 || o->nostate)
		return;
	if (ST_CTIM(st).tv_sec > o->newest.tv_sec ||
	    (ST_CTIM(st).tv_sec == o->newest.tv_sec &&
	    ST_CTIM(st).tv_nsec > o->newest.tv_nsec))
		o->newest = ST_CTIM(st);
	counted(o, state_file(&o->state, name, st, hash));
}

void
out_add_pending(struct output *o, const char *name, char *tmp)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->p = xreallocarray(o->p, o->cap, sizeof(*o->p));
	}
	memset(&o->p[o->n], 0, sizeof(*o->p));
	o->p[o->n].name = xstrdup(name);
	o->p[o->n++].tmp = tmp;
}

/*
 * Removes the files in directory dfd whose names start with prefix
 * (all of them when prefix is empty).  Returns 1 when nothing else is
 * there.
 */
static int
remove_files(int dfd, const char *prefix)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, sub, empty = 1;

	if ((fd = dup(dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		else if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			if (unlinkat(dfd, de->d_name, 0) == 0 || *prefix != '\0')
				continue;
			/* A staged directory: one level deep. */
			if ((sub = openat(dfd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW)) != -1) {
				remove_files(sub, "");
				close(sub);
			}
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
		} else
			empty = 0;
	closedir(d);
	return empty;
}

/*
 * The staging directory of an output directory: beside it, so that
 * renaming one over the other stays within one file system.
 */
static char *
stage_path(const char *dir)
{
	char	*copy, *parent, *path;
	size_t	 n;

	copy = xstrdup(dir);
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	parent = path_dir(copy);
	path = xasprintf("%s/" TMP_PREFIX "%s", parent,
	    strrchr(copy, '/') != NULL ? strrchr(copy, '/') + 1 : copy);
	free(parent);
	free(copy);
	return path;
}

/* Removes a staging directory with what is in it. */
void
out_remove_stage(const char *path, int fd)
{
	int	 sfd = fd;

	if (sfd == -1 &&
	    (sfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) == -1)
		return;
	remove_files(sfd, "");
	if (sfd != fd)
		close(sfd);
	rmdir(path);
}

void
output_free(struct output *o)
{
	size_t	 i;

	writing = NULL;
	for (i = 0; i < o->n; i++) {
		free(o->p[i].name);
		free(o->p[i].tmp);
		free(o->p[i].old);
	}
	free(o->p);
	for (i = 0; i < o->ndirs; i++)
		free(o->dirs[i]);
	free(o->dirs);
	free(o->dir);
	free(o->stage);
	free(o->statetmp);
	buf_free(&o->state);
	if (o->indexfd >= 0)
		close(o->indexfd);
	free(o->indextmp);
	buf_free(&o->index);
	for (i = 0; i < o->nnames; i++)
		free(o->names[i]);
	free(o->names);
	record_free(&o->old);
	if (o->sfd != -1)
		close(o->sfd);
	close(o->dfd);
	free(o);
}

/*
 * Creates and locks the output directory and removes stale files.  A
 * concurrent build may have renamed its staging directory over the
 * directory while this one waited for the lock: then the lock is taken
 * again, on the directory that is there now.  A key other than 0 keeps
 * the build's state.
 */
struct output *
output_open(struct ctx *ctx, const char *dir, uint64_t key, time_t start)
{
	static int	 handler;
	struct output	*o;
	struct stat	 locked, now;
	char		*stage, *path;
	int		 dfd, created;

	if (!handler && atexit(abort_at_exit) == 0)
		handler = 1;
	for (;;) {
		created = 1;
		if (mkdir(dir, 0755) == -1) {
			if (errno != EEXIST) {
				out_fail(ctx, dir, NULL,
				    "create the output directory");
				return NULL;
			}
			created = 0;
		}
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
			out_fail(ctx, dir, NULL, "open the output directory");
			return NULL;
		}
		if (flock(dfd, LOCK_EX) == -1) {
			out_fail(ctx, dir, NULL, "lock the output directory");
			close(dfd);
			return NULL;
		}
		if (fstat(dfd, &locked) == 0 && stat(dir, &now) == 0 &&
		    locked.st_dev == now.st_dev && locked.st_ino == now.st_ino)
			break;
		close(dfd);
	}
	o = xcalloc(1, sizeof(*o));
	o->ctx = ctx;
	o->dir = xstrdup(dir);
	o->dfd = dfd;
	o->sfd = -1;
	o->statefd = -1;
	o->indexfd = -1;
	o->indexhash = HASH_INIT;
	writing = o;
	o->created = created;
	o->key = key;
	o->start = start;
	if (key != 0)
		state_begin(&o->state, key);
	/* An index that is missing or not vmc's removes nothing. */
	path = path_join(dir, INDEX_FILE);
	if (record_read(NULL, path, REC_INDEX, &o->old) == -2)
		diag(ctx, (struct loc){ intern(ctx, path), 0 },
		    M(INDEX_FOREIGN));
	free(path);
	/* Should this build be killed, its temporary files keep the old
	 * state from being taken as fresh (state.c) until a build has
	 * removed them. */
	o->empty = remove_files(dfd, TMP_PREFIX);
	/* A killed build's staging directory; the lock makes it stale. */
	stage = stage_path(dir);
	out_remove_stage(stage, -1);
	/* Created, and still empty now that it is locked. */
	if (created && o->empty && mkdir(stage, 0755) == 0 &&
	    (o->sfd = open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) != -1)
		o->stage = stage;
	else {
		/* Not staged: temporary files in the directory do. */
		rmdir(stage);
		free(stage);
	}
	return o;
}

/*
 * Makes the directory of a name "dir/file" where the file goes: in the
 * staging directory, or in the output directory itself.  A directory
 * there must be one, not a link to one elsewhere.
 */
static int
make_dir(struct output *o, const char *name)
{
	struct stat	 st;
	const char	*slash;
	char		*dir;
	int		 rc = 0;

	if ((slash = strchr(name, '/')) == NULL)
		return 0;
	dir = xasprintf("%.*s", (int)(slash - name), name);
	if (mkdirat(out_wdir(o), dir, 0755) == 0) {
		if (o->stage == NULL) {
			o->dirs = xreallocarray(o->dirs, o->ndirs + 1,
			    sizeof(*o->dirs));
			o->dirs[o->ndirs++] = xstrdup(dir);
		}
	} else if (errno != EEXIST ||
	    fstatat(out_wdir(o), dir, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode)) {
		if (errno == EEXIST)
			errno = ENOTDIR;	/* a file or link of that name */
		out_fail(o->ctx, o->dir, dir, "create a directory");
		rc = -1;
	}
	free(dir);
	return rc;
}

/*
 * Writes name to a temporary file unless it holds data already, whose
 * checksum is hash.  The file is on the list of pending files from the
 * moment it exists, so that whatever ends the build removes it.
 */
int
out_add_file(struct output *o, const char *name, const struct buf *data,
    int mode, uint64_t hash)
{
	struct stat	 st;
	char		*tmp, **slot = &tmp;
	int		 fd;

	if (make_dir(o, name) == -1)
		return -1;
	/* A staged build is into an empty directory. */
	if (!o->empty && unchanged(o->dfd, name, data, mode, &st)) {
		out_note(o, name, &st, hash);
		return 0;
	}
	if (o->stage == NULL) {
		out_add_pending(o, name, NULL);
		slot = &o->p[o->n - 1].tmp;
	}
	if ((fd = out_create(o, name, mode, slot)) == -1) {
		if (o->stage == NULL)
			free(o->p[--o->n].name);
		return o->clash ? 0 : -1;
	}
	if (o->stage != NULL)
		free(tmp);	/* the staging directory goes whole */
	/* Its status for the state: a staged file's now, another's once it
	 * is in place (commit.c).  One fstat after the write both checks
	 * the mode and gives the times. */
	if (out_write_all(fd, data->p, data->len) == -1) {
		out_fail(o->ctx, o->dir, name, "write");
		close(fd);
		return -1;
	}
	if (out_final_mode(o, fd, name, mode, &st) == -1) {
		close(fd);
		return -1;
	}
	if (out_sync_file(o, fd, name) == -1) {
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		out_fail(o->ctx, o->dir, name, "write");
		return -1;
	}
	/* A rename changes the file's ctime (Linux's does): the state has
	 * it once the file is in place (commit.c).  A staged file is not
	 * renamed, its directory is. */
	if (o->stage == NULL)
		o->p[o->n - 1].hash = hash;
	else
		out_note(o, name, &st, hash);
	return 0;
}

/*
 * Appends the index so far to its temporary file, made on first use,
 * so that its memory does not grow with the fleet; commit.c ends it.
 * Its checksum and length grow with it.
 */
int
out_index_flush(struct output *o)
{
	if (o->indexfd == -1 && (o->indexfd = out_create(o, INDEX_FILE, 0644,
	    &o->indextmp)) == -1)
		o->indexfd = -2;
	if (o->indexfd == -2)
		return -1;
	if (out_write_all(o->indexfd, o->index.p, o->index.len) == -1) {
		out_fail(o->ctx, o->dir, INDEX_FILE, "write");
		return -1;
	}
	o->indexhash = hash_add(o->indexhash, o->index.p, o->index.len);
	o->indexlen += o->index.len;
	o->index.len = 0;
	return 0;
}

/* Which profiles the build is of (compile.c), for the index. */
void
output_profiles(struct output *o, uint64_t id)
{
	o->profiles = id;
}

/* Starts a VM in the index: the files added next are its own. */
void
output_vm(struct output *o, const struct vm *vm)
{
	char	*dir;

	if (o->nvm++ == 0) {
		dir = path_dir(vm->script);
		buf_printf(&o->index, "vmc-index 1\nrundir %s\nprofiles %016"
		    PRIx64 "\n", dir, o->profiles);
		free(dir);
	}
	index_vm(&o->index, vm);
}

/* Starts a network's daemon in the index, after every VM. */
void
output_net(struct output *o, const struct netd *d)
{
	o->nvm++;
	index_net(&o->index, d);
	if (o->index.len >= INDEX_CHUNK)
		out_index_flush(o);
}

/* A file of the VM or network last started. */
int
output_add(struct output *o, const char *name, const struct buf *data,
    int mode)
{
	uint64_t	 hash = hash_buf(data->p, data->len);

	index_file(&o->index, name, mode, hash);
	if (o->index.len >= INDEX_CHUNK && out_index_flush(o) == -1)
		return -1;
	if (o->nnames == o->capnames) {
		o->capnames = o->capnames ? o->capnames * 2 : 64;
		o->names = xreallocarray(o->names, o->capnames,
		    sizeof(*o->names));
	}
	o->names[o->nnames++] = xstrdup(name);
	return out_add_file(o, name, data, mode, hash);
}

void
out_roll_back(int dfd, struct pending *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i].done && p[i].old != NULL)
			renameat(dfd, p[i].old, dfd, p[i].name);
		else if (p[i].done)
			unlinkat(dfd, p[i].name, 0);
		if (p[i].old != NULL)
			unlinkat(dfd, p[i].old, 0);
		if (!p[i].done && !p[i].remove && p[i].tmp != NULL)
			unlinkat(dfd, p[i].tmp, 0);
	}
}

/* Removes the state's temporary file. */
void
out_drop_state(struct output *o)
{
	if (o->statefd != -1)
		close(o->statefd);
	o->statefd = -1;
	if (o->statetmp != NULL)
		unlinkat(out_wdir(o), o->statetmp, 0);
}

/*
 * Removes every temporary file, and the directory if this build made
 * it, so that a failed build leaves no trace.
 */
void
output_abort(struct output *o)
{
	size_t	 i;

	out_drop_state(o);
	if (o->indextmp != NULL && o->stage == NULL)
		unlinkat(o->dfd, o->indextmp, 0);
	out_roll_back(o->dfd, o->p, o->n);
	for (i = 0; i < o->ndirs; i++)
		unlinkat(o->dfd, o->dirs[i], AT_REMOVEDIR);
	if (o->stage != NULL)
		out_remove_stage(o->stage, o->sfd);
	if (o->created)
		rmdir(o->dir);
	output_free(o);
}
