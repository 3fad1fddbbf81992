#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"
#include "schema.h"

/*
 * The model: the objects a document fills, by the tables of the schema
 * (schema.c), with defaults, and each value parsed by its type.
 */

/* One document being modelled: a profile into vm, or a host file. */
struct model {
	struct ctx	*ctx;
	enum doctype	 doc;
	struct vm	*vm;
	struct host	*host;
	struct pool	*pool;
};

static int
repeated(const struct key *k)
{
	return k->type == T_FWD || k->type == T_CIDR || k->type == T_DNS ||
	    (k->flags & MULTI);
}

static struct val *
val_of(const struct key *k, void *obj)
{
	return (struct val *)(void *)((char *)obj + k->off);
}

static struct vlist *
list_of(const struct key *k, void *obj)
{
	return (struct vlist *)(void *)((char *)obj + k->off);
}

/* Names every setting of a new object of that kind after its key. */
static void
name_vals(enum obj kind, void *obj)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		if (sections[keys[i].sect].obj != kind)
			continue;
		if (keys[i].flags & MULTI)
			list_of(&keys[i], obj)->key = keys[i].key;
		else if (!repeated(&keys[i]))
			val_of(&keys[i], obj)->key = keys[i].key;
	}
}

static void
free_lists(enum obj kind, void *obj)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++)
		if (sections[keys[i].sect].obj == kind &&
		    (keys[i].flags & MULTI))
			free(list_of(&keys[i], obj)->v);
}

static struct nic *
vm_nic(struct vm *vm, const char *label)
{
	size_t	 i;

	for (i = 0; i < vm->nnic; i++)
		if (label == NULL ? vm->nic[i].label == NULL :
		    vm->nic[i].label != NULL &&
		    strcmp(vm->nic[i].label, label) == 0)
			return &vm->nic[i];
	return NULL;
}

const struct iface *
host_iface(const struct host *h, const char *name)
{
	size_t	 i;

	for (i = 0; i < h->nifs; i++)
		if (strcmp(h->ifs[i].name, name) == 0)
			return &h->ifs[i];
	return NULL;
}

static struct nic *
add_nic(struct model *m, const struct section *sec, const char *label,
    struct loc at)
{
	struct vm	*vm = m->vm;
	struct nic	*nic;

	if (vm->nnic == sec->max) {
		diag(m->ctx, at, M(SECTION_MANY), sec->max, sec->name);
		return NULL;
	}
	vm->nic = xreallocarray(vm->nic, vm->nnic + 1, sizeof(*vm->nic));
	nic = memset(&vm->nic[vm->nnic++], 0, sizeof(*nic));
	nic->label = label == NULL ? NULL : pool_strdup(m->pool, label);
	nic->at = at;
	name_vals(O_NIC, nic);
	return nic;
}

static struct iface *
add_iface(struct model *m, const char *name, struct loc at)
{
	struct host	*h = m->host;
	struct iface	*ifp;

	h->ifs = xreallocarray(h->ifs, h->nifs + 1, sizeof(*h->ifs));
	ifp = memset(&h->ifs[h->nifs++], 0, sizeof(*ifp));
	ifp->name = pool_strdup(m->pool, name);
	ifp->at = at;
	name_vals(O_IFACE, ifp);
	return ifp;
}

/*
 * The object the keys of a section fill, created when asked.  A label
 * where none belongs, or none where one must be, was reported with the
 * header: such a section fills nothing.
 */
static void *
object(struct model *m, const struct section *sec, const char *label,
    struct loc at, int create)
{
	void	*obj;

	if ((label != NULL && sec->label == L_NONE) ||
	    (label == NULL && sec->label == L_REQUIRED))
		return NULL;
	switch (sec->obj) {
	case O_VM:
		return m->vm;
	case O_HOST:
		return m->host;
	case O_NIC:
		if ((obj = vm_nic(m->vm, label)) == NULL && create)
			obj = add_nic(m, sec, label, at);
		return obj;
	case O_IFACE:
		if ((obj = (void *)host_iface(m->host, label)) == NULL &&
		    create)
			obj = add_iface(m, label, at);
		return obj;
	case O_CLOUD:
		if (create && !m->vm->ci.present) {
			m->vm->ci.present = 1;
			m->vm->ci.at = at;
		}
		return &m->vm->ci;
	}
	return NULL;
}

