// SPDX-License-Identifier: GPL-2.0
/*
 * lib/jtx.c on images made by mke2fs: what is captured stays in memory
 * (reads see it, the image does not change) until the commit; the commit
 * writes it in place, through the journal when there is a usable one
 * (left empty, its sequence advanced) and in place alone otherwise, with
 * the reason.  e2fsck -fn is clean after each.  The replay of a
 * transaction cut after its commit is tested with e2fsck itself in
 * tests/crash/shrink.bats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "e4/jtx.h"

#define NBLK 24
#define NBLK_BIG 1100		/* more than a 1024-block journal holds */
#define JBD2_MAGIC_BE "\xc0\x3b\x39\x98"

static char dir[64];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static uint64_t field(const char *img, const char *name)
{
	char cmd[512], buf[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "dumpe2fs -h %s 2>/dev/null | sed -n 's/^%s:[[:space:]]*//p'",
		 img, name);
	f = popen(cmd, "r");
	if (!f)
		return UINT64_MAX;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	pclose(f);
	return strtoull(buf, NULL, 0);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/e4jtx.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

/* An 8 MiB ext4 image with 1 KiB blocks, made with mke2fs OPTS. */
static void mkimg(const char *img, const char *opts)
{
	assert_int_equal(sh("rm -f %s && truncate -s 8M %s && mke2fs -q -F -t ext4 -b 1024 %s %s",
			    img, img, opts, img), 0);
}

static ext2_filsys open_rw(const char *img)
{
	ext2_filsys fs;

	assert_int_equal(ext2fs_open(img, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
				     unix_io_manager, &fs), 0);
	assert_int_equal(ext2fs_read_bitmaps(fs), 0);
	return fs;
}

/* NBLK free blocks of fs, and what the test writes in them. */
static void pick(ext2_filsys fs, blk64_t *blks, char **data, int n)
{
	blk64_t b = fs->super->s_first_data_block;
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(ext2fs_new_block2(fs, b, NULL, &blks[i]), 0);
		ext2fs_mark_block_bitmap2(fs->block_map, blks[i]);
		b = blks[i] + 1;
		data[i] = malloc(fs->blocksize);
		assert_non_null(data[i]);
		memset(data[i], 'a' + i % 26, fs->blocksize);
	}
	/* One block begins with the journal's magic: it must be escaped. */
	memcpy(data[3], JBD2_MAGIC_BE, 4);
	for (i = 0; i < n; i++)
		ext2fs_unmark_block_bitmap2(fs->block_map, blks[i]);
}

static void drop(char **data, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(data[i]);
}

static void image_hash(const char *img, char *out)
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "sha256sum %s | cut -c1-64", img);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, 65, f));
	pclose(f);
}

