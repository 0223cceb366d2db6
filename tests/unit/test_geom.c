// SPDX-License-Identifier: GPL-2.0
/*
 * lib/geom.c from hand-made geometries: group counts (with the
 * first_data_block guard), descriptor blocks, backup groups against
 * libext2fs's own ext2fs_bg_has_super, group overhead with and without
 * meta_bg, the kernel's last-group trim and meta_bg conversion, and the
 * offline layout (reserved GDT blocks, meta_bg, sparse_super2 backups).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "e4/geom.h"

/* 4 KiB blocks, 32768 per group, 8192 inodes (512 table blocks), 64bit. */
static struct e4_geom base(uint64_t blocks)
{
	struct e4_geom g;

	memset(&g, 0, sizeof(g));
	g.block_size = 4096;
	g.blocks_per_group = 32768;
	g.inodes_per_group = 8192;
	g.inode_blocks_per_group = 512;
	g.desc_per_block = 64;
	g.cluster_ratio = 1;
	g.reserved_gdt_blocks = 63;
	g.sparse_super = g.resize_inode = g.is_64bit = true;
	g.blocks = blocks;
	g.groups = e4_geom_groups(&g, blocks);
	g.desc_blocks = e4_geom_desc_blocks(&g, g.groups);
	g.inodes = (uint64_t)g.groups * g.inodes_per_group;
	return g;
}

static void test_groups(void **state)
{
	struct e4_geom g = base(32768);

	(void)state;
	assert_int_equal(e4_geom_groups(&g, 0), 0);
	assert_int_equal(e4_geom_groups(&g, 1), 1);
	assert_int_equal(e4_geom_groups(&g, 32768), 1);
	assert_int_equal(e4_geom_groups(&g, 32769), 2);
	/* 1 KiB blocks: block 0 is before the first group. */
	g.first_data_block = 1;
	g.blocks_per_group = 8192;
	assert_int_equal(e4_geom_groups(&g, 0), 0);
	assert_int_equal(e4_geom_groups(&g, 1), 0);
	assert_int_equal(e4_geom_groups(&g, 2), 1);
	assert_int_equal(e4_geom_groups(&g, 8193), 1);
	assert_int_equal(e4_geom_groups(&g, 8194), 2);
	assert_int_equal(e4_geom_group_start(&g, 0), 1);
	assert_int_equal(e4_geom_group_start(&g, 3), 3 * 8192 + 1);
	/* Past 32 bits of groups the arithmetic stays 64-bit. */
	g.first_data_block = 0;
	g.blocks_per_group = 32768;
	assert_int_equal(e4_geom_group_start(&g, 1ULL << 32), 1ULL << 47);
	g.blocks_per_group = 0;
	assert_int_equal(e4_geom_groups(&g, 100), 0);
}

static void test_desc_and_flex(void **state)
{
	struct e4_geom g = base(32768);

	(void)state;
	assert_int_equal(e4_geom_desc_blocks(&g, 0), 0);
	assert_int_equal(e4_geom_desc_blocks(&g, 1), 1);
	assert_int_equal(e4_geom_desc_blocks(&g, 64), 1);
	assert_int_equal(e4_geom_desc_blocks(&g, 65), 2);
	assert_int_equal(e4_geom_flex_blocks(&g), 32768);
	g.flex_bg = true;
	g.log_groups_per_flex = 4;
	assert_int_equal(e4_geom_flex_blocks(&g), 16 * 32768);
	g.log_groups_per_flex = 40;	/* nonsense: one group */
	assert_int_equal(e4_geom_flex_blocks(&g), 32768);
}

/* e4_geom_has_super agrees with libext2fs for every layout. */
static void check_against_libext2fs(struct ext2_super_block *sb)
{
	struct struct_ext2_filsys fake;
	struct e4_geom g;
	dgrp_t i;

	memset(&fake, 0, sizeof(fake));
	fake.super = sb;
	e4_geom_from_super(sb, &g);
	for (i = 0; i < 20000; i++)
		assert_int_equal(e4_geom_has_super(&g, i),
				 ext2fs_bg_has_super(&fake, i) != 0);
}

