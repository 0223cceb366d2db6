// SPDX-License-Identifier: GPL-2.0
/*
 * The shrink plan: for a candidate block count, which groups stay, which
 * blocks in use lie past the new end and how many free blocks before it
 * can take them, which inodes live in removed groups and how many free
 * inodes the kept groups offer.  The metadata the new geometry drops (the
 * inode tables and bitmaps of removed groups that flex_bg put in kept
 * ones, descriptor blocks no longer needed) is free only afterwards: until
 * the commit those tables still hold the inodes every directory names, so
 * no moved block may land there.
 * Everything is counted from the bitmaps; nothing is written.  The exact
 * minimum is the smallest block count this arithmetic accepts, and the
 * engine allocates its destinations by the same rules, so shrinking to the
 * minimum cannot run out of room half-way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "e4/shrink.h"
#include "resize_priv.h"
#include "shrink_priv.h"

uint64_t e4_shrink_count_set(ext2fs_generic_bitmap bm, uint64_t first,
			     uint64_t last, bool inodes)
{
	__u64 pos = first, set, clear, n = 0;
	errcode_t ret;

	(void)inodes;
	while (pos <= last) {
		ret = ext2fs_find_first_set_generic_bmap(bm, pos, last, &set);
		if (ret)
			break;
		ret = ext2fs_find_first_zero_generic_bmap(bm, set, last, &clear);
		if (ret) {
			n += last - set + 1;
			break;
		}
		n += clear - set;
		pos = clear;
	}
	return n;
}

uint64_t e4_shrink_count_clusters(ext2_filsys fs, ext2fs_block_bitmap bm,
				  blk64_t first, blk64_t last)
{
	blk64_t mask = EXT2FS_CLUSTER_MASK(fs);

	/* Whole clusters at both ends: the count is a multiple of the ratio. */
	return e4_shrink_count_set(bm, first & ~mask, last | mask, false) >>
	       fs->cluster_ratio_bits;
}

const char *e4_shrink_unsupported(ext2_filsys fs)
{
	struct ext2_super_block *sb = fs->super;

	/* mke2fs makes neither; the kernel clears one to set the other. */
	if (ext2fs_has_feature_meta_bg(sb) &&
	    ext2fs_has_feature_resize_inode(sb))
		return "meta_bg and resize_inode";
	/* The layout code counts blocks, not the clusters they share. */
	if (ext2fs_has_feature_bigalloc(sb) && ext2fs_has_feature_meta_bg(sb))
		return "bigalloc with meta_bg";
	if (ext2fs_has_feature_bigalloc(sb) &&
	    ext2fs_has_feature_sparse_super2(sb))
		return "bigalloc with sparse_super2";
	if (ext2fs_has_feature_journal_dev(sb))
		return "journal_dev";
	if (ext2fs_has_feature_orphan_present(sb))
		return "orphan_present";
	return NULL;
}

int e4_shrink_facts_get(ext2_filsys fs, struct shrink_facts *f,
			struct e4_err *err)
{
	blk64_t pos, set, clear, last;
	struct ext2_inode inode;
	errcode_t ret;
	dgrp_t g;
	int rc;

