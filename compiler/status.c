#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * vmc status: for each installed VM (the manifest, index.c), what
 * launchd says of its job and where the guest can be reached.
 *
 * launchctl print system/LABEL prints a block of "key = value" lines,
 * one tab deep for the service itself (deeper for its endpoints and
 * the like): "state = running", "pid = 412", "last exit code = 0" or
 * "(never exited)".  It fails (status 113, "Could not find service")
 * for a job that is not loaded.
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

struct job {
	char	 state[16];
	char	 pid[16];
	char	 exit[32];
};

/* One line at the service's own depth: "\tKEY = VALUE". */
static const char *
field(const char *line, const char *key)
{
	size_t	 n = strlen(key);

	if (line[0] != '\t' || strncmp(line + 1, key, n) != 0 ||
	    strncmp(line + 1 + n, " = ", 3) != 0)
		return NULL;
	return line + n + 4;
}

static void
copy_word(char *dst, size_t size, const char *src, const char *stop)
{
	size_t	 n;

	n = strcspn(src, stop);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
job_status(const struct install *opt, const char *label, struct job *j)
{
	char		*out = NULL, *target, *line, *next;
	const char	*v;

	strlcpy(j->state, "not loaded", sizeof(j->state));
	strlcpy(j->pid, "-", sizeof(j->pid));
	strlcpy(j->exit, "-", sizeof(j->exit));
	target = xasprintf("system/%s", label);
	/* Not loaded: "113: Could not find service", said by status. */
	if (launchctl(NULL, opt->launchctl, 0, 0, "print", target, NULL,
	    &out) == 0) {
		strlcpy(j->state, "stopped", sizeof(j->state));
		for (line = out; line != NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if ((v = field(line, "state")) != NULL &&
			    strcmp(v, "running") == 0)
				strlcpy(j->state, "running", sizeof(j->state));
			else if ((v = field(line, "pid")) != NULL)
				copy_word(j->pid, sizeof(j->pid), v, " ");
			else if ((v = field(line, "last exit code")) != NULL &&
			    *v != '(')
				copy_word(j->exit, sizeof(j->exit), v, ":");
		}
	}
	free(target);
	free(out);
}

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

/* The address of the newest lease for mac, or NULL. */
static char *
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
			ip = xstrdup(line + 11);
		} else if (strncmp(line, "hw_address=1,", 13) == 0)
			match = parse_loose_mac(line + 13, &hw) == 0 &&
			    hw == mac;
		else if (strncmp(line, "lease=0x", 8) == 0)
			lease = strtoull(line + 8, NULL, 16);
	}
	free(ip);
	return best;
}

/* The address the ARP table gives mac, or NULL. */
static char *
arp_addr(const char *table, uint64_t mac)
{
	const char	*p, *open, *close, *atw;
	uint64_t	 hw;

	for (p = table; p != NULL && *p != '\0';
	    p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
		if ((open = strchr(p, '(')) == NULL ||
		    (close = strchr(open, ')')) == NULL ||
		    strncmp(close, ") at ", 5) != 0)
			continue;
		atw = close + 5;
		if (parse_loose_mac(atw, &hw) == 0 && hw == mac)
			return xasprintf("%.*s", (int)(close - open - 1),
			    open + 1);
	}
	return NULL;
}

struct reach {
	const struct install *opt;
	struct buf	 leases;
	struct buf	 arp;
	int		 readleases, ranarp;
};

/* Where a VM can be reached, from its "fwd" and "mac" lines. */
static void
reach_vm(struct reach *r, const struct recvm *v, struct buf *b)
{
	struct stat	 st;
	char		 w[5][64], *addr, *path, *argv[3];
	uint64_t	 mac;
	size_t		 i;
	int		 n;

	b->len = 0;
	buf_add(b, "", 0);
	for (i = 0; i < v->nreach; i++) {
		n = sscanf(v->reach[i], "%63s %63s %63s %63s %63s", w[0], w[1],
		    w[2], w[3], w[4]);
		if (b->len > 0)
			buf_puts(b, ", ");
		if (strcmp(w[0], "fwd") == 0 && n == 5) {
			buf_printf(b, "%s:%s -> %s%s", w[2], w[3], w[4],
			    strcmp(w[1], "udp") == 0 ? "/udp" : "");
			continue;
		}
		if (n != 3 || parse_mac(w[2], &mac) == -1) {
			buf_puts(b, "unknown");
			continue;
		}
		addr = NULL;
		if (strcmp(w[1], "vmnet-bridged") != 0) {
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
				if (run(argv, &r->arp) != 0)
					r->arp.len = 0;
			}
			addr = r->arp.len > 0 ? arp_addr(r->arp.p, mac) : NULL;
		}
		buf_puts(b, addr != NULL ? addr : "unknown");
		free(addr);
	}
	if (b->len == 0)
		buf_puts(b, "-");
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

int
status_run(struct ctx *ctx, const struct install *opt, char **names, int n)
{
	struct record	 man;
	struct reach	 r;
	struct job	*jobs;
	struct buf	 b = { NULL, 0, 0 };
	const char	*nm = "NAME", *lb = "LABEL";
	char		*path, *pid, *ex, *addr;
	size_t		 i, wn, wl;
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
	memset(&r, 0, sizeof(r));
	r.opt = opt;
	jobs = xcalloc(man.n + 1, sizeof(*jobs));
	wn = strlen(nm);
	wl = strlen(lb);
	for (i = 0; i < man.n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(names[j], man.vm[i].name) == 0)
				break;
		if (n > 0 && j == n) {
			jobs[i].state[0] = '\0';
			continue;
		}
		job_status(opt, man.vm[i].label, &jobs[i]);
		if (strlen(man.vm[i].name) > wn)
			wn = strlen(man.vm[i].name);
		if (strlen(man.vm[i].label) > wl)
			wl = strlen(man.vm[i].label);
	}
	printf("%-*s  %-*s  %-10s  %-7s  %-4s  %s\n", (int)wn, nm, (int)wl, lb,
	    "STATE", "PID", "EXIT", "ADDRESS");
	for (i = 0; i < man.n; i++) {
		if (jobs[i].state[0] == '\0')
			continue;
		reach_vm(&r, &man.vm[i], &b);
		/* What launchctl, arp and the leases said is shown safe. */
		pid = safe(jobs[i].pid);
		ex = safe(jobs[i].exit);
		addr = safe(b.p);
		printf("%-*s  %-*s  %-10s  %-7s  %-4s  %s\n", (int)wn,
		    man.vm[i].name, (int)wl, man.vm[i].label, jobs[i].state,
		    pid, ex, addr);
		free(pid);
		free(ex);
		free(addr);
	}
	fflush(stdout);
	buf_free(&b);
	buf_free(&r.leases);
	buf_free(&r.arp);
	free(jobs);
	record_free(&man);
	return 0;
}
