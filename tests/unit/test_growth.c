// SPDX-License-Identifier: GPL-2.0
/*
 * e4_growth_limit against filesystems made by mke2fs: each limit the
 * kernel imposes on EXT4_IOC_RESIZE_FS, with the device size chosen by
 * the test (the function takes it as an argument), and the errcode_t
 * boundary of lib/err.c.  Device sizes that end inside a group check the
 * kernel's last-group trim (e4_growth_trim).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "e4/err.h"
#include "e4/fs.h"
#include "e4/growth.h"
#include "e4/sysfs.h"
#include "e4/target.h"

struct img {
	char dir[64];
	char path[96];
	struct e4_target *t;
	struct e4_fs *fs;
};

/*
 * mke2fs OPTS into a fresh sparse image of size bytes, then the shell
 * command POST (NULL: none; "%1$s" is the image), opened read-only.
 */
static void make_img_post(struct img *m, const char *size, const char *opts,
			  const char *post)
{
	char cmd[1024], tail[512] = "";
	struct e4_err err = { 0 };

	snprintf(m->dir, sizeof(m->dir), "/tmp/e4-unit-XXXXXX");
	assert_non_null(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/fs.img", m->dir);
	if (post)
		snprintf(tail, sizeof(tail), post, m->path);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s %s %s && mke2fs -q -F %s %s >/dev/null 2>&1%s%s",
		 size, m->path, opts, m->path, post ? " && " : "", tail);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(e4_target_resolve(m->path, &m->t, &err), 0);
	assert_int_equal(e4_fs_open(m->t, 0, &m->fs, &err), 0);
}

static void make_img(struct img *m, const char *size, const char *opts)
{
	make_img_post(m, size, opts, NULL);
}

static void drop_img(struct img *m)
{
	e4_fs_close(m->fs);
	e4_target_free(m->t);
	unlink(m->path);
	rmdir(m->dir);
}

static void test_device_limit(void **state)
{
	struct e4_growth g;
	struct img m;

	(void)state;
	make_img(&m, "64M", "-t ext4 -b 4096");
	e4_growth_limit(e4_fs_ext2(m.fs), 1ULL << 20, true, &g);
	assert_int_equal(g.limit, E4_GROW_DEVICE);
	assert_int_equal(g.max_blocks, 1ULL << 20);
	assert_false(g.meta_bg_conversion);
	/* A device no larger than the filesystem: nowhere to go. */
	e4_growth_limit(e4_fs_ext2(m.fs), 16384, true, &g);
	assert_int_equal(g.max_blocks, 16384);
	assert_non_null(strstr(g.why, "no room beyond"));
	drop_img(&m);
}

static void test_32bit_limit(void **state)
{
	struct e4_growth g;
	struct img m;

	(void)state;
	make_img(&m, "64M", "-t ext4 -b 4096 -O ^64bit");
	e4_growth_limit(e4_fs_ext2(m.fs), 1ULL << 33, true, &g);
	assert_int_equal(g.limit, E4_GROW_32BIT);
	/* The last group keeps 32767 blocks: room for its metadata. */
	assert_int_equal(g.max_blocks, 0xFFFFFFFFULL);
	drop_img(&m);
}

static void test_inode_limit(void **state)
{
	struct e4_growth g;
	struct img m;

	(void)state;
	/* 8192 inodes per group: 524287 groups at most. */
	make_img(&m, "64M", "-t ext4 -b 4096 -O 64bit -i 4096");
	e4_growth_limit(e4_fs_ext2(m.fs), 1ULL << 40, true, &g);
	assert_int_equal(g.limit, E4_GROW_INODES);
	assert_int_equal(g.max_blocks,
			 (0xFFFFFFFFULL / e4_fs_ext2(m.fs)->super->s_inodes_per_group) *
			 32768ULL);
	drop_img(&m);
}