	memset(f, 0, sizeof(*f));
	f->fs = fs;
	if (!fs->block_map || !fs->inode_map) {
		ret = ext2fs_read_bitmaps(fs);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while reading the bitmaps",
					   fs->device_name);
	}
	ret = ext2fs_allocate_block_bitmap(fs, "shrink: metadata", &f->meta);
	if (ret)
		goto fail;
	for (g = 0; g < fs->group_desc_count; g++) {
		ext2fs_reserve_super_and_bgd(fs, g, f->meta);
		ext2fs_mark_block_bitmap2(f->meta, ext2fs_block_bitmap_loc(fs, g));
		ext2fs_mark_block_bitmap2(f->meta, ext2fs_inode_bitmap_loc(fs, g));
		ext2fs_mark_block_bitmap_range2(f->meta, ext2fs_inode_table_loc(fs, g),
						fs->inode_blocks_per_group);
	}
	if (ext2fs_has_feature_resize_inode(fs->super)) {
		ret = ext2fs_read_inode(fs, EXT2_RESIZE_INO, &inode);
		if (ret)
			goto fail;
		f->resize_dind = inode.i_block[EXT2_DIND_BLOCK];
		if (f->resize_dind)
			ext2fs_mark_block_bitmap2(f->meta, f->resize_dind);
	}
	ret = ext2fs_copy_bitmap(fs->block_map, &f->data);
	if (ret)
		goto fail;
	last = ext2fs_blocks_count(fs->super) - 1;
	pos = fs->super->s_first_data_block;
	while (pos <= last) {
		if (ext2fs_find_first_set_block_bitmap2(f->meta, pos, last, &set))
			break;
		if (ext2fs_find_first_zero_block_bitmap2(f->meta, set, last, &clear))
			clear = last + 1;
		ext2fs_unmark_block_bitmap_range2(f->data, set, clear - set);
		pos = clear;
	}
	/*
	 * A size the plan accepts keeps every data cluster before its end,
	 * so nothing before the group holding that many blocks ever moves:
	 * only files reaching past it are read.
	 */
	pos = fs->super->s_first_data_block +
	      e4_shrink_count_clusters(fs, f->data, fs->super->s_first_data_block,
				       last);
	pos = pos > fs->super->s_first_data_block + 2 ? pos - 2 :
	      fs->super->s_first_data_block;
	if (pos > last)
		pos = last;
	pos = ext2fs_group_first_block2(fs, ext2fs_group_of_blk2(fs, pos));
	rc = e4_shrink_ext_get(fs, pos, &f->ext, err);
	if (rc) {
		e4_shrink_facts_put(f);
		return rc;
	}
	return 0;
fail:
	e4_shrink_facts_put(f);
	return e4_err_ext2(err, ret, "%s: while reading the metadata map",
			   fs->device_name);
}

void e4_shrink_facts_put(struct shrink_facts *f)
{
	if (f->meta)
		ext2fs_free_block_bitmap(f->meta);
	if (f->data)
		ext2fs_free_block_bitmap(f->data);
	f->meta = f->data = NULL;
	e4_shrink_ext_put(&f->ext);
}

/*
 * Where a group's superblock copy starts: its first block, except with
 * 1k blocks and bigalloc, where group 0 starts at block 0 and the
 * superblock is block 1.
 */
static blk64_t sb_start(ext2_filsys fs, dgrp_t group)
{
	blk64_t start = ext2fs_group_first_block2(fs, group);

	if (group == 0 && fs->super->s_first_data_block == 0 &&
	    fs->blocksize == SUPERBLOCK_OFFSET)
		start++;
	return start;
}

