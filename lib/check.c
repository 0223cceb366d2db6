// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl check's engine: the free counts and checksums of every group,
 * audited against the bitmaps in parallel through the group scanner, and
 * the totals against the superblock.  Three phases: what libext2fs would
 * synthesise for BLOCK_UNINIT groups (serial, libext2fs is not
 * thread-safe), the bitmap reads (parallel, each worker with pread on a
 * descriptor of its own), the comparison (serial).  Read-only throughout.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e4/array.h"
#include "e4/check.h"
#include "e4/gdt.h"

/* What a worker found for one group, compared there and then dropped. */
struct group_count {
	uint32_t free_blocks;		/* clusters */
	uint32_t free_inodes;
	uint32_t bbitmap_csum;		/* computed, when checked */
	uint32_t ibitmap_csum;
	bool bbitmap_checked;
	bool ibitmap_checked;
	uint32_t ipad_set;		/* padding bytes that are 0xff */
	uint32_t ipad_len;		/* padding bytes after the inodes */
};

/*
 * Nothing here grows with the group count but the findings: each group
 * is counted, compared and forgotten by the worker that read it, so the
 * audit's memory is the descriptor snapshot and a block per worker.
 */
struct check {
	ext2_filsys fs;
	int fd;
	size_t align;			/* I/O granule for O_DIRECT */
	uint32_t ngroups;		/* groups of the snapshot checked */
	ext2fs_block_bitmap uninit;	/* synthesised marks, BLOCK_UNINIT */
	pthread_mutex_t uninit_lock;	/* its lookups move a cursor */
	const struct e4_job *job;
	atomic_uint done;		/* groups scanned, for progress */
	pthread_mutex_t progress_lock;	/* the callback is not reentrant */
	_Atomic uint64_t free_clusters;	/* totals of the bitmaps */
	_Atomic uint64_t free_inodes;
	pthread_mutex_t findings_lock;	/* findings, cap */
	struct e4_check_finding *findings;
	size_t nfindings, cap;
};

const char *e4_check_what_name(enum e4_check_what what)
{
	static const char *const names[] = {
		[E4_CHECK_FREE_BLOCKS] = "free_blocks",
		[E4_CHECK_FREE_INODES] = "free_inodes",
		[E4_CHECK_DESC_CSUM] = "desc_csum",
		[E4_CHECK_BBITMAP_CSUM] = "block_bitmap_csum",
		[E4_CHECK_IBITMAP_CSUM] = "inode_bitmap_csum",
		[E4_CHECK_SB_FREE_BLOCKS] = "sb_free_blocks",
		[E4_CHECK_SB_FREE_INODES] = "sb_free_inodes",
		[E4_CHECK_SB_CSUM] = "sb_csum",
		[E4_CHECK_IBITMAP_PADDING] = "inode_bitmap_padding",
	};

	return what < sizeof(names) / sizeof(names[0]) ? names[what] : "?";
}

/*
 * Whether the bitmap is taken as uninitialised: whenever the flag is set
 * and the filesystem has group checksums (without them the flags mean
 * nothing), even when the descriptor's own checksum is bad.  libext2fs
 * would read such a group's never-written bitmap instead; e2fsck reports
 * the checksum and still counts the group right, and so do we: the
 * descriptor finding is reported once, not echoed as bitmap garbage.
 */
static bool uninit(const struct e4_gdt *gdt, const struct e4_gdt_group *g,
		   uint16_t flag)
{
	return gdt->gdt_csum && (g->flags & flag);
}

static uint32_t group_clusters(const struct e4_gdt *gdt,
			       const struct e4_gdt_group *g)
{
	uint64_t mask = (1ULL << gdt->cluster_bits) - 1;

	return (g->end - g->start + 1 + mask) >> gdt->cluster_bits;
}

/* Zero bits among the first nbits of bitmap. */
static uint32_t count_zero(const unsigned char *bitmap, uint32_t nbits)
{
	uint32_t used = 0, i;

	for (i = 0; i + 64 <= nbits; i += 64) {
		uint64_t w;

		memcpy(&w, bitmap + i / 8, 8);
		used += __builtin_popcountll(w);
	}
	for (; i < nbits; i++)
		used += (bitmap[i / 8] >> (i % 8)) & 1;
	return nbits - used;
}

