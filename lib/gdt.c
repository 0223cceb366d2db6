// SPDX-License-Identifier: GPL-2.0
/*
 * The group descriptor table as RCU-protected immutable snapshots: how a
 * snapshot is built from libext2fs, published and reclaimed, the read
 * side, and the parallel group scanner built on it.
 *
 * The liburcu flavour is chosen here and nowhere else: urcu-qsbr.  Its
 * read side is nothing at all (e4_gdt_read_lock and _unlock are empty,
 * e4_gdt_current is one load, all inline in e4/gdt.h), so a lookup
 * costs what an unsynchronised one does.  The price is paid at points
 * the library already has: a registered thread announces a quiescent
 * state where it holds no snapshot (the group scanner between groups,
 * e4_gdt_refresh, e4_gdt_quiescent), and goes offline where it may block
 * for long (the scanner's caller while it waits for the workers).  A
 * grace period lasts until every online registered thread has passed
 * such a point.  urcu-memb, the previous choice, needs no announcements
 * but pays a thread-local store and a nesting count on every lookup:
 * half the speed of a plain read in bench/gdt.  urcu-signal would take
 * SIGUSR1, which is not a library's to take.
 */

/* Inline read-side fast paths; must come before any urcu header. */
#define _LGPL_SOURCE
/*
 * The flavour header first: include/e4/gdt.h pulls in urcu/call-rcu.h,
 * whose declarations are only mapped to urcu_qsbr_* when it is first
 * reached through this header.
 */
#include <urcu/urcu-qsbr.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e4/gdt.h"

struct e4_gdt_table {
	struct e4_gdt_table_head head;	/* cur: RCU-protected */
	struct e4_fs *fs;		/* NULL for e4_gdt_table_new() */
	pthread_mutex_t write_lock;	/* serialises publishers */
	uint64_t generation;		/* of the last published snapshot */
};

/*
 * Whether this thread is registered: publish may hand the old snapshot to
 * call_rcu only from a registered thread (call_rcu looks up its worker
 * under the read lock); other threads wait for the grace period instead.
 */
static __thread int registered;

_Static_assert(offsetof(struct e4_gdt_table, head) == 0,
	       "e4_gdt_current() reads the head through the table pointer");

void e4_gdt_thread_register(void)
{
	if (registered++ == 0)
		urcu_qsbr_register_thread();
}

void e4_gdt_thread_unregister(void)
{
	/* Unregistering takes the thread offline first. */
	if (--registered == 0)
		urcu_qsbr_unregister_thread();
}

void e4_gdt_quiescent(void)
{
	if (registered)
		urcu_qsbr_quiescent_state();
}

void e4_gdt_thread_offline(void)
{
	if (registered)
		urcu_qsbr_thread_offline();
}

void e4_gdt_thread_online(void)
{
	if (registered)
		urcu_qsbr_thread_online();
}

/*
 * A 64-bit multiply-xorshift over 8-byte words.  Not cryptographic: it
 * only has to make a torn or recycled snapshot visible to its readers.
 * Both regions hashed are multiples of 8 bytes (asserted below).
 */
