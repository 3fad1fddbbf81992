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


struct pending {
	char	*name;		/* in the output directory */
	char	*tmp;		/* new contents */
	char	*old;		/* hard link to the replaced file, or NULL */
	int	 done;		/* renamed into place, or removed */
	int	 remove;	/* a file of a VM that is gone */
};

struct output {
	struct ctx	*ctx;
	char		*dir;
	int		 dfd;
	int		 empty;		/* held nothing when opened */
	int		 created;	/* by this build */
	char		*stage;		/* the staging directory, or NULL */
	int		 sfd;
	int		 clash;		/* two files of one name were staged */
	size_t		 seq;		/* names temporary files */
	struct pending	*p;		/* the changed files */
	size_t		 n, cap;
	char		**dirs;		/* made in the output directory */
	size_t		 ndirs;
	/* The build's state (state.c), written as it grows. */
	uint64_t	 key;		/* 0: none kept */
	time_t		 start;		/* of the build */
	struct buf	 state;
	size_t		 nstate;	/* files in it */
	int		 statefd;
	char		*statetmp;	/* its name in wdir() */
	int		 nostate;	/* it cannot be kept */
	/* The index (index.c): this build's, and the last one's. */
	struct buf	 index;
	size_t		 nvm;
	char		**names;	/* every file of this build */
	size_t		 nnames, capnames;
	struct record	 old;
};

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

static void
fail(struct ctx *ctx, const char *dir, const char *name, const char *what)
{
	char	*path;

	path = name != NULL ? path_join(dir, name) : xstrdup(dir);
	diag_sys(ctx, (struct loc){ intern(ctx, path), 0 }, "cannot %s: %s",
	    what, strerror(errno));
	free(path);
}

/* Where new files go: the staging directory or the output directory. */
static int
wdir(const struct output *o)
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

static int
write_all(int fd, const char *p, size_t n)
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
 * Creates the file that becomes name, with its final mode: fchmod when
 * the file did not get it, which a umask or a default ACL on the
 * directory decide.  Under its own name when staging, else a temporary
 * file named by a counter, as the lock is held and stale temporary
 * files are gone (O_EXCL makes sure).  Sets *tmp to its name in wdir().
 * A staged name that is taken sets clash, without a diagnostic: only
 * names the checks across profiles reject can.
 */
static int
create(struct output *o, const char *name, int mode, char **tmp)
{
	struct stat	 st;
	int		 fd;

	for (;;) {
		*tmp = o->stage != NULL ? xstrdup(name) :
		    xasprintf(TMP_PREFIX "%zu", o->seq++);
		fd = openat(wdir(o), *tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd != -1 || errno != EEXIST || o->stage != NULL)
			break;
		free(*tmp);
	}
	if (fd == -1 && errno == EEXIST)
		o->clash = 1;
	else if (fd == -1)
		fail(o->ctx, o->dir, name, "create a temporary file");
	else if (fstat(fd, &st) == -1 || ((st.st_mode & 07777) !=
	    (mode_t)mode && fchmod(fd, mode) == -1)) {
		fail(o->ctx, o->dir, name, "set the mode");
		close(fd);
		unlinkat(wdir(o), *tmp, 0);
		fd = -1;
	}
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
static int
sync_file(struct output *o, int fd, const char *name)
{
	if (path_sync(fd, SYNC_FILE) == 0)
		return 0;
	fail(o->ctx, o->dir, name, "write");
	return -1;
}

/*
 * The same for a directory's entries: the renames made in it, and
 * first in the directories below it that hold files of the build (a
 * seed's).
 */
static int
sync_dir(struct output *o, int fd, const char *dir)
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
			fail(o->ctx, dir, sub, "sync the directory");
			rc = -1;
		}
		if (sfd != -1)
			close(sfd);
		free(sub);
	}
	if (rc == 0 && path_sync(fd, SYNC_DIR) == 0)
		return 0;
	if (rc == 0)
		fail(o->ctx, dir, NULL, "sync the directory");
	return -1;
}

