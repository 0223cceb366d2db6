// SPDX-License-Identifier: GPL-2.0
/*
 * lib/gdt.c: publishing, the read side, the scanner, and the stress test
 * that proves readers never see a torn or freed snapshot while a writer
 * republishes tables of changing sizes (run under ASan by `make unit`).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e4/gdt.h"
#include "e4/target.h"

/* Group contents derived from (generation, group), so readers can tell. */
static uint32_t pattern(uint64_t gen, uint32_t i)
{
	return (uint32_t)(gen * 2654435761U) ^ (i * 40503U);
}

/* A snapshot of n groups whose contents a reader can verify. */
static struct e4_gdt *make(uint32_t n, uint64_t next_gen)
{
	struct e4_gdt *g = e4_gdt_alloc(n);
	uint32_t i;

	assert_non_null(g);
	g->block_size = 4096;
	g->blocks_per_group = 32768;
	for (i = 0; i < n; i++) {
		g->groups[i].start = (uint64_t)i * 32768;
		g->groups[i].end = (uint64_t)i * 32768 + 32767;
		g->groups[i].free_blocks = pattern(next_gen, i);
		g->groups[i].free_inodes = ~pattern(next_gen, i);
	}
	return g;
}

static void test_publish(void **state)
{
	struct e4_gdt_table *t;
	const struct e4_gdt *cur;
	struct e4_gdt *g;
	int i;

	(void)state;
	assert_int_equal(e4_gdt_table_new(&t, NULL), 0);
	e4_gdt_thread_register();
	e4_gdt_read_lock();
	assert_null(e4_gdt_current(t));
	e4_gdt_read_unlock();
	for (i = 1; i <= 5; i++) {
		e4_gdt_publish(t, make(i * 10, i));
		e4_gdt_read_lock();
		cur = e4_gdt_current(t);
		assert_int_equal(cur->generation, i);
		assert_int_equal(cur->group_count, i * 10);
		assert_true(cur->checksum == e4_gdt_content_sum(cur));
		e4_gdt_read_unlock();
	}
	e4_gdt_thread_unregister();
	/* From an unregistered thread publish waits for the grace period. */
	e4_gdt_publish(t, make(3, 6));
	e4_gdt_thread_register();
	e4_gdt_read_lock();
	assert_int_equal(e4_gdt_current(t)->generation, 6);
	e4_gdt_read_unlock();
	e4_gdt_thread_unregister();

	/* The content checksum sees a change of any byte of a group. */
	g = make(4, 1);
	g->checksum = e4_gdt_content_sum(g);
	g->groups[3].flags ^= 1;
	assert_false(g->checksum == e4_gdt_content_sum(g));
	g->groups[3].flags ^= 1;
	g->generation++;
	assert_false(g->checksum == e4_gdt_content_sum(g));
	e4_gdt_free(g);
	e4_gdt_close(t);
}

struct stress {
	struct e4_gdt_table *t;
	atomic_bool stop;
	atomic_ulong reads;
	atomic_ulong torn;
	atomic_ulong backwards;
};

static void *reader(void *p)
{
	struct stress *s = p;
	uint64_t last = 0;
	unsigned long n = 0;

	e4_gdt_thread_register();
	while (!atomic_load(&s->stop)) {
		const struct e4_gdt *g;
		uint32_t i;

		e4_gdt_read_lock();
		g = e4_gdt_current(s->t);
		if (g->generation < last)
			atomic_fetch_add(&s->backwards, 1);
		last = g->generation;
		/* Walk every group: slow enough to span several publishes. */
		for (i = 0; i < g->group_count; i++)
			if (g->groups[i].free_blocks != pattern(g->generation, i) ||
			    g->groups[i].free_inodes != ~pattern(g->generation, i))
				break;
		if (i != g->group_count || g->checksum != e4_gdt_content_sum(g))
			atomic_fetch_add(&s->torn, 1);
		e4_gdt_read_unlock();
		/* Done with g: reclaim may go on (quiescent-state flavour). */
		e4_gdt_quiescent();
		n++;
	}
	e4_gdt_thread_unregister();
	atomic_fetch_add(&s->reads, n);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_stress(void **state)
{
	enum { READERS = 3, MIN_PUBLISHES = 1000, MAX_PUBLISHES = 3000 };
	struct stress s = { 0 };
	pthread_t tid[READERS];
	unsigned long publishes = 0, synchronous = 0;
	double start;
	int i;

	(void)state;
	assert_int_equal(e4_gdt_table_new(&s.t, NULL), 0);
	e4_gdt_publish(s.t, make(1, 1));
	for (i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, reader, &s), 0);

	/*
	 * Sizes from 1 to 1500 groups, so a reader still walking a freed
	 * snapshot would run past its end (ASan) or see the pattern of
	 * another generation (torn).  Reclaim goes through call_rcu from a
	 * registered writer, and one run in four through synchronize_rcu
	 * from an unregistered one: each of those waits for a grace period,
	 * which a loaded machine stretches to a time slice or more.
	 */
	/* At least MIN_PUBLISHES whatever the machine's speed (no timed
	 * assertion); more while the few seconds last. */
	start = now();
	while (publishes < MIN_PUBLISHES ||
	       (publishes < MAX_PUBLISHES && now() - start < 4.0)) {
		uint32_t n = 1 + (uint32_t)((publishes * 7919) % 1500);
		bool reg = (publishes / 250) % 4 != 3;

		if (reg)
			e4_gdt_thread_register();
		e4_gdt_publish(s.t, make(n, publishes + 2));
		if (reg)
			e4_gdt_thread_unregister();
		else
			synchronous++;
		publishes++;
	}
	atomic_store(&s.stop, true);
	for (i = 0; i < READERS; i++)
		pthread_join(tid[i], NULL);
	e4_gdt_close(s.t);

	print_message("stress: %lu publishes (%lu synchronous), %lu table walks, %lu torn, %lu backwards, %.1f s\n",
		      publishes, synchronous, atomic_load(&s.reads),
		      atomic_load(&s.torn), atomic_load(&s.backwards), now() - start);
	assert_true(publishes >= 1000);
	assert_true(synchronous >= 10);
	assert_true(atomic_load(&s.reads) > 0);
	assert_int_equal(atomic_load(&s.torn), 0);
	assert_int_equal(atomic_load(&s.backwards), 0);
}

