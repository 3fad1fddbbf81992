#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"
#include "fleet.h"

/*
 * The pipeline behind vmc check, show and build, shared by main.c and
 * the fuzzer: the host, then each profile named read, modelled and
 * validated in turn, then the set checked as a whole.  A build writes
 * each valid VM's files as it goes and commits them all at the end.
 */

/* The profiles named on the command line, in order. */
struct fleet {
	char		**path;
	size_t		 n, cap;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_profile(struct fleet *f, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->path = xreallocarray(f->path, f->cap, sizeof(*f->path));
	}
	f->path[f->n++] = xstrdup(path);
}

/* Adds name to a growing list. */
static void
push(char ***names, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*names = xreallocarray(*names, *cap, sizeof(**names));
	}
	(*names)[(*n)++] = xstrdup(name);
}

/* Whether a directory holds a name that ends in .ini, in any case. */
static int
holds_ini(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 found = 0;

	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		found = de->d_name[0] != '.' &&
		    path_has_suffix_case(de->d_name, ".ini");
	closedir(d);
	return found;
}

/*
 * A directory means every *.ini directly inside it, in byte order; the
 * subdirectories that hold profiles, and names ending in another case
 * of .ini, are said to be skipped.
 */
static void
add_dir(struct ctx *ctx, struct fleet *f, const char *path)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		**names = NULL, **skip = NULL, *p;
	size_t		 n = 0, cap = 0, nskip = 0, capskip = 0, i;
	int		 dir;

	if ((d = opendir(path)) == NULL) {
		diag(ctx, (struct loc){ path, 0 }, M(DIR_UNREADABLE),
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* d_type spares a stat where the file system fills it. */
		dir = de->d_type == DT_DIR;
		if (de->d_type != DT_REG && de->d_type != DT_DIR) {
			p = path_join(path, de->d_name);
			dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
			free(p);
		}
		if (!dir && path_has_suffix(de->d_name, ".ini"))
			push(&names, &n, &cap, de->d_name);
		else if (path_has_suffix_case(de->d_name, ".ini"))
			push(&skip, &nskip, &capskip, de->d_name);
		else if (dir) {
			p = path_join(path, de->d_name);
			if (holds_ini(p))
				push(&skip, &nskip, &capskip, de->d_name);
			free(p);
		}
	}
	closedir(d);
	if (n == 0)
		diag(ctx, (struct loc){ path, 0 }, M(NO_PROFILES));
	if (nskip > 0)
		qsort(skip, nskip, sizeof(*skip), cmp_str);
	for (i = 0; i < nskip; i++) {
		p = path_join(path, skip[i]);
		diag(ctx, (struct loc){ intern(ctx, p), 0 }, M(SKIPPED));
		free(p);
		free(skip[i]);
	}
	free(skip);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		p = path_join(path, names[i]);
		add_profile(f, p);
		free(p);
		free(names[i]);
	}
	free(names);
}

static void
collect(struct ctx *ctx, struct fleet *f, const struct run *run)
{
	struct stat	 st;
	const char	*arg;
	size_t		 i;
	int		 rc;

	for (i = 0; i < run->nargs; i++) {
		arg = run->args[i];
		if (run->cmd == CMD_SHOW && !path_has_suffix(arg, ".ini"))
			diag(ctx, (struct loc){ arg, 0 }, M(SHOW_NOT_INI));
		else if (run->cmd == CMD_SHOW)
			add_profile(f, arg);
		else if ((rc = stat(arg, &st)) == 0 && S_ISDIR(st.st_mode))
			add_dir(ctx, f, arg);
		else if (rc == -1 && errno != ENOENT &&
		    !path_has_suffix(arg, ".ini"))
			/* e.g. a symbolic link loop: say what it is */
			diag(ctx, (struct loc){ arg, 0 }, M(FILE_READ), arg,
			    strerror(errno));
		else if (!path_has_suffix(arg, ".ini"))
			diag(ctx, (struct loc){ arg, 0 }, M(NOT_PROFILE));
		else
			add_profile(f, arg);
	}
}

/* The run directory of -p (or of a fleet's host), or -1 after a
 * diagnostic. */
int
rundir_check(struct ctx *ctx, struct loc at, const char *rundir)
{
	enum msgid	 why;
	char		*vis, *clean;
	int		 rc = -1;

	/* It reaches the plist, which must stay XML. */
	vis = diag_vis(rundir);
	clean = path_clean("/", rundir);
	if (rundir[0] != '/')
		diag(ctx, at, M(RUNDIR_RELATIVE), vis);
	else if (text_check(rundir, &why) != 0)
		diag(ctx, at, M(RUNDIR_UNPRINTABLE), vis);
	/* Installs compare it as written: one spelling for one place. */
	else if (strcmp(clean, rundir) != 0)
		diag(ctx, at, M(RUNDIR_FORM), vis, clean);
	else
		rc = 0;
	free(clean);
	free(vis);
	return rc;
}

