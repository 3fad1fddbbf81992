#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

/*
 * The host VMs are validated against: read from a host file (-H) or
 * probed.  A probe builds the same document a host file would give,
 * so both go through one model.
 */

int
host_read(struct ctx *ctx, struct host *h, const char *path)
{
	memset(h, 0, sizeof(*h));
	if (doc_read(ctx, &h->doc, path, NULL) == -1)
		return -1;
	if (h->doc.nsect == 0) {
		diag(ctx, (struct loc){ intern(ctx, path), 0 },
		    M(HOST_SECTION_MISSING));
		return -1;
	}
	return host_model(ctx, h);
}

static void
put(struct host *h, const char *section, const char *key, char *value)
{
	struct loc	 at = { "live host", 0 };

	doc_add(&h->doc, section, key, value, at);
}

static void
section(struct host *h, const char *name)
{
	struct loc	 at = { "live host", 0 };

	doc_section(&h->doc, name, strlen(name), at);
}

static int
prefixlen(const struct sockaddr *sa)
{
	const unsigned char	*p;
	size_t			 n, i;
	int			 bits = 0, m;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		p = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		n = 16;
	}
	for (i = 0; i < n && p[i] == 0xff; i++)
		bits += 8;
	for (m = 0x80; i < n && (p[i] & m); m >>= 1)
		bits++;
	return bits;
}

static int
cmp_ifa(const void *a, const void *b)
{
	const struct ifaddrs	*x = *(struct ifaddrs *const *)a;
	const struct ifaddrs	*y = *(struct ifaddrs *const *)b;

	return strcmp(x->ifa_name, y->ifa_name);
}

static char *
fmt_addr(const struct ifaddrs *ifa)
{
	char		 s[INET6_ADDRSTRLEN];
	const void	*a;

	if (ifa->ifa_addr->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)
		    ifa->ifa_addr)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)(const void *)
		    ifa->ifa_addr)->sin6_addr;
	if (inet_ntop(ifa->ifa_addr->sa_family, a, s, sizeof(s)) == NULL)
		return NULL;
	return xasprintf("%s/%d", s, prefixlen(ifa->ifa_netmask));
}

/*
 * macOS shows each running vmnet network as a bridge interface that
 * holds its gateway, numbered from 100 (bridge100, bridge101, ...).
 */
static int
vmnet_bridge(const char *name)
{
	const char	*p;

	if (strncmp(name, "bridge", 6) != 0 || name[6] < '1' || name[6] > '9')
		return 0;
	for (p = name + 6; *p >= '0' && *p <= '9'; p++)
		continue;
	return *p == '\0' && p - (name + 6) >= 3;
}

static void
probe_ifaces(struct ctx *ctx, struct host *h, int macos)
{
	struct ifaddrs	*all, *ifa, **v;
	char		*name;
	size_t		 n = 0, i, j;

	if (getifaddrs(&all) == -1) {
		diag(ctx, (struct loc){ NULL, 0 }, M(HOST_INTERFACES),
		    strerror(errno));
		return;
	}
	for (ifa = all; ifa != NULL; ifa = ifa->ifa_next)
		n++;
	v = xcalloc(n, sizeof(*v));
	for (n = 0, ifa = all; ifa != NULL; ifa = ifa->ifa_next)
		v[n++] = ifa;
	qsort(v, n, sizeof(*v), cmp_ifa);
	for (i = 0; i < n; i = j) {
		name = xasprintf("interface.%s", v[i]->ifa_name);
		section(h, name);
		for (j = i; j < n && strcmp(v[j]->ifa_name, v[i]->ifa_name) == 0;
		    j++) {
			if (v[j]->ifa_addr == NULL ||
			    (v[j]->ifa_addr->sa_family != AF_INET &&
			    v[j]->ifa_addr->sa_family != AF_INET6))
				continue;
			/* Link-local IPv6 carries a scope; vmc needs none. */
			if (v[j]->ifa_addr->sa_family == AF_INET6 &&
			    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)
			    (void *)v[j]->ifa_addr)->sin6_addr))
				continue;
			put(h, name, "address", fmt_addr(v[j]));
		}
		put(h, name, "up", xstrdup(v[i]->ifa_flags & IFF_UP ?
		    "yes" : "no"));
		put(h, name, "loopback", xstrdup(v[i]->ifa_flags &
		    IFF_LOOPBACK ? "yes" : "no"));
		if (macos && vmnet_bridge(v[i]->ifa_name))
			put(h, name, "vmnet", xstrdup("yes"));
		free(name);
	}
	free(v);
	freeifaddrs(all);
}

