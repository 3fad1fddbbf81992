/*
 * vmc: compile INI virtual machine profiles into QEMU launch scripts
 * and launchd property lists, and put them in place.
 *
 * The layers, each calling only those before it: helpers (buf.c,
 * path.c, look.c, quote.c, diag.c, value.c) -> parse (parse.c: files
 * into documents) -> model (schema.c: the schema; model.c: the objects it
 * fills; host.c: the host, from a file or probed) -> derive (derive.c:
 * what the profile leaves to vmc) -> resolve (resolve.c: every look at
 * the system, recorded) -> validate (validate_disk.c, validate_seed.c,
 * validate_net.c, validate_vm.c: each VM; validate_fleet.c: the set;
 * validate_nets.c: the networks of socket_vmnet and their daemons;
 * validate_lan.c: the hosts of a fleet), pure of the system -> emit
 * (qemu.c, emit_sh.c, emit_plist.c, emit_seed.c) -> write (state.c,
 * index.c, output.c, commit.c) -> the pipeline (compile.c; compile_hosts.c:
 * a fleet's hosts) -> other programs (proc.c, launchd.c; running.c:
 * what a VM's script says runs) -> install (plan.c, place.c, install.c) and
 * operate (status.c, operate.c, console.c) -> the command line (main.c,
 * the only file that knows argv).  The messages are a table, msg.h.
 * This header lists each file's functions in that order; tests/layers.sh
 * checks it.
 */
#ifndef VMC_H
#define VMC_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#define VMC_VERSION	"0.1.0"

#define EXIT_INVALID	1	/* a profile or host file is invalid */
#define EXIT_USAGE	2
#define EXIT_SYSTEM	3	/* cannot read or write */

#define MAX_NICS	8
#define MAX_INCLUDE	8	/* include nesting */
#define MAX_NAME	63	/* VM name */
#define MAX_USERDATA	(1 << 20)	/* bytes of cloud-init user-data */
#define MAX_KEYFILE	(64 << 10)	/* bytes of a file of SSH keys */

/* Where a value came from.  line 0: a default or a whole file. */
struct loc {
	const char	*file;
	int		 line;
};

/* How a setting of the model came to be. */
enum vstate {
	V_UNSET,	/* not in the profile, and no default */
	V_BAD,		/* set to a value that did not parse: reported */
	V_DEFAULT,	/* the schema's default, or derived by validation */
	V_SET		/* set, and parsed */
};

/*
 * One setting of the model.  Its text is owned by the pool of the
 * object holding it, or is a constant of the schema.
 */
struct val {
	enum vstate	 state;
	const char	*key;	/* its name in the schema */
	const char	*s;	/* the text, ${name} expanded */
	uint64_t	 n;	/* number, size in bytes, enum index, bool, MAC, IPv4 */
	struct loc	 at;	/* line 0: a default */
};
#define val_ok(v)	((v)->state >= V_DEFAULT)

/* The values of a repeatable key, in reading order (included first). */
struct vlist {
	const char	*key;	/* its name in the schema */
	struct val	*v;
	size_t		 n;
};

/* Strings that live as long as the object owning the pool. */
struct pool {
	char		**v;
	size_t		 n, cap;
};

/* One "key = value" line as read, in reading order. */
struct setting {
	char		*section;
	char		*key;
	char		*value;
	struct loc	 at;
};

/* One look at the file system or the user database (look.c). */
#define LOOK_FP		96
enum { LOOK_STAT = 's', LOOK_PATH = 'p', LOOK_USER = 'u', LOOK_GROUP = 'g' };
struct look {
	int		 kind;
	char		*path;		/* or the user's name */
	char		 fp[LOOK_FP];	/* what it found */
	time_t		 t;		/* a file's latest time, else 0 */
};
struct looks {
	struct look	*v;
	size_t		 n, cap;
};

/* A profile or host file with everything it includes, flattened. */
struct doc {
	struct setting	*v;
	size_t		 n, cap;
	struct loc	*sections;	/* every section header, for diagnostics */
	char		**names;	/* of the sections above */
	size_t		 nsect, capsect;
	struct looks	 looks;		/* the files read, then what
					 * resolve.c looked at */
};

