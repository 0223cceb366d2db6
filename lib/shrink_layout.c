// SPDX-License-Identifier: GPL-2.0
/*
 * The superblock and descriptor layout of a shrunk filesystem: where the
 * backups go (sparse_super2 keeps two, the second in the last group),
 * whether meta_bg stays (a filesystem left with fewer descriptor blocks
 * than s_first_meta_bg no longer has a meta_bg part), and how many blocks
 * each kept group's superblock copy and descriptors take before and
 * after.  A kept group that gains a backup needs blocks that are free in
 * the old geometry only if the mover empties them first: the plan counts
 * their data as blocks to move, and they are metadata only in the commit.
 */
#include "e4/geom.h"
#include "shrink_priv.h"

/* Whether group holds a superblock copy in the new geometry. */
static bool new_has_super(ext2_filsys fs, const struct shrink_calc *c,
			  dgrp_t group)
{
	if (!ext2fs_has_feature_sparse_super2(fs->super))
		return ext2fs_bg_has_super(fs, group);
	return group == 0 || group == c->backup_bgs[0] ||
	       group == c->backup_bgs[1];
}

uint64_t e4_shrink_sb_blocks(ext2_filsys fs, const struct shrink_calc *c,
			     dgrp_t group)
{
	struct e4_geom g;
	struct e4_geom_gdt d = {
		.meta_bg = c->meta_bg,
		.first_meta_bg = c->first_meta_bg,
		.gdb = c->desc_blocks,
		.reserved = c->reserved_gdt,
	};

	e4_geom_from_fs(fs, &g);
	return e4_geom_group_overhead(&g, &d, group,
				      new_has_super(fs, c, group));
}

uint64_t e4_shrink_old_sb_blocks(ext2_filsys fs, dgrp_t group)
{
	blk64_t super, old_desc, new_desc;
	blk_t used = 0;

	ext2fs_super_and_bgd_loc2(fs, group, &super, &old_desc, &new_desc,
				  &used);
	return used;
}

/*
 * The blocks of group's new superblock copy and descriptors that are not
 * metadata now; 0 when it gains none.
 */
static uint64_t gained(ext2_filsys fs, const struct shrink_calc *c,
		       dgrp_t group, blk64_t *first)
{
	uint64_t now = e4_shrink_old_sb_blocks(fs, group);
	uint64_t after = e4_shrink_sb_blocks(fs, c, group);

	*first = ext2fs_group_first_block2(fs, group) + now;
	return after > now ? after - now : 0;
}

/*
 * A group can take a new backup when nothing but data lies where it
 * goes: no group's bitmaps or inode table (e4ctl does not relocate them),
 * no resize inode or MMP block, and all of it before the new end.
 */
static bool can_take_backup(const struct shrink_facts *f,
			    struct shrink_calc *c, dgrp_t group)
{
	ext2_filsys fs = f->fs;
	uint32_t saved = c->backup_bgs[1];
	blk64_t first, last, hit;
	uint64_t len;
	bool ok = true;

	c->backup_bgs[1] = group;
	len = gained(fs, c, group, &first);
	c->backup_bgs[1] = saved;
	if (!len)
		return true;
	last = first + len - 1;
	if (last >= c->blocks)
		return false;
	if (!ext2fs_find_first_set_block_bitmap2(f->meta, first, last, &hit))
		ok = false;
	if (ext2fs_has_feature_mmp(fs->super) &&
	    fs->super->s_mmp_block >= first && fs->super->s_mmp_block <= last)
		ok = false;
	return ok;
}

/*
 * sparse_super2: a backup in a removed group goes away; when the second
 * backup was in the old last group it follows the new last group, as
 * resize2fs does, unless that group's start holds metadata e4ctl cannot
 * move (flex_bg packs bitmaps and inode tables at the start of a flex
 * group): then the nearest group below it that can take it does.  When
 * no group can (without flex_bg every group starts with its own bitmaps),
 * backup_lost says so.
 */
static void sparse_super2_backups(const struct shrink_facts *f,
				  struct shrink_calc *c)
{
	struct ext2_super_block *sb = f->fs->super;
	dgrp_t last = c->groups - 1, g;

	c->backup_bgs[0] = sb->s_backup_bgs[0] > last ? 0 : sb->s_backup_bgs[0];
	c->backup_bgs[1] = sb->s_backup_bgs[1] > last ? 0 : sb->s_backup_bgs[1];
	if (last <= 1 || sb->s_backup_bgs[1] != f->fs->group_desc_count - 1 ||
	    c->backup_bgs[1])
		return;
	for (g = last; g > 1 && g > c->backup_bgs[0]; g--) {
		if (can_take_backup(f, c, g)) {
			c->backup_bgs[1] = g;
			return;
		}
	}
	/* Fewer backups than before: the plan refuses. */
	c->backup_lost = true;
}

void e4_shrink_layout(const struct shrink_facts *f, struct shrink_calc *c)
{
	ext2_filsys fs = f->fs;
	struct ext2_super_block *sb = fs->super;
	dgrp_t g;

	c->meta_bg = ext2fs_has_feature_meta_bg(sb);
	c->first_meta_bg = c->meta_bg ? sb->s_first_meta_bg : 0;
	/* No descriptor block left in the meta_bg part: as resize2fs. */
	if (c->meta_bg && c->first_meta_bg > c->desc_blocks) {
		c->meta_bg = false;
		c->first_meta_bg = 0;
	}
	c->gain_blk = 0;
	c->gain_len = 0;
	c->gain_groups = 0;
	c->backup_lost = false;
	if (!ext2fs_has_feature_sparse_super2(sb))
		return;
	sparse_super2_backups(f, c);
	for (g = 0; g < c->groups; g++) {
		blk64_t first;
		uint64_t len = gained(fs, c, g, &first);

		if (len) {
			c->gain_blk = first;
			c->gain_len = len;
			c->gain_groups++;
		}
	}
}

bool e4_shrink_in_gain(const struct shrink_calc *c, blk64_t blk)
{
	return blk >= c->gain_blk && blk - c->gain_blk < c->gain_len;
}
