#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vmc.h"
#include "plan.h"

/*
 * The plan of vmc install and uninstall, which changes nothing: which
 * VMs are new, changed, unchanged or gone, by the checksums of the
 * index and the manifest; whether every directory written to is safe
 * for what launchd runs as root; whether a file vmc did not install is
 * in the way.  It also takes the lock and reads the manifest.
 */

char *
full(const struct inst *in, const char *path)
{
	return xasprintf("%s%s", in->opt->root, path);
}

struct loc
at(struct inst *in, const char *path)
{
	return (struct loc){ intern(in->ctx, path), 0 };
}

/*
 * Whether someone other than root could change the directory st (as
 * lstat found it; a link is judged by its target).  A directory on
 * the way that others may write but that is sticky (as
 * /Users/Shared and /tmp) is safe: in it, only root can rename or
 * remove what root owns.  The last one is not, as others could make the
 * files root will make there.
 */
static int
unsafe(const struct stat *st, int last)
{
	return S_ISLNK(st->st_mode) ? 0 : !S_ISDIR(st->st_mode) ||
	    st->st_uid != 0 || ((st->st_mode & 022) != 0 &&
	    (last || (st->st_mode & S_ISVTX) == 0));
}

/*
 * The first directory that someone other than root could change, of all
 * those the kernel goes through to reach dir under ROOT: the directories
 * of dir as written, each directory a symbolic link on the way lives in
 * and every directory of the link's target; or NULL.  Under -R, a link
 * to an absolute path or through ".." could lead out of ROOT: it is
 * returned too, *link set.  Directories that do not exist yet are made
 * safe by install.
 */
static char *
unsafe_dir(const struct inst *in, const char *dir, int *link)
{
	struct stat	 st;
	struct buf	 cur = { NULL, 0, 0 };
	const char	*root = in->opt->root;
	char		*todo, *rest, *comp, *p, *bad = NULL, target[1024];
	ssize_t		 n;
	int		 hops = 0;

	*link = 0;
	buf_puts(&cur, root);
	/* Directories that do not exist yet, install makes safe. */
	if (lstat(root[0] == '\0' ? "/" : root, &st) == 0 && unsafe(&st, 0))
		bad = xstrdup(root[0] == '\0' ? "/" : root);
	todo = xstrdup(dir);
	for (rest = todo; bad == NULL && rest != NULL;) {
		comp = rest;
		if ((rest = strchr(rest, '/')) != NULL)
			*rest++ = '\0';
		if (*comp == '\0' || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			while (cur.len > strlen(root) && cur.p[cur.len - 1] != '/')
				cur.len--;
			if (cur.len > strlen(root))
				cur.len--;
			cur.p[cur.len] = '\0';
			continue;
		}
		buf_printf(&cur, "/%s", comp);
		if (lstat(cur.p, &st) == -1)
			break;
		if (unsafe(&st, rest == NULL || rest[strspn(rest, "/")] == '\0'))
			bad = xstrdup(cur.p);
		else if (S_ISLNK(st.st_mode)) {
			n = readlink(cur.p, target, sizeof(target) - 1);
			if (n <= 0 || ++hops > 40 || (root[0] != '\0' &&
			    (target[0] == '/' || strstr(target, "..") != NULL))) {
				*link = n > 0 && hops <= 40;
				bad = xstrdup(cur.p);
				break;
			}
			target[n] = '\0';
			cur.len = target[0] == '/' ? strlen(root) :
			    cur.len - strlen(comp) - 1;
			cur.p[cur.len] = '\0';
			/* The link's target, then what was left. */
			p = rest != NULL ? xasprintf("%s/%s", target, rest) :
			    xstrdup(target);
			free(todo);
			rest = todo = p;
		}
	}
	free(todo);
	buf_free(&cur);
	return bad;
}