/* An executable on PATH or where Homebrew puts it. */
static char *
which(const char *prog)
{
	const char	*path, *p, *end;
	char		*dir, *file;

	if ((path = getenv("PATH")) == NULL)
		path = "";
	path = xasprintf("%s:/opt/homebrew/bin:/usr/local/bin", path);
	for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		if (*p != '/')
			continue;
		dir = xasprintf("%.*s", (int)(end - p), p);
		file = path_join(dir, prog);
		free(dir);
		if (access(file, X_OK) == 0) {
			free((char *)path);
			return file;
		}
		free(file);
	}
	free((char *)path);
	return NULL;
}

/*
 * vmc gives the firmware to QEMU as a pflash drive, which on virt must
 * be 64 MiB: Debian's AAVMF_CODE.fd is, its QEMU_EFI.fd (2 MiB, for
 * -bios) is not.
 */
#define PFLASH_SIZE	(64 << 20)

static int
pflash_ok(const char *path)
{
	struct stat	 st;

	return access(path, R_OK) == 0 && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == PFLASH_SIZE;
}

static char *
find_firmware(const char *qemu)
{
	char	*dir, *p;

	if (qemu != NULL) {
		dir = path_dir(qemu);
		p = xasprintf("%s/../share/qemu/edk2-aarch64-code.fd", dir);
		free(dir);
		if (pflash_ok(p))
			return p;
		free(p);
	}
	if (pflash_ok("/usr/share/AAVMF/AAVMF_CODE.fd"))
		return xstrdup("/usr/share/AAVMF/AAVMF_CODE.fd");
	return NULL;
}

