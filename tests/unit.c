/*
 * Unit tests of the value parsers and the quoting functions.  Quoted
 * words are also checked the hard way: sh must read them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../compiler/vmc.h"

static int	passed, failed;

static void
expect(int ok, const char *what, const char *input)
{
	if (ok)
		passed++;
	else {
		failed++;
		printf("FAIL %s: '%s'\n", what, input);
	}
}

static void
test_num(void)
{
	static const struct {
		const char	*s;
		uint64_t	 min, max, want;
		int		 ok;
	} t[] = {
		{ "0", 0, 10, 0, 1 }, { "10", 0, 10, 10, 1 },
		{ "11", 0, 10, 0, 0 }, { "0", 1, 10, 0, 0 },
		{ "", 0, 10, 0, 0 }, { "-1", 0, 10, 0, 0 },
		{ "+1", 0, 10, 0, 0 }, { " 1", 0, 10, 0, 0 },
		{ "1 ", 0, 10, 0, 0 }, { "1x", 0, 10, 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX, UINT64_MAX, 1 },
		{ "18446744073709551616", 0, UINT64_MAX, 0, 0 },
		{ "99999999999999999999999", 0, UINT64_MAX, 0, 0 },
		{ "0x10", 0, 100, 0, 0 }, { "010", 0, 100, 10, 1 },
	};
	enum msgid	 e;
	uint64_t	 n;
	size_t		 i;
	int		 ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok = parse_num(t[i].s, t[i].min, t[i].max, &n, &e) == 0;
		expect(ok == t[i].ok && (!ok || n == t[i].want), "parse_num",
		    t[i].s);
	}
}

static void
test_size(void)
{
	static const struct {
		const char	*s;
		uint64_t	 want;
		int		 ok;
	} t[] = {
		{ "512", 512ULL << 20, 1 }, { "512M", 512ULL << 20, 1 },
		{ "4G", 4ULL << 30, 1 }, { "4g", 4ULL << 30, 1 },
		{ "1T", 1ULL << 40, 1 }, { "1536K", 1536ULL << 10, 1 },
		{ "-1", 0, 0 }, { "2Gxyz", 0, 0 }, { "2GB", 0, 0 },
		{ "G", 0, 0 }, { "", 0, 0 }, { "1.5G", 0, 0 },
		{ "16777215T", 16777215ULL << 40, 1 },
		{ "16777216T", 0, 0 }, { "17592186044416M", 0, 0 },
		{ "99999999999999999999", 0, 0 }, { "4 G", 0, 0 },
		{ "1P", 0, 0 }, { "1 ", 0, 0 },
	};
	enum msgid	 e;
	uint64_t	 n;
	size_t		 i;
	int		 ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok = parse_size(t[i].s, &n, &e) == 0;
		expect(ok == t[i].ok && (!ok || n == t[i].want), "parse_size",
		    t[i].s);
	}
}

static void
test_small(void)
{
	uint64_t	 n;
	uint32_t	 a;
	struct cidr	 c;

	expect(parse_bool("yes", &n) == 0 && n == 1, "bool", "yes");
	expect(parse_bool("on", &n) == 0 && n == 1, "bool", "on");
	expect(parse_bool("false", &n) == 0 && n == 0, "bool", "false");
	expect(parse_bool("Yes", &n) == 0 && n == 1, "bool", "Yes");
	expect(parse_bool("OFF", &n) == 0 && n == 0, "bool", "OFF");
	expect(parse_bool("yess", &n) == -1, "bool", "yess");
	expect(parse_bool("1", &n) == -1, "bool", "1");
	expect(parse_mac("52:54:00:AB:cd:0f", &n) == 0 &&
	    n == 0x525400abcd0fULL, "mac", "52:54:00:AB:cd:0f");
	expect(parse_mac("52:54:00:ab:cd", &n) == -1, "mac", "short");
	expect(parse_mac("52:54:00:ab:cd:0f:", &n) == -1, "mac", "long");
	expect(parse_mac("52-54-00-ab-cd-0f", &n) == -1, "mac", "dashes");
	expect(parse_mac("5:54:00:ab:cd:0f0", &n) == -1, "mac", "shifted");
	expect(parse_ipv4("192.168.1.1", &a) == 0 && a == 0xc0a80101,
	    "ipv4", "192.168.1.1");
	expect(parse_ipv4("256.1.1.1", &a) == -1, "ipv4", "256.1.1.1");
	expect(parse_ipv4("01.1.1.1", &a) == -1, "ipv4", "01.1.1.1");
	expect(parse_ipv4("1.1.1", &a) == -1, "ipv4", "1.1.1");
	expect(parse_ipv4("1.1.1.1.", &a) == -1, "ipv4", "1.1.1.1.");
	expect(parse_ipv4("1.1.1.1 ", &a) == -1, "ipv4", "trailing blank");
	expect(parse_cidr("10.0.0.1/8", &c) == 0 && c.prefix == 8 &&
	    c.addr[0] == 10, "cidr", "10.0.0.1/8");
	expect(parse_cidr("fe80::1/64", &c) == 0 && c.prefix == 64,
	    "cidr", "fe80::1/64");
	expect(parse_cidr("10.0.0.1/33", &c) == -1, "cidr", "/33");
	expect(parse_cidr("10.0.0.1", &c) == -1, "cidr", "no prefix");
	expect(parse_cidr("::1/129", &c) == -1, "cidr", "/129");
	expect(parse_uuid("6f2c1a4e-2b9d-4c1e-9a43-0c3b1e2d4f5a") == 0,
	    "uuid", "valid");
	expect(parse_uuid("6f2c1a4e-2b9d-4c1e-9a43-0c3b1e2d4f5") == -1,
	    "uuid", "short");
	expect(parse_uuid("6f2c1a4e2b9d4c1e9a430c3b1e2d4f5a") == -1,
	    "uuid", "no dashes");
	expect(parse_version("9.2.0", &n) == 0 && n == 9002000, "version",
	    "9.2.0");
	expect(parse_version("10.2", &n) == 0 && n == 10002000, "version",
	    "10.2");
	expect(parse_version("7.2.22", &n) == 0 && n == 7002022, "version",
	    "7.2.22");
	expect(parse_version("9", &n) == -1 && parse_version("9.", &n) == -1 &&
	    parse_version("9.2.0.1", &n) == -1 &&
	    parse_version("9.1000", &n) == -1 && parse_version("", &n) == -1 &&
	    parse_version("9.x", &n) == -1 && parse_version(".9", &n) == -1,
	    "version", "bad");
	expect(check_vmname("k8s-w1") == 0, "vmname", "k8s-w1");
	expect(check_vmname("-a") == -1 && check_vmname("a-") == -1 &&
	    check_vmname("") == -1 && check_vmname("A") == -1 &&
	    check_vmname("a_b") == -1 && check_vmname("a.b") == -1,
	    "vmname", "bad");
	expect(check_vmname("a23456789012345678901234567890123456789012345"
	    "678901234567890123") == 0, "vmname", "63");
	expect(check_vmname("a23456789012345678901234567890123456789012345"
	    "6789012345678901234") == -1, "vmname", "64");
	expect(utf8_valid("caf\xc3\xa9") && utf8_valid("\xf0\x9f\x98\x80"),
	    "utf8", "valid");
	expect(!utf8_valid("\xc3") && !utf8_valid("\xc0\xaf") &&
	    !utf8_valid("\xed\xa0\x80") && !utf8_valid("\xf4\x90\x80\x80") &&
	    !utf8_valid("\xff"), "utf8", "invalid");
}

static void
test_seed_values(void)
{
	static const char ed[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEu/uf"
	    "F5MtQJ6GhYkb7CTRWYpoHYsACDobMt15hOapJn alice@example";
	static const char *const badkeys[] = {
	    "ssh-ed25519",
	    "ssh-ed25519 ",
	    "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIEu/ufF5MtQJ6GhYkb7CTRWYpoHYsA"
	    "CDobMt15hOapJn",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEu/ufF5MtQJ6GhYkb7CTRWYpoHY"
	    "sACDobMt15hOapJ",
	    "ssh-ed25519 AAAAC3Nza=1lZDI1NTE5AAAAIEu/ufF5MtQJ6GhYkb7CTRWYpoHY"
	    "sACDobMt15hOapJn",
	    "ssh-dss AAAAB3NzaC1kc3MAAACB",
	    "ecdsa-sha2-nistp256 AAAA",
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEu/ufF5MtQJ6GhYkb7CTRWYpoHY"
	    "sACDobMt15hOapJn x\001y",
	};
	struct cidr	 c;
	enum msgid	 e;
	size_t		 i;

	expect(check_sshkey(ed, &e) == 0, "sshkey", "ed25519 with comment");
	expect(check_sshkey("ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAIEu/ufF5MtQJ6"
	    "GhYkb7CTRWYpoHYsACDobMt15hOapJn", &e) == 0, "sshkey", "tab, no "
	    "comment");
	for (i = 0; i < sizeof(badkeys) / sizeof(badkeys[0]); i++)
		expect(check_sshkey(badkeys[i], &e) == -1, "sshkey bad",
		    badkeys[i]);
	expect(check_hostname("web") == 0, "hostname", "web");
	expect(check_hostname("a-1.example.org") == 0, "hostname", "fqdn");
	expect(check_hostname("a..b") == -1, "hostname", "empty label");
	expect(check_hostname("a.") == -1, "hostname", "trailing dot");
	expect(check_hostname("-a") == -1, "hostname", "leading -");
	expect(check_hostname("a-.b") == -1, "hostname", "label ends in -");
	expect(check_hostname("a_b") == -1, "hostname", "underscore");
	expect(check_hostname("") == -1, "hostname", "empty");
	expect(parse_ip("10.0.2.3", &c) == 0 && c.prefix == 32 &&
	    c.addr[3] == 3, "ip", "10.0.2.3");
	expect(parse_ip("fec0::3", &c) == 0 && c.prefix == 128, "ip",
	    "fec0::3");
	expect(parse_ip("10.0.2.3/32", &c) == -1, "ip", "prefix");
	expect(parse_ip("010.0.2.3", &c) == -1, "ip", "leading zero");
}

static void
test_forward(void)
{
	static const struct {
		const char	*s;
		uint32_t	 addr;
		uint16_t	 h, g;
		enum proto	 p;
		int		 ok;
	} t[] = {
		{ "2222:22", 0x7f000001, 2222, 22, PROTO_TCP, 1 },
		{ "0.0.0.0:80:8080/tcp", 0, 80, 8080, PROTO_TCP, 1 },
		{ "10.0.0.1:53:53/udp", 0x0a000001, 53, 53, PROTO_UDP, 1 },
		{ "22", 0, 0, 0, 0, 0 }, { "0:22", 0, 0, 0, 0, 0 },
		{ "1:65536", 0, 0, 0, 0, 0 }, { "a:1:2", 0, 0, 0, 0, 0 },
		{ "1:2/icmp", 0, 0, 0, 0, 0 }, { "1:2:3:4", 0, 0, 0, 0, 0 },
		{ ":1:2", 0, 0, 0, 0, 0 }, { "1:2/", 0, 0, 0, 0, 0 },
		{ "1:-2", 0, 0, 0, 0, 0 },
	};
	struct fwd	 f;
	enum msgid	 e;
	size_t		 i;
	int		 ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok = parse_forward(t[i].s, &f, &e) == 0;
		expect(ok == t[i].ok && (!ok || (f.addr == t[i].addr &&
		    f.hport == t[i].h && f.gport == t[i].g &&
		    f.proto == t[i].p)), "parse_forward", t[i].s);
	}
}

static void
test_url(void)
{
	static const char *const good[] = { "http://10.0.2.2/", "https://a/b/",
	    "http://h:8000/x/y/", "http://[fe80::1]:80/x/",
	    "http://h/a,b/$x/", "http://[::1]/", "http://[fd00::2]:8000/s/" };
	static const char *const bad[] = { "ftp://h/", "http://h", "http:///",
	    "http://h/a;b/", "http://h/a b/", "http://h:0/", "http://h:/",
	    "http://h:123456/", "HTTP://h/", "http://u@h/", "http://h:x/",
	    "http://[/", "http://[zz/", "http://[::1]x/", "http://[::1/",
	    "http://[::1]:/" };
	enum msgid	 e;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect(check_url(good[i], &e) == 0, "url good", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(check_url(bad[i], &e) == -1, "url bad", bad[i]);
}

/* What quote_sh makes of s must be read back by sh as exactly s. */
static void
roundtrip_sh(const char *s)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 out[512];
	FILE		*fp;
	size_t		 n;

	buf_puts(&b, "printf '%s' ");
	quote_sh(&b, s);
	fp = popen(b.p, "r");
	n = fp ? fread(out, 1, sizeof(out) - 1, fp) : 0;
	out[n] = '\0';
	expect(fp != NULL && pclose(fp) == 0 && strcmp(out, s) == 0,
	    "quote_sh round trip", s);
	buf_free(&b);
}