struct visit {
	atomic_uint count[5000];
	struct e4_gdt_table *t;
	uint32_t fail_at;
	bool grow;
	atomic_bool grown;
};

static int visit_fn(const struct e4_gdt *gdt, uint32_t group, void *arg,
		    struct e4_err *err)
{
	struct visit *v = arg;

	(void)gdt;
	atomic_fetch_add(&v->count[group], 1);
	if (v->fail_at && group == v->fail_at)
		return e4_err_set(err, -EIO, "group %u failed", group);
	/* Publishing from a worker, inside its read-side section. */
	if (v->grow && group == 0 && !atomic_exchange(&v->grown, true))
		e4_gdt_publish(v->t, make(300, 99));
	return 0;
}

static void test_scan(void **state)
{
	static struct visit v;
	struct e4_err err = { 0 };
	uint32_t i;

	(void)state;
	assert_int_equal(e4_gdt_table_new(&v.t, NULL), 0);
	e4_gdt_publish(v.t, make(1000, 1));

	assert_int_equal(e4_groups_scan(v.t, 4, visit_fn, &v, &err), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(atomic_load(&v.count[i]), 1);
	assert_int_equal(atomic_load(&v.count[1000]), 0);

	/* The first error stops the scan and comes back with its message. */
	memset(&v.count, 0, sizeof(v.count));
	v.fail_at = 5;
	assert_int_equal(e4_groups_scan(v.t, 3, visit_fn, &v, &err), -EIO);
	assert_string_equal(err.msg, "group 5 failed");
	v.fail_at = 0;

	/* Groups published during the scan are scanned too. */
	e4_gdt_publish(v.t, make(100, 1));
	memset(&v.count, 0, sizeof(v.count));
	v.grow = true;
	assert_int_equal(e4_groups_scan(v.t, 2, visit_fn, &v, &err), 0);
	for (i = 0; i < 300; i++)
		assert_int_equal(atomic_load(&v.count[i]), 1);
	assert_int_equal(atomic_load(&v.count[300]), 0);

	/* nthreads 0: one per CPU. */
	memset(&v.count, 0, sizeof(v.count));
	v.grow = false;
	assert_int_equal(e4_groups_scan(v.t, 0, visit_fn, &v, &err), 0);
	assert_int_equal(atomic_load(&v.count[299]), 1);
	e4_gdt_close(v.t);
}

/* Load and refresh from a real image made with mke2fs. */
static void test_image(void **state)
{
	char dir[] = "/tmp/test_gdt.XXXXXX", img[64], cmd[320];
	struct e4_target *t = NULL;
	struct e4_gdt_table *tab;
	const struct e4_gdt *g;
	struct e4_fs *fs;
	struct e4_err err = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s 64M %s && mke2fs -q -F -t ext4 -b 1024 %s >/dev/null 2>&1",
		 img, img);
	if (system(cmd) != 0) {
		rmdir(dir);
		skip();
	}
	assert_int_equal(e4_target_resolve(img, &t, &err), 0);
	assert_int_equal(e4_fs_open(t, 0, &fs, &err), 0);
	assert_int_equal(e4_gdt_open(fs, &tab, &err), 0);
	e4_gdt_thread_register();
	e4_gdt_read_lock();
	g = e4_gdt_current(tab);
	assert_int_equal(g->generation, 1);
	assert_int_equal(g->group_count, 8);
	assert_int_equal(g->block_size, 1024);
	assert_int_equal(g->groups[0].start, 1);
	assert_true(g->groups[0].has_super && g->groups[1].has_super);
	assert_false(g->groups[2].has_super);
	assert_int_equal(g->groups[0].csum, E4_GDT_CSUM_OK);
	e4_gdt_read_unlock();

	/*
	 * Change a descriptor behind the open handle's back: refresh must
	 * read the disk, not libext2fs's copy (which still says 2048).
	 */
	snprintf(cmd, sizeof(cmd),
		 "debugfs -w -R 'set_bg 2 free_inodes_count 5' %s >/dev/null 2>&1", img);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(e4_gdt_refresh(tab, &err), 0);
	e4_gdt_read_lock();
	g = e4_gdt_current(tab);
	assert_int_equal(g->generation, 2);
	assert_int_equal(g->group_count, 8);
	assert_int_equal(g->groups[2].free_inodes, 5);
	assert_int_equal(g->groups[1].free_inodes, 2048);
	e4_gdt_read_unlock();
	assert_int_equal(ext2fs_bg_free_inodes_count(e4_fs_ext2(fs), 2), 2048);
	e4_gdt_thread_unregister();

	e4_gdt_close(tab);
	e4_fs_close(fs);
	e4_target_free(t);
	unlink(img);
	rmdir(dir);
}

