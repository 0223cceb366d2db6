// SPDX-License-Identifier: GPL-2.0
/*
 * The walk of the delayed-allocation audit: every regular file's delayed
 * extents (FIEMAP, never with FIEMAP_FLAG_SYNC: that would flush what is
 * being audited) and dirty/writeback pages (cachestat).  The walk
 * (lib/walk.c, one worker per processor) opens everything with openat()
 * relative to its directory, follows no symlink and does not leave the
 * filesystem, so a tree changing underneath can neither redirect it nor
 * make it audit another filesystem; each worker keeps its own files and
 * counts, added into the report when the walk is done.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/fs.h>

#include "e4/array.h"
#include "e4/walk.h"
#include "delalloc_priv.h"

/*
 * cachestat(2) is Linux 6.5; the C library headers of older systems know
 * neither the number nor the structures.  451 is its number on every
 * architecture but alpha.
 */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct da_cachestat_range {
	uint64_t off;
	uint64_t len;
};

struct da_cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

static int fiemap_file(struct audit *a, struct da_worker *k, int fd,
		       struct e4_da_file *f)
{
	struct e4_da_fold st = E4_DA_FOLD_INIT;
	struct fiemap *fm = k->fm;
	uint64_t start = 0;

	for (;;) {
		unsigned int n;

		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = FIEMAP_MAX_OFFSET - start;
		fm->fm_flags = 0;	/* never FIEMAP_FLAG_SYNC */
		fm->fm_extent_count = FIEMAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm))
			return -errno;
		n = fm->fm_mapped_extents;
		if (!n)
			break;
		e4_da_fold_extents(&st, fm->fm_extents, n, a->blkbits,
				   a->clusterbits);
		if (fm->fm_extents[n - 1].fe_flags & FIEMAP_EXTENT_LAST)
			break;
		start = fm->fm_extents[n - 1].fe_logical +
			fm->fm_extents[n - 1].fe_length;
	}
	f->delalloc_blocks = st.delalloc_blocks;
	f->reserved_blocks = st.clusters << a->clusterbits;
	return 0;
}

static void cachestat_file(struct da_worker *k, int fd, struct e4_da_file *f)
{
	struct da_cachestat_range range = { 0, 0 };	/* len 0: to EOF */
	struct da_cachestat cs = { 0 };

	if (k->cachestat_probed && !k->cachestat)
		return;
	if (syscall(__NR_cachestat, fd, &range, &cs, 0)) {
		if (errno == ENOSYS && !k->cachestat_probed)
			k->cachestat_probed = true;
		return;
	}
	k->cachestat_probed = true;
	k->cachestat = true;
	f->pages_known = true;
	f->dirty_pages = cs.nr_dirty;
	f->writeback_pages = cs.nr_writeback;
}

/* f, named path (malloc'd, now the worker's or freed). */
static int keep_file(struct audit *a, struct da_worker *k,
		     const struct e4_da_file *f, char *path)
{
	if (e4_array_room(&k->files, k->nfiles, &k->filecap,
			  sizeof(*k->files), 64))
		goto nomem;
	if (!path)
		goto nomem;
	k->files[k->nfiles] = *f;
	k->files[k->nfiles++].path = path;
	return 0;
nomem:
	free(path);
	return e4_err_sys(a->err, -ENOMEM, "while auditing %s",
			  a->r->mountpoint);
}

static void count_file(struct audit *a, struct da_worker *k)
{
	uint64_t n = k->scanned + 1;
	unsigned int i;

	/* Only this worker writes it, but the one drawing reads it. */
	__atomic_store_n(&k->scanned, n, __ATOMIC_RELAXED);
	if (n & 63 || !a->o->job || !a->o->job->progress)
		return;
	n = 0;
	/* One worker draws at a time; the others do not wait for it. */
	if (pthread_mutex_trylock(&a->progress))
		return;
	for (i = 0; i < a->nworkers; i++)
		n += __atomic_load_n(&a->workers[i].scanned, __ATOMIC_RELAXED);
	e4_job_progress(a->o->job, n, a->total_estimate);
	pthread_mutex_unlock(&a->progress);
}

/*
 * Audit the open file fd (consumed), an entry of the walk (we) or a PATH
 * given (arg).  One that is no longer a regular file of this filesystem
 * (replaced since readdir) is passed over.  The path is built only for a
 * file that is kept.
 */
static int audit_fd(struct audit *a, struct da_worker *k, int fd,
		    const struct e4_walk_ent *we, const char *arg)
{
	struct e4_da_file f = { 0 };
	struct stat st;
	bool holds;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_dev != a->dev) {
		close(fd);
		return 0;
	}
	f.ino = st.st_ino;
	f.size = st.st_size;
	if (fiemap_file(a, k, fd, &f)) {
		close(fd);
		k->skipped++;
		return 0;
	}
	cachestat_file(k, fd, &f);
	close(fd);

	count_file(a, k);
	holds = f.delalloc_blocks || f.dirty_pages || f.writeback_pages;
	if (holds)
		k->holding++;
	k->delalloc_sum += f.delalloc_blocks;
	k->file_sum += f.reserved_blocks;
	if (holds || a->o->all_files)
		return keep_file(a, k, &f, we ? e4_walk_path(we) : strdup(arg));
	return 0;
}

/*
 * One directory entry: a file to audit, a directory to descend into.
 * One that vanished or cannot be opened is counted as skipped: no
 * verdict on the whole filesystem is given then.
 */
