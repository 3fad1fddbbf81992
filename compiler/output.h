/*
 * What output.c, which writes a build's files to temporary ones, shares
 * with commit.c, which puts them in place all or nothing.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

struct pending {
	char	*name;		/* in the output directory */
	char	*tmp;		/* new contents */
	char	*old;		/* hard link to the replaced file, or NULL */
	int	 done;		/* renamed into place, or removed */
	int	 remove;	/* a file of a VM that is gone */
	uint64_t hash;		/* of its contents, for the state once it
				 * is in place; 0: none */
};

struct output {
	struct ctx	*ctx;
	char		*dir;
	int		 dfd;
	int		 empty;		/* held nothing when opened */
	int		 created;	/* by this build */
	char		*stage;		/* the staging directory, or NULL */
	int		 sfd;
	int		 clash;		/* two files of one name were staged */
	size_t		 seq;		/* names temporary files */
	struct pending	*p;		/* the changed files */
	size_t		 n, cap;
	char		**dirs;		/* made in the output directory */
	size_t		 ndirs;
	/* The build's state (state.c), written as it grows. */
	uint64_t	 key;		/* 0: none kept */
	uint64_t	 profiles;	/* which profiles, for the index */
	time_t		 start;		/* of the build */
	struct buf	 state;
	size_t		 nstate;	/* files in it */
	int		 statefd;
	char		*statetmp;	/* its name in out_wdir() */
	int		 nostate;	/* it cannot be kept */
	struct timespec	 newest;	/* the latest ctime of an output in
					 * it */
	/* The index (index.c): this build's, written to its temporary
	 * file (indexfd, -2 after a failure) as it grows, and the last
	 * one's. */
	struct buf	 index;		/* not yet written */
	int		 indexfd;
	char		*indextmp;	/* its name in out_wdir() */
	uint64_t	 indexhash;	/* of what was written */
	size_t		 indexlen;
	size_t		 nvm;
	char		**names;	/* every file of this build */
	size_t		 nnames, capnames;
	struct record	 old;
};

#define INDEX_CHUNK	(64 * 1024)	/* the index is written by this */

/* output.c */
void		 out_fail(struct ctx *, const char *dir, const char *name,
		    const char *what);
int		 out_wdir(const struct output *);
int		 out_write_all(int, const char *, size_t);
int		 out_sync_dir(struct output *, int, const char *);
int		 out_state_flush(struct output *);
void		 out_add_pending(struct output *, const char *, char *tmp);
void		 out_remove_stage(const char *, int);
void		 output_free(struct output *);
void		 out_roll_back(int, struct pending *, size_t);
void		 out_drop_state(struct output *);
int		 out_add_file(struct output *, const char *,
		    const struct buf *, int mode, uint64_t hash);
void		 out_note(struct output *, const char *, const struct stat *,
		    uint64_t hash);
int		 out_create(struct output *, const char *, int mode, char **);
int		 out_final_mode(struct output *, int fd, const char *, int mode,
		    struct stat *);
int		 out_sync_file(struct output *, int fd, const char *);
int		 out_index_flush(struct output *);

#endif