enum proto { PROTO_TCP, PROTO_UDP };

struct fwd {
	struct loc	 at;
	const char	*key;
	uint32_t	 addr;		/* host address, host byte order */
	uint16_t	 hport, gport;
	enum proto	 proto;
};

/* Enumerated values; schema.c spells each in one table of names. */
enum netmode { NET_USER, NET_SHARED, NET_HOST, NET_BRIDGED };
enum arch { ARCH_X86_64, ARCH_AARCH64 };
enum accel { ACCEL_AUTO, ACCEL_HVF, ACCEL_KVM, ACCEL_TCG };
enum format { FMT_QCOW2, FMT_RAW };
enum restart { RESTART_ON_FAILURE, RESTART_ALWAYS, RESTART_NEVER };
enum os { OS_MACOS, OS_LINUX };
enum datasource { DS_NOCLOUD, DS_NOCLOUD_NET };
enum via { VIA_QEMU, VIA_SOCKET_VMNET };
extern const char *const netmode_names[], *const arch_names[];
extern const char *const accel_names[], *const format_names[];
extern const char *const restart_names[], *const os_names[];
extern const char *const datasource_names[], *const via_names[];

struct cidr {
	struct loc	 at;
	const char	*s;
	const char	*key;
	int		 family;	/* AF_INET, AF_INET6 */
	unsigned char	 addr[16];
	int		 prefix;
};

struct nic {
	const char	*label;		/* NULL for plain [network] */
	struct loc	 at;		/* the section header */
	struct val	 mode, via, interface, model, mac, isolated, uuid;
	struct val	 start, end, mask, group;
	const char	*netid;		/* through socket_vmnet: the network */
	const char	*socket;	/* and its daemon's socket */
	const char	*netlog;	/* and log */
	int		 ingroup;	/* the VM's user and group: -1 not
					 * looked, 0 no group, 1 not in it,
					 * 2 in it */
	struct fwd	*fwd;
	size_t		 nfwd;
	/* The guest's own settings, written into the cloud-init seed. */
	struct cidr	*addr;		/* static addresses */
	size_t		 naddr;
	struct val	 gateway;
	struct cidr	*dns;		/* addresses, prefix the full length */
	size_t		 ndns;
	uint64_t	 hwaddr;	/* the MAC in use, derived when auto */
};

/* A [cloud-init] section: a NoCloud seed that vmc writes. */
struct cloudinit {
	int		 present;
	struct loc	 at;		/* the section header */
	struct val	 userdata, hostname, instanceid;
	struct vlist	 sshkeys;	/* as set: a key line or a file */
	/* resolved by validation, in the VM's pool */
	const char	*ud;		/* the user-data, verbatim; NULL: none */
	size_t		 udlen;
	const char	**keys;		/* every public key line */
	size_t		 nkeys;
};

/*
 * What resolve.c found of a file the VM depends on: err is 0, an
 * errno, or -1 when the file is not of the type wanted.
 */
struct found {
	const char	*path;		/* NULL: not looked at */
	int		 err;
	struct stat	 st;		/* when err is 0 */
};

/* Everything resolve.c found, for the checks to judge. */
struct resolved {
	struct found	 image, base, backing, qemu, qemuimg, fw, vars;
	struct found	 log, logdir, rundir, vmdir;
	struct found	 madedir;	/* where a root job's first start
					 * makes files */
	int		 imagefmt, basefmt;	/* enum format */
	uint64_t	 basesize;	/* virtual size, bytes */
	const char	*backingname;	/* as the image's header gives it */
	int		 user;		/* 1: found, 0: none, -1: not looked */
	uid_t		 uid;
	gid_t		 gid;		/* its primary group */
	const char	*udtext;	/* user-data, NUL-terminated */
	size_t		 udlen;
	const char	**keytext;	/* each ssh-key naming a file: its
					 * text, or NULL */
};

