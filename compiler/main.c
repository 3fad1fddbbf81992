#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmc.h"

/* The command line: each subcommand maps its arguments to the pipeline. */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vmc build [-o outdir] [-H hostfile] [-p rundir] profile ...\n"
	    "       vmc check [-H hostfile] profile ...\n"
	    "       vmc show [-H hostfile] file.ini\n"
	    "       vmc host\n"
	    "       vmc -h | -V\n");
}

/* The run directory of -p, or -1 after a diagnostic. */
static int
check_rundir(struct ctx *ctx, const char *rundir)
{
	char	*vis;

	/* It reaches the plist, which must stay XML. */
	if (rundir[0] != '/' || text_check(rundir) != NULL) {
		vis = diag_vis(rundir);
		diag_error(ctx, (struct loc){ NULL, 0 }, "-p", rundir[0] != '/' ?
		    "%s is not an absolute path" : "run directory %s is not "
		    "printable UTF-8", vis);
		free(vis);
		return -1;
	}
	return 0;
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
	char		*rundir = NULL;
	int		 ch, rc;

	memset(&run, 0, sizeof(run));
	run.cmd = cmd;
	run.outdir = "output";
	run.start = time(NULL);
	while ((ch = getopt(argc, argv, "H:o:p:")) != -1) {
		if (ch == 'H')
			run.hostfile = optarg;
		else if (ch == 'o' && cmd == CMD_BUILD)
			run.outdir = optarg;
		else if (ch == 'p' && cmd == CMD_BUILD)
			run.rundir = optarg;
		else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	run.args = argv + optind;
	run.nargs = argc - optind;
	if (run.nargs == 0 || (cmd == CMD_SHOW && run.nargs != 1)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (run.rundir != NULL && check_rundir(ctx, run.rundir) == -1)
		return EXIT_USAGE;
	if (run.rundir == NULL && run.hostfile != NULL && cmd == CMD_BUILD)
		diag_warn(ctx, (struct loc){ NULL, 0 }, "-p", "no run "
		    "directory given for the described host; the jobs will "
		    "look for the scripts in the output directory's path on "
		    "this machine");
	run.rundir = rundir = path_absdir(run.rundir != NULL ? run.rundir :
	    run.outdir);
	if (check_rundir(ctx, rundir) == -1)
		rc = EXIT_USAGE;
	else
		rc = compile(ctx, &run);
	free(rundir);
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
