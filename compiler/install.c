#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
 * Whether the plist (as built, its checksum checked) starts its job
 * when it is loaded: emit_plist.c writes RunAtLoad's value on the line
 * after its key.
 */
static int
run_at_load(struct inst *in, const struct dest *plist)
{
	static const char key[] = "<key>RunAtLoad</key>";
	struct buf	 b = { NULL, 0, 0 };
	const char	*p;
	int		 yes = 1;

	if (check_source(in, plist->src, &b) == 0 &&
	    (p = strstr(b.p, key)) != NULL) {
		p += sizeof(key) - 1;
		yes = strncmp(p + strspn(p, " \t\n"), "<true/>", 7) == 0;
	}
	buf_free(&b);
	return yes;
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
 * A network whose daemon restarts (its plist changed) drops the links
 * of the running VMs on it: QEMU 8.0 and later reconnect by themselves,
 * an older one is restarted after the daemon (the networks go first).
 * The plan says which, -n or not.
 */
static void
net_links(struct inst *in, const struct plan *net)
{
	struct buf	 drop = { NULL, 0, 0 }, again = { NULL, 0, 0 };
	struct plan	*p;
	const char	*id = net->new->name + strlen(NET_NAME);
	size_t		 i, j;

	for (i = 0; i < in->np; i++) {
		p = &in->p[i];
		if (p->new == NULL || p->new->net || p->old == NULL ||
		    p->status == ST_STOPPED || !runs(in, p->old))
			continue;
		for (j = 0; j < p->new->nlinks; j++) {
			if (strcmp(p->new->links[j].net, id) != 0)
				continue;
			if (!p->new->links[j].restart) {
				buf_printf(&drop, "%s%s", drop.len ? ", " : "",
				    p->new->name);
				continue;
			}
			buf_printf(&again, "%s%s", again.len ? ", " : "",
			    p->new->name);
			if (p->status == ST_UNCHANGED ||
			    p->status == ST_PENDING) {
				p->status = ST_RESTARTED;
				p->running = 1;
			}
		}
	}
	if (drop.len > 0)
		diag(in->ctx, at(in, in->outdir), M(NET_DROPS), id, drop.p);
	if (again.len > 0)
		diag(in->ctx, at(in, in->outdir), M(NET_RESTARTS), id,
		    again.p);
	buf_free(&drop);
	buf_free(&again);
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
	for (i = 0; i < in.np; i++)
		if (in.p[i].new != NULL && in.p[i].new->net &&
		    in.p[i].status == ST_CHANGED)
			net_links(&in, &in.p[i]);
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