void
check_dir(struct inst *in, const char *dir)
{
	char	*bad;
	int	 link;

	if ((bad = unsafe_dir(in, dir, &link)) == NULL)
		return;
	if (link)
		diag(in->ctx, at(in, bad), M(ROOT_LINK));
	else
		diag(in->ctx, at(in, bad), M(UNSAFE_DIR));
	free(bad);
}

/*
 * What a VM's job run as root writes in and runs: the directory of its
 * first start must be safe; a program someone else can replace is said.
 */
void
check_root_job(struct inst *in, const struct recvm *v)
{
	struct stat	 st;
	char		*f;
	size_t		 i;

	if (v->made != NULL)
		check_dir(in, v->made);
	for (i = 0; i < 2 && v->exec[i] != NULL; i++) {
		f = full(in, v->exec[i]);
		if (stat(f, &st) == 0 && (st.st_uid != 0 ||
		    (st.st_mode & 022) != 0))
			diag(in->ctx, at(in, f), M(ROOT_RUNS), v->name,
			    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		free(f);
	}
}

/* Makes the missing directories down to dir, owner root, mode 0755. */
void
mkdirs(struct inst *in, const char *dir)
{
	char	*p, save;
	size_t	 n;

	p = full(in, dir);
	for (n = strlen(in->opt->root); p[n] != '\0';) {
		n += 1 + strcspn(p + n + 1, "/");
		save = p[n];
		p[n] = '\0';
		if (mkdir(p, 0755) == 0) {
			if (in->asroot)
				chown(p, 0, 0);
			chmod(p, 0755);
		}
		p[n] = save;
	}
	free(p);
}

/*
 * 1 when path holds a regular file with these bytes (by checksum), this
 * mode and, as root, owner root and group 0; 0 when it holds something
 * else, -1 when there is nothing, -2 when it is not a regular file.
 * *found is the checksum of what it holds, or 0.
 */
static int
installed(const struct inst *in, const char *path, int mode, uint64_t hash,
    uint64_t *found)
{
	struct stat	 st;
	struct buf	 b = { NULL, 0, 0 };
	int		 same;

	*found = 0;
	if (lstat(path, &st) == -1)
		return errno == ENOENT ? -1 : -2;
	if (!S_ISREG(st.st_mode))
		return -2;
	if ((st.st_mode & 07777) != (mode_t)mode ||
	    (in->asroot && (st.st_uid != 0 || st.st_gid != 0)))
		return 0;
	if (path_read(AT_FDCWD, path, 1, MAX_FILE, &b, &st) == 0)
		*found = hash_buf(b.p, b.len);
	same = *found == hash;
	buf_free(&b);
	return same;
}

/*
 * Whether two installed paths name one file as the file system finds
 * them: the same path, or, where names differ only in case (the Mac's
 * case-insensitive APFS), the same file.
 */
int
same_file(const struct inst *in, const char *a, const char *b)
{
	struct stat	 sa, sb;
	char		*fa, *fb;
	int		 same;

	if (strcmp(a, b) == 0)
		return 1;
	if (strcasecmp(a, b) != 0)
		return 0;
	fa = full(in, a);
	fb = full(in, b);
	same = lstat(fa, &sa) == 0 && lstat(fb, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	free(fa);
	free(fb);
	return same;
}

/* The VM in the manifest that installed path, or NULL. */
static const struct recfile *
owner(const struct inst *in, const char *path)
{
	size_t	 i, j;

	for (i = 0; i < in->man.n; i++)
		for (j = 0; j < in->man.vm[i].nf; j++)
			if (same_file(in, in->man.vm[i].f[j].path, path))
				return &in->man.vm[i].f[j];
	return NULL;
}

static const struct recfile *
oldfile(const struct recvm *old, const char *path)
{
	size_t	 i;

	for (i = 0; old != NULL && i < old->nf; i++)
		if (strcmp(old->f[i].path, path) == 0)
			return &old->f[i];
	return NULL;
}

/* Checks that OUTDIR/name is what the build's index says it wrote. */
int
check_source(struct inst *in, const struct recfile *f, struct buf *b)
{
	struct stat	 st;
	char	*path;
	int	 rc = 0;

	path = path_join(in->outdir, f->path);
	if (path_read(AT_FDCWD, path, 1, MAX_FILE, b, &st) == -1) {
		diag(in->ctx, at(in, path), M(INDEX_READ),
		    errno == 0 ? "not a regular file" : strerror(errno));
		rc = -1;
	} else if (hash_buf(b->p, b->len) != f->hash) {
		diag(in->ctx, at(in, path), M(BUILD_CHANGED));
		rc = -1;
	}
	free(path);
	return rc;
}

/*
 * Whether the VM's job runs, as launchd says: one launchctl list for
 * the whole install, made when the first VM asks.  When launchctl
 * fails (said), the VM counts as running, as before vmc stop existed.
 */
int
runs(struct inst *in, const struct recvm *old)
{
	const struct job	*j;

	if (in->listed == 0)
		in->listed = launchctl_list(in->ctx, in->opt->launchctl,
		    &in->jobs) == 0 ? 1 : -1;
	if (in->listed == -1)
		return 1;
	return (j = jobs_find(&in->jobs, old->label)) != NULL && j->pid != 0;
}

/*
 * A network's socket is for one group: it must exist, and each VM on
 * the network not run as root must be in it, or QEMU cannot connect.
 */
static int
check_groups(struct inst *in, const struct recvm *v, const struct passwd *pw)
{
	const struct recvm	*net;
	struct group		*gr;
	char			*name;
	size_t			 i;
	int			 rc = 0;

	if (v->net && getgrnam(v->group) == NULL) {
		diag(in->ctx, at(in, in->outdir), M(NO_GROUP),
		    v->name + strlen(NET_NAME), v->group);
		return -1;
	}
	for (i = 0; pw != NULL && i < v->nlinks; i++) {
		name = xasprintf(NET_NAME "%s", v->links[i].net);
		net = record_find(&in->index, name);
		free(name);
		if (net == NULL || net->group == NULL ||
		    (gr = getgrnam(net->group)) == NULL)
			continue;
		if (!group_has(gr, v->user, pw->pw_gid)) {
			diag(in->ctx, at(in, in->outdir), M(NOT_IN_GROUP),
			    v->name, v->user, net->group,
			    net->name + strlen(NET_NAME));
			rc = -1;
		}
	}
	return rc;
}

/* What QEMU run as the VM's user opens: said when it could not. */
static void
check_uses(struct inst *in, const struct recvm *v, const struct passwd *pw)
{
	struct stat	 st;
	char		*f;
	size_t		 i;
	int		 w;

	for (i = 0; i < v->nuses; i++) {
		w = v->uses[i][0] == 'w';
		f = full(in, v->uses[i] + 2);
		/* What is not there yet, the first start makes. */
		if (stat(f, &st) == 0 && path_refuses(&st, pw->pw_uid,
		    pw->pw_gid, w ? 06 : 04))
			diag(in->ctx, at(in, f), M(USES), v->name, v->user,
			    w ? "write" : "read");
		free(f);
	}
}

int
plan_vm(struct inst *in, struct plan *p)
{
	const struct recvm	*v = p->new, *old = p->old;

	const struct recfile	*was;
	struct dest		*d;
	struct passwd		*pw;
	struct stat		 st;
	struct buf		 b = { NULL, 0, 0 };
	char			*plist, *dirfull;
	size_t			 i, j;
	struct running		 r;
	int			 rc = 0, m, reload = 0, restart = 0, has_run;
	int			 seed = 0;
	uint64_t		 found;

	plist = xasprintf("%s.plist", v->label);
	p->d = xcalloc(v->nf, sizeof(*p->d));
	for (i = 0; i < v->nf; i++) {
		d = &p->d[p->nd++];
		d->src = &v->f[i];
		d->plist = strcmp(v->f[i].path, plist) == 0;
		if (d->plist)
			d->path = xasprintf(LAUNCHDAEMONS "/%s", plist);
		else
			d->path = path_join(in->index.rundir, v->f[i].path);
		d->full = full(in, d->path);
		if (check_source(in, d->src, &b) == -1) {
			rc = -1;
			continue;
		}
		m = installed(in, d->full, d->src->mode, d->src->hash, &found);
		if (m == -2 || (m == 0 && owner(in, d->path) == NULL)) {
			diag(in->ctx, at(in, d->full), M(IN_THE_WAY), v->name);
			rc = -1;
		}
		d->write = m != 1;
		was = oldfile(old, d->path);
		/* Neither what vmc put there nor what it puts now. */
		if (m == 0 && was != NULL && found != 0 && found != was->hash)
			diag(in->ctx, at(in, d->full), M(EDITED), v->name);
		if (d->write || was == NULL || was->hash != d->src->hash) {
			if (d->plist)
				reload = 1;
			else
				restart = 1;
		}
		if (d->write && strstr(d->path, SEED_DIR "/") != NULL)
			seed = 1;
	}
	buf_free(&b);
	for (i = 0; i < p->nd && !p->d[i].plist; i++)
		continue;
	if (i == p->nd) {
		diag(in->ctx, at(in, in->outdir), M(INDEX_INCOMPLETE), plist,
		    v->name);
		rc = -1;
	}
	free(plist);
	if (strcmp(v->user, "root") != 0) {
		/* The graceful stop's control socket lives in here. */
		p->dir = xasprintf("%s/%s", in->index.rundir, v->name);
		if ((pw = getpwnam(v->user)) == NULL) {
			diag(in->ctx, at(in, in->outdir), M(NO_USER), v->name,
			    v->user);
			rc = -1;
		} else {
			p->uid = pw->pw_uid;
			p->gid = pw->pw_gid;
			if (check_groups(in, v, pw) == -1)
				rc = -1;
			check_uses(in, v, pw);
		}
		dirfull = full(in, p->dir);
		if (lstat(dirfull, &st) == -1)
			p->fixdir = 1;
		else if (!S_ISDIR(st.st_mode)) {
			diag(in->ctx, at(in, dirfull), M(IN_THE_WAY_DIR),
			    v->name);
			rc = -1;
		} else if ((in->asroot && (st.st_uid != p->uid ||
		    st.st_gid != p->gid)) || (st.st_mode & 07777) != 0700)
			p->fixdir = 1;
		free(dirfull);
		if (p->fixdir || old == NULL || old->dir == NULL ||
		    strcmp(old->dir, p->dir) != 0)
			restart = 1;
	} else if (old != NULL && old->dir != NULL)
		restart = 1;
	if (v->net && check_groups(in, v, NULL) == -1)
		rc = -1;
	/* Files the old version had and this one has not. */
	for (i = 0; old != NULL && i < old->nf; i++) {
		for (j = 0; j < p->nd; j++)
			if (strcmp(old->f[i].path, p->d[j].path) == 0)
				break;
		if (j == p->nd && path_has_suffix(old->f[i].path, ".plist"))
			reload = 1;
		else if (j == p->nd)
			restart = 1;
	}
	/* A VM an install was putting in place when it was killed. */
	if (old != NULL && (old->pending || strcmp(old->label, v->label) != 0 ||
	    strcmp(old->user, v->user) != 0))
		reload = 1;
	/* What the VM runs, as its run record says (running.c): one read. */
	has_run = old != NULL && running_read(in->opt, old, &r) == 0;
	if (old == NULL)
		p->status = ST_ADDED;
	else if ((reload || restart) && has_run && r.stopped &&
	    !runs(in, old)) {
		/* vmc stop's VM stays stopped: the files go in place, and a
		 * job launchd holds goes, to load the new plist on start. */
		p->status = ST_STOPPED;
		p->reload = reload;
	} else if (reload)
		p->status = ST_CHANGED;
	else if (restart || (has_run && running_pending(in->opt, old, &r)))
		p->status = in->opt->restart ? ST_RESTARTED : ST_PENDING;
	else
		p->status = ST_UNCHANGED;
	/*
	 * QEMU's vvfat reads the seed's files as they change, with the old
	 * sizes: a guest would read torn files, and provision itself anew
	 * at its next boot.  A running VM is stopped before its seed is.
	 */
	if (p->status == ST_PENDING && seed && runs(in, old)) {
		p->status = ST_RESTARTED;
		diag(in->ctx, at(in, in->outdir), M(SEED_RESTART), v->name);
	}
	p->running = (p->status == ST_CHANGED || p->status == ST_RESTARTED) &&
	    runs(in, old);
	if (has_run)
		running_free(&r);
	return rc;
}

/*
 * VMs removed first, so that their files and labels are free; then
 * the networks' daemons, up before the VMs on them; then the VMs; the
 * daemons of networks no VM reaches any more last.
 */
static int
rank(const struct plan *p)
{
	int	 net = (p->new != NULL ? p->new : p->old)->net;

	if (p->status == ST_REMOVED)
		return net ? 3 : 0;
	return net ? 1 : 2;
}

int
cmp_plan(const void *a, const void *b)
{
	const struct plan	*x = a, *y = b;
	const char		*nx, *ny;

	if (rank(x) != rank(y))
		return rank(x) < rank(y) ? -1 : 1;
	nx = x->new != NULL ? x->new->name : x->old->name;
	ny = y->new != NULL ? y->new->name : y->old->name;
	return strcmp(nx, ny);
}

int
cmp_recvm(const void *a, const void *b)
{
	return strcmp(((const struct recvm *)a)->name,
	    ((const struct recvm *)b)->name);
}

struct plan *
add_plan(struct inst *in)
{
	in->p = xreallocarray(in->p, in->np + 1, sizeof(*in->p));
	memset(&in->p[in->np], 0, sizeof(*in->p));
	return &in->p[in->np++];
}

void
plan_free(struct plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nd; i++) {
		free(p->d[i].path);
		free(p->d[i].full);
		free(p->d[i].tmp);
	}
	free(p->d);
	free(p->dir);
	if (p->old != NULL)
		recvm_free(p->old);
	free(p->old);
}

int
need_root(struct inst *in, const char *cmd)
{
	struct stat	 st;

	if (*in->opt->root != '\0' && (stat(in->opt->root, &st) == -1 ||
	    !S_ISDIR(st.st_mode))) {
		diag(in->ctx, at(in, in->opt->root), M(NOT_DIR));
		return -1;
	}
	if (in->opt->dryrun || *in->opt->root != '\0' || in->asroot)
		return 0;
	diag(in->ctx, (struct loc){ NULL, 0 }, M(NOT_ROOT), cmd, cmd);
	return -1;
}

/*
 * Reads the manifest; unless -n, first takes the lock beside it, held
 * to the end of the run.  Two runs at once would each plan from the
 * manifest as they found it, and the later would not know of what the
 * earlier installed; so the second waits, then reads what the first
 * left.
 */
int
read_manifest(struct inst *in)
{
	char	*path;

	if (!in->opt->dryrun) {
		check_dir(in, VMC_DB);
		if (in->ctx->errors > 0)
			return -1;
		mkdirs(in, VMC_DB);
		path = full(in, MANIFEST_LOCK);
		if ((in->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600)) == -1 || flock(in->lockfd, LOCK_EX) == -1)
			diag(in->ctx, at(in, path), M(LOCK), strerror(errno));
		free(path);
		if (in->ctx->errors > 0)
			return -1;
	}
	in->manpath = full(in, MANIFEST);
	return record_read(in->ctx, in->manpath, REC_MANIFEST, &in->man) ==
	    -2 ? -1 : 0;
}
