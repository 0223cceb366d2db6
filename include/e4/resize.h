/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_RESIZE_H
#define E4_RESIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "e4/err.h"
#include "e4/fs.h"
#include "e4/job.h"

/*
 * Growing a filesystem: SIZE parsing and the plan, shared by the online
 * path (lib/resize_online.c, the kernel's ioctls on a mounted filesystem)
 * and the offline path (lib/resize_offline.c, libext2fs on an unmounted
 * one).  A plan is computed before anything is written and lists every
 * reason the resize would be refused; an engine refuses a plan that has
 * any.
 */

/*
 * Parse SIZE as resize2fs does: a number with K/M/G/T (binary) or
 * KiB/MiB/GiB/TiB, "s" for 512-byte sectors, no suffix for filesystem
 * blocks; "+SIZE" grows by that much; "max" (or NULL) is the device size.
 * Garbage, overflow, zero and negative sizes are refused (-EINVAL, -ERANGE)
 * with a message quoting the argument.
 */
int e4_size_parse(const char *arg, uint32_t block_size, uint64_t cur_blocks,
		  uint64_t device_bytes, uint64_t *blocks, struct e4_err *err);

#define E4_PLAN_MAX_REFUSALS 8

struct e4_resize_plan {
	bool online;			/* kernel ioctls (mounted) or libext2fs */
	uint32_t block_size;
	uint64_t requested_blocks;	/* as parsed, before rounding */
	uint64_t old_blocks, new_blocks;
	bool rounded_to_cluster;	/* bigalloc: new_blocks rounded down */
	uint32_t old_groups, new_groups;
	uint64_t old_desc_blocks, new_desc_blocks;
	uint32_t reserved_gdt_blocks;
	bool reserved_gdt_covers;	/* growth fits the reserved GDT blocks */
	bool meta_bg_conversion;	/* converts to meta_bg (drops resize_inode) */
	uint64_t old_inodes, new_inodes;
	uint64_t device_size;		/* bytes */
	uint64_t step_blocks;		/* online: grow in steps of this (0: one) */
	uint32_t steps;
	int nrefusals;
	struct {
		int code;		/* -errno the kernel/engine would return */
		char msg[256];
	} refusals[E4_PLAN_MAX_REFUSALS];
	bool legacy;			/* online through GROUP_EXTEND/GROUP_ADD */
	/* Offline shrink (lib/shrink_plan.c); zero for a grow. */
	bool shrink;
	uint64_t min_blocks;		/* smallest reachable, 0: unknown */
	uint64_t blocks_to_move;	/* in use beyond the new end */
	uint64_t inodes_to_move;	/* in use in the groups removed */
	uint64_t free_blocks_after, free_inodes_after;
};

/* step_blocks for e4_resize_plan_online: steps when the growth is large. */
#define E4_RESIZE_STEP_AUTO UINT64_MAX

/* Plans; 0 even when the plan has refusals (they are in the plan). */
int e4_resize_plan_online(const struct e4_fs *fs, uint64_t new_blocks,
			  uint64_t step_blocks, const char *sysroot,
			  struct e4_resize_plan *plan, struct e4_err *err);
/*
 * Add the refusals of the pre-3.3 path (GROUP_EXTEND, then GROUP_ADD per
 * group) to an online plan and mark it legacy; the online engine falls
 * back to that path by itself when the kernel lacks RESIZE_FS.
 */
void e4_resize_plan_legacy(const struct e4_fs *fs,
			   struct e4_resize_plan *plan);
int e4_resize_plan_offline(const struct e4_fs *fs, uint64_t new_blocks,
			   struct e4_resize_plan *plan, struct e4_err *err);
/*
 * Add a refusal to an offline plan for every safety gate (lib/gate.c)
 * the filesystem fails; --force is the caller's reason not to call it.
 */
void e4_resize_plan_gates(const struct e4_fs *fs, struct e4_resize_plan *plan);

/*
 * Offline grow of an fs opened with E4_FS_WRITE (or made writable with
 * e4_fs_reopen_write once the plan and the gates passed, optionally with
 * an undo file).  Marks the filesystem "resize in progress" (error
 * state) first and clears it only on success.  job->cancel is honoured
 * at safe points: -EINTR with the filesystem consistent (either grown to
 * a group boundary that is recorded in the message, or untouched).
 */
int e4_resize_offline(struct e4_fs *fs, const struct e4_resize_plan *plan,
		      const struct e4_job *job, struct e4_err *err);

/*
 * Online grow of a mounted filesystem (fs from e4_fs_open, read-only) to
 * plan->new_blocks: EXT4_IOC_RESIZE_FS on the mount point, in the plan's
 * steps, falling back to the legacy ioctls on ENOTTY (or always, for a
 * legacy plan).  Refuses a plan with refusals.  job->cancel is checked
 * between steps, so a step is never left half-done: -EINTR, with the
 * filesystem consistent at *reached blocks.  A failed ioctl is explained
 * (missing capability, recorded errors, read-only mount, ...) in err.
 * *reached is the block count the kernel reports at the end, whatever
 * the outcome; job progress is (blocks added, blocks to add).
 */
int e4_resize_online(const struct e4_fs *fs, const struct e4_resize_plan *plan,
		     const struct e4_job *job, uint64_t *reached,
		     struct e4_err *err);

/* The block count of a mounted filesystem as the kernel has it now. */
int e4_resize_live_blocks(const struct e4_target *t, uint64_t *blocks,
			  struct e4_err *err);

/*
 * What to do when the device looks smaller than wanted: for a loop device
 * whose backing file is larger, `losetup -c`; for device-mapper, that the
 * kernel may not see an lvextend yet.  Empty when there is nothing to add.
 */
void e4_resize_device_hint(const struct e4_target *t, char *buf, size_t len);

#endif
