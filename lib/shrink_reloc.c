// SPDX-License-Identifier: GPL-2.0
/*
 * Kept groups' metadata past the new end: flex_bg may put a kept group's
 * bitmaps or inode table in a group the shrink removes (or the new end
 * may cut through the metadata at the start of a flex group).  The plan
 * places each such piece in blocks before the new end that are free in
 * the old geometry (an inode table in one contiguous run, near its flex
 * group); the engine reserves those blocks before the first write, copies
 * the pieces there after the last inode write made outside the journal
 * transaction, and switches the descriptors only inside the transaction,
 * so that a cut at any write leaves the old filesystem as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"
#include "shrink_move.h"

static const char *const kind_name[] = {
	[SHRINK_BLOCK_BITMAP] = "block bitmap",
	[SHRINK_INODE_BITMAP] = "inode bitmap",
	[SHRINK_INODE_TABLE] = "inode table",
};

static blk64_t meta_loc(ext2_filsys fs, dgrp_t g, enum shrink_meta_kind k)
{
	switch (k) {
	case SHRINK_BLOCK_BITMAP:
		return ext2fs_block_bitmap_loc(fs, g);
	case SHRINK_INODE_BITMAP:
		return ext2fs_inode_bitmap_loc(fs, g);
	default:
		return ext2fs_inode_table_loc(fs, g);
	}
}

static void meta_loc_set(ext2_filsys fs, dgrp_t g, enum shrink_meta_kind k,
			 blk64_t blk)
{
	switch (k) {
	case SHRINK_BLOCK_BITMAP:
		ext2fs_block_bitmap_loc_set(fs, g, blk);
		break;
	case SHRINK_INODE_BITMAP:
		ext2fs_inode_bitmap_loc_set(fs, g, blk);
		break;
	default:
		ext2fs_inode_table_loc_set(fs, g, blk);
		break;
	}
}

static uint64_t meta_len(ext2_filsys fs, enum shrink_meta_kind k)
{
	return k == SHRINK_INODE_TABLE ? fs->inode_blocks_per_group : 1;
}

/*
 * Whether z lies in to..to+len-1, which moves the search s past it;
 * otherwise a run from z ends at to at the latest (e).
 */
static bool taken(blk64_t to, uint64_t len, blk64_t z, blk64_t *s,
		  blk64_t *e)
{
	if (to <= z && z < to + len) {
		*s = to + len;
		return true;
	}
	if (z < to && to < *e)
		*e = to;
	return false;
}

/*
 * The first run of len blocks in lo..hi (inclusive) free in the old
 * geometry, not already given to another piece and not where a kept
 * group gains a superblock backup (lib/shrink_layout.c).
 */
static bool find_run(ext2_filsys fs, const struct shrink_calc *c,
		     const struct shrink_relocs *rl, blk64_t lo, blk64_t hi,
		     uint64_t len, blk64_t *out)
{
	blk64_t s = lo, z, e;
	bool hit;
	size_t i;

	while (lo <= hi && s <= hi && hi - s + 1 >= len) {
		if (ext2fs_find_first_zero_block_bitmap2(fs->block_map, s, hi, &z))
			return false;
		if (ext2fs_find_first_set_block_bitmap2(fs->block_map, z, hi, &e))
			e = hi + 1;
		hit = c->gain_len && taken(c->gain_blk, c->gain_len, z, &s, &e);
		for (i = 0; !hit && i < rl->n; i++)
			hit = taken(rl->v[i].to, rl->v[i].len, z, &s, &e);
		if (hit)
			continue;
		if (e - z >= len) {
			*out = z;
			return true;
		}
		s = e;
	}
	return false;
}

/*
 * With flex_bg anywhere before the end, from the first block of the
 * group's flex group on, then from the start; without it, only in the
 * group itself (e2fsck wants a group's metadata in the group).
 */
static bool place(ext2_filsys fs, const struct shrink_calc *c,
		  const struct shrink_relocs *rl, dgrp_t g, uint64_t len,
		  blk64_t *out)
{
	struct ext2_super_block *sb = fs->super;
	blk64_t first = sb->s_first_data_block, last = c->blocks - 1, goal;
	dgrp_t flex;

	if (!ext2fs_has_feature_flex_bg(sb)) {
		first = ext2fs_group_first_block2(fs, g);
		goal = ext2fs_group_last_block2(fs, g);
		return find_run(fs, c, rl, first, goal < last ? goal : last, len, out);
	}
	flex = sb->s_log_groups_per_flex < 31 ?
	       g & ~((1U << sb->s_log_groups_per_flex) - 1) : 0;
	goal = ext2fs_group_first_block2(fs, flex);
	if (goal > last)
		goal = first;
	if (find_run(fs, c, rl, goal, last, len, out))
		return true;
	return goal > first && find_run(fs, c, rl, first, goal - 1, len, out);
}

static int add_reloc(struct shrink_relocs *rl, dgrp_t g,
		     enum shrink_meta_kind k, blk64_t from, blk64_t to,
		     uint64_t len)
{
	if (e4_array_room(&rl->v, rl->n, &rl->cap, sizeof(*rl->v), 16))
		return -ENOMEM;
	rl->v[rl->n++] = (struct shrink_reloc){ g, k, from, to, len };
	rl->blocks += len;
	return 0;
}

