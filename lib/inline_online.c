// SPDX-License-Identifier: GPL-2.0
/*
 * Inline-data inodes of a mounted filesystem: a parallel walk (lib/walk.c)
 * with openat() and fstatat() that never follows a symlink and never
 * leaves the filesystem it started on, the kernel's FS_IOC_GETFLAGS for
 * each regular file and directory, and the kernel's own conversion of
 * regular files through fallocate().  Directories cannot be converted
 * while mounted.  Each worker keeps what it finds; the set gets it
 * sorted when the walk is done, an inode reached by several names with
 * the smallest of them (strcmp), whichever worker got there first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "e4/array.h"
#include "e4/walk.h"
#include "inline_priv.h"

/* i_block: a symlink this long or longer is a slow one, maybe inline. */
#define FAST_SYMLINK_MAX 59

struct worker;

struct walk {
	struct e4_inline_set *set;
	unsigned int flags;
	const struct e4_job *job;
	dev_t dev;
	uint64_t total;		/* inodes in use on the fs, for progress */
	uint64_t converted;	/* files converted so far (atomic) */
	const char *top;	/* the path walked, resolved */
	pthread_mutex_t lock;	/* set->seen while converting */
	pthread_mutex_t progress;
	struct worker *workers;
	unsigned int nworkers;
};

static int get_flags(int fd, unsigned int *flags)
{
	int f = 0;

	/* The kernel reads and writes an int, whatever the ioctl says. */
	if (ioctl(fd, FS_IOC_GETFLAGS, &f))
		return -errno;
	*flags = (unsigned int)f;
	return 0;
}

static void failed(struct e4_inline_ent *e, int code, const char *why)
{
	e->status = E4_INLINE_FAILED;
	e->error = code;
	e->why = why;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Larger than any inline data (an inode is at most 64 KiB). */
#define INLINE_READ_MAX 65536

/* All of fd's size bytes into buf (one byte more must not come). */
static int read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got <= size) {
		n = pread(fd, buf + got, size + 1 - got, got);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	return got == size ? 0 : -EIO;
}

/*
 * The write lease on fd; true when held.  Another worker of this walk may
 * have the same inode open for a moment under another of its names (to
 * read its flags): with more than one link, a refused lease is asked for
 * again, waiting 50 us doubling up to 25.6 ms (about 200 ms in all, time
 * for a worker preempted on a busy machine), before the file is taken to
 * be open elsewhere.  (The other way round, that worker's open finds the
 * lease: see leased_name.)
 */
static bool take_lease(int fd, nlink_t nlink)
{
	struct timespec wait = { 0, 50000 };
	int tries = nlink > 1 ? 17 : 1;

	while (tries--) {
		if (!fcntl(fd, F_SETLEASE, F_WRLCK))
			return true;
		if (errno != EAGAIN || !tries)
			break;
		nanosleep(&wait, NULL);
		if (wait.tv_nsec < 25600000)
			wait.tv_nsec *= 2;
	}
	return false;
}

