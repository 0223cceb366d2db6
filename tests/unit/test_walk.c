// SPDX-License-Identifier: GPL-2.0
/*
 * The parallel directory walk: every entry visited once whatever the
 * number of workers and whether directories are queued or walked
 * recursively (a queue of one), paths built right (also under a top
 * ending in '/'), the first error of a visit stopping the walk, and a
 * directory that cannot be read reported to dir_error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "e4/walk.h"

#define NDIRS 12
#define NFILES 40

static char root[PATH_MAX];

struct seen {
	pthread_mutex_t lock;
	char **paths;
	size_t n, cap;
	unsigned int fail_at;	/* fail the visit of the n-th entry (1-based) */
	unsigned int visits;
	unsigned int dir_errors;
	bool open_files;	/* hand back regular files as directories */
};

static void add_path(struct seen *s, char *p)
{
	pthread_mutex_lock(&s->lock);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->paths = realloc(s->paths, s->cap * sizeof(*s->paths));
		assert_non_null(s->paths);
	}
	s->paths[s->n++] = p;
	pthread_mutex_unlock(&s->lock);
}

static int visit(void *arg, const struct e4_walk_ent *e, int *subdir)
{
	struct seen *s = arg;
	unsigned int n = __atomic_add_fetch(&s->visits, 1, __ATOMIC_RELAXED);
	char *p = e4_walk_path(e);

	assert_non_null(p);
	assert_int_equal(strlen(p), e4_walk_path_len(e));
	if (s->fail_at && n == s->fail_at) {
		free(p);
		return e4_err_set(e->err, -EIO, "%s: failed on purpose", e->name);
	}
	add_path(s, p);
	if (e->type == DT_DIR || (s->open_files && e->type == DT_REG))
		*subdir = openat(e->dfd, e->name, O_RDONLY | O_CLOEXEC);
	return 0;
}

static int dir_error(void *arg, const struct e4_walk_dir *d, int rc,
		     struct e4_err *err)
{
	struct seen *s = arg;
	char *p = e4_walk_dir_path(d);

	(void)err;
	assert_non_null(p);
	assert_int_equal(rc, -ENOTDIR);
	free(p);
	__atomic_add_fetch(&s->dir_errors, 1, __ATOMIC_RELAXED);
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	pthread_mutex_destroy(&s->lock);
}

/* NDIRS directories of NFILES files, one nested directory in each. */
static int setup(void **state)
{
	char p[PATH_MAX + 64];
	int d, f, fd;

	(void)state;
	snprintf(root, sizeof(root), "%s/e4-walk.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return -1;
	for (d = 0; d < NDIRS; d++) {
		snprintf(p, sizeof(p), "%s/d%02d", root, d);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/d%02d/sub", root, d);
		mkdir(p, 0755);
		for (f = 0; f < NFILES; f++) {
			snprintf(p, sizeof(p), "%s/d%02d/%sf%02d", root, d,
				 f % 2 ? "sub/" : "", f);
			fd = open(p, O_CREAT | O_WRONLY, 0644);
			if (fd < 0)
				return -1;
			close(fd);
		}
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static void walk_with(unsigned int threads, unsigned int max_queued,
		      const char *top)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct e4_walk_opts o = {
		.threads = threads, .visit = visit, .dir_error = dir_error,
		.arg = &s, .max_queued = max_queued,
	};
	char want[PATH_MAX + 64];
	struct e4_err err = { 0 };
	size_t i = 0;
	int d, f, fd;

	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(e4_walk_run(&o, fd, top, &err), 0);
	/* per directory: itself, sub, NFILES files */
	assert_int_equal(s.n, NDIRS * (NFILES + 2));
	assert_int_equal(s.dir_errors, 0);
	qsort(s.paths, s.n, sizeof(*s.paths), by_str);
	for (d = 0; d < NDIRS; d++) {
		snprintf(want, sizeof(want), "%s/d%02d", top, d);
		if (top[strlen(top) - 1] == '/')
			snprintf(want, sizeof(want), "%sd%02d", top, d);
		assert_string_equal(s.paths[i++], want);
		/* "dNN/fMM" sort before "dNN/sub" */
		for (f = 0; f < NFILES; f += 2)
			i++;
		assert_non_null(strstr(s.paths[i++], "/sub"));
		for (f = 1; f < NFILES; f += 2) {
			snprintf(want, sizeof(want), "/d%02d/sub/f%02d", d, f);
			assert_non_null(strstr(s.paths[i], want));
			i++;
		}
	}
	for (i = 1; i < s.n; i++)
		assert_true(strcmp(s.paths[i - 1], s.paths[i]) < 0);
	seen_free(&s);
}

static void test_one_worker(void **state)
{
	(void)state;
	walk_with(1, 0, root);
}

static void test_workers(void **state)
{
	(void)state;
	walk_with(2, 0, root);
	walk_with(4, 0, root);
	walk_with(e4_walk_threads(0), 0, root);
}

/* A queue of one: most directories are walked recursively. */
static void test_full_queue(void **state)
{
	(void)state;
	walk_with(1, 1, root);
	walk_with(3, 1, root);
}

static void test_top_with_slash(void **state)
{
	char top[PATH_MAX + 2];

	(void)state;
	snprintf(top, sizeof(top), "%s/", root);
	walk_with(2, 0, top);
}

static void test_visit_error_stops(void **state)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .fail_at = 30 };
	struct e4_walk_opts o = {
		.threads = 2, .visit = visit, .arg = &s,
	};
	struct e4_err err = { 0 };
	int fd;

	(void)state;
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(e4_walk_run(&o, fd, root, &err), -EIO);
	assert_int_equal(err.code, -EIO);
	assert_non_null(strstr(err.msg, "failed on purpose"));
	assert_true(s.n < NDIRS * (NFILES + 2));
	seen_free(&s);
}

/* A file handed back as a directory: getdents64 says ENOTDIR. */
static void test_dir_error(void **state)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .open_files = true };
	struct e4_walk_opts o = {
		.threads = 2, .visit = visit, .dir_error = dir_error, .arg = &s,
	};
	struct e4_err err = { 0 };
	int fd;

	(void)state;
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(e4_walk_run(&o, fd, root, &err), 0);
	assert_int_equal(s.n, NDIRS * (NFILES + 2));
	assert_int_equal(s.dir_errors, NDIRS * NFILES);
	seen_free(&s);
}

static void test_threads(void **state)
{
	(void)state;
	assert_int_equal(e4_walk_threads(3), 3);
	assert_true(e4_walk_threads(0) >= 1);
	assert_int_equal(e4_walk_threads(1000), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_worker),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_full_queue),
		cmocka_unit_test(test_top_with_slash),
		cmocka_unit_test(test_visit_error_stops),
		cmocka_unit_test(test_dir_error),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