/* Appends the state so far to its file, which is made on first use. */
static int
state_flush(struct output *o)
{
	if (o->statefd == -1 &&
	    (o->statefd = create(o, STATE_FILE, 0644, &o->statetmp)) == -1) {
		o->nostate = 1;
		return -1;
	}
	if (write_all(o->statefd, o->state.p, o->state.len) == -1) {
		fail(o->ctx, o->dir, STATE_FILE, "write");
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
		state_flush(o);
}

void
output_note(struct output *o, const struct look *l)
{
	if (o->key == 0 || o->nostate)
		return;
	counted(o, l->t < o->start && state_look(&o->state, l));
}

static void
note(struct output *o, const char *name, const struct stat *st,
    uint64_t hash)
{
	if (o->key == 0 || o->nostate)
		return;
	counted(o, state_file(&o->state, name, st, hash));
}

static void
add_pending(struct output *o, const char *name, char *tmp)
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
static void
remove_stage(const char *path, int fd)
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

/*
 * Copies dfd/name to dfd/copy with its mode, for a backup where a hard
 * link is refused.
 */
static int
copy_file(int dfd, const char *name, const char *copy)
{
	struct stat	 st;
	char		 chunk[16384];
	ssize_t		 n = 0;
	int		 in, out, error;

	if ((in = path_open(dfd, name, 1, &st)) == -1) {
		if (errno == 0)
			errno = EPERM;
		return -1;
	}
	if ((out = openat(dfd, copy, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, chunk, sizeof(chunk))) > 0 &&
	    write_all(out, chunk, n) == 0)
		continue;
	error = errno;
	if (n != 0 || fchmod(out, st.st_mode & 07777) == -1 ||
	    close(out) == -1) {
		if (n != 0)
			errno = error;
		error = errno;
		close(out);
		unlinkat(dfd, copy, 0);
		close(in);
		errno = error;
		return -1;
	}
	close(in);
	return 0;
}

/*
 * Keeps the file about to be replaced next to its temporary file, so
 * that a failed build can rename it back: a hard link, or where links
 * are refused a copy.  Linux's protected_hardlinks refuses a link to
 * another user's file (after a build as root), FAT and some network
 * file systems have none.
 */
static int
backup(struct ctx *ctx, int dfd, const char *dir, const char *name,
    struct pending *p)
{
	p->old = xasprintf("%s.old", p->tmp);
	if (linkat(dfd, name, dfd, p->old, 0) == 0)
		return 0;
	if ((errno == EPERM || errno == EMLINK || errno == ENOTSUP ||
	    errno == EOPNOTSUPP) && copy_file(dfd, name, p->old) == 0)
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
			renameat(dfd, p[i].old, dfd, p[i].name);
		else if (p[i].done)
			unlinkat(dfd, p[i].name, 0);
		if (p[i].old != NULL)
			unlinkat(dfd, p[i].old, 0);
		if (!p[i].done && !p[i].remove && p[i].tmp != NULL)
			unlinkat(dfd, p[i].tmp, 0);
	}
}

