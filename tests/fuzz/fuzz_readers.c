/*
 * libFuzzer harness for what vmc reads that another program or an
 * earlier run wrote: the build index and the install manifest
 * (index.c), the DHCP leases and the lines of arp -an (status.c), and
 * a VM's run record (running.c).  The first byte of an input picks the
 * reader, the rest is the file:
 *
 *	0 index, 1 manifest, 2 leases, 3 arp -an, 4 run record
 *
 * Besides the sanitizers, it checks that a record read is written back
 * as one that reads the same, and that every address the lease and arp
 * readers give is an IPv4 address.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../compiler/vmc.h"

static char	 path[4096];

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*t = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/vmc-fuzz-readers.%ld",
	    t != NULL ? t : "/tmp", (long)getpid());
	atexit(cleanup);
	return 0;
}

static void
put(const uint8_t *data, size_t size)
{
	FILE	*f;

	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
}

/* A record read is written back as one that reads the same. */
static void
records(int kind)
{
	struct ctx	 ctx;
	struct record	 r, again;
	struct buf	 b = { NULL, 0, 0 }, b2 = { NULL, 0, 0 };

	memset(&ctx, 0, sizeof(ctx));
	memset(&r, 0, sizeof(r));
	if (record_read(&ctx, path, kind, &r) == 0 && kind == REC_MANIFEST) {
		record_write(&b, &r);
		put((const uint8_t *)b.p, b.len);
		memset(&again, 0, sizeof(again));
		if (record_read(&ctx, path, kind, &again) != 0)
			abort();
		record_write(&b2, &again);
		if (b.len != b2.len || memcmp(b.p, b2.p, b.len) != 0)
			abort();
		record_free(&again);
	}
	record_free(&r);
	buf_free(&b);
	buf_free(&b2);
	ctx_free(&ctx);
}

static void
ipv4(const char *s)
{
	uint32_t	 a;

	if (s != NULL && parse_ipv4(s, &a) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct install	 opt = { "", NULL, NULL, 0, 0, 0 };
	struct recvm	 v;
	struct running	 run;
	uint64_t	 mac;
	char		*text, *line, *next, *a, ip[16];
	int		 kind;

	if (size == 0)
		return 0;
	kind = data[0] % 5;
	data++;
	size--;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	switch (kind) {
	case 0:
	case 1:
		put(data, size);
		records(kind == 0 ? REC_INDEX : REC_MANIFEST);
		break;
	case 2:
		/* A MAC vmc derives, and one the input may hold. */
		a = lease_addr(text, 0x5254000a0b0cULL);
		ipv4(a);
		free(a);
		a = lease_addr(text, size >= 6 ? (uint64_t)data[0] << 40 |
		    (uint64_t)data[1] << 32 | (uint64_t)data[2] << 24 |
		    (uint64_t)data[3] << 16 | (uint64_t)data[4] << 8 |
		    data[5] : 0);
		ipv4(a);
		free(a);
		break;
	case 3:
		for (line = text; line != NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (arp_line(line, &mac, ip) == 0)
				ipv4(ip);
		}
		break;
	default:
		put(data, size);
		memset(&v, 0, sizeof(v));
		v.run = path;
		if (running_read(&opt, &v, &run) == 0)
			running_free(&run);
		break;
	}
	free(text);
	return 0;
}
