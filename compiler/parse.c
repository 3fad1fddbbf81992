#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmc.h"

#define MAX_KEY		48	/* inih keeps 49 bytes of names */
#define MAX_READS	64	/* files read for one document, includes too */
#define MAX_SETTINGS	10000	/* kept for one document: memory stays bounded */

/* One file being read; includes nest through parent. */
struct reader {
	struct ctx		*ctx;
	struct doc		*doc;
	const struct reader	*parent;
	const char		*file;
	const char		*name;	/* expands ${name}; NULL: no expansion */
	char			*buf;
	size_t			 len, pos;
	int			 line;
	int			 depth;
	size_t			*reads;	/* files read for the document so far */
	int			*full;	/* MAX_SETTINGS reached and said */
	int			 bad;	/* this line was rejected by the reader */
	int			 pending; /* a key line inih has not handed on */
	dev_t			 dev;
	ino_t			 ino;
};

static int	read_file(struct reader *);
static int	handler(void *, const char *, const char *, const char *);

void
doc_add(struct doc *doc, const char *section, const char *key, char *value,
    struct loc at)
{
	struct setting	*s;

	if (doc->n == doc->cap) {
		doc->cap = doc->cap ? doc->cap * 2 : 8;
		doc->v = xreallocarray(doc->v, doc->cap, sizeof(*doc->v));
	}
	s = &doc->v[doc->n++];
	s->section = xstrdup(section);
	s->key = xstrdup(key);
	s->value = value;
	s->at = at;
}

void
doc_section(struct doc *doc, const char *name, size_t len, struct loc at)
{
	if (doc->nsect == doc->capsect) {
		doc->capsect = doc->capsect ? doc->capsect * 2 : 8;
		doc->sections = xreallocarray(doc->sections, doc->capsect,
		    sizeof(*doc->sections));
		doc->names = xreallocarray(doc->names, doc->capsect,
		    sizeof(*doc->names));
	}
	doc->sections[doc->nsect] = at;
	doc->names[doc->nsect++] = xasprintf("%.*s", (int)len, name);
}

void
doc_free(struct doc *doc)
{
	size_t	 i;

	for (i = 0; i < doc->n; i++) {
		free(doc->v[i].section);
		free(doc->v[i].key);
		free(doc->v[i].value);
	}
	for (i = 0; i < doc->nsect; i++)
		free(doc->names[i]);
	free(doc->v);
	free(doc->sections);
	free(doc->names);
	looks_free(&doc->looks);
	memset(doc, 0, sizeof(*doc));
}

static struct loc
here(const struct reader *r)
{
	struct loc	 at = { r->file, r->line };

	return at;
}

/*
 * Checks one line before inih sees it, so that every syntax error is
 * reported, not only the first, and nothing is cut silently: inih
 * reads at most num - 1 bytes a line and keeps 49 bytes of a name.
 * Returns 0 when the line is to be replaced by an empty one.
 */
static int
check_line(struct reader *r, const char *p, size_t n, int num)
{
	const char	*end, *eq;
	char		*name, *vis;

	if (memchr(p, '\0', n) != NULL) {
		diag(r->ctx, here(r), M(LINE_NUL));
		return 0;
	}
	if (n + 3 > (size_t)num) {
		diag(r->ctx, here(r), M(LINE_LONG), n, num - 3);
		return 0;
	}
	if (n == 0 || *p == ';' || *p == '#')
		return 1;
	if (*p == '[') {
		if ((end = memchr(p, ']', n)) == NULL) {
			diag(r->ctx, here(r), M(HEADER_UNCLOSED));
			return 0;
		}
		if (end - p - 1 > MAX_KEY) {
			diag(r->ctx, here(r), M(SECTION_LONG), MAX_KEY);
			return 0;
		}
		for (eq = p + 1; eq < end && *eq >= 0x20 && *eq < 0x7f; eq++)
			continue;
		if (eq < end) {
			name = xasprintf("%.*s", (int)(end - p - 1), p + 1);
			vis = diag_vis(name);
			diag(r->ctx, here(r), M(SECTION_UNPRINTABLE), vis);
			free(vis);
			free(name);
			return 0;
		}
		/* inih ignores the rest: "[service] autostart = no" would
		 * vanish without a word. */
		for (eq = end + 1; eq < p + n && (*eq == ' ' || *eq == '\t');
		    eq++)
			continue;
		if (eq < p + n && *eq != ';' && *eq != '#') {
			diag(r->ctx, here(r), M(HEADER_TEXT));
			return 0;
		}
		doc_section(r->doc, p + 1, end - p - 1, here(r));
		return 1;
	}
	eq = p;
	while (eq < p + n && *eq != '=' && *eq != ':')
		eq++;
	if (eq == p + n) {
		diag(r->ctx, here(r), M(NOT_KEY_VALUE));
		return 0;
	}
	if (eq - p > MAX_KEY) {
		diag(r->ctx, here(r), M(KEY_LONG), MAX_KEY);
		return 0;
	}
	return 1;
}

