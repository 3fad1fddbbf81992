/*
 * What vmc install's parts share: plan.c decides, from the index and
 * the manifest, what each VM needs and whether it is safe; install.c
 * does it, one VM at a time, with place.c putting files in place.
 */
#ifndef PLAN_H
#define PLAN_H

#define LAUNCHDAEMONS	"/Library/LaunchDaemons"

enum status {
	ST_UNCHANGED, ST_ADDED, ST_CHANGED, ST_RESTARTED, ST_PENDING,
	ST_STOPPED, ST_REMOVED
};

/* A file to put in place. */
struct dest {
	const struct recfile *src;	/* in the index */
	char		*path;		/* on the target */
	char		*full;		/* with ROOT */
	char		*tmp;		/* written, not yet renamed */
	int		 write;		/* bytes, mode or owner differ */
	int		 plist;
};

struct plan {
	const struct recvm *new;	/* in the index, or NULL */
	struct recvm	*old;		/* a copy of the manifest's, or NULL */
	enum status	 status;
	struct dest	*d;
	size_t		 nd;
	char		*dir;		/* run-time directory, or NULL */
	uid_t		 uid;
	gid_t		 gid;
	int		 fixdir;	/* create it, or set owner and mode */
	int		 reload;	/* ST_STOPPED: the plist changed */
	int		 running;	/* ST_CHANGED, ST_RESTARTED: the job
					 * ran, and is to run after */
};

struct inst {
	struct ctx	*ctx;
	const struct install *opt;
	const char	*outdir;
	struct record	 index;
	struct record	 man;
	char		*manpath;	/* with ROOT */
	struct plan	*p;
	size_t		 np;
	int		 asroot;
	int		 lockfd;	/* held for the run, or -1 */
	struct jobs	 jobs;		/* launchctl list, when listed is 1 */
	int		 listed;	/* 0 not yet, -1 failed */
};

/* plan.c */
char		*full(const struct inst *, const char *);
struct loc	 at(struct inst *, const char *);
void		 check_dir(struct inst *, const char *);
int		 same_file(const struct inst *, const char *, const char *);
void		 check_root_job(struct inst *, const struct recvm *);
void		 mkdirs(struct inst *, const char *);
int		 check_source(struct inst *, const struct recfile *,
		    struct buf *);
int		 runs(struct inst *, const struct recvm *);
int		 plan_vm(struct inst *, struct plan *);
int		 cmp_plan(const void *, const void *);
int		 cmp_recvm(const void *, const void *);
struct plan	*add_plan(struct inst *);
void		 plan_free(struct plan *);
int		 need_root(struct inst *, const char *);
int		 read_manifest(struct inst *);

/* place.c */
int		 stage(struct inst *, struct dest *);
void		 unstage(struct plan *);
int		 sync_files(struct inst *, const struct recfile *, size_t);
int		 sync_staged(struct inst *, const struct plan *);
int		 remove_file(struct inst *, const char *);
void		 remove_subdir(struct inst *, const struct recvm *,
		    const char *);
void		 remove_dir(struct inst *, const char *);
void		 remove_stales(struct inst *);
void		 record_vm(struct inst *, const struct plan *, int);
void		 unrecord_vm(struct inst *, const char *);
int		 write_manifest(struct inst *);

#endif