static int visit(void *arg, const struct e4_walk_ent *we, int *subdir)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct audit *a = arg;
	struct da_worker *k = &a->workers[we->worker];
	unsigned char type = we->type;
	struct stat st;
	int fd;

	if (e4_job_cancelled(a->o->job))
		return e4_err_set(we->err, -EINTR, "%s: audit interrupted",
				  a->r->mountpoint);
	if (type == DT_UNKNOWN) {
		if (fstatat(we->dfd, we->name, &st, AT_SYMLINK_NOFOLLOW)) {
			k->skipped++;
			return 0;
		}
		type = S_ISDIR(st.st_mode) ? DT_DIR :
		       S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
	}
	if (type == DT_REG) {
		/* O_NOATIME keeps even the open from looking like a use. */
		fd = openat(we->dfd, we->name, flags | O_NOATIME);
		if (fd < 0 && errno == EPERM)
			fd = openat(we->dfd, we->name, flags);
		if (fd < 0) {
			k->skipped++;
			return 0;
		}
		return audit_fd(a, k, fd, we, NULL);
	}
	if (type != DT_DIR)
		return 0;
	fd = openat(we->dfd, we->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		k->skipped++;
		return 0;
	}
	if (fstat(fd, &st) || st.st_dev != a->dev) {
		/* another filesystem mounted here */
		close(fd);
		return 0;
	}
	*subdir = fd;
	return 0;
}

static int read_failed(void *arg, const struct e4_walk_dir *d, int rc,
		       struct e4_err *err)
{
	struct audit *a = arg;

	(void)d, (void)rc, (void)err;
	__atomic_add_fetch(&a->dirs_skipped, 1, __ATOMIC_RELAXED);
	return 0;
}

/* The directory open at fd (consumed), named path. */
static int walk_dir(struct audit *a, int fd, const char *path)
{
	struct e4_walk_opts o = {
		.threads = a->nworkers,
		.visit = visit,
		.dir_error = read_failed,
		.arg = a,
	};

	return e4_walk_run(&o, fd, path, a->err);
}

/* A PATH given on the command line: a file, or a directory to walk. */
static int walk_arg(struct audit *a, const char *arg)
{
	struct stat st;
	int fd;

	fd = open(arg, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return e4_err_sys(a->err, -errno, "%s", arg);
	if (fstat(fd, &st)) {
		close(fd);
		return e4_err_sys(a->err, -errno, "%s", arg);
	}
	if (st.st_dev != a->dev) {
		close(fd);
		return e4_err_set(a->err, -EXDEV, "%s: not on the filesystem mounted on %s",
				  arg, a->r->mountpoint);
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(a, fd, arg);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return e4_err_set(a->err, -EINVAL, "%s: not a regular file or directory",
				  arg);
	}
	return audit_fd(a, &a->workers[0], fd, NULL, arg);
}

int e4_da_walk(struct audit *a, int rootfd)
{
	size_t i;
	int fd, ret;

	if (a->o->npaths) {
		a->r->partial = true;
		for (i = 0; i < a->o->npaths; i++) {
			ret = e4_da_cancelled(a, a->err) ?: walk_arg(a, a->o->paths[i]);
			if (ret)
				return ret;
		}
		return 0;
	}
	fd = dup(rootfd);
	if (fd < 0)
		return e4_err_sys(a->err, -errno, "%s", a->r->mountpoint);
	return walk_dir(a, fd, a->r->mountpoint);
}

/* The workers' counts and files into the report (also after a failure). */
int e4_da_gather(struct audit *a)
{
	struct e4_da_report *r = a->r;
	struct e4_da_file *p;
	size_t n = r->nfiles;
	unsigned int i;

	r->files_skipped += a->dirs_skipped;
	for (i = 0; i < a->nworkers; i++) {
		r->files_scanned += a->workers[i].scanned;
		r->files_skipped += a->workers[i].skipped;
		r->files_holding += a->workers[i].holding;
		r->delalloc_sum += a->workers[i].delalloc_sum;
		r->file_sum += a->workers[i].file_sum;
		r->cachestat |= a->workers[i].cachestat;
		n += a->workers[i].nfiles;
	}
	p = n ? realloc(r->files, n * sizeof(*p)) : NULL;
	for (i = 0; i < a->nworkers; i++) {
		struct da_worker *k = &a->workers[i];

		if (p && k->nfiles)
			memcpy(p + r->nfiles, k->files, k->nfiles * sizeof(*p));
		else if (!p)
			while (k->nfiles)
				free(k->files[--k->nfiles].path);
		r->nfiles += p ? k->nfiles : 0;
		free(k->files);
		free(k->fm);
	}
	if (n && !p)
		return e4_err_sys(a->err, -ENOMEM, "while auditing %s",
				  r->mountpoint);
	if (p)
		r->files = p;
	return 0;
}

int e4_da_workers_new(struct audit *a)
{
	unsigned int i;

	a->nworkers = e4_walk_threads(0);
	a->workers = calloc(a->nworkers, sizeof(*a->workers));
	if (!a->workers)
		return -ENOMEM;
	for (i = 0; i < a->nworkers; i++) {
		a->workers[i].fm = calloc(1, sizeof(struct fiemap) +
					  FIEMAP_BATCH * sizeof(struct fiemap_extent));
		if (!a->workers[i].fm)
			goto nomem;
	}
	pthread_mutex_init(&a->progress, NULL);
	return 0;
nomem:
	while (i--)
		free(a->workers[i].fm);
	free(a->workers);
	return -ENOMEM;
}
