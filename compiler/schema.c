#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * The schema: every section and key of profiles and host files, with
 * its type, default and bounds.  Adding a key is one row here, one
 * entry in vmc.5 and its tests.
 */

enum type {
	T_STR,		/* any printable UTF-8 */
	T_WORD,		/* letters, digits, '.', '_', '-' */
	T_PATH,
	T_ABSPATH,
	T_ENUM,
	T_NUM,
	T_SIZE,
	T_BOOL,
	T_MAC,		/* "auto" or a MAC */
	T_IPV4,
	T_UUID,
	T_URL,
	T_FWD,		/* repeatable, into nic->fwd */
	T_CIDR		/* repeatable, into iface->addr */
};

enum obj { O_VM, O_NIC, O_HOST, O_IFACE };

#define REQUIRED	0x1

struct key {
	const char		*section;
	const char		*key;
	enum type		 type;
	int			 flags;
	const char		*def;
	enum obj		 obj;
	size_t			 off;
	const char *const	*words;	/* T_ENUM */
	uint64_t		 min, max; /* T_NUM */
};

static const char *const arches[] = { "x86_64", "aarch64", NULL };
static const char *const accels[] = { "auto", "hvf", "kvm", "tcg", NULL };
static const char *const formats[] = { "qcow2", "raw", NULL };
static const char *const modes[] = { "user", "vmnet-shared", "vmnet-host",
    "vmnet-bridged", NULL };
static const char *const restarts[] = { "on-failure", "always", "never",
    NULL };
static const char *const oses[] = { "macos", "linux", NULL };

#define VM(f)	O_VM, offsetof(struct vm, f)
#define NIC(f)	O_NIC, offsetof(struct nic, f)
#define HOST(f)	O_HOST, offsetof(struct host, f)
#define IF(f)	O_IFACE, offsetof(struct iface, f)
#define NONE	0, 0

static const struct key keys[] = {
	{ "vm", "arch", T_ENUM, 0, NULL, VM(arch), arches, NONE },
	{ "vm", "machine", T_WORD, 0, NULL, VM(machine), NULL, NONE },
	{ "vm", "accel", T_ENUM, 0, "auto", VM(accel), accels, NONE },
	{ "vm", "cpus", T_NUM, 0, "1", VM(cpus), NULL, 1, 255 },
	{ "vm", "memory", T_SIZE, REQUIRED, NULL, VM(memory), NULL, NONE },
	{ "vm", "image", T_PATH, REQUIRED, NULL, VM(image), NULL, NONE },
	{ "vm", "format", T_ENUM, 0, NULL, VM(format), formats, NONE },
	{ "vm", "seed", T_URL, 0, NULL, VM(seed), NULL, NONE },
	{ "vm", "qemu", T_ABSPATH, 0, NULL, VM(qemu), NULL, NONE },
	{ "vm", "firmware", T_PATH, 0, NULL, VM(firmware), NULL, NONE },
	{ "network", "mode", T_ENUM, REQUIRED, NULL, NIC(mode), modes, NONE },
	{ "network", "interface", T_WORD, 0, NULL, NIC(interface), NULL, NONE },
	{ "network", "model", T_WORD, 0, "virtio-net-pci", NIC(model), NULL,
	    NONE },
	{ "network", "mac", T_MAC, 0, "auto", NIC(mac), NULL, NONE },
	{ "network", "forward", T_FWD, 0, NULL, O_NIC, 0, NULL, NONE },
	{ "network", "start-address", T_IPV4, 0, NULL, NIC(start), NULL, NONE },
	{ "network", "end-address", T_IPV4, 0, NULL, NIC(end), NULL, NONE },
	{ "network", "subnet-mask", T_IPV4, 0, NULL, NIC(mask), NULL, NONE },
	{ "network", "isolated", T_BOOL, 0, NULL, NIC(isolated), NULL, NONE },
	{ "network", "net-uuid", T_UUID, 0, NULL, NIC(uuid), NULL, NONE },
	{ "service", "label", T_WORD, 0, NULL, VM(label), NULL, NONE },
	{ "service", "autostart", T_BOOL, 0, "yes", VM(autostart), NULL, NONE },
	{ "service", "restart", T_ENUM, 0, "on-failure", VM(restart), restarts,
	    NONE },
	{ "service", "user", T_WORD, 0, "root", VM(user), NULL, NONE },
	{ "service", "log", T_ABSPATH, 0, NULL, VM(log), NULL, NONE },
	{ "service", "stop-timeout", T_NUM, 0, "30", VM(stoptimeout), NULL,
	    0, 3600 },
	{ "host", "os", T_ENUM, REQUIRED, NULL, HOST(os), oses, NONE },
	{ "host", "arch", T_ENUM, REQUIRED, NULL, HOST(arch), arches, NONE },
	{ "host", "cpus", T_NUM, REQUIRED, NULL, HOST(cpus), NULL, 1, 65535 },
	{ "host", "memory", T_SIZE, REQUIRED, NULL, HOST(memory), NULL, NONE },
	{ "interface", "address", T_CIDR, 0, NULL, O_IFACE, 0, NULL, NONE },
	{ "interface", "up", T_BOOL, 0, "yes", IF(up), NULL, NONE },
	{ "interface", "loopback", T_BOOL, 0, "no", IF(loopback), NULL, NONE },
	{ "qemu", "x86_64", T_ABSPATH, 0, NULL, HOST(qemu_x86_64), NULL, NONE },
	{ "qemu", "aarch64", T_ABSPATH, 0, NULL, HOST(qemu_aarch64), NULL,
	    NONE },
	{ "qemu", "firmware-aarch64", T_ABSPATH, 0, NULL,
	    HOST(firmware_aarch64), NULL, NONE },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Sections; a '.' means the section takes a label: [network.LABEL]. */
static const char *const vm_sections[] = { "vm", "network", "service" };
static const char *const host_sections[] = { "host", "interface", "qemu" };

const char *
enum_name(const char *key, uint64_t n)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == T_ENUM && strcmp(keys[i].key, key) == 0)
			return keys[i].words[n];
	return NULL;
}

