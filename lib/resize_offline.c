// SPDX-License-Identifier: GPL-2.0
/*
 * Growing an unmounted ext2/3/4 filesystem through libext2fs: the engine
 * that carries out a plan of lib/resize_plan.c (the geometry after the
 * grow is lib/geom.c's e4_geom_layout).  New descriptor blocks come out
 * of the reserved GDT blocks while they last; past them the filesystem is
 * converted to meta_bg the way the kernel does it online.  Everything is
 * prepared in memory first; the only writes before the commit go to the
 * new space (inode tables of the new groups) and to the primary
 * superblock's "resize in progress" mark, so an interruption before the
 * commit leaves the filesystem as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e4/geom.h"
#include "e4/resize.h"
#include "e4/undo.h"
#include "resize_priv.h"

/* The state of one grow, from preparation to commit. */
struct grow {
	ext2_filsys fs;
	const struct e4_target *t;
	const char *name;
	struct e4_geom_layout l;
	dgrp_t old_groups;
	uint64_t old_blocks;
	unsigned long old_desc_blocks;
	struct ext2_super_block saved;	/* the superblock as found */
	void *saved_desc;		/* the descriptor table as found */
	unsigned char *touched;		/* groups whose free count changes */
	uint64_t zero_from;		/* blocks from here read as zeros */
	off_t image_size;		/* before extension, -1: not extended */
	bool marked;			/* "resize in progress" is on disk */
	bool committing;
	uint64_t old_used;		/* clusters in use before */
};

/*
 * Write the primary superblock alone, bypassing ext2fs_flush (which also
 * writes every backup and descriptor block).  orig_super follows, because
 * ext2fs_flush only writes the fields that differ from it.
 */
errcode_t e4_resize_write_primary_super(ext2_filsys fs,
					 const struct ext2_super_block *sb)
{
	struct ext2_super_block copy;
	blk64_t blk = SUPERBLOCK_OFFSET / fs->blocksize;
	unsigned int off = SUPERBLOCK_OFFSET % fs->blocksize;
	char *buf;
	errcode_t ret;

	memcpy(&copy, sb, sizeof(copy));
	ext2fs_superblock_csum_set(fs, &copy);
	ret = ext2fs_get_mem(fs->blocksize, &buf);
	if (ret)
		return ret;
	ret = io_channel_read_blk64(fs->io, blk, 1, buf);
	if (ret)
		goto out;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	ext2fs_swap_super(&copy);
#endif
	memcpy(buf + off, &copy, SUPERBLOCK_SIZE);
	ret = io_channel_write_blk64(fs->io, blk, 1, buf);
	if (!ret)
		ret = io_channel_flush(fs->io);
	if (!ret && fs->orig_super)
		memcpy(fs->orig_super, buf + off, SUPERBLOCK_SIZE);
out:
	ext2fs_free_mem(&buf);
	return ret;
}

/* The group holding blk gets its free count recounted at the commit. */
static void touch(struct grow *g, blk64_t blk)
{
	if (blk)
		g->touched[ext2fs_group_of_blk2(g->fs, blk)] = 1;
}

/*
 * Extend an image file to the new size, sparsely, before anything else
 * is written: the new groups' blocks then read back as zeros, which is
 * what lets inode tables there count as zeroed without writing them.
 * Block devices were checked by the plan.
 */
