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

/*
 * ext4_fallocate() converts inline data before it looks at the mode or
 * the range.  KEEP_SIZE over the first byte then finds that byte already
 * in the new block (or, for an empty file, preallocates one block past
 * the end), so size and contents stay as they were.
 */
static void convert_file(struct walk *w, int dfd, const char *name,
			 const struct stat *st, struct e4_inline_ent *e)
{
	struct timespec times[2];
	struct stat now;
	unsigned int fl = 0;
	int fd, rc;

	fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	if (fd < 0)
		return failed(e, -errno, "while opening it for writing");
	if (fstat(fd, &now)) {
		failed(e, -errno, "while opening it for writing");
		goto out_close;
	}
	if (now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		failed(e, -ESTALE, "replaced while being converted");
		goto out_close;
	}
	if (w->flags & E4_INLINE_DRY_RUN) {
		e->status = E4_INLINE_WOULD_CONVERT;
		goto out_close;
	}
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1)) {
		failed(e, -errno, "fallocate");
		goto out_close;
	}
	/* fallocate counts as a modification; the data did not change. */
	times[0] = now.st_atim;
	times[1] = now.st_mtim;
	if (futimens(fd, times)) {
		failed(e, -errno, "converted, but while restoring atime and mtime");
		goto out_close;
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
	e->status = E4_INLINE_CONVERTED;
out_close:
	close(fd);
}

static int visit(struct walk *w, int dfd, const char *name, unsigned char dtype,
		 bool top, struct e4_err *err);

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
	int fd, rc;

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
			return 0;
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
	/* A mount point of another filesystem is not ours to look into. */
	if (fstat(fd, &st) || st.st_dev != w->dev ||
	    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
		close(fd);
		return 0;
	}
	w->set->scanned++;
	if (!(w->set->scanned & 1023))
		e4_job_progress(w->job, w->set->scanned, w->total);
	rc = get_flags(fd, &fl);
	if (rc) {
		close(fd);
		return e4_err_sys(err, rc, "%s: while reading its flags", w->path);
	}
	if (fl & E4_INLINE_DATA_FL) {
		rc = e4_inline_seen_add(w->set, st.st_ino);
		if (rc < 0) {
			close(fd);
			return e4_err_sys(err, rc, "%s", w->path);
		}
		if (rc) {
			e = e4_inline_set_add(w->set, st.st_ino, st.st_mode,
					      st.st_nlink, st.st_size);
			if (!e || !(e->path = strdup(w->path))) {
				close(fd);
				return e4_err_sys(err, -ENOMEM, "%s", w->path);
			}
			if (!(w->flags & (E4_INLINE_CONVERT | E4_INLINE_DRY_RUN)))
				;
			else if (S_ISDIR(st.st_mode)) {
				e->status = E4_INLINE_SKIPPED;
				e->why = "a directory: needs the filesystem unmounted";
			} else {
				convert_file(w, dfd, name, &st, e);
			}
		}
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(w, fd, err);
	close(fd);
	return 0;
}

int e4_inline_walk(struct e4_inline_set *set, const char *path,
		   unsigned int flags, const struct e4_job *job,
		   struct e4_err *err)
{
	struct walk w = { .set = set, .flags = flags, .job = job };
	struct statvfs sv;
	struct stat st;
	char *real;
	int rc;

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
	if (lstat(w.path, &st))
		return e4_err_sys(err, -errno, "%s", w.path);
	w.dev = st.st_dev;
	if (!statvfs(w.path, &sv) && sv.f_files >= sv.f_ffree)
		w.total = sv.f_files - sv.f_ffree;
	/* The top is named by its full path: AT_FDCWD does the lookup. */
	rc = visit(&w, AT_FDCWD, w.path, DT_UNKNOWN, true, err);
	e4_job_progress(job, set->scanned, set->scanned > w.total ? set->scanned : w.total);
	e4_inline_set_sort(set);
	return rc;
}