static void test_reserved_gdt(void **state)
{
	struct e4_growth g;
	struct img m;
	ext2_filsys fs;
	uint64_t cover;

	(void)state;
	make_img(&m, "64M", "-t ext4 -b 1024 -E resize=200000");
	fs = e4_fs_ext2(m.fs);
	cover = (fs->desc_blocks + fs->super->s_reserved_gdt_blocks) *
		(uint64_t)EXT2_DESC_PER_BLOCK(fs->super) * 8192 + 1;
	/* A kernel without meta_bg_resize stops at the reserved blocks. */
	e4_growth_limit(fs, 1ULL << 22, false, &g);
	assert_int_equal(g.limit, E4_GROW_RESERVED_GDT);
	assert_int_equal(g.max_blocks, cover);
	assert_false(g.meta_bg_conversion);
	/* One with it converts to meta_bg and takes the whole device. */
	e4_growth_limit(fs, 1ULL << 22, true, &g);
	assert_int_equal(g.limit, E4_GROW_DEVICE);
	assert_true(g.meta_bg_conversion);
	assert_int_equal(g.max_blocks, 1ULL << 22);
	drop_img(&m);
}

static void test_sparse_super2(void **state)
{
	struct e4_growth g;
	struct img m;

	(void)state;
	make_img(&m, "64M", "-t ext4 -O sparse_super2");
	e4_growth_limit(e4_fs_ext2(m.fs), 1ULL << 22, true, &g);
	assert_int_equal(g.limit, E4_GROW_SPARSE_SUPER2);
	assert_int_equal(g.max_blocks, ext2fs_blocks_count(e4_fs_ext2(m.fs)->super));
	drop_img(&m);
}

static void test_bigalloc_rounds_to_cluster(void **state)
{
	struct e4_growth g;
	struct img m;

	(void)state;
	make_img(&m, "256M", "-t ext4 -b 4096 -O bigalloc -C 65536");
	e4_growth_limit(e4_fs_ext2(m.fs), (1ULL << 20) + 7, true, &g);
	assert_int_equal(g.max_blocks % 16, 0);
	assert_int_equal(g.max_blocks, 1ULL << 20);
	drop_img(&m);
}

/*
 * Device sizes that end inside a group: ext4_resize_fs keeps a last group
 * only when first block + overhead + 2 bitmaps + inode table + a cluster
 * < the new block count, overhead being ext4_group_overhead_blocks() of
 * the superblock the call starts from.  kernel_min() is that bound, the
 * smallest block count that keeps group g.
 */
static uint64_t group_start(ext2_filsys fs, uint64_t g)
{
	return fs->super->s_first_data_block + g * fs->super->s_blocks_per_group;
}

static uint64_t kernel_min(ext2_filsys fs, uint64_t g, uint64_t overhead)
{
	return group_start(fs, g) + overhead + 2 + fs->inode_blocks_per_group +
	       EXT2FS_CLUSTER_RATIO(fs) + 1;
}

/* Assert where a device of n blocks leaves the filesystem. */
static void assert_max(ext2_filsys fs, uint64_t n, uint64_t want)
{
	struct e4_growth g;

	e4_growth_limit(fs, n, true, &g);
	assert_int_equal(g.max_blocks, want);
	assert_int_equal(e4_growth_trim(fs, n, true), want);
}

static void test_last_group_ten_blocks(void **state)
{
	struct e4_growth g;
	struct img m;
	ext2_filsys fs;

	(void)state;
	/* One full group of 32768 4k blocks; the device 10 blocks more. */
	make_img(&m, "128M", "-t ext4 -b 4096");
	fs = e4_fs_ext2(m.fs);
	assert_int_equal(ext2fs_blocks_count(fs->super), 32768);
	e4_growth_limit(fs, 32778, true, &g);
	assert_int_equal(g.limit, E4_GROW_DEVICE);
	assert_int_equal(g.max_blocks, 32768);
	assert_false(g.meta_bg_conversion);
	assert_non_null(strstr(g.why, "no room beyond"));
	/* The kernel trims back to the current size: it answers 0. */
	assert_int_equal(e4_growth_trim(fs, 32778, true), 32768);
	drop_img(&m);
}

