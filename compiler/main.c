#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmc.h"
#include "fleet.h"

/* The command line: each subcommand maps its arguments to the pipeline. */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vmc build [-o outdir] [-H hostfile] [-p rundir] profile ...\n"
	    "       vmc build -F fleetdir [-o outdir]\n"
	    "       vmc check [-H hostfile] [-p rundir] profile ...\n"
	    "       vmc check -F fleetdir\n"
	    "       vmc show [-H hostfile] [-p rundir] file.ini\n"
	    "       vmc host\n"
	    "       vmc install [-n] [-r] [-x] [-R root] outdir\n"
	    "       vmc uninstall [-n] [-R root] [name ...]\n"
	    "       vmc status [-j] [-R root] [name ...]\n"
	    "       vmc start | stop | restart [-R root] name ...\n"
	    "       vmc console [-R root] name\n"
	    "       vmc -h | -V\n");
}

static int
cmd_host(struct ctx *ctx, int argc)
{
	struct host	 host;
	int		 rc;

	if (argc != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = host_probe(ctx, &host);
	host_print(ctx, &host, stdout);
	host_free(&host);
	return rc == -1 ? ctx_status(ctx) : 0;
}

/* vmc build, check and show. */
static int
cmd_compile(struct ctx *ctx, enum cmd cmd, int argc, char *argv[])
{
	struct run	 run;
	struct loc	 none = { NULL, 0 };
	char		*rundir = NULL;
	const char	*fleet = NULL;
	int		 ch, rc;

	memset(&run, 0, sizeof(run));
	run.cmd = cmd;
	run.outdir = "output";
	run.start = time(NULL);
	while ((ch = getopt(argc, argv, "F:H:o:p:")) != -1) {
		if (ch == 'F' && cmd != CMD_SHOW)
			fleet = optarg;
		else if (ch == 'H')
			run.hostfile = optarg;
		else if (ch == 'o' && cmd == CMD_BUILD)
			run.outdir = optarg;
		else if (ch == 'p')
			run.rundir = optarg;
		else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	run.args = argv + optind;
	run.nargs = argc - optind;
	/* A fleet's hosts come with their descriptions and run directories. */
	if (fleet != NULL && (run.nargs > 0 || run.hostfile != NULL ||
	    run.rundir != NULL)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (fleet != NULL)
		return compile_hosts(ctx, &run, fleet);
	if (run.nargs == 0 || (cmd == CMD_SHOW && run.nargs != 1)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (run.rundir != NULL && rundir_check(ctx, none, run.rundir) == -1)
		return EXIT_USAGE;
	run.rundir_given = run.rundir != NULL;
	if (run.rundir == NULL && run.hostfile != NULL && cmd == CMD_BUILD)
		diag(ctx, (struct loc){ NULL, 0 }, M(RUNDIR_MISSING));
	run.rundir = rundir = path_absdir(run.rundir != NULL ? run.rundir :
	    run.outdir);
	if (rundir_check(ctx, none, rundir) == -1)
		rc = EXIT_USAGE;
	else
		rc = compile(ctx, &run);
	free(rundir);
	return rc;
}

/* A program named by the environment, else the system's. */
static const char *
program(const char *env, const char *path)
{
	const char	*p = getenv(env);

	return p != NULL && *p != '\0' ? p : path;
}

/* The options install, uninstall and status share; -1 on a bad one. */
static int
install_opts(int argc, char *argv[], const char *opts, struct install *o,
    char **rootbuf)
{
	int	 ch, asked;

	memset(o, 0, sizeof(*o));
	o->root = "";
	o->launchctl = program("VMC_LAUNCHCTL", LAUNCHCTL);
	asked = program("VMC_LAUNCHCTL", NULL) != NULL;
	o->arp = program("VMC_ARP", ARP);
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'n':
			o->dryrun = 1;
			break;
		case 'r':
			o->restart = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'x':
			o->others = 1;
			break;
		case 'R':
			free(*rootbuf);
			*rootbuf = path_absdir(optarg);
			/* Paths are ROOT followed by an absolute path. */
			o->root = strcmp(*rootbuf, "/") == 0 ? "" : *rootbuf;
			break;
		default:
			return -1;
		}
	}
	/* The jobs under another root are not this system's launchd's. */
	if (*o->root != '\0' && !asked)
		o->launchctl = NULL;
	return 0;
}

/* vmc install, uninstall, status and the verbs that operate VMs. */
static int
cmd_install(struct ctx *ctx, const char *cmd, int argc, char *argv[])
{
	struct install	 o;
	char		*root = NULL;
	int		 rc = EXIT_USAGE, inst = strcmp(cmd, "install") == 0;
	const char	*opts = inst ? "nrxR:" : strcmp(cmd, "uninstall") == 0 ?
			    "nR:" : strcmp(cmd, "status") == 0 ? "jR:" : "R:";
	struct loc	 none = { NULL, 0 };
	int		 v, nargs, operate;

	for (v = 0; verb_names[v] != NULL && strcmp(cmd, verb_names[v]) != 0;
	    v++)
		continue;
	if (install_opts(argc, argv, opts, &o, &root) == -1) {
		usage(stderr);
		free(root);
		return rc;
	}
	nargs = argc - optind;
	operate = verb_names[v] != NULL || strcmp(cmd, "console") == 0;
	if (o.launchctl == NULL && operate) {
		diag(ctx, none, M(ROOT_NO_JOBS), cmd);
		free(root);
		return ctx_status(ctx);
	}
	if (o.launchctl == NULL)
		diag(ctx, none, M(ROOT_NO_LAUNCHCTL));
	if ((inst && nargs != 1) || (verb_names[v] != NULL && nargs < 1) ||
	    (strcmp(cmd, "console") == 0 && nargs != 1))
		usage(stderr);
	else if (inst)
		rc = install_run(ctx, &o, argv[optind]);
	else if (strcmp(cmd, "uninstall") == 0)
		rc = uninstall_run(ctx, &o, argv + optind, nargs);
	else if (strcmp(cmd, "status") == 0)
		rc = status_run(ctx, &o, argv + optind, nargs);
	else if (strcmp(cmd, "console") == 0)
		rc = console_run(ctx, &o, argv[optind]);
	else
		rc = operate_run(ctx, &o, v, argv + optind, nargs);
	free(root);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const char *const cmds[] = { [CMD_CHECK] = "check",
	    [CMD_SHOW] = "show", [CMD_BUILD] = "build" };
	struct ctx	 ctx;
	size_t		 i;
	int		 rc = -1;

	memset(&ctx, 0, sizeof(ctx));
	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "-V") == 0) {
		printf("vmc %s\n", VMC_VERSION);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "host") == 0)
		rc = cmd_host(&ctx, argc - 2);
	if (argc >= 2 && (strcmp(argv[1], "install") == 0 ||
	    strcmp(argv[1], "uninstall") == 0 ||
	    strcmp(argv[1], "status") == 0 || strcmp(argv[1], "start") == 0 ||
	    strcmp(argv[1], "stop") == 0 || strcmp(argv[1], "restart") == 0 ||
	    strcmp(argv[1], "console") == 0))
		rc = cmd_install(&ctx, argv[1], argc - 1, argv + 1);
	for (i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i]) == 0)
			rc = cmd_compile(&ctx, i, argc - 1, argv + 1);
	if (rc == -1) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	ctx_free(&ctx);
	return rc;
}
