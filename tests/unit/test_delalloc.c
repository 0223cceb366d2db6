// SPDX-License-Identifier: GPL-2.0
/*
 * The delalloc audit's pure parts: the kernel device name behind a device
 * number (a fake /sys), FIEMAP extents folded into delayed blocks and
 * reserved clusters, and the verdict.
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
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "e4/delalloc.h"

/* ---- the device name ------------------------------------------------ */

static char root[256];

static void mkdirs(const char *rel)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void link_dev(const char *majmin, const char *target)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/sys/dev/block/%s", root, majmin);
	assert_int_equal(symlink(target, p), 0);
}

static int setup_sys(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/e4-test-delalloc.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mkdirs("sys/dev/block");
	/* as the kernel lays them out: relative links into /sys/devices */
	link_dev("7:0", "../../devices/virtual/block/loop0");
	link_dev("253:0", "../../devices/virtual/block/dm-0");
	link_dev("9:0", "../../devices/virtual/block/md0");
	link_dev("259:1", "../../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/nvme0n1p1");
	link_dev("8:1", "../../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1");
	link_dev("104:1", "../../devices/pci0000:00/0000:00:05.0/cciss0/c0d0/block/cciss!c0d0/cciss!c0d0p1");
	return 0;
}

static int teardown_sys(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static void name_is(unsigned int ma, unsigned int mi, const char *want)
{
	struct e4_err err = { 0 };
	char buf[64] = "";

	assert_int_equal(e4_da_sysfs_name(root, makedev(ma, mi), buf,
					  sizeof(buf), &err), 0);
	assert_string_equal(buf, want);
}

static void test_sysfs_name(void **state)
{
	(void)state;
	name_is(7, 0, "loop0");
	name_is(253, 0, "dm-0");
	name_is(9, 0, "md0");
	name_is(259, 1, "nvme0n1p1");
	name_is(8, 1, "sda1");
	/* a '/' in a disk name is '!' in sysfs, and so in /sys/fs/ext4 */
	name_is(104, 1, "cciss!c0d0p1");
}

static void test_sysfs_name_missing(void **state)
{
	struct e4_err err = { 0 };
	char buf[64], small[4];

	(void)state;
	assert_int_equal(e4_da_sysfs_name(root, makedev(8, 2), buf, sizeof(buf),
					  &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/sys/dev/block/8:2"));
	assert_non_null(strstr(err.msg, root));
	assert_int_equal(e4_da_sysfs_name(root, makedev(253, 0), small,
					  sizeof(small), &err), -ENAMETOOLONG);
}

/* ---- FIEMAP extents --------------------------------------------------- */

#define DA (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN)

static struct fiemap_extent ext(uint64_t blk, uint64_t nblk, uint32_t flags,
				unsigned int blkbits)
{
	struct fiemap_extent e;

	memset(&e, 0, sizeof(e));
	e.fe_logical = blk << blkbits;
	e.fe_length = nblk << blkbits;
	e.fe_physical = flags & FIEMAP_EXTENT_DELALLOC ? 0 : (1000 + blk) << blkbits;
	e.fe_flags = flags;
	return e;
}

static void test_fold_plain(void **state)
{
	struct e4_da_fold st = E4_DA_FOLD_INIT;
	struct fiemap_extent e[3];

	(void)state;
	e[0] = ext(0, 10, 0, 12);
	e[1] = ext(10, 5, DA, 12);
	e[2] = ext(20, 3, DA | FIEMAP_EXTENT_LAST, 12);
	e4_da_fold_extents(&st, e, 3, 12, 0);
	assert_int_equal(st.delalloc_blocks, 8);
	assert_int_equal(st.clusters, 8);
}

static void test_fold_partial_block(void **state)
{
	struct e4_da_fold st = E4_DA_FOLD_INIT;
	struct fiemap_extent e = ext(0, 0, DA, 10);

	(void)state;
	/* 7000 bytes of a 1 KiB-block file: 7 blocks */
	e.fe_length = 7000;
	e4_da_fold_extents(&st, &e, 1, 10, 0);
	assert_int_equal(st.delalloc_blocks, 7);
	assert_int_equal(st.clusters, 7);
}

/* bigalloc, 16 blocks a cluster: the cases measured on a 6.18 kernel */
static void test_fold_bigalloc(void **state)
{
	struct fiemap_extent e[3];

	(void)state;
	{
		/* 3 blocks: one cluster (the counter said 16 blocks) */
		struct e4_da_fold st = E4_DA_FOLD_INIT;

		e[0] = ext(0, 3, DA | FIEMAP_EXTENT_LAST, 12);
		e4_da_fold_extents(&st, e, 1, 12, 4);
		assert_int_equal(st.delalloc_blocks, 3);
		assert_int_equal(st.clusters, 1);
	}
	{
		/* 0..16 written, 17..26 delayed: cluster 1 already has a
		 * block, no reservation (counter 0) */
		struct e4_da_fold st = E4_DA_FOLD_INIT;

		e[0] = ext(0, 17, 0, 12);
		e[1] = ext(17, 10, DA | FIEMAP_EXTENT_LAST, 12);
		e4_da_fold_extents(&st, e, 2, 12, 4);
		assert_int_equal(st.delalloc_blocks, 10);
		assert_int_equal(st.clusters, 0);
	}
	{
		/* and 40..49 on top: clusters 2 and 3 (counter 32) */
		struct e4_da_fold st = E4_DA_FOLD_INIT;

		e[0] = ext(0, 17, 0, 12);
		e[1] = ext(17, 10, DA, 12);
		e[2] = ext(40, 10, DA | FIEMAP_EXTENT_LAST, 12);
		e4_da_fold_extents(&st, e, 3, 12, 4);
		assert_int_equal(st.delalloc_blocks, 20);
		assert_int_equal(st.clusters, 2);
	}
}

static void test_fold_bigalloc_shared_clusters(void **state)
{
	struct fiemap_extent e[3];

	(void)state;
	{
		/* two delayed ranges in one cluster count it once */
		struct e4_da_fold st = E4_DA_FOLD_INIT;

		e[0] = ext(0, 4, DA, 12);
		e[1] = ext(6, 2, DA | FIEMAP_EXTENT_LAST, 12);
		e4_da_fold_extents(&st, e, 2, 12, 4);
		assert_int_equal(st.delalloc_blocks, 6);
		assert_int_equal(st.clusters, 1);
	}
	{
		/* a written block after the delayed ones in the same
		 * cluster takes the reservation back */
		struct e4_da_fold st = E4_DA_FOLD_INIT;

		e[0] = ext(0, 4, DA, 12);
		e[1] = ext(4, 2, 0, 12);
		e[2] = ext(32, 4, DA | FIEMAP_EXTENT_LAST, 12);
		e4_da_fold_extents(&st, e, 3, 12, 4);
		assert_int_equal(st.delalloc_blocks, 8);
		assert_int_equal(st.clusters, 1);
	}
	{
		/* the same, split over two FIEMAP batches */
		struct e4_da_fold st = E4_DA_FOLD_INIT;

		e[0] = ext(0, 4, DA, 12);
		e4_da_fold_extents(&st, e, 1, 12, 4);
		e[0] = ext(6, 2, DA, 12);
		e[1] = ext(8, 1, 0, 12);
		e4_da_fold_extents(&st, e, 2, 12, 4);
		assert_int_equal(st.delalloc_blocks, 6);
		assert_int_equal(st.clusters, 0);
	}
}

/* ---- the verdict --------------------------------------------------------- */

static struct e4_da_report *report(enum e4_da_quiesce q, uint64_t counter,
				   bool stable)
{
	struct e4_da_report *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->quiesce = q;
	r->counter = counter;
	r->stable = stable;
	r->nsamples = 4;
	r->disk_known = true;
	r->cluster_ratio = 1;
	r->cachestat = true;
	snprintf(r->mountpoint, sizeof(r->mountpoint), "/mnt");
	return r;
}

static struct e4_da_file *add_file(struct e4_da_report *r, const char *path,
				   uint64_t da, uint64_t dirty, bool known)
{
	struct e4_da_file *f;

	r->files = realloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
	assert_non_null(r->files);
	f = &r->files[r->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->ino = 11 + r->nfiles;
	f->delalloc_blocks = da;
	f->reserved_blocks = da;
	f->dirty_pages = dirty;
	f->pages_known = known;
	r->file_sum += da;
	if (da || dirty)
		r->files_holding++;
	return f;
}

static void test_leak(void **state)
{
	struct e4_da_report *r = report(E4_DA_SYNC, 12, true);
	struct e4_err err = { 0 };

	(void)state;
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].kind, E4_DA_LEAK);
	assert_int_equal(r->findings[0].blocks, 12);
	assert_string_equal(r->findings[0].msg, "leaked reservation: 12 blocks");
	assert_null(r->findings[0].path);
	/* judging twice gives the same, not twice the findings */
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 1);
	e4_da_report_free(r);
}

static void test_no_verdict(void **state)
{
	struct e4_err err = { 0 };
	struct e4_da_report *r;

	(void)state;
	/* a changing counter is a writer at work, not a leak */
	r = report(E4_DA_SYNC, 12, false);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	e4_da_report_free(r);
	/* not quiesced: dirty data may be on its way */
	r = report(E4_DA_LIVE, 12, true);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	assert_false(r->quiesced);
	e4_da_report_free(r);
	/* only some paths seen, or some files unreadable */
	r = report(E4_DA_FREEZE, 12, true);
	r->partial = true;
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	e4_da_report_free(r);
	r = report(E4_DA_FREEZE, 12, true);
	r->files_skipped = 1;
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	e4_da_report_free(r);
	/* zero is consistent */
	r = report(E4_DA_FREEZE, 0, true);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	e4_da_report_free(r);
}

static void test_no_leak_while_a_file_holds_dirty_pages(void **state)
{
	struct e4_da_report *r = report(E4_DA_SYNC, 12, true);
	struct e4_err err = { 0 };

	(void)state;
	/* written again after the sync: dirty, delalloc to come */
	add_file(r, "/mnt/new", 12, 3, true);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	assert_int_equal(r->difference, 0);
	e4_da_report_free(r);
}

static void test_stale(void **state)
{
	struct e4_da_report *r = report(E4_DA_SYNC, 8, true);
	struct e4_err err = { 0 };

	(void)state;
	add_file(r, "/mnt/stale", 8, 0, true);
	add_file(r, "/mnt/unknown", 0, 0, false);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].kind, E4_DA_STALE);
	assert_string_equal(r->findings[0].path, "/mnt/stale");
	assert_int_equal(r->findings[0].ino, 12);
	assert_int_equal(r->findings[0].blocks, 8);
	assert_non_null(strstr(r->findings[0].msg, "stale delalloc extent"));
	assert_true(r->files[0].stale);
	assert_false(r->files[1].stale);
	e4_da_report_free(r);
}

