#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/* Other programs, run and waited for. */

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
	int	 fds[2], st;

	out->len = 0;
	fflush(stdout);
	if (pipe(fds) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
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
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0)
		if (n > 0)
			buf_add(out, chunk, n);
		else if (errno != EINTR)
			break;
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	buf_add(out, "", 1);
	out->len--;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}
