#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmc.h"
#include "output.h"

/*
 * The commit of a build: the index of what it made, then every changed
 * file renamed into place, the replaced ones kept as hard links (or
 * copies) until all are in, so that a failure puts the old ones back
 * (output_abort); the files of VMs that are gone removed; the
 * directory synced before and after.
 */

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
	    out_write_all(out, chunk, n) == 0)
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
	out_fail(ctx, dir, name, "keep the old version");
	return -1;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Ends the index in its temporary file and makes it pending, as
 * out_add_file does a file: left out when the output directory holds
 * the same bytes already.
 */
static int
end_index(struct output *o)
{
	struct stat	 st;
	uint64_t	 hash;

	buf_printf(&o->index, "end %zu\n", o->nvm);
	if (out_index_flush(o) == -1 ||
	    out_final_mode(o, o->indexfd, INDEX_FILE, 0644, &st) == -1)
		return -1;
	hash = o->indexhash == 0 ? 1 : o->indexhash;
	if (o->stage == NULL && !o->empty && path_same(o->dfd, INDEX_FILE,
	    o->indextmp, o->indexlen, &st) && (st.st_mode & 07777) == 0644) {
		unlinkat(o->dfd, o->indextmp, 0);
		out_note(o, INDEX_FILE, &st, hash);
		return 0;
	}
	if (out_sync_file(o, o->indexfd, INDEX_FILE) == -1)
		return -1;
	if (close(o->indexfd) == -1) {
		o->indexfd = -2;
		out_fail(o->ctx, o->dir, INDEX_FILE, "write");
		return -1;
	}
	o->indexfd = -2;
	if (o->stage != NULL) {
		out_note(o, INDEX_FILE, &st, hash);
		return 0;
	}
	out_add_pending(o, INDEX_FILE, o->indextmp);
	o->indextmp = NULL;
	o->p[o->n - 1].hash = hash;
	return 0;
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

	rc = end_index(o);
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
				out_add_pending(o, name, tmp);
				o->p[o->n - 1].remove = 1;
				continue;
			}
			vis = path_join(o->dir, name);
			diag(o->ctx, (struct loc){ intern(o->ctx, vis), 0 },
			    M(GONE_CHANGED), o->old.vm[i].name);
			free(vis);
		}
	buf_free(&b);
	return rc;
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
		out_fail(o->ctx, parent, NULL, "sync the directory");
	if (fd != -1)
		close(fd);
	free(parent);
}

/*
 * Whether the state's mtime is later than every output's ctime it
 * holds: if not, the next build reads those outputs (state.c).
 */
static int
later(const struct output *o, const struct stat *st)
{
	return ST_MTIM(st).tv_sec > o->newest.tv_sec ||
	    (ST_MTIM(st).tv_sec == o->newest.tv_sec &&
	    ST_MTIM(st).tv_nsec > o->newest.tv_nsec);
}

/*
 * Ends the state and makes it durable in its temporary file.  Its mtime
 * is moved past the clock tick of the last output it holds, waiting a
 * few milliseconds at most (a file system whose times are coarser
 * leaves the last outputs to be read).
 */
static int
close_state(struct output *o)
{
	struct timespec	 ms = { 0, 1000000 };
	struct stat	 st;
	int		 rc, i;

	state_end(&o->state, o->nstate);
	if (out_state_flush(o) == -1)
		return -1;
	for (i = 0; i < 20 && fstat(o->statefd, &st) == 0 && !later(o, &st);
	    i++) {
		nanosleep(&ms, NULL);
		futimens(o->statefd, NULL);
	}
	rc = path_sync(o->statefd, SYNC_FILE);
	if (close(o->statefd) == -1)
		rc = -1;
	o->statefd = -1;
	if (rc == -1)
		out_fail(o->ctx, o->dir, STATE_FILE, "write");
	return rc;
}

/*
 * Puts the pending files from the one at from on in place, each old
 * version kept as a backup; returns the number put.
 */