static void calc_fail(struct shrink_calc *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void calc_fail(struct shrink_calc *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->code)
		return;
	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/* Special inodes named by the superblock must stay where they are. */
static void check_special_inodes(ext2_filsys fs, struct shrink_calc *c)
{
	struct ext2_super_block *sb = fs->super;
	const struct { const char *what; uint32_t ino; } s[] = {
		{ "journal", ext2fs_has_feature_journal(sb) ? sb->s_journal_inum : 0 },
		{ "user quota", sb->s_usr_quota_inum },
		{ "group quota", sb->s_grp_quota_inum },
		{ "project quota", sb->s_prj_quota_inum },
		{ "orphan file", ext2fs_has_feature_orphan_file(sb) ? sb->s_orphan_file_inum : 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].ino > c->inodes)
			calc_fail(c, -EOPNOTSUPP,
				  "the %s inode (%u) lies in a group that would be removed; renumbering it is not supported",
				  s[i].what, s[i].ino);
}

/*
 * Kept groups' bitmaps and inode tables past the new end move before it
 * (lib/shrink_reloc.c): their destinations come out of the pool.
 */
static void check_kept_metadata(const struct shrink_facts *f,
				struct shrink_calc *c)
{
	ext2_filsys fs = f->fs;
	uint64_t n = c->blocks;
	struct shrink_relocs rl;
	char why[sizeof(c->why)];
	int rc;

	rc = e4_shrink_place_meta(f, c, &rl, why, sizeof(why));
	if (rc)
		calc_fail(c, rc, "%s", why);
	else if (rl.n && EXT2FS_CLUSTER_RATIO(fs) > 1)
		calc_fail(c, -EOPNOTSUPP,
			  "group %u keeps its bitmaps or inode table past the new end, and e4ctl does not relocate group metadata under bigalloc",
			  rl.v[0].group);
	c->relocated = rl.blocks;
	c->dropped += rl.freed;
	e4_shrink_relocs_free(&rl);
	if (f->resize_dind >= n)
		calc_fail(c, -ENOSPC,
			  "the resize inode's block %llu lies past the new end",
			  (unsigned long long)f->resize_dind);
	if (ext2fs_has_feature_mmp(fs->super) && fs->super->s_mmp_block >= n)
		calc_fail(c, -ENOSPC, "the MMP block %llu lies past the new end",
			  (unsigned long long)fs->super->s_mmp_block);
}

/* A new backup's blocks hold data the mover can take away, nothing else. */
static void check_gain(const struct shrink_facts *f, struct shrink_calc *c)
{
	blk64_t last = c->gain_blk + c->gain_len - 1, hit;

	if (!c->gain_len)
		return;
	if (last >= c->blocks ||
	    !ext2fs_find_first_set_block_bitmap2(f->meta, c->gain_blk, last, &hit))
		calc_fail(c, -ENOSPC,
			  "blocks %llu..%llu, where the new superblock backup goes, hold metadata e4ctl does not relocate",
			  (unsigned long long)c->gain_blk,
			  (unsigned long long)last);
}

void e4_shrink_dropped(ext2_filsys fs, const struct shrink_calc *c,
		       void (*fn)(blk64_t blk, uint64_t len, void *arg),
		       void *arg)
{
	uint64_t n = c->blocks, ipb = fs->inode_blocks_per_group;
	dgrp_t g;

	for (g = c->groups; g < fs->group_desc_count; g++) {
		blk64_t it = ext2fs_inode_table_loc(fs, g);

		if (ext2fs_block_bitmap_loc(fs, g) < n)
			fn(ext2fs_block_bitmap_loc(fs, g), 1, arg);
		if (ext2fs_inode_bitmap_loc(fs, g) < n)
			fn(ext2fs_inode_bitmap_loc(fs, g), 1, arg);
		if (it < n)
			fn(it, it + ipb <= n ? ipb : n - it, arg);
	}
	for (g = 0; g < c->groups; g++) {
		uint64_t start = sb_start(fs, g);
		uint64_t after = e4_shrink_sb_blocks(fs, c, g), end;
		uint64_t old_sb = e4_shrink_old_sb_blocks(fs, g);

		end = start + old_sb < n ? start + old_sb : n;
		if (end > start + after)
			fn(start + after, end - start - after, arg);
	}
}

void e4_shrink_kept(ext2_filsys fs, const struct shrink_calc *c,
		    void (*fn)(blk64_t blk, uint64_t len, void *arg),
		    void *arg)
{
	uint64_t sbb;
	dgrp_t g;

	for (g = 0; g < c->groups; g++) {
		sbb = e4_shrink_sb_blocks(fs, c, g);
		if (sbb)
			fn(sb_start(fs, g), sbb, arg);
		fn(ext2fs_block_bitmap_loc(fs, g), 1, arg);
		fn(ext2fs_inode_bitmap_loc(fs, g), 1, arg);
		fn(ext2fs_inode_table_loc(fs, g), fs->inode_blocks_per_group, arg);
	}
}

static void count_range(blk64_t blk, uint64_t len, void *arg)
{
	(void)blk;
	*(uint64_t *)arg += len;
}

static void mark_range(blk64_t blk, uint64_t len, void *arg)
{
	ext2fs_mark_block_bitmap_range2(arg, blk, len);
}

static void unmark_range(blk64_t blk, uint64_t len, void *arg)
{
	ext2fs_unmark_block_bitmap_range2(arg, blk, len);
}

/*
 * Clusters the commit frees.  Without bigalloc the dropped ranges never
 * meet kept metadata; with it, a cluster that still holds some stays.
 */
static uint64_t count_dropped(ext2_filsys fs, const struct shrink_calc *c)
{
	ext2fs_block_bitmap bm;
	uint64_t n = 0;

	if (EXT2FS_CLUSTER_RATIO(fs) == 1) {
		e4_shrink_dropped(fs, c, count_range, &n);
		return n;
	}
	if (ext2fs_allocate_block_bitmap(fs, "shrink: dropped", &bm))
		return 0;
	e4_shrink_dropped(fs, c, mark_range, bm);
	e4_shrink_kept(fs, c, unmark_range, bm);
	n = e4_shrink_count_clusters(fs, bm, fs->super->s_first_data_block,
				     c->blocks - 1);
	ext2fs_free_block_bitmap(bm);
	return n;
}

static int note_run(blk64_t src, blk64_t dst, blk64_t len, void *arg)
{
	return e4_shrink_runs_add(arg, src, dst, len);
}

/*
 * The extent tree blocks the mover will allocate: where it will put
 * each moved block (lib/shrink_dest.c, on a copy of the bitmap with the
 * relocated metadata's places taken, as the engine takes them first),
 * then what remapping each file's extents to there splits
 * (lib/shrink_extent.c).
 */
static void count_extent_blocks(const struct shrink_facts *f,
				struct shrink_calc *c)
{
	ext2_filsys fs = f->fs;
	struct shrink_relocs rl;
	struct shrink_runs rs = { 0 };
	ext2fs_block_bitmap bm = NULL;
	char why[sizeof(c->why)];
	blk64_t blk = 0;
	size_t i;
	int rc;

	if (!f->ext.nfiles)
		return;
	rc = e4_shrink_place_meta(f, c, &rl, why, sizeof(why));
	if (rc)
		goto out_rl;
	if (ext2fs_copy_bitmap(fs->block_map, &bm)) {
		rc = -ENOMEM;
		goto out_rl;
	}
	for (i = 0; i < rl.n; i++)
		ext2fs_mark_block_bitmap_range2(bm, rl.v[i].to, rl.v[i].len);
	rc = e4_shrink_dest(f, c, bm, note_run, &rs, &blk);
	if (!rc)
		rc = e4_shrink_ext_blocks(fs, &f->ext, &rs, &c->extent_blocks);
	e4_shrink_runs_free(&rs);
	ext2fs_free_block_bitmap(bm);
out_rl:
	e4_shrink_relocs_free(&rl);
	if (rc == -ENOSPC)
		calc_fail(c, rc, "no free block before the new end for block %llu",
			  (unsigned long long)blk);
	else if (rc)
		calc_fail(c, rc, "while counting the extent tree blocks: %s",
			  strerror(-rc));
}

void e4_shrink_calc(const struct shrink_facts *f, uint64_t n,
		    struct shrink_calc *c)
{
	ext2_filsys fs = f->fs;
	struct ext2_super_block *sb = fs->super;
	uint64_t fdb = sb->s_first_data_block, bpg = sb->s_blocks_per_group;
	uint64_t dpb = EXT2_DESC_PER_BLOCK(sb), old = ext2fs_blocks_count(sb);
	uint64_t first_ino = EXT2_FIRST_INO(sb), rem, sbb, used;
	const char *unit = EXT2FS_CLUSTER_RATIO(fs) > 1 ? "clusters" : "blocks";
	char note[96] = "";

	memset(c, 0, sizeof(*c));
	c->blocks = n;
	if (n <= fdb + 1 || n > old) {
		calc_fail(c, -EINVAL, "%llu blocks is not a size this filesystem can have",
			  (unsigned long long)n);
		return;
	}
	if (n & EXT2FS_CLUSTER_MASK(fs)) {
		calc_fail(c, -EINVAL, "%llu blocks is not a whole number of clusters of %u blocks (bigalloc)",
			  (unsigned long long)n, EXT2FS_CLUSTER_RATIO(fs));
		return;
	}
	c->groups = (n - fdb + bpg - 1) / bpg;
	c->desc_blocks = (c->groups + dpb - 1) / dpb;
	c->reserved_gdt = sb->s_reserved_gdt_blocks;
	if (ext2fs_has_feature_resize_inode(sb)) {
		uint64_t r = sb->s_reserved_gdt_blocks +
			     (fs->desc_blocks - c->desc_blocks);

		c->reserved_gdt = r > EXT2_ADDR_PER_BLOCK(sb) ?
				  EXT2_ADDR_PER_BLOCK(sb) : r;
	}
	c->inodes = (uint64_t)c->groups * sb->s_inodes_per_group;
	e4_shrink_layout(f, c);
	if (c->backup_lost)
		calc_fail(c, -EOPNOTSUPP,
			  "no kept group can take the second superblock backup (sparse_super2) without its bitmaps and inode table relocated, which e4ctl does not do");
	if (c->gain_groups > 1)
		calc_fail(c, -EOPNOTSUPP,
			  "%u kept groups would gain a superblock backup; e4ctl makes room for one",
			  c->gain_groups);

	rem = n - ext2fs_group_first_block2(fs, c->groups - 1);
	sbb = e4_shrink_sb_blocks(fs, c, c->groups - 1);
	if (rem <= sbb)
		calc_fail(c, -ENOSPC,
			  "the last group (%u) would have %llu blocks, no more than its superblock backup and descriptors (%llu)",
			  c->groups - 1, (unsigned long long)rem,
			  (unsigned long long)sbb);
	check_kept_metadata(f, c);
	check_gain(f, c);
	check_special_inodes(fs, c);

	if (c->inodes < first_ino) {
		calc_fail(c, -ENOSPC, "%llu inodes are fewer than the reserved ones",
			  (unsigned long long)c->inodes);
		return;
	}
	c->inodes_to_move = e4_shrink_count_set(fs->inode_map, c->inodes + 1,
						sb->s_inodes_count, true);
	used = e4_shrink_count_set(fs->inode_map, first_ino, c->inodes, true);
	c->free_inodes = c->inodes - first_ino + 1 - used;
	if (c->inodes_to_move && ext2fs_has_feature_stable_inodes(sb))
		calc_fail(c, -EOPNOTSUPP,
			  "%llu inodes would be renumbered, which stable_inodes forbids",
			  (unsigned long long)c->inodes_to_move);
	if (c->inodes_to_move > c->free_inodes)
		calc_fail(c, -ENOSPC,
			  "%llu inodes are in use in the groups removed, the groups kept have %llu free",
			  (unsigned long long)c->inodes_to_move,
			  (unsigned long long)c->free_inodes);

	/* Under bigalloc the bitmaps, and so every count here, are clusters. */
	c->to_move = e4_shrink_count_clusters(fs, f->data, n, old - 1);
	used = e4_shrink_count_clusters(fs, fs->block_map, fdb, n - 1);
	c->pool = EXT2FS_NUM_B2C(fs, n) - EXT2FS_B2C(fs, fdb) - used;
	if (c->gain_len) {
		/* Its data moves; its free blocks take nothing (no bigalloc). */
		uint64_t last = c->gain_blk + c->gain_len - 1;
		uint64_t in_use = e4_shrink_count_set(fs->block_map, c->gain_blk,
						      last, false);

		c->to_move += e4_shrink_count_set(f->data, c->gain_blk, last,
						  false);
		c->pool -= c->gain_len - in_use;
	}
	c->dropped += count_dropped(fs, c);
	/* The relocated metadata takes its blocks first (no bigalloc). */
	c->pool = c->pool > c->relocated ? c->pool - c->relocated : 0;
	if (!c->code && c->to_move && c->to_move <= c->pool)
		count_extent_blocks(f, c);
	if (c->extent_blocks)
		snprintf(note, sizeof(note), ", and the extent trees they split need %llu more",
			 (unsigned long long)c->extent_blocks);
	if (c->to_move + c->extent_blocks > c->pool)
		calc_fail(c, -ENOSPC,
			  "%llu %s in use lie past the new end%s, %llu free %s before it can take them%s%s",
			  (unsigned long long)c->to_move, unit,
			  c->gain_len ? " or where the new superblock backup goes" : "",
			  (unsigned long long)c->pool, unit,
			  c->relocated ? " (after the kept groups' metadata moved before the end)" : "",
			  note);
}

static bool fits(const struct shrink_facts *f, uint64_t n)
{
	struct shrink_calc c;

	e4_shrink_calc(f, n, &c);
	return c.code == 0;
}

/*
 * The k-th size the search tries: k whole clusters (blocks without
 * bigalloc), capped at the old size.
 */
static uint64_t cand(ext2_filsys fs, uint64_t k)
{
	uint64_t n = k << fs->cluster_ratio_bits;
	uint64_t old = ext2fs_blocks_count(fs->super);

	return n < old ? n : old;
}

uint64_t e4_shrink_calc_minimum(const struct shrink_facts *f)
{
	ext2_filsys fs = f->fs;
	uint64_t old = ext2fs_blocks_count(fs->super), lo, hi, mid, floor;
	dgrp_t glo = 1, ghi = fs->group_desc_count, gmid;

	if (!fits(f, old))
		return 0;
	/* The fewest whole groups that work... */
	while (glo < ghi) {
		gmid = glo + (ghi - glo) / 2;
		hi = ext2fs_group_last_block2(fs, gmid - 1) + 1;
		if (fits(f, hi < old ? hi : old))
			ghi = gmid;
		else
			glo = gmid + 1;
	}
	/* ...then the fewest clusters of the last of them. */
	hi = EXT2FS_NUM_B2C(fs, ext2fs_group_last_block2(fs, glo - 1) + 1);
	floor = EXT2FS_NUM_B2C(fs, ext2fs_group_first_block2(fs, glo - 1) + 1);
	lo = floor;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fits(f, cand(fs, mid)))
			hi = mid;
		else
			lo = mid + 1;
	}
	/* Exact, even where the counts are not monotonic. */
	while (lo > floor && fits(f, cand(fs, lo - 1)))
		lo--;
	return cand(fs, lo);
}

