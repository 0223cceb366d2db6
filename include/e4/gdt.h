/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_GDT_H
#define E4_GDT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * struct rcu_head only; the flavour (and so call_rcu) is gdt.c's choice.
 * A file that also includes a liburcu flavour header must include that
 * one first, or its call_rcu mapping finds this header already read.
 */
#include <urcu/call-rcu.h>

#include "e4/err.h"
#include "e4/fs.h"

/*
 * The group descriptor table as immutable, RCU-protected snapshots.
 *
 * A struct e4_gdt is never modified once published: the writer (a refresh
 * after each online resize step, an offline grow) builds a new one,
 * publishes it with one pointer exchange and frees the old one only after
 * every reader that could still see it has left its read-side critical
 * section.  Readers never block the writer and never see a half-written
 * table: this is the kernel's s_group_desc scheme (ext4_kvfree_array_rcu)
 * in user space.
 *
 * Every thread that reads must be registered (e4_gdt_thread_register);
 * e4_groups_scan() registers its own workers.
 */

enum e4_gdt_csum {
	E4_GDT_CSUM_NONE,	/* neither gdt_csum nor metadata_csum */
	E4_GDT_CSUM_OK,
	E4_GDT_CSUM_BAD,
};

/* A group's descriptor, decoded; the counts are what is on disk. */
struct e4_gdt_group {
	uint64_t start, end;		/* first and last block of the group */
	uint64_t block_bitmap;
	uint64_t inode_bitmap;
	uint64_t inode_table;
	uint32_t free_blocks;		/* clusters, with bigalloc */
	uint32_t free_inodes;
	uint32_t used_dirs;
	uint32_t itable_unused;
	uint32_t block_bitmap_csum;	/* as stored (lo, plus hi if present) */
	uint32_t inode_bitmap_csum;
	uint16_t flags;			/* EXT2_BG_INODE_UNINIT, ... */
	uint16_t checksum;		/* bg_checksum as stored */
	uint16_t checksum_calc;		/* what it should be (when csum != NONE) */
	uint8_t csum;			/* enum e4_gdt_csum */
	bool has_super;			/* holds a superblock (copy) */
	bool has_gdt;			/* holds descriptor blocks (copy) */
};

struct e4_gdt {
	/* Reclaim goes through this, so freeing a snapshot never allocates. */
	struct rcu_head rcu;

	uint64_t generation;		/* 1 for the first snapshot, then +1 */
	uint32_t group_count;
	uint32_t block_size;
	uint32_t cluster_bits;		/* log2(blocks per cluster) */
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t clusters_per_group;
	uint32_t inodes_per_group;
	uint32_t desc_size;
	uint64_t blocks_count;
	uint64_t free_blocks;		/* the superblock's counters */
	uint32_t free_inodes;
	uint32_t csum_seed;		/* metadata_csum seed */
	bool metadata_csum;
	bool gdt_csum;			/* group descriptor checksums of any kind */
	uint64_t checksum;		/* of everything after this field */
	struct e4_gdt_group groups[];
};

/* The handle through which a snapshot is published. */
struct e4_gdt_table;

/*
 * Load the first snapshot from fs.  The table keeps a pointer to fs and
 * re-reads through its device on refresh; fs must outlive the table.
 */
int e4_gdt_open(struct e4_fs *fs, struct e4_gdt_table **out,
		struct e4_err *err);

/*
 * An empty table for snapshots built by the caller (tests, bench,
 * offline grow); e4_gdt_refresh() fails with -EOPNOTSUPP on it.
 */
int e4_gdt_table_new(struct e4_gdt_table **out, struct e4_err *err);

/*
 * Wait for every pending reclaim and free the table and its current
 * snapshot.  No reader may still be using it; the caller must not be in a
 * read-side critical section.
 */
void e4_gdt_close(struct e4_gdt_table *t);

/*
 * Re-read the superblock and the descriptors from the device (with
 * O_DIRECT when the filesystem is mounted, so neither libext2fs's copy
 * nor the page cache can answer) and publish the result.  Writers are
 * serialised by the table; readers are not blocked.  The old snapshot is
 * reclaimed after a grace period, from liburcu's call_rcu thread.  Not
 * inside a read-side critical section: it ends with a quiescent state
 * of the calling thread.
 */
int e4_gdt_refresh(struct e4_gdt_table *t, struct e4_err *err);

/* A zeroed snapshot with room for ngroups, for e4_gdt_publish(). */
struct e4_gdt *e4_gdt_alloc(uint32_t ngroups);
/* Free a snapshot that was never published. */
void e4_gdt_free(struct e4_gdt *g);
/*
 * Seal g (set its checksum and the next generation) and publish it; the
 * table owns it from now on.  Safe against concurrent readers.
 */
void e4_gdt_publish(struct e4_gdt_table *t, struct e4_gdt *g);

/* The checksum of a snapshot's contents; equals g->checksum unless torn. */
uint64_t e4_gdt_content_sum(const struct e4_gdt *g);

/* Register / unregister the calling thread as a reader. */
void e4_gdt_thread_register(void);
void e4_gdt_thread_unregister(void);

/*
 * A registered thread holds up reclaim until it says it holds no
 * snapshot any more: e4_gdt_quiescent() where it holds none (between
 * uses, outside any read-side critical section), or offline/online
 * around a stretch where it reads nothing and may block.  The group
 * scanner's workers do this between groups, e4_gdt_refresh() for its
 * caller; a thread that keeps reading in a loop calls e4_gdt_quiescent()
 * every so often.  All three do nothing for an unregistered thread.
 */
void e4_gdt_quiescent(void);
void e4_gdt_thread_offline(void);
void e4_gdt_thread_online(void);

/* The first member of struct e4_gdt_table, for the inline read side. */
struct e4_gdt_table_head {
	struct e4_gdt *cur;
};

/*
 * The read side: between e4_gdt_read_lock() and e4_gdt_read_unlock() the
 * pointer returned by e4_gdt_current() stays valid; it must not be used
 * after the unlock.  Critical sections nest and may block (reading the
 * device), which only delays reclaim, never the writer.  With the
 * quiescent-state flavour lib/gdt.c uses, the lock and unlock compile to
 * nothing and the lookup to one load: what makes the pointer safe is
 * that the thread announces no quiescent state while it uses it.
 */
static inline void e4_gdt_read_lock(void)
{
}

static inline void e4_gdt_read_unlock(void)
{
}

static inline const struct e4_gdt *e4_gdt_current(struct e4_gdt_table *t)
{
	/* rcu_dereference: a dependent load, a plain move on every CPU
	 * Linux runs on but Alpha. */
	return __atomic_load_n(&((struct e4_gdt_table_head *)(void *)t)->cur,
			       __ATOMIC_CONSUME);
}

/*
 * Parallel group scanner: nthreads workers (0: one per CPU, at most 16)
 * take group numbers from a shared counter and call fn on each, inside a
 * read-side critical section, with the snapshot current at that moment.
 * A group number past that snapshot's count ends the worker, so groups
 * added while scanning are visited too.  fn runs concurrently with itself
 * and must not call e4_gdt_close().  The first non-zero return of fn
 * (a -errno, with err filled through the scan's err) stops the scan and
 * is returned.  Workers are registered with liburcu for their lifetime.
 */
typedef int (*e4_group_fn)(const struct e4_gdt *gdt, uint32_t group,
			   void *arg, struct e4_err *err);

int e4_groups_scan(struct e4_gdt_table *t, unsigned int nthreads,
		   e4_group_fn fn, void *arg, struct e4_err *err);

#endif
