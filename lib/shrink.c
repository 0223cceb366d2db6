// SPDX-License-Identifier: GPL-2.0
/*
 * The shrink engine, in order: check the plan against the filesystem,
 * reserve in memory the destination of every block and inode that moves,
 * mark the filesystem "resize in progress" (error state), copy the blocks
 * past the new end, copy the inodes of removed groups to kept ones, point
 * every reference at the copies, copy kept groups' bitmaps and inode
 * tables that lie past the new end to their places before it (switched
 * in the transaction), rewrite directory entries and the xattr entries
 * naming renumbered EA inodes (lib/shrink_xattr.c), then the new
 * geometry (descriptors, bitmaps, counts, resize inode, journal backup)
 * with the superblock written last, which clears the mark.  Before the
 * mark nothing has been written; once blocks move, the run completes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e4/jtx.h"
#include "e4/shrink.h"
#include "e4/testhook.h"
#include "e4/undo.h"
#include "resize_priv.h"
#include "shrink_move.h"

static int check_plan(struct shrink_run *r, const struct e4_resize_plan *plan,
		      const struct shrink_facts *f, struct e4_err *err)
{
	if (plan->nrefusals)
		return e4_err_set(err, plan->refusals[0].code, "%s: %s", r->name,
				  plan->refusals[0].msg);
	if (!(r->fs->flags & EXT2_FLAG_RW))
		return e4_err_set(err, -EROFS, "%s: not opened for writing", r->name);
	if (plan->old_blocks != r->old_blocks)
		return e4_err_set(err, -ESTALE,
				  "%s: the filesystem changed since the plan was made",
				  r->name);
	e4_shrink_calc(f, plan->new_blocks, &r->c);
	if (r->c.code)
		return e4_err_set(err, r->c.code, "%s: %s", r->name, r->c.why);
	if (EXT2FS_C2B(r->fs, r->c.to_move) != plan->blocks_to_move ||
	    r->c.inodes_to_move != plan->inodes_to_move ||
	    r->c.extent_blocks != plan->extent_blocks)
		return e4_err_set(err, -ESTALE,
				  "%s: the filesystem changed since the plan was made",
				  r->name);
	return 0;
}

static int prepare(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	uint64_t moved = r->old_inodes - r->c.inodes;
	errcode_t ret;

	ret = ext2fs_get_mem((size_t)fs->blocksize * 1024, &r->buf);
	if (!ret)
		ret = ext2fs_get_memzero(EXT2_INODE_SIZE(fs->super), &r->ibuf);
	if (!ret)
		ret = ext2fs_get_arrayzero(moved ? moved : 1, sizeof(ext2_ino_t),
					   &r->ino_map);
	if (!ret)
		ret = ext2fs_get_arrayzero(moved ? moved : 1, sizeof(__u16),
					   &r->links);
	if (!ret)
		ret = ext2fs_allocate_inode_bitmap(fs, "shrink: renumbered",
						   &r->renumbered);
	if (!ret)
		ret = ext2fs_allocate_block_bitmap(fs, "shrink: rewritten",
						   &r->rewritten);
	if (ret)
		return e4_err_ext2(err, ret, "%s", r->name);
	r->inodes_total = r->c.inodes_to_move;
	return 0;
}

/* Clusters in use in a group, from the bitmap (descriptors count clusters). */
static void recount_group(ext2_filsys fs, dgrp_t g)
{
	uint32_t ipg = fs->super->s_inodes_per_group;
	blk64_t first = ext2fs_group_first_block2(fs, g);
	blk64_t last = ext2fs_group_last_block2(fs, g);
	uint64_t used, iused;

	used = e4_shrink_count_clusters(fs, fs->block_map, first, last);
	ext2fs_bg_free_blocks_count_set(fs, g, EXT2FS_NUM_B2C(fs, last - first + 1) -
					used);
	iused = e4_shrink_count_set(fs->inode_map, (uint64_t)g * ipg + 1,
				    (uint64_t)(g + 1) * ipg, true);
	ext2fs_bg_free_inodes_count_set(fs, g, ipg - iused);
	ext2fs_group_desc_csum_set(fs, g);
}

static void free_range(blk64_t blk, uint64_t len, void *arg)
{
	ext2fs_unmark_block_bitmap_range2(arg, blk, len);
}

