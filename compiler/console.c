#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vmc.h"

/*
 * vmc console: the guest's serial port, which QEMU serves on a unix
 * socket in the VM's run directory (qemu.c).  From a terminal, the
 * terminal is put in raw mode so that every key, Ctrl-C and Ctrl-Z
 * included, goes to the guest; "~." at the start of a line leaves, as
 * in ssh(1) and cu(1), and "~~" sends one '~'.  The terminal is put
 * back however the session ends: the escape, QEMU closing the socket,
 * or a signal.  Without a terminal, standard input goes to the guest
 * as it is, and once it ends, what the guest prints is shown until it
 * has been quiet for QUIET_MS.
 *
 * QEMU serves one client at a time and lets a second wait unanswered,
 * so a session holds a lock on the VM's run record: a second one is
 * refused at once, and the first goes on undisturbed.
 */

#define QUIET_MS	2000

static struct termios	 saved;
static int		 raw;

static void
restore(void)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	raw = 0;
}

static void
on_signal(int sig)
{
	restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Writes all of p, or -1. */
static int
put(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * What the user typed, to the guest, less the escape; 1 when the user
 * left, 0 to go on, -1 when the socket failed.
 */
static int
typed(int sock, const char *p, size_t n, int *bol, int *tilde)
{
	char	 out[2 * 4096];
	size_t	 i, k = 0;

	for (i = 0; i < n; i++) {
		if (*tilde) {
			*tilde = 0;
			if (p[i] == '.')
				return 1;
			if (p[i] != '~')
				out[k++] = '~';
		} else if (*bol && p[i] == '~') {
			*tilde = 1;
			*bol = 0;
			continue;
		}
		out[k++] = p[i];
		*bol = p[i] == '\r' || p[i] == '\n';
	}
	return put(sock, out, k) == -1 ? -1 : 0;
}

/* The session; 0 when it ended well. */
static int
relay(int sock, int tty)
{
	struct pollfd	 pfd[2];
	char		 buf[4096];
	ssize_t		 n;
	int		 bol = 1, tilde = 0, in_open = 1, rc;

	pfd[0].fd = STDIN_FILENO;
	pfd[1].fd = sock;
	pfd[1].events = POLLIN;
	for (;;) {
		/* At the end of input, poll stdin no more: a pipe's end
		 * would say POLLHUP again and again. */
		pfd[0].fd = in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		rc = poll(pfd, 2, in_open || tty ? -1 : QUIET_MS);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return -1;
		if (rc == 0)
			return 0;	/* quiet after the end of input */
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = read(sock, buf, sizeof(buf))) <= 0)
				return n == 0 ? 0 : -1;
			if (put(STDOUT_FILENO, buf, (size_t)n) == -1)
				return -1;
		}
		if (in_open && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((n = read(STDIN_FILENO, buf, sizeof(buf))) <= 0) {
				/* End of input: from a terminal, leave. */
				if (tty)
					return 0;
				in_open = 0;
				continue;
			}
			if (tty) {
				if ((rc = typed(sock, buf, (size_t)n, &bol,
				    &tilde)) != 0)
					return rc == 1 ? 0 : -1;
			} else if (put(sock, buf, (size_t)n) == -1)
				return -1;
		}
	}
}

int
console_run(struct ctx *ctx, const struct install *opt, const char *name)
{
	struct record		 man;
	struct running		 r;
	struct sockaddr_un	 sun;
	struct loc		 none = { NULL, 0 };
	const struct recvm	*v;
	struct termios		 t;
	char			*path, *sock = NULL;
	int			 fd = -1, lock = -1, tty, rc;

	path = xasprintf("%s%s", opt->root, MANIFEST);
	rc = record_read(ctx, path, REC_MANIFEST, &man);
	free(path);
	if (rc == -2)
		goto done;
	if ((v = record_find(&man, name)) == NULL) {
		diag(ctx, none, M(NOT_INSTALLED), name);
		goto done;
	}
	if (v->console == NULL || v->run == NULL) {
		diag(ctx, none, M(CONSOLE_NONE), name);
		goto done;
	}
	if (running_read(opt, v, &r) == -1 || !r.alive) {
		running_free(&r);
		diag(ctx, none, M(CONSOLE_STOPPED), name);
		goto done;
	}
	running_free(&r);
	/* One session at a time: the lock on the run record. */
	path = xasprintf("%s%s", opt->root, v->run);
	if ((lock = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    flock(lock, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			diag(ctx, none, M(CONSOLE_BUSY), name);
		else
			diag(ctx, none, M(CONSOLE_CONNECT), name, path,
			    strerror(errno));
		free(path);
		goto done;
	}
	free(path);
	sock = xasprintf("%s%s", opt->root, v->console);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errno = ENAMETOOLONG;
	else if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1 &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		errno = 0;
	if (errno != 0) {
		diag(ctx, none, M(CONSOLE_CONNECT), name, sock,
		    strerror(errno));
		goto done;
	}
	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		fprintf(stderr, "vmc: %s's console; ~. leaves\r\n", name);
		signal(SIGHUP, on_signal);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGQUIT, on_signal);
		t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = relay(fd, tty);
	restore();
	if (tty)
		fprintf(stderr, "\r\nvmc: left %s's console\n", name);
	if (rc == -1)
		diag(ctx, none, M(CONSOLE_LOST), name, strerror(errno));
done:
	if (fd != -1)
		close(fd);
	if (lock != -1)
		close(lock);
	free(sock);
	record_free(&man);
	diag_flush(ctx);
	return ctx_status(ctx);
}
