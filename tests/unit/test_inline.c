// SPDX-License-Identifier: GPL-2.0
/*
 * The offline half (lib/inline.c, lib/inline_convert.c) on small images
 * made by mke2fs and debugfs: the scan and its paths, PATH selection,
 * conversion keeping size and content, cancellation before the first
 * inode, clearing the feature; and what must never lose data: a full
 * filesystem (refused by the plan), blocks running out in the middle
 * (stops before the inode), libext2fs failing inside the conversion (the
 * inode put back), an unreadable inode (no proof, feature kept).  Plus
 * the seen-set the mounted walk uses for hard links.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "e4/inline.h"
#include "e4/target.h"
#include "../../lib/inline_priv.h"

static char dir[PATH_MAX], img[PATH_MAX + 16];

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/*
 * /h (5 bytes, inline, two names: /h and /d/h2), /d (inline dir), /sparse
 * (4096 zero bytes: debugfs skips the zeros, so 60 inline bytes and a size
 * past them), /big (4096 random bytes, not inline).
 */
static int make_image(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/e4inline.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(img, sizeof(img), "%s/fs.img", dir);
	return run("cd %s && printf hello >h && head -c 4096 /dev/zero >sparse && "
		   "head -c 4096 /dev/urandom >big && "
		   "truncate -s 8M fs.img && mke2fs -q -F -t ext4 -O inline_data fs.img && "
		   "debugfs -w -f - fs.img >/dev/null 2>&1 <<'EOF'\n"
		   "write h h\nwrite sparse sparse\nwrite big big\nmkdir d\nln h d/h2\nsif h links_count 2\nEOF",
		   dir) ? -1 : 0;
}

static int remove_image(void **state)
{
	(void)state;
	run("rm -rf %s", dir);
	return 0;
}

static void open_fs(unsigned int flags, struct e4_target **t, struct e4_fs **fs)
{
	struct e4_err err = { 0 };

	assert_int_equal(e4_target_resolve(img, t, &err), 0);
	assert_int_equal(e4_fs_open(*t, flags, fs, &err), 0);
}

static void close_fs(struct e4_target *t, struct e4_fs *fs)
{
	e4_fs_close(fs);
	e4_target_free(t);
}

static const struct e4_inline_ent *find(const struct e4_inline_set *set,
					const char *path)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->ents[i].path && !strcmp(set->ents[i].path, path))
			return &set->ents[i];
	return NULL;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(e4_inline_type_name(S_IFREG | 0644), "file");
	assert_string_equal(e4_inline_type_name(S_IFDIR | 0755), "dir");
	assert_string_equal(e4_inline_type_name(S_IFLNK | 0777), "symlink");
	assert_string_equal(e4_inline_type_name(S_IFIFO), "other");
	assert_string_equal(e4_inline_status_name(E4_INLINE_NOT_REACHED), "not-reached");
	assert_string_equal(e4_inline_status_name(E4_INLINE_WOULD_CONVERT), "would-convert");
}

static void test_seen_set(void **state)
{
	struct e4_inline_set *set;
	uint64_t ino;

	(void)state;
	assert_int_equal(e4_inline_set_new(&set, NULL), 0);
	assert_false(e4_inline_seen_has(set, 7919));
	for (ino = 1; ino <= 5000; ino++)
		assert_int_equal(e4_inline_seen_add(set, ino * 7919), 1);
	for (ino = 1; ino <= 5000; ino++) {
		assert_true(e4_inline_seen_has(set, ino * 7919));
		assert_false(e4_inline_seen_has(set, ino * 7919 + 1));
		assert_int_equal(e4_inline_seen_add(set, ino * 7919), 0);
	}
	assert_false(e4_inline_seen_has(set, 0));
	assert_int_equal(set->nseen, 5000);
	e4_inline_set_free(set);
}

static void test_scan(void **state)
{
	struct e4_inline_set *set = NULL;
	const struct e4_inline_ent *h, *d, *sp;
	struct e4_target *t;
	struct e4_fs *fs;

	(void)state;
	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 3);
	h = find(set, "/h");
	if (!h)
		h = find(set, "/d/h2");
	d = find(set, "/d");
	sp = find(set, "/sparse");
	assert_non_null(sp);
	assert_int_equal(sp->size, 4096);
	assert_non_null(h);
	assert_non_null(d);
	assert_int_equal(h->size, 5);
	assert_int_equal(h->links, 2);
	assert_string_equal(e4_inline_type_name(h->mode), "file");
	assert_string_equal(e4_inline_type_name(d->mode), "dir");
	/* sorted by inode */
	assert_true(set->ents[0].ino < set->ents[1].ino);
	assert_true(set->ents[1].ino < set->ents[2].ino);
	e4_inline_set_free(set);
	close_fs(t, fs);
}