/* Stable and locally administered: 52 and 40 bits of FNV-1a. */
uint64_t
mac_derive(const char *name, size_t nic)
{
	unsigned char	 tail[2] = { 0xff, nic & 0xff };
	uint64_t	 h;

	h = hash_add(HASH_INIT, name, strlen(name));
	h = hash_add(h, tail, sizeof(tail));
	return 0x520000000000ULL | (h & 0xffffffffffULL);
}

/* Objects of one document: the VM or host and its labelled sections. */
struct model {
	struct ctx	*ctx;
	struct vm	*vm;
	struct host	*host;
};

static const struct key *
find_key(const char *section, const char *key)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

static void
unknown_key(struct ctx *ctx, const char *section, const struct setting *s)
{
	const char	*cand[NKEYS], *hint;
	size_t		 i, n = 0;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0)
			cand[n++] = keys[i].key;
	if ((hint = closest(s->key, cand, n)) != NULL)
		diag_error(ctx, s->at, s->key, "unknown key in [%s]; did you "
		    "mean '%s'?", s->section, hint);
	else
		diag_error(ctx, s->at, s->key, "unknown key in [%s]",
		    s->section);
}

/* Splits "network.lan" into kind "network" and label "lan". */
static int
split_section(const char *name, char *kind, size_t size, const char **label)
{
	const char	*dot;

	if ((dot = strchr(name, '.')) == NULL) {
		*label = NULL;
		dot = name + strlen(name);
	} else
		*label = dot + 1;
	if ((size_t)(dot - name) >= size)
		return -1;
	memcpy(kind, name, dot - name);
	kind[dot - name] = '\0';
	return 0;
}

/*
 * Checks a section header against the list.  Returns the kind of
 * section in kind, or -1 after a diagnostic.
 */
static int
check_section(struct ctx *ctx, const char *name, struct loc at,
    const char *const *list, char *kind, size_t size, const char **label)
{
	const char	*hint;
	size_t		 i = 3;
	char		*vis;

	if (split_section(name, kind, size, label) == 0)
		for (i = 0; i < 3; i++)
			if (strcmp(kind, list[i]) == 0)
				break;
	if (i == 3) {
		vis = diag_vis(name);
		if ((hint = closest(name, list, 3)) != NULL)
			diag_error(ctx, at, NULL, "unknown section %s; did "
			    "you mean [%s]?", vis, hint);
		else
			diag_error(ctx, at, NULL, "unknown section %s; "
			    "expected [%s], [%s] or [%s]", vis, list[0],
			    list[1], list[2]);
		free(vis);
		return -1;
	}
	/* The middle section of each list takes a label. */
	if (*label != NULL && i != 1) {
		diag_error(ctx, at, NULL, "section [%s] takes no label", kind);
		return -1;
	}
	if (*label != NULL && list == vm_sections &&
	    check_word(*label, "._-") == -1) {
		vis = diag_vis(*label);
		diag_error(ctx, at, NULL, "section label %s: use letters, "
		    "digits, '.', '_' and '-'", vis);
		free(vis);
		return -1;
	}
	if (*label == NULL && list == host_sections && i == 1) {
		diag_error(ctx, at, NULL, "[interface] needs a name: "
		    "[interface.NAME]");
		return -1;
	}
	return 0;
}

