// SPDX-License-Identifier: GPL-2.0
/*
 * Where each block the shrink moves goes.  The engine (lib/shrink_move.c)
 * takes these destinations before its first write; the plan
 * (lib/shrink_plan.c) runs the same choice on a copy of the bitmap, so it
 * knows where every moved run lands and can count what remapping the
 * files' extents will need (lib/shrink_extent.c).  One function, so the
 * two cannot drift apart.
 */
#include <errno.h>
#include <stdlib.h>

#include "e4/array.h"
#include "shrink_priv.h"

int e4_shrink_runs_add(struct shrink_runs *rs, blk64_t src, blk64_t dst,
		       blk64_t len)
{
	struct shrink_blkrun *last = rs->n ? &rs->v[rs->n - 1] : NULL;

	if (last && last->src + last->len == src && last->dst + last->len == dst) {
		last->len += len;
		return 0;
	}
	if (e4_array_room(&rs->v, rs->n, &rs->cap, sizeof(*rs->v), 1024))
		return -ENOMEM;
	rs->v[rs->n++] = (struct shrink_blkrun){ src, dst, len };
	return 0;
}

blk64_t e4_shrink_runs_find(const struct shrink_runs *rs, blk64_t blk)
{
	size_t lo = 0, hi = rs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct shrink_blkrun *x = &rs->v[mid];

		if (blk < x->src)
			hi = mid;
		else if (blk >= x->src + x->len)
			lo = mid + 1;
		else
			return x->dst + (blk - x->src);
	}
	return 0;
}

void e4_shrink_runs_free(struct shrink_runs *rs)
{
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

/*
 * Whole clusters move (single blocks without bigalloc): a cluster goes
 * to a free cluster before the end, block for block, so a block keeps
 * its offset in its cluster, as bigalloc requires of every file's
 * logical-to-physical map.
 */
static int dest_range(const struct shrink_facts *f, const struct shrink_calc *c,
		      ext2fs_block_bitmap bm, blk64_t pos, blk64_t last,
		      blk64_t *cursor,
		      int (*fn)(blk64_t, blk64_t, blk64_t, void *), void *arg,
		      blk64_t *blk)
{
	blk64_t n = c->blocks, src, end, dst, len;
	blk64_t ratio = EXT2FS_CLUSTER_RATIO(f->fs);
	int rc;

	while (pos <= last) {
		if (ext2fs_find_first_set_block_bitmap2(f->data, pos, last, &src))
			break;
		if (ext2fs_find_first_zero_block_bitmap2(f->data, src, last, &end))
			end = last + 1;
		for (; src < end; src += len) {
			if (ext2fs_find_first_zero_block_bitmap2(bm, *cursor, n - 1,
								 &dst)) {
				*blk = src;
				return -ENOSPC;
			}
			ext2fs_mark_block_bitmap2(bm, dst);
			*cursor = dst + ratio;
			/* A last cluster cut short by the old end copies less. */
			len = end - src < ratio ? end - src : ratio;
			rc = fn(src, dst, len, arg);
			if (rc)
				return rc;
		}
		pos = end;
	}
	return 0;
}

int e4_shrink_dest(const struct shrink_facts *f, const struct shrink_calc *c,
		   ext2fs_block_bitmap bm,
		   int (*fn)(blk64_t src, blk64_t dst, blk64_t len, void *arg),
		   void *arg, blk64_t *blk)
{
	ext2_filsys fs = f->fs;
	blk64_t cursor = fs->super->s_first_data_block;
	blk64_t old = ext2fs_blocks_count(fs->super);
	int rc = 0;

	/* No destination lands in a new backup: its blocks are taken first. */
	if (c->gain_len) {
		ext2fs_mark_block_bitmap_range2(bm, c->gain_blk, c->gain_len);
		rc = dest_range(f, c, bm, c->gain_blk,
				c->gain_blk + c->gain_len - 1, &cursor, fn, arg,
				blk);
	}
	if (!rc)
		rc = dest_range(f, c, bm, c->blocks, old - 1, &cursor, fn, arg,
				blk);
	return rc;
}
