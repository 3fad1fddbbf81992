#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmc.h"
#include "plan.h"

/*
 * vmc start, stop and restart: installed VMs by name, through launchd.
 *
 * stop is launchctl bootout: launchd sends the script SIGTERM, the
 * script stops the guest gracefully (emit_sh.c) and bootout returns
 * once the job is gone, so the VM stays stopped whatever KeepAlive
 * says, until vmc start, or the next boot, where RunAtLoad (autostart)
 * decides, as OpenBSD's vmctl stop does.  start is bootstrap when the
 * job is not loaded, then kickstart, which starts a loaded job that
 * does not run and leaves one that runs alone (launchctl(1)); it
 * returns once the script's run record says QEMU runs.  restart is a
 * stop and a start, so it runs the files installed since.
 *
 * The install lock is held throughout: one vmc at a time changes a
 * VM's job, and a second stop of a VM waits for the first.
 */

#define START_WAIT	30	/* seconds for QEMU to start */

const char *const verb_names[] = {
	[VERB_START] = "start", [VERB_STOP] = "stop",
	[VERB_RESTART] = "restart", NULL
};

/* The installed plist of v, with ROOT, or NULL. */
static char *
plist_of(struct inst *in, const struct recvm *v)
{
	size_t	 i;

	for (i = 0; i < v->nf; i++)
		if (strncmp(v->f[i].path, LAUNCHDAEMONS "/",
		    strlen(LAUNCHDAEMONS "/")) == 0)
			return full(in, v->f[i].path);
	return NULL;
}

/*
 * Waits for QEMU of a job started at t0 to run, and still run a second
 * later, past a QEMU that rejects its arguments; 0, or -1 said.
 */
static int
wait_started(struct inst *in, const struct recvm *v, time_t t0)
{
	struct running	 r;
	struct loc	 none = { NULL, 0 };
	const char	*log = v->log != NULL ? v->log : "-";
	int		 i, seen = -1;

	for (i = 0; i < START_WAIT * 10; i++) {
		if (running_read(in->opt, v, &r) == 0 && r.since >= t0) {
			if (r.ended != NULL) {
				diag(in->ctx, none, M(START_EXITED), v->name,
				    r.status, log);
				running_free(&r);
				return -1;
			}
			if (r.alive && seen == -1)
				seen = i;
			if (r.alive && i - seen >= 10) {
				running_free(&r);
				return 0;
			}
		}
		running_free(&r);
		usleep(100000);
	}
	diag(in->ctx, none, M(START_TIMEOUT), v->name, START_WAIT, log);
	return -1;
}

static int
start_vm(struct inst *in, const struct jobs *jobs, const struct recvm *v,
    const char **said)
{
	const struct job	*j;
	char			*plist, *target;
	time_t			 t0;
	int			 rc = 0;

	if ((j = jobs_find(jobs, v->label)) != NULL && j->pid != 0) {
		*said = "already running";
		return 0;
	}
	if ((plist = plist_of(in, v)) == NULL) {
		diag(in->ctx, at(in, in->manpath), M(INDEX_INCOMPLETE),
		    "plist", v->name);
		return -1;
	}
	t0 = time(NULL);
	target = xasprintf("system/%s", v->label);
	if (j == NULL)
		rc = launchctl(in->ctx, in->opt->launchctl, 0, 0, "bootstrap",
		    "system", plist, NULL);
	if (rc == 0)
		rc = launchctl(in->ctx, in->opt->launchctl, 0, 0, "kickstart",
		    target, NULL, NULL);
	free(target);
	free(plist);
	if (rc != 0)
		return -1;
	if (wait_started(in, v, t0) == -1) {
		/* Not restarted in a loop by launchd: it stays stopped. */
		if (launchctl_bootout(in->ctx, in->opt->launchctl,
		    v->label) == 0)
			running_stopped(in->opt, v);
		return -1;
	}
	*said = "started";
	return 0;
}

static int
stop_vm(struct inst *in, const struct jobs *jobs, const struct recvm *v,
    const char **said)
{
	static const char *const hows[][2] = {
		{ "powered-off", "stopped (powered off)" },
		{ "exited", "stopped (powered off)" },
		{ "quit", "stopped (quit)" },
	};
	const struct job	*j;
	struct running		 r;
	size_t			 i;

	*said = "already stopped";
	if ((j = jobs_find(jobs, v->label)) == NULL)
		return 0;
	/* A loaded job that does not run goes too: KeepAlive could
	 * start it again. */
	if (launchctl_bootout(in->ctx, in->opt->launchctl, v->label) != 0)
		return -1;
	/* So that vmc install leaves it stopped. */
	running_stopped(in->opt, v);
	if (j->pid == 0)
		return 0;
	/* The script says how QEMU ended; a script launchd had to kill
	 * said nothing. */
	*said = "stopped (killed)";
	if (running_read(in->opt, v, &r) == 0 && r.ended != NULL)
		for (i = 0; i < sizeof(hows) / sizeof(hows[0]); i++)
			if (strcmp(r.ended, hows[i][0]) == 0)
				*said = hows[i][1];
	running_free(&r);
	return 0;
}

int
operate_run(struct ctx *ctx, const struct install *opt, enum verb verb,
    char **names, int n)
{
	struct inst	 in;
	struct jobs	 jobs;
	const struct recvm *v;
	const char	*said;
	int		 i, rc = 0, listed = 0, was;

	memset(&in, 0, sizeof(in));
	memset(&jobs, 0, sizeof(jobs));
	in.ctx = ctx;
	in.opt = opt;
	in.asroot = geteuid() == 0;
	in.lockfd = -1;
	if (*opt->root == '\0' && !in.asroot)
		diag(ctx, (struct loc){ NULL, 0 }, M(OPERATE_ROOT),
		    verb_names[verb], verb_names[verb]);
	else if (*opt->root != '\0')
		need_root(&in, verb_names[verb]);
	if (ctx->errors > 0 || read_manifest(&in) == -1)
		goto done;
	/* An unknown name refuses the whole command. */
	for (i = 0; i < n; i++)
		if ((v = record_find(&in.man, names[i])) == NULL)
			diag(ctx, at(&in, in.manpath), M(NOT_INSTALLED_REFUSED),
			    names[i]);
		else if (v->net)
			diag(ctx, at(&in, in.manpath), M(OPERATE_NET),
			    names[i]);
	if (ctx->errors > 0 ||
	    launchctl_list(ctx, opt->launchctl, &jobs) != 0)
		goto done;
	listed = 1;
	for (i = 0; i < n && rc == 0; i++) {
		v = record_find(&in.man, names[i]);
		said = NULL;
		if (verb == VERB_START)
			rc = start_vm(&in, &jobs, v, &said);
		else
			rc = stop_vm(&in, &jobs, v, &said);
		if (rc == 0 && verb == VERB_RESTART) {
			/* The job is gone now: start loads it afresh. */
			was = strncmp(said, "stopped", 7) == 0;
			jobs_free(&jobs);
			if ((rc = launchctl_list(ctx, opt->launchctl,
			    &jobs)) == 0)
				rc = start_vm(&in, &jobs, v, &said);
			if (rc == 0 && was)
				said = "restarted";
		}
		if (rc == 0) {
			printf("%s: %s\n", v->name, said);
			fflush(stdout);
		}
	}
done:
	diag_flush(ctx);
	if (listed)
		jobs_free(&jobs);
	record_free(&in.man);
	free(in.manpath);
	if (in.lockfd != -1)
		close(in.lockfd);
	return ctx_status(ctx);
}
