#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc.h"

/*
 * Every look a build takes at the file system and the user database,
 * each recorded as it is taken: what was asked (a kind and a path or
 * name) and what was found, as a short fingerprint.  The state keeps
 * the list (state.c); the next build takes each look again and is a
 * no-op only when every one finds the same.  The same function makes
 * a fingerprint the first time and the second, so the two cannot
 * disagree on what counts.
 *
 *	s	stat(2), following links: device, inode, size, times,
 *		mode and owner, or the errno; a file read is recorded
 *		from the fstat of its open descriptor, which is the same
 *	p	path_resolve of an absolute path: a hash of the result
 *	u	getpwnam(3) of a user name: uid and gid, or none
 *	g	getgrnam(3) of "GROUP USER": the group's gid and whether
 *		the user is in it (its primary group, or a member), or none
 */

static time_t
stat_fp(const struct stat *st, char fp[LOOK_FP])
{
	snprintf(fp, LOOK_FP, "%jx:%jx:%jx:%jx:%jx:%o:%ju:%ju",
	    (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
	    (uintmax_t)st->st_size, (uintmax_t)st->st_mtime,
	    (uintmax_t)st->st_ctime, (unsigned)st->st_mode,
	    (uintmax_t)st->st_uid, (uintmax_t)st->st_gid);
	return st->st_mtime > st->st_ctime ? st->st_mtime : st->st_ctime;
}

static void
err_fp(int error, char fp[LOOK_FP])
{
	snprintf(fp, LOOK_FP, "!%d", error);
}

/* path_resolve of an absolute path; NULL with errno set. */
static char *
path_fp(const char *full, char fp[LOOK_FP], struct pathcache *c)
{
	char	*p;
	int	 error;

	if ((p = path_resolve("/", full, c)) == NULL) {
		error = errno;
		err_fp(error, fp);
		errno = error;
	} else
		snprintf(fp, LOOK_FP, "=%016" PRIx64, hash_buf(p, strlen(p)));
	return p;
}

static struct passwd *
user_fp(const char *name, char fp[LOOK_FP])
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		err_fp(errno == 0 ? ENOENT : errno, fp);
	else
		snprintf(fp, LOOK_FP, "%ju:%ju", (uintmax_t)pw->pw_uid,
		    (uintmax_t)pw->pw_gid);
	return pw;
}

/*
 * Whether a user, whose primary group is gid, is in the group: it is
 * its primary group, or its member list names the user.
 */
int
group_has(const struct group *gr, const char *user, gid_t gid)
{
	char	**m;

	if (gr->gr_gid == gid)
		return 1;
	for (m = gr->gr_mem; *m != NULL; m++)
		if (strcmp(*m, user) == 0)
			return 1;
	return 0;
}

/* -1: no such group, 0: the user is not in it, 1: it is. */
static int
group_fp(const char *arg, char fp[LOOK_FP])
{
	struct passwd	*pw;
	struct group	*gr;
	char		*group, *user;
	int		 in;

	group = xstrdup(arg);
	if ((user = strchr(group, ' ')) != NULL)
		*user++ = '\0';
	errno = 0;
	if (user == NULL || (gr = getgrnam(group)) == NULL) {
		err_fp(errno == 0 ? ENOENT : errno, fp);
		free(group);
		return -1;
	}
	in = group_has(gr, user, (pw = getpwnam(user)) != NULL ? pw->pw_gid :
	    (gid_t)-1);
	snprintf(fp, LOOK_FP, "%ju:%d", (uintmax_t)gr->gr_gid, in);
	free(group);
	return in;
}

/*
 * Takes the look of kind at arg and writes what it finds into fp; for
 * a stat, returns the file's latest time, else 0.
 */
static time_t
look_take(int kind, const char *arg, char fp[LOOK_FP],
    struct pathcache *c)
{
	struct stat	 st;

	switch (kind) {
	case LOOK_STAT:
		if (stat(arg, &st) == 0)
			return stat_fp(&st, fp);
		err_fp(errno, fp);
		return 0;
	case LOOK_PATH:
		free(path_fp(arg, fp, c));
		return 0;
	case LOOK_USER:
		user_fp(arg, fp);
		return 0;
	case LOOK_GROUP:
		group_fp(arg, fp);
		return 0;
	}
	err_fp(EINVAL, fp);
	return 0;
}

static void
add(struct looks *l, int kind, const char *arg, const char *fp, time_t t)
{
	struct look	*k;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	k = &l->v[l->n++];
	k->kind = kind;
	k->path = xstrdup(arg);
	strlcpy(k->fp, fp, sizeof(k->fp));
	k->t = t;
}

/* A file read: recorded from the status of its open descriptor. */
void
look_file(struct looks *l, const char *path, const struct stat *st)
{
	char	 fp[LOOK_FP];
	time_t	 t;

	t = stat_fp(st, fp);
	add(l, LOOK_STAT, path, fp, t);
}

/* stat(2) of path, recorded; 0, or -1 with errno set. */
int
look_stat(struct looks *l, const char *path, struct stat *st)
{
	char	 fp[LOOK_FP];
	int	 error;

	if (stat(path, st) == 0) {
		look_file(l, path, st);
		return 0;
	}
	error = errno;
	err_fp(error, fp);
	add(l, LOOK_STAT, path, fp, 0);
	errno = error;
	return -1;
}

/* path_resolve of path relative to dir, recorded; NULL with errno. */
char *
look_path(struct looks *l, const char *dir, const char *path,
    struct pathcache *c)
{
	char	 fp[LOOK_FP];
	char	*full, *p;
	int	 error;

	full = path_join(dir, path);
	p = path_fp(full, fp, c);
	error = errno;
	add(l, LOOK_PATH, full, fp, 0);
	free(full);
	errno = error;
	return p;
}

/* The user called name, recorded; 0, or -1 when there is none. */
int
look_user(struct looks *l, const char *name, uid_t *uid, gid_t *gid)
{
	char	 fp[LOOK_FP];
	struct passwd	*pw;

	pw = user_fp(name, fp);
	add(l, LOOK_USER, name, fp, 0);
	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/*
 * Whether user is in group, recorded: -1 when there is no such group,
 * 0 when the user is not in it, 1 when it is.
 */
int
look_group(struct looks *l, const char *group, const char *user)
{
	char	 fp[LOOK_FP], *arg;
	int	 in;

	arg = xasprintf("%s %s", group, user);
	in = group_fp(arg, fp);
	add(l, LOOK_GROUP, arg, fp, 0);
	free(arg);
	return in;
}

/* 1 when the look finds now what it found when recorded. */
int
look_same(int kind, const char *arg, const char *fp, struct pathcache *c)
{
	char	 now[LOOK_FP];

	look_take(kind, arg, now, c);
	return strcmp(now, fp) == 0;
}

void
looks_free(struct looks *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