static int extend_image(struct grow *g, struct e4_err *err)
{
	off_t want = g->l.blocks * (uint64_t)g->fs->blocksize;
	struct stat st;
	int fd, rc = 0;

	g->zero_from = UINT64_MAX;
	if (g->t->is_blockdev)
		return 0;
	fd = open(g->t->device, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return e4_err_sys(err, -errno, "%s: while opening the image to extend it",
				  g->name);
	if (fstat(fd, &st)) {
		rc = e4_err_sys(err, -errno, "%s", g->name);
		goto out;
	}
	g->zero_from = (st.st_size + g->fs->blocksize - 1) / g->fs->blocksize;
	if (st.st_size >= want)
		goto out;
	if (ftruncate(fd, want)) {
		rc = e4_err_sys(err, -errno, "%s: while extending the image to %llu bytes",
				g->name, (unsigned long long)want);
		goto out;
	}
	g->image_size = st.st_size;
out:
	close(fd);
	return rc;
}

/* Undo extend_image when the grow did not happen. */
static void shrink_image(struct grow *g)
{
	if (g->image_size >= 0 && truncate(g->t->device, g->image_size) == 0)
		g->image_size = -1;
}

/*
 * Clusters in use between two blocks, counted by runs: a group that is
 * mostly free (every new one) costs a couple of bitmap searches.
 */
static errcode_t used_clusters(ext2_filsys fs, blk64_t first, blk64_t last,
			       blk64_t *out)
{
	blk64_t pos = first, set, clear, used = 0;
	errcode_t ret;

	while (pos <= last) {
		ret = ext2fs_find_first_set_block_bitmap2(fs->block_map, pos,
							  last, &set);
		if (ret == ENOENT)
			break;
		if (ret)
			return ret;
		ret = ext2fs_find_first_zero_block_bitmap2(fs->block_map, set,
							   last, &clear);
		if (ret == ENOENT) {
			used += last - set + 1;
			break;
		}
		if (ret)
			return ret;
		used += clear - set;
		pos = clear;
	}
	*out = EXT2FS_NUM_B2C(fs, used);
	return 0;
}

static errcode_t recount_group(ext2_filsys fs, dgrp_t group)
{
	blk64_t used, total;
	errcode_t ret;

	ret = used_clusters(fs, ext2fs_group_first_block2(fs, group),
			    ext2fs_group_last_block2(fs, group), &used);
	if (ret)
		return ret;
	total = EXT2FS_NUM_B2C(fs, ext2fs_group_blocks_count(fs, group));
	ext2fs_bg_free_blocks_count_set(fs, group, total - used);
	ext2fs_group_desc_csum_set(fs, group);
	return 0;
}

/* Clusters in use in the whole filesystem, from the descriptors. */
static uint64_t used_total(ext2_filsys fs)
{
	uint64_t free = 0;
	dgrp_t i;

	for (i = 0; i < fs->group_desc_count; i++)
		free += ext2fs_bg_free_blocks_count(fs, i);
	return EXT2FS_NUM_B2C(fs, ext2fs_blocks_count(fs->super)) - free;
}

/*
 * An old group's sparse_super2 backup goes away: free its superblock and
 * every descriptor block it held, as the old geometry (still in place
 * when this is called) has them.  A meta_bg descriptor copy stays in the
 * group but moves from the block after the superblock to the group's
 * first block; reserve_dropped marks it again in the new geometry.
 */
static void unmark_dropped(struct grow *g)
{
	ext2_filsys fs = g->fs;
	blk64_t super, old_desc, new_desc;
	blk_t used;
	int i;

	for (i = 0; i < g->l.ndropped; i++) {
		dgrp_t group = g->l.dropped[i];
		uint64_t n = ext2fs_has_feature_meta_bg(fs->super) ?
			     fs->super->s_first_meta_bg :
			     fs->desc_blocks + fs->super->s_reserved_gdt_blocks;

		ext2fs_super_and_bgd_loc2(fs, group, &super, &old_desc,
					  &new_desc, &used);
		if (super)
			ext2fs_unmark_block_bitmap2(fs->block_map, super);
		if (old_desc)
			ext2fs_unmark_block_bitmap_range2(fs->block_map, old_desc, n);
		if (new_desc)
			ext2fs_unmark_block_bitmap2(fs->block_map, new_desc);
		g->touched[group] = 1;
	}
}

/* What the groups unmark_dropped cleared hold in the new geometry. */
static void reserve_dropped(struct grow *g)
{
	int i;

	for (i = 0; i < g->l.ndropped; i++)
		ext2fs_reserve_super_and_bgd(g->fs, g->l.dropped[i],
					     g->fs->block_map);
}

/* The reserved blocks keep their share of the filesystem. */
static uint64_t scale_reserved(uint64_t r, uint64_t old_blocks,
			       uint64_t new_blocks)
{
	return (unsigned __int128)r * new_blocks / old_blocks;
}

/*
 * Make the in-memory filesystem the grown one: superblock fields, the
 * descriptor array and the bitmaps sized for the new groups, features.
 */
static int set_geometry(struct grow *g, struct e4_err *err)
{
	ext2_filsys fs = g->fs;
	struct ext2_super_block *sb = fs->super;
	const struct e4_geom_layout *l = &g->l;
	unsigned long old_len = g->old_desc_blocks * fs->blocksize;
	unsigned long new_len = l->desc_blocks * fs->blocksize;
	errcode_t ret;
	dgrp_t group;

	unmark_dropped(g);
	if (l->to_meta_bg && ext2fs_has_feature_resize_inode(sb)) {
		struct ext2_inode inode;

		/* Only its double-indirect block is the resize inode's own. */
		ret = ext2fs_read_inode(fs, EXT2_RESIZE_INO, &inode);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while reading the resize inode",
					   g->name);
		if (inode.i_block[EXT2_DIND_BLOCK]) {
			ext2fs_unmark_block_bitmap2(fs->block_map,
						    inode.i_block[EXT2_DIND_BLOCK]);
			touch(g, inode.i_block[EXT2_DIND_BLOCK]);
		}
	}

	ext2fs_blocks_count_set(sb, l->blocks);
	ext2fs_r_blocks_count_set(sb, scale_reserved(ext2fs_r_blocks_count(sb),
						     g->old_blocks, l->blocks));
	sb->s_inodes_count = l->inodes;
	sb->s_reserved_gdt_blocks = l->reserved_gdt;
	sb->s_backup_bgs[0] = l->backup_bgs[0];
	sb->s_backup_bgs[1] = l->backup_bgs[1];
	if (l->to_meta_bg) {
		ext2fs_set_feature_meta_bg(sb);
		ext2fs_clear_feature_resize_inode(sb);
		sb->s_first_meta_bg = l->first_meta_bg;
	}

	if (new_len > old_len) {
		ret = ext2fs_resize_mem(old_len, new_len, &fs->group_desc);
		if (ret)
			return e4_err_ext2(err, ret, "%s: descriptor table", g->name);
		memset((char *)fs->group_desc + old_len, 0, new_len - old_len);
	}
	fs->group_desc_count = l->groups;
	fs->desc_blocks = l->desc_blocks;

	ret = ext2fs_resize_block_bitmap2(l->blocks - 1,
					  ext2fs_group_first_block2(fs, l->groups) - 1,
					  fs->block_map);
	if (!ret)
		ret = ext2fs_resize_inode_bitmap2(l->inodes, l->inodes,
						  fs->inode_map);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while resizing the bitmaps", g->name);
	reserve_dropped(g);
	/*
	 * Every new group's superblock and descriptor blocks are taken
	 * before any group's tables are placed: with flex_bg the library
	 * may put a group's tables in a later group of its flex group.
	 */
	for (group = g->old_groups; group < l->groups; group++)
		ext2fs_reserve_super_and_bgd(fs, group, fs->block_map);
	/* The old last group may have grown, and is no longer last. */
	g->touched[g->old_groups - 1] = 1;
	return 0;
}

