#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmc.h"

/*
 * vmc status: for each installed VM (the manifest, index.c), what
 * launchd says of its job and where the guest can be reached.
 *
 * One launchctl list tells of every job (launchd.c); the record the
 * script writes when QEMU starts (running.c) tells what runs: since
 * when, with which files, reachable where.  A VM that does not run
 * shows no address.
 *
 * A vmnet-shared or -host guest gets its address from the host's DHCP
 * server, bootpd, which records leases in /var/db/dhcpd_leases as
 * blocks of "key=value" lines between "{" and "}": ip_address=A and
 * hw_address=1,M, where M is the MAC with the leading zero of each
 * byte dropped (52:54:0:a:b:c), lease=0xSECONDS.  A bridged guest's
 * address comes from the LAN's DHCP server: only the ARP table, as
 * "arp -an" prints it ("? (A) at M on en0 ..."), knows it, and only
 * once the host has talked to the guest.
 */

/* A MAC as bootpd and arp print it, bytes without leading zeros. */
static int
parse_loose_mac(const char *s, uint64_t *mac)
{
	unsigned long	 byte;
	char		*end;
	int		 i;

	*mac = 0;
	for (i = 0; i < 6; i++) {
		if ((s[0] < '0' || s[0] > '9') && ((s[0] | 0x20) < 'a' ||
		    (s[0] | 0x20) > 'f'))
			return -1;
		byte = strtoul(s, &end, 16);
		if (byte > 0xff || end - s > 2 ||
		    (i < 5 ? *end != ':' : (*end != '\0' && *end != ' ')))
			return -1;
		*mac = *mac << 8 | byte;
		s = end + 1;
	}
	return 0;
}

/*
 * The address of the newest lease for mac, or NULL; only an IPv4
 * address as bootpd writes it is taken.
 */
char *
lease_addr(const char *leases, uint64_t mac)
{
	const char	*p, *eol;
	char		*ip = NULL, *best = NULL, line[256];
	uint64_t	 hw = 0, lease = 0, bestlease = 0;
	size_t		 n;
	int		 inside = 0, match = 0;

	for (p = leases; p != NULL && *p != '\0'; p = eol) {
		eol = strchr(p, '\n');
		n = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (eol != NULL)
			eol++;
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n >= sizeof(line))
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		if (strcmp(line, "{") == 0) {
			inside = 1;
			match = 0;
			lease = 0;
			free(ip);
			ip = NULL;
		} else if (strcmp(line, "}") == 0 && inside) {
			if (match && ip != NULL && (best == NULL ||
			    lease >= bestlease)) {
				free(best);
				best = ip;
				ip = NULL;
				bestlease = lease;
			}
			inside = 0;
		} else if (strncmp(line, "ip_address=", 11) == 0) {
			free(ip);
			ip = parse_ipv4(line + 11, &(uint32_t){ 0 }) == 0 ?
			    xstrdup(line + 11) : NULL;
		} else if (strncmp(line, "hw_address=1,", 13) == 0)
			match = parse_loose_mac(line + 13, &hw) == 0 &&
			    hw == mac;
		else if (strncmp(line, "lease=0x", 8) == 0)
			lease = strtoull(line + 8, NULL, 16);
	}
	free(ip);
	return best;
}

/*
 * One line of "arp -an": its MAC and IPv4 address (ip holds at least
 * 16 bytes), 0; -1 for a line that is not an entry, or not one of an
 * IPv4 address and a MAC.
 */
int
arp_line(const char *line, uint64_t *mac, char *ip)
{
	const char	*open, *close;
	size_t		 n;

	if ((open = strchr(line, '(')) == NULL ||
	    (close = strchr(open, ')')) == NULL ||
	    strncmp(close, ") at ", 5) != 0 ||
	    (n = (size_t)(close - open - 1)) > 15)
		return -1;
	memcpy(ip, open + 1, n);
	ip[n] = '\0';
	if (parse_ipv4(ip, &(uint32_t){ 0 }) == -1 ||
	    parse_loose_mac(close + 5, mac) == -1)
		return -1;
	return 0;
}

/*
 * The ARP table, as far as vmc needs it: the entries of the bridged
 * VMs' MACs (want), at most ARP_MAX of them, however long arp's output.
 */
#define ARP_MAX	4096
struct arp {
	struct arpent {
		uint64_t	 mac;
		char		 ip[16];
	}		*v;
	size_t		 n;
	uint64_t	*want;
	size_t		 nwant;
};

static void
arp_add(const char *line, void *arg)
{
	struct arp	*t = arg;
	struct arpent	 e;
	size_t		 i;

	if (t->n == ARP_MAX || arp_line(line, &e.mac, e.ip) == -1)
		return;
	for (i = 0; i < t->nwant && t->want[i] != e.mac; i++)
		continue;
	if (i == t->nwant)
		return;
	if (t->n % 256 == 0)
		t->v = xreallocarray(t->v, t->n + 256, sizeof(*t->v));
	t->v[t->n++] = e;
}

