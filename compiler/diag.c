#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * Every diagnostic goes through here, GCC style so that editors can
 * jump to it: FILE:LINE: error: message, the message one of the table
 * in msg.h (most start with the key they are about).  Messages are held
 * until diag_flush so that each file's come out in line order.  A file read
 * shows at most DIAG_FILE_MAX and a run DIAG_RUN_MAX, each saying when
 * it stops, so that memory and output stay bounded however bad the
 * input: the rest are counted, not kept.
 */

static void
hold(struct ctx *ctx, struct loc at, char *text)
{
	struct msg	*m;

	if (ctx->nmsgs == ctx->capmsgs) {
		ctx->capmsgs = ctx->capmsgs ? ctx->capmsgs * 2 : 16;
		ctx->msgs = xreallocarray(ctx->msgs, ctx->capmsgs,
		    sizeof(*ctx->msgs));
	}
	m = &ctx->msgs[ctx->nmsgs];
	m->at = at;
	m->seq = ctx->nmsgs++;
	m->rank = 0;
	m->text = text;
}

/* The place of file in a table of cap slots, open-addressed. */
static struct tally *
slot(struct tally *t, size_t cap, const char *file)
{
	size_t	 i;

	i = (size_t)(((uintptr_t)file >> 3) * 0x9e3779b97f4a7c15ULL);
	for (i &= cap - 1; t[i].file != NULL && t[i].file != file;
	    i = (i + 1) & (cap - 1))
		continue;
	return &t[i];
}

/* How many diagnostics were said of the file read at this name. */
static size_t *
tally(struct ctx *ctx, const char *file)
{
	struct tally	*old = ctx->tally, *t;
	size_t		 i, cap = ctx->captally;

	if (2 * (ctx->ntally + 1) > cap) {
		ctx->captally = cap ? 2 * cap : 64;
		ctx->tally = xcalloc(ctx->captally, sizeof(*ctx->tally));
		for (i = 0; i < cap; i++)
			if (old[i].file != NULL)
				*slot(ctx->tally, ctx->captally, old[i].file) =
				    old[i];
		free(old);
	}
	t = slot(ctx->tally, ctx->captally, file);
	if (t->file == NULL) {
		t->file = file;
		ctx->ntally++;
	}
	return &t->n;
}

static void
say(struct ctx *ctx, struct loc at, const char *level, const char *fmt,
    va_list ap)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		*n = NULL;
	char		*text;
	int		 last = 0;

	if (ctx->shown > DIAG_RUN_MAX)
		return;
	if (at.file != NULL && *(n = tally(ctx, at.file)) > DIAG_FILE_MAX)
		return;
	if (ctx->shown++ == DIAG_RUN_MAX) {
		at.file = NULL;
		last = 1;
	} else if (n != NULL && (*n)++ == DIAG_FILE_MAX)
		last = 1;
	if (at.file != NULL && at.line > 0)
		buf_printf(&b, "%s:%d: ", at.file, at.line);
	else if (at.file != NULL)
		buf_printf(&b, "%s: ", at.file);
	else
		buf_puts(&b, "vmc: ");
	buf_printf(&b, "%s: ", level);
	if (last && at.file != NULL)
		buf_printf(&b, msgfmt_DIAG_MANY_FILE, DIAG_FILE_MAX);
	else if (last)
		buf_printf(&b, msgfmt_DIAG_MANY, DIAG_RUN_MAX);
	else {
		text = xvasprintf(fmt, ap);
		buf_puts(&b, text);
		free(text);
	}
	/* File names and messages as the user gave them, made printable:
	 * a name holding a newline or an escape must not forge a line or
	 * drive the terminal. */
	text = b.p;
	b.p = NULL;
	b.len = b.cap = 0;
	buf_add(&b, "", 0);
	quote_vis(&b, text, 0);
	free(text);
	hold(ctx, at, b.p);
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct msg	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->at.line != y->at.line)
		return x->at.line < y->at.line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