/*
 * Reads the profile at path (NAME.ini), models it, derives its layout,
 * resolves what it names and validates it against ctx->host.  The VM is returned even when invalid: ctx counts errors.
 */
struct vm *
vm_load(struct ctx *ctx, const char *path, const struct run *run)
{
	struct vm	*vm;
	const char	*base;
	char		*vis;

	vm = xcalloc(1, sizeof(*vm));
	vm->path = xstrdup(path);
	vm->at.file = intern(ctx, path);
	base = strrchr(path, '/');
	base = base == NULL ? path : base + 1;
	vm->name = xasprintf("%.*s", (int)(strlen(base) - 4), base);
	if (check_vmname(vm->name) == -1) {
		vis = diag_vis(vm->name);
		diag(ctx, vm->at, M(VM_NAME), vis);
		free(vis);
		return vm;
	}
	if (doc_read(ctx, &vm->doc, vm->path, vm->name) == -1 &&
	    vm->doc.n == 0 && vm->doc.nsect == 0)
		return vm;
	vm_model(ctx, vm);
	vm_derive(vm, ctx->host, run->rundir);
	if (vm_resolve(ctx, vm, run->rundir, run->rundir_given) == 0)
		vm_validate(ctx, vm);
	return vm;
}

/* One setting of the job, as show prints it. */
static void
show_setting(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, "%s = ", key);
	quote_vis(b, value, 0);
	buf_puts(b, "\n");
}

/*
 * The QEMU command line of a VM, as a shell would take it, then the
 * job launchd runs, then the files of its seed, each after a header
 * as head(1) prints them.
 */
static void
show(const struct vm *vm)
{
	struct argv	 a;
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;

	qemu_argv(vm, &a);
	for (i = 0; i < a.n; i++) {
		if (i > 0)
			buf_puts(&b, " ");
		quote_sh(&b, a.v[i]);
	}
	printf("%s\n", b.p);
	b.len = 0;
	buf_printf(&b, "\n==> %s <==\n", "job");
	show_setting(&b, "label", vm->label.s);
	show_setting(&b, "script", vm->script);
	show_setting(&b, "user", vm->user.s);
	show_setting(&b, "autostart", vm->autostart.n ? "yes" : "no");
	show_setting(&b, "restart", vm->restart.s);
	show_setting(&b, "stop-timeout", vm->stoptimeout.s);
	show_setting(&b, "log", vm->logpath);
	show_setting(&b, "qmp", vm->qmp);
	show_setting(&b, "console", vm->console);
	show_setting(&b, "restart-marker", vm->marker);
	if (vm->vmdir != NULL)
		show_setting(&b, "run-directory", vm->vmdir);
	fwrite(b.p, 1, b.len, stdout);
	for (i = 0; vm->seeddir != NULL && seed_files[i] != NULL; i++) {
		b.len = 0;
		emit_seed(vm, i, &b);
		printf("\n==> %s" SEED_DIR "/%s <==\n", vm->name, seed_files[i]);
		if (b.len > 0)
			fwrite(b.p, 1, b.len, stdout);
	}
	buf_free(&b);
	argv_free(&a);
}

/*
 * Writes a VM's script and plist to temporary files in the output, and
 * notes every look its build took.
 */
static void
emit(struct output *out, const struct vm *vm)
{
	struct buf	 sh = { NULL, 0, 0 }, plist = { NULL, 0, 0 };
	struct buf	 seed[SEED_FILES] = { { NULL, 0, 0 } };
	uint64_t	 config;
	char		*name;
	size_t		 i, nseed = 0;
	int		 rc;

	output_vm(out, vm);
	for (i = 0; i < vm->doc.looks.n; i++)
		output_note(out, &vm->doc.looks.v[i]);

	/* What QEMU runs: the script and the seed, whose checksum the
	 * script holds for vmc status to tell a restart pending.  (A new
	 * plist makes install reload the job anyway.) */
	emit_sh(vm, &sh);
	emit_plist(vm, &plist);
	config = hash_buf(sh.p, sh.len);
	for (i = 0; vm->seeddir != NULL && seed_files[i] != NULL; i++) {
		buf_add(&seed[i], "", 0);	/* an empty file has a p too */
		emit_seed(vm, i, &seed[i]);
		config = hash_add(config, seed[i].p, seed[i].len);
		nseed = i + 1;
	}
	emit_sh_config(&sh, config);

	name = xasprintf("%s.sh", vm->name);
	rc = output_add(out, name, &sh, 0755);
	free(name);
	if (rc == 0) {
		name = xasprintf("%s.plist", vm->label.s);
		rc = output_add(out, name, &plist, 0644);
		free(name);
	}
	/* The seed directory, which the script names in its run directory. */
	for (i = 0; rc == 0 && i < nseed; i++) {
		name = xasprintf("%s" SEED_DIR "/%s", vm->name, seed_files[i]);
		rc = output_add(out, name, &seed[i], 0644);
		free(name);
	}
	for (i = 0; i < nseed; i++)
		buf_free(&seed[i]);
	buf_free(&sh);
	buf_free(&plist);
}