/* A disk beside the image (disk =) or a CD (cdrom =). */
struct disk {
	const struct val *v;		/* its setting; v->n is 1 + the format
					 * given, or 0 */
	int		 cdrom;
	struct found	 f, backing;
	int		 found;		/* enum format read from it; -1: none */
	const char	*backingname;	/* as its header gives it */
	const char	*path;		/* absolute; NULL: not resolved */
	const char	*id;		/* device and inode, or the path */
	int		 fmt;		/* enum format QEMU is given */
};

#define MAX_SUN_PATH	103		/* macOS sun_path less the NUL */
#define NET_WAIT	30		/* seconds a script waits for
					 * socket_vmnet's socket */

/* QEMU versions, as parse_version gives them. */
#define QEMU_STREAM	7002000		/* -netdev stream */
#define QEMU_RECONNECT	8000000		/* its reconnect=SECONDS */
#define QEMU_RECONNECT_MS 9002000	/* reconnect-ms=, reconnect removed
					 * in 10.2 */

struct vm {
	char		*name;
	char		*path;		/* the profile as named on the command line */
	char		*dir;		/* absolute directory of the profile */
	struct loc	 at;		/* the profile file itself */
	struct val	 arch, machine, accel, cpus, memory, image, format;
	struct val	 seed, seedds, qemu, firmware, base, disksize, cpu;
	struct val	 discard, rng;
	struct vlist	 machopts, qemuargs, disks, cdroms;
	struct val	 label, autostart, restart, user, log, stoptimeout;
	struct nic	*nic;		/* in order of first appearance */
	size_t		 nnic;
	struct cloudinit ci;
	struct doc	 doc;
	struct pool	 pool;		/* every string of the VM's */
	struct resolved	 res;
	/* derived (derive.c) or resolved (resolve.c), in the pool */
	const char	*imagepath;	/* absolute */
	const char	*imageid;	/* device and inode, or the path */
	const char	*qemupath;
	const char	*fwpath;
	const char	*basepath;	/* absolute, when base is set */
	const char	*baseid;	/* device and inode, when it exists */
	const char	*qemuimg;	/* creates the overlay on base */
	const char	*varstemplate;	/* aarch64: the UEFI variables' template */
	const char	*varspath;	/* the VM's own copy, beside the image */
	const char	*seeddir;	/* RUNDIR/NAME.cidata, with [cloud-init] */
	const char	*logpath;
	const char	*script;	/* RUNDIR/NAME.sh */
	const char	*qmp;		/* RUNDIR/NAME.qmp, or vmdir/qmp */
	const char	*vmdir;		/* RUNDIR/NAME, for a user not root */
	const char	*marker;	/* the restart marker, beside qmp */
	const char	*console;	/* the serial port's socket, beside qmp */
	const char	*runfile;	/* what runs, the script writes it */
	struct disk	*disk;		/* disks, then CDs, in profile order */
	size_t		 ndisk;
	int		 accels[2];	/* enum accel, -1 when absent */
	uint64_t	 qemuversion;	/* the host's, 0 when not known */
	const char	*netclient;	/* socket_vmnet_client, for a QEMU
					 * without -netdev stream */
	const char	*cpumodel;	/* the -cpu value */
	const char	*gicopt;	/* a -machine property vmc adds, or NULL */
};

struct iface {
	const char	*name;		/* in the host's pool */
	struct loc	 at;
	struct val	 up, loopback, vmnet;
	struct cidr	*addr;
	size_t		 naddr;
};

struct host {
	struct val	 os, arch, cpus, memory;
	struct val	 qemu_x86_64, qemu_aarch64, firmware_aarch64;
	struct val	 qemu_img, vars_aarch64, qemu_version, socket_vmnet;
	struct iface	*ifs;
	size_t		 nifs;
	struct doc	 doc;
	struct pool	 pool;
	int		 live;		/* probed, not read from a file */
};

/* A diagnostic held for printing in order. */
struct msg {
	struct loc	 at;
	size_t		 seq, rank;
	char		*text;
};

