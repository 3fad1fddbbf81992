#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/*
 * What a VM runs, as its script recorded it (emit_sh.c), next to what
 * is installed.  When QEMU starts, the script writes its run record:
 *
 *	config HEX		the checksum of the job's files it runs
 *	since SECONDS		when QEMU started, seconds since the epoch
 *	pid PID			QEMU's process
 *	fwd ... or mac ...	where the guest answers, as in the index
 *
 * and, when QEMU has exited, appends "ended HOW STATUS": HOW is
 * powered-off (the guest answered the power button), quit (QEMU was
 * told to quit), killed, or exited (QEMU ended of itself), STATUS its
 * exit status.  vmc stop then appends "stopped": the VM stays stopped
 * until it starts again.  A VM run as another user than root writes the record
 * in its own directory, so the record is read as untrusted: without
 * following a link, bounded, and what status shows of it is made safe
 * there.
 */

#define RUN_MAX		65536	/* bytes of a run record read */

static int
number(const char *s, long long *n)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*n = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/* 0 with r filled in when v has a run record, -1 when not. */
int
running_read(const struct install *opt, const struct recvm *v,
    struct running *r)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	char		*path, *line, *next, *sp;
	long long	 n;
	int		 rc;

	memset(r, 0, sizeof(*r));
	if (v->run == NULL)
		return -1;
	path = xasprintf("%s%s", opt->root, v->run);
	rc = path_read(AT_FDCWD, path, 1, RUN_MAX, &b, &st);
	free(path);
	if (rc == -1) {
		buf_free(&b);
		return -1;
	}
	buf_add(&r->reach, "", 0);
	for (line = b.p; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strcmp(line, "stopped") == 0)
			r->stopped = 1;
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(line, "config") == 0 && strlen(sp) == 16) {
			free(r->config);
			r->config = xstrdup(sp);
		} else if (strcmp(line, "since") == 0 && number(sp, &n) == 0)
			r->since = n;
		else if (strcmp(line, "pid") == 0 && number(sp, &n) == 0 &&
		    n > 0 && n < 1LL << 31)
			r->pid = (pid_t)n;
		else if (strcmp(line, "ended") == 0 && r->ended == NULL) {
			r->ended = xstrdup(sp);
			if ((sp = strchr(r->ended, ' ')) != NULL) {
				*sp++ = '\0';
				r->status = number(sp, &n) == 0 && n < 256 ?
				    (int)n : -1;
			}
		} else if (strcmp(line, "fwd") == 0 ||
		    strcmp(line, "mac") == 0)
			buf_printf(&r->reach, "%s %s\n", line, sp);
	}
	buf_free(&b);
	/* QEMU still runs: the record says so, and its process exists. */
	r->alive = r->ended == NULL && r->pid > 0 &&
	    (kill(r->pid, 0) == 0 || errno == EPERM);
	return 0;
}

void
running_free(struct running *r)
{
	free(r->config);
	free(r->ended);
	buf_free(&r->reach);
	memset(r, 0, sizeof(*r));
}

/* The config the installed script of v holds, or NULL. */
char *
installed_config(const struct install *opt, const struct recvm *v)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	char		*path, *p, *config = NULL;
	size_t		 i;

	for (i = 0; i < v->nf && v->f[i].mode != 0755; i++)
		continue;
	if (i == v->nf)
		return NULL;
	path = xasprintf("%s%s", opt->root, v->f[i].path);
	if (path_read(AT_FDCWD, path, 1, MAX_FILE, &b, &st) == 0 &&
	    (p = strstr(b.p, "\n" CONFIG_LINE)) != NULL &&
	    strspn(p + 1 + strlen(CONFIG_LINE), "0123456789abcdef") == 16)
		config = xasprintf("%.16s", p + 1 + strlen(CONFIG_LINE));
	free(path);
	buf_free(&b);
	return config;
}

/*
 * 1 when v runs other files than those installed: a restart would
 * bring in what vmc install put in place.
 */
int
running_pending(const struct install *opt, const struct recvm *v,
    const struct running *r)
{
	char	*config;
	int	 pending;

	if (!r->alive || r->config == NULL)
		return 0;
	config = installed_config(opt, v);
	pending = config == NULL || strcmp(config, r->config) != 0;
	free(config);
	return pending;
}

/* Says in v's run record that vmc stop stopped it; -1 when it has none. */
int
running_stopped(const struct install *opt, const struct recvm *v)
{
	char	*path;
	int	 fd, rc;

	if (v->run == NULL)
		return -1;
	path = xasprintf("%s%s", opt->root, v->run);
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return -1;
	rc = write(fd, "stopped\n", 8) == 8 ? 0 : -1;
	close(fd);
	return rc;
}