static size_t
put(struct output *o, size_t from)
{
	struct pending	*p;
	size_t		 i;

	for (i = from; i < o->n; i++) {
		p = &o->p[i];
		if (!o->empty && backup(o->ctx, o->dfd, o->dir, p->name, p) ==
		    -1)
			break;
		if (p->remove) {
			if (unlinkat(o->dfd, p->name, 0) == -1 &&
			    errno != ENOENT) {
				out_fail(o->ctx, o->dir, p->name, "remove");
				break;
			}
			p->done = 1;
			continue;
		}
		if (renameat(o->dfd, p->tmp, o->dfd, p->name) == -1) {
			out_fail(o->ctx, o->dir, p->name, "rename into place");
			break;
		}
		p->done = 1;
	}
	return i - from;
}

/*
 * The state of files renamed into place, from what they are now: a
 * rename changes a file's ctime.  Then the state itself goes in place,
 * last, so that a state on disk never describes files not yet there.
 */
static int
put_state(struct output *o)
{
	struct stat	 st;
	size_t		 i, n = o->n;

	for (i = 0; i < n && !o->nostate; i++)
		if (o->p[i].done && !o->p[i].remove && o->p[i].hash != 0) {
			if (fstatat(o->dfd, o->p[i].name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1)
				o->nostate = 1;
			else
				out_note(o, o->p[i].name, &st, o->p[i].hash);
		}
	if (o->nostate) {
		out_drop_state(o);
		unlinkat(o->dfd, STATE_FILE, 0);
		return 0;
	}
	if (close_state(o) == -1)
		return -1;
	out_add_pending(o, STATE_FILE, o->statetmp);
	o->statetmp = NULL;
	return put(o, n) == 1 ? 0 : -1;
}

/*
 * Renames every temporary file into place, or, when one fails, puts
 * back what was there; the state goes last, when it is kept.  Closes
 * the directory either way.
 */
int
output_commit(struct output *o, int keepstate)
{
	size_t		 i;
	int		 kept;
	char		*path, *slash;

	if (o->nvm > 0 && add_index(o) == -1) {
		output_abort(o);
		return -1;
	}
	kept = keepstate && o->key != 0 && !o->nostate;
	if (!kept)
		out_drop_state(o);
	if (o->stage != NULL) {
		/* The files keep their ctimes: their directory is renamed. */
		if (kept && close_state(o) == -1)
			;	/* said */
		else if (o->clash) {
			errno = EEXIST;
			out_fail(o->ctx, o->stage, NULL, "stage the build");
		} else if (out_sync_dir(o, o->sfd, o->stage) == -1)
			;	/* said */
		else if (rename(o->stage, o->dir) == -1)
			out_fail(o->ctx, o->dir, NULL, "rename into place");
		else {
			/* Done: a failed sync of the parent is said, but
			 * the directory is whole and stays. */
			free(o->statetmp);
			o->statetmp = NULL;
			sync_parent(o);
			output_free(o);
			return 0;
		}
		output_abort(o);
		return -1;
	}
	/* Every file is on disk before the first rename makes one seen. */
	if (o->n > 0 && out_sync_dir(o, o->dfd, o->dir) == -1) {
		output_abort(o);
		return -1;
	}
	/* A build that keeps no state removes the last one, which no
	 * longer describes the directory; then the renames are made
	 * durable.  Until the backups go, a kill leaves temporary files,
	 * so the state is not yet trusted (state.c). */
	if (put(o, 0) < o->n || (kept && put_state(o) == -1)) {
		output_abort(o);
		return -1;
	}
	if (!kept)
		unlinkat(o->dfd, STATE_FILE, 0);
	if (out_sync_dir(o, o->dfd, o->dir) == -1) {
		output_abort(o);
		return -1;
	}
	for (i = 0; i < o->n; i++) {
		if (o->p[i].old != NULL)
			unlinkat(o->dfd, o->p[i].old, 0);
		if (o->p[i].remove) {
			path = path_join(o->dir, o->p[i].name);
			diag(o->ctx, (struct loc){ intern(o->ctx, path), 0 },
			    M(GONE_REMOVED));
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
