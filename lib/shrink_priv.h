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
 * The extent trees of extent-mapped files that may have blocks moved
 * (lib/shrink_extent.c): each file's leaf extents in logical order and
 * the shape of its tree, level by level from the leaves up, the root in
 * the inode last.
 */
struct shrink_ext {
	blk64_t lblk, pblk;
	uint32_t len;
	bool uninit;
};

struct shrink_node {
	uint16_t entries, max;
};

struct shrink_ext_file {
	ext2_ino_t ino;
	size_t ext, next;		/* extents ext..ext+next-1 */
	size_t node, nnodes;		/* nodes, leaves first, root last */
	unsigned int depth;
};

struct shrink_ext_facts {
	struct shrink_ext *ext;
	size_t next, ecap;
	struct shrink_node *node;
	size_t nnodes, ncap;
	struct shrink_ext_file *file;
	size_t nfiles, fcap;
};

struct shrink_facts {
	ext2_filsys fs;
	/* Every group's metadata as it is now, and the resize inode's block. */
	ext2fs_block_bitmap meta;
	/* In use and not metadata: what moves when it lies beyond the end. */
	ext2fs_block_bitmap data;
	blk64_t resize_dind;
	bool owns_block_map;		/* bitmaps read here, freed by put */
	struct shrink_ext_facts ext;
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
	uint64_t relocated;		/* kept groups' metadata moved before the end (blocks; no bigalloc) */
	uint64_t extent_blocks;		/* extent tree blocks the remapping allocates */
	uint64_t inodes_to_move, free_inodes;
	/* The layout after: meta_bg, sparse_super2 backups. */
	bool meta_bg;
	uint32_t first_meta_bg;
	uint32_t backup_bgs[2];
	bool backup_lost;		/* no kept group can take the second */
	/*
	 * Blocks of a kept group that become its new backup's superblock
	 * and descriptors: emptied by the mover, metadata from the commit.
	 */
	blk64_t gain_blk;
	uint64_t gain_len;
	unsigned int gain_groups;
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

/*
 * The layout after (lib/shrink_layout.c): fills c's meta_bg,
 * first_meta_bg, backup_bgs and gain from c->blocks, groups, desc_blocks
 * and reserved_gdt.
 */
void e4_shrink_layout(const struct shrink_facts *f, struct shrink_calc *c);

/* Blocks of the superblock copy and descriptors of a kept group, after. */
uint64_t e4_shrink_sb_blocks(ext2_filsys fs, const struct shrink_calc *c,
			     dgrp_t group);
/* The same, now. */
uint64_t e4_shrink_old_sb_blocks(ext2_filsys fs, dgrp_t group);

/* Whether blk is one of the blocks a kept group's new backup takes. */
bool e4_shrink_in_gain(const struct shrink_calc *c, blk64_t blk);

/*
 * Call fn for each range of blocks before the new end that holds metadata
 * the new geometry drops: removed groups' bitmaps and inode tables placed
 * in kept groups, descriptor and reserved GDT blocks no longer needed.
 */
void e4_shrink_dropped(ext2_filsys fs, const struct shrink_calc *c,
		       void (*fn)(blk64_t blk, uint64_t len, void *arg),
		       void *arg);

/* A piece of a kept group's metadata that lies (partly) past the new end. */
enum shrink_meta_kind {
	SHRINK_BLOCK_BITMAP,
	SHRINK_INODE_BITMAP,
	SHRINK_INODE_TABLE,
};

struct shrink_reloc {
	dgrp_t group;
	enum shrink_meta_kind kind;
	blk64_t from, to;
	uint64_t len;
};

struct shrink_relocs {
	struct shrink_reloc *v;
	size_t n, cap;
	uint64_t blocks;		/* the destinations' blocks */
	uint64_t freed;			/* old blocks before the end freed */
};

/*
 * Where each piece of the kept groups' metadata at or past c->blocks goes
 * (lib/shrink_reloc.c): blocks before the end free in the old geometry,
 * an inode table in one run.  0, or -ENOSPC / -ENOMEM with the reason in
 * why.  The plan and the engine call it on the same bitmaps, so they get
 * the same places.  Free rl with e4_shrink_relocs_free, also on error.
 */
int e4_shrink_place_meta(const struct shrink_facts *f,
			 const struct shrink_calc *c,
			 struct shrink_relocs *rl, char *why, size_t whylen);
void e4_shrink_relocs_free(struct shrink_relocs *rl);

/*
 * Call fn for each range of blocks the new geometry keeps as metadata:
 * kept groups' superblock copies, descriptors, reserved GDT blocks,
 * bitmaps and inode tables.  Under bigalloc a cluster may hold both
 * dropped and kept metadata (flex_bg packs bitmaps); it stays in use.
 */
void e4_shrink_kept(ext2_filsys fs, const struct shrink_calc *c,
		    void (*fn)(blk64_t blk, uint64_t len, void *arg),
		    void *arg);

/* Blocks src..src+len-1 move to dst..dst+len-1. */
struct shrink_blkrun {
	blk64_t src, dst, len;
};

/* Runs sorted by src (lib/shrink_dest.c). */
struct shrink_runs {
	struct shrink_blkrun *v;
	size_t n, cap;
};

int e4_shrink_runs_add(struct shrink_runs *rs, blk64_t src, blk64_t dst,
		       blk64_t len);
/* Where blk goes, or 0 when it does not move. */
blk64_t e4_shrink_runs_find(const struct shrink_runs *rs, blk64_t blk);
void e4_shrink_runs_free(struct shrink_runs *rs);

/*
 * The mover's choice of destinations, in one place (lib/shrink_dest.c):
 * the blocks of a new backup are taken first, then every data cluster in
 * them and past c->blocks, in order, goes to the first cluster free in bm
 * from a cursor that only moves forward.  bm is the block bitmap with the
 * relocated metadata's destinations taken (the engine's own; the plan's
 * copy); each destination is marked in it and handed to fn.  -ENOSPC
 * with *blk the block that found no room, or fn's error.
 */
int e4_shrink_dest(const struct shrink_facts *f, const struct shrink_calc *c,
		   ext2fs_block_bitmap bm,
		   int (*fn)(blk64_t src, blk64_t dst, blk64_t len, void *arg),
		   void *arg, blk64_t *blk);

/*
 * The extent trees (lib/shrink_extent.c): e4_shrink_ext_get reads every
 * extent-mapped file with a block at or past first (-EUCLEAN naming the
 * inode when a tree cannot be read); e4_shrink_ext_blocks counts the
 * tree blocks libext2fs allocates when the mover remaps those files'
 * blocks by rs, block by block in logical order.
 */
int e4_shrink_ext_get(ext2_filsys fs, blk64_t first,
		      struct shrink_ext_facts *x, struct e4_err *err);
void e4_shrink_ext_put(struct shrink_ext_facts *x);
int e4_shrink_ext_blocks(ext2_filsys fs, const struct shrink_ext_facts *x,
			 const struct shrink_runs *rs, uint64_t *blocks);

/* Blocks set in bitmap between first and last (inclusive). */
uint64_t e4_shrink_count_set(ext2fs_generic_bitmap bm, uint64_t first,
			     uint64_t last, bool inodes);

/* Clusters set in a block bitmap over the clusters of blocks first..last. */
uint64_t e4_shrink_count_clusters(ext2_filsys fs, ext2fs_block_bitmap bm,
				  blk64_t first, blk64_t last);

#endif
