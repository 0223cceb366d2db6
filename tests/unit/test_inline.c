// SPDX-License-Identifier: GPL-2.0
/*
 * The offline half of lib/inline.c on small images made by mke2fs and
 * debugfs: the scan and its paths, PATH selection, conversion keeping size
 * and content, cancellation before the first inode, and clearing the
 * feature.  Plus the seen-set the mounted walk uses for hard links.
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
	for (ino = 1; ino <= 5000; ino++)
		assert_int_equal(e4_inline_seen_add(set, ino * 7919), 1);
	for (ino = 1; ino <= 5000; ino++)
		assert_int_equal(e4_inline_seen_add(set, ino * 7919), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_seen_set),
		cmocka_unit_test_setup_teardown(test_scan, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_select, make_image, remove_image),
		cmocka_unit_test_setup_teardown(test_cancel_before_first, make_image,
						remove_image),
		cmocka_unit_test_setup_teardown(test_convert_and_disable, make_image,
						remove_image),
	};

	add_error_table(&et_ext2_error_table);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