/*
 * An inline inode no directory names (both names of /h unlinked, the
 * inode still in use) is listed all the same, without a path; the other
 * names stay right.
 */
static void test_scan_unnamed(void **state)
{
	struct e4_inline_set *set = NULL;
	struct e4_target *t;
	struct e4_fs *fs;
	size_t i, unnamed = 0;

	(void)state;
	assert_int_equal(run("debugfs -w -f - %s >/dev/null 2>&1 <<'EOF'\n"
			     "unlink h\nunlink d/h2\nEOF", img), 0);
	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 3);
	for (i = 0; i < set->n; i++)
		unnamed += !set->ents[i].path;
	assert_int_equal(unnamed, 1);
	assert_non_null(find(set, "/d"));
	assert_non_null(find(set, "/sparse"));
	assert_int_equal(e4_inline_select(fs, set, (const char *const[]){ "/" }, 1,
					  NULL), 0);
	assert_int_equal(set->n, 3);
	e4_inline_set_free(set);
	close_fs(t, fs);
}

/*
 * 301 inline files in three directories (/c, small, is inline too), so
 * that the inodes to name span several words of the naming index and of
 * its rank counts: every file has its own path and size, and a selection
 * keeps the right subtree.
 */
static void test_scan_many(void **state)
{
	const char *sub[] = { "/a/b" };
	struct e4_inline_set *set = NULL;
	struct e4_target *t;
	struct e4_fs *fs;
	char path[64];
	int i;

	(void)state;
	assert_int_equal(run("cd %s && rm -f fs.img && mkdir -p tree/a/b tree/c && "
			     "for i in $(seq 1 150); do echo $i >tree/a/f$i; "
			     "echo $i >tree/a/b/g$i; done && echo x >tree/c/x && "
			     "truncate -s 16M fs.img && mke2fs -q -F -t ext4 -O inline_data "
			     "-N 2048 -d tree fs.img", dir), 0);
	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 302);
	assert_true(S_ISDIR(find(set, "/c")->mode));
	for (i = 1; i <= 150; i++) {
		const struct e4_inline_ent *e;

		snprintf(path, sizeof(path), "/a/f%d", i);
		e = find(set, path);
		assert_non_null(e);
		assert_int_equal(e->size, snprintf(path, sizeof(path), "%d\n", i));
		snprintf(path, sizeof(path), "/a/b/g%d", i);
		assert_non_null(find(set, path));
	}
	assert_non_null(find(set, "/c/x"));
	assert_int_equal(e4_inline_select(fs, set, sub, 1, NULL), 0);
	assert_int_equal(set->n, 150);
	assert_null(find(set, "/a/f1"));
	e4_inline_set_free(set);
	close_fs(t, fs);
}