static void test_stale_without_cachestat(void **state)
{
	struct e4_err err = { 0 };
	struct e4_da_report *r;

	(void)state;
	/* synced, pages unknown (no cachestat): cannot tell a new writer */
	r = report(E4_DA_SYNC, 8, true);
	r->cachestat = false;
	add_file(r, "/mnt/x", 8, 0, false);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	e4_da_report_free(r);
	/* frozen: nothing can have written it since the freeze flushed */
	r = report(E4_DA_FREEZE, 8, true);
	r->cachestat = false;
	add_file(r, "/mnt/x", 8, 0, false);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].kind, E4_DA_STALE);
	e4_da_report_free(r);
}

static void test_mismatch(void **state)
{
	struct e4_err err = { 0 };
	struct e4_da_report *r;

	(void)state;
	r = report(E4_DA_SYNC, 20, true);
	add_file(r, "/mnt/busy", 12, 3, true);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].kind, E4_DA_MISMATCH);
	assert_int_equal(r->findings[0].blocks, 8);
	assert_int_equal(r->difference, 8);
	assert_non_null(strstr(r->findings[0].msg, "difference +8 blocks"));
	e4_da_report_free(r);
	/* the counter below the files is a difference too */
	r = report(E4_DA_FREEZE, 4, true);
	add_file(r, "/mnt/busy", 12, 3, true);
	r->files[0].delalloc_blocks = 0;	/* dirty, not yet delayed */
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 1);
	assert_int_equal(r->findings[0].blocks, -8);
	e4_da_report_free(r);
	/* without the device the cluster size is unknown: no comparison */
	r = report(E4_DA_SYNC, 20, true);
	r->disk_known = false;
	add_file(r, "/mnt/busy", 12, 3, true);
	assert_int_equal(e4_da_judge(r, &err), 0);
	assert_int_equal(r->nfindings, 0);
	e4_da_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sysfs_name, setup_sys, teardown_sys),
		cmocka_unit_test_setup_teardown(test_sysfs_name_missing, setup_sys, teardown_sys),
		cmocka_unit_test(test_fold_plain),
		cmocka_unit_test(test_fold_partial_block),
		cmocka_unit_test(test_fold_bigalloc),
		cmocka_unit_test(test_fold_bigalloc_shared_clusters),
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_no_verdict),
		cmocka_unit_test(test_no_leak_while_a_file_holds_dirty_pages),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_stale_without_cachestat),
		cmocka_unit_test(test_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