/* meta_bg and the sparse_super2 backups as the plan laid them out. */
static void set_layout(struct shrink_run *r)
{
	struct ext2_super_block *sb = r->fs->super;

	if (ext2fs_has_feature_sparse_super2(sb)) {
		sb->s_backup_bgs[0] = r->c.backup_bgs[0];
		sb->s_backup_bgs[1] = r->c.backup_bgs[1];
	}
	if (!ext2fs_has_feature_meta_bg(sb))
		return;
	if (!r->c.meta_bg)
		ext2fs_clear_feature_meta_bg(sb);
	sb->s_first_meta_bg = r->c.first_meta_bg;
}

static void use_range(blk64_t blk, uint64_t len, void *arg)
{
	ext2fs_mark_block_bitmap_range2(arg, blk, len);
}

static int set_geometry(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	struct ext2_super_block *sb = fs->super;
	uint64_t free_blocks = 0, free_inodes = 0;
	errcode_t ret;
	dgrp_t g;

	/* Free from now on: the transaction carries the new geometry. */
	e4_shrink_dropped(fs, &r->c, free_range, fs->block_map);
	/* A bigalloc cluster that also holds kept metadata stays in use. */
	e4_shrink_kept(fs, &r->c, use_range, fs->block_map);
	ext2fs_blocks_count_set(sb, r->c.blocks);
	ext2fs_r_blocks_count_set(sb, (unsigned __int128)ext2fs_r_blocks_count(sb) *
				  r->c.blocks / r->old_blocks);
	sb->s_inodes_count = r->c.inodes;
	sb->s_reserved_gdt_blocks = r->c.reserved_gdt;
	set_layout(r);
	/* The kernel computes it again when it is zero. */
	sb->s_overhead_clusters = 0;
	if (sb->s_lpf_ino)
		sb->s_lpf_ino = e4_shrink_map_inode(r, sb->s_lpf_ino);
	/*
	 * The removed groups' descriptors stay as they are in the last
	 * descriptor block kept: the journal transaction's blocks reach
	 * their places before the superblock does, and until it does,
	 * e2fsck checks the descriptors on disk against the old geometry
	 * (zeros there would fail that check, and e2fsck would turn to a
	 * backup superblock instead of replaying the journal).  Past the
	 * group count nothing reads them; a grow sets them up anew.
	 */
	fs->group_desc_count = r->c.groups;
	fs->desc_blocks = r->c.desc_blocks;
	/* The bitmap's ends are in its own units: clusters under bigalloc. */
	ret = ext2fs_resize_block_bitmap2(EXT2FS_B2C(fs, r->c.blocks - 1),
					  EXT2FS_B2C(fs, sb->s_first_data_block) +
					  (uint64_t)r->c.groups *
					  EXT2_CLUSTERS_PER_GROUP(sb) - 1,
					  fs->block_map);
	if (!ret)
		ret = ext2fs_resize_inode_bitmap2(r->c.inodes, r->c.inodes,
						  fs->inode_map);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while resizing the bitmaps", r->name);
	/* A last group is never left uninitialised. */
	ext2fs_bg_flags_clear(fs, r->c.groups - 1, EXT2_BG_BLOCK_UNINIT);
	for (g = 0; g < r->c.groups; g++) {
		recount_group(fs, g);
		free_blocks += ext2fs_bg_free_blocks_count(fs, g);
		free_inodes += ext2fs_bg_free_inodes_count(fs, g);
	}
	/* The superblock counts blocks, the descriptors clusters. */
	ext2fs_free_blocks_count_set(sb, EXT2FS_C2B(fs, free_blocks));
	sb->s_free_inodes_count = free_inodes;
	return 0;
}

/* s_jnl_blocks keeps a copy of the journal inode's block map. */
static int update_journal_backup(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	struct ext2_super_block *sb = fs->super;
	struct ext2_inode inode;
	errcode_t ret;

	if (!ext2fs_has_feature_journal(sb) || !sb->s_journal_inum ||
	    sb->s_jnl_backup_type != EXT3_JNL_BACKUP_BLOCKS)
		return 0;
	ret = ext2fs_read_inode(fs, sb->s_journal_inum, &inode);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while reading the journal inode",
				   r->name);
	memcpy(sb->s_jnl_blocks, inode.i_block, EXT2_N_BLOCKS * 4);
	sb->s_jnl_blocks[15] = inode.i_size_high;
	sb->s_jnl_blocks[16] = inode.i_size;
	return 0;
}