/* quote_vis: what a terminal acts on or hides, escaped; text kept. */
static void
test_vis(void)
{
	static const struct {
		const char	*in, *out;
		int		 flags;
	} t[] = {
		{ "a\tb\033[2J", "a\\011b\\033[2J", 0 },
		{ "caf\xc3\xa9 \xe6\x97\xa5", "caf\xc3\xa9 \xe6\x97\xa5", 0 },
		{ "\xc2\x85", "\\302\\205", 0 },		/* NEL, a C1 control */
		{ "a\xe2\x80\x8f\x62", "a\\342\\200\\217b", 0 },	/* RLM */
		{ "\xef\xbb\xbfk", "\\357\\273\\277k", 0 },	/* BOM */
		{ "\xef\xbf\xbe", "\\357\\277\\276", 0 },	/* U+FFFE */
		{ "\xff\x41", "\\377A", 0 },			/* invalid */
		{ "a\\b", "a\\b", 0 },
		{ "a\\b", "a\\\\b", VIS_BACKSLASH },
		{ "\x7f", "\\177", VIS_BACKSLASH },
	};
	struct buf	 b;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&b, 0, sizeof(b));
		buf_add(&b, "", 0);
		quote_vis(&b, t[i].in, t[i].flags);
		expect(strcmp(b.p, t[i].out) == 0, "quote_vis", t[i].out);
		buf_free(&b);
	}
}

