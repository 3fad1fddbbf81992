#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"
#include "plan.h"

/*
 * vmc install: make the system match what vmc build wrote into OUTDIR,
 * touching only the VMs that changed; vmc uninstall: take VMs away.
 *
 * First the plan (plan.c), which changes nothing: read OUTDIR's index (index.c)
 * and the manifest of what was installed, check that every directory
 * written to is safe for a LaunchDaemon and that no file vmc did not
 * install is in the way, and decide each VM's status by comparing
 * checksums.  Any refusal stops here.  Then one VM at a time: its new
 * files are written beside their targets (owner root, final mode,
 * synced), launchd is told, the files are renamed into place, and the
 * manifest is rewritten to record the VM as done.  A failure stops
 * the run with that VM as it was or fully in place, and the manifest
 * still describing the old version, so that a rerun finishes the job.
 */

static const char *const statuses[] = {
	"unchanged", "added", "changed", "restarted", "restart pending",
	"changed, stopped", "removed"
};

/*
 * launchctl VERB A [B]; an exit status other than 0, ok and ok2 is
 * reported.  What it printed is kept in out, when given.
 */
static int
lctl(struct inst *in, int ok, int ok2, const char *verb, const char *a,
    const char *b, char **out)
{
	return launchctl(in->ctx, in->opt->launchctl, ok, ok2, verb, a, b,
	    out);
}

static int
bootout(struct inst *in, const char *label)
{
	return launchctl_bootout(in->ctx, in->opt->launchctl, label);
}

/*
 * Writes b to the new file tmp, owned by root when we are root, with
 * its mode, synced.  Only root can write where install writes: a file
 * of that name is a killed run's.  -1 with errno set, tmp removed.
 */
static int
write_new(struct inst *in, const char *tmp, const struct buf *b, int mode)
{
	ssize_t	 w;
	size_t	 off = 0;
	int	 fd, error;

	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	if ((in->asroot && fchown(fd, 0, 0) == -1) || fchmod(fd, mode) == -1)
		goto fail;
	while (off < b->len) {
		if ((w = write(fd, b->p + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += w;
	}
	if (path_sync(fd, SYNC_FILE) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	error = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = error;
	return -1;
}

/*
 * Makes the renames and removals in the directory of path durable
 * (path.c): after a power cut, each VM's files are the old or the new
 * ones, and the manifest, written after them, never names what is not
 * on disk.  *last is the directory synced before, which is not synced
 * again.
 */
static int
sync_dir(struct inst *in, const char *path, char **last)
{
	char	*dir, *up;
	int	 fd, rc = 0;

	dir = path_dir(path);
	if (last != NULL && *last != NULL && strcmp(*last, dir) == 0) {
		free(dir);
		return 0;
	}
	/* A directory removed with its last file: its parent changed. */
	while ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && strchr(dir + 1, '/') != NULL) {
		up = path_dir(dir);
		free(dir);
		dir = up;
	}
	if (fd == -1 || path_sync(fd, SYNC_DIR) == -1) {
		diag(in->ctx, at(in, dir), M(INSTALL_SYNC), strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	if (last != NULL) {
		free(*last);
		*last = dir;
	} else
		free(dir);
	return rc;
}

/* sync_dir for installed files' paths, which have no ROOT. */
static int
sync_files(struct inst *in, const struct recfile *f, size_t n)
{
	char	*path, *last = NULL;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		path = full(in, f[i].path);
		rc = sync_dir(in, path, &last);
		free(path);
	}
	free(last);
	return rc;
}

/*
 * Whether the plist (as built, its checksum checked) starts its job
 * when it is loaded: emit_plist.c writes RunAtLoad's value on the line
 * after its key.
 */
static int
run_at_load(struct inst *in, const struct dest *plist)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*p;
	int		 yes = 1;

	if (check_source(in, plist->src, &b) == 0 &&
	    (p = strstr(b.p, "<key>RunAtLoad</key>")) != NULL)
		yes = strncmp(p + strlen("<key>RunAtLoad</key>") +
		    strspn(p + strlen("<key>RunAtLoad</key>"), " \t\n"),
		    "<true/>", 7) == 0;
	buf_free(&b);
	return yes;
}

/* sync_dir for the directories of the files a plan wrote. */
static int
sync_staged(struct inst *in, const struct plan *p)
{
	char	*last = NULL;
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < p->nd && rc == 0; i++)
		if (p->d[i].write)
			rc = sync_dir(in, p->d[i].full, &last);
	free(last);
	return rc;
}

/* Writes the manifest to a temporary file and renames it into place. */
static int
write_manifest(struct inst *in)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*tmp;
	int		 rc = 0;

	qsort(in->man.vm, in->man.n, sizeof(*in->man.vm), cmp_recvm);
	record_write(&b, &in->man);
	tmp = xasprintf("%s%s/" TMP_PREFIX "manifest", in->opt->root,
	    VMC_DB);
	if (write_new(in, tmp, &b, 0644) == -1 ||
	    rename(tmp, in->manpath) == -1) {
		diag(in->ctx, at(in, in->manpath), M(INSTALL_WRITE),
		    strerror(errno));
		unlink(tmp);
		rc = -1;
	} else
		rc = sync_dir(in, in->manpath, NULL);
	free(tmp);
	buf_free(&b);
	return rc;
}

/* Writes a file next to its target, as it will be. */
static int
stage(struct inst *in, struct dest *d)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*dir, *base;
	int		 rc = 0;

	if (check_source(in, d->src, &b) == -1) {
		buf_free(&b);
		return -1;
	}
	/* A seed's directory, made root's like the run directory. */
	dir = path_dir(d->path);
	mkdirs(in, dir);
	free(dir);
	dir = path_dir(d->full);
	base = strrchr(d->full, '/') + 1;
	d->tmp = xasprintf("%s/" TMP_PREFIX "%s", dir, base);
	free(dir);
	if (write_new(in, d->tmp, &b, d->src->mode) == -1) {
		diag(in->ctx, at(in, d->full), M(INSTALL_WRITE),
		    strerror(errno));
		free(d->tmp);
		d->tmp = NULL;
		rc = -1;
	}
	buf_free(&b);
	return rc;
}

