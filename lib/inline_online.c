// SPDX-License-Identifier: GPL-2.0
/*
 * Inline-data inodes of a mounted filesystem: a walk with openat() and
 * fstatat() that never follows a symlink and never leaves the filesystem
 * it started on, the kernel's FS_IOC_GETFLAGS for each regular file and
 * directory, and the kernel's own conversion of regular files through
 * fallocate().  Directories cannot be converted while mounted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "inline_priv.h"

/* i_block: a symlink this long or longer is a slow one, maybe inline. */
#define FAST_SYMLINK_MAX 59

struct walk {
	struct e4_inline_set *set;
	unsigned int flags;
	const struct e4_job *job;
	dev_t dev;
	uint64_t total;		/* inodes in use on the fs, for progress */
	uint64_t converted;	/* files converted so far */
	char path[PATH_MAX];
	size_t len;
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
 * says so.  F_SETOWN 0 after taking the lease turns off the lease-break
 * signal (SIGIO, whose default would kill us); an opener simply waits the
 * few microseconds until F_UNLCK.  Only utimensat() by path is not held
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
	leased = !fcntl(fd, F_SETLEASE, F_WRLCK);
	if (leased)
		(void)fcntl(fd, F_SETOWN, 0);
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
	w->converted++;
out_close:
	if (leased)
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	free(data);
	free(back);
}

/* An entry for st at w->path; NULL (and err set) on ENOMEM. */
static struct e4_inline_ent *add_ent(struct walk *w, const struct stat *st,
				     struct e4_err *err)
{
	struct e4_inline_ent *e;

	e = e4_inline_set_add(w->set, st->st_ino, st->st_mode, st->st_nlink,
			      st->st_size);
	if (!e || !(e->path = strdup(w->path))) {
		e4_err_sys(err, -ENOMEM, "%s", w->path);
		return NULL;
	}
	return e;
}

static int visit(struct walk *w, int dfd, const char *name, unsigned char dtype,
		 bool top, struct e4_err *err);

/* The path given is not on the filesystem being walked. */
static int other_fs(const struct walk *w, const struct stat *st,
		    struct e4_err *err)
{
	return e4_err_set(err, -EXDEV,
			  "%s: not on the filesystem being walked (device %u:%u, not %u:%u)",
			  w->path, major(st->st_dev), minor(st->st_dev),
			  major(w->dev), minor(w->dev));
}

/* Every entry of the directory open at fd (consumed). */
static int walk_dir(struct walk *w, int fd, struct e4_err *err)
{
	size_t len = w->len;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return e4_err_sys(err, -errno, "%s", w->path);
	}
	while ((errno = 0, de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + 1 + n >= sizeof(w->path)) {
			rc = e4_err_set(err, -ENAMETOOLONG, "%s/%s: path too long",
					w->path, de->d_name);
			break;
		}
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, n + 1);
		w->len = len + 1 + n;
		rc = visit(w, dirfd(d), de->d_name, de->d_type, false, err);
		w->len = len;
		w->path[len] = '\0';
		if (rc)
			break;
	}
	if (!rc && errno)
		rc = e4_err_sys(err, -errno, "while reading %s", w->path);
	closedir(d);
	return rc;
}

/*
 * One entry.  readdir's d_type saves the fstatat of regular files and
 * directories (open, fstat, ioctl, close: as many calls as lsattr needs);
 * the fstat on the open descriptor still checks type and filesystem
 * before the ioctl, so a name replaced in between is never misjudged.
 */
