#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vmc.h"

/*
 * Strict value parsers: the whole string or nothing, no signs, no
 * white space, no wrap-around.  On failure *why is the message that says
 * why, of the form "KEY: 'VALUE' reason" (see diag_value).
 */

static int
isdigit_c(int c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Leading digits of s into *out; returns how many, 0 on none or overflow. */
static size_t
digits(const char *s, uint64_t *out, int *overflow)
{
	uint64_t	 n = 0;
	size_t		 i;

	*overflow = 0;
	for (i = 0; isdigit_c(s[i]); i++) {
		if (n > (UINT64_MAX - (s[i] - '0')) / 10)
			*overflow = 1;
		else
			n = n * 10 + (s[i] - '0');
	}
	*out = n;
	return i;
}

int
parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    enum msgid *why)
{
	size_t	 n;
	int	 over;

	n = digits(s, out, &over);
	if (n == 0 || s[n] != '\0') {
		*why = M_NOT_NUMBER;
		return -1;
	}
	if (over || *out > max) {
		*why = M_NUM_LARGE;
		return -1;
	}
	if (*out < min) {
		*why = M_TOO_SMALL;
		return -1;
	}
	return 0;
}

/* A version, X.Y or X.Y.Z, each part below 1000, as one number. */
int
parse_version(const char *s, uint64_t *out)
{
	uint64_t	 part;
	size_t		 n;
	int		 i, over;

	*out = 0;
	for (i = 0; i < 3; i++) {
		n = digits(s, &part, &over);
		if (n == 0 || over || part > 999)
			return -1;
		*out = *out * 1000 + part;
		s += n;
		if (*s == '\0')
			break;
		if (*s++ != '.' || i == 2)
			return -1;
	}
	if (i == 0)
		return -1;
	while (i++ < 2)
		*out *= 1000;
	return 0;
}

/* A size in bytes: digits and a K, M, G or T suffix; bare means MiB. */
int
parse_size(const char *s, uint64_t *out, enum msgid *why)
{
	const char	*units = "KMGT";
	const char	*u;
	uint64_t	 n;
	size_t		 len;
	int		 over, shift;

	len = digits(s, &n, &over);
	if (len == 0) {
		*why = M_NOT_SIZE;
		return -1;
	}
	if (s[len] == '\0')
		shift = 20;
	else if (s[len + 1] == '\0' &&
	    (u = memchr(units, s[len] & ~0x20, 4)) != NULL)
		shift = 10 * (int)(u - units + 1);
	else {
		*why = M_SIZE_UNIT;
		return -1;
	}
	if (over || n > (UINT64_MAX >> shift)) {
		*why = M_TOO_LARGE;
		return -1;
	}
	*out = n << shift;
	return 0;
}