/*
 * ext4_fallocate() converts inline data before it looks at the mode or
 * the range.  KEEP_SIZE over the first byte then finds that byte already
 * in the new block (or, for an empty file, preallocates one block past
 * the end), so size and contents stay as they were.
 *
 * But the kernel writes the new block through the journal, as metadata
 * (ext4_convert_inline_data_nolock): until the journal is checkpointed,
 * the block on disk is what it was before.  The file's page cache still
 * has the data if it was cached; if not, or once it is evicted, a read
 * goes to the disk and returns that old block, zeros mostly (seen on 6.18
 * with posix_fadvise(DONTNEED) after the fallocate, every time; sync makes
 * it right; not seen on 6.1 or 6.12, where the same check reads right).
 * So the data is read just before (which also caches it, from the inode)
 * and read back after; a difference means the cache was lost and holds
 * the stale block now: syncfs writes the new block in place, DONTNEED
 * drops the stale page, and the third read must match.  The walk ends
 * with a syncfs, so that the window closes with the run.
 *
 * fallocate also counts as a modification: since Linux 5.18 ext4's
 * fallocate calls file_modified(), which sets mtime and ctime to now,
 * KEEP_SIZE or not (seen on 6.1, 6.12 and 6.18: so dropping the restore is
 * no option).  Putting the
 * old mtime back is right only if nobody else wrote in the meantime, and
 * mtime cannot tell: a write just before fallocate ends up with
 * fallocate's time anyway, one just after our fstat would be undone by
 * futimens.  A write lease can tell: the kernel grants F_WRLCK only while
 * no other open file refers to the inode (every writer has one, a shared
 * mmap too), and while it is held anyone else's open() or truncate()
 * waits for its release.  So, under the lease: fstat, read, fallocate,
 * fstat, and futimens only if fallocate moved mtime (atime too, if the
 * read could not be O_NOATIME).  Without the lease (the file is open
 * elsewhere, or leases are off) the kernel's mtime stays, and the entry
 * says so.  Anyone else's open breaking the lease sends us SIGIO, whose
 * default would kill us: the walk ignores it while it converts (the
 * kernel makes us the lease's signal owner the moment it grants it, so
 * F_SETOWN afterwards would leave a window); the opener waits the few
 * microseconds until F_UNLCK.  Only utimensat() by path is not held
 * off by the lease: setting a file's times by hand during its conversion
 * is a race we accept.
 */
static void convert_file(struct walk *w, int dfd, const char *name,
			 const struct stat *st, struct e4_inline_ent *e)
{
	const int oflags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct timespec times[2];
	struct stat now, after;
	char *data = NULL, *back = NULL;
	bool leased, noatime = true, check;
	unsigned int fl = 0;
	size_t size = 0;
	int fd, rc;

	fd = openat(dfd, name, oflags | O_NOATIME);
	if (fd < 0 && errno == EPERM) {
		/* O_NOATIME is for the owner (or CAP_FOWNER) only. */
		noatime = false;
		fd = openat(dfd, name, oflags);
	}
	if (fd < 0)
		return failed(e, -errno, "while opening it for writing");
	leased = take_lease(fd, st->st_nlink);
	if (fstat(fd, &now)) {
		failed(e, -errno, "while opening it for writing");
		goto out_close;
	}
	if (now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		failed(e, -ESTALE, "replaced while being converted");
		goto out_close;
	}
	check = now.st_size >= 0 && now.st_size < INLINE_READ_MAX;
	if (check) {
		size = now.st_size;
		data = malloc(size + 1);
		back = malloc(size + 1);
		if (!data || !back) {
			failed(e, -ENOMEM, "while reading it");
			goto out_close;
		}
		rc = read_all(fd, data, size);
		if (rc) {
			failed(e, rc, "while reading it");
			goto out_close;
		}
	}
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1)) {
		failed(e, -errno, "fallocate");
		goto out_close;
	}
	if (fstat(fd, &after)) {
		failed(e, -errno, "converted?  while looking at it again");
		goto out_close;
	}
	if (!leased && !same_time(&after.st_mtim, &now.st_mtim)) {
		e->why = "mtime is the kernel's: the file is open elsewhere";
	} else if (leased && (!same_time(&after.st_mtim, &now.st_mtim) ||
			      (!noatime && !same_time(&after.st_atim, &now.st_atim)))) {
		times[0] = now.st_atim;
		if (noatime) {
			times[0].tv_sec = 0;
			times[0].tv_nsec = UTIME_OMIT;
		}
		times[1] = now.st_mtim;
		if (futimens(fd, times)) {
			failed(e, -errno, "converted, but while restoring mtime");
			goto out_close;
		}
	}
	rc = get_flags(fd, &fl);
	if (rc) {
		failed(e, rc, "converted?  while reading the flags back");
		goto out_close;
	}
	if (fl & E4_INLINE_DATA_FL) {
		failed(e, -EOPNOTSUPP, "fallocate left the inline data in place");
		goto out_close;
	}
	if (check && (read_all(fd, back, size) || memcmp(back, data, size))) {
		/* The stale block was read: put the new one in its place. */
		if (syncfs(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)) {
			failed(e, -errno, "converted, read back different, and while writing it out");
			goto out_close;
		}
		if (read_all(fd, back, size) || memcmp(back, data, size)) {
			if (leased) {
				failed(e, -EIO, "converted, but it reads back different");
				goto out_close;
			}
			e->why = "converted; reads back different: the file is open elsewhere, maybe written meanwhile";
		}
	}
	e->status = E4_INLINE_CONVERTED;
	__atomic_add_fetch(&w->converted, 1, __ATOMIC_RELAXED);