static int visit(struct walk *w, int dfd, const char *name, unsigned char dtype,
		 bool top, struct e4_err *err)
{
	struct e4_inline_ent *e;
	struct stat st;
	unsigned int fl = 0;
	int fd, rc, ferr;

	if (e4_job_cancelled(w->job))
		return e4_err_set(err, -EINTR, "%s: interrupted", w->path);
	if (dtype != DT_REG && dtype != DT_DIR) {
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			/* Gone since readdir: nothing to report. */
			if (errno == ENOENT && !top)
				return 0;
			return e4_err_sys(err, -errno, "%s", w->path);
		}
		if (st.st_dev != w->dev)
			return top ? other_fs(w, &st, err) : 0;
		if (S_ISLNK(st.st_mode)) {
			/* No ioctl reads a symlink's flags; only a slow one
			 * can be inline. */
			w->set->scanned++;
			if (st.st_size > FAST_SYMLINK_MAX)
				w->set->unchecked++;
			return 0;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			w->set->scanned++;
			return 0;
		}
		dtype = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC | (dtype == DT_DIR ? O_DIRECTORY : 0));
	if (fd < 0) {
		if (top)
			return e4_err_sys(err, -errno, "%s", w->path);
		/* Gone or replaced since readdir, or not ours to open. */
		if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
			w->set->unreadable++;
		return 0;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		return top ? e4_err_sys(err, rc, "%s", w->path) : 0;
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
	w->set->scanned++;
	if (!(w->set->scanned & 1023))
		e4_job_progress(w->job, w->set->scanned, w->total);
	ferr = get_flags(fd, &fl);
	if (ferr) {
		/* Not known to be inline or not: say so, and go on. */
		rc = e4_inline_seen_add(w->set, st.st_ino);
		if (rc < 0) {
			close(fd);
			return e4_err_sys(err, rc, "%s", w->path);
		}
		if (rc) {
			e = add_ent(w, &st, err);
			if (!e) {
				close(fd);
				return -ENOMEM;
			}
			failed(e, ferr, "while reading its flags");
		}
		goto next;
	}
	if (!(fl & E4_INLINE_DATA_FL))
		goto next;
	rc = e4_inline_seen_add(w->set, st.st_ino);
	if (rc < 0) {
		close(fd);
		return e4_err_sys(err, rc, "%s", w->path);
	}
	if (!rc)
		goto next;
	e = add_ent(w, &st, err);
	if (!e) {
		close(fd);
		return -ENOMEM;
	}
	if (!(w->flags & (E4_INLINE_CONVERT | E4_INLINE_DRY_RUN)))
		goto next;
	if (S_ISDIR(st.st_mode)) {
		e->status = E4_INLINE_SKIPPED;
		e->why = "a directory: needs the filesystem unmounted";
	} else if (w->flags & E4_INLINE_DRY_RUN) {
		/* Nothing is opened for writing: a read-only mount is fine. */
		e->status = E4_INLINE_WOULD_CONVERT;
	} else {
		/* Ours must be the only open file for the write lease. */
		close(fd);
		convert_file(w, dfd, name, &st, e);
		return 0;
	}
next:
	if (S_ISDIR(st.st_mode))
		return walk_dir(w, fd, err);
	close(fd);
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

int e4_inline_walk(struct e4_inline_set *set, const char *path, dev_t dev,
		   unsigned int flags, const struct e4_job *job,
		   struct e4_err *err)
{
	struct walk w = { .set = set, .flags = flags, .job = job };
	struct e4_inline_ent *e;
	struct statvfs sv;
	struct stat st;
	char *real;
	int rc;

	/* A symlink given as the path is not followed either. */
	if (lstat(path, &st))
		return e4_err_sys(err, -errno, "%s", path);
	if (S_ISLNK(st.st_mode)) {
		if (strlen(path) >= sizeof(w.path))
			return e4_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
		strcpy(w.path, path);
		set->scanned++;
		e = add_ent(&w, &st, err);
		if (!e)
			return -ENOMEM;
		e->status = E4_INLINE_SKIPPED;
		e->why = "a symlink: not followed";
		return 0;
	}
	real = realpath(path, NULL);
	if (!real)
		return e4_err_sys(err, -errno, "%s", path);
	if (strlen(real) >= sizeof(w.path)) {
		free(real);
		return e4_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
	}
	strcpy(w.path, real);
	w.len = strlen(real);
	free(real);
	/*
	 * The filesystem is the caller's, or the one path is on; the top is
	 * opened (O_NOFOLLOW) and its st_dev checked like every other file.
	 */
	w.dev = dev ? dev : st.st_dev;
	if (!statvfs(w.path, &sv) && sv.f_files >= sv.f_ffree)
		w.total = sv.f_files - sv.f_ffree;
	/* The top is named by its full path: AT_FDCWD does the lookup. */
	rc = visit(&w, AT_FDCWD, w.path, DT_UNKNOWN, true, err);
	/* Converted blocks on disk in place (see convert_file). */
	if (w.converted)
		sync_fs_of(w.path);
	e4_job_progress(job, set->scanned, set->scanned > w.total ? set->scanned : w.total);
	e4_inline_set_sort(set);
	return rc;
}
