// SPDX-License-Identifier: GPL-2.0
/*
 * The shrink mover: where every block past the new end goes (decided in
 * memory before the first write), copying those blocks, renumbering the
 * inodes of removed groups, and rewriting every reference: block maps
 * (extents and indirect maps, their own tree blocks included), xattr
 * blocks, directory entries naming a renumbered inode, and the checksums
 * that depend on an inode's number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"
#include "e4/fs.h"
#include "shrink_move.h"

/* Blocks copied per I/O. */
#define COPY_BATCH 1024

blk64_t e4_shrink_map_block(const struct shrink_run *r, blk64_t blk)
{
	if (blk < r->c.blocks && !e4_shrink_in_gain(&r->c, blk))
		return 0;
	return e4_shrink_runs_find(&r->runs, blk);
}

static int take_dest(blk64_t src, blk64_t dst, blk64_t len, void *arg)
{
	struct shrink_run *r = arg;

	/* Its bitmap must now be written, not computed. */
	ext2fs_bg_flags_clear(r->fs, ext2fs_group_of_blk2(r->fs, dst),
			      EXT2_BG_BLOCK_UNINIT);
	r->blocks_total += len;
	return e4_shrink_runs_add(&r->runs, src, dst, len);
}

/*
 * Every block to move gets its destination in memory, by the choice the
 * plan made too (lib/shrink_dest.c).  The blocks of a new backup are
 * taken as well: they are in use once the commit writes the bitmaps.
 */
int e4_shrink_reserve(struct shrink_run *r, const struct shrink_facts *f,
		      struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	const struct shrink_calc *c = &r->c;
	blk64_t blk = 0;
	int rc;

	if (c->gain_len)
		ext2fs_bg_flags_clear(fs, ext2fs_group_of_blk2(fs, c->gain_blk),
				      EXT2_BG_BLOCK_UNINIT);
	rc = e4_shrink_dest(f, c, fs->block_map, take_dest, r, &blk);
	if (rc == -ENOSPC)
		return e4_err_set(err, -ENOSPC,
				  "%s: no free block before block %llu for block %llu (the plan counted enough)",
				  r->name, (unsigned long long)c->blocks,
				  (unsigned long long)blk);
	if (rc)
		return e4_err_sys(err, rc, "%s", r->name);
	return 0;
}

/*
 * Extent splits while block maps are rewritten take their blocks before
 * the new end, never among the reserved destinations.  The plan counted
 * them (c.extent_blocks, lib/shrink_extent.c) and kept that many free;
 * under E4_TEST_SHRINK_STRICT one more than it counted fails the run.
 */
static errcode_t alloc_before_end(ext2_filsys fs, blk64_t goal, blk64_t *ret)
{
	struct shrink_run *r = e4_fs_user(fs);
	blk64_t first = fs->super->s_first_data_block, n = r->c.blocks;

	if (r->strict && r->extent_allocs >= r->c.extent_blocks) {
		r->extent_allocs++;
		return EXT2_ET_BLOCK_ALLOC_FAIL;
	}
	r->extent_allocs++;
	if (goal < first || goal >= n)
		goal = first;
	/* A whole cluster: the bitmap searches answer with its first block. */
	goal &= ~EXT2FS_CLUSTER_MASK(fs);
	if (!ext2fs_find_first_zero_block_bitmap2(fs->block_map, goal, n - 1, ret))
		return 0;
	if (!ext2fs_find_first_zero_block_bitmap2(fs->block_map, first, n - 1, ret))
		return 0;
	return EXT2_ET_BLOCK_ALLOC_FAIL;
}

void e4_shrink_hook(struct shrink_run *r, bool on)
{
	if (on) {
		e4_fs_set_user(r->fs, r);
		ext2fs_set_alloc_block_callback(r->fs, alloc_before_end,
						&r->old_alloc);
	} else {
		ext2fs_set_alloc_block_callback(r->fs, r->old_alloc, NULL);
		e4_fs_set_user(r->fs, NULL);
	}
}

