#include <string.h>

#include "vmc.h"

/*
 * The only ways user data reaches output: as a shell word, as XML
 * text, or inside a QEMU option value.
 */

/*
 * The length of the UTF-8 sequence that starts s, a non-NUL byte, with
 * its code point in *cp; 0 when it is not valid UTF-8 (a stray or
 * overlong sequence, a surrogate, or beyond U+10FFFF).
 */
size_t
utf8_char(const char *s, uint32_t *cp)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;

	if (*p < 0x80) {
		*cp = *p;
		return 1;
	}
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	*cp = *p & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
	    (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;
	return n;
}

/* The characters sh never takes for anything but part of a word. */
static int
sh_safe(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("_@%+=:,./-", c) != NULL);
}

/* A word for sh: bare when it is safe, else single-quoted. */
void
quote_sh(struct buf *b, const char *s)
{
	const char	*p, *q;

	for (p = s; sh_safe((unsigned char)*p); p++)
		continue;
	if (*s != '\0' && *p == '\0') {
		buf_add(b, s, p - s);
		return;
	}
	buf_add(b, "'", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else if (*p == '\\' && (q = p + strspn(p, "\\"),
		    *q == '\'' || *q == '\0')) {
			/* Outside the quotes: shellcheck takes a '\' just
			 * before a closing quote for a mistake (SC1003). */
			buf_add(b, "'", 1);
			for (; p < q; p++)
				buf_puts(b, "\\\\");
			buf_add(b, "'", 1);
			p--;
		} else
			buf_add(b, p, 1);
	}
	buf_add(b, "'", 1);
}

void
quote_xml(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&apos;");
			break;
		default:
			buf_add(b, s, 1);
		}
	}
}

/* QEMU splits option values on ','; a literal comma is written ",,". */
void
quote_qemu(struct buf *b, const char *s)
{
	const char	*comma;

	while ((comma = strchr(s, ',')) != NULL) {
		buf_add(b, s, comma - s + 1);
		buf_add(b, ",", 1);
		s = comma + 1;
	}
	buf_puts(b, s);
}
