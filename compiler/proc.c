#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/* Other programs, run and waited for. */

/*
 * Starts argv[0] with the rest as arguments, its standard output and
 * error into a pipe; the pipe's reading end, or -1 when it cannot be
 * started.
 */
static int
spawn(char *const argv[], pid_t *pid)
{
	int	 fds[2];

	fflush(stdout);
	if (pipe(fds) == -1)
		return -1;
	if ((*pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (*pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], 1) == -1 || dup2(fds[1], 2) == -1)
			_exit(127);
		/* Only as its output: a daemon it leaves behind must not
		 * hold the pipe, or the read below would wait for it. */
		if (fds[1] > 2)
			close(fds[1]);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	return fds[0];
}

/* Its exit status, 128 + the signal that ended it, or -1. */
static int
reap(int fd, pid_t pid)
{
	int	 st;

	close(fd);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/*
 * Runs argv[0] with the rest as arguments; its standard output and
 * error are collected in out.  Returns its exit status, 128 + the
 * signal that ended it, or -1 when it cannot be started.
 */
int
run(char *const argv[], struct buf *out)
{
	char	 chunk[4096];
	ssize_t	 n;
	pid_t	 pid;
	int	 fd, rc;

	out->len = 0;
	if ((fd = spawn(argv, &pid)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0)
		if (n > 0)
			buf_add(out, chunk, n);
		else if (errno != EINTR)
			break;
	rc = reap(fd, pid);
	buf_add(out, "", 1);
	out->len--;
	return rc;
}

/*
 * As run, but what it prints is handed to each, a line at a time
 * (without its newline), as it comes: however much it prints, only a
 * line is held.  Lines longer than LINE_MAX are skipped.
 */
int
run_lines(char *const argv[], void (*each)(const char *, void *),
    void *arg)
{
	char	 chunk[4096], line[LINE_MAX];
	ssize_t	 n, i;
	size_t	 len = 0;
	pid_t	 pid;
	int	 fd, skip = 0;

	if ((fd = spawn(argv, &pid)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				line[len] = '\0';
				if (!skip)
					each(line, arg);
				len = 0;
				skip = 0;
			} else if (len + 1 < sizeof(line))
				line[len++] = chunk[i];
			else
				skip = 1;
		}
	}
	if (len > 0 && !skip) {
		line[len] = '\0';
		each(line, arg);
	}
	return reap(fd, pid);
}