struct reach {
	const struct install *opt;
	struct buf	 leases;
	struct arp	 arp;
	int		 readleases, ranarp;
};

/*
 * Where a VM can be reached, from its "fwd" and "mac" lines: an entry
 * each in out, which it fills.
 */
static void
reach_vm(struct reach *r, const char *lines, char ***out, size_t *n)
{
	struct stat	 st;
	char		 w[5][64], *addr, *path, *argv[3], *line, *next;
	char		*copy;
	uint64_t	 mac;
	size_t		 i;
	int		 k;

	*out = NULL;
	*n = 0;
	copy = xstrdup(lines);
	for (line = copy; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		k = sscanf(line, "%63s %63s %63s %63s %63s", w[0], w[1],
		    w[2], w[3], w[4]);
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		if (strcmp(w[0], "fwd") == 0 && k == 5) {
			(*out)[(*n)++] = xasprintf("%s:%s -> %s%s", w[2], w[3],
			    w[4], strcmp(w[1], "udp") == 0 ? "/udp" : "");
			continue;
		}
		addr = NULL;
		if (k != 3 || parse_mac(w[2], &mac) == -1)
			;
		else if (strcmp(w[1], "vmnet-bridged") != 0) {
			if (!r->readleases) {
				path = xasprintf("%s/var/db/dhcpd_leases",
				    r->opt->root);
				r->readleases = 1;
				path_read(AT_FDCWD, path, 1, MAX_FILE,
				    &r->leases, &st);
				free(path);
			}
			addr = lease_addr(r->leases.p, mac);
		} else {
			if (!r->ranarp) {
				argv[0] = (char *)r->opt->arp;
				argv[1] = "-an";
				argv[2] = NULL;
				r->ranarp = 1;
				if (run_lines(argv, arp_add, &r->arp) != 0)
					r->arp.n = 0;
			}
			for (i = 0; addr == NULL && i < r->arp.n; i++)
				if (r->arp.v[i].mac == mac)
					addr = xstrdup(r->arp.v[i].ip);
		}
		(*out)[(*n)++] = addr != NULL ? addr : xstrdup("unknown");
	}
	free(copy);
}

/* Text another program printed, made safe for a terminal. */
static char *
safe(const char *s)
{
	struct buf	 b = { NULL, 0, 0 };

	buf_add(&b, "", 0);
	quote_vis(&b, s, 0);
	return b.p;
}

/* What status says of one VM. */
struct vmstate {
	const struct recvm *v;
	const char	*state;
	long		 pid;
	char		 exit[16];
	long long	 since;
	int		 pending;
	int		 loaded;	/* launchd holds the job */
	int		 held;		/* vmc stop took it out of launchd */
	char		**addr;
	size_t		 naddr;
};

static void
vmstate(struct reach *r, const struct jobs *jobs, const struct recvm *v,
    struct vmstate *s)
{
	const struct job	*j;
	struct running		 run;

	memset(s, 0, sizeof(*s));
	s->v = v;
	s->state = "stopped";
	strlcpy(s->exit, "-", sizeof(s->exit));
	if ((j = jobs_find(jobs, v->label)) != NULL) {
		s->loaded = 1;
		s->pid = j->pid;
		strlcpy(s->exit, j->status, sizeof(s->exit));
	} else if (running_read(r->opt, v, &run) == 0) {
		s->held = run.stopped;
		running_free(&run);
	}
	if (s->pid == 0)
		return;
	s->state = "running";
	if (running_read(r->opt, v, &run) == 0 && run.alive) {
		s->since = run.since;
		if ((s->pending = running_pending(r->opt, v, &run)))
			s->state = "restart pending";
		reach_vm(r, run.reach.p, &s->addr, &s->naddr);
	}
	running_free(&run);
}

/* A time as status shows it: local, to the minute. */
static void
when(char *buf, size_t size, long long t, int utc)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t <= 0 || (utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)) ==
	    NULL || strftime(buf, size, utc ? "%Y-%m-%dT%H:%M:%SZ" :
	    "%Y-%m-%d %H:%M", &tm) == 0)
		strlcpy(buf, "-", size);
}

static void
json_field(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, ", \"%s\": ", key);
	if (value == NULL)
		buf_puts(b, "null");
	else
		quote_json(b, value);
}

