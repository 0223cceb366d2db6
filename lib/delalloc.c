// SPDX-License-Identifier: GPL-2.0
/*
 * The delayed-allocation audit: the per-filesystem counter in sysfs
 * sampled several times, every regular file's delayed extents (FIEMAP,
 * never with FIEMAP_FLAG_SYNC: that would flush what is being audited)
 * and dirty/writeback pages (cachestat), the free counts of statfs and of
 * the device, and the verdict.  The walk (lib/walk.c, one worker per
 * processor) opens everything with openat() relative to its directory,
 * follows no symlink and does not leave the filesystem, so a tree
 * changing underneath can neither redirect it nor make it audit another
 * filesystem; each worker keeps its own files and counts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include "e4/delalloc.h"
#include "e4/freeze.h"
#include "e4/fs.h"
#include "e4/sysfs.h"
#include "e4/walk.h"

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

#define FIEMAP_BATCH 64

/* One walk worker's findings, added into the report when it is done. */
struct da_worker {
	struct fiemap *fm;
	struct e4_da_file *files;
	size_t nfiles, filecap;
	uint64_t scanned, skipped, holding, delalloc_sum, file_sum;
	bool cachestat_probed, cachestat;
} __attribute__((aligned(64)));	/* no false sharing of the counters */

struct audit {
	const struct e4_da_opts *o;
	struct e4_da_report *r;
	struct e4_err *err;
	dev_t dev;			/* st_dev of the filesystem */
	unsigned int blkbits, clusterbits;
	char counter_path[128];
	struct da_worker *workers;
	unsigned int nworkers;
	uint64_t dirs_skipped;		/* unreadable directories (atomic) */
	pthread_mutex_t progress;
	uint64_t total_estimate;	/* used inodes, for progress */
};

int e4_da_sysfs_name(const char *sysroot, dev_t devno, char *buf, size_t len,
		     struct e4_err *err)
{
	char link[64];
	int ret;

	/*
	 * sb->s_id is the block device's kernel name (%pg): the name its
	 * sysfs directory has, which /sys/dev/block/MAJ:MIN links to.  The
	 * name of the node in /dev can differ (/dev/mapper/x for dm-0).
	 */
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(devno),
		 minor(devno));
	ret = e4_sysfs_link_name(sysroot, link, buf, len);
	if (ret < 0)
		return e4_err_sys(err, ret, "%s%s", sysroot ? sysroot : "", link);
	return 0;
}

void e4_da_fold_extents(struct e4_da_fold *st,
			const struct fiemap_extent *ext, unsigned int n,
			unsigned int blkbits, unsigned int clusterbits)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t first = ext[i].fe_logical >> blkbits;
		uint64_t blocks = (ext[i].fe_length + (1ULL << blkbits) - 1) >> blkbits;
		uint64_t c0, c1;

		if (!blocks)
			continue;
		c0 = first >> clusterbits;
		c1 = (first + blocks - 1) >> clusterbits;
		if (!(ext[i].fe_flags & FIEMAP_EXTENT_DELALLOC)) {
			/*
			 * bigalloc: a cluster that holds an allocated block
			 * needs no reservation for its delayed ones, so a
			 * cluster counted for the delayed range before it
			 * is given back.
			 */
			if (st->last_da == c0 && st->clusters) {
				st->clusters--;
				st->last_da = UINT64_MAX;
			}
			st->last_mapped = c1;
			continue;
		}
		st->delalloc_blocks += blocks;
		if (c0 == st->last_da || c0 == st->last_mapped)
			c0++;
		if (c0 <= c1)
			st->clusters += c1 - c0 + 1;
		st->last_da = c1 == st->last_mapped ? UINT64_MAX : c1;
	}
}

static int sample(struct audit *a, uint64_t *val)
{
	int ret = e4_sysfs_read_u64(a->o->sysroot, a->counter_path, val);

	if (ret)
		return e4_err_sys(a->err, ret, "%s%s",
				  a->o->sysroot ? a->o->sysroot : "",
				  a->counter_path);
	return 0;
}

