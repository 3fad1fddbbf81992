#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * launchd, as vmc drives it: each call runs launchctl (or the program
 * VMC_LAUNCHCTL names) in the system domain, and a failure is said with
 * the call and what launchctl printed.  Exit statuses and messages are
 * launchctl(1)'s.
 */

/* Says a launchctl call failed: the call, its message, its status. */
void
launchctl_report(struct ctx *ctx, const char *prog, const char *verb,
    const char *a, const char *b, char *msg, int rc)
{
	struct loc	 at = { intern(ctx, prog), 0 };
	char		*cmd;
	size_t		 n;

	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	cmd = xasprintf("%s%s%s%s%s", verb, a != NULL ? " " : "",
	    a != NULL ? a : "", b != NULL ? " " : "", b != NULL ? b : "");
	diag(ctx, at, M(LAUNCHCTL), cmd, msg, n > 0 ? " " : "", rc);
	free(cmd);
}

/*
 * prog (launchctl, or a stand-in) VERB A [B]; with ctx, an exit status
 * other than 0, ok and ok2 is reported.  What it printed is kept in
 * out, when given.
 */
int
launchctl(struct ctx *ctx, const char *prog, int ok, int ok2,
    const char *verb, const char *a, const char *b, char **out)
{
	struct buf	 buf = { NULL, 0, 0 };
	char		*argv[5];
	int		 rc;

	/* Under -R, unless asked for: no launchd, no job loaded. */
	if (prog == NULL) {
		if (out != NULL)
			*out = xstrdup("");
		return 0;
	}
	argv[0] = (char *)prog;
	argv[1] = (char *)verb;
	argv[2] = (char *)a;
	argv[3] = (char *)b;
	argv[4] = NULL;
	rc = run(argv, &buf);
	if (buf.p == NULL)
		buf_add(&buf, "", 1);
	if (ctx != NULL && rc != 0 && rc != ok && rc != ok2)
		launchctl_report(ctx, prog, verb, a, b, buf.p, rc);
	if (out != NULL)
		*out = xstrdup(buf.p);
	buf_free(&buf);
	return rc;
}

/* Stops and unloads a job; one that is not loaded is fine. */
int
launchctl_bootout(struct ctx *ctx, const char *prog, const char *label)
{
	char	*target;
	int	 rc;

	target = xasprintf("system/%s", label);
	/* "3: No such process" or "113: Could not find service". */
	rc = launchctl(ctx, prog, 3, 113, "bootout", target, NULL, NULL);
	free(target);
	return rc == 3 || rc == 113 ? 0 : rc;
}

static int
cmp_job(const void *a, const void *b)
{
	return strcmp(((const struct job *)a)->label,
	    ((const struct job *)b)->label);
}

/*
 * Every job of the domain in one call: launchctl list prints a header,
 * then "PID\tSTATUS\tLABEL" a line, PID "-" for a job not running and
 * STATUS its last exit status ("-SIGNAL" after a signal).  0, or
 * launchctl's exit status after a diagnostic.
 */
int
launchctl_list(struct ctx *ctx, const char *prog, struct jobs *jobs)
{
	char	*out = NULL, *line, *next, *tab, *tab2, *end;
	long	 pid;
	int	 rc;

	memset(jobs, 0, sizeof(*jobs));
	if ((rc = launchctl(ctx, prog, 0, 0, "list", NULL, NULL, &out)) != 0) {
		free(out);
		return rc;
	}
	for (line = out; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((tab = strchr(line, '\t')) == NULL ||
		    (tab2 = strchr(tab + 1, '\t')) == NULL)
			continue;
		*tab = *tab2 = '\0';
		pid = strtol(line, &end, 10);
		if (strcmp(line, "-") != 0 && (*end != '\0' || pid <= 0))
			continue;	/* the header */
		/* A status is shown: "-" or a number; anything else, "?". */
		(void)strtol(tab + 1, &end, 10);
		if (strcmp(tab + 1, "-") != 0 && (end == tab + 1 ||
		    *end != '\0' || strlen(tab + 1) >= sizeof(jobs->v[0].status)))
			strcpy(tab + 1, "?");
		jobs->v = xreallocarray(jobs->v, jobs->n + 1,
		    sizeof(*jobs->v));
		jobs->v[jobs->n].label = xstrdup(tab2 + 1);
		jobs->v[jobs->n].pid = strcmp(line, "-") == 0 ? 0 : pid;
		strlcpy(jobs->v[jobs->n].status, tab + 1,
		    sizeof(jobs->v[jobs->n].status));
		jobs->n++;
	}
	free(out);
	if (jobs->n > 0)
		qsort(jobs->v, jobs->n, sizeof(*jobs->v), cmp_job);
	return 0;
}

const struct job *
jobs_find(const struct jobs *jobs, const char *label)
{
	struct job	 key;

	if (jobs->n == 0)
		return NULL;
	key.label = (char *)label;
	return bsearch(&key, jobs->v, jobs->n, sizeof(*jobs->v), cmp_job);
}

void
jobs_free(struct jobs *jobs)
{
	size_t	 i;

	for (i = 0; i < jobs->n; i++)
		free(jobs->v[i].label);
	free(jobs->v);
	memset(jobs, 0, sizeof(*jobs));
}