static void
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
				fail(ctx, dir, NULL,
				    "create the output directory");
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
	writing = o;
	o->created = created;
	o->key = key;
	o->start = start;
	if (key != 0)
		state_begin(&o->state, key);
	/* An index that is missing or not vmc's removes nothing. */
	path = path_join(dir, INDEX_FILE);
	if (record_read(NULL, path, REC_INDEX, &o->old) == -2)
		diag_warn(ctx, (struct loc){ intern(ctx, path), 0 }, NULL,
		    "not an index this vmc wrote: the files of VMs that are "
		    "gone are not removed");
	free(path);
	/* Should this build be killed, its temporary files keep the old
	 * state from being taken as fresh (state.c) until a build has
	 * removed them. */
	o->empty = remove_files(dfd, TMP_PREFIX);
	/* A killed build's staging directory; the lock makes it stale. */
	stage = stage_path(dir);
	remove_stage(stage, -1);
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
	if (mkdirat(wdir(o), dir, 0755) == 0) {
		if (o->stage == NULL) {
			o->dirs = xreallocarray(o->dirs, o->ndirs + 1,
			    sizeof(*o->dirs));
			o->dirs[o->ndirs++] = xstrdup(dir);
		}
	} else if (errno != EEXIST ||
	    fstatat(wdir(o), dir, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode)) {
		if (errno == EEXIST)
			errno = ENOTDIR;	/* a file or link of that name */
		fail(o->ctx, o->dir, dir, "create a directory");
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
static int
add_file(struct output *o, const char *name, const struct buf *data,
    int mode, uint64_t hash)
{
	struct stat	 st;
	char		*tmp, **slot = &tmp;
	int		 fd;

	if (make_dir(o, name) == -1)
		return -1;
	/* A staged build is into an empty directory. */
	if (!o->empty && unchanged(o->dfd, name, data, mode, &st)) {
		note(o, name, &st, hash);
		return 0;
	}
	if (o->stage == NULL) {
		add_pending(o, name, NULL);
		slot = &o->p[o->n - 1].tmp;
	}
	if ((fd = create(o, name, mode, slot)) == -1) {
		if (o->stage == NULL)
			free(o->p[--o->n].name);
		return o->clash ? 0 : -1;
	}
	if (o->stage != NULL)
		free(tmp);	/* the staging directory goes whole */
	if (write_all(fd, data->p, data->len) == -1 || fstat(fd, &st) == -1) {
		fail(o->ctx, o->dir, name, "write");
		close(fd);
		return -1;
	}
	if (sync_file(o, fd, name) == -1) {
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		fail(o->ctx, o->dir, name, "write");
		return -1;
	}
	note(o, name, &st, hash);
	return 0;
}

/* Starts a VM in the index: the files added next are its own. */
void
output_vm(struct output *o, const struct vm *vm)
{
	char	*dir;

	if (o->nvm++ == 0) {
		dir = path_dir(vm->script);
		buf_printf(&o->index, "vmc-index 1\nrundir %s\n", dir);
		free(dir);
	}
	index_vm(&o->index, vm);
}

/* A file of the VM last started. */
int
output_add(struct output *o, const char *name, const struct buf *data,
    int mode)
{
	uint64_t	 hash = hash_buf(data->p, data->len);

	index_file(&o->index, name, mode, hash);
	if (o->nnames == o->capnames) {
		o->capnames = o->capnames ? o->capnames * 2 : 64;
		o->names = xreallocarray(o->names, o->capnames,
		    sizeof(*o->names));
	}
	o->names[o->nnames++] = xstrdup(name);
	return add_file(o, name, data, mode, hash);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Writes the index, and plans the removal of the files the last build
 * made for VMs that are gone: only those still as it wrote them.
 */
static int
add_index(struct output *o)
{
	const struct recfile	*f;
	struct stat		 st;
	struct buf		 b = { NULL, 0, 0 };
	char			*tmp, *vis;
	const char		*name;
	size_t			 i, j;
	int			 rc, got;

	buf_printf(&o->index, "end %zu\n", o->nvm);
	rc = add_file(o, INDEX_FILE, &o->index, 0644,
	    hash_buf(o->index.p, o->index.len));
	qsort(o->names, o->nnames, sizeof(*o->names), cmp_name);
	for (i = 0; rc == 0 && i < o->old.n; i++)
		for (j = 0; j < o->old.vm[i].nf; j++) {
			f = &o->old.vm[i].f[j];
			name = f->path;
			if (bsearch(&name, o->names, o->nnames,
			    sizeof(*o->names), cmp_name) != NULL)
				continue;
			if ((got = path_read(o->dfd, name, 1, MAX_FILE, &b,
			    &st)) == -1 && errno == ENOENT)
				continue;
			if (got == 0 && hash_buf(b.p, b.len) == f->hash) {
				tmp = xasprintf(TMP_PREFIX "%zu", o->seq++);
				add_pending(o, name, tmp);
				o->p[o->n - 1].remove = 1;
				continue;
			}
			vis = path_join(o->dir, name);
			diag_warn(o->ctx, (struct loc){ intern(o->ctx, vis),
			    0 }, NULL, "left alone: made for VM %s, which is "
			    "gone, but changed since", o->old.vm[i].name);
			free(vis);
		}
	buf_free(&b);
	return rc;
}

/* Removes the state's temporary file. */
static void
drop_state(struct output *o)
{
	if (o->statefd != -1)
		close(o->statefd);
	o->statefd = -1;
	if (o->statetmp != NULL)
		unlinkat(wdir(o), o->statetmp, 0);
}

/*
 * Removes every temporary file, and the directory if this build made
 * it, so that a failed build leaves no trace.
 */
void
output_abort(struct output *o)
{
	size_t	 i;

	drop_state(o);
	roll_back(o->dfd, o->p, o->n);
	for (i = 0; i < o->ndirs; i++)
		unlinkat(o->dfd, o->dirs[i], AT_REMOVEDIR);
	if (o->stage != NULL)
		remove_stage(o->stage, o->sfd);
	if (o->created)
		rmdir(o->dir);
	output_free(o);
}

/* Makes the rename of a staged directory durable in its parent. */
static void
sync_parent(struct output *o)
{
	char	*parent;
	int	 fd;

	parent = path_dir(o->dir);
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    path_sync(fd, SYNC_DIR) == -1)
		fail(o->ctx, parent, NULL, "sync the directory");
	if (fd != -1)
		close(fd);
	free(parent);
}

/*
 * Renames every temporary file into place, or, when one fails, puts
 * back what was there; the state goes last, when it is kept.  Closes
 * the directory either way.
 */
int
output_commit(struct output *o, int keepstate)
{
	struct pending	*p;
	size_t		 i;
	int		 rc, kept;
	char		*path, *slash;

	if (o->nvm > 0 && add_index(o) == -1) {
		output_abort(o);
		return -1;
	}
	kept = keepstate && o->key != 0 && !o->nostate;
	if (kept) {
		state_end(&o->state, o->nstate);
		if (state_flush(o) == -1) {
			output_abort(o);
			return -1;
		}
		rc = path_sync(o->statefd, SYNC_FILE);
		if (close(o->statefd) == -1)
			rc = -1;
		o->statefd = -1;
		if (rc == -1) {
			fail(o->ctx, o->dir, STATE_FILE, "write");
			output_abort(o);
			return -1;
		}
		if (o->stage == NULL)
			add_pending(o, STATE_FILE, o->statetmp);
		else
			free(o->statetmp);
		o->statetmp = NULL;
	} else
		drop_state(o);
	if (o->stage != NULL) {
		if (o->clash) {
			errno = EEXIST;
			fail(o->ctx, o->stage, NULL, "stage the build");
		} else if (sync_dir(o, o->sfd, o->stage) == -1)
			;	/* said */
		else if (rename(o->stage, o->dir) == -1)
			fail(o->ctx, o->dir, NULL, "rename into place");
		else {
			/* Done: a failed sync of the parent is said, but
			 * the directory is whole and stays. */
			sync_parent(o);
			output_free(o);
			return 0;
		}
		output_abort(o);
		return -1;
	}
	/* Every file is on disk before the first rename makes one seen. */
	if (o->n > 0 && sync_dir(o, o->dfd, o->dir) == -1) {
		output_abort(o);
		return -1;
	}
	for (i = 0; i < o->n; i++) {
		p = &o->p[i];
		if (!o->empty && backup(o->ctx, o->dfd, o->dir, p->name, p) ==
		    -1)
			break;
		if (p->remove) {
			if (unlinkat(o->dfd, p->name, 0) == -1 &&
			    errno != ENOENT) {
				fail(o->ctx, o->dir, p->name, "remove");
				break;
			}
			p->done = 1;
			continue;
		}
		if (renameat(o->dfd, p->tmp, o->dfd, p->name) == -1) {
			fail(o->ctx, o->dir, p->name, "rename into place");
			break;
		}
		p->done = 1;
	}
	/* A build that keeps no state removes the last one, which no
	 * longer describes the directory; then the renames are made
	 * durable.  Until the backups go, a kill leaves temporary files,
	 * so the state is not yet trusted (state.c). */
	if (i == o->n && !kept)
		unlinkat(o->dfd, STATE_FILE, 0);
	if (i < o->n || sync_dir(o, o->dfd, o->dir) == -1) {
		output_abort(o);
		return -1;
	}
	for (i = 0; i < o->n; i++) {
		if (o->p[i].old != NULL)
			unlinkat(o->dfd, o->p[i].old, 0);
		if (o->p[i].remove) {
			path = path_join(o->dir, o->p[i].name);
			diag_note(o->ctx, (struct loc){ intern(o->ctx, path),
			    0 }, "removed: its VM is gone");
			free(path);
			/* A seed's directory goes with its last file. */
			if ((slash = strchr(o->p[i].name, '/')) != NULL) {
				path = xasprintf("%.*s",
				    (int)(slash - o->p[i].name), o->p[i].name);
				unlinkat(o->dfd, path, AT_REMOVEDIR);
				free(path);
			}
		}
	}
	output_free(o);
	return 0;
}
