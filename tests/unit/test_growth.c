// SPDX-License-Identifier: GPL-2.0
/*
 * e4_growth_limit against filesystems made by mke2fs: each limit the
 * kernel imposes on EXT4_IOC_RESIZE_FS, with the device size chosen by
 * the test (the function takes it as an argument), and the errcode_t
 * boundary of lib/err.c.
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
#include "e4/sysfs.h"
#include "e4/target.h"

struct img {
	char dir[64];
	char path[96];
	struct e4_target *t;
	struct e4_fs *fs;
};

/* mke2fs OPTS into a fresh sparse image of size bytes, opened read-only. */
static void make_img(struct img *m, const char *size, const char *opts)
{
	char cmd[512];
	struct e4_err err = { 0 };

	snprintf(m->dir, sizeof(m->dir), "/tmp/e4-unit-XXXXXX");
	assert_non_null(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/fs.img", m->dir);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s %s %s && mke2fs -q -F %s %s >/dev/null 2>&1",
		 size, m->path, opts, m->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(e4_target_resolve(m->path, &m->t, &err), 0);
	assert_int_equal(e4_fs_open(m->t, 0, &m->fs, &err), 0);
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
		cmocka_unit_test(test_errcode_boundary),
		cmocka_unit_test(test_sysfs_root_prefix),
	};

	add_error_table(&et_ext2_error_table);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