static uint64_t hash_words(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h ^= w;
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

_Static_assert(offsetof(struct e4_gdt, checksum) % 8 == 0 &&
	       offsetof(struct e4_gdt, generation) % 8 == 0,
	       "hashed header must be whole words");
_Static_assert(sizeof(struct e4_gdt_group) % 8 == 0,
	       "hashed groups must be whole words");

uint64_t e4_gdt_content_sum(const struct e4_gdt *g)
{
	size_t start = offsetof(struct e4_gdt, generation);
	uint64_t h = 0xcbf29ce484222325ULL;

	h = hash_words(h, (const char *)g + start,
		       offsetof(struct e4_gdt, checksum) - start);
	return hash_words(h, g->groups,
			  (size_t)g->group_count * sizeof(g->groups[0]));
}

struct e4_gdt *e4_gdt_alloc(uint32_t ngroups)
{
	/* calloc: padding bytes are hashed too and must be zero. */
	struct e4_gdt *g = calloc(1, sizeof(*g) +
				     (size_t)ngroups * sizeof(g->groups[0]));

	if (g)
		g->group_count = ngroups;
	return g;
}

void e4_gdt_free(struct e4_gdt *g)
{
	free(g);
}

static void reclaim(struct rcu_head *head)
{
	free(caa_container_of(head, struct e4_gdt, rcu));
}

void e4_gdt_publish(struct e4_gdt_table *t, struct e4_gdt *g)
{
	struct e4_gdt *old;

	pthread_mutex_lock(&t->write_lock);
	g->generation = ++t->generation;
	g->checksum = e4_gdt_content_sum(g);
	/* Orders the stores above before the pointer becomes visible. */
	old = rcu_xchg_pointer(&t->head.cur, g);
	pthread_mutex_unlock(&t->write_lock);
	if (!old)
		return;
	if (registered) {
		urcu_qsbr_call_rcu(&old->rcu, reclaim);
	} else {
		urcu_qsbr_synchronize_rcu();
		free(old);
	}
}

int e4_gdt_table_new(struct e4_gdt_table **out, struct e4_err *err)
{
	struct e4_gdt_table *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return e4_err_sys(err, -ENOMEM, "while allocating the descriptor table");
	pthread_mutex_init(&t->write_lock, NULL);
	*out = t;
	return 0;
}

void e4_gdt_close(struct e4_gdt_table *t)
{
	struct e4_gdt *last;

	if (!t)
		return;
	last = rcu_xchg_pointer(&t->head.cur, NULL);
	/* Readers are gone (contract); only queued reclaims remain. */
	urcu_qsbr_barrier();
	free(last);
	pthread_mutex_destroy(&t->write_lock);
	free(t);
}

static void fill_group(ext2_filsys fs, dgrp_t i, bool csum,
		       struct e4_gdt_group *gr)
{
	blk64_t super = 0, old_desc = 0, new_desc = 0;
	blk_t used = 0;

	gr->start = ext2fs_group_first_block2(fs, i);
	gr->end = ext2fs_group_last_block2(fs, i);
	gr->block_bitmap = ext2fs_block_bitmap_loc(fs, i);
	gr->inode_bitmap = ext2fs_inode_bitmap_loc(fs, i);
	gr->inode_table = ext2fs_inode_table_loc(fs, i);
	gr->free_blocks = ext2fs_bg_free_blocks_count(fs, i);
	gr->free_inodes = ext2fs_bg_free_inodes_count(fs, i);
	gr->used_dirs = ext2fs_bg_used_dirs_count(fs, i);
	gr->itable_unused = ext2fs_bg_itable_unused(fs, i);
	gr->block_bitmap_csum = ext2fs_block_bitmap_checksum(fs, i);
	gr->inode_bitmap_csum = ext2fs_inode_bitmap_checksum(fs, i);
	gr->flags = ext2fs_bg_flags(fs, i);
	gr->checksum = ext2fs_bg_checksum(fs, i);
	if (!csum) {
		gr->csum = E4_GDT_CSUM_NONE;
	} else {
		gr->checksum_calc = ext2fs_group_desc_csum(fs, i);
		gr->csum = gr->checksum_calc == gr->checksum ?
			   E4_GDT_CSUM_OK : E4_GDT_CSUM_BAD;
	}
	gr->has_super = ext2fs_bg_has_super(fs, i);
	/* Knows meta_bg: descriptor blocks in groups 0, 1, last of each. */
	ext2fs_super_and_bgd_loc2(fs, i, &super, &old_desc, &new_desc, &used);
	gr->has_gdt = old_desc || new_desc;
}

/* A snapshot of what fs holds in memory (the caller made that fresh). */
static int build(ext2_filsys fs, struct e4_gdt **out, struct e4_err *err)
{
	struct ext2_super_block *sb = fs->super;
	struct e4_gdt *g;
	dgrp_t i;

	*out = NULL;
	g = e4_gdt_alloc(fs->group_desc_count);
	if (!g)
		return e4_err_sys(err, -ENOMEM, "%s: while copying group descriptors",
				  fs->device_name);
	g->block_size = fs->blocksize;
	g->cluster_bits = fs->cluster_ratio_bits;
	g->first_data_block = sb->s_first_data_block;
	g->blocks_per_group = sb->s_blocks_per_group;
	g->clusters_per_group = sb->s_clusters_per_group;
	g->inodes_per_group = sb->s_inodes_per_group;
	g->desc_size = EXT2_DESC_SIZE(sb);
	g->blocks_count = ext2fs_blocks_count(sb);
	g->free_blocks = ext2fs_free_blocks_count(sb);
	g->free_inodes = sb->s_free_inodes_count;
	g->csum_seed = fs->csum_seed;
	g->metadata_csum = ext2fs_has_feature_metadata_csum(sb);
	g->gdt_csum = ext2fs_has_group_desc_csum(fs);
	for (i = 0; i < fs->group_desc_count; i++)
		fill_group(fs, i, g->gdt_csum, &g->groups[i]);
	*out = g;
	return 0;
}

int e4_gdt_open(struct e4_fs *fs, struct e4_gdt_table **out,
		struct e4_err *err)
{
	struct e4_gdt_table *t;
	struct e4_gdt *g;
	int rc;

	rc = e4_gdt_table_new(&t, err);
	if (rc)
		return rc;
	/* The handle was just opened: its descriptors are from the disk. */
	rc = build(e4_fs_ext2(fs), &g, err);
	if (rc) {
		e4_gdt_close(t);
		return rc;
	}
	t->fs = fs;
	e4_gdt_publish(t, g);
	*out = t;
	return 0;
}

int e4_gdt_refresh(struct e4_gdt_table *t, struct e4_err *err)
{
	ext2_filsys cur, fresh;
	struct e4_gdt *g;
	errcode_t ret;
	int flags, rc;

	if (!t->fs)
		return e4_err_set(err, -EOPNOTSUPP,
				  "descriptor table has no filesystem to re-read");
	cur = e4_fs_ext2(t->fs);
	/*
	 * A second handle, not the cached one: libext2fs read the
	 * descriptors once at open and never again, and its unix I/O
	 * channel caches blocks.  A fresh open re-reads the superblock (the
	 * group count may have grown) and every descriptor block wherever
	 * it lives (meta_bg included), with O_DIRECT when the first handle
	 * has it, i.e. when the filesystem is mounted.
	 */
	flags = EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS |
		EXT2_FLAG_SKIP_MMP | (cur->flags & EXT2_FLAG_DIRECT_IO);
	ret = ext2fs_open2(cur->device_name, NULL, flags, 0, 0, unix_io_manager,
			   &fresh);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while re-reading group descriptors",
				   cur->device_name);
	rc = build(fresh, &g, err);
	ext2fs_close_free(&fresh);
	if (rc)
		return rc;
	e4_gdt_publish(t, g);
	/* The caller holds no snapshot here (contract): let reclaim go on. */
	e4_gdt_quiescent();
	return 0;
}