/*
 * The used clusters libext2fs gives a BLOCK_UNINIT group when it reads
 * the bitmaps (mark_uninit_bg_group_blocks): its superblock and
 * descriptor copies, and the bitmaps and inode tables of every
 * BLOCK_UNINIT group that lie in it.  Marked in a bitmap of libext2fs's
 * own so overlaps count once and meta_bg/bigalloc follow its rules; the
 * workers count each group's share when they reach it.
 */
static int synthesise_uninit(struct check *c, const struct e4_gdt *gdt,
			     struct e4_err *err)
{
	ext2_filsys fs = c->fs;
	errcode_t ret;
	uint32_t i;
	int type;

	/*
	 * An extent tree, not a bit array: a bit array over the whole
	 * filesystem is touched in every group (256 MiB resident at 8 TiB),
	 * the marks here are a few runs per flex group.
	 */
	type = fs->default_bitmap_type;
	fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
	ret = ext2fs_allocate_block_bitmap(fs, "uninit groups", &c->uninit);
	fs->default_bitmap_type = type;
	if (ret)
		return e4_err_ext2(err, ret, "%s: while allocating a bitmap",
				   fs->device_name);
	for (i = 0; i < c->ngroups; i++) {
		const struct e4_gdt_group *g = &gdt->groups[i];

		if (!uninit(gdt, g, EXT2_BG_BLOCK_UNINIT))
			continue;
		ext2fs_reserve_super_and_bgd(fs, i, c->uninit);
		if (g->inode_table && g->inode_table < gdt->blocks_count)
			ext2fs_mark_block_bitmap_range2(c->uninit, g->inode_table,
							fs->inode_blocks_per_group);
		if (g->block_bitmap && g->block_bitmap < gdt->blocks_count)
			ext2fs_mark_block_bitmap2(c->uninit, g->block_bitmap);
		if (g->inode_bitmap && g->inode_bitmap < gdt->blocks_count)
			ext2fs_mark_block_bitmap2(c->uninit, g->inode_bitmap);
	}
	return 0;
}

/* Free clusters of BLOCK_UNINIT group i; buf holds a block. */
static int uninit_free(struct check *c, const struct e4_gdt *gdt, uint32_t i,
		       unsigned char *buf, uint32_t *nfree, struct e4_err *err)
{
	uint32_t n = group_clusters(gdt, &gdt->groups[i]);
	errcode_t ret;

	pthread_mutex_lock(&c->uninit_lock);
	/* The bitmap is indexed in clusters from the first data block. */
	ret = ext2fs_get_block_bitmap_range2(c->uninit,
			EXT2FS_B2C(c->fs, gdt->first_data_block) +
			(uint64_t)i * gdt->clusters_per_group, n, buf);
	pthread_mutex_unlock(&c->uninit_lock);
	if (ret)
		return e4_err_ext2(err, ret, "%s: group %u", c->fs->device_name, i);
	*nfree = count_zero(buf, n);
	return 0;
}

/* One filesystem block into buf (block_size bytes), O_DIRECT-safe. */
static int read_block(struct check *c, const struct e4_gdt *gdt, uint64_t blk,
		      unsigned char *buf, unsigned char *bounce)
{
	uint64_t off = blk * gdt->block_size;
	uint64_t start = off & ~(uint64_t)(c->align - 1);
	size_t len = (off + gdt->block_size - start + c->align - 1) &
		     ~(c->align - 1);
	ssize_t n;

	do
		n = pread(c->fd, bounce, len, start);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n < off - start + gdt->block_size)
		return -EIO;
	memcpy(buf, bounce + (off - start), gdt->block_size);
	return 0;
}

static size_t bounce_size(const struct check *c, const struct e4_gdt *gdt)
{
	return ((gdt->block_size + c->align - 1) & ~(c->align - 1)) + c->align;
}

/*
 * A bitmap block's checksum as its descriptor stores it: only the low 16
 * bits when the descriptor is too short for the high half (hi_end).
 */
