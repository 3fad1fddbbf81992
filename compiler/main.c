#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vmc build [-o outdir] [-H hostfile] [-p rundir] profile ...\n"
	    "       vmc check [-H hostfile] profile ...\n"
	    "       vmc show [-H hostfile] file.ini\n"
	    "       vmc host\n"
	    "       vmc install [-n] [-r] [-R root] outdir\n"
	    "       vmc uninstall [-n] [-R root] [name ...]\n"
	    "       vmc status [-R root] [name ...]\n"
	    "       vmc -h | -V\n");
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* A control character would make the plist invalid XML. */
static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The profiles named on the command line, in order. */
struct fleet {
	char		**path;
	size_t		 n, cap;
};

static void
add_profile(struct fleet *f, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->path = xreallocarray(f->path, f->cap, sizeof(*f->path));
	}
	f->path[f->n++] = xstrdup(path);
}

static struct vm *
vm_new(struct ctx *ctx, const char *path)
{
	struct vm	*vm;
	const char	*base;
	char		*dir;

	vm = xcalloc(1, sizeof(*vm));
	vm->path = xstrdup(path);
	vm->at.file = intern(ctx, path);
	base = strrchr(path, '/');
	base = base == NULL ? path : base + 1;
	vm->name = xasprintf("%.*s", (int)(strlen(base) - 4), base);
	dir = path_dir(path);
	vm->dir = path_abs(dir);
	free(dir);
	if (vm->dir == NULL)
		vm->dir = xstrdup(".");
	return vm;
}

/* A directory means every *.ini directly inside it, in byte order. */
static void
add_dir(struct ctx *ctx, struct fleet *f, const char *path)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		**names = NULL, *p;
	size_t		 n = 0, cap = 0, i;

	if ((d = opendir(path)) == NULL) {
		diag_sys(ctx, (struct loc){ path, 0 }, "%s", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".ini"))
			continue;
		/* d_type spares a stat where the file system fills it. */
		if (de->d_type == DT_DIR)
			continue;
		if (de->d_type != DT_REG) {
			p = path_join(path, de->d_name);
			if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
				free(p);
				continue;
			}
			free(p);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n == 0)
		diag_error(ctx, (struct loc){ path, 0 }, NULL,
		    "no profiles (*.ini) in this directory");
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
collect(struct ctx *ctx, struct fleet *f, int argc, char **argv)
{
	struct stat	 st;
	int		 i;

	for (i = 0; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			add_dir(ctx, f, argv[i]);
		else if (!has_suffix(argv[i], ".ini"))
			diag_error(ctx, (struct loc){ argv[i], 0 }, NULL,
			    "a profile must be a directory or a .ini file");
		else
			add_profile(f, argv[i]);
	}
}

/* Reads, models and validates one profile. */
static void
load(struct ctx *ctx, struct vm *vm, const char *rundir)
{
	char	*vis;

	if (check_vmname(vm->name) == -1) {
		vis = diag_vis(vm->name);
		diag_error(ctx, vm->at, NULL, "VM name %s (the file name) must "
		    "be 1 to %d of a-z, 0-9 and '-', not starting or ending "
		    "with '-'", vis, MAX_NAME);
		free(vis);
		return;
	}
	if (doc_read(ctx, &vm->doc, vm->path, vm->name) == -1 &&
	    vm->doc.n == 0 && vm->doc.nsect == 0)
		return;
	vm_model(ctx, vm);
	vm_validate(ctx, vm, rundir);
}

static char *
abs_dir(const char *dir)
{
	char	 cwd[PATH_MAX];
	size_t	 n;
	char	*p;

	if (dir[0] == '/')
		p = xstrdup(dir);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		err(EXIT_SYSTEM, "getcwd");
	else
		p = strcmp(dir, ".") == 0 ? xstrdup(cwd) : path_join(cwd, dir);
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

static int
status(const struct ctx *ctx)
{
	if (ctx->sys > 0)
		return EXIT_SYSTEM;
	return ctx->errors > 0 ? EXIT_INVALID : 0;
}

/*
 * Writes a VM's script and plist to temporary files in the output, and
 * notes the files they came from.
 */
static void
emit(struct output *out, const struct vm *vm)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*name;
	size_t		 i;
	int		 rc;

	output_vm(out, vm);
	for (i = 0; i < vm->doc.nin; i++)
		output_note(out, vm->doc.in[i].path, &vm->doc.in[i].st);
	if (vm->imageok)
		output_note(out, vm->imagepath, &vm->imagest);

	emit_sh(vm, &b);
	name = xasprintf("%s.sh", vm->name);
	rc = output_add(out, name, &b, 0755);
	free(name);
	if (rc == 0) {
		b.len = 0;
		emit_plist(vm, &b);
		name = xasprintf("%s.plist", vm->label.s);
		output_add(out, name, &b, 0644);
		free(name);
	}
	buf_free(&b);
}

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
	buf_free(&b);
	argv_free(&a);
}

