/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_SHRINK_PRIV_H
#define E4_SHRINK_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "e4/err.h"

/*
 * What the shrink plan and engine share: the facts gathered once from the
 * opened filesystem, and the geometry and counts for one candidate size.
 */

/*
 * Blocks kept free for extent tree growth while extents are split by the
 * mover (a leaf that is full when one extent becomes two needs a block).
 */
#define E4_SHRINK_EXTENT_SLACK 16

struct shrink_facts {
	ext2_filsys fs;
	/* Every group's metadata as it is now, and the resize inode's block. */
	ext2fs_block_bitmap meta;
	/* In use and not metadata: what moves when it lies beyond the end. */
	ext2fs_block_bitmap data;
	blk64_t resize_dind;
	bool owns_block_map;		/* bitmaps read here, freed by put */
};

struct shrink_calc {
	uint64_t blocks;
	dgrp_t groups;
	uint64_t desc_blocks;
	uint32_t reserved_gdt;
	uint64_t inodes;
	/* Counted in clusters (blocks when there is no bigalloc). */
	uint64_t to_move;		/* data clusters at or past the end */
	uint64_t pool;			/* clusters before the end free now */
	uint64_t dropped;		/* metadata clusters before the end freed at the commit */
	uint64_t inodes_to_move, free_inodes;
	int code;			/* 0: possible, else -errno */
	char why[256];
};

int e4_shrink_facts_get(ext2_filsys fs, struct shrink_facts *f,
			struct e4_err *err);
void e4_shrink_facts_put(struct shrink_facts *f);

/* The feature the engine does not handle, by name, or NULL. */
const char *e4_shrink_unsupported(ext2_filsys fs);

/* The plan's arithmetic for new_blocks; c->code says whether it works. */
void e4_shrink_calc(const struct shrink_facts *f, uint64_t new_blocks,
		    struct shrink_calc *c);

/* The smallest block count e4_shrink_calc accepts; 0 when none does. */
uint64_t e4_shrink_calc_minimum(const struct shrink_facts *f);

/* Blocks of the superblock copy and descriptors of a kept group, after. */
uint64_t e4_shrink_sb_blocks(ext2_filsys fs, const struct shrink_calc *c,
			     dgrp_t group);

/*
 * Call fn for each range of blocks before the new end that holds metadata
 * the new geometry drops: removed groups' bitmaps and inode tables placed
 * in kept groups, descriptor and reserved GDT blocks no longer needed.
 */
void e4_shrink_dropped(ext2_filsys fs, const struct shrink_calc *c,
		       void (*fn)(blk64_t blk, uint64_t len, void *arg),
		       void *arg);

/*
 * Call fn for each range of blocks the new geometry keeps as metadata:
 * kept groups' superblock copies, descriptors, reserved GDT blocks,
 * bitmaps and inode tables.  Under bigalloc a cluster may hold both
 * dropped and kept metadata (flex_bg packs bitmaps); it stays in use.
 */
void e4_shrink_kept(ext2_filsys fs, const struct shrink_calc *c,
		    void (*fn)(blk64_t blk, uint64_t len, void *arg),
		    void *arg);

/* Blocks set in bitmap between first and last (inclusive). */
uint64_t e4_shrink_count_set(ext2fs_generic_bitmap bm, uint64_t first,
			     uint64_t last, bool inodes);

/* Clusters set in a block bitmap over the clusters of blocks first..last. */
uint64_t e4_shrink_count_clusters(ext2_filsys fs, ext2fs_block_bitmap bm,
				  blk64_t first, blk64_t last);

#endif
