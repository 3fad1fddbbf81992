#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/*
 * Two records of which files belong to which virtual machine, in one
 * line format:
 *
 *	vmc-index 1			or: vmc-manifest 1
 *	rundir PATH			the index only: the build's -p
 *	profiles HEX			which profiles the build was of (the
 *					manifest: of the last install)
 *	vm NAME LABEL USER		then, for this VM:
 *	run PATH			the record of what runs (emit_sh.c)
 *	console PATH			the serial port's socket
 *	log PATH			the job's log
 *	made DIR			the index only, for a root job: where
 *					its first start makes files
 *	exec PATH			the index only, for a root job: QEMU,
 *					then qemu-img when it makes an overlay
 *	uses r|w PATH			the index only, for a job of another
 *					user: a file QEMU reads or writes
 *	f MODE HASH FILE		a file and the checksum of its bytes
 *	d MODE PATH			the manifest only: a run-time directory
 *	pending				the manifest only: the VM was being
 *					put in place, its old files and new
 *					both listed, its job maybe loaded
 *	fwd PROTO ADDR HPORT GPORT	a user-network forward
 *	mac MODE MAC			a vmnet NIC and its MAC
 *	link NETWORK reconnect|restart	the index only: a card on
 *					socket_vmnet's network, and what its
 *					QEMU does when the daemon restarts
 *	net NETWORK LABEL GROUP		after the VMs: the daemon of a
 *					network and its socket's group, then
 *					its exec and its plist
 *	end COUNT			the number of VMs and networks
 *
 * The index, OUTDIR/.vmc-index, is what a build wrote: FILE is a name
 * in OUTDIR.  The manifest is what an install put in place: FILE is an
 * absolute path on the target.  install.c runs as root on what these
 * say, so the reader accepts exactly what the writers write and
 * nothing else.  The checksum (FNV-1a, 64 bits) tells apart versions
 * of a file; it is no defence against someone who can write OUTDIR,
 * who decides what is installed anyway.
 */

/* Appends the lines that say what a VM is and how to reach it. */
void
index_vm(struct buf *b, const struct vm *vm)
{
	char	*dir;
	size_t	 i, j;

	buf_printf(b, "vm %s %s %s\n", vm->name, vm->label.s, vm->user.s);
	buf_printf(b, "run %s\nconsole %s\nlog %s\n", vm->runfile,
	    vm->console, vm->logpath);
	/* For install to check what root will run and write in. */
	if (vm->vmdir == NULL && (vm->qemuimg != NULL || vm->varspath != NULL)) {
		dir = path_dir(vm->imagepath);
		buf_printf(b, "made %s\n", dir);
		free(dir);
	}
	if (vm->vmdir == NULL && vm->qemupath != NULL)
		buf_printf(b, "exec %s\n", vm->qemupath);
	if (vm->vmdir == NULL && vm->qemuimg != NULL)
		buf_printf(b, "exec %s\n", vm->qemuimg);
	/* For install to check what another user's QEMU opens. */
	if (vm->vmdir != NULL) {
		buf_printf(b, "uses w %s\n", vm->imagepath);
		if (vm->basepath != NULL)
			buf_printf(b, "uses r %s\n", vm->basepath);
		for (i = 0; i < vm->ndisk; i++)
			if (vm->disk[i].path != NULL)
				buf_printf(b, "uses %c %s\n",
				    vm->disk[i].cdrom ? 'r' : 'w',
				    vm->disk[i].path);
		if (vm->varspath != NULL)
			buf_printf(b, "uses w %s\n", vm->varspath);
	}
	reach_lines(b, vm);
	for (i = 0; i < vm->nnic; i++) {
		if (vm->nic[i].netid == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (vm->nic[j].netid != NULL &&
			    strcmp(vm->nic[j].netid, vm->nic[i].netid) == 0)
				break;
		if (j == i)
			buf_printf(b, "link %s %s\n", vm->nic[i].netid,
			    vm->qemuversion < QEMU_RECONNECT ? "restart" :
			    "reconnect");
	}
}

/* A network's daemon: root runs socket_vmnet. */
void
index_net(struct buf *b, const struct netd *d)
{
	buf_printf(b, "net %s %s %s\nexec %s\n", d->m->id, d->label, d->group,
	    d->program);
}

void
index_file(struct buf *b, const char *name, int mode, uint64_t hash)
{
	buf_printf(b, "f %o %016" PRIx64 " %s\n", mode, hash, name);
}

/* A label, a user or a file name in OUTDIR: no path, nothing hidden. */
static int
good_word(const char *s)
{
	return check_word(s, "._-") == 0 && s[0] != '.' && s[0] != '-';
}

/* A file in OUTDIR: a name, or a name in a directory of it (a seed). */
static int
good_file(const char *s)
{
	const char	*slash;
	char		*dir;
	int		 ok;

	if ((slash = strchr(s, '/')) == NULL)
		return good_word(s);
	dir = xasprintf("%.*s", (int)(slash - s), s);
	ok = good_word(dir) && good_word(slash + 1);
	free(dir);
	return ok;
}

/* An absolute path without "." or ".." components or empty ones. */
static int
good_path(const char *s)
{
	const char	*p;
	size_t		 n;

	if (s[0] != '/' || !utf8_valid(s))
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	if (strcmp(s, "/") == 0)
		return 1;
	for (p = s + 1;; p += n + 1) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (p[n] == '\0')
			return 1;
	}
}