/*
 * The reader inih calls like fgets.  It counts lines, which the
 * handler cannot learn portably, and strips leading blanks so that an
 * indented key is never taken for a continuation line.
 */
static char *
reader(char *out, int num, void *arg)
{
	struct reader	*r = arg;
	const char	*p, *nl;
	size_t		 n;

	if (r->pending) {
		/* inih found no key in it, e.g. "key ; comment = value" */
		diag(r->ctx, (struct loc){ r->file, r->pending },
		    M(NOT_KEY_VALUE));
		r->pending = 0;
	}
	if (r->pos >= r->len)
		return NULL;
	p = r->buf + r->pos;
	if ((nl = memchr(p, '\n', r->len - r->pos)) == NULL)
		nl = r->buf + r->len;
	r->pos = nl - r->buf + 1;
	r->line++;
	if (r->line == 1 && nl - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	/* All that inih skips, or it takes the line for a continuation. */
	while (p < nl && (*p == ' ' || *p == '\t' || *p == '\v' ||
	    *p == '\f' || *p == '\r'))
		p++;
	n = nl - p;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	r->bad = !check_line(r, p, n, num);
	if (r->bad)
		n = 0;
	else if (n > 0 && *p != '[' && *p != ';' && *p != '#')
		r->pending = r->line;
	memcpy(out, p, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	return out;
}

/* ${name} is the only variable; anything else is an error. */
static char *
expand(struct reader *r, const char *key, const char *v)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*p, *end;
	char		*vis;

	buf_add(&b, "", 0);
	for (p = v; *p != '\0'; p++) {
		if (r->name == NULL || p[0] != '$' || p[1] != '{') {
			buf_add(&b, p, 1);
			continue;
		}
		if ((end = strchr(p, '}')) == NULL) {
			diag(r->ctx, here(r), M(VAR_UNTERMINATED), key);
			buf_free(&b);
			return NULL;
		}
		if (end - p != 6 || strncmp(p + 2, "name", 4) != 0) {
			vis = xasprintf("%.*s", (int)(end - p + 1), p);
			free(b.p);
			b.p = diag_vis(vis);
			diag(r->ctx, here(r), M(VAR_UNKNOWN), key, b.p);
			free(vis);
			buf_free(&b);
			return NULL;
		}
		buf_puts(&b, r->name);
		p = end;
	}
	/* Kept for the whole run: only what it holds, not the buffer. */
	return xreallocarray(b.p, b.len + 1, 1);
}

static int
check_value(struct reader *r, const char *key, const char *v)
{
	enum msgid	 why;

	if (text_check(v, &why) == 0)
		return 1;
	diag_value(r->ctx, here(r), why, key, v);
	return 0;
}

static void
include(struct reader *r, const char *value)
{
	struct reader		 sub;
	const struct reader	*p;
	char			*dir, *path;

	if (r->depth >= MAX_INCLUDE) {
		diag(r->ctx, here(r), M(INCLUDE_DEEP), MAX_INCLUDE);
		return;
	}
	/* Files that include one file many times each would be read
	 * exponentially often; say so once. */
	if (++*r->reads > MAX_READS) {
		if (*r->reads == MAX_READS + 1)
			diag(r->ctx, here(r), M(INCLUDE_MANY), MAX_READS);
		return;
	}
	dir = path_dir(r->file);
	path = path_join(dir, value);
	free(dir);
	memset(&sub, 0, sizeof(sub));
	sub.ctx = r->ctx;
	sub.doc = r->doc;
	sub.parent = r;
	sub.file = intern(r->ctx, path);
	sub.name = r->name;
	sub.depth = r->depth + 1;
	sub.reads = r->reads;
	sub.full = r->full;
	free(path);
	if (read_file(&sub) == -1)
		return;
	for (p = r; p != NULL; p = p->parent)
		if (p->dev == sub.dev && p->ino == sub.ino)
			break;
	if (p != NULL)
		diag(r->ctx, here(r), M(INCLUDE_CYCLE), sub.file);
	else
		ini_parse_stream(reader, &sub, handler, &sub);
	free(sub.buf);
}

static int
handler(void *arg, const char *section, const char *key, const char *value)
{
	struct reader		*r = arg;
	const unsigned char	*p;
	char			*v, *vis;

	r->pending = 0;
	if (r->bad)
		return 1;
	if (r->doc->n >= MAX_SETTINGS) {
		if (!*r->full)
			diag(r->ctx, here(r), M(SETTINGS_MANY), MAX_SETTINGS);
		*r->full = 1;
		return 1;
	}
	if (*key == '\0') {
		diag(r->ctx, here(r), M(KEY_MISSING));
		return 1;
	}
	/* Every later message names the key, so it must be printable. */
	for (p = (const unsigned char *)key; *p >= 0x20 && *p < 0x7f; p++)
		continue;
	if (*p != '\0') {
		vis = diag_vis(key);
		diag(r->ctx, here(r), M(KEY_UNPRINTABLE), vis);
		free(vis);
		return 1;
	}
	if (!check_value(r, key, value)) {
		/* Reported; it still counts as set. */
		if (strcmp(key, "include") != 0)
			doc_add(r->doc, section, key, NULL, here(r));
		return 1;
	}
	if (strcmp(key, "include") == 0) {
		if (*section != '\0')
			diag(r->ctx, here(r), M(INCLUDE_LATE));
		else if ((v = expand(r, key, value)) != NULL) {
			include(r, v);
			free(v);
		}
		return 1;
	}
	/* A value that does not expand still counts as set. */
	v = expand(r, key, value);
	doc_add(r->doc, section, key, v, here(r));
	return 1;
}

static int
read_file(struct reader *r)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	struct loc	 at = { r->file, 0 };

	if (r->parent != NULL)
		at = here(r->parent);
	if (path_read(AT_FDCWD, r->file, 0, MAX_FILE, &b, &st) == -1) {
		if (errno != 0 && errno != EFBIG)
			diag(r->ctx, at, M(FILE_READ), r->file,
			    strerror(errno));
		else if (S_ISDIR(st.st_mode))
			diag(r->ctx, at, M(FILE_DIR), r->file);
		else if (errno == EFBIG)
			diag(r->ctx, at, M(FILE_LARGE), r->file);
		else
			diag(r->ctx, at, M(FILE_TYPE), r->file);
		buf_free(&b);
		return -1;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	look_file(&r->doc->looks, r->file, &st);
	r->buf = b.p;
	r->len = b.len;
	return 0;
}

/*
 * 1 when this reader reads "[name]" back as a section of that name:
 * printable ASCII without blanks (inih takes " ;" for a comment) and
 * without ']', at most MAX_KEY bytes.  host.c prints only such names.
 */
int
doc_section_ok(const char *name)
{
	const char	*p;

	for (p = name; *p > 0x20 && *p < 0x7f && *p != ']'; p++)
		continue;
	return *p == '\0' && p > name && p - name <= MAX_KEY;
}

/*
 * Reads a profile or host file with everything it includes into doc,
 * in reading order: included files first, so later values win.
 */
int
doc_read(struct ctx *ctx, struct doc *doc, const char *path, const char *name)
{
	struct reader	 r;
	size_t		 reads = 1;
	int		 errors = ctx->errors, full = 0, rc;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.reads = &reads;
	r.full = &full;
	r.doc = doc;
	r.file = intern(ctx, path);
	r.name = name;
	if (read_file(&r) == -1)
		return -1;
	rc = ini_parse_stream(reader, &r, handler, &r);
	free(r.buf);
	if (rc == -2) {
		diag(ctx, (struct loc){ r.file, 0 }, M(NO_MEMORY));
		return -1;
	}
	return ctx->errors > errors ? -1 : 0;
}