cmp_file(const void *a, const void *b)
{
	const struct msg	*x = *(const struct msg *const *)a;
	const struct msg	*y = *(const struct msg *const *)b;
	uintptr_t		 fx = (uintptr_t)x->at.file;
	uintptr_t		 fy = (uintptr_t)y->at.file;

	if (fx != fy)
		return fx < fy ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints what is held: files in order of first mention, lines in order. */
void
diag_flush(struct ctx *ctx)
{
	struct msg	**by;
	size_t		 i, j;

	if (ctx->nmsgs == 0)
		return;		/* msgs may be NULL, which qsort must not get */
	/* A file ranks by its first message; grouped by file in n log n,
	 * as a fleet's cross checks can report on every profile. */
	by = xreallocarray(NULL, ctx->nmsgs, sizeof(*by));
	for (i = 0; i < ctx->nmsgs; i++)
		by[i] = &ctx->msgs[i];
	qsort(by, ctx->nmsgs, sizeof(*by), cmp_file);
	for (i = 0; i < ctx->nmsgs; i = j)
		for (j = i; j < ctx->nmsgs && by[j]->at.file == by[i]->at.file;
		    j++)
			by[j]->rank = by[i]->seq;
	free(by);
	qsort(ctx->msgs, ctx->nmsgs, sizeof(*ctx->msgs), cmp_msg);
	for (i = 0; i < ctx->nmsgs; i++) {
		fprintf(stderr, "%s\n", ctx->msgs[i].text);
		free(ctx->msgs[i].text);
	}
	ctx->nmsgs = 0;
}

/*
 * The table of every message, made from msg.h: what vmc(1) lists under
 * DIAGNOSTICS, and tests/diagnostics.sh compares the two.
 */
const struct msgdef msgdefs[M__COUNT] = {
#define MSG(id, level, name, fmt)	[M_##id] = { L_##level, name, fmt },
#include "msg.h"
#undef MSG
};

/*
 * Says the message id with its arguments.  fmt is the table's own,
 * passed by M(id) so that the compiler checks the arguments against it.
 * An error counts towards exit status 1; a system error (a file that
 * cannot be read or written) towards 3.
 */
void
diag(struct ctx *ctx, struct loc at, enum msgid id, const char *fmt, ...)
{
	static const char *const word[] = {
		[L_ERROR] = "error", [L_WARN] = "warning",
		[L_NOTE] = "note", [L_SYS] = "error"
	};
	enum level	 level = msgdefs[id].level;
	va_list		 ap;

	if (level == L_SYS)
		ctx->sys = 1;
	if (level == L_ERROR || level == L_SYS) {
		if (ctx->errors < INT_MAX)
			ctx->errors++;
	} else if (level == L_WARN && ctx->warnings < INT_MAX)
		ctx->warnings++;
	if (ctx->quiet && (level == L_WARN || level == L_NOTE))
		return;
	va_start(ap, fmt);
	say(ctx, at, word[level], fmt, ap);
	va_end(ap);
}

/*
 * A value judged by one of value.c's parsers, which name the message
 * that says why: its format takes the value made printable, after the
 * key when it starts with "%s: " ("forward: %s is too long" names its
 * key itself).  The id comes at run time, so the compiler cannot check
 * the arguments; instead, a format of any other shape is a bug of vmc
 * and stops it.
 */
void
diag_value(struct ctx *ctx, struct loc at, enum msgid id, const char *key,
    const char *value)
{
	const char	*fmt = msgdefs[id].fmt, *p;
	char		*vis;
	int		 n = 0;

	for (p = fmt; (p = strchr(p, '%')) != NULL; p += 2, n++)
		if (p[1] != 's')
			abort();
	if (n == 2 && strncmp(fmt, "%s: ", 4) != 0)
		abort();
	vis = diag_vis(value);
	if (n == 2)
		diag(ctx, at, id, fmt, key, vis);
	else if (n == 1)
		diag(ctx, at, id, fmt, vis);
	else
		abort();
	free(vis);
	diag_hash(ctx, at, value);
}

/*
 * After a bad value that holds " #": the INI files of other programs
 * take '#' as a comment, vmc's only at the start of a line.
 */
void
diag_hash(struct ctx *ctx, struct loc at, const char *value)
{
	const char	*p;

	for (p = value; (p = strchr(p, '#')) != NULL; p++)
		if (p > value && (p[-1] == ' ' || p[-1] == '\t')) {
			diag(ctx, at, M(VALUE_HASH));
			return;
		}
}

/* A value made printable for a diagnostic, in single quotes. */
char *
diag_vis(const char *s)
{
	struct buf	 b = { NULL, 0, 0 };

	buf_puts(&b, "'");
	quote_vis(&b, s, VIS_BACKSLASH);
	buf_puts(&b, "'");
	return b.p;
}

static size_t
distance(const char *a, const char *b)
{
	size_t	 la, lb, i, j, prev, cur, d[64];

	la = strlen(a);
	lb = strlen(b);
	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (cur + 1 < d[j])
				d[j] = cur + 1;
			prev = cur;
		}
	}
	return d[lb];
}

/* The candidate within two edits of word, for "did you mean". */
const char *
closest(const char *word, const char *const *cand, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = 3;

	for (i = 0; i < n; i++) {
		if ((d = distance(word, cand[i])) < bestd) {
			bestd = d;
			best = cand[i];
		}
	}
	return best;
}
/*
 * File names live as long as the run, so every loc can point at one.
 * Each read of a file gets its own copy: pointer equality then means
 * "the same file read", which is how duplicate keys are found.
 */
const char *
intern(struct ctx *ctx, const char *s)
{
	if (ctx->nfiles == ctx->capfiles) {
		ctx->capfiles = ctx->capfiles ? ctx->capfiles * 2 : 64;
		ctx->files = xreallocarray(ctx->files, ctx->capfiles,
		    sizeof(*ctx->files));
	}
	return ctx->files[ctx->nfiles++] = xstrdup(s);
}


/* The exit status of a run so far. */
int
ctx_status(const struct ctx *ctx)
{
	if (ctx->sys > 0)
		return EXIT_SYSTEM;
	return ctx->errors > 0 ? EXIT_INVALID : 0;
}

/* Prints what is held and frees the run's context. */
void
ctx_free(struct ctx *ctx)
{
	size_t	 i;

	diag_flush(ctx);
	free(ctx->msgs);
	free(ctx->tally);
	for (i = 0; i < ctx->nfiles; i++)
		free(ctx->files[i]);
	free(ctx->files);
	pathcache_free(&ctx->paths);
	memset(ctx, 0, sizeof(*ctx));
}
