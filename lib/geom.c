// SPDX-License-Identifier: GPL-2.0
/*
 * Block group geometry, for the online and offline resize plans, the
 * engines and `info`: group counts, descriptor blocks, backup groups and
 * group overhead, computed from a copy of the superblock fields so that
 * a plan is a pure function and every case can be tested from a table.
 */
#include <string.h>

#include "e4/geom.h"

void e4_geom_from_super(struct ext2_super_block *sb, struct e4_geom *g)
{
	uint64_t ipb;

	memset(g, 0, sizeof(*g));
	g->block_size = EXT2_BLOCK_SIZE(sb);
	g->first_data_block = sb->s_first_data_block;
	g->blocks_per_group = sb->s_blocks_per_group;
	g->inodes_per_group = sb->s_inodes_per_group;
	ipb = g->block_size / EXT2_INODE_SIZE(sb);
	g->inode_blocks_per_group = ipb ? (g->inodes_per_group + ipb - 1) / ipb : 0;
	g->desc_per_block = EXT2_DESC_PER_BLOCK(sb);
	g->bigalloc = ext2fs_has_feature_bigalloc(sb);
	g->cluster_ratio = g->bigalloc && sb->s_log_cluster_size >= sb->s_log_block_size ?
			   1U << (sb->s_log_cluster_size - sb->s_log_block_size) : 1;
	g->reserved_gdt_blocks = sb->s_reserved_gdt_blocks;
	g->first_meta_bg = sb->s_first_meta_bg;
	g->log_groups_per_flex = sb->s_log_groups_per_flex;
	g->backup_bgs[0] = sb->s_backup_bgs[0];
	g->backup_bgs[1] = sb->s_backup_bgs[1];
	g->blocks = ext2fs_blocks_count(sb);
	g->r_blocks = ext2fs_r_blocks_count(sb);
	g->inodes = sb->s_inodes_count;
	g->sparse_super = ext2fs_has_feature_sparse_super(sb);
	g->sparse_super2 = ext2fs_has_feature_sparse_super2(sb);
	g->meta_bg = ext2fs_has_feature_meta_bg(sb);
	g->resize_inode = ext2fs_has_feature_resize_inode(sb);
	g->is_64bit = ext2fs_has_feature_64bit(sb);
	g->flex_bg = ext2fs_has_feature_flex_bg(sb);
	g->groups = e4_geom_groups(g, g->blocks);
	g->desc_blocks = e4_geom_desc_blocks(g, g->groups);
}

void e4_geom_from_fs(ext2_filsys fs, struct e4_geom *g)
{
	e4_geom_from_super(fs->super, g);
	/* libext2fs's own figures, where it has them. */
	g->inode_blocks_per_group = fs->inode_blocks_per_group;
	g->cluster_ratio = EXT2FS_CLUSTER_RATIO(fs);
}

uint64_t e4_geom_groups(const struct e4_geom *g, uint64_t blocks)
{
	uint64_t bpg = g->blocks_per_group;

	if (!bpg || blocks <= g->first_data_block)
		return 0;
	return (blocks - g->first_data_block + bpg - 1) / bpg;
}

uint64_t e4_geom_group_start(const struct e4_geom *g, uint64_t group)
{
	return g->first_data_block + group * (uint64_t)g->blocks_per_group;
}

uint64_t e4_geom_desc_blocks(const struct e4_geom *g, uint64_t groups)
{
	uint64_t dpb = g->desc_per_block;

	return dpb ? (groups + dpb - 1) / dpb : 0;
}

uint64_t e4_geom_flex_blocks(const struct e4_geom *g)
{
	uint64_t groups = 1;

	if (g->flex_bg && g->log_groups_per_flex < 31)
		groups = 1ULL << g->log_groups_per_flex;
	return groups * g->blocks_per_group;
}

/* Whether group is a power of base (1 counts as base^0). */
static bool is_power_of(uint64_t group, uint64_t base)
{
	uint64_t n = base;

	if (group == 1)
		return true;
	while (n < group)
		n *= base;
	return n == group;
}