out_close:
	if (leased)
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	free(data);
	free(back);
}

/* What one worker found, merged into the set when the walk is done. */
struct item {
	struct e4_inline_ent e;
	bool alias;		/* only a name of an inode converted elsewhere */
	bool claimed;		/* converting: its inode is in set->seen */
};

struct worker {
	struct item *items;
	size_t n, cap;
	uint64_t scanned, unchecked, unreadable;
} __attribute__((aligned(64)));	/* no false sharing of the counters */

/* Where an entry is: the walk's entry, or (NULL) the top itself. */
static char *path_of(const struct walk *w, const struct e4_walk_ent *we)
{
	return we ? e4_walk_path(we) : strdup(w->top);
}

/* -errno with "PATH: why", or "PATH: strerror" when why is NULL. */
static int fail_at(const struct walk *w, const struct e4_walk_ent *we,
		   struct e4_err *err, int rc, const char *why)
{
	char *path = path_of(w, we);
	const char *p = path ? path : we ? we->name : w->top;

	if (why)
		e4_err_set(err, rc, "%s: %s", p, why);
	else
		e4_err_sys(err, rc, "%s", p);
	free(path);
	return rc;
}

/* The path given is not on the filesystem being walked. */
static int other_fs(const struct walk *w, const struct stat *st,
		    struct e4_err *err)
{
	return e4_err_set(err, -EXDEV,
			  "%s: not on the filesystem being walked (device %u:%u, not %u:%u)",
			  w->top, major(st->st_dev), minor(st->st_dev),
			  major(w->dev), minor(w->dev));
}

static void count_scanned(struct walk *w, struct worker *k)
{
	uint64_t n = k->scanned + 1;
	unsigned int i;

	/* Only this worker writes it, but the one drawing reads it. */
	__atomic_store_n(&k->scanned, n, __ATOMIC_RELAXED);
	if (n & 1023 || !w->job || !w->job->progress)
		return;
	n = 0;
	/* One worker draws at a time; the others do not wait for it. */
	if (pthread_mutex_trylock(&w->progress))
		return;
	for (i = 0; i < w->nworkers; i++)
		n += __atomic_load_n(&w->workers[i].scanned, __ATOMIC_RELAXED);
	e4_job_progress(w->job, w->set->scanned + n, w->total);
	pthread_mutex_unlock(&w->progress);
}

/* Keep it (its path is the worker's now); NULL on ENOMEM. */
static struct item *keep(struct worker *k, const struct item *it)
{
	if (e4_array_room(&k->items, k->n, &k->cap, sizeof(*k->items), 256))
		return NULL;
	k->items[k->n] = *it;
	return &k->items[k->n++];
}

static bool converting(const struct walk *w, const struct stat *st)
{
	return S_ISREG(st->st_mode) && (w->flags & E4_INLINE_CONVERT) &&
	       !(w->flags & E4_INLINE_DRY_RUN);
}

/* Converting: 1 if ino is this worker's to convert, 0 if not, -ENOMEM. */
static int claim(struct walk *w, uint64_t ino)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	rc = e4_inline_seen_add(w->set, ino);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

/*
 * An inline file (st; ferr: its flags could not be read) with its status,
 * kept by worker k; converted first when that is asked for and the inode
 * is not another worker's.  -errno only when the walk must stop.
 */
