#include <string.h>

#include "vmc.h"

/*
 * The only ways user data reaches output: as a shell word, as XML
 * text, or inside a QEMU option value.
 */

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