static uint32_t bitmap_csum(const struct e4_gdt *gdt, const unsigned char *buf,
			    uint32_t bytes, size_t hi_end)
{
	uint32_t csum = ext2fs_crc32c_le(gdt->csum_seed, buf, bytes);

	return gdt->desc_size < hi_end ? csum & 0xffff : csum;
}

static int count_blocks(struct check *c, const struct e4_gdt *gdt, uint32_t i,
			unsigned char *buf, unsigned char *bounce,
			struct group_count *gc, struct e4_err *err)
{
	const struct e4_gdt_group *g = &gdt->groups[i];
	uint32_t nclusters = group_clusters(gdt, g);
	int rc;

	if (uninit(gdt, g, EXT2_BG_BLOCK_UNINIT))
		return uninit_free(c, gdt, i, buf, &gc->free_blocks, err);
	if (!g->block_bitmap || g->block_bitmap >= gdt->blocks_count) {
		/* libext2fs reads such a bitmap as all free. */
		gc->free_blocks = nclusters;
		return 0;
	}
	rc = read_block(c, gdt, g->block_bitmap, buf, bounce);
	if (rc)
		return e4_err_sys(err, rc, "%s: group %u: while reading the block bitmap at %llu",
				  c->fs->device_name, i,
				  (unsigned long long)g->block_bitmap);
	gc->free_blocks = count_zero(buf, nclusters);
	if (gdt->metadata_csum) {
		gc->bbitmap_csum = bitmap_csum(gdt, buf, gdt->clusters_per_group / 8,
					       EXT4_BG_BLOCK_BITMAP_CSUM_HI_LOCATION);
		gc->bbitmap_checked = true;
	}
	return 0;
}

static int count_inodes(struct check *c, const struct e4_gdt *gdt, uint32_t i,
			unsigned char *buf, unsigned char *bounce,
			struct group_count *gc, struct e4_err *err)
{
	const struct e4_gdt_group *g = &gdt->groups[i];
	int rc;

	if (uninit(gdt, g, EXT2_BG_INODE_UNINIT) ||
	    !g->inode_bitmap || g->inode_bitmap >= gdt->blocks_count) {
		gc->free_inodes = gdt->inodes_per_group;
		return 0;
	}
	rc = read_block(c, gdt, g->inode_bitmap, buf, bounce);
	if (rc)
		return e4_err_sys(err, rc, "%s: group %u: while reading the inode bitmap at %llu",
				  c->fs->device_name, i,
				  (unsigned long long)g->inode_bitmap);
	gc->free_inodes = count_zero(buf, gdt->inodes_per_group);
	/* As e2fsck: the rest of the block is all ones (libext2fs writes
	 * it so, and would hide a damage there). */
	if (gdt->inodes_per_group % 8 == 0) {
		uint32_t b;

		gc->ipad_len = gdt->block_size - gdt->inodes_per_group / 8;
		for (b = gdt->inodes_per_group / 8; b < gdt->block_size; b++)
			gc->ipad_set += buf[b] == 0xff;
	}
	if (gdt->metadata_csum) {
		gc->ibitmap_csum = bitmap_csum(gdt, buf, gdt->inodes_per_group / 8,
					       EXT4_BG_INODE_BITMAP_CSUM_HI_END);
		gc->ibitmap_checked = true;
	}
	return 0;
}

static void add(struct e4_check_finding *f, size_t *n, uint32_t group,
		enum e4_check_what what, uint64_t expected, uint64_t found)
{
	f[(*n)++] = (struct e4_check_finding){
		.group = group, .what = what, .expected = expected, .found = found,
	};
}

/* The most findings one group can have (compare_group). */
#define GROUP_FINDINGS_MAX 6

/* Group i's findings into f, in the order they are reported; how many. */
static size_t compare_group(const struct e4_gdt_group *g, uint32_t i,
			    const struct group_count *gc,
			    struct e4_check_finding *f)
{
	size_t n = 0;