/*
 * Lay out one new group: backup superblock and descriptors, bitmaps and
 * inode table (the library follows flex_bg and takes the blocks from
 * wherever its policy puts them), flags and inode counts.
 */
static int add_group(struct grow *g, dgrp_t group, struct e4_err *err)
{
	ext2_filsys fs = g->fs;
	uint32_t ipg = fs->super->s_inodes_per_group;
	blk64_t itable;
	errcode_t ret;

	/*
	 * Whatever the descriptor block held past the old group count (a
	 * shrink leaves the removed groups' there) is not this group's: a
	 * location left in it would be taken as allocated already.
	 */
	memset(ext2fs_group_desc(fs, fs->group_desc, group), 0,
	       EXT2_DESC_SIZE(fs->super));
	if (ext2fs_has_group_desc_csum(fs)) {
		ext2fs_bg_flags_set(fs, group, EXT2_BG_INODE_UNINIT);
		/* The kernel never leaves the last group uninitialised. */
		if (group != fs->group_desc_count - 1)
			ext2fs_bg_flags_set(fs, group, EXT2_BG_BLOCK_UNINIT);
		ext2fs_bg_itable_unused_set(fs, group, ipg);
	}
	ret = ext2fs_allocate_group_table(fs, group, fs->block_map);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while allocating the tables of group %u",
				   g->name, group);
	itable = ext2fs_inode_table_loc(fs, group);
	touch(g, ext2fs_block_bitmap_loc(fs, group));
	touch(g, ext2fs_inode_bitmap_loc(fs, group));
	touch(g, itable);
	touch(g, itable + fs->inode_blocks_per_group - 1);
	g->touched[group] = 1;
	ext2fs_bg_free_inodes_count_set(fs, group, ipg);
	ext2fs_bg_used_dirs_count_set(fs, group, 0);

	if (itable >= g->zero_from) {
		/* Beyond the image's old end: a hole, so zeros already. */
		if (ext2fs_has_group_desc_csum(fs))
			ext2fs_bg_flags_set(fs, group, EXT2_BG_INODE_ZEROED);
	} else if (!ext2fs_has_group_desc_csum(fs)) {
		/* Without uninit_bg nothing tells the kernel to skip it. */
		ret = ext2fs_zero_blocks2(fs, itable, fs->inode_blocks_per_group,
					  NULL, NULL);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while zeroing the inode table of group %u",
					   g->name, group);
	}
	ext2fs_group_desc_csum_set(fs, group);
	return 0;
}