int
parse_bool(const char *s, uint64_t *out)
{
	static const char *const yes[] = { "yes", "true", "on" };
	static const char *const no[] = { "no", "false", "off" };
	size_t	 i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
parse_mac(const char *s, uint64_t *out)
{
	int	 i, hi, lo;

	*out = 0;
	for (i = 0; i < 6; i++, s += 3) {
		if ((hi = hexval(s[0])) == -1 || (lo = hexval(s[1])) == -1)
			return -1;
		if (s[2] != (i == 5 ? '\0' : ':'))
			return -1;
		*out = *out << 8 | (uint64_t)(hi << 4 | lo);
	}
	return 0;
}

void
fmt_mac(uint64_t mac, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
	    (unsigned)(mac >> 40) & 0xff, (unsigned)(mac >> 32) & 0xff,
	    (unsigned)(mac >> 24) & 0xff, (unsigned)(mac >> 16) & 0xff,
	    (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
}

int
parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr	 a;
	uint64_t	 part;
	const char	*p;
	int		 over, i;
	size_t		 n;

	/* Some inet_pton take leading zeros, which other tools read as octal. */
	for (p = s, i = 0; i < 4; i++) {
		n = digits(p, &part, &over);
		if (n == 0 || n > 3 || (n > 1 && *p == '0') || part > 255)
			return -1;
		p += n;
		if (*p != (i == 3 ? '\0' : '.'))
			return -1;
		p++;
	}
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

void
fmt_ipv4(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
	    (a >> 8) & 0xff, a & 0xff);
}

int
parse_cidr(const char *s, struct cidr *c)
{
	char		 addr[64];
	const char	*slash;
	uint64_t	 prefix;
	enum msgid	 why;
	uint32_t	 v4;

	if ((slash = strchr(s, '/')) == NULL || (size_t)(slash - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	memset(c->addr, 0, sizeof(c->addr));
	if (strchr(addr, ':') != NULL) {
		c->family = AF_INET6;
		if (inet_pton(AF_INET6, addr, c->addr) != 1 ||
		    parse_num(slash + 1, 0, 128, &prefix, &why) == -1)
			return -1;
	} else {
		c->family = AF_INET;
		if (parse_ipv4(addr, &v4) == -1 ||
		    parse_num(slash + 1, 0, 32, &prefix, &why) == -1)
			return -1;
		c->addr[0] = v4 >> 24;
		c->addr[1] = v4 >> 16;
		c->addr[2] = v4 >> 8;
		c->addr[3] = v4;
	}
	c->prefix = (int)prefix;
	return 0;
}

int
parse_uuid(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	int	 g, i;

	for (g = 0; g < 5; g++) {
		for (i = 0; i < groups[g]; i++)
			if (hexval(*s++) == -1)
				return -1;
		if (*s++ != (g == 4 ? '\0' : '-'))
			return -1;
	}
	return 0;
}

/* [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp] */
int
parse_forward(const char *s, struct fwd *f, enum msgid *why)
{
	char		 buf[64];
	char		*port[3], *proto, *p;
	uint64_t	 n;
	size_t		 nparts = 0;

	if (strlen(s) >= sizeof(buf)) {
		*why = M_FORWARD_LONG;
		return -1;
	}
	strcpy(buf, s);
	f->proto = PROTO_TCP;
	if ((proto = strchr(buf, '/')) != NULL) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			f->proto = PROTO_UDP;
		else if (strcmp(proto, "tcp") != 0) {
			*why = M_FORWARD_PROTO;
			return -1;
		}
	}
	for (p = buf; nparts < 3; nparts++) {
		port[nparts] = p;
		if ((p = strchr(p, ':')) == NULL)
			break;
		*p++ = '\0';
	}
	if (nparts == 3 || nparts == 0) {
		*why = M_FORWARD_SYNTAX;
		return -1;
	}
	f->addr = 0x7f000001;
	if (nparts == 2 && parse_ipv4(port[0], &f->addr) == -1) {
		*why = M_FORWARD_ADDR;
		return -1;
	}
	if (parse_num(port[nparts - 1], 1, 65535, &n, why) == -1) {
		*why = M_FORWARD_HPORT;
		return -1;
	}
	f->hport = (uint16_t)n;
	if (parse_num(port[nparts], 1, 65535, &n, why) == -1) {
		*why = M_FORWARD_GPORT;
		return -1;
	}
	f->gport = (uint16_t)n;
	return 0;
}

/* A NoCloud seed URL: cloud-init splits the serial on blanks and ';'. */
int
check_url(const char *s, enum msgid *why)
{
	const char	*host, *end, *colon;
	uint64_t	 port;
	enum msgid	 e;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else {
		*why = M_URL_SCHEME;
		return -1;
	}
	if (strpbrk(s, " \t;") != NULL) {
		*why = M_URL_BLANK;
		return -1;
	}
	if ((end = strchr(host, '/')) == NULL)
		end = host + strlen(host);
	if (end == host || *host == ':' || memchr(host, '@', end - host)) {
		*why = M_URL_HOST;
		return -1;
	}
	colon = memchr(host, ':', end - host);
	if (*host == '[') {
		/* An IPv6 address in brackets, then perhaps a port. */
		struct in6_addr	 a6;
		char		 addr[INET6_ADDRSTRLEN];
		const char	*rb = memchr(host, ']', end - host);

		if (rb == NULL || rb - host - 1 >= (long)sizeof(addr) ||
		    (rb + 1 < end && rb[1] != ':')) {
			*why = M_URL_IPV6;
			return -1;
		}
		memcpy(addr, host + 1, rb - host - 1);
		addr[rb - host - 1] = '\0';
		if (inet_pton(AF_INET6, addr, &a6) != 1) {
			*why = M_URL_IPV6;
			return -1;
		}
		colon = rb + 1 < end ? rb + 1 : NULL;
	}
	if (colon != NULL) {
		char	 buf[8];

		if (end - colon - 1 == 0 || end - colon - 1 > 5) {
			*why = M_URL_PORT;
			return -1;
		}
		memcpy(buf, colon + 1, end - colon - 1);
		buf[end - colon - 1] = '\0';
		if (parse_num(buf, 1, 65535, &port, &e) == -1) {
			*why = M_URL_PORT;
			return -1;
		}
	}
	if (s[strlen(s) - 1] != '/') {
		*why = M_URL_SLASH;
		return -1;
	}
	return 0;
}

/* 1 to 63 of a-z, 0-9 and '-', not starting or ending with '-'. */
int
check_vmname(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > MAX_NAME || s[0] == '-' || s[n - 1] == '-')
		return -1;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !isdigit_c(s[i]) &&
		    s[i] != '-')
			return -1;
	return 0;
}