struct scan {
	struct e4_gdt_table *t;
	e4_group_fn fn;
	void *arg;
	atomic_uint next;
	atomic_bool stop;
	pthread_mutex_t lock;	/* rc and err */
	int rc;
	struct e4_err *err;
};

static void *scan_worker(void *p)
{
	struct scan *s = p;
	struct e4_err err = { 0 };

	e4_gdt_thread_register();
	while (!atomic_load(&s->stop)) {
		const struct e4_gdt *gdt;
		unsigned int g;
		int rc;

		e4_gdt_read_lock();
		gdt = e4_gdt_current(s->t);
		/*
		 * Claim a group only while it is inside the snapshot in hand:
		 * a number taken past the end and dropped would be lost if a
		 * larger snapshot were published a moment later.
		 */
		g = atomic_load(&s->next);
		while (gdt && g < gdt->group_count &&
		       !atomic_compare_exchange_weak(&s->next, &g, g + 1))
			;
		if (!gdt || g >= gdt->group_count) {
			e4_gdt_read_unlock();
			break;
		}
		rc = s->fn(gdt, g, s->arg, &err);
		e4_gdt_read_unlock();
		/* Between groups this worker holds no snapshot. */
		e4_gdt_quiescent();
		if (rc) {
			pthread_mutex_lock(&s->lock);
			if (!s->rc) {
				s->rc = rc;
				if (s->err)
					*s->err = err;
			}
			pthread_mutex_unlock(&s->lock);
			atomic_store(&s->stop, true);
			break;
		}
	}
	e4_gdt_thread_unregister();
	return NULL;
}

int e4_groups_scan(struct e4_gdt_table *t, unsigned int nthreads,
		   e4_group_fn fn, void *arg, struct e4_err *err)
{
	struct scan s = { .t = t, .fn = fn, .arg = arg, .err = err };
	pthread_t *tids;
	unsigned int i, started = 0;
	int rc, create_rc = 0;

	if (!nthreads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		nthreads = n < 1 ? 1 : n > 16 ? 16 : (unsigned int)n;
	}
	tids = calloc(nthreads, sizeof(*tids));
	if (!tids)
		return e4_err_sys(err, -ENOMEM, "while starting the group scan");
	atomic_init(&s.next, 0);
	atomic_init(&s.stop, false);
	pthread_mutex_init(&s.lock, NULL);
	for (i = 0; i < nthreads; i++) {
		create_rc = pthread_create(&tids[i], NULL, scan_worker, &s);
		if (create_rc)
			break;
		started++;
	}
	/*
	 * Fewer workers than asked still finish the scan.  A registered
	 * caller goes offline while it waits, or a worker's publish would
	 * wait for it.
	 */
	e4_gdt_thread_offline();
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	e4_gdt_thread_online();
	if (!started)
		rc = e4_err_sys(err, -(create_rc ? create_rc : EAGAIN),
				"while starting the group scan threads");
	else
		rc = s.rc;
	pthread_mutex_destroy(&s.lock);
	free(tids);
	return rc;
}