static int update_resize_inode(struct grow *g, struct e4_err *err)
{
	struct ext2_inode inode;
	errcode_t ret;

	if (g->l.to_meta_bg) {
		/* e2fsck wants it all zeros once resize_inode is off. */
		memset(&inode, 0, sizeof(inode));
		ret = ext2fs_write_inode(g->fs, EXT2_RESIZE_INO, &inode);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while clearing the resize inode",
					   g->name);
		return 0;
	}
	return e4_resize_inode_rebuild(g->fs, g->name, err);
}

static int update_counts(struct grow *g, struct e4_err *err)
{
	ext2_filsys fs = g->fs;
	struct ext2_super_block *sb = fs->super;
	uint64_t free_inodes = 0, used;
	errcode_t ret;
	dgrp_t i;

	for (i = 0; i < fs->group_desc_count; i++) {
		if (g->touched[i]) {
			ret = recount_group(fs, i);
			if (ret)
				return e4_err_ext2(err, ret, "%s: while counting free blocks of group %u",
						   g->name, i);
		}
		free_inodes += ext2fs_bg_free_inodes_count(fs, i);
	}
	used = used_total(fs);
	ext2fs_free_blocks_count_set(sb, EXT2FS_C2B(fs,
		EXT2FS_NUM_B2C(fs, ext2fs_blocks_count(sb)) - used));
	sb->s_free_inodes_count = free_inodes;
	/* What the grow allocated is all metadata. */
	if (sb->s_overhead_clusters)
		sb->s_overhead_clusters += used - g->old_used;
	return 0;
}

/* Put the filesystem back as it was found; only before the commit. */
static void restore(struct grow *g)
{
	ext2_filsys fs = g->fs;

	memcpy(fs->super, &g->saved, sizeof(g->saved));
	ext2fs_free_mem(&fs->group_desc);
	fs->group_desc = g->saved_desc;
	g->saved_desc = NULL;
	fs->group_desc_count = g->old_groups;
	fs->desc_blocks = g->old_desc_blocks;
	/* The grown bitmaps must not reach the disk; they are reread. */
	ext2fs_free_block_bitmap(fs->block_map);
	fs->block_map = NULL;
	ext2fs_free_inode_bitmap(fs->inode_map);
	fs->inode_map = NULL;
	fs->flags &= ~(EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY | EXT2_FLAG_DIRTY);
	if (g->marked && !e4_resize_write_primary_super(fs, &g->saved))
		g->marked = false;
	/*
	 * The superblock on disk is the one found again.  Closing a
	 * writable handle would still rewrite it, and every backup, to
	 * count the bytes written: the handle goes read-only instead.
	 */
	if (!g->marked)
		fs->flags &= ~EXT2_FLAG_RW;
	shrink_image(g);
}