/* What the checks across profiles need of one VM, kept after it is freed. */
struct mdisk {
	const char	*id;		/* device and inode, or the path */
	struct val	 v;		/* its setting, for messages */
	int		 ro;		/* QEMU only reads it: a CD, a base */
};
/* A card on a network through socket_vmnet (derive.c names it). */
struct mnet {
	const char	*id;		/* the network */
	const char	*socket, *log;	/* its daemon's */
	struct loc	 at;		/* via = socket_vmnet */
	struct val	 mode, interface, start, end, mask, group;
	struct cidr	*addr;		/* the guest's static addresses */
	size_t		 naddr;
	int		 restart;	/* its QEMU does not reconnect */
};
/* A card bridged onto an interface of the host's: on the host's LAN. */
struct mcard {
	const char	*iface;
	struct val	 mac;		/* n: the MAC in use; at: where it is
					 * set, or the card's section */
	int		 derived;	/* from the VM's name */
	struct cidr	*addr;		/* the guest's static addresses */
	size_t		 naddr;
};
struct member {
	const char	*name;
	struct loc	 at;
	struct val	 label;
	struct mdisk	*disks;		/* the image first */
	size_t		 ndisk;
	struct val	 memory;	/* set when it starts at boot */
	struct val	*macs;		/* n: the MAC in use */
	size_t		 nmac;
	struct fwd	*fwd;
	size_t		 nfwd;
	struct mnet	*nets;		/* its cards through socket_vmnet */
	size_t		 nnet;
	struct mcard	*cards;		/* its bridged cards */
	size_t		 ncard;
	struct val	*seed;		/* a seed URL with an IPv4 address, n,
					 * that no user network or vmnet
					 * gateway of its own reaches; NULL:
					 * none */
	struct pool	 pool;
};

/* A socket_vmnet daemon: one for each network VMs reach through it. */
struct netd {
	const struct mnet *m;		/* its first card, in reading order */
	char		*label;		/* local.vmc.net.ID */
	const char	*group;		/* who may connect besides root */
	const char	*program;	/* socket_vmnet */
};

/* The directories resolved last, for a run of looks (path.c). */
#define PATHCACHE	4
struct pathcache {
	struct {
		char	*dir;		/* as asked */
		char	*real;		/* realpath(3) of it, or NULL */
		int	 err;		/* errno then */
	}		 e[PATHCACHE];
	size_t		 next;		/* the slot to fill next */
};

/* Diagnostics said of one file read (diag.c). */
struct tally {
	const char	*file;
	size_t		 n;
};

#define DIAG_FILE_MAX	100	/* diagnostics shown for one file read */
#define DIAG_RUN_MAX	1000	/* and for a whole run */

/*
 * Everything one run needs.  The one mutable global is output.c's
 * build in progress, which its exit handler must reach.
 */
struct ctx {
	int		 errors;
	int		 warnings;
	int		 sys;		/* errors that are system errors */
	char		**files;	/* interned file names */
	size_t		 nfiles, capfiles;
	const struct host *host;
	struct msg	*msgs;
	size_t		 nmsgs, capmsgs;
	size_t		 shown;		/* diagnostics kept, up to DIAG_RUN_MAX */
	struct tally	*tally;		/* by file, a hash table */
	size_t		 ntally, captally;
	struct pathcache paths;		/* the directory resolved last */
	int		 quiet;		/* warnings and notes are counted,
					 * not said: a fleet's build said them
					 * in its check */
};

