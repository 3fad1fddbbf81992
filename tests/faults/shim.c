/*
 * An LD_PRELOAD library that makes one call of vmc's output path fail,
 * chosen by the environment:
 *
 *	VMC_FAULT=FUNC:N[:ERRNO[:half]]
 *
 * The Nth call of FUNC (counting from 1) fails with ERRNO (default
 * EIO).  FUNC is one of mkdir, open (of a directory), flock, create
 * (openat with O_CREAT), fchmod, write, close (of a file create made),
 * linkat, renameat (also rename), unlinkat, fsync (also syncfs),
 * malloc (counting only once a file has been created, that is while a
 * build writes; glibc only).  ERRNO SIGKILL kills vmc in that call.
 * With "half", the Nth write writes half its bytes and returns that;
 * the write after it fails.  Later calls succeed again.
 *
 * VMC_TRACE=FILE appends the path of every file opened to FILE.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char	*func;
static long		 nth;
static int		 err = EIO, half, armed, created, tmpfds[1024];

static const struct {
	const char	*name;
	int		 value;
} errnos[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EACCES", EACCES },
	{ "EROFS", EROFS }, { "EDQUOT", EDQUOT }, { "EPERM", EPERM },
	{ "EXDEV", EXDEV }, { "ENOENT", ENOENT }, { "EMFILE", EMFILE },
	{ "ENOMEM", ENOMEM }, { "SIGKILL", -1 },
};

static void
setup(void)
{
	static char	 spec[64];
	const char	*s;
	char		*p, *q;
	size_t		 i;

	if (armed)
		return;
	armed = 1;
	if ((s = getenv("VMC_FAULT")) == NULL || strlen(s) >= sizeof(spec))
		return;
	strcpy(spec, s);
	if ((p = strchr(spec, ':')) == NULL)
		return;
	*p++ = '\0';
	func = spec;
	nth = strtol(p, &q, 10);
	if (*q != ':')
		return;
	p = q + 1;
	if ((q = strchr(p, ':')) != NULL) {
		*q++ = '\0';
		half = strcmp(q, "half") == 0;
	}
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(p, errnos[i].name) == 0)
			err = errnos[i].value;
}

/* 1 when this call of f is the one to fail. */
static int
hit(const char *f)
{
	static long	 count;

	setup();
	if (func == NULL || strcmp(f, func) != 0)
		return 0;
	if (++count != nth)
		return 0;
	if (err == -1)
		raise(SIGKILL);
	return 1;
}

/* Appends path to $VMC_TRACE, opened through the real open. */
static void
trace(int dfd, const char *path)
{
	static int	(*real)(const char *, int, ...);
	const char	*file;
	int		 fd;

	if ((file = getenv("VMC_TRACE")) == NULL)
		return;
	if (real == NULL)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if ((fd = real(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return;
	dprintf(fd, "%s%s\n", dfd == AT_FDCWD ? "" : "@/", path);
	close(fd);
}

/* The mode argument of open(2), present with O_CREAT. */
#define MODE(flags, mode) do {						\
	va_list	 ap;							\
									\
	(mode) = 0;							\
	if ((flags) & O_CREAT) {					\
		va_start(ap, flags);					\
		(mode) = va_arg(ap, int);				\
		va_end(ap);						\
	}								\
} while (0)

#define REAL(fn)							\
	static __typeof__(&fn) real;					\
	if (real == NULL)						\
		real = (__typeof__(&fn))dlsym(RTLD_NEXT, #fn)

int
mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);
	if (hit("mkdir")) {
		errno = err;
		return -1;
	}
	return real(path, mode);
}

static int
do_open(int (*real)(const char *, int, ...), const char *path, int flags,
    mode_t mode)
{
	if ((flags & O_DIRECTORY) && hit("open")) {
		errno = err;
		return -1;
	}
	trace(AT_FDCWD, path);
	return real(path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	mode_t	 mode;

	REAL(open);
	MODE(flags, mode);
	return do_open(real, path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t	 mode;

	REAL(open64);
	MODE(flags, mode);
	return do_open(real, path, flags, mode);
}

int
flock(int fd, int op)
{
	REAL(flock);
	if (hit("flock")) {
		errno = err;
		return -1;
	}
	return real(fd, op);
}

static int
do_openat(int (*real)(int, const char *, int, ...), int dfd,
    const char *path, int flags, mode_t mode)
{
	int	 fd;

	if ((flags & O_CREAT) && hit("create")) {
		errno = err;
		return -1;
	}
	trace(dfd, path);
	fd = real(dfd, path, flags, mode);
	if ((flags & O_CREAT) && fd >= 0 && fd < 1024)
		tmpfds[fd] = created = 1;
	return fd;
}

int
openat(int dfd, const char *path, int flags, ...)
{
	mode_t	 mode;

	REAL(openat);
	MODE(flags, mode);
	return do_openat(real, dfd, path, flags, mode);
}

int
openat64(int dfd, const char *path, int flags, ...)
{
	mode_t	 mode;

	REAL(openat64);
	MODE(flags, mode);
	return do_openat(real, dfd, path, flags, mode);
}

int
fchmod(int fd, mode_t mode)
{
	REAL(fchmod);
	if (hit("fchmod")) {
		errno = err;
		return -1;
	}
	return real(fd, mode);
}

ssize_t
write(int fd, const void *p, size_t n)
{
	static int	 failnext;

	REAL(write);
	if (fd <= 2)
		return real(fd, p, n);
	if (failnext) {
		failnext = 0;
		errno = err;
		return -1;
	}
	if (hit("write")) {
		if (half && n > 1) {
			failnext = 1;
			return real(fd, p, n / 2);
		}
		errno = err;
		return -1;
	}
	return real(fd, p, n);
}

int
close(int fd)
{
	REAL(close);
	if (fd >= 0 && fd < 1024 && tmpfds[fd]) {
		tmpfds[fd] = 0;
		if (hit("close")) {
			/* The descriptor is gone either way, as on NFS. */
			real(fd);
			errno = err;
			return -1;
		}
	}
	return real(fd);
}

int
linkat(int ofd, const char *old, int nfd, const char *new, int flags)
{
	REAL(linkat);
	if (hit("linkat")) {
		errno = err;
		return -1;
	}
	return real(ofd, old, nfd, new, flags);
}

int
renameat(int ofd, const char *old, int nfd, const char *new)
{
	REAL(renameat);
	if (hit("renameat")) {
		errno = err;
		return -1;
	}
	return real(ofd, old, nfd, new);
}

int
rename(const char *old, const char *new)
{
	REAL(rename);
	if (hit("renameat")) {
		errno = err;
		return -1;
	}
	return real(old, new);
}

extern void	*__libc_malloc(size_t);

void *
malloc(size_t n)
{
	if (created && hit("malloc")) {
		errno = err;
		return NULL;
	}
	return __libc_malloc(n);
}

int
unlinkat(int dfd, const char *path, int flags)
{
	REAL(unlinkat);
	if (hit("unlinkat")) {
		errno = err;
		return -1;
	}
	return real(dfd, path, flags);
}

int
fsync(int fd)
{
	REAL(fsync);
	if (hit("fsync")) {
		errno = err;
		return -1;
	}
	return real(fd);
}

/* Counted as fsync: where vmc has it, it stands for the fsyncs. */
int
syncfs(int fd)
{
	REAL(syncfs);
	if (hit("fsync")) {
		errno = err;
		return -1;
	}
	return real(fd);
}
