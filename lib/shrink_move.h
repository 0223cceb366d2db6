/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_SHRINK_MOVE_H
#define E4_SHRINK_MOVE_H

#include <stdbool.h>
#include <stdint.h>

#include "e4/job.h"
#include "shrink_priv.h"

/*
 * The xattr entries naming an EA inode that the shrink renumbers, found
 * before the first write (lib/shrink_xattr.c), by their holders' old
 * numbers: inode bodies, and xattr blocks (each once).
 */
struct shrink_ea_refs {
	ext2_ino_t *inodes;
	size_t ninodes, icap;
	blk64_t *blocks;
	size_t nblocks, bcap;
	ext2fs_block_bitmap seen;	/* xattr blocks read */
	bool moves;			/* an EA inode is renumbered */
};

/* A moved block of a directory that is renumbered (its old number). */
struct shrink_dirblk {
	blk64_t src;
	ext2_ino_t ino;
};

/* The state of one shrink run, shared by lib/shrink.c and lib/shrink_move.c. */
struct shrink_run {
	ext2_filsys fs;
	const char *name;
	const struct e4_job *job;
	struct shrink_calc c;
	uint64_t old_blocks, old_inodes;
	dgrp_t old_groups;
	struct shrink_runs runs;	/* sorted by src */
	ext2_ino_t *ino_map;		/* old - c.inodes - 1 -> new, 0: none */
	__u16 *links;			/* the same index -> its link count, 0: linked */
	ext2fs_inode_bitmap renumbered;	/* the new numbers */
	ext2fs_block_bitmap rewritten;	/* moved xattr and directory blocks rewritten for their new owner */
	struct shrink_ea_refs ea;
	ext2_ino_t *dirs;
	size_t ndirs, dirs_cap;
	struct shrink_dirblk *dirblk;	/* sorted by src */
	size_t ndirblk, dirblk_cap;
	struct shrink_relocs rl;	/* kept groups' metadata that moves */
	uint64_t blocks_total, inodes_total, done;
	char *buf;			/* COPY_BATCH blocks */
	char *ibuf;			/* one full inode */
	ext2_ino_t cur_ino;
	__u32 now;			/* the copies' deletion time until linked */
	errcode_t ret;
	errcode_t (*old_alloc)(ext2_filsys, blk64_t, blk64_t *);
	uint64_t extent_allocs;		/* extent tree blocks allocated */
	bool strict;			/* E4_TEST_SHRINK_STRICT */
};

int e4_shrink_reserve(struct shrink_run *r, const struct shrink_facts *f,
		      struct e4_err *err);
blk64_t e4_shrink_map_block(const struct shrink_run *r, blk64_t blk);
ext2_ino_t e4_shrink_map_inode(const struct shrink_run *r, ext2_ino_t ino);
void e4_shrink_hook(struct shrink_run *r, bool on);
/*
 * Before the first write: everything the mover reads back or rewrites on
 * its way (inodes, block maps, directories, moved xattr blocks) read as it
 * will read it; damage is refused (-EUCLEAN, "unchanged", e2fsck named).
 */
int e4_shrink_verify(struct shrink_run *r, struct e4_err *err);
/*
 * Before the first write: where every inode of a removed group goes, past
 * a kept group's used mark while there is room (written whole: nothing
 * reads it before the commit moves the mark), else below it (written as
 * a deleted inode until e4_shrink_link_copies); and the moved blocks of
 * those that are directories.
 */
int e4_shrink_assign(struct shrink_run *r, struct e4_err *err);
/* Write the copies, after e4_shrink_copy. */
int e4_shrink_renumber(struct shrink_run *r, struct e4_err *err);
/* Give the copies their links back (in the commit's transaction). */
int e4_shrink_link_copies(struct shrink_run *r, struct e4_err *err);
/* Copy the moved blocks, but the renumbered directories' listed ones. */
int e4_shrink_copy(struct shrink_run *r, struct e4_err *err);
/* Those, for the new numbers, after e4_shrink_renumber. */
int e4_shrink_copy_dirs(struct shrink_run *r, struct e4_err *err);
int e4_shrink_fix_inodes(struct shrink_run *r, struct e4_err *err);
/* Kept groups' metadata past the end (lib/shrink_reloc.c). */
int e4_shrink_reloc_reserve(struct shrink_run *r, const struct shrink_facts *f,
			    struct e4_err *err);
int e4_shrink_reloc_copy(struct shrink_run *r, struct e4_err *err);
void e4_shrink_reloc_switch(struct shrink_run *r);
int e4_shrink_fix_dirents(struct shrink_run *r, struct e4_err *err);
/*
 * With ea_inode and inodes to renumber, before the first write: find the
 * entries naming an EA inode that moves; refuse (-EUCLEAN, -EOPNOTSUPP,
 * "unchanged") a reference e2fsck would not accept as it is, among those
 * in the removed groups' inodes and, when an EA inode moves, in all.
 */
int e4_shrink_ea_scan(struct shrink_run *r, struct e4_err *err);
/* Point those entries at the new numbers (in the commit's transaction). */
int e4_shrink_fix_ea_refs(struct shrink_run *r, struct e4_err *err);
void e4_shrink_ea_release(struct shrink_run *r);

#endif
