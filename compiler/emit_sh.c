#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * Makes the file at path on first start with the shell command cmd,
 * which writes "$tmp": a name mktemp(1) made, new and unpredictable, in
 * the file's directory, renamed into place, so that a failed or killed
 * first start leaves nothing half made, and no file planted in that
 * directory is written through.  A symbolic link at path, dangling or
 * not, is never replaced: it may name a disk on a volume not mounted yet.
 * A failure stops the script.
 */
static void
make_once(struct buf *b, const struct vm *vm, const char *path,
    const char *what, const struct buf *cmd)
{
	char	*msg, *tmpl;

	buf_puts(b, "if [ -L ");
	quote_sh(b, path);
	buf_puts(b, " ] && [ ! -e ");
	quote_sh(b, path);
	buf_puts(b, " ]; then\n\techo ");
	msg = xasprintf("%s: %s %s is a symbolic link to nothing (a volume "
	    "not mounted?): not replaced", vm->name, what, path);
	quote_sh(b, msg);
	free(msg);
	buf_puts(b, " >&2\n\texit 1\nfi\nif [ ! -e ");
	quote_sh(b, path);
	buf_puts(b, " ] &&\n    ! { tmp=$(/usr/bin/mktemp ");
	tmpl = xasprintf("%s.XXXXXXXX", path);
	quote_sh(b, tmpl);
	free(tmpl);
	buf_puts(b, ") &&\n    ");
	buf_add(b, cmd->p, cmd->len);
	buf_puts(b, " &&\n    mv -f \"$tmp\" ");
	quote_sh(b, path);
	buf_puts(b, "; }; then\n\trm -f \"$tmp\"\n\techo ");
	msg = xasprintf("%s: cannot create %s %s", vm->name, what, path);
	quote_sh(b, msg);
	free(msg);
	buf_puts(b, " >&2\n\texit 1\nfi\ntmp=\n");
}

static int
literal(const char *s)
{
	return s != NULL && strpbrk(s, "$`") != NULL;
}

/*
 * A variable store of another size than its template's was cut short
 * as it was copied (a power cut before the copy reached the disk: cp
 * does not flush it, and no stock macOS tool flushes one file).  QEMU
 * would refuse it as the flash unit, for ever; it is made anew.  The
 * store is the script's own, and a link is never removed.
 */
static void
torn_vars(struct buf *b, const struct vm *vm)
{
	char	*msg;

	buf_puts(b, "if [ -f ");
	quote_sh(b, vm->varspath);
	buf_puts(b, " ] && [ ! -L ");
	quote_sh(b, vm->varspath);
	buf_puts(b, " ] &&\n    have=$(wc -c < ");
	quote_sh(b, vm->varspath);
	buf_puts(b, ") && want=$(wc -c < ");
	quote_sh(b, vm->varstemplate);
	buf_puts(b, ") &&\n    [ $((have)) -ne $((want)) ]; then\n\techo ");
	msg = xasprintf("%s: its UEFI variables %s are cut short: made anew",
	    vm->name, vm->varspath);
	quote_sh(b, msg);
	free(msg);
	buf_puts(b, " >&2\n\trm -f ");
	quote_sh(b, vm->varspath);
	buf_puts(b, "\nfi\n");
}

/*
 * First start: the overlay on base and the UEFI variable store, the
 * files the VM writes to, are made before QEMU starts.
 */
static void
first_start(const struct vm *vm, struct buf *b)
{
	struct buf	 cmd = { NULL, 0, 0 };

	if (vm->qemuimg == NULL && vm->varspath == NULL)
		return;
	buf_puts(b, "# First start: make what the VM writes to.  A signal "
	    "removes what is\n# half made.\n"
	    "tmp=\n"
	    "trap 'rm -f \"$tmp\"; exit 1' HUP INT TERM\n");
	if (vm->qemuimg != NULL) {
		quote_sh(&cmd, vm->qemuimg);
		buf_printf(&cmd, " create -q -f qcow2 -F %s -b ",
		    format_names[vm->res.basefmt]);
		quote_sh(&cmd, vm->basepath);
		buf_puts(&cmd, " \"$tmp\"");
		if (val_ok(&vm->disksize))
			buf_printf(&cmd, " %lluK",
			    (unsigned long long)(vm->disksize.n >> 10));
		make_once(b, vm, vm->imagepath, "its disk", &cmd);
		cmd.len = 0;
	}
	if (vm->varspath != NULL) {
		torn_vars(b, vm);
		buf_puts(&cmd, "cp ");
		quote_sh(&cmd, vm->varstemplate);
		buf_puts(&cmd, " \"$tmp\"");
		make_once(b, vm, vm->varspath, "its UEFI variables", &cmd);
	}
	buf_free(&cmd);
}