static int commit(struct shrink_run *r, __u16 state, struct e4_err *err)
{
	int rc;

	rc = update_journal_backup(r, err);
	if (!rc)
		rc = set_geometry(r, err);
	if (!rc)
		rc = e4_resize_inode_rebuild(r->fs, r->name, err);
	/* Written whole and last: the mark goes with the new geometry. */
	if (!rc)
		rc = e4_resize_write_all(r->fs, r->name, state, err);
	return rc;
}

static void release(struct shrink_run *r)
{
	e4_shrink_runs_free(&r->runs);
	free(r->dirs);
	free(r->dirblk);
	e4_shrink_relocs_free(&r->rl);
	ext2fs_free_mem(&r->buf);
	ext2fs_free_mem(&r->ibuf);
	ext2fs_free_mem(&r->ino_map);
	ext2fs_free_mem(&r->links);
	if (r->renumbered)
		ext2fs_free_inode_bitmap(r->renumbered);
	if (r->rewritten)
		ext2fs_free_block_bitmap(r->rewritten);
	e4_shrink_ea_release(r);
}

/*
 * The end of a step: what it wrote reaches the disk before the next step
 * writes anything that depends on it (block maps point at copies only
 * once the copies are on disk).  libext2fs drops some write errors on
 * the way (an extent tree updated inside ext2fs_block_iterate3, for one);
 * the handle saw them all.  No step may follow, and above all no new
 * geometry, once one failed.
 */
static int written(const struct e4_fs *efs, const struct shrink_run *r,
		   const char *what, struct e4_err *err)
{
	errcode_t ret = io_channel_flush(r->fs->io);

	if (ret && !e4_fs_write_failed(efs))
		return e4_err_ext2(err, ret, "%s: while %s", r->name, what);
	if (!e4_fs_write_failed(efs))
		return 0;
	return e4_err_set(err, -EIO, "%s: a write failed while %s", r->name, what);
}

