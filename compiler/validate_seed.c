#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmc.h"

/*
 * The cloud-init seed: the local seed's user-data and keys, as
 * resolve.c read them, and whether a seed URL is reachable from the
 * guest's networks.
 */

/* user-data goes to the guest verbatim, in a form cloud-init takes. */
static void
check_userdata(struct ctx *ctx, struct vm *vm)
{
	struct cloudinit	*ci = &vm->ci;
	const char		*text = vm->res.udtext;
	char			*vis;

	if (text == NULL)
		return;
	if (strncmp(text, "#cloud-config", 13) == 0 ||
	    strncmp(text, "#!", 2) == 0 ||
	    strncasecmp(text, "Content-Type:", 13) == 0 ||
	    strncasecmp(text, "MIME-Version:", 13) == 0) {
		ci->ud = text;
		ci->udlen = vm->res.udlen;
		return;
	}
	vis = diag_vis(ci->userdata.s);
	diag_error(ctx, ci->userdata.at, ci->userdata.key, "%s does not start "
	    "with #cloud-config, #! or a MIME header (Content-Type:)", vis);
	free(vis);
}

static void
add_key(struct vm *vm, const char *line, size_t len)
{
	struct cloudinit	*ci = &vm->ci;

	ci->keys = xreallocarray(ci->keys, ci->nkeys + 1, sizeof(*ci->keys));
	ci->keys[ci->nkeys++] = pool_printf(&vm->pool, "%.*s", (int)len, line);
}

/* A key file: OpenSSH public key lines, blank lines and # comments. */
static void
read_keys(struct ctx *ctx, struct vm *vm, const struct val *v,
    const char *contents)
{
	const char	*errstr, *file;
	char		*text, *line, *next, *vis, *dir, *shown;
	size_t		 n0 = vm->ci.nkeys, len;
	int		 lineno = 0;

	/* Named as the profile is, as diagnostics name files. */
	dir = path_dir(vm->path);
	shown = path_join(dir, v->s);
	file = intern(ctx, shown);
	free(shown);
	free(dir);
	text = xstrdup(contents);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if ((len = strlen(line)) > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		if (!utf8_valid(line) || check_sshkey(line, &errstr) == -1) {
			vis = diag_vis(line);
			diag_error(ctx, (struct loc){ file, lineno }, v->key,
			    "%.40s%s %s", vis, strlen(vis) > 40 ? "..." : "",
			    utf8_valid(line) ? errstr : "is not UTF-8");
			free(vis);
			continue;
		}
		add_key(vm, line, strlen(line));
	}
	free(text);
	if (vm->ci.nkeys == n0) {
		vis = diag_vis(v->s);
		diag_error(ctx, v->at, v->key, "%s holds no public key", vis);
		free(vis);
	}
}

/* Each ssh-key is a public key line, or else names a file of them. */
static void
check_keys(struct ctx *ctx, struct vm *vm)
{
	const struct val	*v;
	const char		*errstr;
	size_t			 i;
	char			*vis;

	for (i = 0; i < vm->ci.sshkeys.n; i++) {
		v = &vm->ci.sshkeys.v[i];
		if (strpbrk(v->s, " \t") == NULL) {
			if (vm->res.keytext[i] != NULL)
				read_keys(ctx, vm, v, vm->res.keytext[i]);
			continue;
		}
		if (check_sshkey(v->s, &errstr) == 0) {
			add_key(vm, v->s, strlen(v->s));
			continue;
		}
		vis = diag_vis(v->s);
		diag_error(ctx, v->at, v->key, "%.40s%s %s", vis,
		    strlen(vis) > 40 ? "..." : "", errstr);
		free(vis);
	}
}

/* The local seed replaces the seed URL; what it holds must be sound. */
void
check_cloudinit(struct ctx *ctx, struct vm *vm)
{
	if (val_ok(&vm->seed))
		diag_error(ctx, vm->seed.at, vm->seed.key, "a seed URL and a "
		    "[cloud-init] section exclude each other: the local seed "
		    "needs no server");
	check_userdata(ctx, vm);
	check_keys(ctx, vm);
}

/* Whether the guest can reach the seed's host over one of its cards. */
void
check_seed(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v = &vm->seed;
	const char		*p;
	char			 host[256];
	uint32_t		 a;
	size_t			 i, n;
	int			 user = 0, lan = 0, v4;

	if (!val_ok(v))
		return;
	if (vm->nnic == 0) {
		diag_error(ctx, v->at, v->key, "the VM has no network card to "
		    "fetch it with; add a [network] section");
		return;
	}
	for (i = 0; i < vm->nnic; i++) {
		if (!val_ok(&vm->nic[i].mode))
			return;
		user |= vm->nic[i].mode.n == NET_USER;
		lan |= vm->nic[i].mode.n == NET_BRIDGED;
	}
	p = strstr(v->s, "://") + 3;
	n = *p == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/");
	if (n >= sizeof(host))
		return;
	memcpy(host, p, n);
	host[n] = '\0';
	v4 = parse_ipv4(host, &a) == 0;
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    (v4 && a >> 24 == 127)) {
		diag_error(ctx, v->at, v->key, "'%s' is the guest itself, not "
		    "the host; %s", host, user ? "from the user network the "
		    "host is 10.0.2.2" : "use an address of the host on the "
		    "guest's network");
		return;
	}
	if (!v4 || user)
		return;
	if ((a & 0xffffff00) == 0x0a000200) {
		diag_error(ctx, v->at, v->key, "'%s' is on QEMU's user network, "
		    "and the VM has no card on it; use the host's address on "
		    "the guest's network", host);
		return;
	}
	if (lan || host_has(ctx->host, a))
		return;
	for (i = 0; i < vm->nnic; i++)
		if (val_ok(&vm->nic[i].start) && vm->nic[i].start.n == a)
			return;
	diag_warn(ctx, v->at, v->key, "'%s' is neither the gateway "
	    "(start-address) of the VM's vmnet network nor an address of the "
	    "host; the guest may not reach it", host);
}