static void
unstage(struct plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nd; i++)
		if (p->d[i].tmp != NULL) {
			unlink(p->d[i].tmp);
			free(p->d[i].tmp);
			p->d[i].tmp = NULL;
		}
}

/* Removes an installed file; one that is gone is fine. */
static int
remove_file(struct inst *in, const char *path)
{
	char	*f;
	int	 rc = 0;

	f = full(in, path);
	if (unlink(f) == -1 && errno != ENOENT) {
		diag(in->ctx, at(in, f), M(INSTALL_REMOVE), strerror(errno));
		rc = -1;
	}
	free(f);
	return rc;
}

/*
 * Removes the directory a VM's file was in when it is one of the VM's
 * own, below the directory of its script (a seed's), and now empty.
 */
static void
remove_subdir(struct inst *in, const struct recvm *v, const char *path)
{
	char		*dir, *f;
	const char	*top = NULL;
	size_t		 i, n;

	for (i = 0; i < v->nf; i++)
		if (path_has_suffix(v->f[i].path, ".sh"))
			top = v->f[i].path;
	dir = path_dir(path);
	n = top != NULL ? (size_t)(strrchr(top, '/') - top) : 0;
	if (top != NULL && strlen(dir) > n + 1 && strncmp(dir, top, n) == 0 &&
	    dir[n] == '/') {
		f = full(in, dir);
		rmdir(f);	/* fails while another file is in it */
		free(f);
	}
	free(dir);
}

static void
remove_dir(struct inst *in, const char *path)
{
	char	*f;

	f = full(in, path);
	if (rmdir(f) == -1 && errno != ENOENT)
		diag(in->ctx, at(in, f), M(LEFT_IN_PLACE), strerror(errno));
	free(f);
}