/* Sleep ms, or less when a signal asks to stop. */
static void nap(const struct e4_job *job, unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (!e4_job_cancelled(job) && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cancelled(struct audit *a)
{
	if (!e4_job_cancelled(a->o->job))
		return 0;
	return e4_err_set(a->err, -EINTR, "%s: audit interrupted",
			  a->r->mountpoint);
}

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
	struct e4_da_file *p;

	if (k->nfiles == k->filecap) {
		size_t cap = k->filecap ? k->filecap * 2 : 64;

		p = realloc(k->files, cap * sizeof(*p));
		if (!p)
			goto nomem;
		k->files = p;
		k->filecap = cap;
	}
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
	uint64_t n = 0;
	unsigned int i;

	if (++k->scanned & 63 || !a->o->job || !a->o->job->progress)
		return;
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

static int walk(struct audit *a, int rootfd)
{
	size_t i;
	int fd, ret;

	if (a->o->npaths) {
		a->r->partial = true;
		for (i = 0; i < a->o->npaths; i++) {
			ret = cancelled(a) ?: walk_arg(a, a->o->paths[i]);
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
static int gather(struct audit *a)
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

		if (p)
			memcpy(p + r->nfiles, k->files, k->nfiles * sizeof(*p));
		else
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

/* Geometry, and the free counts the device holds (not the kernel's). */
static void read_device(struct audit *a, const struct e4_target *t)
{
	struct e4_da_report *r = a->r;
	struct e4_fs *fs;
	ext2_filsys e2;
	dgrp_t g;

	/* Unprivileged, the device is not readable: carry on without. */
	if (e4_fs_open(t, 0, &fs, NULL))
		return;
	e2 = e4_fs_ext2(fs);
	r->disk_known = true;
	r->cluster_ratio = EXT2FS_CLUSTER_RATIO(e2);
	r->sb_free = ext2fs_free_blocks_count(e2->super);
	r->disk_free = 0;
	for (g = 0; g < e2->group_desc_count; g++)
		r->disk_free += ext2fs_bg_free_blocks_count(e2, g);
	/* group descriptors count clusters; the superblock counts blocks */
	r->disk_free *= r->cluster_ratio;
	a->clusterbits = e2->cluster_ratio_bits;
	e4_fs_close(fs);
}

static int take_samples(struct audit *a)
{
	struct e4_da_report *r = a->r;
	unsigned int i, n = a->o->samples;
	int ret;

	if (n < 1)
		n = 1;
	if (n > E4_DA_MAX_SAMPLES - 1)
		n = E4_DA_MAX_SAMPLES - 1;
	for (i = 0; i < n; i++) {
		if (i)
			nap(a->o->job, a->o->interval_ms);
		ret = cancelled(a) ?: sample(a, &r->samples[r->nsamples]);
		if (ret)
			return ret;
		r->nsamples++;
	}
	return 0;
}

static int audit_fs(struct audit *a, const struct e4_target *t, int rootfd)
{
	struct e4_da_report *r = a->r;
	struct statfs sfs;
	unsigned int i;
	char path[128];
	int ret;

	ret = take_samples(a);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/reserved_clusters",
		 r->sysfs_name);
	e4_sysfs_read_u64(a->o->sysroot, path, &r->reserved_clusters);
	if (fstatfs(rootfd, &sfs))
		return e4_err_sys(a->err, -errno, "%s: statfs", r->mountpoint);
	r->statfs_free = (uint64_t)sfs.f_bfree * sfs.f_bsize / r->block_size;
	if (sfs.f_files >= sfs.f_ffree)
		a->total_estimate = sfs.f_files - sfs.f_ffree;
	read_device(a, t);

	ret = walk(a, rootfd);
	if (ret)
		return ret;
	/* One more after the walk: a counter that moved meanwhile is not
	 * comparable with the sum of what the walk saw. */
	ret = sample(a, &r->samples[r->nsamples]);
	if (ret)
		return ret;
	r->nsamples++;
	r->counter = r->samples[r->nsamples - 1];
	r->stable = true;
	for (i = 1; i < r->nsamples; i++)
		if (r->samples[i] != r->samples[0])
			r->stable = false;
	return 0;
}

static int quiesce_and_audit(struct audit *a, const struct e4_target *t,
			     int rootfd)
{
	struct e4_da_report *r = a->r;
	struct e4_freeze *fr = NULL;
	struct e4_err terr = { 0 };
	int ret, tret;

	ret = sample(a, &r->live_counter);
	if (ret)
		return ret;
	if (a->o->quiesce == E4_DA_SYNC && syncfs(rootfd))
		return e4_err_sys(a->err, -errno, "%s: syncfs", r->mountpoint);
	if (a->o->quiesce == E4_DA_FREEZE) {
		ret = e4_freeze(r->mountpoint, a->o->freeze_timeout_ms, &fr,
				a->err);
		if (ret)
			return ret;
		if (a->o->frozen)
			a->o->frozen(a->o->frozen_arg);
	}
	ret = audit_fs(a, t, rootfd);
	if (!fr)
		return ret;
	if (!ret && e4_freeze_expired(fr))
		ret = e4_err_set(a->err, -ETIMEDOUT,
				 "%s: thawed after %u ms, before the audit was done; give PATHs or a longer --freeze-timeout",
				 r->mountpoint, a->o->freeze_timeout_ms);
	tret = e4_thaw(fr, &terr);
	if (tret && tret != -ETIMEDOUT && !ret) {
		if (a->err)
			*a->err = terr;
		ret = tret;
	}
	return ret;
}

static int workers_new(struct audit *a)
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

static int by_path(const void *x, const void *y)
{
	const struct e4_da_file *a = x, *b = y;

	return strcmp(a->path, b->path);
}

int e4_da_audit(const struct e4_target *t, const struct e4_da_opts *opts,
		struct e4_da_report **out, struct e4_err *err)
{
	struct audit a = { .o = opts, .err = err };
	struct e4_da_report *r;
	struct stat st;
	int rootfd, ret, tret;

	*out = NULL;
	if (!t->mounted)
		return e4_err_set(err, -ENOTCONN,
				  "%s: not mounted; delayed allocation exists only on a mounted filesystem",
				  e4_target_name(t));
	r = calloc(1, sizeof(*r));
	if (!r)
		return e4_err_sys(err, -ENOMEM, "%s", e4_target_name(t));
	a.r = r;
	snprintf(r->mountpoint, sizeof(r->mountpoint), "%s", t->mountpoint);
	r->quiesce = opts->quiesce;
	r->cluster_ratio = 1;

	rootfd = open(t->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		ret = e4_err_sys(err, -errno, "%s", t->mountpoint);
		goto out_free;
	}
	if (fstat(rootfd, &st)) {
		ret = e4_err_sys(err, -errno, "%s", t->mountpoint);
		goto out_close;
	}
	a.dev = st.st_dev;
	r->devno = st.st_dev;
	/* A bind mount of a subdirectory hides the rest from the walk. */
	r->subtree = st.st_ino != EXT2_ROOT_INO;
	r->block_size = st.st_blksize;
	for (a.blkbits = 0; (1U << a.blkbits) < r->block_size; a.blkbits++)
		;
	ret = e4_da_sysfs_name(opts->sysroot, st.st_dev, r->sysfs_name,
			       sizeof(r->sysfs_name), err);
	if (ret)
		goto out_close;
	snprintf(a.counter_path, sizeof(a.counter_path),
		 "/sys/fs/ext4/%s/delayed_allocation_blocks", r->sysfs_name);
	if (!e4_sysfs_exists(opts->sysroot, a.counter_path)) {
		ret = e4_err_set(err, -ENOENT,
				 "%s: no %s%s: not mounted by the ext4 driver",
				 e4_target_name(t), opts->sysroot ? opts->sysroot : "",
				 a.counter_path);
		goto out_close;
	}
	ret = workers_new(&a);
	if (ret) {
		ret = e4_err_sys(err, ret, "%s", e4_target_name(t));
		goto out_close;
	}
	ret = quiesce_and_audit(&a, t, rootfd);
	tret = gather(&a);
	ret = ret ?: tret;
	if (!ret) {
		/* readdir order means nothing to anyone */
		if (r->nfiles)
			qsort(r->files, r->nfiles, sizeof(*r->files), by_path);
		ret = e4_da_judge(r, err);
	}
	pthread_mutex_destroy(&a.progress);
	free(a.workers);
out_close:
	close(rootfd);
out_free:
	if (ret) {
		e4_da_report_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

static int add_finding(struct e4_da_report *r, enum e4_da_finding_kind kind,
		       const struct e4_da_file *f, int64_t blocks,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_finding(struct e4_da_report *r, enum e4_da_finding_kind kind,
		       const struct e4_da_file *f, int64_t blocks,
		       const char *fmt, ...)
{
	struct e4_da_finding *p, *fi;
	va_list ap;

	p = realloc(r->findings, (r->nfindings + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->findings = p;
	fi = &p[r->nfindings++];
	memset(fi, 0, sizeof(*fi));
	fi->kind = kind;
	fi->path = f ? f->path : NULL;
	fi->ino = f ? f->ino : 0;
	fi->blocks = blocks;
	va_start(ap, fmt);
	vsnprintf(fi->msg, sizeof(fi->msg), fmt, ap);
	va_end(ap);
	return 0;
}

int e4_da_judge(struct e4_da_report *r, struct e4_err *err)
{
	bool frozen = r->quiesce == E4_DA_FREEZE;
	size_t i;
	int ret;

	free(r->findings);
	r->findings = NULL;
	r->nfindings = 0;
	r->quiesced = r->quiesce != E4_DA_LIVE;
	r->difference = (int64_t)(r->counter - r->file_sum);
	if (!r->quiesced)
		return 0;

	/*
	 * After syncfs a delayed extent is legitimate only while its pages
	 * are still dirty or under writeback (a writer came back); frozen,
	 * nothing can have dirtied it since the freeze flushed everything.
	 */
	for (i = 0; i < r->nfiles; i++) {
		struct e4_da_file *f = &r->files[i];

		f->stale = f->delalloc_blocks &&
			   (frozen || (f->pages_known && !f->dirty_pages &&
				       !f->writeback_pages));
		if (!f->stale)
			continue;
		ret = add_finding(r, E4_DA_STALE, f, f->delalloc_blocks,
				  "stale delalloc extent: %" PRIu64 " blocks, no dirty or writeback pages",
				  f->delalloc_blocks);
		if (ret)
			goto nomem;
	}

	/* A verdict on the whole filesystem needs all of it seen and a
	 * counter that did not move while it was looked at. */
	if (!r->stable || r->partial || r->subtree || r->files_skipped)
		return 0;
	if (r->counter && !r->files_holding)
		ret = add_finding(r, E4_DA_LEAK, NULL, (int64_t)r->counter,
				  "leaked reservation: %" PRIu64 " blocks",
				  r->counter);
	/* without the device, the cluster size (bigalloc) is unknown */
	else if (r->counter != r->file_sum && r->disk_known)
		ret = add_finding(r, E4_DA_MISMATCH, NULL, r->difference,
				  "counter %" PRIu64 " blocks, files hold %" PRIu64 " blocks: difference %+" PRId64 " blocks",
				  r->counter, r->file_sum, r->difference);
	else
		ret = 0;
	if (ret)
		goto nomem;
	return 0;
nomem:
	return e4_err_sys(err, -ENOMEM, "%s: while judging", r->mountpoint);
}

void e4_da_report_free(struct e4_da_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	free(r->findings);
	free(r);
}
