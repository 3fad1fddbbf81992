#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vis.h>

#include "vmc.h"

/*
 * Every diagnostic goes through here, GCC style so that editors can
 * jump to it: FILE:LINE: error: KEY: message.
 */
static void
diag(struct loc at, const char *level, const char *key,
    const char *fmt, va_list ap)
{
	if (at.file != NULL && at.line > 0)
		fprintf(stderr, "%s:%d: ", at.file, at.line);
	else if (at.file != NULL)
		fprintf(stderr, "%s: ", at.file);
	else
		fprintf(stderr, "vmc: ");
	fprintf(stderr, "%s: ", level);
	if (key != NULL)
		fprintf(stderr, "%s: ", key);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
diag_error(struct ctx *ctx, struct loc at, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;

	ctx->errors++;
	va_start(ap, fmt);
	diag(at, "error", key, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct ctx *ctx, struct loc at, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;

	ctx->warnings++;
	va_start(ap, fmt);
	diag(at, "warning", key, fmt, ap);
	va_end(ap);
}

/* A file that cannot be read or written: exit status 3. */
void
diag_sys(struct ctx *ctx, struct loc at, const char *fmt, ...)
{
	va_list	 ap;

	ctx->errors++;
	ctx->sys++;
	va_start(ap, fmt);
	diag(at, "error", NULL, fmt, ap);
	va_end(ap);
}

/*
 * A value made printable for a diagnostic, in single quotes.  Shows at
 * most 64 bytes: a 100,000 byte line should not flood the terminal.
 */
char *
diag_vis(const char *s)
{
	char	 head[68];
	char	*out, *p;
	size_t	 n;

	n = strlen(s);
	if (n > 64) {
		memcpy(head, s, 64);
		strcpy(head + 64, "...");
		s = head;
		n = 67;
	}
	out = xmalloc(4 * n + 3);
	out[0] = '\'';
	p = out + 1;
	p += strvis(p, s, VIS_CSTYLE | VIS_OCTAL | VIS_TAB | VIS_NL);
	*p++ = '\'';
	*p = '\0';
	return out;
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