/* A non-empty word of ASCII letters, digits and the characters in extra. */
int
check_word(const char *s, const char *extra)
{
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++)
		if (!((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z') &&
		    !isdigit_c(*s) && strchr(extra, *s) == NULL)
			return -1;
	return 0;
}

/* A name of QEMU's: letters, digits, '.', '_' and '-', not led by '-'. */
static size_t
qemu_name(const char *s)
{
	size_t	 n;

	if (*s == '-')
		return 0;
	for (n = 0; s[n] != '\0' && (((s[n] | 0x20) >= 'a' &&
	    (s[n] | 0x20) <= 'z') || isdigit_c(s[n]) ||
	    strchr("._-", s[n]) != NULL); n++)
		continue;
	return n;
}

/* QEMU's -cpu: MODEL[,+FEATURE|,-FEATURE|,PROPERTY=VALUE]... */
int
check_cpu(const char *s, enum msgid *why)
{
	size_t	 n;

	if ((n = qemu_name(s)) == 0 || (s[n] != '\0' && s[n] != ',')) {
		*why = M_CPU_MODEL;
		return -1;
	}
	for (s += n; *s == ','; s += n) {
		s++;
		if (*s == '+' || *s == '-')
			n = 1 + qemu_name(s + 1);
		else if ((n = qemu_name(s)) > 0 && s[n] == '=')
			n += 1 + qemu_name(s + n + 1);
		else
			n = 0;
		if (n < 2 || (s[n] != '\0' && s[n] != ',') || s[n - 1] == '=') {
			*why = M_CPU_FEATURE;
			return -1;
		}
	}
	return 0;
}

/* A -machine property: NAME=VALUE, a comma in VALUE written ",,". */
int
check_prop(const char *s, enum msgid *why)
{
	size_t	 n;

	if ((n = qemu_name(s)) == 0 || s[n] != '=' || s[n + 1] == '\0') {
		*why = M_PROP_SYNTAX;
		return -1;
	}
	for (s += n + 1; *s != '\0'; s++)
		if (*s == ',' && *++s != ',') {
			*why = M_PROP_COMMA;
			return -1;
		}
	return 0;
}

int
utf8_valid(const char *s)
{
	uint32_t	 cp;
	size_t		 n;

	for (; *s != '\0'; s += n)
		if ((n = utf8_char(s, &cp)) == 0)
			return 0;
	return 1;
}

/* An IPv4 or IPv6 address without a prefix; prefix is set to its length. */
int
parse_ip(const char *s, struct cidr *c)
{
	uint32_t	 v4;

	memset(c, 0, sizeof(*c));
	if (strchr(s, ':') != NULL) {
		c->family = AF_INET6;
		c->prefix = 128;
		return inet_pton(AF_INET6, s, c->addr) == 1 ? 0 : -1;
	}
	if (parse_ipv4(s, &v4) == -1)
		return -1;
	c->family = AF_INET;
	c->prefix = 32;
	c->addr[0] = v4 >> 24;
	c->addr[1] = v4 >> 16;
	c->addr[2] = v4 >> 8;
	c->addr[3] = v4;
	return 0;
}

/* RFC 1123: labels of 1 to 63 letters, digits and '-', 253 in all. */
int
check_hostname(const char *s)
{
	size_t	 len = 0, i;

	if (strlen(s) > 253)
		return -1;
	for (i = 0;; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (len == 0 || len > 63 || s[i - 1] == '-')
				return -1;
			if (s[i] == '\0')
				return 0;
			len = 0;
			continue;
		}
		if (len == 0 && s[i] == '-')
			return -1;
		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') &&
		    !isdigit_c(s[i]) && s[i] != '-')
			return -1;
		len++;
	}
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (isdigit_c(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * The first bytes of base64 text of n characters, padded to a multiple
 * of 4, into out; -1 when it is not such text.
 */
static int
b64_head(const char *s, size_t n, unsigned char *out, size_t want)
{
	size_t	 i, got = 0, pad = 0;
	uint32_t acc = 0;
	int	 v;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i >= n - 2) {
			pad++;
			v = 0;
		} else if (pad > 0 || (v = b64val((unsigned char)s[i])) == -1)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			if (got < want)
				out[got++] = acc >> 16;
			if (got < want)
				out[got++] = acc >> 8;
			if (got < want)
				out[got++] = acc;
			acc = 0;
		}
	}
	return got == want ? 0 : -1;
}