static uint64_t sum_free(const struct e4_gdt *g)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < g->group_count; i++)
		n += g->groups[i].free_blocks;
	return n;
}

/*
 * A mounted filesystem: the handle is O_DIRECT, and a refresh after
 * writes (checkpointed by a freeze) sees them while the handle's own
 * descriptors do not.  Needs root and a loop mount.
 */
static void test_refresh_mounted(void **state)
{
	char dir[] = "/tmp/test_gdt.XXXXXX", img[64], mnt[64], cmd[512];
	struct e4_target *t = NULL;
	struct e4_gdt_table *tab = NULL;
	const struct e4_gdt *g;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	uint64_t before = 0, after = 0, gen = 0, sb_after = 0, stale = 0;
	bool ok;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	snprintf(cmd, sizeof(cmd),
		 "truncate -s 128M %s && mke2fs -q -F -t ext4 -b 4096 %s >/dev/null 2>&1 && "
		 "mkdir %s && mount -o loop %s %s", img, img, mnt, img, mnt);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
		skip();
	}
	/* Measure first, unmount, then assert: a failure leaves no mount. */
	ok = !e4_target_resolve(mnt, &t, &err) && t->mounted &&
	     !e4_fs_open(t, 0, &fs, &err) &&
	     (e4_fs_ext2(fs)->flags & EXT2_FLAG_DIRECT_IO) &&
	     !e4_gdt_open(fs, &tab, &err);
	if (ok) {
		e4_gdt_thread_register();
		e4_gdt_read_lock();
		before = sum_free(e4_gdt_current(tab));
		e4_gdt_read_unlock();
		snprintf(cmd, sizeof(cmd),
			 "head -c 8M /dev/urandom >%s/f && sync && fsfreeze -f %s && fsfreeze -u %s",
			 mnt, mnt, mnt);
		ok = system(cmd) == 0 && !e4_gdt_refresh(tab, &err);
	}
	if (ok) {
		e4_gdt_read_lock();
		g = e4_gdt_current(tab);
		after = sum_free(g);
		gen = g->generation;
		sb_after = g->free_blocks;
		e4_gdt_read_unlock();
		stale = ext2fs_free_blocks_count(e4_fs_ext2(fs)->super);
	}
	if (tab) {
		e4_gdt_thread_unregister();
		e4_gdt_close(tab);
	}
	e4_fs_close(fs);
	e4_target_free(t);
	snprintf(cmd, sizeof(cmd), "umount %s && rm -rf %s", mnt, dir);
	assert_int_equal(system(cmd), 0);

	if (!ok)
		fail_msg("%s", err.msg);
	assert_int_equal(gen, 2);
	/* 8 MiB of 4 KiB blocks, plus an extent block or so. */
	print_message("free blocks: %llu before, %llu after\n",
		      (unsigned long long)before, (unsigned long long)after);
	assert_true(before - after >= 2048 && before - after < 2100);
	/* The freeze wrote the superblock's counters too. */
	assert_int_equal(sb_after, after);
	/* libext2fs's copy is what it read at open. */
	assert_int_equal(stale, before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_refresh_mounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