static void
test_quote(void)
{
	static const struct {
		void		(*fn)(struct buf *, const char *);
		const char	*in, *out;
	} t[] = {
		{ quote_sh, "plain/path-1.2_x", "plain/path-1.2_x" },
		{ quote_sh, "", "''" },
		{ quote_sh, "a b", "'a b'" },
		{ quote_sh, "it's", "'it'\\''s'" },
		{ quote_sh, "~user", "'~user'" },
		{ quote_sh, "a;b", "'a;b'" },
		{ quote_xml, "a<b>&\"c\"'d'", "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;" },
		{ quote_xml, "]]>", "]]&gt;" },
		{ quote_xml, "caf\xc3\xa9", "caf\xc3\xa9" },
		{ quote_qemu, "a,b,,c", "a,,b,,,,c" },
		{ quote_qemu, ",", ",," },
		{ quote_qemu, "no commas=here", "no commas=here" },
		{ quote_json, "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ quote_json, "t\tn\n\x1b", "\"t\\u0009n\\u000a\\u001b\"" },
		{ quote_json, "caf\xc3\xa9 \xff", "\"caf\xc3\xa9 \\ufffd\"" },
		{ quote_json, "\xe2\x80\xa8", "\"\\u2028\"" },
	};
	static const char *const hostile[] = { "it's", "\"$(id)\"", "`id`",
	    "a;b&c|d<e>f*g~h", "$HOME", "\\", "'\"'\"'", "caf\xc3\xa9 \xe2\x82\xac",
	    "-n", "a\\tb", "*", "", "!x", "{a,b}", "#c", "code\\",
	    "a\\\\'b\\" };
	struct buf	 b;
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&b, 0, sizeof(b));
		buf_add(&b, "", 0);
		t[i].fn(&b, t[i].in);
		expect(strcmp(b.p, t[i].out) == 0, "quote", t[i].in);
		buf_free(&b);
	}
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		roundtrip_sh(hostile[i]);
	test_vis();
}

