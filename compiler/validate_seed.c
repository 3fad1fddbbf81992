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
	diag(ctx, ci->userdata.at, M(USER_DATA_FORMAT), vis);
	free(vis);
}

/* A key that is not one, shown cut at 40 bytes. */
static void
bad_key(struct ctx *ctx, struct loc at, const char *line, enum msgid why)
{
	char		*vis;
	const char	*more;

	vis = diag_vis(line);
	more = strlen(vis) > 40 ? "..." : "";
	if (why == M_KEY_UTF8)
		diag(ctx, at, M(KEY_UTF8), vis, more);
	else if (why == M_KEY_TYPE)
		diag(ctx, at, M(KEY_TYPE), vis, more);
	else if (why == M_KEY_BASE64)
		diag(ctx, at, M(KEY_BASE64), vis, more);
	else
		diag(ctx, at, M(KEY_CONTROL), vis, more);
	free(vis);
}

static void
add_key(struct vm *vm, const char *line, size_t len)
{
	struct cloudinit	*ci = &vm->ci;

	ci->keys = xreallocarray(ci->keys, ci->nkeys + 1, sizeof(*ci->keys));
	ci->keys[ci->nkeys++] = pool_printf(&vm->pool, "%.*s", (int)len, line);
}

/*
 * Whether a key file holds a private key: PEM's armour, which OpenSSH
 * uses for its own format and for the older ones, or a PuTTY key file.
 */
static int
private_key(const char *s)
{
	const char	*p;

	if (strncmp(s, "PuTTY-User-Key-File-", 20) == 0)
		return 1;
	for (p = s; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, "-----BEGIN ", 11) == 0 &&
		    strstr(p, "PRIVATE KEY-----") != NULL)
			return 1;
	return 0;
}

/* A key file: OpenSSH public key lines, blank lines and # comments. */
static void
read_keys(struct ctx *ctx, struct vm *vm, const struct val *v,
    const char *contents)
{
	const char	*file;
	enum msgid	 why;
	char		*text, *line, *next, *vis, *dir, *shown;
	size_t		 n0 = vm->ci.nkeys, len;
	int		 lineno = 0;

	/* Named as the profile is, as diagnostics name files. */
	dir = path_dir(vm->path);
	shown = path_join(dir, v->s);
	file = intern(ctx, shown);
	free(shown);
	free(dir);
	/* Its lines are a secret: none is shown. */
	if (private_key(contents)) {
		vis = diag_vis(v->s);
		diag(ctx, v->at, M(KEY_PRIVATE), vis);
		free(vis);
		return;
	}
	text = xstrdup(contents);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if ((len = strlen(line)) > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (line[strspn(line, " \t")] == '\0' || line[0] == '#')
			continue;
		why = M_KEY_UTF8;
		if (!utf8_valid(line) || check_sshkey(line, &why) == -1) {
			bad_key(ctx, (struct loc){ file, lineno }, line, why);
			continue;
		}
		add_key(vm, line, strlen(line));
	}
	free(text);
	if (vm->ci.nkeys == n0) {
		vis = diag_vis(v->s);
		diag(ctx, v->at, M(KEY_FILE_EMPTY), vis);
		free(vis);
	}
}

/* Each ssh-key is a public key line, or else names a file of them. */
static void
check_keys(struct ctx *ctx, struct vm *vm)
{
	const struct val	*v;
	enum msgid		 why;
	size_t			 i;

	for (i = 0; i < vm->ci.sshkeys.n; i++) {
		v = &vm->ci.sshkeys.v[i];
		if (strpbrk(v->s, " \t") == NULL) {
			if (vm->res.keytext[i] != NULL)
				read_keys(ctx, vm, v, vm->res.keytext[i]);
			continue;
		}
		if (check_sshkey(v->s, &why) == 0)
			add_key(vm, v->s, strlen(v->s));
		else
			bad_key(ctx, v->at, v->s, why);
	}
}

/* The local seed replaces the seed URL; what it holds must be sound. */
void
check_cloudinit(struct ctx *ctx, struct vm *vm)
{
	if (val_ok(&vm->seed))
		diag(ctx, vm->seed.at, M(SEED_BOTH));
	check_userdata(ctx, vm);
	check_keys(ctx, vm);
}

/*
 * The host part of a seed URL into host; 0 when it is an IPv4 address,
 * then in *a; 1 for a name or an IPv6 address; -1 when too long.
 */
int
seed_host(const char *url, char *host, size_t size, uint32_t *a)
{
	const char	*p;
	size_t		 n;

	p = strstr(url, "://") + 3;
	n = *p == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/");
	if (n >= size)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return parse_ipv4(host, a) == 0 ? 0 : 1;
}

/* Whether the guest can reach the seed's host over one of its cards. */
void
check_seed(struct ctx *ctx, const struct vm *vm)
{
	const struct val	*v = &vm->seed;
	char			 host[256];
	uint32_t		 a;
	size_t			 i;
	int			 user = 0, lan = 0, v4;

	if (!val_ok(v))
		return;
	if (vm->nnic == 0) {
		diag(ctx, v->at, M(SEED_NO_NIC));
		return;
	}
	for (i = 0; i < vm->nnic; i++) {
		if (!val_ok(&vm->nic[i].mode))
			return;
		user |= vm->nic[i].mode.n == NET_USER;
		lan |= vm->nic[i].mode.n == NET_BRIDGED;
	}
	if ((v4 = seed_host(v->s, host, sizeof(host), &a)) == -1)
		return;
	v4 = v4 == 0;
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    (v4 && a >> 24 == 127)) {
		if (user)
			diag(ctx, v->at, M(SEED_LOOPBACK_USER), host);
		else
			diag(ctx, v->at, M(SEED_LOOPBACK), host);
		return;
	}
	if (!v4 || user)
		return;
	if ((a & 0xffffff00) == 0x0a000200) {
		diag(ctx, v->at, M(SEED_USER_NET), host);
		return;
	}
	if (lan || host_has(ctx->host, a))
		return;
	for (i = 0; i < vm->nnic; i++)
		if (val_ok(&vm->nic[i].start) && vm->nic[i].start.n == a)
			return;
	diag(ctx, v->at, M(SEED_UNREACHABLE), host);
}