static void test_select(void **state)
{
	const char *d_only[] = { "/d" }, *missing[] = { "/nope" };
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	struct e4_target *t;
	struct e4_fs *fs;

	(void)state;
	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	/* /d holds a name of h: both are selected, /sparse is not */
	assert_int_equal(e4_inline_select(fs, set, d_only, 1, &err), 0);
	assert_int_equal(set->n, 2);
	assert_null(find(set, "/sparse"));
	assert_int_equal(e4_inline_select(fs, set, missing, 1, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nope: no such file"));
	e4_inline_set_free(set);
	close_fs(t, fs);
}

static void test_cancel_before_first(void **state)
{
	volatile sig_atomic_t stop = 1;
	struct e4_job job = { .cancel = &stop };
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	struct e4_target *t;
	struct e4_fs *fs;
	size_t i;

	(void)state;
	open_fs(E4_FS_WRITE, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(e4_inline_convert(fs, set, 0, &job, &err), -EINTR);
	for (i = 0; i < set->n; i++)
		assert_int_equal(set->ents[i].status, E4_INLINE_NOT_REACHED);
	e4_inline_set_free(set);
	close_fs(t, fs);
	/* nothing was converted */
	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 3);
	e4_inline_set_free(set);
	close_fs(t, fs);
}

static void test_convert_and_disable(void **state)
{
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	struct e4_target *t;
	struct e4_fs *fs;
	ext2_file_t file;
	ext2_ino_t ino;
	char buf[16] = "";
	unsigned int got = 0;
	size_t i;

	(void)state;
	open_fs(E4_FS_WRITE, &t, &fs);
	/* with inline inodes left, the feature stays */
	assert_int_equal(e4_inline_disable(fs, NULL, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "3 inodes still have inline data"));
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(e4_inline_convert(fs, set, 0, NULL, &err), 0);
	for (i = 0; i < set->n; i++)
		assert_int_equal(set->ents[i].status, E4_INLINE_CONVERTED);
	assert_int_equal(e4_inline_disable(fs, NULL, &err), 0);
	assert_false(ext2fs_has_feature_inline_data(e4_fs_ext2(fs)->super));
	e4_inline_set_free(set);
	close_fs(t, fs);

	open_fs(0, &t, &fs);
	assert_int_equal(ext2fs_namei(e4_fs_ext2(fs), EXT2_ROOT_INO, EXT2_ROOT_INO,
				      "h", &ino), 0);
	assert_int_equal(ext2fs_file_open(e4_fs_ext2(fs), ino, 0, &file), 0);
	assert_int_equal(ext2fs_file_get_size(file), 5);
	assert_int_equal(ext2fs_file_read(file, buf, sizeof(buf) - 1, &got), 0);
	ext2fs_file_close(file);
	assert_int_equal(got, 5);
	assert_string_equal(buf, "hello");
	/* the sparse one keeps its size, and reads as zeros */
	assert_int_equal(ext2fs_namei(e4_fs_ext2(fs), EXT2_ROOT_INO, EXT2_ROOT_INO,
				      "sparse", &ino), 0);
	assert_int_equal(ext2fs_file_open(e4_fs_ext2(fs), ino, 0, &file), 0);
	assert_int_equal(ext2fs_file_get_size(file), 4096);
	assert_int_equal(ext2fs_file_llseek(file, 4000, EXT2_SEEK_SET, NULL), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ext2fs_file_read(file, buf, sizeof(buf), &got), 0);
	ext2fs_file_close(file);
	assert_int_equal(got, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	close_fs(t, fs);
	assert_int_equal(run("e2fsck -fn %s >/dev/null 2>&1", img), 0);
}

/* Fill every free block of the image with a file (debugfs's write). */
static int fill_image(void **state)
{
	if (make_image(state))
		return -1;
	return run("cd %s && bs=$(dumpe2fs -h fs.img 2>/dev/null | sed -n 's/^Block size: *//p') && "
		   "free=$(dumpe2fs -h fs.img 2>/dev/null | sed -n 's/^Free blocks: *//p') && "
		   "head -c $((free * bs)) /dev/zero | tr '\\0' f >fill && "
		   "debugfs -w -R 'write fill fill' fs.img >/dev/null 2>&1; "
		   "e2fsck -fn fs.img >/dev/null 2>&1 && "
		   "dumpe2fs -h fs.img 2>/dev/null | grep -q '^Free blocks: *0$'", dir) ? -1 : 0;
}

static void img_sum(char *out, size_t len)
{
	char cmd[PATH_MAX + 64];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "sha256sum <%s", img);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)len, f));
	pclose(f);
}

/* The inline data of path: i_block and system.data, as libext2fs has it. */
static size_t inline_bytes(struct e4_fs *fs, const char *path, char *buf)
{
	ext2_filsys xfs = e4_fs_ext2(fs);
	ext2_ino_t ino;
	size_t len = 0;

	assert_int_equal(ext2fs_namei(xfs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino), 0);
	assert_int_equal(ext2fs_inline_data_size(xfs, ino, &len), 0);
	assert_true(len <= 1024);
	assert_int_equal(ext2fs_inline_data_get(xfs, ino, NULL, buf, &len), 0);
	return len;
}

static void assert_untouched(void)
{
	struct e4_inline_set *set = NULL;
	struct e4_target *t;
	struct e4_fs *fs;
	char buf[1024];

	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 3);
	assert_int_equal(inline_bytes(fs, "h", buf), 60);
	assert_memory_equal(buf, "hello", 5);
	e4_inline_set_free(set);
	close_fs(t, fs);
	assert_int_equal(run("e2fsck -fn %s >/dev/null 2>&1", img), 0);
}