static void
test_paths(void)
{
	static const struct {
		const char	*dir, *path, *want;
	} t[] = {
		{ "/a/b", "c.img", "/a/b/c.img" },
		{ "/a/b", "./c.img", "/a/b/c.img" },
		{ "/a/b", "../c.img", "/a/c.img" },
		{ "/a/b", "/x//y/./z", "/x/y/z" },
		{ "/", "../../c", "/c" },
		{ "/a/", "b/", "/a/b" },
	};
	char	*p;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = path_clean(t[i].dir, t[i].path);
		expect(strcmp(p, t[i].want) == 0, "path_clean", t[i].path);
		free(p);
	}
}

/*
 * FNV-1a, 64 bits, written again from its definition (offset basis
 * 14695981039346656037, prime 2^40 + 2^8 + 0xb3), to check the
 * compiler's against.
 */
static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
	uint64_t	 h = 14695981039346656037ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= (1ULL << 40) + (1ULL << 8) + 0xb3;
	}
	return h;
}

/* A derived MAC by its rule: 52, then 40 bits of the name's hash. */
static uint64_t
mac_rule(const char *name, size_t nic)
{
	unsigned char	 b[80];
	size_t		 n = strlen(name);

	memcpy(b, name, n);
	b[n] = 0xff;
	b[n + 1] = nic;
	return 0x52ULL << 40 | (fnv1a(b, n + 2) & 0xffffffffffULL);
}