static void progress(struct shrink_run *r, uint64_t add)
{
	uint64_t total = r->blocks_total + r->inodes_total;

	r->done += add;
	e4_job_progress(r->job, r->done < total ? r->done : total, total);
}

/*
 * Reads that do not check checksums, for what carries its old number's
 * checksum until it is rewritten (e4_shrink_verify checked it with that
 * number before the first write).  Returns what csum_checked restores.
 */
static int csum_unchecked(ext2_filsys fs)
{
	int saved = fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS;

	fs->flags |= EXT2_FLAG_IGNORE_CSUM_ERRORS;
	return saved;
}

static void csum_checked(ext2_filsys fs, int saved)
{
	fs->flags = (fs->flags & ~EXT2_FLAG_IGNORE_CSUM_ERRORS) | saved;
}

/* The entries of one directory block (in host order) naming a renumbered inode. */
static void remap_block_entries(const struct shrink_run *r, char *buf)
{
	ext2_filsys fs = r->fs;
	struct ext2_dir_entry *d;
	unsigned int off = 0, len;
	ext2_ino_t to;

	while (off + EXT2_DIR_ENTRY_HEADER_LEN <= fs->blocksize) {
		d = (struct ext2_dir_entry *)(buf + off);
		if (ext2fs_get_rec_len(fs, d, &len) || len < EXT2_DIR_ENTRY_HEADER_LEN ||
		    off + len > fs->blocksize)
			return;
		to = e4_shrink_map_inode(r, d->inode);
		if (d->inode && to)
			d->inode = to;
		off += len;
	}
}

/*
 * Write the batch of cnt blocks read from src to dst, but for the listed
 * directory blocks: e4_shrink_copy_dirs writes those once, for the new
 * numbers.  *k walks r->dirblk (sorted by src, as the runs are).
 */
static errcode_t write_batch(struct shrink_run *r, blk64_t src, blk64_t dst,
			     int cnt, size_t *k)
{
	ext2_filsys fs = r->fs;
	int from = 0, at;
	errcode_t ret;

	for (; *k < r->ndirblk && r->dirblk[*k].src < src + cnt; (*k)++) {
		if (r->dirblk[*k].src < src)
			continue;
		at = (int)(r->dirblk[*k].src - src);
		if (at > from) {
			ret = io_channel_write_blk64(fs->io, dst + from, at - from,
						     r->buf + (size_t)from * fs->blocksize);
			if (ret)
				return ret;
		}
		from = at + 1;
	}
	if (cnt == from)
		return 0;
	return io_channel_write_blk64(fs->io, dst + from, cnt - from,
				      r->buf + (size_t)from * fs->blocksize);
}

int e4_shrink_copy(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	errcode_t ret;
	size_t i, k = 0;

	for (i = 0; i < r->runs.n; i++) {
		const struct shrink_blkrun *x = &r->runs.v[i];
		blk64_t off = 0;

		while (off < x->len) {
			int cnt = x->len - off > COPY_BATCH ? COPY_BATCH :
				  (int)(x->len - off);

			ret = io_channel_read_blk64(fs->io, x->src + off, cnt, r->buf);
			if (!ret)
				ret = write_batch(r, x->src + off, x->dst + off, cnt, &k);
			if (ret)
				return e4_err_ext2(err, ret, "%s: while copying blocks %llu..%llu to %llu",
						   r->name,
						   (unsigned long long)(x->src + off),
						   (unsigned long long)(x->src + off + cnt - 1),
						   (unsigned long long)(x->dst + off));
			off += cnt;
			progress(r, cnt);
		}
	}
	return 0;
}

/*
 * The moved blocks of renumbered directories, after their copies are
 * written (a directory block's checksum is seeded by its inode's number
 * and generation): entries and checksum for the new number.  Before the
 * commit only the copy of a directory names them; the old directory
 * keeps its own blocks, past the end.
 */