int e4_shrink_run(struct e4_fs *efs, const struct e4_resize_plan *plan,
		  const struct e4_job *job, struct e4_err *err)
{
	struct shrink_run r = {
		.fs = e4_fs_ext2(efs),
		.name = e4_target_name(e4_fs_target(efs)),
		.job = job,
	};
	ext2_filsys fs = r.fs;
	struct ext2_super_block mark;
	struct shrink_facts f;
	struct e4_jtx *jtx = NULL;
	__u16 state = fs->super->s_state;
	errcode_t ret;
	int rc;

	r.now = fs->now ? fs->now : time(NULL);
	r.old_blocks = ext2fs_blocks_count(fs->super);
	r.old_inodes = fs->super->s_inodes_count;
	r.old_groups = fs->group_desc_count;
	r.strict = e4_test_hook_num("SHRINK_STRICT") == 1;
	rc = e4_shrink_facts_get(fs, &f, err);
	if (rc)
		return rc;
	rc = check_plan(&r, plan, &f, err);
	if (!rc)
		rc = prepare(&r, err);
	/* Every destination is taken before the first write. */
	if (!rc)
		rc = e4_shrink_reloc_reserve(&r, &f, err);
	if (!rc)
		rc = e4_shrink_reserve(&r, &f, err);
	if (!rc)
		rc = e4_shrink_ea_scan(&r, err);
	if (!rc)
		rc = e4_shrink_verify(&r, err);
	/* The mark is the superblock as found, before the inode counts change. */
	memcpy(&mark, fs->super, sizeof(mark));
	mark.s_state |= EXT2_ERROR_FS;
	if (!rc)
		rc = e4_shrink_assign(&r, err);
	e4_shrink_facts_put(&f);
	if (rc)
		goto out_unchanged;
	if (e4_job_cancelled(job)) {
		rc = e4_err_set(err, -EINTR,
				"%s: interrupted before anything was written; the filesystem is unchanged (%llu blocks)",
				r.name, (unsigned long long)r.old_blocks);
		goto out_unchanged;
	}

	ret = e4_resize_write_primary_super(fs, &mark);
	if (ret) {
		rc = e4_err_ext2(err, ret, "%s: unchanged: could not mark the resize in progress",
				 r.name);
		goto out_unchanged;
	}
	e4_job_progress(job, 0, r.blocks_total + r.inodes_total);
	e4_shrink_hook(&r, true);
	rc = e4_shrink_copy(&r, err);
	if (!rc)
		rc = written(efs, &r, "copying blocks", err);
	/*
	 * The removed groups' inodes are still where they were: no copy
	 * lands in the metadata the commit drops.  Renumbered, then their
	 * maps rewritten in the same step, each inode table block reaches
	 * the disk once.
	 */
	if (!rc)
		rc = e4_shrink_renumber(&r, err);
	if (!rc)
		rc = e4_shrink_copy_dirs(&r, err);
	if (!rc)
		rc = e4_shrink_fix_inodes(&r, err);
	/* What the tests compare with the plan's count. */
	if (!rc && r.strict)
		fprintf(stderr, "E4_TEST_SHRINK_STRICT: %llu extent tree blocks allocated, %llu counted\n",
			(unsigned long long)r.extent_allocs,
			(unsigned long long)r.c.extent_blocks);
	if (!rc)
		rc = written(efs, &r, "rewriting block maps", err);
	/* No inode is written outside the transaction from here on. */
	if (!rc)
		rc = e4_shrink_reloc_copy(&r, err);
	/*
	 * The resize inode's lists lose the dropped groups' backups here,
	 * not in the transaction: up to 1024 blocks journaled less.  A cut
	 * from here to the commit leaves a resize inode e2fsck recreates.
	 */
	if (!rc)
		rc = e4_resize_inode_trim(fs, r.c.groups, r.c.desc_blocks,
					  r.c.reserved_gdt, r.name, err);
	if (!rc)
		rc = written(efs, &r, "copying group metadata", err);
	/*
	 * The directory entries, the xattr entries naming EA inodes and the
	 * new geometry are one journal transaction: until it commits, the
	 * old numbers name every inode; after, the new ones do, and the old
	 * inodes are past the end.
	 */
	if (!rc)
		rc = e4_jtx_begin(fs, &jtx, err);
	if (!rc)
		e4_shrink_reloc_switch(&r);
	if (!rc)
		rc = e4_shrink_link_copies(&r, err);
	if (!rc)
		rc = e4_shrink_fix_dirents(&r, err);
	if (!rc)
		rc = e4_shrink_fix_ea_refs(&r, err);
	e4_shrink_hook(&r, false);
	if (!rc)
		rc = commit(&r, state, err);
	if (!rc)
		rc = e4_jtx_commit(jtx, r.name, NULL, err);
	e4_jtx_free(jtx);
	if (!rc)
		rc = written(efs, &r, "writing the new geometry", err);
	if (rc) {
		/*
		 * Nothing more is written, not even at the close: the disk
		 * keeps what a cut at this write would leave (tests/crash),
		 * marked since the first write, and the handle may hold a
		 * geometry that must not reach it outside the transaction.
		 */
		fs->flags &= ~(EXT2_FLAG_DIRTY | EXT2_FLAG_BB_DIRTY |
			       EXT2_FLAG_IB_DIRTY | EXT2_FLAG_RW);
		e4_err_append(err, "; the shrink did not complete and the filesystem is marked as having errors: run 'e2fsck -f %s'%s",
			      r.name, e4_undo_io_is(fs->io) ?
			      ", or restore it with e2undo and the undo file" : "");
		goto out;
	}
	if (e4_job_cancelled(job))
		rc = e4_err_set(err, -EINTR,
				"%s: interrupted while blocks were moving, which cannot stop half-way; the shrink was completed first: the filesystem has %llu blocks",
				r.name, (unsigned long long)r.c.blocks);
	goto out;

out_unchanged:
	/* The reservations must not reach the disk. */
	ext2fs_free_block_bitmap(fs->block_map);
	fs->block_map = NULL;
	ext2fs_free_inode_bitmap(fs->inode_map);
	fs->inode_map = NULL;
	fs->flags &= ~(EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY | EXT2_FLAG_DIRTY);
	fs->flags &= ~EXT2_FLAG_RW;
out:
	/* An EIO names the block it could not write. */
	if (rc)
		e4_fs_note_write_error(efs, err);
	release(&r);
	return rc;
}