/* Not one free block: the plan refuses, and not a byte is written. */
static void test_full_refused_by_plan(void **state)
{
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	char h0[128], h1[128];
	struct e4_target *t;
	struct e4_fs *fs;
	size_t i;

	(void)state;
	img_sum(h0, sizeof(h0));
	open_fs(E4_FS_WRITE, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(e4_inline_convert(fs, set, E4_INLINE_DRY_RUN, NULL, &err),
			 -ENOSPC);
	assert_int_equal(e4_inline_convert(fs, set, 0, NULL, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "no free blocks for inode"));
	assert_non_null(strstr(err.msg, "needs 3 free blocks, the filesystem has 0; nothing was changed"));
	for (i = 0; i < set->n; i++)
		assert_int_equal(set->ents[i].status, E4_INLINE_NOT_REACHED);
	e4_inline_set_free(set);
	close_fs(t, fs);
	img_sum(h1, sizeof(h1));
	assert_string_equal(h0, h1);
	assert_untouched();
}

/* The progress callback: after the first inode, nothing is free any more. */
struct eat {
	ext2_filsys fs;
	ext2fs_block_bitmap saved;
};

static void eat_free_blocks(void *arg, uint64_t done, uint64_t total)
{
	struct eat *a = arg;
	blk64_t b;

	(void)total;
	if (done != 1 || a->saved)
		return;
	assert_int_equal(ext2fs_copy_bitmap(a->fs->block_map, &a->saved), 0);
	for (b = a->fs->super->s_first_data_block;
	     b < ext2fs_blocks_count(a->fs->super); b++)
		ext2fs_fast_mark_block_bitmap2(a->fs->block_map, b);
}

/* Blocks gone between the plan and an inode: stop before it, untouched. */
static void test_enospc_mid_run(void **state)
{
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	struct e4_target *t;
	struct e4_fs *fs;
	struct eat a = { 0 };
	struct e4_job job = { .progress = eat_free_blocks, .progress_arg = &a };
	char buf[1024];

	(void)state;
	open_fs(E4_FS_WRITE, &t, &fs);
	a.fs = e4_fs_ext2(fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 3);
	assert_int_equal(e4_inline_convert(fs, set, 0, &job, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "no free blocks for inode"));
	assert_non_null(strstr(err.msg, "the run stopped before it"));
	assert_int_equal(set->ents[0].status, E4_INLINE_CONVERTED);
	assert_int_equal(set->ents[1].status, E4_INLINE_FAILED);
	assert_int_equal(set->ents[1].error, -ENOSPC);
	assert_int_equal(set->ents[2].status, E4_INLINE_NOT_REACHED);
	/* nothing failed half-way: clean again, no errors recorded */
	assert_true(a.fs->super->s_state & EXT2_VALID_FS);
	assert_false(a.fs->super->s_state & EXT2_ERROR_FS);
	/* the real bitmap back, for e2fsck */
	assert_non_null(a.saved);
	ext2fs_free_block_bitmap(a.fs->block_map);
	a.fs->block_map = a.saved;
	ext2fs_mark_bb_dirty(a.fs);
	e4_inline_set_free(set);
	close_fs(t, fs);
	assert_int_equal(run("e2fsck -fn %s >/dev/null 2>&1", img), 0);

	/* the first converted, the other two as they were */
	open_fs(0, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 2);
	assert_non_null(find(set, "/sparse"));
	assert_non_null(find(set, "/d"));
	assert_int_equal(inline_bytes(fs, "sparse", buf), 60);
	e4_inline_set_free(set);
	close_fs(t, fs);
}

static errcode_t no_block(ext2_filsys fs, blk64_t goal, blk64_t *ret)
{
	(void)fs;
	(void)goal;
	(void)ret;
	return EXT2_ET_BLOCK_ALLOC_FAIL;
}

/*
 * libext2fs fails inside ext2fs_inline_data_expand(), after it emptied
 * the inode, where the plan saw room: the inode must come back as it was,
 * the run stop there, and the filesystem be left for e2fsck to confirm.
 */
static void restore_case(const char *keep, const char *path, size_t len,
			 const char *start)
{
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	struct e4_target *t;
	struct e4_fs *fs;
	char before[1024], buf[1024];
	size_t i, n = 0;

	open_fs(0, &t, &fs);
	assert_int_equal(inline_bytes(fs, path, before), len);
	close_fs(t, fs);

	open_fs(E4_FS_WRITE, &t, &fs);
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	/* The paths are the set's (its names'): dropped, not freed. */
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->ents[i].path, keep))
			set->ents[n++] = set->ents[i];
	set->n = n;
	assert_int_equal(n, 1);
	ext2fs_set_alloc_block_callback(e4_fs_ext2(fs), no_block, NULL);
	assert_int_equal(e4_inline_convert(fs, set, 0, NULL, &err), -ENOSPC);
	assert_int_equal(set->ents[0].status, E4_INLINE_FAILED);
	assert_int_equal(set->ents[0].error, -ENOSPC);
	assert_string_equal(set->ents[0].why,
			    "while moving the inline data to a block; the inode was put back as it was");
	assert_string_equal(set->ents[0].detail, error_message(EXT2_ET_BLOCK_ALLOC_FAIL));
	assert_non_null(strstr(err.msg, "Could not allocate block"));
	assert_non_null(strstr(err.msg, "run 'e2fsck -f"));
	assert_true(e4_fs_ext2(fs)->super->s_state & EXT2_ERROR_FS);
	e4_inline_set_free(set);
	close_fs(t, fs);

	/* the same bytes, inline again, and nothing else for e2fsck */
	open_fs(0, &t, &fs);
	assert_int_equal(inline_bytes(fs, path, buf), len);
	assert_memory_equal(buf, before, len);
	assert_memory_equal(buf, start, strlen(start));
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 3);
	e4_inline_set_free(set);
	close_fs(t, fs);
	assert_int_equal(run("e2fsck -fn %s >/dev/null 2>&1", img), 0);
}