/*
 * The manifest's record of a VM as the plan puts it in place; before it
 * does (ahead), its old files too, so that whatever a kill leaves is
 * vmc's and the next install puts it right, and pending when its job is
 * to be loaded again: a kill may leave it loaded or not.
 */
static void
record_vm(struct inst *in, const struct plan *p, int ahead)
{
	struct recvm	*v, *slot;
	size_t		 i, j;

	if ((slot = record_find(&in->man, p->new->name)) != NULL)
		recvm_free(slot);
	else {
		in->man.vm = xreallocarray(in->man.vm, in->man.n + 1,
		    sizeof(*in->man.vm));
		slot = &in->man.vm[in->man.n++];
	}
	v = slot;
	memset(v, 0, sizeof(*v));
	v->name = xstrdup(p->new->name);
	v->label = xstrdup(p->new->label);
	v->user = xstrdup(p->new->user);
	v->pending = ahead && (p->status == ST_ADDED || p->status ==
	    ST_CHANGED || p->status == ST_RESTARTED || p->reload);
	for (i = 0; i < p->nd; i++)
		recvm_addfile(v, p->d[i].path, p->d[i].src->mode,
		    p->d[i].src->hash);
	for (i = 0; ahead && p->old != NULL && i < p->old->nf; i++) {
		for (j = 0; j < p->nd; j++)
			if (strcmp(p->old->f[i].path, p->d[j].path) == 0)
				break;
		if (j == p->nd)
			recvm_addfile(v, p->old->f[i].path,
			    p->old->f[i].mode, p->old->f[i].hash);
	}
	if (p->dir != NULL)
		v->dir = xstrdup(p->dir);
	else if (ahead && p->old != NULL && p->old->dir != NULL)
		v->dir = xstrdup(p->old->dir);
	if (p->new->run != NULL)
		v->run = xstrdup(p->new->run);
	if (p->new->console != NULL)
		v->console = xstrdup(p->new->console);
	if (p->new->log != NULL)
		v->log = xstrdup(p->new->log);
	v->reach = xcalloc(p->new->nreach + 1, sizeof(*v->reach));
	for (i = 0; i < p->new->nreach; i++)
		v->reach[v->nreach++] = xstrdup(p->new->reach[i]);
}

static void
unrecord_vm(struct inst *in, const char *name)
{
	struct recvm	*v;

	if ((v = record_find(&in->man, name)) == NULL)
		return;
	recvm_free(v);
	*v = in->man.vm[--in->man.n];
}

/*
 * The plan of another VM that takes label, which p's VM held: a label
 * handed over within one build.  Its old holder's job is booted out
 * before any VM is done (apply), not when the old holder is done.
 */
static const struct plan *
taker(const struct inst *in, const struct plan *p, const char *label)
{
	size_t	 i;

	for (i = 0; i < in->np; i++)
		if (&in->p[i] != p && in->p[i].new != NULL &&
		    strcmp(in->p[i].new->label, label) == 0)
			return &in->p[i];
	return NULL;
}

/* Whether another VM's plan puts a file at path. */
static int
taken_file(const struct inst *in, const struct plan *p, const char *path)
{
	size_t	 i, j;

	for (i = 0; i < in->np; i++)
		for (j = 0; &in->p[i] != p && j < in->p[i].nd; j++)
			if (strcmp(in->p[i].d[j].path, path) == 0)
				return 1;
	return 0;
}

/* Takes a VM away: job, files, run-time directory, record. */
static int
do_remove(struct inst *in, const struct recvm *old)
{
	char	*name;
	size_t	 i;
	int	 rc = 0;

	if (bootout(in, old->label) != 0)
		return -1;
	/* The plist first, so that a reboot cannot bring the job back. */
	for (i = 0; i < old->nf; i++)
		if (strstr(old->f[i].path, LAUNCHDAEMONS "/") == old->f[i].path)
			rc |= remove_file(in, old->f[i].path);
	for (i = 0; i < old->nf; i++)
		if (strstr(old->f[i].path, LAUNCHDAEMONS "/") != old->f[i].path) {
			rc |= remove_file(in, old->f[i].path);
			remove_subdir(in, old, old->f[i].path);
		}
	/* What the job left: the record of its last run. */
	if (rc != 0 || (old->run != NULL && remove_file(in, old->run) != 0))
		return -1;
	if (sync_files(in, old->f, old->nf) == -1)
		return -1;
	if (old->dir != NULL)
		remove_dir(in, old->dir);
	name = xstrdup(old->name);
	unrecord_vm(in, name);
	free(name);
	return write_manifest(in);
}

