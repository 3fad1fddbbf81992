#include <string.h>

#include "vmc.h"

/*
 * OUTDIR/LABEL.plist: a launchd job that runs a VM's script, or a
 * network's socket_vmnet.
 */

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

/* A socket_vmnet option and its value, as one argument. */
static void
option(struct buf *b, const char *name, const char *value)
{
	struct buf	 o = { NULL, 0, 0 };

	buf_printf(&o, "--%s=%s", name, value);
	string(b, "\t\t", o.p);
	buf_free(&o);
}

/*
 * A network's daemon, as socket_vmnet's own LaunchDaemon runs it: as
 * root (a LaunchDaemon's default), at boot, kept alive; its socket for root and the group only
 * (socket_vmnet makes it mode 0770, group GROUP).  The options are
 * socket_vmnet's (its cli.c): the mode, the interface it bridges, or
 * the gateway (vmnet's start address), the end of the DHCP range and
 * the mask.
 */
void
emit_net_plist(const struct netd *d, struct buf *b)
{
	const struct mnet	*m = d->m;
	char			 ip[16];

	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	    "<plist version=\"1.0\">\n<dict>\n");
	key(b, "Label");
	string(b, "\t", d->label);
	key(b, "ProgramArguments");
	buf_puts(b, "\t<array>\n");
	string(b, "\t\t", d->program);
	option(b, "vmnet-mode", m->mode.n == NET_SHARED ? "shared" :
	    m->mode.n == NET_HOST ? "host" : "bridged");
	if (m->mode.n == NET_BRIDGED)
		option(b, "vmnet-interface", m->interface.s);
	else if (val_ok(&m->start)) {
		fmt_ipv4((uint32_t)m->start.n, ip);
		option(b, "vmnet-gateway", ip);
		fmt_ipv4((uint32_t)m->end.n, ip);
		option(b, "vmnet-dhcp-end", ip);
		fmt_ipv4((uint32_t)m->mask.n, ip);
		option(b, "vmnet-mask", ip);
	}
	option(b, "socket-group", d->group);
	string(b, "\t\t", m->socket);
	buf_puts(b, "\t</array>\n");
	key(b, "RunAtLoad");
	buf_puts(b, "\t<true/>\n");
	key(b, "KeepAlive");
	buf_puts(b, "\t<true/>\n");
	key(b, "StandardOutPath");
	string(b, "\t", m->log);
	key(b, "StandardErrorPath");
	string(b, "\t", m->log);
	key(b, "ProcessType");
	string(b, "\t", "Interactive");
	buf_puts(b, "</dict>\n</plist>\n");
}