static void test_last_group_reserved_gdt(void **state)
{
	struct img m;
	ext2_filsys fs;
	uint64_t o_desc, ovh, min;

	(void)state;
	/*
	 * 1k blocks, 64bit: 16 descriptors a block.  Group 25 (a backup) is
	 * the first of a second descriptor block, inside the reserved GDT
	 * blocks.  The kernel counts the descriptor blocks it has now
	 * (s_gdb_count, 1), not the 2 that the grown table will have: what
	 * it takes from s_reserved_gdt_blocks it adds to s_gdb_count.
	 */
	make_img(&m, "16M", "-t ext4 -b 1024 -O 64bit");
	fs = e4_fs_ext2(m.fs);
	assert_int_equal(EXT2_DESC_PER_BLOCK(fs->super), 16);
	o_desc = fs->desc_blocks;
	assert_int_equal(o_desc, 1);
	assert_true(fs->super->s_reserved_gdt_blocks >= 1);
	ovh = 1 + fs->super->s_reserved_gdt_blocks + o_desc;
	min = kernel_min(fs, 25, ovh);
	assert_max(fs, min, min);
	assert_max(fs, min - 1, group_start(fs, 25));
	assert_max(fs, group_start(fs, 25) + 1, group_start(fs, 25));
	/* Group 26 has no backup: bitmaps, inode table and a cluster. */
	assert_max(fs, kernel_min(fs, 26, 0), kernel_min(fs, 26, 0));
	assert_max(fs, kernel_min(fs, 26, 0) - 1, group_start(fs, 26));
	drop_img(&m);
}

static void test_last_group_after_conversion(void **state)
{
	struct e4_growth g;
	struct img m;
	ext2_filsys fs;
	uint64_t min;

	(void)state;
	/*
	 * No resize_inode: growing into a second descriptor block converts
	 * to meta_bg first (every kernel with meta_bg_resize), with
	 * s_first_meta_bg 1.  Group 25 is then in meta group 1 and, not
	 * being its first, second or last group, holds no descriptor block:
	 * only its superblock backup counts.
	 */
	make_img(&m, "16M", "-t ext4 -b 1024 -O 64bit,^resize_inode");
	fs = e4_fs_ext2(m.fs);
	assert_int_equal(fs->super->s_reserved_gdt_blocks, 0);
	min = kernel_min(fs, 25, 1);
	e4_growth_limit(fs, min, true, &g);
	assert_true(g.meta_bg_conversion);
	assert_int_equal(g.max_blocks, min);
	assert_max(fs, min - 1, group_start(fs, 25));
	/* Group 32 starts meta group 2: one descriptor block, no backup. */
	assert_max(fs, kernel_min(fs, 32, 1), kernel_min(fs, 32, 1));
	assert_max(fs, kernel_min(fs, 32, 1) - 1, group_start(fs, 32));
	drop_img(&m);
}

static void test_last_group_below_first_meta_bg(void **state)
{
	struct img m;
	ext2_filsys fs;
	uint64_t min;

	(void)state;
	/*
	 * A meta_bg filesystem as the kernel's conversion leaves it
	 * (s_first_meta_bg 1, no resize_inode).  Groups of meta group 0 keep
	 * the old layout: a backup group carries s_first_meta_bg descriptor
	 * blocks after its superblock (ext4_bg_num_gdb_nometa).
	 */
	make_img_post(&m, "16M", "-t ext4 -b 1024 -O 64bit,^resize_inode",
		      "debugfs -w -R 'feature meta_bg' %1$s >/dev/null 2>&1 && "
		      "debugfs -w -R 'ssv first_meta_bg 1' %1$s >/dev/null 2>&1 && "
		      "e2fsck -fn %1$s >/dev/null 2>&1");
	fs = e4_fs_ext2(m.fs);
	assert_true(ext2fs_has_feature_meta_bg(fs->super));
	assert_int_equal(fs->super->s_first_meta_bg, 1);
	/* Group 3: superblock backup + 1 descriptor block. */
	min = kernel_min(fs, 3, 2);
	assert_max(fs, min, min);
	assert_max(fs, min - 1, group_start(fs, 3));
	/* Group 16: first of meta group 1, its descriptor block only. */
	assert_max(fs, kernel_min(fs, 16, 1), kernel_min(fs, 16, 1));
	assert_max(fs, kernel_min(fs, 16, 1) - 1, group_start(fs, 16));
	/* Group 17: second of meta group 1, no backup: its copy. */
	assert_max(fs, kernel_min(fs, 17, 1) - 1, group_start(fs, 17));
	/* Group 18: nothing but bitmaps and the inode table. */
	assert_max(fs, kernel_min(fs, 18, 0), kernel_min(fs, 18, 0));
	assert_max(fs, kernel_min(fs, 18, 0) - 1, group_start(fs, 18));
	drop_img(&m);
}