static int
do_vm(struct inst *in, struct plan *p)
{
	const struct recvm	*old = p->old;
	struct dest		*plist = NULL;
	char			*dirfull, *target, *msg = NULL;
	size_t			 i, j;
	int			 rc = 0, gone = 0;

	if (p->status == ST_UNCHANGED)
		return 0;
	if (p->status == ST_REMOVED)
		return do_remove(in, old);
	for (i = 0; i < p->nd && rc == 0; i++)
		if (p->d[i].write)
			rc = stage(in, &p->d[i]);
	if (rc == 0 && p->dir != NULL && p->fixdir) {
		dirfull = full(in, p->dir);
		if ((mkdir(dirfull, 0700) == -1 && errno != EEXIST) ||
		    (in->asroot && lchown(dirfull, p->uid, p->gid) == -1) ||
		    chmod(dirfull, 0700) == -1) {
			diag(in->ctx, at(in, dirfull), M(INSTALL_RUNDIR),
			    strerror(errno));
			rc = -1;
		}
		free(dirfull);
	}
	/* A restart is a stop and a start: the script stops the guest on
	 * bootout's SIGTERM, which kickstart -k does not wait for. */
	if (rc == 0 && (p->status == ST_CHANGED ||
	    p->status == ST_RESTARTED || (p->status == ST_STOPPED &&
	    p->reload)) && taker(in, p, old->label) == NULL &&
	    bootout(in, old->label) != 0)
		rc = -1;
	/* Recorded before anything is in place or loaded. */
	if (rc == 0) {
		record_vm(in, p, 1);
		rc = write_manifest(in);
	}
	if (rc != 0) {
		unstage(p);
		return -1;
	}
	/* Run-time files first: the plist makes the job use them. */
	for (j = 0; j < 2; j++)
		for (i = 0; i < p->nd; i++) {
			if (p->d[i].plist != (int)j)
				continue;
			if (p->d[i].plist)
				plist = &p->d[i];
			if (p->d[i].tmp == NULL)
				continue;
			if (rename(p->d[i].tmp, p->d[i].full) == -1) {
				diag(in->ctx, at(in, p->d[i].full),
				    M(INSTALL_RENAME), strerror(errno));
				unstage(p);
				return -1;
			}
			free(p->d[i].tmp);
			p->d[i].tmp = NULL;
		}
	for (i = 0; old != NULL && i < old->nf; i++) {
		/* A file this VM now puts under another case of its name is
		 * this one; one another VM takes (a label handed over) is
		 * that VM's. */
		for (j = 0; j < p->nd; j++)
			if (same_file(in, old->f[i].path, p->d[j].path))
				break;
		if (j == p->nd && !taken_file(in, p, old->f[i].path) &&
		    remove_file(in, old->f[i].path) == -1)
			return -1;
		if (j == p->nd) {
			remove_subdir(in, old, old->f[i].path);
			gone = 1;
		}
	}
	if ((gone && sync_files(in, old->f, old->nf) == -1) ||
	    sync_staged(in, p) == -1)
		return -1;
	if (old != NULL && old->dir != NULL &&
	    (p->dir == NULL || strcmp(old->dir, p->dir) != 0))
		remove_dir(in, old->dir);
	if (p->status != ST_PENDING && p->status != ST_STOPPED) {
		rc = lctl(in, p->status == ST_ADDED ? 5 : 0, 0, "bootstrap",
		    "system", plist->full, &msg);
		/*
		 * "5: Input/output error": a new VM's job may have been
		 * loaded by hand before vmc managed it; then reload it.
		 */
		if (rc == 5 && p->status == ST_ADDED) {
			target = xasprintf("system/%s", p->new->label);
			rc = lctl(in, 3, 113, "bootout", target, NULL, NULL);
			free(target);
			if (rc == 3 || rc == 113) {
				launchctl_report(in->ctx, in->opt->launchctl,
				    "bootstrap", "system", plist->full, msg, 5);
				rc = 5;
			} else if (rc == 0)
				rc = lctl(in, 0, 0, "bootstrap", "system",
				    plist->full, NULL);
		}
		free(msg);
		/* A job without RunAtLoad (autostart = no) that ran before
		 * runs after. */
		if (rc == 0 && p->running && !run_at_load(in, plist)) {
			target = xasprintf("system/%s", p->new->label);
			rc = lctl(in, 0, 0, "kickstart", target, NULL, NULL);
			free(target);
		}
	}
	if (rc != 0)
		return -1;
	record_vm(in, p, 0);
	return write_manifest(in);
}