static void
bad_enum(struct ctx *ctx, const struct key *k, const struct setting *s)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*hint;
	char		*vis;
	size_t		 i, n;

	for (n = 0; k->words[n] != NULL; n++)
		continue;
	for (i = 0; i + 1 < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : ", ", k->words[i]);
	vis = diag_vis(s->value);
	if ((hint = closest(s->value, k->words, n)) != NULL)
		diag(ctx, s->at, M(NOT_ENUM_HINT), s->key, vis, b.p,
		    k->words[n - 1], hint);
	else
		diag(ctx, s->at, M(NOT_ENUM), s->key, vis, b.p,
		    k->words[n - 1]);
	free(vis);
	buf_free(&b);
	diag_hash(ctx, s->at, s->value);
}

/* A number out of its key's range, or not a number. */
static void
bad_num(struct ctx *ctx, const struct key *k, const struct setting *s,
    enum msgid why)
{
	unsigned long long	 min = k->min, max = k->max;
	char			*vis;

	vis = diag_vis(s->value);
	if (why == M_NUM_LARGE)
		diag(ctx, s->at, M(NUM_LARGE), s->key, vis, min, max);
	else if (why == M_TOO_SMALL)
		diag(ctx, s->at, M(TOO_SMALL), s->key, vis, min, max);
	else
		diag(ctx, s->at, M(NOT_NUMBER), s->key, vis, min, max);
	free(vis);
	diag_hash(ctx, s->at, s->value);
}

/* A file name as a shell would take it, with '~' for a home directory. */
static int
tilde(const struct key *k, const char *value)
{
	return value[0] == '~' && (k->type == T_PATH || k->type == T_ABSPATH ||
	    k->type == T_DISK ||
	    (strcmp(k->key, "ssh-key") == 0 && strpbrk(value, " \t") == NULL));
}

/* A disk's path, and the format after it if one is given. */
static void
parse_disk(struct model *m, const struct setting *s, struct val *v)
{
	const char	*p = strrchr(s->value, ',');
	size_t		 i, len = strlen(s->value);

	v->n = 0;
	if (p != NULL && strncmp(p, ",format=", 8) == 0) {
		for (i = 0; format_names[i] != NULL; i++)
			if (strcmp(p + 8, format_names[i]) == 0)
				break;
		if (format_names[i] == NULL) {
			diag_value(m->ctx, s->at, M_DISK_FORMAT, s->key,
			    s->value);
			return;
		}
		v->n = i + 1;
		len = p - s->value;
	}
	if (len == 0) {
		diag(m->ctx, s->at, M(PATH_EMPTY), s->key);
		return;
	}
	v->s = pool_printf(m->pool, "%.*s", (int)len, s->value);
	v->state = V_SET;
}

/* Parses one value into v: V_SET, or V_BAD after a diagnostic. */
static void
parse_val(struct model *m, const struct key *k, const struct setting *s,
    struct val *v)
{
	struct ctx	*ctx = m->ctx;
	enum msgid	 why;
	struct cidr	 c;
	uint32_t	 a;
	size_t		 i;