static void test_last_group_under_kernel_minimum(void **state)
{
	struct e4_growth g;
	struct img m;
	ext2_filsys fs;
	uint64_t cur;

	(void)state;
	/*
	 * A filesystem whose own last group is smaller than the kernel's
	 * minimum (neither mke2fs nor the kernel makes one; the count is
	 * changed in memory only, the image is open read-only): growing
	 * within that group trims below the current size, a shrink to the
	 * kernel (EINVAL), and the limit stays the current size.
	 */
	make_img(&m, "256M", "-t ext4 -b 4096");
	fs = e4_fs_ext2(m.fs);
	cur = group_start(fs, 1) + 10;
	ext2fs_blocks_count_set(fs->super, cur);
	fs->group_desc_count = 2;
	assert_int_equal(e4_growth_trim(fs, cur + 10, true), group_start(fs, 1));
	e4_growth_limit(fs, cur + 10, true, &g);
	assert_int_equal(g.max_blocks, cur);
	/* Past that group the new last group decides. */
	assert_int_equal(e4_growth_trim(fs, 3 * 32768, true), 3 * 32768);
	drop_img(&m);
}

static void test_errcode_boundary(void **state)
{
	struct e4_err err = { 0 };

	(void)state;
	assert_int_equal(e4_errcode_to_errno(ENOENT), -ENOENT);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_NO_MEMORY), -ENOMEM);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_BAD_MAGIC), -EUCLEAN);
	assert_int_equal(e4_err_ext2(&err, EXT2_ET_SHORT_READ, "%s: reading", "x"),
			 -EIO);
	assert_int_equal(err.code, -EIO);
	assert_string_equal(err.msg, "x: reading: Attempt to read block from filesystem resulted in short read");
	assert_int_equal(e4_err_sys(&err, -EACCES, "/dev/sdz"), -EACCES);
	assert_string_equal(err.msg, "/dev/sdz: Permission denied");
	/* A NULL context is allowed everywhere. */
	assert_int_equal(e4_err_set(NULL, -EINVAL, "ignored"), -EINVAL);
}

static void test_sysfs_root_prefix(void **state)
{
	char dir[] = "/tmp/e4-sysfs-XXXXXX", path[128], buf[32];
	uint64_t v = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sys", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys/n", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("12\n", f);
	fclose(f);
	assert_int_equal(e4_sysfs_read_u64(dir, "/sys/n", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(e4_sysfs_read(dir, "/sys/n", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "12");
	assert_true(e4_sysfs_exists(dir, "/sys/n"));
	assert_false(e4_sysfs_exists(dir, "/sys/missing"));
	assert_int_equal(e4_sysfs_read_u64(dir, "/sys/missing", &v), -ENOENT);
	f = fopen(path, "w");
	fputs("12x\n", f);
	fclose(f);
	assert_int_equal(e4_sysfs_read_u64(dir, "/sys/n", &v), -EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sys", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_limit),
		cmocka_unit_test(test_32bit_limit),
		cmocka_unit_test(test_inode_limit),
		cmocka_unit_test(test_reserved_gdt),
		cmocka_unit_test(test_sparse_super2),
		cmocka_unit_test(test_bigalloc_rounds_to_cluster),
		cmocka_unit_test(test_last_group_ten_blocks),
		cmocka_unit_test(test_last_group_reserved_gdt),
		cmocka_unit_test(test_last_group_after_conversion),
		cmocka_unit_test(test_last_group_below_first_meta_bg),
		cmocka_unit_test(test_last_group_under_kernel_minimum),
		cmocka_unit_test(test_errcode_boundary),
		cmocka_unit_test(test_sysfs_root_prefix),
	};

	add_error_table(&et_ext2_error_table);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