/*
 * A VM this install would remove, as the build is of other profiles
 * than the last install was (one profile built alone, say): refused
 * unless -x.
 */
static void
other_profiles(struct inst *in, const char *name)
{
	if (in->opt->others || in->index.profiles == NULL ||
	    in->man.profiles == NULL ||
	    strcmp(in->index.profiles, in->man.profiles) == 0)
		return;
	diag(in->ctx, at(in, in->outdir), M(OTHER_PROFILES), name);
}

/*
 * Removes what an install killed while it staged left in the directory
 * dir (with ROOT): files named TMP_PREFIX*, which only vmc writes and,
 * the lock held, no other install is writing.
 */
static void
remove_stale(const char *dir)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* remove_stale in each directory the plans write to, once. */
static void
remove_stales(struct inst *in)
{
	const char	*dirs[3] = { VMC_DB, LAUNCHDAEMONS, in->index.rundir };
	char		*f, *last = NULL;
	size_t		 i, j;

	for (i = 0; i < 3; i++) {
		f = full(in, dirs[i]);
		remove_stale(f);
		free(f);
	}
	/* And the seeds' directories, below the run directory. */
	for (i = 0; i < in->np; i++)
		for (j = 0; j < in->p[i].nd; j++) {
			f = path_dir(in->p[i].d[j].path);
			if (strcmp(f, LAUNCHDAEMONS) != 0 &&
			    strcmp(f, in->index.rundir) != 0 &&
			    (last == NULL || strcmp(f, last) != 0)) {
				free(last);
				last = full(in, f);
				remove_stale(last);
				free(last);
				last = xstrdup(f);
			}
			free(f);
		}
	free(last);
}

/*
 * Prints each VM's status, then, unless -n, does what it says.  A VM
 * that fails after others were changed leaves the system part new, part
 * old: that is said, and the exit status is 3, not 1 (refused).
 */
static void
apply(struct inst *in)
{
	const char	*name;
	size_t		 i;
	int		 done = 0;

	qsort(in->p, in->np, sizeof(*in->p), cmp_plan);
	/* Labels handed over: their old holders' jobs out first. */
	for (i = 0; !in->opt->dryrun && i < in->np; i++)
		if (in->p[i].old != NULL && in->p[i].new != NULL &&
		    in->p[i].status != ST_UNCHANGED &&
		    taker(in, &in->p[i], in->p[i].old->label) != NULL &&
		    bootout(in, in->p[i].old->label) != 0)
			return;
	for (i = 0; i < in->np; i++) {
		name = in->p[i].new != NULL ? in->p[i].new->name :
		    in->p[i].old->name;
		printf("%s: %s\n", name, statuses[in->p[i].status]);
		if (in->opt->dryrun)
			continue;
		fflush(stdout);
		if (do_vm(in, &in->p[i]) == -1) {
			if (done)
				diag(in->ctx, at(in, in->manpath),
				    M(INSTALL_PARTIAL), name);
			break;
		}
		done |= in->p[i].status != ST_UNCHANGED;
	}
	fflush(stdout);
}