bool e4_geom_has_super(const struct e4_geom *g, uint64_t group)
{
	if (group == 0)
		return true;
	if (g->sparse_super2)
		return group == g->backup_bgs[0] || group == g->backup_bgs[1];
	if (group <= 1 || !g->sparse_super)
		return true;
	if (!(group & 1))
		return false;
	return is_power_of(group, 3) || is_power_of(group, 5) ||
	       is_power_of(group, 7);
}

void e4_geom_gdt_now(const struct e4_geom *g, struct e4_geom_gdt *d)
{
	d->meta_bg = g->meta_bg;
	d->first_meta_bg = g->first_meta_bg;
	d->gdb = g->desc_blocks;
	d->reserved = g->reserved_gdt_blocks;
}

uint64_t e4_geom_group_overhead(const struct e4_geom *g,
				const struct e4_geom_gdt *d, uint64_t group,
				bool has_super)
{
	uint64_t dpb = g->desc_per_block, in_mbg = group % dpb;
	uint64_t n = has_super ? 1 + d->reserved : 0;

	if (!d->meta_bg)
		return n + (has_super ? d->gdb : 0);
	if (group / dpb < d->first_meta_bg)
		return n + (has_super ? d->first_meta_bg : 0);
	return n + (in_mbg == 0 || in_mbg == 1 || in_mbg == dpb - 1);
}

/*
 * The kernel converts to meta_bg before it checks the last group: with
 * resize_inode, once it has grown into the last reserved GDT block (then
 * s_first_meta_bg is every descriptor block so far and none is reserved
 * any more); without, on any growth before 6.10 and on one that adds a
 * descriptor block since.  Steps change nothing here: growing within the
 * reserved GDT blocks adds to s_gdb_count what it takes from
 * s_reserved_gdt_blocks, and the conversion depends on the final size.
 */
void e4_geom_kernel_gdt(const struct e4_geom *g, uint64_t n,
			bool kernel_meta_bg_resize, bool converts_any,
			struct e4_geom_gdt *d)
{
	uint64_t o_desc = g->desc_blocks;
	uint64_t n_desc = e4_geom_desc_blocks(g, e4_geom_groups(g, n));

	e4_geom_gdt_now(g, d);
	if (d->meta_bg || !kernel_meta_bg_resize || n <= g->blocks)
		return;
	if (g->resize_inode) {
		if (n_desc <= o_desc + d->reserved)
			return;
		d->first_meta_bg = o_desc + d->reserved;
	} else {
		if (n_desc <= o_desc && !converts_any)
			return;
		d->first_meta_bg = o_desc;
	}
	d->meta_bg = true;
	d->reserved = 0;
}

uint64_t e4_geom_kernel_trim(const struct e4_geom *g, uint64_t n,
			     bool kernel_meta_bg_resize, bool converts_any)
{
	uint64_t cur = g->blocks, last, start;
	struct e4_geom_gdt d;

	e4_geom_kernel_gdt(g, n, kernel_meta_bg_resize, converts_any, &d);
	/* ext4_resize_fs: trim, retry; equal returns 0, less is a shrink. */
	while (n > cur) {
		last = e4_geom_groups(g, n) - 1;
		start = e4_geom_group_start(g, last);
		if (start + e4_geom_group_overhead(g, &d, last,
						   e4_geom_has_super(g, last)) +
		    2 + g->inode_blocks_per_group + g->cluster_ratio < n)
			break;
		n = start;
	}
	return n;
}

/*
 * Where the two sparse_super2 backups go when the group count grows.  As
 * resize2fs: a one-group filesystem gets its first backup in group 1, the
 * second backup follows the last group (and a filesystem of fewer than
 * three groups gets one there).  Unlike resize2fs, mke2fs's pair {0, 1}
 * of a two-group filesystem becomes {1, last}, as mke2fs would make it:
 * group 1 keeps the backup it has instead of losing it.  New backups are
 * only ever put in new groups; an old group that loses one is recorded,
 * for the engine to free its blocks.
 */