	if (g->csum == E4_GDT_CSUM_BAD)
		add(f, &n, i, E4_CHECK_DESC_CSUM, g->checksum_calc, g->checksum);
	if (gc->free_blocks != g->free_blocks)
		add(f, &n, i, E4_CHECK_FREE_BLOCKS, gc->free_blocks, g->free_blocks);
	if (gc->free_inodes != g->free_inodes)
		add(f, &n, i, E4_CHECK_FREE_INODES, gc->free_inodes, g->free_inodes);
	if (gc->bbitmap_checked && gc->bbitmap_csum != g->block_bitmap_csum)
		add(f, &n, i, E4_CHECK_BBITMAP_CSUM, gc->bbitmap_csum,
		    g->block_bitmap_csum);
	if (gc->ibitmap_checked && gc->ibitmap_csum != g->inode_bitmap_csum)
		add(f, &n, i, E4_CHECK_IBITMAP_CSUM, gc->ibitmap_csum,
		    g->inode_bitmap_csum);
	if (gc->ipad_set != gc->ipad_len)
		add(f, &n, i, E4_CHECK_IBITMAP_PADDING, gc->ipad_len, gc->ipad_set);
	return n;
}

/* Append n findings of one group, kept together for the sort. */
static int record(struct check *c, const struct e4_check_finding *f, size_t n)
{
	int rc = 0;

	if (!n)
		return 0;
	pthread_mutex_lock(&c->findings_lock);
	rc = e4_array_room(&c->findings, c->nfindings + n - 1, &c->cap,
			   sizeof(*c->findings), 16);
	if (rc)
		goto out;
	memcpy(c->findings + c->nfindings, f, n * sizeof(*f));
	c->nfindings += n;
out:
	pthread_mutex_unlock(&c->findings_lock);
	return rc;
}

static int scan_group(const struct e4_gdt *gdt, uint32_t i, void *arg,
		      struct e4_err *err)
{
	struct check *c = arg;
	struct e4_check_finding f[GROUP_FINDINGS_MAX];
	struct group_count gc = { 0 };
	unsigned char *bounce = NULL, *buf;
	int rc;

	if (e4_job_cancelled(c->job))
		return e4_err_set(err, -EINTR, "interrupted");
	/* The scan follows the newest snapshot; we audit the first one's groups. */
	if (i >= c->ngroups)
		return 0;
	buf = malloc(gdt->block_size);
	if (!buf || posix_memalign((void **)&bounce, c->align,
				   bounce_size(c, gdt))) {
		free(buf);
		return e4_err_sys(err, -ENOMEM, "group %u", i);
	}
	rc = count_blocks(c, gdt, i, buf, bounce, &gc, err);
	if (!rc)
		rc = count_inodes(c, gdt, i, buf, bounce, &gc, err);
	free(bounce);
	free(buf);
	if (rc)
		return rc;
	atomic_fetch_add(&c->free_clusters, gc.free_blocks);
	atomic_fetch_add(&c->free_inodes, gc.free_inodes);
	rc = record(c, f, compare_group(&gdt->groups[i], i, &gc, f));
	if (rc)
		return e4_err_sys(err, rc, "%s: while checking", c->fs->device_name);
	if (c->job && c->job->progress) {
		unsigned int done = atomic_fetch_add(&c->done, 1) + 1;

		pthread_mutex_lock(&c->progress_lock);
		e4_job_progress(c->job, done, c->ngroups);
		pthread_mutex_unlock(&c->progress_lock);
	}
	return 0;
}

/* Where a group's finding comes in compare_group's order. */
static int rank(enum e4_check_what what)
{
	switch (what) {
	case E4_CHECK_DESC_CSUM:	return 0;
	case E4_CHECK_FREE_BLOCKS:	return 1;
	case E4_CHECK_FREE_INODES:	return 2;
	case E4_CHECK_BBITMAP_CSUM:	return 3;
	case E4_CHECK_IBITMAP_CSUM:	return 4;
	default:			return 5;
	}
}

/* By group, then as compare_group lists them: workers finish out of order. */
static int by_group(const void *pa, const void *pb)
{
	const struct e4_check_finding *a = pa, *b = pb;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return rank(a->what) - rank(b->what);
}

/* As e2fsck's pass 5: the superblock against the bitmaps' totals. */
static int compare_super(struct check *c, const struct e4_gdt *gdt,
			 struct e4_check_result *res)
{
	struct e4_check_finding f[3];
	size_t n = 0;

