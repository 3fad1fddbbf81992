/*
 * libFuzzer harness: one input is a profile, optionally followed by
 * more files, each after a marker line of its own:
 *
 *	%%host		the host description (default: a built-in Intel Mac)
 *	%%inc		inc.ini, for "include = inc.ini"
 *	%%vm2		a second profile, vm2.ini, built in the same fleet
 *
 * The files are written to a directory of this process (the reader
 * reads files) that also holds disk.qcow2 and disk.img, then go
 * through the pipeline of "vmc check" (compile.c), and each valid VM
 * through both emitters.
 * The host description is also printed as "vmc host" would.
 * Besides the sanitizers, the harness checks that every argument
 * survives shell quoting, every option value QEMU quoting and every
 * plist string XML quoting, and that a plist holds no control
 * characters and is valid UTF-8.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../compiler/vmc.h"

#define RUNDIR	"/vmc"

static const char default_host[] =
    "[host]\nos = macos\narch = x86_64\ncpus = 8\nmemory = 16G\n"
    "[interface.lo0]\naddress = 127.0.0.1/8\nloopback = yes\n"
    "[interface.en0]\naddress = 192.168.1.20/24\n"
    "[interface.en1]\naddress = 10.0.0.5/16\nup = no\n"
    "[qemu]\nx86_64 = /usr/local/bin/qemu-system-x86_64\n"
    "aarch64 = /usr/local/bin/qemu-system-aarch64\n"
    "firmware-aarch64 = /usr/local/share/qemu/edk2-aarch64-code.fd\n";

static char	 dir[4096];
static FILE	*devnull;

static void
cleanup(void)
{
	static const char *const files[] = { "vm.ini", "vm2.ini", "inc.ini",
	    "host", "disk.qcow2", "disk.img" };
	char	 path[4200];
	size_t	 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
put(const char *name, const void *p, size_t n)
{
	char	 path[4200];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    (n > 0 && write(fd, p, n) != (ssize_t)n) || close(fd) == -1) {
		perror(path);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp;

	(void)argc;
	(void)argv;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/vmc-fuzz-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	atexit(cleanup);
	if ((devnull = fopen("/dev/null", "w")) == NULL) {
		perror("/dev/null");
		abort();
	}
	put("disk.qcow2", "QFI\xfb\0\0\0\3", 8);
	put("disk.img", "\0\0\0\0\0\0\0\0", 8);
	return 0;
}

/*
 * The length of the next part of the input: up to a marker line or the
 * end.  *word names the file after the marker, *skip is its length.
 */
static size_t
part(const uint8_t *p, size_t n, const char **word, size_t *skip)
{
	static const char *const marks[][2] = { { "%%host\n", "host" },
	    { "%%inc\n", "inc.ini" }, { "%%vm2\n", "vm2.ini" } };
	size_t	 i, j, len;

	*word = NULL;
	*skip = 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && p[i - 1] != '\n')
			continue;
		for (j = 0; j < 3; j++) {
			len = strlen(marks[j][0]);
			if (n - i >= len && memcmp(p + i, marks[j][0], len) == 0) {
				*word = marks[j][1];
				*skip = len;
				return i;
			}
		}
	}
	return n;
}

/* Reads a word back as sh would: bare safe characters or '...' and \'. */
static void
check_sh(const char *s)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
	struct buf	 q = { NULL, 0, 0 }, u = { NULL, 0, 0 };
	const char	*p;

	quote_sh(&q, s);
	buf_add(&u, "", 0);
	for (p = q.p; *p != '\0'; p++) {
		if (*p == '\'') {
			for (p++; *p != '\'' && *p != '\0'; p++)
				buf_add(&u, p, 1);
			if (*p == '\0')
				abort();	/* unterminated quote */
		} else if (*p == '\\' && p[1] != '\0')
			buf_add(&u, ++p, 1);
		else if (strchr(safe, *p) != NULL)
			buf_add(&u, p, 1);
		else
			abort();	/* a character sh would interpret */
	}
	if (strcmp(u.p, s) != 0)
		abort();
	buf_free(&q);
	buf_free(&u);
}

/* A value QEMU would split into more than one option. */
static void
check_qemu(const char *s)
{
	struct buf	 q = { NULL, 0, 0 }, u = { NULL, 0, 0 };
	const char	*p;

	quote_qemu(&q, s);
	buf_add(&u, "", 0);
	for (p = q.p; *p != '\0'; p++) {
		if (*p == ',' && *++p != ',')
			abort();
		buf_add(&u, p, 1);
	}
	if (strcmp(u.p, s) != 0)
		abort();
	buf_free(&q);
	buf_free(&u);
}