static void test_has_super(void **state)
{
	struct ext2_super_block sb;
	struct e4_geom g = base(32768 * 100);

	(void)state;
	assert_true(e4_geom_has_super(&g, 0));
	assert_true(e4_geom_has_super(&g, 1));
	assert_false(e4_geom_has_super(&g, 2));
	assert_true(e4_geom_has_super(&g, 3));
	assert_true(e4_geom_has_super(&g, 49));
	assert_true(e4_geom_has_super(&g, 125));
	assert_false(e4_geom_has_super(&g, 15));
	assert_false(e4_geom_has_super(&g, 99));

	memset(&sb, 0, sizeof(sb));
	sb.s_log_block_size = 2;
	sb.s_blocks_per_group = 32768;
	sb.s_inodes_per_group = 8192;
	sb.s_rev_level = 1;
	sb.s_inode_size = 256;
	ext2fs_set_feature_sparse_super(&sb);
	check_against_libext2fs(&sb);
	ext2fs_clear_feature_sparse_super(&sb);
	check_against_libext2fs(&sb);
	ext2fs_set_feature_sparse_super2(&sb);
	sb.s_backup_bgs[0] = 1;
	sb.s_backup_bgs[1] = 777;
	check_against_libext2fs(&sb);
	sb.s_backup_bgs[0] = 0;
	sb.s_backup_bgs[1] = 0;
	check_against_libext2fs(&sb);
}

static void test_overhead(void **state)
{
	struct e4_geom g = base(32768 * 200);	/* 200 groups: 4 desc blocks */
	struct e4_geom_gdt d;

	(void)state;
	e4_geom_gdt_now(&g, &d);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 0, true), 1 + 63 + 4);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 2, false), 0);
	/* meta_bg from meta group 1 on: groups 64, 65 and 127 hold one. */
	d.meta_bg = true;
	d.first_meta_bg = 1;
	d.reserved = 0;
	assert_int_equal(e4_geom_group_overhead(&g, &d, 0, true), 1 + 1);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 64, false), 1);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 65, false), 1);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 66, false), 0);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 127, false), 1);
	/* A backup group past first_meta_bg: superblock plus its copy. */
	assert_int_equal(e4_geom_group_overhead(&g, &d, 125, true), 1);
	assert_int_equal(e4_geom_group_overhead(&g, &d, 128, true), 2);
}

static void test_kernel_trim(void **state)
{
	struct e4_geom g = base(2 * 32768);
	struct e4_geom_gdt d;

	(void)state;
	/* Group 2 with 10 blocks cannot hold its bitmaps and table. */
	assert_int_equal(e4_geom_kernel_trim(&g, 2 * 32768 + 10, true, false),
			 2 * 32768);
	assert_int_equal(e4_geom_kernel_trim(&g, 3 * 32768, true, false),
			 3 * 32768);
	/* Group 3 is a backup group: superblock, 63 reserved and 1
	 * descriptor block, 2 bitmaps, 512 table blocks, 1 cluster. */
	assert_int_equal(e4_geom_kernel_trim(&g, 3 * 32768 + 580, true, false),
			 3 * 32768);
	assert_int_equal(e4_geom_kernel_trim(&g, 3 * 32768 + 581, true, false),
			 3 * 32768 + 581);
	/* Not growing: as asked. */
	assert_int_equal(e4_geom_kernel_trim(&g, 32768, true, false), 32768);

	/* Growth past the reserved GDT blocks converts, with them as
	 * ordinary descriptor blocks. */
	e4_geom_kernel_gdt(&g, 65ULL * 64 * 32768, true, false, &d);
	assert_true(d.meta_bg);
	assert_int_equal(d.first_meta_bg, 1 + 63);
	assert_int_equal(d.reserved, 0);
	e4_geom_kernel_gdt(&g, 65ULL * 64 * 32768, false, false, &d);
	assert_false(d.meta_bg);
	/* Neither resize_inode nor meta_bg: before 6.10 any growth. */
	g.resize_inode = false;
	g.reserved_gdt_blocks = 0;
	e4_geom_kernel_gdt(&g, 3 * 32768, true, true, &d);
	assert_true(d.meta_bg);
	assert_int_equal(d.first_meta_bg, 1);
	e4_geom_kernel_gdt(&g, 3 * 32768, true, false, &d);
	assert_false(d.meta_bg);
}

