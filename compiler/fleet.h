/*
 * A fleet of hosts: what validate_lan.c, which checks the hosts against
 * each other, shares with compile.c, which hands it each host's VMs,
 * and compile_hosts.c, which reads the fleet directory.
 */
#ifndef FLEET_H
#define FLEET_H

/* validate_lan.c: the checks across the hosts, pure */
struct lanif {
	const char	*name;		/* the interface */
	uint32_t	 addr, mask;	/* an IPv4 address of it */
	int		 lan;		/* it can be on a LAN: not loopback,
					 * not a vmnet bridge */
	struct loc	 at;
};
struct lanhost {
	const char	*name;		/* as in the inventory */
	struct member	*m;		/* its VMs, taken from compile.c */
	size_t		 n;
	struct lanif	*ifs;
	size_t		 nifs;
	struct pool	 pool;		/* the interfaces' names */
};
void		 lan_keep(struct lanhost *, const struct host *,
		    struct member *, size_t);
void		 lan_validate(struct ctx *, struct lanhost *, size_t);
void		 lan_free(struct lanhost *);

/* compile_hosts.c: vmc check -F and build -F */
#define FLEET_HOST	"host"		/* in FLEETDIR/HOST/: its description, */
#define FLEET_PROFILES	"profiles"	/* its profiles */
#define FLEET_RUNDIR	"rundir"	/* and a line: its run directory */
int		 compile_hosts(struct ctx *, const struct run *,
		    const char *fleetdir);

#endif