/* One VM as an object of status -j, a stable interface (vmc(1)). */
static void
print_json(struct buf *b, const struct vmstate *s)
{
	char	 t[32];
	size_t	 i;

	buf_puts(b, "{\"name\": ");
	quote_json(b, s->v->name);
	json_field(b, "kind", s->v->net ? "network" : "vm");
	json_field(b, "label", s->v->label);
	json_field(b, "state", s->state);
	buf_printf(b, ", \"loaded\": %s, \"held\": %s", s->loaded ? "true" :
	    "false", s->held ? "true" : "false");
	if (s->pid > 0)
		buf_printf(b, ", \"pid\": %ld", s->pid);
	else
		buf_puts(b, ", \"pid\": null");
	if (s->exit[s->exit[0] == '-'] != '\0' &&
	    strspn(s->exit + (s->exit[0] == '-'), "0123456789") ==
	    strlen(s->exit + (s->exit[0] == '-')))
		buf_printf(b, ", \"last_exit\": %s", s->exit);
	else
		buf_puts(b, ", \"last_exit\": null");
	when(t, sizeof(t), s->since, 1);
	json_field(b, "since", s->since > 0 ? t : NULL);
	buf_printf(b, ", \"restart_pending\": %s", s->pending ? "true" :
	    "false");
	buf_puts(b, ", \"addresses\": [");
	for (i = 0; i < s->naddr; i++) {
		if (i > 0)
			buf_puts(b, ", ");
		quote_json(b, s->addr[i]);
	}
	buf_puts(b, "]");
	json_field(b, "log", s->v->log);
	json_field(b, "console", s->v->console);
	buf_puts(b, "}");
}

static void
print_row(struct buf *b, const struct vmstate *s, int wn, int wl)
{
	char	*pid, *ex, t[32];
	size_t	 i;

	pid = s->pid > 0 ? xasprintf("%ld", s->pid) : xstrdup("-");
	/* What launchctl, arp and the leases said is shown safe. */
	ex = safe(s->exit);
	when(t, sizeof(t), s->since, 0);
	buf_printf(b, "%-*s  %-*s  %-15s  %-7s  %-4s  %-16s  ", wn,
	    s->v->name, wl, s->v->label, s->state, pid, ex, t);
	for (i = 0; i < s->naddr; i++) {
		if (i > 0)
			buf_puts(b, ", ");
		quote_vis(b, s->addr[i], 0);
	}
	buf_puts(b, s->naddr == 0 ? "-\n" : "\n");
	free(pid);
	free(ex);
}

int
status_run(struct ctx *ctx, const struct install *opt, char **names, int n)
{
	struct record	 man;
	struct reach	 r;
	struct jobs	 jobs;
	struct vmstate	 s;
	struct buf	 b = { NULL, 0, 0 };
	char		*path, macs[18];
	uint64_t	 mac;
	size_t		 i, k, wn = 4, wl = 5, shown = 0;
	int		 j, rc;

	path = xasprintf("%s%s", opt->root, MANIFEST);
	rc = record_read(ctx, path, REC_MANIFEST, &man);
	free(path);
	if (rc == -2) {
		diag_flush(ctx);
		return ctx_status(ctx);
	}
	for (j = 0; j < n; j++)
		if (record_find(&man, names[j]) == NULL)
			diag(ctx, (struct loc){ NULL, 0 }, M(NOT_INSTALLED),
			    names[j]);
	if (ctx->errors > 0) {
		diag_flush(ctx);
		record_free(&man);
		return EXIT_REFUSED;
	}
	/* Every job at once, whatever the number of VMs. */
	if (man.n > 0 && launchctl_list(ctx, opt->launchctl, &jobs) != 0) {
		diag_flush(ctx);
		record_free(&man);
		return ctx_status(ctx);
	}
	memset(&r, 0, sizeof(r));
	r.opt = opt;
	for (i = 0; i < man.n; i++)
		for (k = 0; k < man.vm[i].nreach; k++)
			if (sscanf(man.vm[i].reach[k], "mac vmnet-bridged %17s",
			    macs) == 1 && parse_mac(macs, &mac) == 0) {
				r.arp.want = xreallocarray(r.arp.want,
				    r.arp.nwant + 1, sizeof(*r.arp.want));
				r.arp.want[r.arp.nwant++] = mac;
			}
	for (i = 0; i < man.n; i++) {
		if (strlen(man.vm[i].name) > wn)
			wn = strlen(man.vm[i].name);
		if (strlen(man.vm[i].label) > wl)
			wl = strlen(man.vm[i].label);
	}
	if (opt->json)
		buf_puts(&b, "[");
	else
		buf_printf(&b, "%-*s  %-*s  %-15s  %-7s  %-4s  %-16s  %s\n",
		    (int)wn, "NAME", (int)wl, "LABEL", "STATE", "PID", "EXIT",
		    "SINCE", "ADDRESS");
	for (i = 0; i < man.n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(names[j], man.vm[i].name) == 0)
				break;
		if (n > 0 && j == n)
			continue;
		vmstate(&r, &jobs, &man.vm[i], &s);
		if (opt->json) {
			buf_puts(&b, shown++ > 0 ? ",\n " : "\n ");
			print_json(&b, &s);
		} else
			print_row(&b, &s, (int)wn, (int)wl);
		for (k = 0; k < s.naddr; k++)
			free(s.addr[k]);
		free(s.addr);
	}
	if (opt->json)
		buf_puts(&b, shown > 0 ? "\n]\n" : "]\n");
	fwrite(b.p, 1, b.len, stdout);
	fflush(stdout);
	buf_free(&b);
	buf_free(&r.leases);
	free(r.arp.v);
	free(r.arp.want);
	if (man.n > 0)
		jobs_free(&jobs);
	record_free(&man);
	return 0;
}
