/*
 * The schema of profiles and host files, shared by schema.c, which
 * holds the tables, and model.c, which fills objects by them.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <stddef.h>

enum type {
	T_STR,		/* any printable UTF-8 */
	T_WORD,		/* letters, digits, '.', '_', '-' */
	T_PATH,
	T_ABSPATH,
	T_ENUM,
	T_NUM,
	T_SIZE,
	T_BOOL,
	T_MAC,		/* "auto" or a MAC */
	T_IPV4,
	T_UUID,
	T_URL,
	T_CPU,		/* QEMU's -cpu: MODEL[,+F|,-F|,P=V]... */
	T_PROP,		/* NAME=VALUE, a comma in VALUE doubled */
	T_ARG,		/* one argument word, not empty */
	T_DISK,		/* PATH or PATH,format=NAME: v->s the path,
			 * v->n 1 + the format given, else 0 */
	T_HOST,		/* a host name: labels of letters, digits, '-' */
	T_VERSION,	/* X.Y or X.Y.Z: v->n is X * 1000000 + Y * 1000 + Z */
	T_IP,		/* an IPv4 or IPv6 address, kept as text */
	T_FWD,		/* repeatable, into nic->fwd */
	T_CIDR,		/* repeatable, into iface->addr or nic->addr */
	T_DNS		/* repeatable, into nic->dns */
};

/* The objects sections fill. */
enum obj { O_VM, O_NIC, O_HOST, O_IFACE, O_CLOUD };

enum doctype { D_PROFILE, D_HOST };

enum label {
	L_NONE,		/* [service] */
	L_OPTIONAL,	/* [network] or [network.LABEL]: one object each */
	L_REQUIRED	/* [interface.NAME] */
};

enum sect { S_VM, S_NETWORK, S_SERVICE, S_CLOUD, S_HOST, S_INTERFACE,
    S_QEMU };

struct section {
	const char	*name;
	enum doctype	 doc;
	enum obj	 obj;
	enum label	 label;
	size_t		 max;	/* objects of this kind; 0: no limit */
	int		 main;	/* the section every such file has */
};

#define REQUIRED	0x1
#define MULTI		0x2	/* repeatable, into a struct vlist */

struct key {
	enum sect		 sect;
	const char		*key;
	enum type		 type;
	int			 flags;
	const char		*def;
	size_t			 off;	/* of the struct val in the object */
	const char *const	*words;	/* T_ENUM */
	uint64_t		 min, max; /* T_NUM */
};

extern const struct section sections[];
extern const size_t nsections;
extern const struct key keys[];
extern const size_t nkeys;

/* Finding a section or key by name (after vmc.h). */
const struct key *schema_key(enum sect, const char *);
void		 schema_unknown_key(struct ctx *, enum sect,
		    const struct setting *);
int		 schema_section(enum doctype, const char *, const char **);
int		 schema_check_section(struct ctx *, enum doctype, const char *,
		    struct loc, const char **);

#endif