static int commit(struct grow *g, struct e4_err *err)
{
	int rc;

	g->committing = true;
	rc = update_resize_inode(g, err);
	if (rc)
		return rc;
	rc = update_counts(g, err);
	if (!rc)
		rc = e4_resize_write_all(g->fs, g->name, g->saved.s_state, err);
	if (!rc)
		g->marked = false;
	return rc;
}

int e4_resize_write_all(ext2_filsys fs, const char *name, __u16 state,
			struct e4_err *err)
{
	errcode_t ret;

	ext2fs_mark_super_dirty(fs);
	ext2fs_mark_bb_dirty(fs);
	ext2fs_mark_ib_dirty(fs);
	ret = ext2fs_write_bitmaps(fs);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while writing the bitmaps", name);
	/*
	 * ext2fs_flush writes the backups and descriptors first and the
	 * primary superblock last, so the mark goes away only once
	 * everything else is on disk.  It writes the primary as the fields
	 * that differ from orig_super, one write each, which a crash could
	 * tear (new size, mark already gone, old checksum); without
	 * orig_super it writes all of it at once.
	 */
	ext2fs_free_mem(&fs->orig_super);
	fs->super->s_state = state;
	ret = ext2fs_flush(fs);
	if (ret) {
		fs->super->s_state |= EXT2_ERROR_FS;
		return e4_err_ext2(err, ret, "%s: while writing the superblocks and descriptors",
				   name);
	}
	return 0;
}

static int cancelled(struct grow *g, struct e4_err *err)
{
	restore(g);
	return e4_err_set(err, -EINTR,
			  "%s: interrupted before the grow was committed; the filesystem is unchanged (%llu blocks)%s",
			  g->name, (unsigned long long)g->old_blocks,
			  g->marked ? ", but its superblock could not be restored: run e2fsck" : "");
}

static int prepare(struct grow *g, struct e4_err *err)
{
	ext2_filsys fs = g->fs;
	size_t len = g->old_desc_blocks * fs->blocksize;
	errcode_t ret;

	/*
	 * Extents, not flat arrays: a grown filesystem is mostly free space,
	 * and a flat block bitmap of 2^32 blocks would take 512 MiB.
	 */
	if (!fs->block_map && !fs->inode_map)
		fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	ret = ext2fs_read_bitmaps(fs);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while reading the bitmaps", g->name);
	g->old_used = used_total(fs);
	memcpy(&g->saved, fs->super, sizeof(g->saved));
	ret = ext2fs_get_mem(len, &g->saved_desc);
	if (!ret)
		ret = ext2fs_get_arrayzero(g->l.groups, 1, &g->touched);
	if (ret)
		return e4_err_ext2(err, ret, "%s", g->name);
	memcpy(g->saved_desc, fs->group_desc, len);
	return 0;
}

static int check_plan(struct grow *g, const struct e4_resize_plan *plan,
		      struct e4_err *err)
{
	ext2_filsys fs = g->fs;
	struct e4_geom geom;

	if (plan->online)
		return e4_err_set(err, -EINVAL, "%s: an online plan given to the offline engine",
				  g->name);
	if (plan->nrefusals)
		return e4_err_set(err, plan->refusals[0].code, "%s: %s", g->name,
				  plan->refusals[0].msg);
	if (!(fs->flags & EXT2_FLAG_RW))
		return e4_err_set(err, -EROFS, "%s: not opened for writing", g->name);
	if (plan->old_blocks != g->old_blocks ||
	    plan->old_groups != g->old_groups)
		return e4_err_set(err, -ESTALE,
				  "%s: the filesystem changed since the plan was made",
				  g->name);
	e4_geom_from_fs(fs, &geom);
	e4_geom_layout(&geom, plan->new_blocks, &g->l);
	if (g->l.groups != plan->new_groups ||
	    g->l.desc_blocks != plan->new_desc_blocks)
		return e4_err_set(err, -EINVAL, "%s: the plan does not match the filesystem",
				  g->name);
	return 0;
}