static struct nic *
vm_nic(struct ctx *ctx, struct vm *vm, const char *label, struct loc at,
    int create)
{
	size_t	 i;

	for (i = 0; i < vm->nnic; i++) {
		if (label == NULL ? vm->nic[i].label == NULL :
		    vm->nic[i].label != NULL &&
		    strcmp(vm->nic[i].label, label) == 0)
			return &vm->nic[i];
	}
	if (!create)
		return NULL;
	if (vm->nnic == MAX_NICS) {
		diag_error(ctx, at, NULL, "more than %d network sections",
		    MAX_NICS);
		return NULL;
	}
	vm->nic = xreallocarray(vm->nic, vm->nnic + 1, sizeof(*vm->nic));
	memset(&vm->nic[vm->nnic], 0, sizeof(*vm->nic));
	vm->nic[vm->nnic].label = label;
	vm->nic[vm->nnic].at = at;
	return &vm->nic[vm->nnic++];
}

static struct iface *
host_iface_get(struct host *h, const char *name, struct loc at, int create)
{
	size_t	 i;

	for (i = 0; i < h->nifs; i++)
		if (strcmp(h->ifs[i].name, name) == 0)
			return &h->ifs[i];
	if (!create)
		return NULL;
	h->ifs = xreallocarray(h->ifs, h->nifs + 1, sizeof(*h->ifs));
	memset(&h->ifs[h->nifs], 0, sizeof(*h->ifs));
	h->ifs[h->nifs].name = xstrdup(name);
	h->ifs[h->nifs].at = at;
	return &h->ifs[h->nifs++];
}

static int
known_section(const struct model *m, const char *kind)
{
	const char *const	*list = m->vm ? vm_sections : host_sections;
	size_t			 i;

	for (i = 0; i < 3; i++)
		if (strcmp(kind, list[i]) == 0)
			return 1;
	return 0;
}

/* The object a key of a section writes to. */
static void *
object(struct model *m, const char *kind, const char *label, struct loc at,
    int create)
{
	/* A label where none belongs or none where one must was reported
	 * with the header; such a section's keys go nowhere. */
	if (m->vm != NULL) {
		if (strcmp(kind, "network") == 0)
			return vm_nic(m->ctx, m->vm, label, at, create);
		return label == NULL ? m->vm : NULL;
	}
	if (strcmp(kind, "interface") == 0)
		return label == NULL ? NULL :
		    host_iface_get(m->host, label, at, create);
	return label == NULL ? m->host : NULL;
}

static void
bad_value(struct ctx *ctx, const struct setting *s, const char *why)
{
	char	*vis;

	vis = diag_vis(s->value);
	diag_error(ctx, s->at, s->key, "%s %s", vis, why);
	free(vis);
}

static void
bad_enum(struct ctx *ctx, const struct key *k, const struct setting *s)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*hint;
	size_t		 i, n;

	for (n = 0; k->words[n] != NULL; n++)
		continue;
	buf_puts(&b, "is not ");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ",
		    k->words[i]);
	if ((hint = closest(s->value, k->words, n)) != NULL)
		buf_printf(&b, "; did you mean '%s'?", hint);
	bad_value(ctx, s, b.p);
	buf_free(&b);
}

/* Parses one value into v; on failure v->s stays NULL. */
static void
parse_val(struct ctx *ctx, const struct key *k, const struct setting *s,
    struct val *v)
{
	const char	*errstr;
	uint32_t	 a;
	size_t		 i;