/* The options install, uninstall and status share; -1 on a bad one. */
static int
install_opts(int argc, char *argv[], const char *opts, struct install *o,
    char **rootbuf)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->root = "";
	o->launchctl = getenv("VMC_LAUNCHCTL") != NULL &&
	    *getenv("VMC_LAUNCHCTL") != '\0' ? getenv("VMC_LAUNCHCTL") :
	    LAUNCHCTL;
	o->arp = getenv("VMC_ARP") != NULL && *getenv("VMC_ARP") != '\0' ?
	    getenv("VMC_ARP") : ARP;
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'n':
			o->dryrun = 1;
			break;
		case 'r':
			o->restart = 1;
			break;
		case 'R':
			free(*rootbuf);
			*rootbuf = abs_dir(optarg);
			/* Paths are ROOT followed by an absolute path. */
			o->root = strcmp(*rootbuf, "/") == 0 ? "" : *rootbuf;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* vmc install [-n] [-r] [-R root] outdir */
static int
cmd_install(struct ctx *ctx, int argc, char *argv[])
{
	struct install	 o;
	char		*root = NULL;
	int		 rc = EXIT_USAGE;

	if (install_opts(argc, argv, "nrR:", &o, &root) == 0 &&
	    argc - optind == 1)
		rc = install_run(ctx, &o, argv[optind]);
	else
		usage(stderr);
	free(root);
	return rc;
}

/* vmc uninstall [-n] [-R root] [name ...] */
static int
cmd_uninstall(struct ctx *ctx, int argc, char *argv[])
{
	struct install	 o;
	char		*root = NULL;
	int		 rc = EXIT_USAGE;

	if (install_opts(argc, argv, "nR:", &o, &root) == 0)
		rc = uninstall_run(ctx, &o, argv + optind, argc - optind);
	else
		usage(stderr);
	free(root);
	return rc;
}