static void
check_xml(const char *s)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;",
	    "&apos;" };
	struct buf	 q = { NULL, 0, 0 }, u = { NULL, 0, 0 };
	const char	*p;
	size_t		 i;

	quote_xml(&q, s);
	buf_add(&u, "", 0);
	for (p = q.p; *p != '\0'; p++) {
		if (*p == '<' || *p == '>')
			abort();
		if (*p != '&') {
			buf_add(&u, p, 1);
			continue;
		}
		for (i = 0; i < 5; i++)
			if (strncmp(p, ent[i], strlen(ent[i])) == 0)
				break;
		if (i == 5)
			abort();
		buf_add(&u, &"&<>\"'"[i], 1);
		p += strlen(ent[i]) - 1;
	}
	if (strcmp(u.p, s) != 0)
		abort();
	buf_free(&q);
	buf_free(&u);
}

static void
check_outputs(const struct vm *vm)
{
	struct buf	 sh = { NULL, 0, 0 }, pl = { NULL, 0, 0 };
	struct argv	 a;
	const unsigned char *p;
	size_t		 i;

	qemu_argv(vm, &a);
	for (i = 0; i < a.n; i++)
		check_sh(a.v[i]);
	argv_free(&a);
	check_qemu(vm->name);
	check_qemu(vm->imagepath);
	check_qemu(vm->qmp);
	if (val_ok(&vm->seed))
		check_qemu(vm->seed.s);
	if (vm->fwpath != NULL)
		check_qemu(vm->fwpath);
	if (vm->varspath != NULL)
		check_qemu(vm->varspath);
	if (vm->seeddir != NULL)
		check_qemu(vm->seeddir);
	/* The seed's own files: text, with no NUL byte (user-data aside). */
	for (i = 0; vm->seeddir != NULL && seed_files[i] != NULL; i++) {
		emit_seed(vm, i, &sh);
		if (sh.len > 0 && strcmp(seed_files[i], "user-data") != 0 &&
		    (strlen(sh.p) != sh.len || !utf8_valid(sh.p)))
			abort();
		sh.len = 0;
	}
	check_xml(vm->label.s);
	check_xml(vm->script);
	check_xml(vm->logpath);
	check_xml(vm->user.s);
	emit_sh(vm, &sh);
	emit_plist(vm, &pl);
	if (strlen(sh.p) != sh.len || strlen(pl.p) != pl.len)
		abort();	/* a NUL byte in the output */
	for (p = (const unsigned char *)pl.p; *p != '\0'; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			abort();
	if (!utf8_valid(pl.p))
		abort();
	buf_free(&sh);
	buf_free(&pl);
}

static void
each(const struct vm *vm, void *arg)
{
	(void)arg;
	check_outputs(vm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx	 ctx;
	struct host	 host;
	struct run	 run;
	const char	*word, *file;
	char		*args[2];
	char		 path[4200], hostpath[4200];
	size_t		 n, skip, i, nvm = 1;
	int		 havehost = 0;

	n = part(data, size, &word, &skip);
	put("vm.ini", data, n);
	put("inc.ini", "", 0);
	while (word != NULL) {
		data += n + skip;
		size -= n + skip;
		file = word;
		n = part(data, size, &word, &skip);
		put(file, data, n);
		if (strcmp(file, "host") == 0)
			havehost = 1;
		else if (strcmp(file, "vm2.ini") == 0)
			nvm = 2;
	}
	if (!havehost)
		put("host", default_host, sizeof(default_host) - 1);

	/* As "vmc host" prints it. */
	memset(&ctx, 0, sizeof(ctx));
	snprintf(hostpath, sizeof(hostpath), "%s/host", dir);
	if (host_read(&ctx, &host, hostpath) == 0)
		host_print(NULL, &host, devnull);
	host_free(&host);
	ctx_free(&ctx);

	/* As "vmc check" runs it, with every valid VM's outputs checked. */
	for (i = 0; i < nvm; i++)
		args[i] = xasprintf("%s/%s.ini", dir, i == 0 ? "vm" : "vm2");
	memset(&run, 0, sizeof(run));
	run.cmd = CMD_CHECK;
	run.hostfile = hostpath;
	run.rundir = RUNDIR;
	run.args = args;
	run.nargs = nvm;
	run.each = each;
	compile(&ctx, &run);
	ctx_free(&ctx);
	for (i = 0; i < nvm; i++)
		free(args[i]);
	if (nvm == 2) {
		snprintf(path, sizeof(path), "%s/vm2.ini", dir);
		unlink(path);
	}
	return 0;
}
