/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CHECK_H
#define E4_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "e4/err.h"
#include "e4/fs.h"
#include "e4/job.h"

/*
 * A read-only audit of the summary counters, as e2fsck's pass 5 checks
 * them but without the inode scan: per group, the free bits of the block
 * and inode bitmaps against the descriptor's free counts, the descriptor
 * and bitmap checksums (metadata_csum), and the sums against the
 * superblock, and the superblock's own checksum.  The on-disk bitmaps are the reference ("expected"); the
 * descriptor or superblock value is what was "found".  Nothing is written.
 */

enum e4_check_what {
	E4_CHECK_FREE_BLOCKS,		/* descriptor free blocks (clusters) */
	E4_CHECK_FREE_INODES,		/* descriptor free inodes */
	E4_CHECK_DESC_CSUM,		/* descriptor checksum */
	E4_CHECK_BBITMAP_CSUM,		/* block bitmap checksum */
	E4_CHECK_IBITMAP_CSUM,		/* inode bitmap checksum */
	E4_CHECK_SB_FREE_BLOCKS,	/* superblock free blocks */
	E4_CHECK_SB_FREE_INODES,	/* superblock free inodes */
	E4_CHECK_SB_CSUM,		/* superblock checksum (metadata_csum) */
	E4_CHECK_IBITMAP_PADDING,	/* inode bitmap bytes past the inodes: 0xff */
};

#define E4_CHECK_SUPERBLOCK UINT32_MAX	/* group of a superblock finding */

struct e4_check_finding {
	uint32_t group;			/* or E4_CHECK_SUPERBLOCK */
	enum e4_check_what what;
	uint64_t expected;		/* from the bitmaps, or computed */
	uint64_t found;			/* as stored */
};

struct e4_check_result {
	uint32_t groups;		/* groups checked */
	uint64_t free_blocks;		/* counted in the bitmaps */
	uint64_t free_inodes;
	struct e4_check_finding *findings;	/* by group, then what */
	size_t nfindings;
};

/*
 * Audit fs with nthreads scanner workers (0: one per CPU), reporting
 * groups done through job's progress callback (called from the workers,
 * one at a time) and stopping when its cancel flag is set.  The group
 * descriptors and bitmaps are read from the device when called (with
 * O_DIRECT when fs was opened so, i.e. mounted), so freeze a mounted
 * filesystem before opening fs for a result that means something.
 * Returns 0 (findings or not), -EINTR when job's cancel flag stopped it,
 * or another -errno; res is filled on 0 only.
 */
int e4_check_run(struct e4_fs *fs, unsigned int nthreads,
		 const struct e4_job *job, struct e4_check_result *res,
		 struct e4_err *err);
void e4_check_result_free(struct e4_check_result *res);

/* "free_blocks", "desc_csum", ... */
const char *e4_check_what_name(enum e4_check_what what);

#endif