	v->at = s->at;
	v->s = NULL;
	v->state = V_BAD;
	if (tilde(k, s->value)) {
		diag_value(ctx, s->at, M_PATH_TILDE, s->key, s->value);
		return;
	}
	switch (k->type) {
	case T_STR:
		break;
	case T_WORD:
		/* A leading '.' would hide a plist, or name it like
		 * output.c's temporary files. */
		if (check_word(s->value, "._-") == -1 || s->value[0] == '-' ||
		    s->value[0] == '.') {
			diag_value(ctx, s->at, M_NOT_NAME, s->key, s->value);
			return;
		}
		break;
	case T_PATH:
		if (s->value[0] == '\0') {
			diag(ctx, s->at, M(PATH_EMPTY), s->key);
			return;
		}
		break;
	case T_ABSPATH:
		if (s->value[0] != '/') {
			diag_value(ctx, s->at, M_NOT_ABSPATH, s->key, s->value);
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
		v->s = k->words[i];
		v->state = V_SET;
		return;
	case T_NUM:
		if (parse_num(s->value, k->min, k->max, &v->n, &why) == -1) {
			bad_num(ctx, k, s, why);
			return;
		}
		break;
	case T_SIZE:
		if (parse_size(s->value, &v->n, &why) == -1) {
			diag_value(ctx, s->at, why, s->key, s->value);
			return;
		}
		break;
	case T_BOOL:
		if (parse_bool(s->value, &v->n) == -1) {
			diag_value(ctx, s->at, M_NOT_BOOL, s->key, s->value);
			return;
		}
		break;
	case T_MAC:
		if (strcmp(s->value, "auto") != 0 &&
		    parse_mac(s->value, &v->n) == -1) {
			diag_value(ctx, s->at, M_NOT_MAC, s->key, s->value);
			return;
		}
		break;
	case T_IPV4:
		if (parse_ipv4(s->value, &a) == -1) {
			diag_value(ctx, s->at, M_NOT_IPV4, s->key, s->value);
			return;
		}
		v->n = a;
		break;
	case T_UUID:
		if (parse_uuid(s->value) == -1) {
			diag_value(ctx, s->at, M_NOT_UUID, s->key, s->value);
			return;
		}
		break;
	case T_URL:
		if (check_url(s->value, &why) == -1) {
			diag_value(ctx, s->at, why, s->key, s->value);
			return;
		}
		break;
	case T_CPU:
		if (check_cpu(s->value, &why) == -1) {
			diag_value(ctx, s->at, why, s->key, s->value);
			return;
		}
		break;
	case T_PROP:
		if (check_prop(s->value, &why) == -1) {
			diag_value(ctx, s->at, why, s->key, s->value);
			return;
		}
		break;
	case T_ARG:
		if (s->value[0] == '\0') {
			diag(ctx, s->at, M(ARG_EMPTY));
			return;
		}
		break;
	case T_HOST:
		if (check_hostname(s->value) == -1) {
			diag_value(ctx, s->at, M_NOT_HOSTNAME, s->key,
			    s->value);
			return;
		}
		break;
	case T_VERSION:
		if (parse_version(s->value, &v->n) == -1) {
			diag_value(ctx, s->at, M_NOT_VERSION, s->key, s->value);
			return;
		}
		break;
	case T_IP:
		if (parse_ip(s->value, &c) == -1) {
			diag_value(ctx, s->at, M_NOT_IP, s->key, s->value);
			return;
		}
		break;
	case T_DISK:
		parse_disk(m, s, v);
		return;
	case T_FWD:
	case T_CIDR:
	case T_DNS:
		abort();
	}
	v->s = pool_strdup(m->pool, s->value);
	v->state = V_SET;
}

static void
add_forward(struct model *m, const struct key *k, struct nic *nic,
    const struct setting *s)
{
	struct fwd	 f;
	enum msgid	 why;

	if (parse_forward(s->value, &f, &why) == -1) {
		diag_value(m->ctx, s->at, why, s->key, s->value);
		return;
	}
	f.at = s->at;
	f.key = k->key;
	nic->fwd = xreallocarray(nic->fwd, nic->nfwd + 1, sizeof(*nic->fwd));
	nic->fwd[nic->nfwd++] = f;
}

/* An address with a prefix length (T_CIDR) or without (T_DNS). */
static void
add_cidr(struct model *m, const struct key *k, struct cidr **v, size_t *n,
    const struct setting *s)
{
	struct cidr	 c;

	if (k->type == T_CIDR && parse_cidr(s->value, &c) == -1) {
		diag_value(m->ctx, s->at, M_NOT_CIDR, s->key, s->value);
		return;
	}
	if (k->type == T_DNS && parse_ip(s->value, &c) == -1) {
		diag_value(m->ctx, s->at, M_NOT_IP, s->key, s->value);
		return;
	}
	c.at = s->at;
	c.key = k->key;
	c.s = pool_strdup(m->pool, s->value);
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = c;
}

static void
add_repeated(struct model *m, const struct key *k, enum obj kind, void *obj,
    const struct setting *s)
{
	struct iface	*ifp = obj;
	struct nic	*nic = obj;

	if (k->type == T_FWD)
		add_forward(m, k, obj, s);
	else if (k->type == T_DNS)
		add_cidr(m, k, &nic->dns, &nic->ndns, s);
	else if (kind == O_IFACE)
		add_cidr(m, k, &ifp->addr, &ifp->naddr, s);
	else
		add_cidr(m, k, &nic->addr, &nic->naddr, s);
}

/* One more value of a repeatable key; a bad one is reported and left out. */
static void
add_item(struct model *m, const struct key *k, void *obj,
    const struct setting *s)
{
	struct vlist	*l = list_of(k, obj);
	struct val	 v;

	memset(&v, 0, sizeof(v));
	v.key = k->key;
	parse_val(m, k, s, &v);
	if (v.state != V_SET)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = v;
}

static void
apply(struct model *m, const struct setting *s)
{
	const char	*label;
	const struct key *k;
	struct val	*v;
	void		*obj;
	int		 sect;

	if (*s->section == '\0') {
		diag(m->ctx, s->at, M(BEFORE_SECTION), s->key);
		return;
	}
	/* Keys of a section found wrong were reported with its header. */
	if ((sect = schema_section(m->doc, s->section, &label)) == -1 ||
	    (obj = object(m, &sections[sect], label, s->at, 0)) == NULL)
		return;
	if ((k = schema_key(sect, s->key)) == NULL) {
		schema_unknown_key(m->ctx, sect, s);
		return;
	}
	if (repeated(k)) {
		if (s->value != NULL && (k->flags & MULTI))
			add_item(m, k, obj, s);
		else if (s->value != NULL)
			add_repeated(m, k, sections[sect].obj, obj, s);
		return;
	}
	v = val_of(k, obj);
	if (v->at.line > 0 && v->at.file == s->at.file) {
		diag(m->ctx, s->at, M(KEY_TWICE), s->key, v->at.line);
		return;
	}
	/* A later file wins: the including file over what it includes. */
	if (s->value != NULL)
		parse_val(m, k, s, v);
	else {
		/* Reported when read: it did not expand, or is not text. */
		v->state = V_BAD;
		v->s = NULL;
		v->at = s->at;
	}
}

/* Fills in the defaults of a section's keys; reports missing ones. */
static void
defaults(struct model *m, enum sect sect, void *obj, struct loc at)
{
	struct setting	 s;
	struct val	*v;
	size_t		 i;

	for (i = 0; i < nkeys; i++) {
		if (keys[i].sect != sect || repeated(&keys[i]))
			continue;
		v = val_of(&keys[i], obj);
		if (v->state != V_UNSET)
			continue;
		if (keys[i].flags & REQUIRED) {
			diag(m->ctx, at, M(KEY_REQUIRED), keys[i].key,
			    sections[sect].name);
			continue;
		}
		if (keys[i].def == NULL)
			continue;
		s.section = (char *)sections[sect].name;
		s.key = (char *)keys[i].key;
		s.value = (char *)keys[i].def;
		s.at.file = at.file;
		s.at.line = 0;
		parse_val(m, &keys[i], &s, v);
		v->state = V_DEFAULT;
	}
}

static int
build(struct model *m, struct doc *doc, struct loc fileat)
{
	const struct section *sec;
	const char	*label;
	int		 errors = m->ctx->errors, seen = 0, sect;
	size_t		 i, j;

	for (i = 0; i < doc->nsect; i++) {
		if ((sect = schema_check_section(m->ctx, m->doc, doc->names[i],
		    doc->sections[i], &label)) == -1)
			continue;
		/* Missing keys of the main section are reported at its header. */
		if (sections[sect].main && seen++ == 0)
			fileat = doc->sections[i];
		object(m, &sections[sect], label, doc->sections[i], 1);
	}
	for (i = 0; i < doc->n; i++)
		apply(m, &doc->v[i]);
	for (i = 0; !seen && i < nsections; i++)
		if (sections[i].doc == m->doc && sections[i].main) {
			diag(m->ctx, fileat, M(SECTION_MISSING),
			    sections[i].name);
			return -1;
		}
	for (i = 0; i < nsections; i++) {
		sec = &sections[i];
		if (sec->doc != m->doc)
			continue;
		switch (sec->obj) {
		case O_VM:
			defaults(m, i, m->vm, fileat);
			break;
		case O_HOST:
			defaults(m, i, m->host, fileat);
			break;
		case O_NIC:
			for (j = 0; j < m->vm->nnic; j++)
				defaults(m, i, &m->vm->nic[j],
				    m->vm->nic[j].at);
			break;
		case O_IFACE:
			for (j = 0; j < m->host->nifs; j++)
				defaults(m, i, &m->host->ifs[j],
				    m->host->ifs[j].at);
			break;
		case O_CLOUD:
			if (m->vm->ci.present)
				defaults(m, i, &m->vm->ci, m->vm->ci.at);
			break;
		}
	}
	return m->ctx->errors > errors ? -1 : 0;
}

int
vm_model(struct ctx *ctx, struct vm *vm)
{
	struct model	 m = { ctx, D_PROFILE, vm, NULL, &vm->pool };

	name_vals(O_VM, vm);
	name_vals(O_CLOUD, &vm->ci);
	return build(&m, &vm->doc, vm->at);
}

int
host_model(struct ctx *ctx, struct host *h)
{
	struct model	 m = { ctx, D_HOST, NULL, h, &h->pool };
	struct loc	 at = { NULL, 0 };

	name_vals(O_HOST, h);
	if (h->doc.nsect > 0)
		at.file = h->doc.sections[0].file;
	return build(&m, &h->doc, at);
}

/* 1 when a host interface has the IPv4 address addr. */
int
host_has(const struct host *h, uint32_t addr)
{
	uint32_t	 a, m;
	size_t		 i, j;

	for (i = 0; i < h->nifs; i++)
		for (j = 0; j < h->ifs[i].naddr; j++)
			if (cidr_ipv4(&h->ifs[i].addr[j], &a, &m) == 0 &&
			    a == addr)
				return 1;
	return 0;
}

/* Where v came from, or the profile for a default. */
struct loc
val_at(const struct vm *vm, const struct val *v)
{
	return v->at.line > 0 ? v->at : vm->at;
}

void
vm_free(struct vm *vm)
{
	size_t	 i;

	if (vm == NULL)
		return;
	for (i = 0; i < vm->nnic; i++) {
		free(vm->nic[i].fwd);
		free(vm->nic[i].addr);
		free(vm->nic[i].dns);
	}
	free(vm->nic);
	free_lists(O_VM, vm);
	free_lists(O_CLOUD, &vm->ci);
	free(vm->ci.keys);
	free(vm->res.keytext);
	free(vm->disk);
	doc_free(&vm->doc);
	pool_free(&vm->pool);
	free(vm->name);
	free(vm->path);
	free(vm->dir);
	free(vm);
}

void
host_free(struct host *h)
{
	size_t	 i;

	for (i = 0; i < h->nifs; i++)
		free(h->ifs[i].addr);
	free(h->ifs);
	doc_free(&h->doc);
	pool_free(&h->pool);
}