static int found(struct walk *w, struct worker *k,
		 const struct e4_walk_ent *we, int dfd, const char *name,
		 int fd, const struct stat *st, int ferr, struct e4_err *err)
{
	struct item it = {
		.e = { .ino = st->st_ino, .mode = st->st_mode,
		       .links = st->st_nlink, .size = st->st_size },
	};
	int rc;

	if (ferr) {
		failed(&it.e, ferr, "while reading its flags");
	} else if (!(w->flags & (E4_INLINE_CONVERT | E4_INLINE_DRY_RUN))) {
		it.e.status = E4_INLINE_FOUND;
	} else if (S_ISDIR(st->st_mode)) {
		it.e.status = E4_INLINE_SKIPPED;
		it.e.why = "a directory: needs the filesystem unmounted";
	} else if (w->flags & E4_INLINE_DRY_RUN) {
		/* Nothing is opened for writing: a read-only mount is fine. */
		it.e.status = E4_INLINE_WOULD_CONVERT;
	} else {
		rc = claim(w, st->st_ino);
		if (rc < 0)
			return fail_at(w, we, err, rc, NULL);
		it.alias = !rc;
		it.claimed = rc;
	}
	it.e.path = path_of(w, we);
	if (!it.e.path)
		return fail_at(w, we, err, -ENOMEM, NULL);
	if (it.claimed) {
		/* Ours must be the only open file for the write lease. */
		close(fd);
		convert_file(w, dfd, name, st, &it.e);
	}
	if (!keep(k, &it)) {
		free(it.e.path);
		return fail_at(w, we, err, -ENOMEM, NULL);
	}
	return it.claimed;
}

/*
 * Converting, a file with other links that is no longer inline may have
 * been converted by another worker under another name: the name is kept
 * as an alias, dropped at the merge if no entry of this walk needs it.
 */
static int maybe_alias(struct walk *w, struct worker *k,
		       const struct e4_walk_ent *we, const struct stat *st,
		       struct e4_err *err)
{
	struct item it = { .e = { .ino = st->st_ino }, .alias = true };

	if (!converting(w, st) || st->st_nlink < 2)
		return 0;
	it.e.path = path_of(w, we);
	if (!it.e.path || !keep(k, &it)) {
		free(it.e.path);
		return fail_at(w, we, err, -ENOMEM, NULL);
	}
	return 0;
}

/*
 * A name whose open found a write lease on its inode (EWOULDBLOCK): if
 * the lease is this walk's, a worker is converting the inode under
 * another name and this one is an alias; anyone else's lease leaves it
 * unread.
 */
static int leased_name(struct walk *w, struct worker *k,
		       const struct e4_walk_ent *we, int dfd, const char *name,
		       struct e4_err *err)
{
	struct stat st;
	bool ours;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || st.st_dev != w->dev)
		return 0;	/* gone, or another filesystem mounted there */
	pthread_mutex_lock(&w->lock);
	ours = converting(w, &st) && e4_inline_seen_has(w->set, st.st_ino);
	pthread_mutex_unlock(&w->lock);
	if (!ours) {
		k->unreadable++;
		return 0;
	}
	count_scanned(w, k);
	return maybe_alias(w, k, we, &st, err);
}

/*
 * One entry (we NULL: the top, named by w->top, dfd AT_FDCWD).
 * getdents' d_type saves the fstatat of regular files and directories
 * (open, fstat, ioctl, close: as many calls as lsattr needs); the fstat
 * on the open descriptor still checks type and filesystem before the
 * ioctl, so a name replaced in between is never misjudged.  A directory
 * to walk is left open in *subdir.
 */
