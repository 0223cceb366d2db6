// SPDX-License-Identifier: GPL-2.0
/*
 * The delayed-allocation audit: the per-filesystem counter in sysfs
 * sampled several times while the files are walked, every regular
 * file's delayed extents (FIEMAP, never with FIEMAP_FLAG_SYNC: that would
 * flush what is being audited) and dirty/writeback pages (cachestat), the
 * free counts of statfs and of the device, and the verdict.  The walk
 * over the files is lib/delalloc_walk.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>

#include "e4/delalloc.h"
#include "e4/freeze.h"
#include "e4/fs.h"
#include "e4/sysfs.h"
#include "e4/walk.h"
#include "delalloc_priv.h"

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

static int sample(struct audit *a, uint64_t *val, struct e4_err *err)
{
	int ret = e4_sysfs_read_u64(a->o->sysroot, a->counter_path, val);

	if (ret)
		return e4_err_sys(err, ret, "%s%s",
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

int e4_da_cancelled(struct audit *a, struct e4_err *err)
{
	if (!e4_job_cancelled(a->o->job))
		return 0;
	return e4_err_set(err, -EINTR, "%s: audit interrupted",
			  a->r->mountpoint);
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

/* Beside the walk: errors go to err, a->err is the walk's. */
static int take_samples(struct audit *a, struct e4_err *err)
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
		ret = e4_da_cancelled(a, err) ?:
		      sample(a, &r->samples[r->nsamples], err);
		if (ret)
			return ret;
		r->nsamples++;
	}
	return 0;
}

struct walk_thread {
	struct audit *a;
	int rootfd;
	int ret;
};

static void *walk_thread(void *arg)
{
	struct walk_thread *w = arg;

	w->ret = e4_da_walk(w->a, w->rootfd);
	return NULL;
}

/*
 * The walk runs on a thread of its own while this one takes the counter
 * samples, so that the intervals between them are spent walking, not
 * sleeping; the walk's threads leave the signals to this one, whose nap
 * a stop request ends at once.  The samples, the walk and the report do
 * not depend on which comes first: with no thread to be had, or asked to
 * (E4_TEST_SAMPLES_FIRST), the walk follows the samples.
 */
static int sample_and_walk(struct audit *a, int rootfd)
{
	struct walk_thread w = { .a = a, .rootfd = rootfd };
	struct e4_err serr = { 0 };
	bool overlap = false;
	pthread_t tid;
	int ret;

	if (!a->o->samples_first)
		overlap = !e4_walk_thread_start(&tid, walk_thread, &w);
	ret = take_samples(a, &serr);
	if (overlap)
		pthread_join(tid, NULL);
	else if (!ret)
		walk_thread(&w);
	if (w.ret)
		return w.ret;
	if (ret && a->err)
		*a->err = serr;
	return ret;
}

static int audit_fs(struct audit *a, const struct e4_target *t, int rootfd)
{
	struct e4_da_report *r = a->r;
	struct statfs sfs;
	unsigned int i;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/reserved_clusters",
		 r->sysfs_name);
	e4_sysfs_read_u64(a->o->sysroot, path, &r->reserved_clusters);
	if (fstatfs(rootfd, &sfs))
		return e4_err_sys(a->err, -errno, "%s: statfs", r->mountpoint);
	r->statfs_free = (uint64_t)sfs.f_bfree * sfs.f_bsize / r->block_size;
	if (sfs.f_files >= sfs.f_ffree)
		a->total_estimate = sfs.f_files - sfs.f_ffree;
	read_device(a, t);

	ret = sample_and_walk(a, rootfd);
	if (ret)
		return ret;
	/* One more after the walk: a counter that moved meanwhile is not
	 * comparable with the sum of what the walk saw. */
	ret = sample(a, &r->samples[r->nsamples], a->err);
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

	ret = sample(a, &r->live_counter, a->err);
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
	ret = e4_da_workers_new(&a);
	if (ret) {
		ret = e4_err_sys(err, ret, "%s", e4_target_name(t));
		goto out_close;
	}
	ret = quiesce_and_audit(&a, t, rootfd);
	tret = e4_da_gather(&a);
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