int e4_shrink_copy_dirs(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	const struct shrink_dirblk *d;
	blk64_t dst = 0;
	errcode_t ret = 0;
	size_t i;

	for (i = 0; i < r->ndirblk && !ret; i++) {
		d = &r->dirblk[i];
		dst = e4_shrink_map_block(r, d->src);
		ret = ext2fs_read_dir_block4(fs, d->src, r->buf, 0, d->ino);
		if (ret)
			break;
		remap_block_entries(r, r->buf);
		ret = ext2fs_write_dir_block4(fs, dst, r->buf, 0,
					      e4_shrink_map_inode(r, d->ino));
		/* Counted in e4_shrink_copy's progress. */
		ext2fs_mark_block_bitmap2(r->rewritten, dst);
	}
	if (!ret)
		return 0;
	return e4_err_ext2(err, ret, "%s: while copying block %llu of directory %u to %llu",
			   r->name, (unsigned long long)d->src, d->ino,
			   (unsigned long long)dst);
}

/*
 * The first inode past a kept group's used mark (bg_itable_unused), from
 * group *g on, or 0.  Nothing reads an inode there (e2fsck, the kernel,
 * libext2fs's scans) until the descriptors move the mark, which the
 * commit's do: a copy there can be written whole, links and all, outside
 * the transaction.  Filled in order from the mark, so that the marks
 * the commit writes cover the copies and nothing else.  A group whose
 * descriptor says INODE_UNINIT with a mark inside it is left alone.
 */
static ext2_ino_t past_mark(const struct shrink_run *r, dgrp_t *g)
{
	ext2_filsys fs = r->fs;
	uint32_t ipg = fs->super->s_inodes_per_group, unused;
	ext2_ino_t ino;

	if (!ext2fs_has_group_desc_csum(fs))
		return 0;
	for (; *g < r->c.groups; (*g)++) {
		unused = ext2fs_bg_itable_unused(fs, *g);
		if (!unused || unused > ipg ||
		    (ext2fs_bg_flags_test(fs, *g, EXT2_BG_INODE_UNINIT) &&
		     unused != ipg))
			continue;
		ino = (ext2_ino_t)*g * ipg + (ipg - unused) + 1;
		if (ino >= EXT2_FIRST_INO(fs->super) &&
		    !ext2fs_test_inode_bitmap2(fs->inode_map, ino))
			return ino;
	}
	return 0;
}

static int cmp_dirblk(const void *a, const void *b)
{
	const struct shrink_dirblk *x = a, *y = b;

	return x->src < y->src ? -1 : x->src > y->src;
}

/* A block of a directory that is renumbered: listed when it moves. */
static int list_dir_block(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t blockcnt,
			  blk64_t ref_blk, int ref_offset, void *priv)
{
	struct shrink_run *r = priv;

	(void)fs;
	(void)blockcnt;
	(void)ref_blk;
	(void)ref_offset;
	if (!e4_shrink_map_block(r, *blk))
		return 0;
	/* Its checksum is rewritten as it is copied: e4_shrink_verify read it. */
	if (e4_array_room(&r->dirblk, r->ndirblk, &r->dirblk_cap,
			  sizeof(*r->dirblk), 256)) {
		r->ret = EXT2_ET_NO_MEMORY;
		return BLOCK_ABORT;
	}
	r->dirblk[r->ndirblk++] = (struct shrink_dirblk){ *blk, r->cur_ino };
	return 0;
}

static errcode_t list_dir_blocks(struct shrink_run *r, ext2_ino_t ino)
{
	errcode_t ret;

	r->cur_ino = ino;
	r->ret = 0;
	ret = ext2fs_block_iterate3(r->fs, ino, BLOCK_FLAG_READ_ONLY |
				    BLOCK_FLAG_DATA_ONLY, NULL, list_dir_block, r);
	return ret ? ret : r->ret;
}

/*
 * Where each inode of a removed group goes, decided before the first
 * write: past a used mark while there is room, else a free inode below
 * one (written as a deleted inode, its link count kept here until
 * e4_shrink_link_copies).  The moved blocks of the directories among
 * them are listed: e4_shrink_copy_dirs writes them for the new number.
 */