static void sparse_super2_backups(const struct e4_geom *g,
				  struct e4_geom_layout *l)
{
	uint32_t old_n = g->groups, last = l->groups - 1;
	int i;

	if (old_n == 1)
		l->backup_bgs[0] = 1;
	else if (old_n == 2 && g->backup_bgs[0] == 0 &&
		 g->backup_bgs[1] == 1 && l->groups > 2)
		l->backup_bgs[0] = 1;
	if ((old_n < 3 && l->groups > 2) || g->backup_bgs[1])
		l->backup_bgs[1] = last;

	for (i = 0; i < 2; i++) {
		uint32_t was = g->backup_bgs[i], now = l->backup_bgs[i];

		if (was && was < old_n && e4_geom_has_super(g, was) &&
		    !e4_geom_layout_has_super(g, l, was) &&
		    (l->ndropped == 0 || l->dropped[0] != was))
			l->dropped[l->ndropped++] = was;
		if (now && now < old_n && !e4_geom_has_super(g, now))
			l->gains_backup = true;
	}
}

void e4_geom_layout(const struct e4_geom *g, uint64_t blocks,
		    struct e4_geom_layout *l)
{
	uint64_t groups = e4_geom_groups(g, blocks);
	uint64_t o_desc = g->desc_blocks, rsv = g->reserved_gdt_blocks;

	memset(l, 0, sizeof(*l));
	l->blocks = blocks;
	l->groups = groups > 0xFFFFFFFFULL ? 0xFFFFFFFF : (uint32_t)groups;
	l->desc_blocks = e4_geom_desc_blocks(g, groups);
	l->reserved_gdt = rsv;
	l->meta_bg = g->meta_bg;
	l->first_meta_bg = g->first_meta_bg;
	l->inodes = groups * g->inodes_per_group;
	if (!l->meta_bg && l->desc_blocks > o_desc) {
		if (g->resize_inode && l->desc_blocks <= o_desc + rsv) {
			l->reserved_gdt = rsv - (l->desc_blocks - o_desc);
		} else {
			/*
			 * As ext4_resize_fs: the reserved GDT blocks become
			 * ordinary descriptor blocks first, then meta_bg
			 * starts where they end.  Nothing has to be freed.
			 */
			l->meta_bg = l->to_meta_bg = true;
			l->first_meta_bg = o_desc + (g->resize_inode ? rsv : 0);
			l->reserved_gdt = 0;
		}
	}
	l->backup_bgs[0] = g->backup_bgs[0];
	l->backup_bgs[1] = g->backup_bgs[1];
	if (g->sparse_super2 && l->groups > g->groups)
		sparse_super2_backups(g, l);
}

bool e4_geom_layout_has_super(const struct e4_geom *g,
			      const struct e4_geom_layout *l, uint64_t group)
{
	if (group == 0)
		return true;
	if (g->sparse_super2)
		return group == l->backup_bgs[0] || group == l->backup_bgs[1];
	/* Without sparse_super2 the answer does not depend on the size. */
	return e4_geom_has_super(g, group);
}

uint64_t e4_geom_layout_overhead(const struct e4_geom *g,
				 const struct e4_geom_layout *l, uint64_t group)
{
	struct e4_geom_gdt d = {
		.meta_bg = l->meta_bg,
		.first_meta_bg = l->first_meta_bg,
		.gdb = l->desc_blocks,
		.reserved = l->reserved_gdt,
	};

	return 2 + g->inode_blocks_per_group +
	       e4_geom_group_overhead(g, &d, group,
				      e4_geom_layout_has_super(g, l, group));
}

uint64_t e4_geom_offline_trim(const struct e4_geom *g, uint64_t n,
			      uint64_t slack, struct e4_geom_layout *l)
{
	for (;;) {
		uint64_t last;

		e4_geom_layout(g, n, l);
		if (n <= g->blocks || !l->groups)
			break;
		last = l->groups - 1;
		if (last < g->groups)
			break;
		if (n - e4_geom_group_start(g, last) >=
		    e4_geom_layout_overhead(g, l, last) + slack)
			break;
		n = e4_geom_group_start(g, last);
	}
	return n;
}
