// SPDX-License-Identifier: GPL-2.0
/*
 * The resize inode (inode 7) after a grow or a shrink.  Its double
 * indirect block lists the reserved GDT blocks that follow the primary
 * descriptors; each of those, read as an indirect block, lists its
 * copies in the groups that hold a backup superblock.  A resize changes
 * both lists: descriptor blocks are taken from the reserve (grow) or
 * given back to it (shrink), and backup groups come or go.
 *
 * Rebuilt for the geometry now in fs, writing only what changes: a
 * block that was reserved before and already lists exactly the backups
 * of the groups now in the filesystem is left as it is.  A shrink trims
 * the lists before its transaction (e4_resize_inode_trim), so that the
 * transaction holds the double indirect block and the blocks newly given
 * to the reserve, not the whole reserve (up to 1024 blocks) twice.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "resize_priv.h"

struct rsv {
	ext2_filsys fs;
	__u32 *old_dind;		/* as on disk */
	__u32 *dind;			/* as it must be */
	__u32 *ind;			/* one reserved block, as on disk */
	__u32 *want;			/* the same, as it must be */
	unsigned int apb;		/* entries per block */
	unsigned int nbackups;		/* groups holding a backup */
};

static bool was_reserved(const struct rsv *x, blk_t blk)
{
	unsigned int i;

	for (i = 0; i < x->apb; i++)
		if (x->old_dind[i] == blk)
			return true;
	return false;
}

/* Backup groups below groups: the first entries of every list. */
static unsigned int backups_below(ext2_filsys fs, dgrp_t groups)
{
	unsigned int n = 0;
	dgrp_t g;

	for (g = 1; g < groups; g++)
		n += ext2fs_bg_has_super(fs, g);
	return n;
}

/*
 * What reserved block blk must list: its copies in the backup groups, in
 * order, and nothing else (e2fsck takes an entry past the last group for
 * an illegal block of the inode).
 */
static void set_backups(const struct rsv *x, blk_t blk)
{
	ext2_filsys fs = x->fs;
	unsigned int n = 0;
	dgrp_t g;

	memset(x->want, 0, fs->blocksize);
	for (g = 1; g < fs->group_desc_count; g++)
		if (ext2fs_bg_has_super(fs, g))
			x->want[n++] = blk + EXT2_GROUPS_TO_BLOCKS(fs->super, g);
}

/* One reserved GDT block: its backups, written when they change. */
static errcode_t update_reserved(struct rsv *x, blk_t blk)
{
	errcode_t ret;

	set_backups(x, blk);
	if (was_reserved(x, blk)) {
		ret = ext2fs_read_ind_block(x->fs, blk, x->ind);
		if (ret || !memcmp(x->ind, x->want, x->fs->blocksize))
			return ret;
	}
	return ext2fs_write_ind_block(x->fs, blk, x->want);
}

static errcode_t rebuild(struct rsv *x, struct ext2_inode *inode)
{
	ext2_filsys fs = x->fs;
	struct ext2_super_block *sb = fs->super;
	blk_t dind = inode->i_block[EXT2_DIND_BLOCK];
	blk64_t super, desc;
	blk_t blk;
	unsigned int i;
	errcode_t ret;

	ret = ext2fs_read_ind_block(fs, dind, x->old_dind);
	if (ret)
		return ret;
	ext2fs_super_and_bgd_loc2(fs, 0, &super, &desc, NULL, NULL);
	memset(x->dind, 0, fs->blocksize);
	for (i = 0; i < sb->s_reserved_gdt_blocks; i++) {
		blk = desc + fs->desc_blocks + i;
		x->dind[(fs->desc_blocks + i) % x->apb] = blk;
		ret = update_reserved(x, blk);
		if (ret)
			return ret;
	}
	if (memcmp(x->dind, x->old_dind, fs->blocksize)) {
		ret = ext2fs_write_ind_block(fs, dind, x->dind);
		if (ret)
			return ret;
	}
	/* The double indirect block, the reserve and its copies. */
	return ext2fs_iblk_set(fs, inode, 1 + (blk64_t)sb->s_reserved_gdt_blocks *
			       (1 + x->nbackups));
}

int e4_resize_inode_rebuild(ext2_filsys fs, const char *name,
			    struct e4_err *err)
{
	struct rsv x = { .fs = fs, .apb = EXT2_ADDR_PER_BLOCK(fs->super) };
	struct ext2_inode inode, before;
	errcode_t ret;

	if (!ext2fs_has_feature_resize_inode(fs->super))
		return 0;
	ret = ext2fs_read_inode(fs, EXT2_RESIZE_INO, &inode);
	if (ret)
		goto fail;
	if (!inode.i_block[EXT2_DIND_BLOCK])
		return e4_err_set(err, -EUCLEAN,
				  "%s: the resize inode has no double-indirect block; run e2fsck",
				  name);
	x.nbackups = backups_below(fs, fs->group_desc_count);
	if (x.nbackups > x.apb)
		return e4_err_set(err, -EFBIG,
				  "%s: %u backup groups do not fit in the resize inode's blocks",
				  name, x.nbackups);
	ret = ext2fs_get_array(4, fs->blocksize, &x.old_dind);
	if (ret)
		goto fail;
	x.dind = (__u32 *)((char *)x.old_dind + fs->blocksize);
	x.ind = (__u32 *)((char *)x.dind + fs->blocksize);
	x.want = (__u32 *)((char *)x.ind + fs->blocksize);
	before = inode;
	ret = rebuild(&x, &inode);
	if (!ret && memcmp(&before, &inode, sizeof(inode)))
		ret = ext2fs_write_inode(fs, EXT2_RESIZE_INO, &inode);
	ext2fs_free_mem(&x.old_dind);
	if (!ret)
		return 0;
fail:
	return e4_err_ext2(err, ret, "%s: while updating the resize inode", name);
}

int e4_resize_inode_trim(ext2_filsys fs, dgrp_t groups, uint64_t desc_blocks,
			 uint32_t reserved, const char *name, struct e4_err *err)
{
	struct ext2_super_block *sb = fs->super;
	blk64_t super, desc, lo, hi, blk;
	unsigned int keep, i;
	__u32 *ind;
	bool dirty;
	errcode_t ret;

	/* sparse_super2 moves its second backup: the lists change whole. */
	if (!ext2fs_has_feature_resize_inode(sb) ||
	    ext2fs_has_feature_sparse_super2(sb))
		return 0;
	keep = backups_below(fs, groups);
	ext2fs_super_and_bgd_loc2(fs, 0, &super, &desc, NULL, NULL);
	/* The blocks reserved now that stay reserved. */
	lo = desc + (desc_blocks > fs->desc_blocks ? desc_blocks : fs->desc_blocks);
	hi = desc + fs->desc_blocks + sb->s_reserved_gdt_blocks;
	if (desc + desc_blocks + reserved < hi)
		hi = desc + desc_blocks + reserved;
	ret = ext2fs_get_mem(fs->blocksize, &ind);
	if (ret)
		goto fail;
	for (blk = lo; blk < hi && !ret; blk++) {
		ret = ext2fs_read_ind_block(fs, blk, ind);
		dirty = false;
		for (i = keep; !ret && i < EXT2_ADDR_PER_BLOCK(sb); i++) {
			dirty |= ind[i] != 0;
			ind[i] = 0;
		}
		if (!ret && dirty)
			ret = ext2fs_write_ind_block(fs, blk, ind);
	}
	ext2fs_free_mem(&ind);
	if (!ret)
		return 0;
fail:
	return e4_err_ext2(err, ret, "%s: while trimming the resize inode's backup lists",
			   name);
}