static void
test_mac(void)
{
	/* Published FNV-1a test vectors. */
	static const struct {
		const char	*s;
		uint64_t	 want;
	} h[] = {
		{ "", 0xcbf29ce484222325ULL }, { "a", 0xaf63dc4c8601ec8cULL },
		{ "foobar", 0x85944171f73967e8ULL },
	};
	/* Known answers: the examples in output/, and two cards of one VM. */
	static const struct {
		const char	*name;
		size_t		 nic;
		uint64_t	 want;
	} m[] = {
		{ "k8s-cp", 0, 0x523da9aa6b02ULL },
		{ "k8s-w1", 0, 0x529511b89d21ULL },
		{ "ubuntu", 0, 0x528945fc3235ULL },
		{ "web", 0, 0x522e07093a3eULL }, { "web", 1, 0x522e07093bf1ULL },
	};
	static const char *const names[] = { "a", "b", "web", "web1",
	    "k8s-w1", "k8s-w2", ("a2345678901234567890123456789012345678901"
	    "2345678901234567890123") };
	uint64_t	 seen[7 * 8];
	size_t		 i, j, k, n = 0;
	int		 distinct = 1;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		expect(hash_add(HASH_INIT, h[i].s, strlen(h[i].s)) == h[i].want &&
		    fnv1a((const unsigned char *)h[i].s, strlen(h[i].s)) ==
		    h[i].want, "hash_add", h[i].s);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		expect(mac_derive(m[i].name, m[i].nic) == m[i].want &&
		    mac_rule(m[i].name, m[i].nic) == m[i].want, "mac_derive",
		    m[i].name);
	/* Every name and card of a fleet gets a MAC of its own. */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < 8; j++) {
			seen[n] = mac_derive(names[i], j);
			expect(seen[n] == mac_rule(names[i], j), "mac_derive",
			    names[i]);
			for (k = 0; k < n; k++)
				distinct &= seen[k] != seen[n];
			n++;
		}
	expect(distinct, "mac_derive", "distinct for 7 names, 8 cards");
}

/*
 * vmc host prints only interface names its reader reads back: the
 * output of a host with hostile names must read as a host file.
 */
