/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_DELALLOC_H
#define E4_DELALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/fiemap.h>

#include "e4/err.h"
#include "e4/job.h"
#include "e4/target.h"

/*
 * Auditing the delayed-allocation reservations of a mounted ext4: the
 * per-filesystem counter (/sys/fs/ext4/<dev>/delayed_allocation_blocks)
 * against what the files hold (FIEMAP_EXTENT_DELALLOC ranges, dirty and
 * writeback pages from cachestat(2)).  A reservation that outlives every
 * delayed extent and dirty page never drains and shows as used space in
 * df; this finds it.  The audit only reads: syncfs and FIFREEZE aside, it
 * writes nothing to the filesystem.
 */

#define E4_DA_MAX_SAMPLES 16

enum e4_da_quiesce {
	E4_DA_LIVE,		/* no quiescing: nothing can be judged */
	E4_DA_SYNC,		/* syncfs before the walk */
	E4_DA_FREEZE,		/* FIFREEZE for the samples and the walk */
};

struct e4_da_opts {
	const char *sysroot;		/* prefix for /sys (NULL: real) */
	const char *const *paths;	/* audit only these (NULL: whole fs) */
	size_t npaths;
	enum e4_da_quiesce quiesce;
	unsigned int samples;		/* counter samples while walking */
	unsigned int interval_ms;	/* between those samples */
	unsigned int freeze_timeout_ms;	/* hard bound on the frozen time */
	bool all_files;			/* keep files that hold nothing too */
	/* The samples before the walk, not beside it (test hook). */
	bool samples_first;
	/* Called once the filesystem is frozen (test hook; may be NULL). */
	void (*frozen)(void *arg);
	void *frozen_arg;
	const struct e4_job *job;	/* progress over files, cancellation */
};

struct e4_da_file {
	char *path;
	uint64_t ino;
	uint64_t size;			/* bytes */
	uint64_t delalloc_blocks;	/* FIEMAP_EXTENT_DELALLOC, fs blocks */
	uint64_t reserved_blocks;	/* clusters those need, in blocks */
	uint64_t dirty_pages;
	uint64_t writeback_pages;
	bool pages_known;		/* cachestat answered for this file */
	bool stale;			/* finding: delalloc with nothing dirty */
};

enum e4_da_finding_kind {
	E4_DA_LEAK,		/* counter > 0, stable, nothing holds it */
	E4_DA_STALE,		/* a file's delalloc extent with no dirty page */
	E4_DA_MISMATCH,		/* counter != file sum while quiesced */
};

struct e4_da_finding {
	enum e4_da_finding_kind kind;
	const char *path;		/* the file (STALE), else NULL */
	uint64_t ino;
	int64_t blocks;			/* leaked / stale / counter - sum */
	char msg[160];			/* "leaked reservation: 12 blocks" */
};

struct e4_da_report {
	char mountpoint[4096];
	char sysfs_name[64];		/* loop0, dm-0, nvme0n1p1 */
	dev_t devno;
	uint32_t block_size;
	uint32_t cluster_ratio;		/* blocks per cluster (1: no bigalloc) */
	enum e4_da_quiesce quiesce;
	bool quiesced;			/* synced or frozen (not expired) */
	bool partial;			/* only some PATHs were walked */
	bool subtree;			/* the mount shows a subdirectory only */

	/* delayed_allocation_blocks: samples from the walk's start (taken
	 * while it runs) and one after it */
	uint64_t samples[E4_DA_MAX_SAMPLES];
	unsigned int nsamples;
	bool stable;			/* every sample equal */
	uint64_t counter;		/* blocks (the kernel converts clusters) */
	uint64_t reserved_clusters;	/* the separate reserve pool, clusters */

	uint64_t file_sum;		/* reserved_blocks over all files */
	uint64_t delalloc_sum;		/* delalloc_blocks over all files */
	int64_t difference;		/* counter - file_sum */
	uint64_t files_scanned;
	uint64_t files_skipped;		/* vanished or unreadable: no verdict */
	uint64_t files_holding;		/* with delalloc or dirty/wb pages */
	uint64_t live_counter;		/* one sample before syncfs/freeze */

	bool cachestat;			/* the kernel has cachestat(2) */
	uint64_t statfs_free;		/* f_bfree, blocks: dirty excluded */
	bool disk_known;		/* the device could be read */
	uint64_t disk_free;		/* group descriptors, blocks */
	uint64_t sb_free;		/* superblock counter, blocks */

	struct e4_da_file *files;
	size_t nfiles;
	struct e4_da_finding *findings;
	size_t nfindings;
};

/*
 * Audit the mounted filesystem t (TARGET resolved by e4_target_resolve).
 * On success *out is a report to free with e4_da_report_free, findings
 * included (the caller decides the exit code).  Errors: -ENOTCONN when t
 * is not mounted, -ENOENT when the kernel has no ext4 sysfs directory for
 * it, -EINTR when job->cancel was set (the filesystem is thawed first),
 * -ETIMEDOUT when a freeze expired before the audit was done.
 */
int e4_da_audit(const struct e4_target *t, const struct e4_da_opts *opts,
		struct e4_da_report **out, struct e4_err *err);
void e4_da_report_free(struct e4_da_report *r);

/*
 * The kernel's name for the block device devno, as in /sys/fs/ext4/<name>
 * (sb->s_id): the name of /sys/dev/block/MAJ:MIN's target, read under
 * sysroot.  0 or -errno.
 */
int e4_da_sysfs_name(const char *sysroot, dev_t devno, char *buf, size_t len,
		     struct e4_err *err);

/*
 * Fold one batch of FIEMAP extents (sorted by fe_logical) into a file's
 * counts: delayed blocks, and the clusters they need reserved (a cluster
 * that already holds an allocated block needs none).  *state carries the
 * boundary cluster between batches; start it at E4_DA_FOLD_INIT.
 */
struct e4_da_fold {
	uint64_t last_da;	/* last cluster counted, or UINT64_MAX */
	uint64_t last_mapped;	/* last cluster holding mapped blocks */
	uint64_t delalloc_blocks;
	uint64_t clusters;
};
#define E4_DA_FOLD_INIT { UINT64_MAX, UINT64_MAX, 0, 0 }
void e4_da_fold_extents(struct e4_da_fold *st,
			const struct fiemap_extent *ext, unsigned int n,
			unsigned int blkbits, unsigned int clusterbits);

/* Decide the findings of a report whose counts are filled (pure). */
int e4_da_judge(struct e4_da_report *r, struct e4_err *err);

#endif