/*
 * At boot the job may start before socket_vmnet's: the script waits for
 * each network's socket, NET_WAIT seconds at most, then exits 1, and
 * launchd starts it again (unless restart = never).
 */
static void
wait_net(const struct vm *vm, struct buf *b)
{
	const char	*sock;
	char		*msg;
	size_t		 i, j;

	for (i = 0; i < vm->nnic; i++) {
		if ((sock = vm->nic[i].socket) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (vm->nic[j].socket != NULL &&
			    strcmp(vm->nic[j].socket, sock) == 0)
				break;
		if (j < i)
			continue;
		buf_printf(b, "# Its network's daemon may not be up yet: %d s "
		    "for its socket.\n"
		    "i=0\n"
		    "while [ ! -S ", NET_WAIT);
		quote_sh(b, sock);
		buf_printf(b, " ]; do\n"
		    "\tif [ \"$i\" -ge %d ]; then\n"
		    "\t\techo ", NET_WAIT);
		msg = xasprintf("%s: no socket_vmnet socket %s after %d s: is "
		    "its network's daemon loaded?", vm->name, sock, NET_WAIT);
		quote_sh(b, msg);
		free(msg);
		buf_puts(b, " >&2\n\t\texit 1\n\tfi\n\tsleep 1\n"
		    "\ti=$((i + 1))\ndone\n");
	}
}

/*
 * OUTDIR/NAME.sh: QEMU as a child of the script, which launchd stops
 * with SIGTERM.  The script turns that into what an admin would do:
 * press the guest's power button over QMP, wait stop-timeout seconds,
 * have QEMU quit (it flushes its disk caches), and only then kill it.
 * QEMU is not put in a process group of its own, so that launchd can
 * still kill it with the job's group when the script is gone.  A QEMU
 * that got a signal itself powers off at once (vmc(1)).
 */

/* The functions, the same in every script. */
static const char helpers[] =
"# gone SECONDS: true once QEMU has exited, false while it still runs\n"
"# after SECONDS (to a second more: date counts whole seconds).\n"
"gone()\n"
"{\n"
"\tend=$(($(date +%s) + $1))\n"
"\twhile kill -0 \"$pid\" 2>/dev/null; do\n"
"\t\tif [ \"$(date +%s)\" -gt \"$end\" ]; then\n"
"\t\t\treturn 1\n"
"\t\tfi\n"
"\t\tsleep 1\n"
"\tdone\n"
"\treturn 0\n"
"}\n"
"\n"
"# qmp COMMAND: send QEMU one command over its monitor socket.  The input\n"
"# stays open a second, so that an nc that hangs up at the end of its\n"
"# input does not do so before QEMU read the command; -w ends an nc that\n"
"# waits for QEMU to hang up.\n"
"qmp()\n"
"{\n"
"\t{\n"
"\t\tprintf '{\"execute\":\"qmp_capabilities\"}\\n"
"{\"execute\":\"%s\"}\\n' \"$1\"\n"
"\t\tsleep 1\n"
"\t} | /usr/bin/nc -U -w 1 \"$qmp\" >/dev/null 2>&1\n"
"}\n"
"\n";

void
emit_sh(const struct vm *vm, struct buf *b)
{
	struct argv	 a;
	struct buf	 reach = { NULL, 0, 0 };
	const char	*p, *nl;
	char		*line;
	size_t		 g, i, end;
	int		 marker;

	/* autostart = no: launchd restarts while the marker exists. */
	marker = !vm->autostart.n && vm->restart.n != RESTART_NEVER;
	qemu_argv(vm, &a);
	buf_puts(b, "#!/bin/sh\n");
	buf_printf(b, "# Generated by vmc from %s.ini; do not edit.\n",
	    vm->name);
	buf_printf(b, "# Runs QEMU with the arguments given to this script.  "
	    "TERM, INT or HUP\n"
	    "# to this script stop the guest: the ACPI power button, up to "
	    "%llu s for\n"
	    "# the guest to power off, then QEMU's quit, %d s, then a kill.  "
	    "The\n"
	    "# script exits with QEMU's status.  See vmc(1).\n",
	    (unsigned long long)vm->stoptimeout.n, QUIT_WAIT);
	/* A '$' or '`' in a quoted word is meant literally. */
	for (i = 0; i < a.n; i++)
		if (strpbrk(a.v[i], "$`") != NULL)
			break;
	if (i < a.n || literal(vm->basepath) || literal(vm->varstemplate) ||
	    literal(vm->qemuimg))
		buf_puts(b, "# shellcheck disable=SC2016\n");
	/* Filled in by emit_sh_config once the job's files are made. */
	buf_puts(b, "# What vmc status compares with what runs (vmc(1)).\n"
	    CONFIG_LINE "0000000000000000\n");
	buf_puts(b, "qmp=");
	quote_sh(b, vm->qmp);
	buf_puts(b, "\nrun=");
	quote_sh(b, vm->runfile);
	buf_puts(b, "\n");
	if (marker) {
		buf_puts(b, "# While this file exists launchd starts the job "
		    "again (vmc(5)).\n");
		buf_puts(b, "restart=");
		quote_sh(b, vm->marker);
		buf_puts(b, "\n");
	}
	buf_puts(b, "\n");
	buf_puts(b, helpers);
	if (marker)
		buf_puts(b, "rm -f \"$restart\"\n");
	/* The sockets and what the script writes: for root and the VM's
	 * user alone. */
	buf_puts(b, "umask 077\n");
	first_start(vm, b);
	wait_net(vm, b);
	buf_puts(b, "stop=\n"
	    "trap 'stop=1' HUP INT TERM\n");
	for (g = 0; g < a.ngroup; g++) {
		end = g + 1 < a.ngroup ? a.group[g + 1] : a.n;
		if (g > 0)
			buf_puts(b, " \\\n\t");
		for (i = a.group[g]; i < end; i++) {
			if (i > a.group[g])
				buf_puts(b, " ");
			quote_sh(b, a.v[i]);
		}
	}
	buf_puts(b, " \\\n\t\"$@\" &\n"
	    "pid=$!\n"
	    "# What runs: this configuration, since when, where it answers.\n"
	    "{\n"
	    "\techo \"config $config\"\n"
	    "\techo \"since $(date +%s)\"\n"
	    "\techo \"pid $pid\"\n");
	reach_lines(&reach, vm);
	for (p = reach.p; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		buf_puts(b, "\techo ");
		line = xasprintf("%.*s", (int)(nl - p), p);
		quote_sh(b, line);
		free(line);
		buf_puts(b, "\n");
	}
	buf_free(&reach);
	buf_puts(b, "} >\"$run.$$\" && mv -f \"$run.$$\" \"$run\"\n"
	    "# A signal ends the wait early, with QEMU still running.\n"
	    "[ -n \"$stop\" ] || wait \"$pid\"\n"
	    "status=$?\n"
	    "how=exited\n"
	    "if kill -0 \"$pid\" 2>/dev/null; then\n");
	buf_printf(b, "\thow=powered-off\n"
	    "\tif ! qmp system_powerdown || ! gone %llu; then\n"
	    "\t\thow=quit\n"
	    "\t\tif ! qmp quit || ! gone %d; then\n"
	    "\t\t\thow=killed\n"
	    "\t\t\tkill -KILL \"$pid\" 2>/dev/null\n"
	    "\t\tfi\n"
	    "\tfi\n"
	    "\twait \"$pid\"\n"
	    "\tstatus=$?\n"
	    "fi\n"
	    "echo \"ended $how $status\" >>\"$run\"\n",
	    (unsigned long long)vm->stoptimeout.n, QUIT_WAIT);
	if (marker && vm->restart.n == RESTART_ALWAYS)
		buf_puts(b, "if [ -z \"$stop\" ]; then\n"
		    "\ttouch \"$restart\"\n"
		    "fi\n");
	else if (marker)
		buf_puts(b, "if [ -z \"$stop\" ] && [ \"$status\" -ne 0 ]; "
		    "then\n"
		    "\ttouch \"$restart\"\n"
		    "fi\n");
	buf_puts(b, "exit \"$status\"\n");
	argv_free(&a);
}

/*
 * Writes config, the checksum of the job's files, into the script emit_sh
 * made, in place of its zeros.
 */
void
emit_sh_config(struct buf *b, uint64_t config)
{
	char	*p, hex[17];

	p = strstr(b->p, "\n" CONFIG_LINE) + 1 + strlen(CONFIG_LINE);
	snprintf(hex, sizeof(hex), "%016" PRIx64, config);
	memcpy(p, hex, 16);
}