int e4_shrink_assign(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	ext2_ino_t ino, to, cursor = EXT2_FIRST_INO(fs->super), last = r->c.inodes;
	ext2_ino_t first = r->c.inodes + 1;
	struct ext2_inode inode;
	dgrp_t g = 0;
	errcode_t ret;
	int rc;

	for (ino = first; ino && ino <= r->old_inodes; ino++) {
		if (!ext2fs_test_inode_bitmap2(fs->inode_map, ino))
			continue;
		ret = ext2fs_read_inode(fs, ino, &inode);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while reading inode %u",
					   r->name, ino);
		to = past_mark(r, &g);
		if (!to) {
			ret = ext2fs_find_first_zero_inode_bitmap2(fs->inode_map,
								   cursor, last, &to);
			if (ret)
				return e4_err_set(err, -ENOSPC,
						  "%s: no free inode left for inode %u (the plan counted enough)",
						  r->name, ino);
			cursor = to + 1;
			r->links[ino - first] = inode.i_links_count;
		}
		/* Moves the used mark past it (and clears INODE_UNINIT). */
		ext2fs_inode_alloc_stats2(fs, to, +1, LINUX_S_ISDIR(inode.i_mode));
		r->ino_map[ino - first] = to;
		ext2fs_mark_inode_bitmap2(r->renumbered, to);
		if (!LINUX_S_ISDIR(inode.i_mode) ||
		    (inode.i_flags & EXT4_INLINE_DATA_FL) ||
		    !ext2fs_inode_has_valid_blocks2(fs, &inode))
			continue;
		ret = list_dir_blocks(r, ino);
		if (ret) {
			rc = e4_err_ext2(err, ret, "%s: while reading the blocks of directory %u",
					 r->name, ino);
			e4_err_append(err, "; run 'e2fsck -f %s'", r->name);
			return rc;
		}
	}
	if (r->ndirblk)
		qsort(r->dirblk, r->ndirblk, sizeof(*r->dirblk), cmp_dirblk);
	return 0;
}

/*
 * The copies, with the new numbers (their checksums take them), once the
 * blocks are copied: whole past a used mark, else as deleted inodes (a
 * cut before the commit leaves e2fsck no second copy to reconnect in
 * lost+found).  What refers to them is rewritten later.
 */
int e4_shrink_renumber(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	ext2_ino_t ino, to, first = r->c.inodes + 1;
	int isize = EXT2_INODE_SIZE(fs->super);
	struct ext2_inode *inode = (struct ext2_inode *)r->ibuf;
	errcode_t ret;

	for (ino = first; ino && ino <= r->old_inodes; ino++) {
		to = r->ino_map[ino - first];
		if (!to)
			continue;
		ret = ext2fs_read_inode_full(fs, ino, inode, isize);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while reading inode %u",
					   r->name, ino);
		if (r->links[ino - first]) {
			inode->i_links_count = 0;
			inode->i_dtime = r->now;
		}
		ret = ext2fs_write_inode_full(fs, to, inode, isize);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while writing inode %u (was %u)",
					   r->name, to, ino);
		progress(r, 1);
	}
	return 0;
}

/*
 * The link counts were kept in memory: the old inode's table may hold
 * moved blocks by now (removed groups' tables in kept ones are free).
 */
int e4_shrink_link_copies(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	struct ext2_inode *inode = (struct ext2_inode *)r->ibuf;
	ext2_ino_t ino, to, first = r->c.inodes + 1;
	int isize = EXT2_INODE_SIZE(fs->super);
	errcode_t ret;

	for (ino = first; ino && ino <= r->old_inodes; ino++) {
		to = r->ino_map[ino - first];
		/* No count kept: written whole, past a used mark. */
		if (!to || !r->links[ino - first])
			continue;
		ret = ext2fs_read_inode_full(fs, to, inode, isize);
		if (!ret) {
			inode->i_links_count = r->links[ino - first];
			inode->i_dtime = 0;
			ret = ext2fs_write_inode_full(fs, to, inode, isize);
		}
		if (ret)
			return e4_err_ext2(err, ret, "%s: while linking inode %u (was %u)",
					   r->name, to, ino);
	}
	return 0;
}