	if (res->free_blocks != gdt->free_blocks)
		add(f, &n, E4_CHECK_SUPERBLOCK, E4_CHECK_SB_FREE_BLOCKS,
		    res->free_blocks, gdt->free_blocks);
	if (res->free_inodes != gdt->free_inodes)
		add(f, &n, E4_CHECK_SUPERBLOCK, E4_CHECK_SB_FREE_INODES,
		    res->free_inodes, gdt->free_inodes);
	/* libext2fs opened it anyway (IGNORE_CSUM_ERRORS): say so. */
	if (ext2fs_has_feature_metadata_csum(c->fs->super) &&
	    !ext2fs_superblock_csum_verify(c->fs, c->fs->super))
		add(f, &n, E4_CHECK_SUPERBLOCK, E4_CHECK_SB_CSUM,
		    ext2fs_crc32c_le(~0U, (unsigned char *)c->fs->super,
				     offsetof(struct ext2_super_block, s_checksum)),
		    ext2fs_le32_to_cpu(c->fs->super->s_checksum));
	return record(c, f, n);
}

/* The findings and totals into res, which then owns the findings. */
static int conclude(struct check *c, const struct e4_gdt *gdt,
		    struct e4_check_result *res)
{
	int rc;

	if (c->nfindings)
		qsort(c->findings, c->nfindings, sizeof(*c->findings), by_group);
	res->groups = c->ngroups;
	res->free_blocks = atomic_load(&c->free_clusters) << gdt->cluster_bits;
	res->free_inodes = atomic_load(&c->free_inodes);
	rc = compare_super(c, gdt, res);
	if (rc)
		return rc;
	res->findings = c->findings;
	res->nfindings = c->nfindings;
	c->findings = NULL;
	return 0;
}

int e4_check_run(struct e4_fs *efs, unsigned int nthreads,
		 const struct e4_job *job, struct e4_check_result *res,
		 struct e4_err *err)
{
	struct check c = { .fs = e4_fs_ext2(efs), .fd = -1, .job = job };
	struct e4_gdt_table *tab;
	const struct e4_gdt *gdt;
	bool direct = c.fs->flags & EXT2_FLAG_DIRECT_IO;
	int rc;

	memset(res, 0, sizeof(*res));
	atomic_init(&c.done, 0);
	atomic_init(&c.free_clusters, 0);
	atomic_init(&c.free_inodes, 0);
	pthread_mutex_init(&c.progress_lock, NULL);
	pthread_mutex_init(&c.uninit_lock, NULL);
	pthread_mutex_init(&c.findings_lock, NULL);
	/* 4096 covers the logical block size of every device we meet;
	 * without O_DIRECT any power of two will do for posix_memalign. */
	c.align = direct ? 4096 : 512;
	c.fd = open(c.fs->device_name, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (c.fd < 0) {
		rc = e4_err_sys(err, -errno, "%s: cannot open", c.fs->device_name);
		goto out_locks;
	}
	rc = e4_gdt_open(efs, &tab, err);
	if (rc)
		goto out_close;

	/* This thread reads the snapshot too: between the phases. */
	e4_gdt_thread_register();
	e4_gdt_read_lock();
	gdt = e4_gdt_current(tab);
	c.ngroups = gdt->group_count;
	rc = synthesise_uninit(&c, gdt, err);
	e4_gdt_read_unlock();
	if (rc)
		goto out_unregister;

	rc = e4_groups_scan(tab, nthreads, scan_group, &c, err);
	if (rc)
		goto out_unregister;

	e4_gdt_read_lock();
	rc = conclude(&c, e4_gdt_current(tab), res);
	e4_gdt_read_unlock();
	if (rc)
		e4_err_sys(err, rc, "%s: while checking", c.fs->device_name);
out_unregister:
	e4_gdt_thread_unregister();
	free(c.findings);
	if (c.uninit)
		ext2fs_free_block_bitmap(c.uninit);
	e4_gdt_close(tab);
out_close:
	close(c.fd);
out_locks:
	pthread_mutex_destroy(&c.findings_lock);
	pthread_mutex_destroy(&c.uninit_lock);
	pthread_mutex_destroy(&c.progress_lock);
	return rc;
}
void e4_check_result_free(struct e4_check_result *res)
{
	free(res->findings);
	res->findings = NULL;
	res->nfindings = 0;
}
