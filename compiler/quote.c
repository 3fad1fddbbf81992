#include <stdio.h>
#include <string.h>

#include "vmc.h"

/*
 * Quoting for where text goes: a shell word, XML text, a QEMU option
 * value, a terminal, a JSON string.  (emit_seed.c writes YAML's.)
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

/*
 * Characters a terminal acts on (C0 and C1 controls, DEL), or shows as
 * nothing or out of order: format characters such as the zero-width
 * ones, the bidirectional controls that can make text read otherwise
 * than it is, the byte order mark, line and paragraph separators; and
 * noncharacters.
 */
static int
invisible(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xad ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
	    (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe;
}

/*
 * Appends s made safe to show on a terminal: each byte of what a
 * terminal could act on or misread (invalid UTF-8, and what invisible()
 * names) as \ooo, the rest as it is.  With
 * VIS_BACKSLASH a backslash is doubled, so that what is shown reads
 * back unambiguously; a message that holds such values already is
 * passed again without it, which leaves them as they are.  The one
 * escaper of untrusted text in diagnostics and status output.
 */
void
quote_vis(struct buf *b, const char *s, int flags)
{
	uint32_t	 c;
	size_t		 n;
	char		 esc[5];

	while (*s != '\0') {
		if ((n = utf8_char(s, &c)) == 0 || invisible(c)) {
			for (n = n == 0 ? 1 : n; n > 0; n--) {
				snprintf(esc, sizeof(esc), "\\%03o",
				    *(const unsigned char *)s++);
				buf_puts(b, esc);
			}
		} else if (c == '\\' && (flags & VIS_BACKSLASH)) {
			buf_puts(b, "\\\\");
			s++;
		} else {
			buf_add(b, s, n);
			s += n;
		}
	}
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

/*
 * A JSON string, quotes included (RFC 8259): '"', '\' and controls
 * escaped, and each byte that is not valid UTF-8 as U+FFFD, so that
 * what another program printed cannot break the document.
 */
void
quote_json(struct buf *b, const char *s)
{
	uint32_t	 c;
	size_t		 n;

	buf_puts(b, "\"");
	for (; *s != '\0'; s += n) {
		if ((n = utf8_char(s, &c)) == 0) {
			buf_puts(b, "\\ufffd");
			n = 1;
		} else if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", (int)c);
		else if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029)
			buf_printf(b, "\\u%04x", (unsigned)c);
		else
			buf_add(b, s, n);
	}
	buf_puts(b, "\"");
}