/* The aarch64 UEFI variables' template that goes with the firmware. */
static char *
find_vars(const char *qemu)
{
	const char	*fixed = "/usr/share/AAVMF/AAVMF_VARS.fd";
	char		*dir, *p;

	if (qemu != NULL) {
		dir = path_dir(qemu);
		p = xasprintf("%s/../share/qemu/edk2-arm-vars.fd", dir);
		free(dir);
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return access(fixed, R_OK) == 0 ? xstrdup(fixed) : NULL;
}

/* The qemu-img of the host's QEMU: beside it, else on PATH. */
static char *
find_qemu_img(const char *qemu)
{
	char	*dir, *p;

	if (qemu != NULL) {
		dir = path_dir(qemu);
		p = path_join(dir, "qemu-img");
		free(dir);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return which("qemu-img");
}

/* The version right after tag in text (which it cuts), or NULL. */
static char *
version_after(char *text, const char *tag)
{
	uint64_t	 n;
	char		*p;

	if (text == NULL || (p = strstr(text, tag)) == NULL)
		return NULL;
	p += strlen(tag);
	p[strspn(p, "0123456789.")] = '\0';
	return parse_version(p, &n) == 0 ? xstrdup(p) : NULL;
}

/*
 * The version Homebrew's path to a binary tells, without running it:
 * its bin/ links into Cellar/qemu/VERSION[_REVISION]/bin/.
 */
static char *
cellar_version(const char *qemu)
{
	char	*real, *v;

	real = realpath(qemu, NULL);
	v = version_after(real, "/Cellar/qemu/");
	free(real);
	return v;
}

/*
 * The version of a QEMU binary: from Homebrew's path, else from the
 * first line of its --version, "QEMU emulator version 9.2.0" (Debian
 * and Homebrew append their own words), which costs a tenth of a
 * second; NULL when neither tells.
 */
static char *
qemu_version(const char *qemu)
{
	struct buf	 cmd = { NULL, 0, 0 };
	char		 line[256], *v;
	FILE		*fp;

	if ((v = cellar_version(qemu)) != NULL)
		return v;
	quote_sh(&cmd, qemu);
	buf_puts(&cmd, " --version 2>/dev/null");
	if ((fp = popen(cmd.p, "r")) == NULL) {
		buf_free(&cmd);
		return NULL;
	}
	v = version_after(fgets(line, sizeof(line), fp),
	    "QEMU emulator version ");
	pclose(fp);
	buf_free(&cmd);
	return v;
}

/*
 * socket_vmnet, as its upstream installs it (root's alone) or as
 * Homebrew does (its prefix belongs to a user) on either kind of Mac.
 */
static char *
find_socket_vmnet(void)
{
	static const char *const where[] = {
	    "/opt/socket_vmnet/bin/socket_vmnet",
	    "/opt/homebrew/opt/socket_vmnet/bin/socket_vmnet",
	    "/usr/local/opt/socket_vmnet/bin/socket_vmnet" };
	size_t	 i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return xstrdup(where[i]);
	return NULL;
}

int
host_probe(struct ctx *ctx, struct host *h)
{
	struct utsname	 u;
	const char	*os, *arch;
	char		*x86, *arm, *fw, *vars, *img, *ver, *svm;
	long		 cpus, pages, pagesize;

	memset(h, 0, sizeof(*h));
	h->live = 1;
	if (uname(&u) == -1) {
		diag(ctx, (struct loc){ NULL, 0 }, M(HOST_UNAME),
		    strerror(errno));
		return -1;
	}
	if (strcmp(u.sysname, "Darwin") == 0)
		os = "macos";
	else if (strcmp(u.sysname, "Linux") == 0)
		os = "linux";
	else
		os = u.sysname;
	if (strcmp(u.machine, "x86_64") == 0 || strcmp(u.machine, "amd64") == 0)
		arch = "x86_64";
	else if (strcmp(u.machine, "arm64") == 0 ||
	    strcmp(u.machine, "aarch64") == 0)
		arch = "aarch64";
	else
		arch = u.machine;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pages = sysconf(_SC_PHYS_PAGES);
	pagesize = sysconf(_SC_PAGESIZE);
	section(h, "host");
	put(h, "host", "os", xstrdup(os));
	put(h, "host", "arch", xstrdup(arch));
	put(h, "host", "cpus", xasprintf("%ld", cpus > 0 ? cpus : 1));
	put(h, "host", "memory", xasprintf("%lldK", pages > 0 && pagesize > 0 ?
	    (long long)pages * (pagesize / 1024) : 0));
	probe_ifaces(ctx, h, strcmp(os, "macos") == 0);
	section(h, "qemu");
	x86 = which("qemu-system-x86_64");
	arm = which("qemu-system-aarch64");
	fw = find_firmware(arm);
	vars = find_vars(arm);
	img = find_qemu_img(x86 != NULL ? x86 : arm);
	ver = x86 != NULL || arm != NULL ? qemu_version(x86 != NULL ? x86 :
	    arm) : NULL;
	svm = find_socket_vmnet();
	if (x86 != NULL)
		put(h, "qemu", "x86_64", x86);
	if (arm != NULL)
		put(h, "qemu", "aarch64", arm);
	if (fw != NULL)
		put(h, "qemu", "firmware-aarch64", fw);
	if (vars != NULL)
		put(h, "qemu", "vars-aarch64", vars);
	if (img != NULL)
		put(h, "qemu", "qemu-img", img);
	if (ver != NULL)
		put(h, "qemu", "version", ver);
	if (svm != NULL)
		put(h, "qemu", "socket_vmnet", svm);
	return host_model(ctx, h);
}

static void
print_val(FILE *fp, const char *key, const struct val *v)
{
	if (val_ok(v))
		fprintf(fp, "%s = %s\n", key, v->s);
}

static void
print_size(FILE *fp, uint64_t n)
{
	static const char	 units[] = "KMGT";
	int			 u = -1;

	while (u < 3 && n % 1024 == 0 && n >= 1024) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		fprintf(fp, "memory = %lluK\n", (unsigned long long)(n / 1024));
	else
		fprintf(fp, "memory = %llu%c\n", (unsigned long long)n, units[u]);
}

/*
 * Prints the host as a host file.  An interface whose name the reader
 * would not read back (Linux allows ']', blanks and any byte above
 * 0x7f) is left out, with a warning when ctx is given: a host file is
 * for describing a Mac, whose interface names are plain.
 */
void
host_print(struct ctx *ctx, const struct host *h, FILE *fp)
{
	char	*section, *vis;
	size_t	 i, j;

	fprintf(fp, "[host]\n");
	print_val(fp, "os", &h->os);
	print_val(fp, "arch", &h->arch);
	print_val(fp, "cpus", &h->cpus);
	print_size(fp, h->memory.n);
	for (i = 0; i < h->nifs; i++) {
		section = xasprintf("interface.%s", h->ifs[i].name);
		if (!doc_section_ok(section)) {
			if (ctx != NULL) {
				vis = diag_vis(h->ifs[i].name);
				diag(ctx, (struct loc){ NULL, 0 }, M(HOST_NAME),
				    vis);
				free(vis);
			}
			free(section);
			continue;
		}
		fprintf(fp, "\n[%s]\n", section);
		free(section);
		for (j = 0; j < h->ifs[i].naddr; j++)
			fprintf(fp, "address = %s\n", h->ifs[i].addr[j].s);
		print_val(fp, "up", &h->ifs[i].up);
		print_val(fp, "loopback", &h->ifs[i].loopback);
		if (val_ok(&h->ifs[i].vmnet) && h->ifs[i].vmnet.n)
			fprintf(fp, "vmnet = yes\n");
	}
	fprintf(fp, "\n[qemu]\n");
	print_val(fp, "x86_64", &h->qemu_x86_64);
	print_val(fp, "aarch64", &h->qemu_aarch64);
	print_val(fp, "firmware-aarch64", &h->firmware_aarch64);
	print_val(fp, h->vars_aarch64.key, &h->vars_aarch64);
	print_val(fp, h->qemu_img.key, &h->qemu_img);
	print_val(fp, h->qemu_version.key, &h->qemu_version);
	print_val(fp, h->socket_vmnet.key, &h->socket_vmnet);
}