static int
good_mac(const char *s)
{
	uint64_t	 mac;

	return strlen(s) == 17 && parse_mac(s, &mac) == 0;
}

static int
good_num(const char *s, uint64_t max)
{
	uint64_t	 n;
	enum msgid	 why;

	return parse_num(s, 0, max, &n, &why) == 0;
}

/* Splits line into at most max words at single spaces. */
static size_t
split(char *line, char **w, size_t max)
{
	size_t	 n = 0;

	while (n < max) {
		w[n++] = line;
		if (n == max || (line = strchr(line, ' ')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static struct recvm *
add_vm(struct record *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->vm = xreallocarray(r->vm, r->cap, sizeof(*r->vm));
	}
	memset(&r->vm[r->n], 0, sizeof(*r->vm));
	return &r->vm[r->n++];
}

void
recvm_addfile(struct recvm *v, const char *path, int mode, uint64_t hash)
{
	v->f = xreallocarray(v->f, v->nf + 1, sizeof(*v->f));
	v->f[v->nf].path = xstrdup(path);
	v->f[v->nf].mode = mode;
	v->f[v->nf++].hash = hash;
}

static void
add_reach(struct recvm *v, const char *line)
{
	v->reach = xreallocarray(v->reach, v->nreach + 1, sizeof(*v->reach));
	v->reach[v->nreach++] = xstrdup(line);
}

/* One line of a record; 0 when it is not one vmc writes. */
static int
parse_line(struct record *r, int kind, char *line)
{
	struct recvm	*v = r->n > 0 ? &r->vm[r->n - 1] : NULL;
	char		*w[5], *copy, *end;
	unsigned long	 mode;
	uint64_t	 hash;
	size_t		 n;

	copy = xstrdup(line);
	n = split(line, w, 5);
	if (strcmp(w[0], "vm") == 0 && n == 4 && check_vmname(w[1]) == 0 &&
	    good_word(w[2]) && good_word(w[3])) {
		v = add_vm(r);
		v->name = xstrdup(w[1]);
		v->label = xstrdup(w[2]);
		v->user = xstrdup(w[3]);
	} else if (strcmp(w[0], "net") == 0 && n == 4 && good_word(w[1]) &&
	    good_word(w[2]) && good_word(w[3])) {
		v = add_vm(r);
		v->name = xasprintf(NET_NAME "%s", w[1]);
		v->label = xstrdup(w[2]);
		v->user = xstrdup("root");
		v->group = xstrdup(w[3]);
		v->net = 1;
	} else if (v == NULL) {
		n = 0;
	} else if (strcmp(w[0], "f") == 0 && n >= 4) {
		/* A file name may hold spaces only in the manifest. */
		if ((line = strchr(copy + 2, ' ')) == NULL ||
		    (line = strchr(line + 1, ' ')) == NULL)
			n = 0;
		else
			w[3] = line + 1;
		mode = strtoul(w[1], &end, 8);
		hash = strlen(w[2]) == 16 ? strtoull(w[2], &end, 16) : 0;
		if (n == 0 || (mode != 0755 && mode != 0644) || *end != '\0' ||
		    hash == 0 || (kind == REC_INDEX ? !good_file(w[3]) :
		    !good_path(w[3])))
			n = 0;
		else
			recvm_addfile(v, w[3], mode, hash);
	} else if (strcmp(w[0], "d") == 0 && kind == REC_MANIFEST &&
	    n >= 3 && strcmp(w[1], "700") == 0 &&
	    good_path(copy + 6) && v->dir == NULL) {
		v->dir = xstrdup(copy + 6);
	} else if (strcmp(w[0], "run") == 0 && n >= 2 &&
	    good_path(copy + 4) && v->run == NULL) {
		v->run = xstrdup(copy + 4);
	} else if (strcmp(w[0], "console") == 0 && n >= 2 &&
	    good_path(copy + 8) && v->console == NULL) {
		v->console = xstrdup(copy + 8);
	} else if (strcmp(w[0], "log") == 0 && n >= 2 &&
	    good_path(copy + 4) && v->log == NULL) {
		v->log = xstrdup(copy + 4);
	} else if (strcmp(w[0], "pending") == 0 && kind == REC_MANIFEST &&
	    n == 1) {
		v->pending = 1;
	} else if (strcmp(w[0], "made") == 0 && kind == REC_INDEX &&
	    n >= 2 && good_path(copy + 5) && v->made == NULL) {
		v->made = xstrdup(copy + 5);
	} else if (strcmp(w[0], "exec") == 0 && kind == REC_INDEX &&
	    n >= 2 && good_path(copy + 5) && v->exec[1] == NULL) {
		v->exec[v->exec[0] != NULL] = xstrdup(copy + 5);
	} else if (strcmp(w[0], "link") == 0 && kind == REC_INDEX && n == 3 &&
	    !v->net && good_word(w[1]) && (strcmp(w[2], "reconnect") == 0 ||
	    strcmp(w[2], "restart") == 0)) {
		v->links = xreallocarray(v->links, v->nlinks + 1,
		    sizeof(*v->links));
		v->links[v->nlinks].net = xstrdup(w[1]);
		v->links[v->nlinks++].restart = strcmp(w[2], "restart") == 0;
	} else if (strcmp(w[0], "uses") == 0 && kind == REC_INDEX && n >= 3 &&
	    (strcmp(w[1], "r") == 0 || strcmp(w[1], "w") == 0) &&
	    good_path(copy + 7)) {
		v->uses = xreallocarray(v->uses, v->nuses + 1,
		    sizeof(*v->uses));
		v->uses[v->nuses++] = xstrdup(copy + 5);
	} else if (strcmp(w[0], "fwd") == 0 && n == 5 &&
	    (strcmp(w[1], "tcp") == 0 || strcmp(w[1], "udp") == 0) &&
	    parse_ipv4(w[2], &(uint32_t){ 0 }) == 0 &&
	    good_num(w[3], 65535) && good_num(w[4], 65535)) {
		add_reach(v, copy);
	} else if (strcmp(w[0], "mac") == 0 && n == 3 &&
	    (strcmp(w[1], "vmnet-shared") == 0 ||
	    strcmp(w[1], "vmnet-host") == 0 ||
	    strcmp(w[1], "vmnet-bridged") == 0) && good_mac(w[2])) {
		add_reach(v, copy);
	} else
		n = 0;
	free(copy);
	return n != 0;
}

/*
 * Reads a record.  0 on success, -1 when the file does not exist (r
 * is then empty), -2 when it cannot be read or is not one vmc writes,
 * after a diagnostic unless ctx is NULL.
 */
int
record_read(struct ctx *ctx, const char *path, int kind, struct record *r)
{
	const char	*magic = kind == REC_INDEX ? "vmc-index 1" :
			    "vmc-manifest 1";
	struct stat	 st;
	struct loc	 at = { NULL, 0 };
	char		*line = NULL, *p;
	size_t		 cap = 0, count;
	ssize_t		 len;
	FILE		*fp;
	int		 fd, ok = 0, ended = 0;

	memset(r, 0, sizeof(*r));
	if (ctx != NULL)
		at.file = intern(ctx, path);
	if ((fd = path_open(AT_FDCWD, path, 1, &st)) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		if (fd == -1 && errno == ENOENT)
			return -1;
		if (ctx != NULL)
			diag(ctx, at, M(INDEX_READ),
			    errno == 0 ? "not a regular file" : strerror(errno));
		if (fd != -1)
			close(fd);
		return -2;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		at.line++;
		if (line[len - 1] != '\n' || ended)
			break;
		line[len - 1] = '\0';
		if (at.line == 1) {
			if (strcmp(line, magic) != 0)
				break;
		} else if (strncmp(line, "rundir ", 7) == 0 && at.line == 2 &&
		    kind == REC_INDEX && good_path(line + 7)) {
			r->rundir = xstrdup(line + 7);
		} else if (strncmp(line, "profiles ", 9) == 0 &&
		    at.line == (kind == REC_INDEX ? 3 : 2) &&
		    strlen(line + 9) == 16 &&
		    strspn(line + 9, "0123456789abcdef") == 16) {
			r->profiles = xstrdup(line + 9);
		} else if (strncmp(line, "end ", 4) == 0) {
			count = strtoul(line + 4, &p, 10);
			if (*p != '\0' || count != r->n)
				break;
			ended = 1;
		} else if (!parse_line(r, kind, line))
			break;
		else if (kind == REC_INDEX && r->rundir == NULL)
			break;
	}
	ok = ended && len == -1 && !ferror(fp);
	if (ctx == NULL)
		;
	else if (ferror(fp))
		diag(ctx, at, M(INDEX_READ), strerror(errno));
	else if (!ok)
		diag(ctx, at, M(INDEX_BAD),
		    kind == REC_INDEX ? "build index" : "manifest");
	free(line);
	fclose(fp);
	if (!ok) {
		record_free(r);
		return -2;
	}
	return 0;
}

void
record_write(struct buf *b, const struct record *r)
{
	const struct recvm	*v;
	size_t			 i, j;

	buf_puts(b, "vmc-manifest 1\n");
	if (r->profiles != NULL)
		buf_printf(b, "profiles %s\n", r->profiles);
	for (i = 0; i < r->n; i++) {
		v = &r->vm[i];
		if (v->net)
			buf_printf(b, "net %s %s %s\n",
			    v->name + strlen(NET_NAME), v->label,
			    v->group);
		else
			buf_printf(b, "vm %s %s %s\n", v->name, v->label,
			    v->user);
		if (v->pending)
			buf_puts(b, "pending\n");
		if (v->run != NULL)
			buf_printf(b, "run %s\n", v->run);
		if (v->console != NULL)
			buf_printf(b, "console %s\n", v->console);
		if (v->log != NULL)
			buf_printf(b, "log %s\n", v->log);
		for (j = 0; j < v->nf; j++)
			index_file(b, v->f[j].path, v->f[j].mode,
			    v->f[j].hash);
		if (v->dir != NULL)
			buf_printf(b, "d 700 %s\n", v->dir);
		for (j = 0; j < v->nreach; j++)
			buf_printf(b, "%s\n", v->reach[j]);
	}
	buf_printf(b, "end %zu\n", r->n);
}

void
recvm_free(struct recvm *v)
{
	size_t	 i;

	free(v->name);
	free(v->label);
	free(v->user);
	free(v->group);
	free(v->dir);
	free(v->run);
	free(v->console);
	free(v->log);
	free(v->made);
	free(v->exec[0]);
	free(v->exec[1]);
	for (i = 0; i < v->nf; i++)
		free(v->f[i].path);
	free(v->f);
	for (i = 0; i < v->nreach; i++)
		free(v->reach[i]);
	free(v->reach);
	for (i = 0; i < v->nlinks; i++)
		free(v->links[i].net);
	free(v->links);
	for (i = 0; i < v->nuses; i++)
		free(v->uses[i]);
	free(v->uses);
	memset(v, 0, sizeof(*v));
}

struct recvm *
recvm_dup(const struct recvm *v)
{
	struct recvm	*c;
	size_t		 i;

	if (v == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(v->name);
	c->label = xstrdup(v->label);
	c->user = xstrdup(v->user);
	c->dir = v->dir != NULL ? xstrdup(v->dir) : NULL;
	c->run = v->run != NULL ? xstrdup(v->run) : NULL;
	c->console = v->console != NULL ? xstrdup(v->console) : NULL;
	c->log = v->log != NULL ? xstrdup(v->log) : NULL;
	c->pending = v->pending;
	c->net = v->net;
	c->group = v->group != NULL ? xstrdup(v->group) : NULL;
	for (i = 0; i < v->nf; i++)
		recvm_addfile(c, v->f[i].path, v->f[i].mode, v->f[i].hash);
	for (i = 0; i < v->nreach; i++)
		add_reach(c, v->reach[i]);
	return c;
}

void
record_free(struct record *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		recvm_free(&r->vm[i]);
	free(r->vm);
	free(r->rundir);
	free(r->profiles);
	memset(r, 0, sizeof(*r));
}

/* The VM of this name, or NULL. */
struct recvm *
record_find(const struct record *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->vm[i].name, name) == 0)
			return &r->vm[i];
	return NULL;
}