/* vmc status [-R root] [name ...] */
static int
cmd_status(struct ctx *ctx, int argc, char *argv[])
{
	struct install	 o;
	char		*root = NULL;
	int		 rc = EXIT_USAGE;

	if (install_opts(argc, argv, "R:", &o, &root) == 0)
		rc = status_run(ctx, &o, argv + optind, argc - optind);
	else
		usage(stderr);
	free(root);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctx	 ctx;
	struct host	 host;
	struct fleet	 fleet = { NULL, 0, 0 };
	struct member	*members;
	struct output	*out = NULL;
	struct vm	*vm;
	const char	*cmd, *outdir = "output", *hostfile = NULL;
	char		*rundir = NULL, *vis;
	size_t		 i, nmembers = 0;
	uint64_t	 key = 0;
	time_t		 start;
	int		 ch, rc, warnings, fresh = 0;

	start = time(NULL);
	memset(&ctx, 0, sizeof(ctx));
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 && argc == 2) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 && argc == 2) {
		printf("vmc %s\n", VMC_VERSION);
		return 0;
	}
	rc = -1;
	if (strcmp(cmd, "install") == 0)
		rc = cmd_install(&ctx, argc - 1, argv + 1);
	else if (strcmp(cmd, "uninstall") == 0)
		rc = cmd_uninstall(&ctx, argc - 1, argv + 1);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&ctx, argc - 1, argv + 1);
	if (rc != -1)
		goto done;
	if (strcmp(cmd, "build") != 0 && strcmp(cmd, "check") != 0 &&
	    strcmp(cmd, "show") != 0 && strcmp(cmd, "host") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "H:o:p:")) != -1) {
		switch (ch) {
		case 'H':
			hostfile = optarg;
			break;
		case 'o':
		case 'p':
			if (strcmp(cmd, "build") != 0) {
				usage(stderr);
				return EXIT_USAGE;
			}
			if (ch == 'o')
				outdir = optarg;
			else
				rundir = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "host") == 0) {
		if (argc != 0 || hostfile != NULL) {
			usage(stderr);
			return EXIT_USAGE;
		}
		rc = host_probe(&ctx, &host);
		host_print(&host, stdout);
		host_free(&host);
		goto done;
	}
	if (argc == 0 || (strcmp(cmd, "show") == 0 && argc != 1)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (rundir != NULL && rundir[0] != '/') {
		vis = diag_vis(rundir);
		diag_error(&ctx, (struct loc){ NULL, 0 }, "-p", "%s is not an "
		    "absolute path", vis);
		free(vis);
		diag_flush(&ctx);
		free(ctx.msgs);
		return EXIT_USAGE;
	}
	if (rundir == NULL && hostfile != NULL && strcmp(cmd, "build") == 0)
		diag_warn(&ctx, (struct loc){ NULL, 0 }, "-p", "no run "
		    "directory given for the described host; the jobs will "
		    "look for the scripts in the output directory's path on "
		    "this machine");
	rundir = abs_dir(rundir != NULL ? rundir : outdir);
	if (!utf8_valid(rundir) || has_control(rundir)) {
		vis = diag_vis(rundir);
		diag_error(&ctx, (struct loc){ NULL, 0 }, "-p", "run directory "
		    "%s is not printable UTF-8", vis);
		free(vis);
		free(rundir);
		diag_flush(&ctx);
		free(ctx.msgs);
		return EXIT_USAGE;
	}
	if (hostfile != NULL)
		rc = host_read(&ctx, &host, hostfile);
	else
		rc = host_probe(&ctx, &host);
	if (rc == -1) {
		host_free(&host);
		free(rundir);
		rc = status(&ctx);
		goto done;
	}
	ctx.host = &host;
	if (strcmp(cmd, "show") == 0) {
		if (!has_suffix(argv[0], ".ini"))
			diag_error(&ctx, (struct loc){ argv[0], 0 }, NULL,
			    "a profile must be a .ini file");
		else
			add_profile(&fleet, argv[0]);
	} else
		collect(&ctx, &fleet, argc, argv);
	diag_flush(&ctx);
	/* Nothing changed since the last clean build: nothing to do. */
	if (strcmp(cmd, "build") == 0 && ctx.errors == 0) {
		key = state_key(&host, rundir, fleet.path, fleet.n);
		fresh = state_fresh(outdir, key);
	}
	warnings = ctx.warnings;
	/*
	 * One VM at a time: once it is valid, and every one before it,
	 * its files go to temporary files and only what the checks across
	 * profiles need is kept, so memory does not grow with the outputs.
	 */
	members = xcalloc(fleet.n, sizeof(*members));
	for (i = 0; !fresh && i < fleet.n; i++) {
		vm = vm_new(&ctx, fleet.path[i]);
		load(&ctx, vm, rundir);
		diag_flush(&ctx);
		if (ctx.errors == 0) {
			member_init(&members[nmembers++], vm);
			if (strcmp(cmd, "show") == 0)
				show(vm);
			else if (strcmp(cmd, "build") == 0 && out == NULL)
				out = output_open(&ctx, outdir, key, start);
			/* A failure is counted in ctx by output.c. */
			if (out != NULL && ctx.errors == 0)
				emit(out, vm);
		}
		vm_free(vm);
	}
	if (ctx.errors == 0)
		fleet_validate(&ctx, members, nmembers);
	diag_flush(&ctx);
	if (out != NULL && ctx.errors > 0)
		output_abort(out);
	else if (out != NULL)
		output_commit(out, ctx.warnings == warnings);
	rc = status(&ctx);
	for (i = 0; i < nmembers; i++)
		member_free(&members[i]);
	free(members);
	for (i = 0; i < fleet.n; i++)
		free(fleet.path[i]);
	free(fleet.path);
	host_free(&host);
	free(rundir);
done:
	diag_flush(&ctx);
	free(ctx.msgs);
	for (i = 0; i < ctx.nfiles; i++)
		free(ctx.files[i]);
	free(ctx.files);
	if (rc == -1)
		rc = status(&ctx);
	return rc;
}