static int remap_block(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t blockcnt,
		       blk64_t ref_blk, int ref_offset, void *priv)
{
	struct shrink_run *r = priv;
	blk64_t to = e4_shrink_map_block(r, *blk);

	(void)fs;
	(void)blockcnt;
	(void)ref_blk;
	(void)ref_offset;
	if (!to)
		return 0;
	*blk = to;
	return BLOCK_CHANGED;
}

/* A renumbered directory's blocks carry checksums seeded by its number. */
static int rewrite_dir_block(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t blockcnt,
			     blk64_t ref_blk, int ref_offset, void *priv)
{
	struct shrink_run *r = priv;

	(void)blockcnt;
	(void)ref_blk;
	(void)ref_offset;
	if (ext2fs_test_block_bitmap2(r->rewritten, *blk))
		return 0;
	r->ret = ext2fs_read_dir_block4(fs, *blk, r->buf, 0, r->cur_ino);
	if (!r->ret)
		r->ret = ext2fs_write_dir_block4(fs, *blk, r->buf, 0, r->cur_ino);
	return r->ret ? BLOCK_ABORT : 0;
}

static errcode_t fix_xattr_block(struct shrink_run *r, ext2_ino_t ino,
				 struct ext2_inode *inode)
{
	ext2_filsys fs = r->fs;
	blk64_t blk = ext2fs_file_acl_block(fs, inode), to;
	errcode_t ret;

	to = blk ? e4_shrink_map_block(r, blk) : 0;
	if (!to)
		return 0;
	if (!ext2fs_test_block_bitmap2(r->rewritten, to)) {
		/* The copy kept the old block number's checksum. */
		int saved = csum_unchecked(fs);

		ret = ext2fs_read_ext_attr3(fs, to, r->buf, ino);
		csum_checked(fs, saved);
		if (!ret)
			ret = ext2fs_write_ext_attr3(fs, to, r->buf, ino);
		if (ret)
			return ret;
		ext2fs_mark_block_bitmap2(r->rewritten, to);
	}
	ext2fs_file_acl_block_set(fs, inode, to);
	return ext2fs_write_inode_full(fs, ino, inode, EXT2_INODE_SIZE(fs->super));
}

static errcode_t fix_inode(struct shrink_run *r, ext2_ino_t ino)
{
	ext2_filsys fs = r->fs;
	struct ext2_inode *inode = (struct ext2_inode *)r->ibuf;
	int isize = EXT2_INODE_SIZE(fs->super);
	bool renumbered = ext2fs_test_inode_bitmap2(r->renumbered, ino);
	int saved = 0;
	errcode_t ret;

	ret = ext2fs_read_inode_full(fs, ino, inode, isize);
	if (ret)
		return ret;
	/*
	 * A renumbered inode's extent tree blocks still carry checksums
	 * seeded by its old number: walking its tree must not verify them
	 * until they are rewritten below.
	 */
	if (renumbered)
		saved = csum_unchecked(fs);
	if (ext2fs_inode_has_valid_blocks2(fs, inode)) {
		ret = ext2fs_block_iterate3(fs, ino, 0, NULL, remap_block, r);
		if (!ret)
			ret = ext2fs_read_inode_full(fs, ino, inode, isize);
		if (ret)
			goto out_flags;
	}
	if (renumbered && (inode->i_flags & EXT4_EXTENTS_FL) &&
	    ext2fs_has_feature_metadata_csum(fs->super)) {
		ret = ext2fs_fix_extents_checksums(fs, ino, NULL);
		if (ret)
			goto out_flags;
	}
	if (renumbered)
		csum_checked(fs, saved);
	return fix_xattr_block(r, ino, inode);

out_flags:
	if (renumbered)
		csum_checked(fs, saved);
	return ret;
}

/*
 * Every inode in use in the kept groups (the renumbered copies included):
 * block maps and xattr blocks pointed at their new places.  Directories
 * are listed for the entry pass.
 */