int e4_resize_offline(struct e4_fs *efs, const struct e4_resize_plan *plan,
		      const struct e4_job *job, struct e4_err *err)
{
	struct grow g = {
		.fs = e4_fs_ext2(efs),
		.t = e4_fs_target(efs),
		.name = e4_target_name(e4_fs_target(efs)),
		.image_size = -1,
		.zero_from = UINT64_MAX,
	};
	ext2_filsys fs = g.fs;
	struct ext2_super_block mark;
	uint64_t total, done;
	errcode_t ret;
	dgrp_t group;
	int rc;

	g.old_groups = fs->group_desc_count;
	g.old_blocks = ext2fs_blocks_count(fs->super);
	g.old_desc_blocks = fs->desc_blocks;
	rc = check_plan(&g, plan, err);
	if (rc)
		return rc;
	if (plan->new_blocks == g.old_blocks)
		return 0;
	total = plan->new_blocks - g.old_blocks;

	rc = prepare(&g, err);
	if (rc)
		goto out_free;
	if (e4_job_cancelled(job)) {
		rc = e4_err_set(err, -EINTR, "%s: interrupted; the filesystem is unchanged",
				g.name);
		goto out_free;
	}
	rc = extend_image(&g, err);
	if (rc)
		goto out_free;

	/* "Resize in progress": an interrupted grow shows up in e2fsck. */
	memcpy(&mark, &g.saved, sizeof(mark));
	mark.s_state |= EXT2_ERROR_FS;
	ret = e4_resize_write_primary_super(fs, &mark);
	if (ret) {
		rc = e4_err_ext2(err, ret, "%s: unchanged: could not mark the resize in progress",
				 g.name);
		shrink_image(&g);
		goto out_free;
	}
	g.marked = true;

	rc = set_geometry(&g, err);
	if (rc)
		goto out_failed;
	for (group = g.old_groups; group < g.l.groups; group++) {
		if (e4_job_cancelled(job)) {
			rc = cancelled(&g, err);
			goto out_free;
		}
		rc = add_group(&g, group, err);
		if (rc)
			goto out_failed;
		done = ext2fs_group_last_block2(fs, group) + 1 - g.old_blocks;
		e4_job_progress(job, done < total ? done : total, total);
	}
	if (g.l.groups == g.old_groups)
		e4_job_progress(job, total, total);
	/* The last point where stopping leaves the filesystem as it was. */
	if (e4_job_cancelled(job)) {
		rc = cancelled(&g, err);
		goto out_free;
	}
	rc = commit(&g, err);
	if (rc)
		goto out_failed;
	goto out_free;

out_failed:
	if (!g.committing) {
		/* Nothing but new space was written: put the old one back. */
		restore(&g);
		if (!g.marked) {
			e4_err_append(err, "; the filesystem is unchanged");
			goto out_free;
		}
	}
	fs->super->s_state |= EXT2_ERROR_FS;
	e4_err_append(err, "; the grow did not complete and the filesystem is marked as having errors: run 'e2fsck -f %s'",
		      g.name);
	if (e4_undo_io_is(fs->io)) {
		e4_err_append(err, ", or restore it with e2undo and the undo file");
		if (g.image_size >= 0)
			e4_err_append(err, " (then 'truncate -s %lld %s')",
				      (long long)g.image_size, g.t->device);
	}
out_free:
	if (rc)
		e4_fs_note_write_error(efs, err);
	ext2fs_free_mem(&g.saved_desc);
	ext2fs_free_mem(&g.touched);
	return rc;
}
