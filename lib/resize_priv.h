/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_RESIZE_PRIV_H
#define E4_RESIZE_PRIV_H

/*
 * Between the resize files of lib/ only: the plan's pieces that the
 * online engine and the explanation of a failed ioctl use again.
 */
#include "e4/resize.h"

/* Add a refusal (as far as there is room): the one place that does. */
void e4_resize_refuse(struct e4_resize_plan *plan, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The refusals that depend on the process and the mount, not the size. */
void e4_resize_state_refusals(const struct e4_resize_facts *f,
			      struct e4_resize_plan *plan);
/*
 * Mark an online plan legacy and add the refusals of GROUP_EXTEND +
 * GROUP_ADD; plan's old and new geometry must be filled.
 */
void e4_resize_legacy_refusals(const struct e4_geom *g,
			       struct e4_resize_plan *plan);
/*
 * Offline engines (grow and shrink): write the primary superblock alone
 * (the "resize in progress" mark), bypassing ext2fs_flush, and keep
 * fs->orig_super in step with it.
 */
errcode_t e4_resize_write_primary_super(ext2_filsys fs,
					const struct ext2_super_block *sb);
/*
 * The end of an offline resize: bitmaps, descriptors and backups, then the
 * primary superblock, whole, with state (the mark cleared); on failure
 * the superblock in memory keeps EXT2_ERROR_FS.
 */
int e4_resize_write_all(ext2_filsys fs, const char *name, __u16 state,
			struct e4_err *err);

/*
 * Offline engines (grow and shrink): rebuild the resize inode for the
 * group count now in fs; 0 when the filesystem has none.
 */
int e4_resize_inode_rebuild(ext2_filsys fs, const char *name,
			    struct e4_err *err);
/*
 * Shrink, before its transaction: the reserved GDT blocks that stay
 * reserved in the geometry of groups groups, desc_blocks descriptor
 * blocks and reserved reserved ones list only the backups of those
 * groups (a prefix of today's lists; not under sparse_super2, whose
 * lists change whole and are rebuilt in the transaction).  Until the
 * commit e2fsck finds the resize inode not valid and recreates it.
 */
int e4_resize_inode_trim(ext2_filsys fs, dgrp_t groups, uint64_t desc_blocks,
			 uint32_t reserved, const char *name, struct e4_err *err);
/* The filesystem's own last group is below the kernel's minimum. */
void e4_resize_small_last_group(const struct e4_geom *g, uint64_t target,
				struct e4_resize_plan *plan);
/* The size after the online step that starts at cur. */
uint64_t e4_resize_next_step(const struct e4_resize_plan *plan, uint32_t fdb,
			     uint64_t cur);

/* Facts of a mounted target (the live superblock, the process, sysfs). */
int e4_resize_facts_online(const struct e4_target *t, const char *sysroot,
			   struct e4_resize_facts *f, struct e4_err *err);
/* The live superblock through the page cache (see resize_facts.c). */
int e4_resize_live_open(const struct e4_target *t, ext2_filsys *out,
			struct e4_err *err);
int e4_resize_live_blocks(int devfd, uint64_t *blocks);

/* The state of an online run, shared with the explanation of a failure. */
struct e4_resize_online_run {
	const struct e4_target *t;
	const struct e4_resize_plan *plan;
	const struct e4_job *job;
	int mfd;		/* the mount point: where the ioctls go */
	int devfd;		/* the device, buffered: the live superblock */
	int kmsg;		/* /dev/kmsg from the start of the run, or -1 */
	uint64_t reached;	/* the kernel's block count, last read */
	uint64_t done;		/* what our own calls had grown it to */
};

/* The kernel log from now on, when this process may read it, or -1. */
int e4_resize_kmsg_open(void);
/* Why an ioctl failed (errno e), in the user's terms, into err. */
int e4_resize_explain(struct e4_resize_online_run *r, int e, const char *what,
		      uint64_t target, struct e4_err *err);

#endif