static int examine(struct walk *w, struct worker *k,
		   const struct e4_walk_ent *we, int dfd, const char *name,
		   unsigned char dtype, struct e4_err *err, int *subdir)
{
	bool top = !we;
	unsigned int fl = 0;
	struct stat st;
	int fd, rc, ferr;

	if (e4_job_cancelled(w->job))
		return fail_at(w, we, err, -EINTR, "interrupted");
	if (dtype != DT_REG && dtype != DT_DIR) {
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			/* Gone since readdir: nothing to report. */
			if (errno == ENOENT && !top)
				return 0;
			return fail_at(w, we, err, -errno, NULL);
		}
		if (st.st_dev != w->dev)
			return top ? other_fs(w, &st, err) : 0;
		if (S_ISLNK(st.st_mode)) {
			/* No ioctl reads a symlink's flags; only a slow one
			 * can be inline. */
			count_scanned(w, k);
			if (st.st_size > FAST_SYMLINK_MAX)
				k->unchecked++;
			return 0;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			count_scanned(w, k);
			return 0;
		}
		dtype = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC | (dtype == DT_DIR ? O_DIRECTORY : 0));
	if (fd < 0) {
		if (top)
			return fail_at(w, we, err, -errno, NULL);
		if (errno == EWOULDBLOCK)
			return leased_name(w, k, we, dfd, name, err);
		/* Gone or replaced since readdir, or not ours to open. */
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			k->unreadable++;
		return 0;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		return top ? fail_at(w, we, err, rc, NULL) : 0;
	}
	/* A mount point of another filesystem is not ours to look into. */
	if (st.st_dev != w->dev) {
		close(fd);
		return top ? other_fs(w, &st, err) : 0;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(fd);
		return 0;
	}
	count_scanned(w, k);
	ferr = get_flags(fd, &fl);
	if (!ferr && !(fl & E4_INLINE_DATA_FL))
		rc = maybe_alias(w, k, we, &st, err);
	else
		rc = found(w, k, we, dfd, name, fd, &st, ferr, err);
	if (rc > 0)
		return 0;	/* converted: closed already */
	if (!rc && S_ISDIR(st.st_mode)) {
		*subdir = fd;
		return 0;
	}
	close(fd);
	return rc;
}

static int visit(void *arg, const struct e4_walk_ent *we, int *subdir)
{
	struct walk *w = arg;

	if (e4_walk_path_len(we) >= PATH_MAX)
		return fail_at(w, we, we->err, -ENAMETOOLONG, "path too long");
	return examine(w, &w->workers[we->worker], we, we->dfd, we->name,
		       we->type, we->err, subdir);
}

static int read_failed(void *arg, const struct e4_walk_dir *d, int rc,
		       struct e4_err *err)
{
	char *path = e4_walk_dir_path(d);

	(void)arg;
	e4_err_sys(err, rc, "while reading %s", path ? path : "a directory");
	free(path);
	return rc;
}

static int by_ino_path(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->e.ino != y->e.ino)
		return x->e.ino < y->e.ino ? -1 : 1;
	return strcmp(x->e.path, y->e.path);
}

/*
 * What the workers kept, into the set: an inode reached by several names
 * gets the smallest (whichever worker was first does not show), and one
 * the set had before this walk (another PATH) is not added again.
 */
static int merge(struct walk *w, struct item *all, size_t n)
{
	struct e4_inline_ent *e;
	size_t i, j, d;
	int rc = 0;

	qsort(all, n, sizeof(*all), by_ino_path);
	for (i = 0; i < n; i = j) {
		d = n;
		for (j = i; j < n && all[j].e.ino == all[i].e.ino; j++)
			if (!all[j].alias && (d == n || all[j].claimed))
				d = j;
		if (d == n || rc)
			continue;
		if (!all[d].claimed) {
			rc = e4_inline_seen_add(w->set, all[d].e.ino);
			if (rc <= 0)
				continue;
			rc = 0;
		}
		e = e4_inline_set_add(w->set, all[d].e.ino, all[d].e.mode,
				      all[d].e.links, all[d].e.size);
		if (!e) {
			rc = -ENOMEM;
			continue;
		}
		*e = all[d].e;
		e->path = all[i].e.path;
		all[i].e.path = NULL;
	}
	for (i = 0; i < n; i++)
		free(all[i].e.path);
	return rc;
}

/* Counters and entries of every worker into the set; frees them. */
static int gather(struct walk *w, struct e4_err *err)
{
	struct item *all = NULL;
	size_t i, n = 0, at = 0;
	int rc = 0;

	for (i = 0; i < w->nworkers; i++) {
		w->set->scanned += w->workers[i].scanned;
		w->set->unchecked += w->workers[i].unchecked;
		w->set->unreadable += w->workers[i].unreadable;
		n += w->workers[i].n;
	}
	if (n)
		all = malloc(n * sizeof(*all));
	for (i = 0; i < w->nworkers; i++) {
		if (all && w->workers[i].n)
			memcpy(all + at, w->workers[i].items,
			       w->workers[i].n * sizeof(*all));
		else if (!all)
			while (w->workers[i].n)
				free(w->workers[i].items[--w->workers[i].n].e.path);
		at += w->workers[i].n;
		free(w->workers[i].items);
	}
	if (n && !all)
		rc = -ENOMEM;
	else if (n)
		rc = merge(w, all, n);
	free(all);
	if (rc)
		return e4_err_sys(err, rc, "while listing inline inodes of %s", w->top);
	return 0;
}