/* Whether a piece of kept group g must move: any block at or past n. */
static bool must_move(ext2_filsys fs, dgrp_t g, enum shrink_meta_kind k,
		      uint64_t n)
{
	return meta_loc(fs, g, k) + meta_len(fs, k) > n;
}

int e4_shrink_place_meta(const struct shrink_facts *f,
			 const struct shrink_calc *c,
			 struct shrink_relocs *rl, char *why, size_t whylen)
{
	/* Inode tables first: they need contiguous runs. */
	static const enum shrink_meta_kind order[] = {
		SHRINK_INODE_TABLE, SHRINK_BLOCK_BITMAP, SHRINK_INODE_BITMAP,
	};
	ext2_filsys fs = f->fs;
	uint64_t n = c->blocks;
	blk64_t from, to;
	size_t i;
	int rc;
	dgrp_t g;

	memset(rl, 0, sizeof(*rl));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum shrink_meta_kind k = order[i];
		uint64_t len = meta_len(fs, k);

		for (g = 0; g < c->groups; g++) {
			if (!must_move(fs, g, k, n))
				continue;
			from = meta_loc(fs, g, k);
			if (!place(fs, c, rl, g, len, &to)) {
				snprintf(why, whylen,
					 "group %u keeps its %s at blocks %llu..%llu, past the new end, and no %llu free block%s %sbefore the end can take it",
					 g, kind_name[k], (unsigned long long)from,
					 (unsigned long long)(from + len - 1),
					 (unsigned long long)len, len > 1 ? "s in a row" : "",
					 ext2fs_has_feature_flex_bg(fs->super) ?
					 "" : "in the group (no flex_bg) ");
				return -ENOSPC;
			}
			rc = add_reloc(rl, g, k, from, to, len);
			if (rc) {
				snprintf(why, whylen, "out of memory");
				return rc;
			}
			if (from < n)
				rl->freed += n - from;
		}
	}
	return 0;
}

void e4_shrink_relocs_free(struct shrink_relocs *rl)
{
	free(rl->v);
	memset(rl, 0, sizeof(*rl));
}

int e4_shrink_reloc_reserve(struct shrink_run *r, const struct shrink_facts *f,
			    struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	char why[256];
	size_t i;
	int rc;

	rc = e4_shrink_place_meta(f, &r->c, &r->rl, why, sizeof(why));
	if (rc)
		return e4_err_set(err, rc, "%s: %s", r->name, why);
	for (i = 0; i < r->rl.n; i++) {
		const struct shrink_reloc *x = &r->rl.v[i];
		blk64_t b;

		ext2fs_mark_block_bitmap_range2(fs->block_map, x->to, x->len);
		/* Their bitmaps must now be written, not computed. */
		for (b = x->to; b < x->to + x->len; b++)
			ext2fs_bg_flags_clear(fs, ext2fs_group_of_blk2(fs, b),
					      EXT2_BG_BLOCK_UNINIT);
	}
	r->blocks_total += r->rl.blocks;
	return 0;
}

/*
 * After the last inode write outside the transaction: the copies hold
 * every inode as it is then, and later writes go to them (the switch).
 * The destinations are free in the old geometry.
 */
int e4_shrink_reloc_copy(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	errcode_t ret;
	size_t i;

	for (i = 0; i < r->rl.n; i++) {
		const struct shrink_reloc *x = &r->rl.v[i];
		uint64_t off = 0;

		while (off < x->len) {
			int cnt = x->len - off > 1024 ? 1024 : (int)(x->len - off);

			ret = io_channel_read_blk64(fs->io, x->from + off, cnt, r->buf);
			if (!ret)
				ret = io_channel_write_blk64(fs->io, x->to + off,
							     cnt, r->buf);
			if (ret)
				return e4_err_ext2(err, ret, "%s: while copying the %s of group %u (%llu block%s from %llu) to block %llu",
						   r->name, kind_name[x->kind], x->group,
						   (unsigned long long)x->len,
						   x->len > 1 ? "s" : "",
						   (unsigned long long)x->from,
						   (unsigned long long)x->to);
			off += cnt;
		}
		r->done += x->len;
		e4_job_progress(r->job, r->done, r->blocks_total + r->inodes_total);
	}
	return 0;
}

/*
 * Inside the transaction: the descriptors name the copies from now on
 * (written with the new geometry), and the old blocks before the end are
 * free once it commits.
 */
void e4_shrink_reloc_switch(struct shrink_run *r)
{
	ext2_filsys fs = r->fs;
	size_t i;

	for (i = 0; i < r->rl.n; i++) {
		const struct shrink_reloc *x = &r->rl.v[i];

		meta_loc_set(fs, x->group, x->kind, x->to);
		if (x->from < r->c.blocks)
			ext2fs_unmark_block_bitmap_range2(fs->block_map, x->from,
							  r->c.blocks - x->from);
		ext2fs_group_desc_csum_set(fs, x->group);
	}
	/* Inodes read from now on come from the new tables. */
	if (r->rl.n)
		ext2fs_flush_icache(fs);
}