int e4_shrink_fix_inodes(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	ext2_inode_scan scan;
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t ret;

	ret = ext2fs_open_inode_scan(fs, 0, &scan);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while scanning inodes", r->name);
	for (;;) {
		ret = ext2fs_get_next_inode(scan, &ino, &inode);
		if (ret == EXT2_ET_INODE_CSUM_INVALID ||
		    ret == EXT2_ET_INODE_IS_GARBAGE)
			ret = 0;
		if (ret || !ino || ino > r->c.inodes)
			break;
		if (ino == EXT2_RESIZE_INO ||
		    !ext2fs_test_inode_bitmap2(fs->inode_map, ino))
			continue;
		ret = fix_inode(r, ino);
		if (ret && r->strict && r->extent_allocs > r->c.extent_blocks) {
			ext2fs_close_inode_scan(scan);
			return e4_err_set(err, -ENOSPC,
					  "%s: E4_TEST_SHRINK_STRICT: inode %u needs extent tree block %llu, the plan counted %llu",
					  r->name, ino,
					  (unsigned long long)r->extent_allocs,
					  (unsigned long long)r->c.extent_blocks);
		}
		if (ret) {
			ext2fs_close_inode_scan(scan);
			return e4_err_ext2(err, ret, "%s: while rewriting the block references of inode %u",
					   r->name, ino);
		}
		if (LINUX_S_ISDIR(inode.i_mode)) {
			if (e4_array_room(&r->dirs, r->ndirs, &r->dirs_cap,
					  sizeof(*r->dirs), 1024)) {
				ext2fs_close_inode_scan(scan);
				return e4_err_sys(err, -ENOMEM, "%s", r->name);
			}
			r->dirs[r->ndirs++] = ino;
		}
	}
	ext2fs_close_inode_scan(scan);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while scanning inodes", r->name);
	return 0;
}

ext2_ino_t e4_shrink_map_inode(const struct shrink_run *r, ext2_ino_t ino)
{
	if (ino <= r->c.inodes || ino > r->old_inodes)
		return ino;
	return r->ino_map[ino - r->c.inodes - 1];
}

static int remap_entry(struct ext2_dir_entry *d, int offset, int blocksize,
		       char *buf, void *priv)
{
	struct shrink_run *r = priv;
	ext2_ino_t to;

	(void)offset;
	(void)blocksize;
	(void)buf;
	to = e4_shrink_map_inode(r, d->inode);
	if (to == d->inode || !to)
		return 0;
	d->inode = to;
	return DIRENT_CHANGED;
}

/* A renumbered directory's blocks: checksums seeded by its new number. */
static errcode_t rechecksum_dir(struct shrink_run *r, ext2_ino_t ino)
{
	ext2_filsys fs = r->fs;
	struct ext2_inode inode;
	errcode_t ret;
	int saved;

	if (!ext2fs_test_inode_bitmap2(r->renumbered, ino) ||
	    !ext2fs_has_feature_metadata_csum(fs->super))
		return 0;
	/* Inline entries are in the inode: its own checksum covers them. */
	ret = ext2fs_read_inode(fs, ino, &inode);
	if (ret || (inode.i_flags & EXT4_INLINE_DATA_FL))
		return ret;
	r->cur_ino = ino;
	r->ret = 0;
	saved = csum_unchecked(fs);
	ret = ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY |
				    BLOCK_FLAG_DATA_ONLY, NULL,
				    rewrite_dir_block, r);
	csum_checked(fs, saved);
	return ret ? ret : r->ret;
}

/*
 * Entries naming a renumbered inode, '.' and '..' included, and the
 * checksums of renumbered directories' blocks.  Written last, with the
 * new geometry (one journal transaction, lib/shrink.c): a renumbered
 * directory's blocks may still be its old inode's too.
 */
int e4_shrink_fix_dirents(struct shrink_run *r, struct e4_err *err)
{
	errcode_t ret;
	size_t i;

	if (!r->inodes_total)
		return 0;
	for (i = 0; i < r->ndirs; i++) {
		ret = rechecksum_dir(r, r->dirs[i]);
		if (!ret)
			ret = ext2fs_dir_iterate(r->fs, r->dirs[i], 0, NULL,
						 remap_entry, r);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while rewriting the entries of directory %u",
					   r->name, r->dirs[i]);
	}
	return 0;
}