static void sync_fs_of(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0) {
		(void)syncfs(fd);
		close(fd);
	}
}

/* A path that is a symlink: listed, not followed. */
static int add_symlink(struct e4_inline_set *set, const char *path,
		       const struct stat *st, struct e4_err *err)
{
	struct e4_inline_ent *e;

	if (strlen(path) >= PATH_MAX)
		return e4_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
	set->scanned++;
	e = e4_inline_set_add(set, st->st_ino, st->st_mode, st->st_nlink,
			      st->st_size);
	if (!e || !(e->path = strdup(path))) {
		if (e)
			set->n--;
		return e4_err_sys(err, -ENOMEM, "%s", path);
	}
	e->status = E4_INLINE_SKIPPED;
	e->why = "a symlink: not followed";
	return 0;
}

/* The top (open, checked) and the tree below it. */
static int walk_top(struct walk *w, struct e4_err *err)
{
	struct e4_walk_opts o = {
		.threads = w->nworkers,
		.visit = visit,
		.dir_error = read_failed,
		.arg = w,
	};
	int rc, fd = -1;

	/* The top is named by its full path: AT_FDCWD does the lookup. */
	rc = examine(w, &w->workers[0], NULL, AT_FDCWD, w->top, DT_UNKNOWN,
		     err, &fd);
	if (!rc && fd >= 0)
		rc = e4_walk_run(&o, fd, w->top, err);
	return rc;
}

int e4_inline_walk(struct e4_inline_set *set, const char *path, dev_t dev,
		   unsigned int flags, const struct e4_job *job,
		   struct e4_err *err)
{
	struct walk w = { .set = set, .flags = flags, .job = job };
	bool converting_any = (flags & E4_INLINE_CONVERT) &&
			      !(flags & E4_INLINE_DRY_RUN);
	struct sigaction ignore = { .sa_handler = SIG_IGN }, sigio;
	struct statvfs sv;
	struct stat st;
	char *real;
	int rc, grc;

	/* A symlink given as the path is not followed either. */
	if (lstat(path, &st))
		return e4_err_sys(err, -errno, "%s", path);
	if (S_ISLNK(st.st_mode))
		return add_symlink(set, path, &st, err);
	real = realpath(path, NULL);
	if (!real)
		return e4_err_sys(err, -errno, "%s", path);
	if (strlen(real) >= PATH_MAX) {
		free(real);
		return e4_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
	}
	w.top = real;
	w.nworkers = e4_walk_threads(0);
	w.workers = calloc(w.nworkers, sizeof(*w.workers));
	if (!w.workers) {
		free(real);
		return e4_err_sys(err, -ENOMEM, "%s", path);
	}
	pthread_mutex_init(&w.lock, NULL);
	pthread_mutex_init(&w.progress, NULL);
	/*
	 * The filesystem is the caller's, or the one path is on; the top is
	 * opened (O_NOFOLLOW) and its st_dev checked like every other file.
	 */
	w.dev = dev ? dev : st.st_dev;
	if (!statvfs(w.top, &sv) && sv.f_files >= sv.f_ffree)
		w.total = sv.f_files - sv.f_ffree;
	/* A lease broken by anyone's open (see convert_file) must not kill. */
	if (converting_any)
		sigaction(SIGIO, &ignore, &sigio);
	rc = walk_top(&w, err);
	if (converting_any)
		sigaction(SIGIO, &sigio, NULL);
	/* Converted blocks on disk in place (see convert_file). */
	if (w.converted)
		sync_fs_of(w.top);
	/* Also after a failure: what was converted is reported. */
	grc = gather(&w, rc ? NULL : err);
	rc = rc ?: grc;
	e4_job_progress(job, set->scanned, set->scanned > w.total ? set->scanned : w.total);
	e4_inline_set_sort(set);
	pthread_mutex_destroy(&w.progress);
	pthread_mutex_destroy(&w.lock);
	free(w.workers);
	free(real);
	return rc;
}
