#include <string.h>

#include "vmc.h"

/* OUTDIR/LABEL.plist: a launchd job that runs the script. */

static void
string(struct buf *b, const char *indent, const char *s)
{
	buf_printf(b, "%s<string>", indent);
	quote_xml(b, s);
	buf_puts(b, "</string>\n");
}

static void
key(struct buf *b, const char *k)
{
	buf_printf(b, "\t<key>%s</key>\n", k);
}

void
emit_plist(const struct vm *vm, struct buf *b)
{
	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	    "<plist version=\"1.0\">\n<dict>\n");
	key(b, "Label");
	string(b, "\t", vm->label.s);
	key(b, "ProgramArguments");
	buf_puts(b, "\t<array>\n");
	string(b, "\t\t", vm->script);
	buf_puts(b, "\t</array>\n");
	/*
	 * launchd.plist(5): KeepAlive SuccessfulExit implies RunAtLoad, and
	 * KeepAlive true keeps the job running from the moment it is
	 * loaded.  Without autostart, the script creates a marker when
	 * restart applies, and PathState restarts the job while it exists.
	 */
	key(b, "RunAtLoad");
	buf_puts(b, vm->autostart.n ? "\t<true/>\n" : "\t<false/>\n");
	key(b, "KeepAlive");
	if (vm->restart.n == RESTART_NEVER)
		buf_puts(b, "\t<false/>\n");
	else if (!vm->autostart.n) {
		buf_puts(b, "\t<dict>\n\t\t<key>PathState</key>\n"
		    "\t\t<dict>\n\t\t\t<key>");
		quote_xml(b, vm->marker);
		buf_puts(b, "</key>\n\t\t\t<true/>\n\t\t</dict>\n\t</dict>\n");
	} else if (vm->restart.n == RESTART_ALWAYS)
		buf_puts(b, "\t<true/>\n");
	else
		buf_puts(b, "\t<dict>\n\t\t<key>SuccessfulExit</key>\n"
		    "\t\t<false/>\n\t</dict>\n");
	key(b, "StandardOutPath");
	string(b, "\t", vm->logpath);
	key(b, "StandardErrorPath");
	string(b, "\t", vm->logpath);
	key(b, "ExitTimeOut");
	/* The script's own stop sequence ends before launchd's SIGKILL. */
	buf_printf(b, "\t<integer>%llu</integer>\n",
	    (unsigned long long)vm->stoptimeout.n + STOP_MARGIN);
	key(b, "ProcessType");
	string(b, "\t", "Interactive");
	if (strcmp(vm->user.s, "root") != 0) {
		key(b, "UserName");
		string(b, "\t", vm->user.s);
	}
	buf_puts(b, "</dict>\n</plist>\n");
}