static void
inst_free(struct inst *in)
{
	size_t	 i;

	for (i = 0; i < in->np; i++)
		plan_free(&in->p[i]);
	free(in->p);
	record_free(&in->index);
	record_free(&in->man);
	free(in->manpath);
	if (in->listed == 1)
		jobs_free(&in->jobs);
	if (in->lockfd != -1)
		close(in->lockfd);
}

int
install_run(struct ctx *ctx, const struct install *opt, const char *outdir)
{
	struct inst	 in;
	struct plan	*p;
	char		*path;
	size_t		 i;
	int		 rc;

	memset(&in, 0, sizeof(in));
	in.ctx = ctx;
	in.opt = opt;
	in.outdir = outdir;
	in.asroot = geteuid() == 0;
	in.lockfd = -1;
	if (need_root(&in, "install") == -1)
		goto done;
	path = path_join(outdir, INDEX_FILE);
	rc = record_read(ctx, path, REC_INDEX, &in.index);
	if (rc == -1)
		diag(ctx, at(&in, path), M(NOT_BUILD), outdir);
	free(path);
	if (rc != 0 || read_manifest(&in) == -1)
		goto done;
	if (in.index.rundir == NULL)
		in.index.rundir = xstrdup("/");
	/* Reported together, then refused before any change. */
	check_dir(&in, in.index.rundir);
	check_dir(&in, LAUNCHDAEMONS);
	check_dir(&in, VMC_DB);
	for (i = 0; i < in.index.n; i++)
		check_root_job(&in, &in.index.vm[i]);
	if (ctx->errors > 0)
		goto done;
	for (i = 0; i < in.index.n; i++) {
		p = add_plan(&in);
		p->new = &in.index.vm[i];
		p->old = recvm_dup(record_find(&in.man, p->new->name));
	}
	for (i = 0; i < in.np; i++)
		plan_vm(&in, &in.p[i]);
	for (i = 0; i < in.man.n; i++)
		if (record_find(&in.index, in.man.vm[i].name) == NULL) {
			p = add_plan(&in);
			p->old = recvm_dup(&in.man.vm[i]);
			p->status = ST_REMOVED;
			other_profiles(&in, p->old->name);
		}
	if (ctx->errors > 0)
		goto done;
	/* The manifest says which profiles it now holds the VMs of. */
	free(in.man.profiles);
	in.man.profiles = in.index.profiles != NULL ?
	    xstrdup(in.index.profiles) : NULL;
	if (!opt->dryrun) {
		remove_stales(&in);
		for (i = 0; i < in.np; i++)
			if (in.p[i].status != ST_UNCHANGED)
				break;
		if (i < in.np) {
			mkdirs(&in, in.index.rundir);
			mkdirs(&in, LAUNCHDAEMONS);
			mkdirs(&in, VMC_DB);
		}
	}
	apply(&in);
done:
	diag_flush(ctx);
	inst_free(&in);
	return ctx_status(ctx);
}

int
uninstall_run(struct ctx *ctx, const struct install *opt, char **names,
    int n)
{
	struct inst	 in;
	struct plan	*p;
	size_t		 i;
	int		 j;

	memset(&in, 0, sizeof(in));
	in.ctx = ctx;
	in.opt = opt;
	in.asroot = geteuid() == 0;
	in.lockfd = -1;
	if (need_root(&in, "uninstall") == -1 || read_manifest(&in) == -1)
		goto done;
	for (j = 0; j < n; j++)
		if (record_find(&in.man, names[j]) == NULL)
			diag(ctx, at(&in, in.manpath), M(NOT_INSTALLED_REFUSED),
			    names[j]);
	if (ctx->errors > 0)
		goto done;
	for (i = 0; i < in.man.n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(names[j], in.man.vm[i].name) == 0)
				break;
		if (n > 0 && j == n)
			continue;
		p = add_plan(&in);
		p->old = recvm_dup(&in.man.vm[i]);
		p->status = ST_REMOVED;
	}
	apply(&in);
done:
	diag_flush(ctx);
	inst_free(&in);
	return ctx_status(ctx);
}