/* buf.c: memory, growing buffers, pools; allocation failure is fatal */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xasprintf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
char		*xvasprintf(const char *, va_list);
struct buf {
	char	*p;
	size_t	 len, cap;
};
void		 buf_grow(struct buf *, size_t);
void		 buf_add(struct buf *, const char *, size_t);
void		 buf_puts(struct buf *, const char *);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 buf_free(struct buf *);
char		*pool_add(struct pool *, char *);
char		*pool_strdup(struct pool *, const char *);
char		*pool_printf(struct pool *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 pool_free(struct pool *);
#define HASH_INIT	0xcbf29ce484222325ULL	/* FNV-1a, 64 bits */
uint64_t	 hash_add(uint64_t, const void *, size_t);
uint64_t	 hash_buf(const char *, size_t);

/* A file's change and modification times to the nanosecond. */
#ifdef __APPLE__
#define ST_CTIM(st)	((st)->st_ctimespec)
#define ST_MTIM(st)	((st)->st_mtimespec)
#else
#define ST_CTIM(st)	((st)->st_ctim)
#define ST_MTIM(st)	((st)->st_mtim)
#endif

/* path.c */
#define TMP_PREFIX	".vmc-tmp-"	/* every temporary name vmc writes */
#define MAX_FILE	(16 * 1024 * 1024)	/* read by vmc, at most */
int		 path_open(int dfd, const char *, int nofollow, struct stat *);
int		 path_read(int dfd, const char *, int nofollow, size_t max,
		    struct buf *, struct stat *);
int		 path_same(int dfd, const char *, const char *, size_t,
		    struct stat *);
enum { SYNC_FILE, SYNC_DIR, SYNC_SUBDIR };
int		 path_sync(int fd, int what);
int		 path_has_suffix(const char *, const char *);
int		 path_has_suffix_case(const char *, const char *);
char		*path_dir(const char *);
char		*path_join(const char *, const char *);
char		*path_clean(const char *, const char *);
char		*path_resolve(const char *, const char *, struct pathcache *);
char		*path_real(const char *, struct pathcache *);
void		 pathcache_free(struct pathcache *);
char		*path_absdir(const char *);
int		 path_refuses(const struct stat *, uid_t, gid_t, int how);

/* look.c */
void		 look_file(struct looks *, const char *, const struct stat *);
int		 look_stat(struct looks *, const char *, struct stat *);
char		*look_path(struct looks *, const char *dir, const char *,
		    struct pathcache *);
int		 look_user(struct looks *, const char *, uid_t *, gid_t *);
struct group;
int		 group_has(const struct group *, const char *, gid_t);
int		 look_group(struct looks *, const char *, const char *);
int		 look_same(int kind, const char *, const char *fp,
		    struct pathcache *);
void		 looks_free(struct looks *);

/* quote.c: quoting for the shell, XML, QEMU option values and terminals */
size_t		 utf8_char(const char *, uint32_t *);
void		 quote_sh(struct buf *, const char *);
void		 quote_xml(struct buf *, const char *);
void		 quote_qemu(struct buf *, const char *);
#define VIS_BACKSLASH	0x1
void		 quote_vis(struct buf *, const char *, int flags);
void		 quote_json(struct buf *, const char *);

/* diag.c: every message, from the table in msg.h */
enum level { L_ERROR, L_WARN, L_NOTE, L_SYS };
enum msgid {
#define MSG(id, level, name, fmt)	M_##id,
#include "msg.h"
#undef MSG
	M__COUNT
};
/* Each format as an array of its own, so that the compiler checks a
 * call's arguments against it: diag(ctx, at, M(LINE_LONG), len, max). */
#define MSG(id, level, name, fmt)	static const char msgfmt_##id[] = fmt;
#include "msg.h"
#undef MSG
#define M(id)	M_##id, msgfmt_##id
struct msgdef {
	enum level	 level;
	const char	*name, *fmt;
};
extern const struct msgdef msgdefs[M__COUNT];
void		 diag(struct ctx *, struct loc, enum msgid, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
void		 diag_value(struct ctx *, struct loc, enum msgid, const char *,
		    const char *);
void		 diag_hash(struct ctx *, struct loc, const char *);
void		 diag_flush(struct ctx *);
char		*diag_vis(const char *);
const char	*closest(const char *, const char *const *, size_t);
const char	*intern(struct ctx *, const char *);
int		 ctx_status(const struct ctx *);
void		 ctx_free(struct ctx *);

/* value.c */
int		 parse_num(const char *, uint64_t, uint64_t, uint64_t *,
		    enum msgid *);
int		 parse_size(const char *, uint64_t *, enum msgid *);
int		 parse_bool(const char *, uint64_t *);
int		 parse_mac(const char *, uint64_t *);
int		 parse_ipv4(const char *, uint32_t *);
int		 parse_cidr(const char *, struct cidr *);
int		 parse_ip(const char *, struct cidr *);
int		 check_hostname(const char *);
int		 check_sshkey(const char *, enum msgid *);
int		 parse_uuid(const char *);
int		 parse_version(const char *, uint64_t *);
int		 parse_forward(const char *, struct fwd *, enum msgid *);
int		 check_url(const char *, enum msgid *);
int		 check_vmname(const char *);
int		 check_word(const char *, const char *extra);
int		 check_cpu(const char *, enum msgid *);
int		 check_prop(const char *, enum msgid *);
int		 utf8_valid(const char *);
int		 text_check(const char *, enum msgid *);
int		 cidr_ipv4(const struct cidr *, uint32_t *, uint32_t *);
void		 fmt_mac(uint64_t, char[18]);
void		 fmt_ipv4(uint32_t, char[16]);

/* parse.c */
int		 doc_read(struct ctx *, struct doc *, const char *path,
		    const char *name);
void		 doc_add(struct doc *, const char *section, const char *key,
		    char *value, struct loc);
void		 doc_section(struct doc *, const char *, size_t, struct loc);
void		 doc_free(struct doc *);
int		 doc_section_ok(const char *);

/* schema.c: the tables of sections and keys, declared in schema.h */

/* model.c */
int		 vm_model(struct ctx *, struct vm *);
int		 host_model(struct ctx *, struct host *);
struct loc	 val_at(const struct vm *, const struct val *);
void		 vm_free(struct vm *);
void		 host_free(struct host *);
const struct iface *host_iface(const struct host *, const char *);
int		 host_has(const struct host *, uint32_t);

/* host.c */
int		 host_read(struct ctx *, struct host *, const char *path);
int		 host_probe(struct ctx *, struct host *);
void		 host_print(struct ctx *, const struct host *, FILE *);

/* derive.c */
#define GICV2_CPUS	8	/* vCPUs GICv2 has room for */
uint64_t	 mac_derive(const char *name, size_t nic);
void		 reach_lines(struct buf *, const struct vm *);
int		 vm_uses(const struct vm *, int accel);
const struct val *machine_opt(const struct vm *, const char *, size_t);
void		 vm_derive(struct vm *, const struct host *, const char *rundir);

/* resolve.c: every look a build takes, recorded in the VM's doc */
int		 vm_resolve(struct ctx *, struct vm *, const char *rundir,
		    int checkrundir);

/* validate_disk.c, validate_seed.c, validate_net.c, validate_vm.c:
 * each a pure function of the resolved VM and the host */
void		 check_private(struct ctx *, const struct vm *,
		    const struct val *, const char *);
void		 check_disks(struct ctx *, struct vm *);
void		 check_cloudinit(struct ctx *, struct vm *);
void		 check_seed(struct ctx *, const struct vm *);
int		 seed_host(const char *url, char *, size_t, uint32_t *);
void		 check_nic(struct ctx *, struct vm *, size_t);
void		 vm_validate(struct ctx *, struct vm *);

/* validate_fleet.c */
void		 member_init(struct member *, const struct vm *, int);
void		 member_free(struct member *);
void		 fleet_validate(struct ctx *, struct member *, size_t);

/* validate_nets.c */
#define NET_LABEL	"local.vmc.net."	/* then the network */
size_t		 nets_validate(struct ctx *, const struct member *, size_t,
		    struct netd **);
void		 nets_free(struct netd *, size_t);

/* validate_lan.c: the checks across the hosts of a fleet, in fleet.h */
struct lanhost;

/* qemu.c */
struct argv {
	char	**v;
	size_t	 n, cap;
	size_t	*group;		/* first argument of each output line */
	size_t	 ngroup, capgroup;
};
void		 qemu_argv(const struct vm *, struct argv *);
void		 argv_free(struct argv *);

/* emit_sh.c, emit_plist.c, emit_seed.c */
#define QUIT_WAIT	10	/* seconds for QEMU to quit before a kill */
#define STOP_MARGIN	30	/* ExitTimeOut less stop-timeout: covers the
				 * two QMP exchanges (2 s each), a second
				 * more in each wait, QUIT_WAIT, the kill,
				 * and a Mac slowed down by its shutdown */
#define CONFIG_LINE	"config="	/* then 16 hex digits: what the job runs */
void		 emit_sh(const struct vm *, struct buf *);
void		 emit_sh_config(struct buf *, uint64_t);
void		 emit_plist(const struct vm *, struct buf *);
void		 emit_net_plist(const struct netd *, struct buf *);
#define SEED_DIR	".cidata"	/* NAME.cidata: a VM's NoCloud seed */
#define SEED_FILES	4	/* meta-data, network-config, user-data, vendor-data */
extern const char *const seed_files[SEED_FILES + 1];
void		 emit_seed(const struct vm *, size_t file, struct buf *);

/* state.c */
#define STATE_FILE	".vmc-state"
uint64_t	 state_key(const struct host *, const char *rundir,
		    char *const *paths, size_t);
void		 state_begin(struct buf *, uint64_t key);
int		 state_look(struct buf *, const struct look *);
int		 state_file(struct buf *, const char *name, const struct stat *,
		    uint64_t hash);
void		 state_end(struct buf *, size_t);
int		 state_fresh(const char *dir, uint64_t key);

/* index.c: which files are whose, as built and as installed */
#define INDEX_FILE	".vmc-index"
#define VMC_DB		"/var/db/vmc"	/* what vmc install keeps */
#define MANIFEST	VMC_DB "/manifest"
#define MANIFEST_LOCK	VMC_DB "/lock"
enum { REC_INDEX, REC_MANIFEST };
struct recfile {
	char		*path;		/* index: in OUTDIR; manifest: absolute */
	int		 mode;
	uint64_t	 hash;
};
struct recvm {
	char		*name, *label, *user;
	struct recfile	*f;
	size_t		 nf;
	char		*dir;		/* manifest: the run-time directory */
	char		*run, *console;	/* what runs, the serial port */
	char		*log;
	int		 pending;	/* manifest: being put in place */
	char		*made;		/* index: where a root job's first
					 * start makes files */
	char		*exec[2];	/* index: what a root job runs */
	char		**reach;	/* "fwd ..." and "mac ..." lines */
	size_t		 nreach;
	struct link {
		char	*net;		/* the network */
		int	 restart;	/* QEMU does not reconnect */
	}		*links;		/* index: socket_vmnet's networks */
	size_t		 nlinks;
	char		**uses;		/* index: "r PATH" or "w PATH" */
	size_t		 nuses;
	int		 net;		/* a network's daemon, named
					 * NET_NAME "ID" */
	char		*group;		/* its socket's */
};
struct record {
	char		*rundir;	/* index only */
	char		*profiles;	/* which profiles, or NULL */
	struct recvm	*vm;
	size_t		 n, cap;
};
#define NET_NAME	"net:"	/* a network's name in a record */
void		 index_vm(struct buf *, const struct vm *);
void		 index_net(struct buf *, const struct netd *);
void		 index_file(struct buf *, const char *, int mode, uint64_t);
int		 record_read(struct ctx *, const char *, int kind,
		    struct record *);
void		 record_write(struct buf *, const struct record *);
struct recvm	*record_find(const struct record *, const char *name);
void		 recvm_addfile(struct recvm *, const char *, int, uint64_t);
struct recvm	*recvm_dup(const struct recvm *);
void		 recvm_free(struct recvm *);
void		 record_free(struct record *);

/* output.c */
struct output;
struct output	*output_open(struct ctx *, const char *dir, uint64_t key,
		    time_t start);
void		 output_profiles(struct output *, uint64_t);
void		 output_note(struct output *, const struct look *);
void		 output_vm(struct output *, const struct vm *);
void		 output_net(struct output *, const struct netd *);
int		 output_add(struct output *, const char *name,
		    const struct buf *, int mode);
void		 output_abort(struct output *);

/* commit.c: it shares output.h with the file before */
int		 output_commit(struct output *, int keepstate);

/* compile.c: the pipeline */
enum cmd { CMD_CHECK, CMD_SHOW, CMD_BUILD };
struct run {
	enum cmd	 cmd;
	const char	*hostfile;	/* NULL: probe this machine */
	const char	*outdir;	/* CMD_BUILD */
	const char	*rundir;	/* absolute */
	int		 rundir_given;	/* -p: check it on this machine */
	char *const	*args;		/* profiles and directories of them */
	size_t		 nargs;
	time_t		 start;
	/* Called with each valid VM, before it is emitted. */
	void		(*each)(const struct vm *, void *);
	void		*arg;
	struct lanhost	*lan;		/* -F: takes the VMs of the host */
};
int		 rundir_check(struct ctx *, struct loc, const char *);
struct vm	*vm_load(struct ctx *, const char *path, const struct run *);
int		 compile(struct ctx *, const struct run *);

/* compile_hosts.c: vmc check -F and build -F, in fleet.h */

/* What install, status and the verbs that operate VMs are told. */
struct install {
	const char	*root;		/* "" for / */
	const char	*launchctl;
	const char	*arp;		/* status: "arp -an" */
	int		 dryrun;	/* -n */
	int		 restart;	/* -r */
	int		 json;		/* status -j */
	int		 others;	/* install -x */
};

/* proc.c, launchd.c: other programs */
int		 run(char *const argv[], struct buf *out);
int		 run_lines(char *const [], void (*)(const char *, void *),
		    void *);
#define LAUNCHCTL	"/bin/launchctl"
int		 launchctl(struct ctx *, const char *prog, int ok, int ok2,
		    const char *verb, const char *, const char *, char **out);
int		 launchctl_bootout(struct ctx *, const char *prog,
		    const char *label);
void		 launchctl_report(struct ctx *, const char *prog,
		    const char *verb, const char *, const char *, char *msg,
		    int rc);
/* A job as launchctl list tells it. */
struct job {
	char		*label;
	long		 pid;		/* 0: not running */
	char		 status[16];	/* the last exit status, or "-" */
};
struct jobs {
	struct job	*v;
	size_t		 n;
};
int		 launchctl_list(struct ctx *, const char *prog, struct jobs *);
const struct job *jobs_find(const struct jobs *, const char *label);
void		 jobs_free(struct jobs *);

/* running.c: what a VM's script says runs */
struct running {
	char		*config;	/* the checksum of what runs */
	long long	 since;		/* when QEMU started */
	long		 pid;		/* QEMU's */
	char		*ended;		/* how QEMU ended, or NULL */
	int		 status;	/* its exit status, when ended */
	struct buf	 reach;		/* "fwd ..." and "mac ..." lines */
	int		 alive;		/* it runs */
	int		 stopped;	/* vmc stop stopped it */
};
int		 running_read(const struct install *, const struct recvm *,
		    struct running *);
void		 running_free(struct running *);
char		*installed_config(const struct install *,
		    const struct recvm *);
int		 running_pending(const struct install *, const struct recvm *,
		    const struct running *);
int		 running_stopped(const struct install *, const struct recvm *);

/* plan.c: the install plan; its functions, and the structures it
 * shares with vmc install, are in plan.h */

/* place.c: putting an install's files in place, in plan.h too */

/* install.c, status.c: make the system match a build, and report */
#define EXIT_REFUSED	EXIT_INVALID	/* 1: nothing was changed */
#define ARP		"/usr/sbin/arp"
int		 install_run(struct ctx *, const struct install *,
		    const char *outdir);
int		 uninstall_run(struct ctx *, const struct install *,
		    char **names, int);
char		*lease_addr(const char *, uint64_t);
int		 arp_line(const char *, uint64_t *, char *);
int		 status_run(struct ctx *, const struct install *,
		    char **names, int);

/* operate.c, console.c: the verbs that operate installed VMs */
enum verb { VERB_START, VERB_STOP, VERB_RESTART };
extern const char *const verb_names[];	/* by enum verb, then NULL */
int		 operate_run(struct ctx *, const struct install *, enum verb,
		    char **names, int);
int		 console_run(struct ctx *, const struct install *,
		    const char *name);

#endif
