#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmc.h"
#include "fleet.h"

/*
 * vmc check -F and build -F: a fleet directory holds one directory per
 * host, named as the host is in the inventory, each with the host's
 * description, its profiles and its run directory.  Each host is
 * checked as vmc check -H would, then the hosts against each other
 * (validate_lan.c); only when every check passes does a build write
 * OUTDIR/HOST/ for each host, so that a fleet error changes nothing.
 */

struct hostdir {
	char		*name;
	const char	*dir;		/* interned, for messages */
	char		*hostfile, *profiles;
	struct buf	 rundir;
	int		 ok;		/* it holds all three */
};

static int
cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct hostdir *)a)->name,
	    ((const struct hostdir *)b)->name);
}

/* A name the inventory and a directory both take. */
static int
host_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* fleetdir's subdirectories, in byte order; NULL after a diagnostic. */
static struct hostdir *
list_hosts(struct ctx *ctx, const char *fleetdir, size_t *n)
{
	struct hostdir	*h = NULL;
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*p;
	size_t		 cap = 0;

	*n = 0;
	if ((d = opendir(fleetdir)) == NULL) {
		diag(ctx, (struct loc){ fleetdir, 0 }, M(DIR_UNREADABLE),
		    strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = strcmp(fleetdir, ".") == 0 ? xstrdup(de->d_name) :
		    path_join(fleetdir, de->d_name);
		if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
			free(p);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			h = xreallocarray(h, cap, sizeof(*h));
		}
		memset(&h[*n], 0, sizeof(*h));
		h[*n].name = xstrdup(de->d_name);
		h[*n].dir = intern(ctx, p);
		free(p);
		(*n)++;
	}
	closedir(d);
	if (*n == 0)
		diag(ctx, (struct loc){ fleetdir, 0 }, M(FLEET_EMPTY));
	else
		qsort(h, *n, sizeof(*h), cmp_host);
	return h;
}

/* What one host's directory must hold, each said when missing. */
static void
read_host(struct ctx *ctx, struct hostdir *h)
{
	struct loc	 at = { h->dir, 0 };
	struct stat	 st;
	char		*path;
	size_t		 len;
	int		 errors = ctx->errors;

	if (!host_name_ok(h->name)) {
		path = diag_vis(h->name);
		diag(ctx, at, M(FLEET_HOST_NAME), path);
		free(path);
	}
	h->hostfile = path_join(h->dir, FLEET_HOST);
	if (stat(h->hostfile, &st) == -1 || !S_ISREG(st.st_mode))
		diag(ctx, at, M(FLEET_NO_HOST), h->hostfile);
	h->profiles = path_join(h->dir, FLEET_PROFILES);
	if (stat(h->profiles, &st) == -1 || !S_ISDIR(st.st_mode))
		diag(ctx, at, M(FLEET_NO_PROFILES), h->profiles);
	path = path_join(h->dir, FLEET_RUNDIR);
	at.file = intern(ctx, path);
	if (path_read(AT_FDCWD, path, 0, 4096, &h->rundir, &st) == -1) {
		diag(ctx, (struct loc){ h->dir, 0 }, M(FLEET_NO_RUNDIR), path);
		buf_free(&h->rundir);
	} else {
		/* One line, its newline optional. */
		len = h->rundir.len;
		buf_add(&h->rundir, "", 1);
		if (len > 0 && h->rundir.p[len - 1] == '\n')
			h->rundir.p[--len] = '\0';
		at.line = 1;
		if (strlen(h->rundir.p) != len ||
		    strchr(h->rundir.p, '\n') != NULL)
			diag(ctx, at, M(FLEET_RUNDIR_LINE));
		else
			rundir_check(ctx, at, h->rundir.p);
	}
	free(path);
	h->ok = ctx->errors == errors;
}

/* The run of compile.c for one host, as vmc check -H would make it. */
static void
host_run(struct run *r, const struct run *run, const struct hostdir *h,
    char **args)
{
	*r = *run;
	r->hostfile = h->hostfile;
	r->rundir = h->rundir.p;
	r->rundir_given = 0;	/* the host's, not this machine's */
	args[0] = h->profiles;
	r->args = args;
	r->nargs = 1;
}

int
compile_hosts(struct ctx *ctx, const struct run *run, const char *fleetdir)
{
	struct hostdir	*h;
	struct lanhost	*lans;
	struct run	 r;
	struct stat	 st;
	char		*args[1];
	size_t		 i, j, n;

	if ((h = list_hosts(ctx, fleetdir, &n)) != NULL) {
		for (i = 0; i < n; i++)
			read_host(ctx, &h[i]);
		/* Inventories and macOS's disks do not tell case apart;
		 * a fleet has few hosts. */
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (strcasecmp(h[i].name, h[j].name) == 0) {
					diag(ctx, (struct loc){ h[i].dir, 0 },
					    M(FLEET_DUP_HOST), h[i].name,
					    h[j].dir);
					h[i].ok = 0;
					break;
				}
	}
	diag_flush(ctx);
	lans = xcalloc(n, sizeof(*lans));
	/* Every host is checked, and only then the hosts together. */
	for (i = 0; i < n; i++) {
		if (!h[i].ok)
			continue;
		host_run(&r, run, &h[i], args);
		r.cmd = CMD_CHECK;
		lans[i].name = h[i].name;
		r.lan = &lans[i];
		compile(ctx, &r);
	}
	if (ctx->errors == 0)
		lan_validate(ctx, lans, n);
	diag_flush(ctx);
	if (run->cmd == CMD_BUILD && ctx->errors == 0 &&
	    stat(run->outdir, &st) == -1 && errno == ENOENT &&
	    mkdir(run->outdir, 0777) == -1)
		diag(ctx, (struct loc){ run->outdir, 0 }, M(DIR_UNREADABLE),
		    strerror(errno));
	/* Said already by the check: the build's own warnings. */
	ctx->quiet = 1;
	for (i = 0; run->cmd == CMD_BUILD && ctx->errors == 0 && i < n; i++) {
		host_run(&r, run, &h[i], args);
		r.outdir = path_join(run->outdir, h[i].name);
		compile(ctx, &r);
		free((char *)r.outdir);
	}
	ctx->quiet = 0;
	for (i = 0; i < n; i++) {
		lan_free(&lans[i]);
		free(h[i].name);
		free(h[i].hostfile);
		free(h[i].profiles);
		buf_free(&h[i].rundir);
	}
	free(lans);
	free(h);
	diag_flush(ctx);
	return ctx_status(ctx);
}