static void test_restore_file(void **state)
{
	(void)state;
	restore_case("/sparse", "sparse", 60, "");
	restore_case("/h", "h", 60, "hello");
}

static void test_restore_dir(void **state)
{
	(void)state;
	restore_case("/d", "d", 60, "");
}

/*
 * An in-use inode the scan cannot read (here: its inode table block on
 * the bad block list) might have inline data; clearing the feature would
 * then be a guess.
 */
static void test_disable_refuses_unreadable(void **state)
{
	struct e4_inline_set *set = NULL;
	struct e4_err err = { 0 };
	ext2_badblocks_list bb;
	struct e4_target *t;
	struct e4_fs *fs;
	ext2_filsys xfs;
	ext2_ino_t ino;
	size_t i, n = 0;
	blk64_t blk;

	(void)state;
	open_fs(E4_FS_WRITE, &t, &fs);
	xfs = e4_fs_ext2(fs);
	/* everything but /h converted */
	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	for (i = 0; i < set->n; i++)
		if (strcmp(set->ents[i].path, "/h") && strcmp(set->ents[i].path, "/d/h2"))
			set->ents[n++] = set->ents[i];
	set->n = n;
	assert_int_equal(n, 2);
	assert_int_equal(e4_inline_convert(fs, set, 0, NULL, &err), 0);
	e4_inline_set_free(set);

	assert_int_equal(ext2fs_namei(xfs, EXT2_ROOT_INO, EXT2_ROOT_INO, "h", &ino), 0);
	blk = ext2fs_inode_table_loc(xfs, 0) +
	      (ino - 1) * (blk64_t)EXT2_INODE_SIZE(xfs->super) / xfs->blocksize;
	if (!xfs->badblocks)
		assert_int_equal(ext2fs_badblocks_list_create(&xfs->badblocks, 1), 0);
	bb = xfs->badblocks;
	assert_int_equal(ext2fs_badblocks_list_add(bb, blk), 0);

	assert_int_equal(e4_inline_scan(fs, NULL, &set, NULL), 0);
	assert_int_equal(set->n, 0);
	assert_true(set->unreadable >= 1);
	e4_inline_set_free(set);
	assert_int_equal(e4_inline_disable(fs, NULL, &err), -EUCLEAN);
	assert_non_null(strstr(err.msg, "could not be read"));
	assert_non_null(strstr(err.msg, "not clearing inline_data"));
	assert_true(ext2fs_has_feature_inline_data(xfs->super));
	close_fs(t, fs);

	open_fs(0, &t, &fs);
	assert_true(ext2fs_has_feature_inline_data(e4_fs_ext2(fs)->super));
	close_fs(t, fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_seen_set),
		cmocka_unit_test_setup_teardown(test_scan, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_scan_unnamed, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_select, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_scan_many, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_cancel_before_first, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_convert_and_disable, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_full_refused_by_plan, fill_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_enospc_mid_run, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_restore_file, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_restore_dir, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_disable_refuses_unreadable,
						make_image, remove_image),
	};

	add_error_table(&et_ext2_error_table);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