/* Writes a network's daemon plist, after the VMs on it. */
static void
emit_net(struct output *out, const struct netd *d)
{
	struct buf	 plist = { NULL, 0, 0 };
	char		*name;

	emit_net_plist(d, &plist);
	output_net(out, d);
	name = xasprintf("%s.plist", d->label);
	output_add(out, name, &plist, 0644);
	free(name);
	buf_free(&plist);
}

/*
 * Where a build's profiles come from, as one number: the checksum of
 * the last names of the directories and files it was given (as their
 * real paths end), in order, so that a profile added to or removed from
 * a directory keeps it, and a build stays the same wherever its
 * directory is.  The index carries it, and install compares it with the
 * last install's before it removes VMs.
 */
static uint64_t
profile_set(const struct run *run)
{
	char		**real, *p;
	uint64_t	 h = HASH_INIT;
	size_t		 i, n = run->nargs;

	real = xcalloc(n, sizeof(*real));
	for (i = 0; i < n; i++) {
		if ((p = realpath(run->args[i], NULL)) == NULL)
			p = xstrdup(run->args[i]);
		real[i] = xstrdup(strrchr(p, '/') != NULL ?
		    strrchr(p, '/') + 1 : p);
		free(p);
	}
	qsort(real, n, sizeof(*real), cmp_str);
	for (i = 0; i < n; i++) {
		h = hash_add(h, real[i], strlen(real[i]) + 1);
		free(real[i]);
	}
	free(real);
	return h;
}

/*
 * One VM at a time: once it is valid, and every one before it, its
 * files go to temporary files and only what the checks across profiles
 * need is kept, so memory does not grow with the outputs.
 */
static void
compile_fleet(struct ctx *ctx, const struct run *run, struct fleet *f,
    uint64_t key)
{
	struct member	*members;
	struct output	*out = NULL;
	struct netd	*nets;
	struct vm	*vm;
	size_t		 i, n = 0, nnet;
	int		 warnings = ctx->warnings, before;

	members = xcalloc(f->n, sizeof(*members));
	for (i = 0; i < f->n; i++) {
		before = ctx->errors;
		vm = vm_load(ctx, f->path[i], run);
		/* The VM has its own copy: a fleet's memory is its members'. */
		free(f->path[i]);
		f->path[i] = NULL;
		diag_flush(ctx);
		/* Checked against the others even when it has errors of
		 * its own: a run reports all its errors. */
		if (val_ok(&vm->label))
			member_init(&members[n++], vm, ctx->errors > before);
		if (ctx->errors == 0) {
			if (run->each != NULL)
				run->each(vm, run->arg);
			if (run->cmd == CMD_SHOW)
				show(vm);
			else if (run->cmd == CMD_BUILD && out == NULL &&
			    (out = output_open(ctx, run->outdir, key,
			    run->start)) != NULL)
				output_profiles(out, profile_set(run));
			/* A failure is counted in ctx by output.c. */
			if (out != NULL && ctx->errors == 0)
				emit(out, vm);
		}
		vm_free(vm);
	}
	fleet_validate(ctx, members, n);
	nnet = nets_validate(ctx, members, n, &nets);
	diag_flush(ctx);
	for (i = 0; out != NULL && ctx->errors == 0 && i < nnet; i++)
		emit_net(out, &nets[i]);
	nets_free(nets, nnet);
	if (out != NULL && ctx->errors > 0)
		output_abort(out);
	else if (out != NULL)
		output_commit(out, ctx->warnings == warnings);
	if (run->lan != NULL) {
		lan_keep(run->lan, ctx->host, members, n);
		return;
	}
	for (i = 0; i < n; i++)
		member_free(&members[i]);
	free(members);
}

int
compile(struct ctx *ctx, const struct run *run)
{
	struct host	 host;
	struct fleet	 fleet = { NULL, 0, 0 };
	uint64_t	 key = 0;
	size_t		 i;
	int		 rc;

	if (run->hostfile != NULL)
		rc = host_read(ctx, &host, run->hostfile);
	else
		rc = host_probe(ctx, &host);
	if (rc == 0) {
		ctx->host = &host;
		collect(ctx, &fleet, run);
		diag_flush(ctx);
		/* Nothing changed since the last clean build: nothing to do. */
		if (run->cmd == CMD_BUILD && ctx->errors == 0)
			key = state_key(&host, run->rundir, fleet.path,
			    fleet.n);
		if (key == 0 || !state_fresh(run->outdir, key))
			compile_fleet(ctx, run, &fleet, key);
		ctx->host = NULL;
	}
	for (i = 0; i < fleet.n; i++)
		free(fleet.path[i]);
	free(fleet.path);
	host_free(&host);
	diag_flush(ctx);
	return ctx_status(ctx);
}