	v->at = s->at;
	v->s = NULL;
	switch (k->type) {
	case T_STR:
		break;
	case T_WORD:
		/* A leading '.' would hide a plist, or name it like
		 * output.c's temporary files. */
		if (check_word(s->value, "._-") == -1 || s->value[0] == '-' ||
		    s->value[0] == '.') {
			bad_value(ctx, s, "is not a name (letters, digits, "
			    "'.', '_' and '-')");
			return;
		}
		break;
	case T_PATH:
		if (s->value[0] == '\0') {
			diag_error(ctx, s->at, s->key, "empty path");
			return;
		}
		break;
	case T_ABSPATH:
		if (s->value[0] != '/') {
			bad_value(ctx, s, "is not an absolute path");
			return;
		}
		break;
	case T_ENUM:
		for (i = 0; k->words[i] != NULL; i++)
			if (strcmp(s->value, k->words[i]) == 0)
				break;
		if (k->words[i] == NULL) {
			bad_enum(ctx, k, s);
			return;
		}
		v->n = i;
		break;
	case T_NUM:
		if (parse_num(s->value, k->min, k->max, &v->n, &errstr) == -1) {
			char	 why[96];

			snprintf(why, sizeof(why), "%s (from %llu to %llu)",
			    errstr, (unsigned long long)k->min,
			    (unsigned long long)k->max);
			bad_value(ctx, s, why);
			return;
		}
		break;
	case T_SIZE:
		if (parse_size(s->value, &v->n, &errstr) == -1) {
			bad_value(ctx, s, errstr);
			return;
		}
		break;
	case T_BOOL:
		if (parse_bool(s->value, &v->n) == -1) {
			bad_value(ctx, s, "is not yes or no");
			return;
		}
		break;
	case T_MAC:
		if (strcmp(s->value, "auto") != 0 &&
		    parse_mac(s->value, &v->n) == -1) {
			bad_value(ctx, s, "is not 'auto' or a MAC address "
			    "like 52:54:00:ab:cd:ef");
			return;
		}
		break;
	case T_IPV4:
		if (parse_ipv4(s->value, &a) == -1) {
			bad_value(ctx, s, "is not an IPv4 address");
			return;
		}
		v->n = a;
		break;
	case T_UUID:
		if (parse_uuid(s->value) == -1) {
			bad_value(ctx, s, "is not a UUID");
			return;
		}
		break;
	case T_URL:
		if (check_url(s->value, &errstr) == -1) {
			bad_value(ctx, s, errstr);
			return;
		}
		break;
	case T_FWD:
	case T_CIDR:
		abort();
	}
	v->s = s->value;
}

static void
add_forward(struct ctx *ctx, struct nic *nic, const struct setting *s)
{
	struct fwd	 f;
	const char	*errstr;

	if (parse_forward(s->value, &f, &errstr) == -1) {
		bad_value(ctx, s, errstr);
		return;
	}
	f.at = s->at;
	f.s = s->value;
	nic->fwd = xreallocarray(nic->fwd, nic->nfwd + 1, sizeof(*nic->fwd));
	nic->fwd[nic->nfwd++] = f;
}

static void
add_cidr(struct ctx *ctx, struct iface *ifp, const struct setting *s)
{
	struct cidr	 c;

	if (parse_cidr(s->value, &c) == -1) {
		bad_value(ctx, s, "is not an address with a prefix length, "
		    "like 192.168.1.10/24");
		return;
	}
	c.at = s->at;
	c.s = s->value;
	ifp->addr = xreallocarray(ifp->addr, ifp->naddr + 1,
	    sizeof(*ifp->addr));
	ifp->addr[ifp->naddr++] = c;
}

static void
apply(struct model *m, const struct setting *s)
{
	char		 kind[16];
	const char	*label;
	const struct key *k;
	struct val	*v;
	void		*obj;

	if (*s->section == '\0') {
		diag_error(m->ctx, s->at, s->key, "only include may come "
		    "before the first section");
		return;
	}
	/* Keys of a section found wrong were reported with its header. */
	if (split_section(s->section, kind, sizeof(kind), &label) == -1 ||
	    !known_section(m, kind) ||
	    (obj = object(m, kind, label, s->at, 0)) == NULL)
		return;
	if ((k = find_key(kind, s->key)) == NULL) {
		unknown_key(m->ctx, kind, s);
		return;
	}
	if (k->type == T_FWD || k->type == T_CIDR) {
		if (s->value != NULL && k->type == T_FWD)
			add_forward(m->ctx, obj, s);
		else if (s->value != NULL)
			add_cidr(m->ctx, obj, s);
		return;
	}
	v = (struct val *)((char *)obj + k->off);
	if (v->at.line > 0 && v->at.file == s->at.file) {
		diag_error(m->ctx, s->at, s->key, "set more than once; "
		    "first at line %d", v->at.line);
		return;
	}
	/* A later file wins: the including file over what it includes. */
	if (s->value != NULL)
		parse_val(m->ctx, k, s, v);
	else {
		/* It did not expand, which was reported when read. */
		v->s = NULL;
		v->at = s->at;
	}
}