static void
test_host_print(void)
{
	static const char *const names[] = { "eth0", "a]b;c", "a b",
	    "\xc3\xa9th0", "br-1.2_x@y" };
	struct ctx	 ctx;
	struct host	 h, back;
	char		 path[] = "/tmp/vmc-unit.XXXXXX";
	FILE		*fp;
	size_t		 i;
	int		 fd;

	memset(&ctx, 0, sizeof(ctx));
	memset(&h, 0, sizeof(h));
	h.nifs = sizeof(names) / sizeof(names[0]);
	h.ifs = xcalloc(h.nifs, sizeof(*h.ifs));
	for (i = 0; i < h.nifs; i++)
		h.ifs[i].name = names[i];
	h.os.state = h.arch.state = h.cpus.state = V_SET;
	h.os.s = "linux";
	h.arch.s = "x86_64";
	h.cpus.s = "2";
	h.memory.n = 1ULL << 30;
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		expect(0, "host print", "mkstemp");
		return;
	}
	host_print(&ctx, &h, fp);
	fclose(fp);
	expect(ctx.warnings == 3, "host print", "three names left out");
	expect(host_read(&ctx, &back, path) == 0 && back.nifs == 2 &&
	    strcmp(back.ifs[0].name, "eth0") == 0 &&
	    strcmp(back.ifs[1].name, "br-1.2_x@y") == 0, "host print",
	    "read back");
	host_free(&back);
	unlink(path);
	free(h.ifs);
	for (i = 0; i < ctx.nmsgs; i++)		/* the warnings, unsaid */
		free(ctx.msgs[i].text);
	ctx.nmsgs = 0;
	ctx_free(&ctx);
}

/* The table of messages, for tests/diagnostics.sh: name, level, format. */
static void
messages(void)
{
	static const char *const level[] = {
		[L_ERROR] = "error", [L_WARN] = "warning",
		[L_NOTE] = "note", [L_SYS] = "error"
	};
	size_t	 i;

	for (i = 0; i < M__COUNT; i++)
		printf("%s\t%s\t%s\n", msgdefs[i].name,
		    level[msgdefs[i].level], msgdefs[i].fmt);
}

/* What bootpd's leases and arp -an say is taken only in its form. */
static void
test_readers(void)
{
	char		*a, ip[16];
	uint64_t	 mac;

	a = lease_addr("{\n\tip_address=10.0.0.9\n\thw_address=1,52:54:0:a:b:c\n"
	    "\tlease=0x10\n}\n{\n\tip_address=\033]0;x\a\n"
	    "\thw_address=1,52:54:0:a:b:c\n\tlease=0x20\n}\n", 0x5254000a0b0cULL);
	expect(a != NULL && strcmp(a, "10.0.0.9") == 0, "lease",
	    "an escape as the newest lease's address");
	free(a);
	expect(lease_addr("{\n\tip_address=10.0.0.1 x\n\thw_address=1,"
	    "52:54:0:a:b:c\n}\n", 0x5254000a0b0cULL) == NULL, "lease",
	    "an address with more after it");
	expect(arp_line("? (192.168.1.23) at 52:54:0:a:b:c on en0 ifscope",
	    &mac, ip) == 0 && mac == 0x5254000a0b0cULL &&
	    strcmp(ip, "192.168.1.23") == 0, "arp", "an entry");
	expect(arp_line("? (\033[31m1.2.3.4) at 52:54:0:a:b:c on en0", &mac,
	    ip) == -1, "arp", "an escape as the address");
	expect(arp_line("? (1.2.3.4.5.6.7.8.9) at 52:54:0:a:b:c on en0", &mac,
	    ip) == -1, "arp", "a long address");
	expect(arp_line("? (1.2.3.4) at (incomplete) on en0", &mac, ip) == -1,
	    "arp", "an incomplete entry");
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "messages") == 0) {
		messages();
		return 0;
	}
	test_num();
	test_size();
	test_small();
	test_forward();
	test_seed_values();
	test_url();
	test_quote();
	test_paths();
	test_mac();
	test_host_print();
	test_readers();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
