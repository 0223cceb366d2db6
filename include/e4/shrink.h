/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_SHRINK_H
#define E4_SHRINK_H

#include <stdint.h>

#include "e4/err.h"
#include "e4/fs.h"
#include "e4/job.h"
#include "e4/resize.h"

/*
 * Shrinking an unmounted filesystem through libext2fs.  The plan
 * (lib/shrink_plan.c) is a pure function of the opened filesystem and the
 * block count asked for: it counts the blocks that lie beyond the new end
 * and the free blocks that can take them, the inodes of the groups that go
 * away and the free inodes of the groups that stay, and refuses by name
 * whatever the engine does not handle.  The minimum is the smallest block
 * count that plan accepts, found by running the plan itself.  The engine
 * (lib/shrink.c, lib/shrink_move.c) moves blocks and inodes and rewrites
 * every reference to them.
 */

/*
 * Fill the shrink part of an offline plan for new_blocks (below the
 * current count): counts, min_blocks, refusals.  0 even when refused.
 */
int e4_shrink_plan(const struct e4_fs *fs, uint64_t new_blocks,
		   struct e4_resize_plan *plan, struct e4_err *err);

/*
 * The smallest block count the filesystem can be shrunk to.  When even
 * the current size cannot be planned (a feature not handled), -EOPNOTSUPP
 * with the reason in err.  Reads the bitmaps; writes nothing.
 */
int e4_shrink_minimum(const struct e4_fs *fs, uint64_t *min_blocks,
		      struct e4_err *err);

/*
 * Carry out a shrink plan on an fs made writable (e4_fs_reopen_write).
 * Marks the filesystem "resize in progress" (error state) until the
 * superblock is written last.  job->cancel is honoured before anything
 * is written (-EINTR, unchanged); a stop asked for once blocks started
 * moving is honoured after the run completes (-EINTR, message saying the
 * shrink was completed).  Progress is (blocks + inodes moved, total).
 */
int e4_shrink_run(struct e4_fs *fs, const struct e4_resize_plan *plan,
		  const struct e4_job *job, struct e4_err *err);

#endif