#define refuse e4_resize_refuse

int e4_shrink_minimum(const struct e4_fs *efs, uint64_t *min_blocks,
		      struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	const char *name = e4_target_name(e4_fs_target(efs));
	const char *uns = e4_shrink_unsupported(fs);
	struct shrink_facts f;
	int rc;

	*min_blocks = 0;
	if (uns)
		return e4_err_set(err, -EOPNOTSUPP,
				  "%s: shrinking a filesystem with %s is not supported",
				  name, uns);
	rc = e4_shrink_facts_get(fs, &f, err);
	if (rc)
		return rc;
	*min_blocks = e4_shrink_calc_minimum(&f);
	e4_shrink_facts_put(&f);
	if (!*min_blocks)
		return e4_err_set(err, -EOPNOTSUPP,
				  "%s: the filesystem cannot be planned at its own size",
				  name);
	return 0;
}

int e4_shrink_plan(const struct e4_fs *efs, uint64_t n,
		   struct e4_resize_plan *plan, struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	const char *uns = e4_shrink_unsupported(fs);
	struct shrink_facts f;
	struct shrink_calc c;
	int rc;

	plan->method = E4_RESIZE_OFFLINE_SHRINK;
	plan->new_blocks = n;
	if (uns) {
		refuse(plan, -EOPNOTSUPP,
		       "shrinking a filesystem with %s is not supported", uns);
		return 0;
	}
	rc = e4_shrink_facts_get(fs, &f, err);
	if (rc == -EUCLEAN) {
		/* A refusal: the front end names the device itself. */
		size_t len = strlen(fs->device_name);
		const char *msg = err->msg;

		if (!strncmp(msg, fs->device_name, len) && !strncmp(msg + len, ": ", 2))
			msg += len + 2;
		refuse(plan, rc, "%s", msg);
		return 0;
	}
	if (rc)
		return rc;
	e4_shrink_calc(&f, n, &c);
	plan->min_blocks = e4_shrink_calc_minimum(&f);
	e4_shrink_facts_put(&f);
	/* The front end rounds a request down to a cluster: not below it. */
	if (n & EXT2FS_CLUSTER_MASK(fs)) {
		refuse(plan, c.code, "%s", c.why);
		return 0;
	}

	plan->new_groups = c.groups;
	plan->new_desc_blocks = c.desc_blocks;
	plan->new_inodes = c.inodes;
	plan->blocks_to_move = EXT2FS_C2B(fs, c.to_move);
	plan->inodes_to_move = c.inodes_to_move;
	plan->meta_to_relocate = c.relocated;
	plan->extent_blocks = c.extent_blocks;
	plan->reserved_gdt_covers = true;
	if (c.pool >= c.to_move + c.extent_blocks)
		plan->free_blocks_after = EXT2FS_C2B(fs, c.pool + c.dropped -
						     c.to_move - c.extent_blocks);
	if (c.free_inodes >= c.inodes_to_move)
		plan->free_inodes_after = c.free_inodes - c.inodes_to_move;
	if (c.code)
		refuse(plan, c.code, "%llu blocks is below the minimum of %llu blocks: %s",
		       (unsigned long long)n,
		       (unsigned long long)plan->min_blocks, c.why);
	return 0;
}