/*
 * Whether a character is one YAML reads as a line break or refuses: the
 * C1 controls (U+0085, NEL, is a break in YAML 1.1, the others are not
 * printable there) and the Unicode line and paragraph separators.  A
 * value reaches cloud-init's YAML in the seed, where such a character
 * ends a line or makes the parser reject the whole file.
 */
static int
yaml_break(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

/*
 * An OpenSSH public key line: TYPE BASE64 [COMMENT], the key's own
 * encoding naming the same TYPE.
 */
int
check_sshkey(const char *s, enum msgid *why)
{
	static const char *const types[] = { "ssh-ed25519", "ssh-rsa",
	    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
	    "sk-ecdsa-sha2-nistp256@openssh.com" };
	unsigned char	 head[4 + 40];
	const char	*blob;
	size_t		 tlen, blen, i, n;
	uint32_t	 cp, len;

	tlen = strcspn(s, " \t");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == tlen && strncmp(s, types[i], tlen) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		*why = M_KEY_TYPE;
		return -1;
	}
	blob = s + tlen + strspn(s + tlen, " \t");
	blen = strcspn(blob, " \t");
	if (blob == s + tlen || b64_head(blob, blen, head, 4 + tlen) == -1 ||
	    (len = (uint32_t)head[0] << 24 | head[1] << 16 | head[2] << 8 |
	    head[3]) != tlen || memcmp(head + 4, s, tlen) != 0) {
		*why = M_KEY_BASE64;
		return -1;
	}
	for (i = 0; s[i] != '\0'; i += n) {
		if ((n = utf8_char(s + i, &cp)) == 0) {
			*why = M_KEY_UTF8;
			return -1;
		}
		if ((cp < 0x20 && cp != '\t') || cp == 0x7f || yaml_break(cp)) {
			*why = M_KEY_CONTROL;
			return -1;
		}
	}
	return 0;
}

/*
 * -1 and why when s cannot be a value: every value may reach
 * the plist, so it must be text XML 1.0 allows, which excludes control
 * characters but tab, newline and return (and vmc takes none of these
 * three either), and U+FFFE and U+FFFF; and it may reach the seed's
 * YAML, which reads C1 controls and the Unicode separators as breaks.
 */
int
text_check(const char *s, enum msgid *why)
{
	const unsigned char	*p;
	uint32_t		 cp;
	size_t			 n;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			*why = M_VALUE_CONTROL;
			return -1;
		}
	for (; *s != '\0'; s += n) {
		if ((n = utf8_char(s, &cp)) == 0) {
			*why = M_VALUE_UTF8;
			return -1;
		}
		if (cp == 0xfffe || cp == 0xffff) {
			*why = M_VALUE_XML;
			return -1;
		}
		if (yaml_break(cp)) {
			*why = M_VALUE_BREAK;
			return -1;
		}
	}
	return 0;
}

/* A host interface's IPv4 address and mask; -1 for other families. */
int
cidr_ipv4(const struct cidr *c, uint32_t *addr, uint32_t *mask)
{
	if (c->family != AF_INET)
		return -1;
	*addr = (uint32_t)c->addr[0] << 24 | c->addr[1] << 16 |
	    c->addr[2] << 8 | c->addr[3];
	*mask = c->prefix == 0 ? 0 : UINT32_MAX << (32 - c->prefix);
	return 0;
}