static void test_layout(void **state)
{
	struct e4_geom g = base(2 * 32768);
	struct e4_geom_layout l;

	(void)state;
	/* Within the reserved blocks: they shrink. */
	e4_geom_layout(&g, 100ULL * 32768, &l);
	assert_int_equal(l.groups, 100);
	assert_int_equal(l.desc_blocks, 2);
	assert_int_equal(l.reserved_gdt, 62);
	assert_false(l.to_meta_bg);
	assert_int_equal(l.inodes, 100ULL * 8192);
	/* Past them: meta_bg where they end. */
	e4_geom_layout(&g, 65ULL * 64 * 32768, &l);
	assert_true(l.to_meta_bg);
	assert_int_equal(l.first_meta_bg, 64);
	assert_int_equal(l.reserved_gdt, 0);
	/* A small new last group is left out (50 blocks of slack). */
	assert_int_equal(e4_geom_offline_trim(&g, 3 * 32768 + 100, 50, &l),
			 3 * 32768);
	assert_int_equal(l.groups, 3);
	assert_int_equal(e4_geom_offline_trim(&g, 2 * 32768 + 600, 50, &l),
			 2 * 32768 + 600);
	assert_int_equal(e4_geom_layout_overhead(&g, &l, 2), 2 + 512);
	assert_int_equal(e4_geom_layout_overhead(&g, &l, 1), 2 + 512 + 1 + 63 + 1);
	/* Not a grow: untouched. */
	assert_int_equal(e4_geom_offline_trim(&g, 100, 50, &l), 100);
}

static void test_sparse_super2(void **state)
{
	struct e4_geom g = base(32768);
	struct e4_geom_layout l;

	(void)state;
	g.sparse_super = false;
	g.sparse_super2 = true;
	/* One group: the first backup goes to group 1, the second last. */
	e4_geom_layout(&g, 5 * 32768, &l);
	assert_int_equal(l.backup_bgs[0], 1);
	assert_int_equal(l.backup_bgs[1], 4);
	assert_int_equal(l.ndropped, 0);
	assert_false(l.gains_backup);
	assert_true(e4_geom_layout_has_super(&g, &l, 4));
	assert_false(e4_geom_layout_has_super(&g, &l, 3));
	/* The last-group backup moves on: the old one is dropped. */
	g = base(5 * 32768);
	g.sparse_super2 = true;
	g.backup_bgs[0] = 1;
	g.backup_bgs[1] = 4;
	e4_geom_layout(&g, 9 * 32768, &l);
	assert_int_equal(l.backup_bgs[1], 8);
	assert_int_equal(l.ndropped, 1);
	assert_int_equal(l.dropped[0], 4);
	/* {0, 1} of two groups becomes {1, last}: group 1 keeps its own. */
	g = base(2 * 32768);
	g.sparse_super2 = true;
	g.backup_bgs[0] = 0;
	g.backup_bgs[1] = 1;
	e4_geom_layout(&g, 6 * 32768, &l);
	assert_int_equal(l.backup_bgs[0], 1);
	assert_int_equal(l.backup_bgs[1], 5);
	assert_int_equal(l.ndropped, 0);
	/* A backup that would land in an old group without one. */
	g = base(3 * 32768);
	g.sparse_super2 = true;
	g.backup_bgs[0] = 0;
	g.backup_bgs[1] = 0;
	e4_geom_layout(&g, 6 * 32768, &l);
	assert_false(l.gains_backup);
	g = base(1 * 32768);
	g.sparse_super2 = true;
	g.backup_bgs[0] = 0;
	g.backup_bgs[1] = 0;
	e4_geom_layout(&g, 3 * 32768, &l);
	assert_int_equal(l.backup_bgs[0], 1);
	assert_false(l.gains_backup);
}

static void test_from_super(void **state)
{
	struct ext2_super_block sb;
	struct e4_geom g;

	(void)state;
	memset(&sb, 0, sizeof(sb));
	sb.s_log_block_size = 0;	/* 1 KiB */
	sb.s_log_cluster_size = 4;	/* 16 KiB clusters */
	sb.s_first_data_block = 1;
	sb.s_blocks_per_group = 8192;
	sb.s_inodes_per_group = 2048;
	sb.s_rev_level = 1;
	sb.s_inode_size = 256;
	sb.s_blocks_count = 8192 * 3 + 1;
	sb.s_inodes_count = 3 * 2048;
	ext2fs_set_feature_bigalloc(&sb);
	e4_geom_from_super(&sb, &g);
	assert_int_equal(g.block_size, 1024);
	assert_int_equal(g.cluster_ratio, 16);
	assert_int_equal(g.groups, 3);
	assert_int_equal(g.desc_blocks, 1);
	assert_int_equal(g.desc_per_block, 32);
	assert_int_equal(g.inode_blocks_per_group, 512);
	assert_true(g.bigalloc);
	assert_false(g.is_64bit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_desc_and_flex),
		cmocka_unit_test(test_has_super),
		cmocka_unit_test(test_overhead),
		cmocka_unit_test(test_kernel_trim),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_sparse_super2),
		cmocka_unit_test(test_from_super),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