/* Write the blocks and rename the volume, all through the capture. */
static struct e4_jtx *capture(ext2_filsys fs, const blk64_t *blks, char **data,
			      int n)
{
	struct e4_err err = { 0 };
	struct e4_jtx *t;
	int i;

	assert_int_equal(e4_jtx_begin(fs, &t, &err), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(io_channel_write_blk64(fs->io, blks[i], 1, data[i]), 0);
	strcpy((char *)fs->super->s_volume_name, "jtx");
	ext2fs_mark_super_dirty(fs);
	assert_int_equal(ext2fs_flush(fs), 0);
	return t;
}

static void check_blocks(const char *img, const blk64_t *blks, char **data,
			 int n, unsigned int bs)
{
	char *buf = malloc(bs);
	FILE *f = fopen(img, "r");
	int i;

	assert_non_null(buf);
	assert_non_null(f);
	for (i = 0; i < n; i++) {
		assert_int_equal(fseeko(f, (off_t)blks[i] * bs, SEEK_SET), 0);
		assert_int_equal(fread(buf, bs, 1, f), 1);
		assert_memory_equal(buf, data[i], bs);
	}
	fclose(f);
	free(buf);
}

static void test_capture_stays_in_memory(void **state)
{
	char img[128], before[65], after[65], *data[NBLK], *buf;
	blk64_t blks[NBLK];
	ext2_filsys fs;
	struct e4_jtx *t;

	(void)state;
	snprintf(img, sizeof(img), "%s/capture.img", dir);
	mkimg(img, "");
	image_hash(img, before);
	fs = open_rw(img);
	pick(fs, blks, data, NBLK);
	t = capture(fs, blks, data, NBLK);
	assert_true(e4_jtx_blocks(t) >= NBLK + 1);
	/* Reads see the captured blocks: one at a time, and a run. */
	buf = malloc(2 * fs->blocksize);
	assert_non_null(buf);
	assert_int_equal(io_channel_read_blk64(fs->io, blks[3], 1, buf), 0);
	assert_memory_equal(buf, data[3], fs->blocksize);
	if (blks[4] == blks[3] + 1) {
		assert_int_equal(io_channel_read_blk64(fs->io, blks[3], 2, buf), 0);
		assert_memory_equal(buf + fs->blocksize, data[4], fs->blocksize);
	}
	/* The superblock, written by ext2fs_flush in 1 KiB units. */
	assert_int_equal(io_channel_read_blk64(fs->io, 1, 1, buf), 0);
	assert_string_equal(((struct ext2_super_block *)buf)->s_volume_name, "jtx");
	free(buf);
	/* Dropped without a commit: the image is as it was. */
	e4_jtx_free(t);
	fs->flags &= ~(EXT2_FLAG_DIRTY | EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY);
	ext2fs_close_free(&fs);
	image_hash(img, after);
	assert_string_equal(before, after);
	drop(data, NBLK);
}

/*
 * Commit n blocks on an image made with OPTS; why: the expected reason
 * for writing in place (NULL: through the journal).
 */
static void commit_case(const char *name, const char *opts, int n,
			const char *why)
{
	struct e4_err err = { 0 };
	char img[128], **data = calloc(n, sizeof(*data));
	const char *unjournaled = "unset";
	blk64_t *blks = calloc(n, sizeof(*blks));
	uint64_t seq;
	ext2_filsys fs;
	struct e4_jtx *t;
	unsigned int bs;

	assert_non_null(data);
	assert_non_null(blks);
	snprintf(img, sizeof(img), "%s/%s.img", dir, name);
	mkimg(img, opts);
	seq = field(img, "Journal sequence");
	fs = open_rw(img);
	bs = fs->blocksize;
	pick(fs, blks, data, n);
	t = capture(fs, blks, data, n);
	if (e4_jtx_commit(t, img, &unjournaled, &err))
		fail_msg("%s", err.msg);
	e4_jtx_free(t);
	if (why)
		assert_string_equal(unjournaled, why);
	else
		assert_null(unjournaled);
	ext2fs_close_free(&fs);
	check_blocks(img, blks, data, n, bs);
	assert_int_equal(sh("e2fsck -fn %s >/dev/null 2>&1", img), 0);
	assert_int_equal(sh("dumpe2fs -h %s 2>/dev/null | grep -q '^Filesystem volume name: *jtx$'", img), 0);
	if (!why) {
		/* Used, then emptied: the next transaction's number. */
		assert_int_equal(field(img, "Journal start"), 0);
		assert_int_equal(field(img, "Journal sequence"), seq + 1);
	}
	drop(data, n);
	free(data);
	free(blks);
}

static void test_commit_csum_v3(void **state)
{
	(void)state;
	commit_case("v3", "", NBLK, NULL);
}

static void test_commit_no_csum_32bit(void **state)
{
	(void)state;
	commit_case("plain", "-O ^metadata_csum,^64bit", NBLK, NULL);
}

static void test_commit_fast_commit(void **state)
{
	(void)state;
	commit_case("fc", "-O fast_commit", NBLK, NULL);
}

static void test_commit_no_journal(void **state)
{
	(void)state;
	commit_case("nojournal", "-O ^has_journal", NBLK, "no internal journal");
}

static void test_commit_journal_too_small(void **state)
{
	(void)state;
	commit_case("small", "-J size=1", NBLK_BIG,
		    "the journal is too small for the transaction");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_stays_in_memory),
		cmocka_unit_test(test_commit_csum_v3),
		cmocka_unit_test(test_commit_no_csum_32bit),
		cmocka_unit_test(test_commit_fast_commit),
		cmocka_unit_test(test_commit_no_journal),
		cmocka_unit_test(test_commit_journal_too_small),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