/* Fills in defaults and reports missing required keys. */
static void
defaults(struct ctx *ctx, const char *kind, void *obj, struct loc at)
{
	struct setting	 s;
	struct val	*v;
	size_t		 i;

	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, kind) != 0 ||
		    keys[i].type == T_FWD || keys[i].type == T_CIDR)
			continue;
		v = (struct val *)((char *)obj + keys[i].off);
		if (v->s != NULL || v->at.line > 0)
			continue;
		if (keys[i].flags & REQUIRED) {
			diag_error(ctx, at, keys[i].key, "required in [%s] but "
			    "not set", kind);
			continue;
		}
		if (keys[i].def == NULL)
			continue;
		s.section = (char *)kind;
		s.key = (char *)keys[i].key;
		s.value = (char *)keys[i].def;
		s.at.file = at.file;
		s.at.line = 0;
		parse_val(ctx, &keys[i], &s, v);
	}
}

static int
build(struct model *m, struct doc *doc, const char *const *list,
    struct loc fileat)
{
	char		 kind[16];
	const char	*label;
	int		 errors = m->ctx->errors, seen = 0;
	size_t		 i;

	for (i = 0; i < doc->nsect; i++) {
		if (check_section(m->ctx, doc->names[i], doc->sections[i],
		    list, kind, sizeof(kind), &label) == -1)
			continue;
		/* Missing keys of the main section are reported at its header. */
		if (strcmp(kind, list[0]) == 0 && seen++ == 0)
			fileat = doc->sections[i];
		object(m, kind, label, doc->sections[i], 1);
	}
	for (i = 0; i < doc->n; i++)
		apply(m, &doc->v[i]);
	if (!seen) {
		diag_error(m->ctx, fileat, NULL, "no [%s] section", list[0]);
		return -1;
	}
	if (m->vm != NULL) {
		defaults(m->ctx, "vm", m->vm, fileat);
		defaults(m->ctx, "service", m->vm, fileat);
		for (i = 0; i < m->vm->nnic; i++)
			defaults(m->ctx, "network", &m->vm->nic[i],
			    m->vm->nic[i].at);
	} else {
		defaults(m->ctx, "host", m->host, fileat);
		defaults(m->ctx, "qemu", m->host, fileat);
		for (i = 0; i < m->host->nifs; i++)
			defaults(m->ctx, "interface", &m->host->ifs[i],
			    m->host->ifs[i].at);
	}
	return m->ctx->errors > errors ? -1 : 0;
}

int
vm_model(struct ctx *ctx, struct vm *vm)
{
	struct model	 m = { ctx, vm, NULL };

	return build(&m, &vm->doc, vm_sections, vm->at);
}

int
host_model(struct ctx *ctx, struct host *h)
{
	struct model	 m = { ctx, NULL, h };
	struct loc	 at = { NULL, 0 };

	if (h->doc.nsect > 0)
		at.file = h->doc.sections[0].file;
	return build(&m, &h->doc, host_sections, at);
}

void
vm_free(struct vm *vm)
{
	size_t	 i;

	if (vm == NULL)
		return;
	for (i = 0; i < vm->nnic; i++)
		free(vm->nic[i].fwd);
	free(vm->nic);
	doc_free(&vm->doc);
	free(vm->name);
	free(vm->path);
	free(vm->dir);
	free(vm->labelbuf);
	free(vm->imagepath);
	free(vm->imageid);
	free(vm->qemupath);
	free(vm->fwpath);
	free(vm->logpath);
	free(vm->script);
	free(vm->qmp);
	free(vm->vmdir);
	free(vm->marker);
	free(vm);
}

void
host_free(struct host *h)
{
	size_t	 i;

	for (i = 0; i < h->nifs; i++) {
		free(h->ifs[i].name);
		free(h->ifs[i].addr);
	}
	free(h->ifs);
	doc_free(&h->doc);
}
