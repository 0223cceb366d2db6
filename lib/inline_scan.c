// SPDX-License-Identifier: GPL-2.0
/*
 * The unmounted scan of `inline list` and `inline convert`: the inode
 * tables read group by group in parallel (one large read of a group's
 * used inodes each, through the group scanner of lib/gdt.c), then the
 * naming phase of lib/inline_names.c.
 *
 * Memory follows what is found: per worker, the inline inodes of the
 * groups it took; per group, the directory numbers; then the set.
 * Groups the descriptors show empty (INODE_UNINIT, or no inode below
 * itable_unused) are not read, as libext2fs's own lazy scan does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e4/array.h"
#include "e4/gdt.h"
#include "inline_priv.h"

/* An inline inode as a worker finds it: the set's entry is made from it
 * once the groups are in order. */
struct found_rec {
	uint64_t size;
	uint32_t ino;
	uint16_t mode;
	uint16_t links;
};

/*
 * A worker thread's own: its read buffer, kept for its life (a fresh
 * buffer per group costs a page fault per page, which on a virtual
 * machine is slower than the copy itself), and what it found in every
 * group it took, end to end.  Kept on the scan's list until the gather.
 */
struct worker {
	unsigned char *buf;
	struct found_rec *recs;
	size_t n, cap;
	struct worker *next;
};

/* What one group's inode table held. */
struct group_found {
	const struct worker *w;	/* whose recs hold the group's finds */
	size_t first;		/* the first of them there */
	uint32_t nents;
	uint32_t ndirs;
	uint32_t *dirs;
	uint32_t scanned;
	uint32_t unreadable;
	uint32_t first_unreadable;
	const char *why;
};

struct scan {
	ext2_filsys fs;
	int fd;
	size_t align;
	uint32_t ngroups;
	const unsigned char *inuse;	/* the inode bitmap, one bit an inode */
	bool verify_csum;
	struct group_found *found;
	pthread_key_t key;		/* the calling thread's worker */
	pthread_mutex_t lock;		/* workers, progress */
	struct worker *workers;
	const struct e4_job *job;
	atomic_ullong done;
};

static bool bit(const unsigned char *map, uint64_t i)
{
	return map[i / 8] >> (i % 8) & 1;
}

/* Whether blk is on fs's bad block list (read-only: safe in parallel). */
static bool bad_in(ext2_filsys fs, uint64_t blk)
{
	if (!fs->badblocks || !ext2fs_u32_list_count(fs->badblocks))
		return false;
	return blk <= UINT32_MAX && ext2fs_badblocks_list_test(fs->badblocks, blk);
}

/* Bytes of inode table per read: with room for the unaligned head and
 * tail of an O_DIRECT read, the buffer is one huge page. */
#define CHUNK ((1U << 21) - 2 * 4096)

/* The calling thread's worker, made at its first group. */
static struct worker *worker_of(struct scan *s)
{
	struct worker *w = pthread_getspecific(s->key);

	if (w)
		return w;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	/* Room for the unaligned head and tail of an O_DIRECT read. */
	w->buf = e4_inline_big_alloc(CHUNK + 2 * 4096);
	if (!w->buf || pthread_setspecific(s->key, w)) {
		free(w->buf);
		free(w);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	w->next = s->workers;
	s->workers = w;
	pthread_mutex_unlock(&s->lock);
	return w;
}

static void workers_free(struct scan *s)
{
	while (s->workers) {
		struct worker *w = s->workers;

		s->workers = w->next;
		free(w->buf);
		free(w->recs);
		free(w);
	}
}

/* [off, off + len), len <= CHUNK, into buf (O_DIRECT-aligned); *data
 * points at off inside it. */
static int read_span(const struct scan *s, unsigned char *buf, uint64_t off,
		     size_t len, unsigned char **data)
{
	uint64_t start = off & ~(uint64_t)(s->align - 1);
	size_t total = (off + len - start + s->align - 1) & ~(s->align - 1);
	size_t got = 0;

	while (got < total) {
		ssize_t n = pread(s->fd, buf + got, total - got, start + got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	if (got < off - start + len)
		return -EIO;
	*data = buf + (off - start);
	return 0;
}

static int push_dir(struct group_found *gf, size_t *cap, uint32_t ino)
{
	if (e4_array_room(&gf->dirs, gf->ndirs, cap, sizeof(*gf->dirs), 64))
		return -ENOMEM;
	gf->dirs[gf->ndirs++] = ino;
	return 0;
}

static int push_ent(struct worker *w, struct group_found *gf, uint32_t ino,
		    const struct ext2_inode_large *in)
{
	struct found_rec *r;

	if (e4_array_room(&w->recs, w->n, &w->cap, sizeof(*w->recs), 4096))
		return -ENOMEM;
	r = &w->recs[w->n++];
	r->ino = ino;
	r->mode = in->i_mode;
	r->links = in->i_links_count;
	r->size = EXT2_I_SIZE((const struct ext2_inode *)in);
	gf->nents++;
	return 0;
}

static void progress(struct scan *s, uint64_t n)
{
	uint64_t done;

	if (!s->job || !s->job->progress)
		return;
	done = atomic_fetch_add(&s->done, n) + n;
	pthread_mutex_lock(&s->lock);
	e4_job_progress(s->job, done, s->fs->super->s_inodes_count);
	pthread_mutex_unlock(&s->lock);
}

/*
 * One group: the used part of its inode table in one read.  What counts
 * as in use is the inode bitmap, which is what the kernel allocates from;
 * stale flags in free inodes do not count.  Unreadable in-use inodes
 * (bad block, bad checksum when checksums are not ignored) are counted:
 * one might have inline data, so nobody may take the scan for proof that
 * none is left.
 */
static int scan_group(const struct e4_gdt *gdt, uint32_t g, void *arg,
		      struct e4_err *err)
{
	struct scan *s = arg;
	struct group_found *gf = &s->found[g];
	const struct e4_gdt_group *gr = &gdt->groups[g];
	ext2_filsys fs = s->fs;
	uint32_t ipg = gdt->inodes_per_group, isize = EXT2_INODE_SIZE(fs->super);
	uint32_t per_block = fs->blocksize / isize, n = ipg, j;
	uint32_t chunk_start = 0, chunk_end = 0;
	size_t dcap = 0;
	unsigned char *tab = NULL;
	struct worker *w;
	uint64_t first = (uint64_t)g * ipg + 1;
	bool blk_bad = false;
	int rc;

	if (e4_job_cancelled(s->job))
		return e4_err_set(err, -EINTR, "interrupted");
	if (g >= s->ngroups)
		return 0;
	/* libext2fs's lazy scan: what the descriptors say is unused is not read. */
	if (gdt->gdt_csum) {
		if (gr->flags & EXT2_BG_INODE_UNINIT)
			n = 0;
		else
			n -= gr->itable_unused < n ? gr->itable_unused : n;
	}
	if (!gr->inode_table)
		n = 0;
	while (n && !bit(s->inuse, first - 1 + n - 1))
		n--;
	if (!n)
		goto out;
	w = worker_of(s);
	if (!w)
		goto nomem;
	gf->w = w;
	gf->first = w->n;
	for (j = 0; j < n; j++) {
		const struct ext2_inode_large *in;
		uint32_t ino = first + j;

		if (j == chunk_end) {
			/* The next run of whole blocks, up to CHUNK bytes. */
			chunk_start = j;
			chunk_end = j + CHUNK / isize < n ? j + CHUNK / isize : n;
			rc = read_span(s, w->buf, gr->inode_table * fs->blocksize +
					    (uint64_t)j * isize,
				       (size_t)(chunk_end - j) * isize, &tab);
			if (rc)
				return e4_err_sys(err, rc, "%s: group %u: while reading the inode table at %llu",
						  fs->device_name, g,
						  (unsigned long long)gr->inode_table);
		}
		in = (const void *)(tab + (size_t)(j - chunk_start) * isize);
		if (!(j % per_block))
			blk_bad = bad_in(fs, gr->inode_table + j / per_block);
		if (!bit(s->inuse, ino - 1))
			continue;
		if (blk_bad) {
			if (!gf->unreadable++) {
				gf->first_unreadable = ino;
				gf->why = error_message(EXT2_ET_BAD_BLOCK_IN_INODE_TABLE);
			}
			continue;
		}
		if (s->verify_csum &&
		    !ext2fs_inode_csum_verify(fs, ino, (struct ext2_inode_large *)in)) {
			if (!gf->unreadable++) {
				gf->first_unreadable = ino;
				gf->why = error_message(EXT2_ET_INODE_CSUM_INVALID);
			}
			continue;
		}
		gf->scanned++;
		if (LINUX_S_ISDIR(in->i_mode) && push_dir(gf, &dcap, ino))
			goto nomem;
		if ((in->i_flags & EXT4_INLINE_DATA_FL) && push_ent(w, gf, ino, in))
			goto nomem;
	}
out:
	progress(s, ipg);
	return 0;
nomem:
	return e4_err_sys(err, -ENOMEM, "while scanning inodes");
}

/* A flat copy of the inode bitmap: the workers only read it. */
static int load_bitmap(ext2_filsys fs, unsigned char **out, struct e4_err *err)
{
	uint64_t n = fs->super->s_inodes_count;
	unsigned char *map;
	errcode_t ret;

	*out = NULL;
	ret = ext2fs_read_inode_bitmap(fs);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while reading the inode bitmaps",
				   fs->device_name);
	map = calloc(1, n / 8 + 8);
	if (!map)
		return e4_err_sys(err, -ENOMEM, "while scanning inodes");
	ret = ext2fs_get_inode_bitmap_range2(fs->inode_map, 1, n, map);
	if (ret) {
		free(map);
		return e4_err_ext2(err, ret, "%s: while reading the inode bitmaps",
				   fs->device_name);
	}
	*out = map;
	return 0;
}

static int scan_tables(ext2_filsys fs, struct e4_fs *efs, struct scan *s,
		       struct e4_err *err)
{
	bool direct = fs->flags & EXT2_FLAG_DIRECT_IO;
	struct e4_gdt_table *tab;
	errcode_t ret;
	int rc;

	/* libext2fs's inode scan consults the bad block inode the same way. */
	if (!fs->badblocks) {
		ret = ext2fs_read_bb_inode(fs, &fs->badblocks);
		if (ret)
			return e4_err_ext2(err, ret, "%s: while reading the bad block list",
					   fs->device_name);
	}
	s->align = direct ? 4096 : 512;
	s->fd = open(fs->device_name, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (s->fd < 0)
		return e4_err_sys(err, -errno, "%s: cannot open", fs->device_name);
	rc = e4_gdt_open(efs, &tab, err);
	if (rc)
		goto out_close;
	s->ngroups = fs->group_desc_count;
	s->found = calloc(s->ngroups, sizeof(*s->found));
	if (!s->found)
		rc = e4_err_sys(err, -ENOMEM, "while scanning inodes");
	else
		rc = e4_groups_scan(tab, 0, scan_group, s, err);
	e4_gdt_close(tab);
out_close:
	close(s->fd);
	return rc;
}

/* The per-group finds, in inode order, into set; the directories into
 * *dirs.  The group arrays are freed on the way. */
static int gather(struct scan *s, struct e4_inline_set *set, uint32_t **dirs,
		  size_t *ndirs, struct e4_err *err)
{
	size_t nd = 0, n = 0, i;
	uint32_t g;

	for (g = 0; g < s->ngroups; g++) {
		nd += s->found[g].ndirs;
		n += s->found[g].nents;
	}
	*dirs = malloc((nd ? nd : 1) * sizeof(**dirs));
	set->ents = n ? e4_inline_big_alloc(n * sizeof(*set->ents)) : NULL;
	if (!*dirs || (n && !set->ents))
		return e4_err_sys(err, -ENOMEM, "while scanning inodes");
	set->alloc = n;
	for (g = 0; g < s->ngroups; g++) {
		struct group_found *gf = &s->found[g];

		for (i = 0; i < gf->nents; i++) {
			const struct found_rec *r = &gf->w->recs[gf->first + i];
			struct e4_inline_ent *e = &set->ents[set->n++];

			memset(e, 0, sizeof(*e));
			e->ino = r->ino;
			/* LINUX_S_IF* and S_IF* are the same numbers on Linux. */
			e->mode = r->mode;
			e->links = r->links;
			e->size = r->size;
		}
		/* A group with no directory has a NULL array, which memcpy
		 * must not see even for 0 bytes. */
		if (gf->ndirs)
			memcpy(*dirs + *ndirs, gf->dirs, gf->ndirs * sizeof(*gf->dirs));
		*ndirs += gf->ndirs;
		set->scanned += gf->scanned;
		if (gf->unreadable && !set->unreadable) {
			set->first_unreadable = gf->first_unreadable;
			set->unreadable_why = gf->why;
		}
		set->unreadable += gf->unreadable;
		free(gf->dirs);
		gf->dirs = NULL;
	}
	return 0;
}

int e4_inline_scan(const struct e4_fs *efs, const struct e4_job *job,
		   struct e4_inline_set **out, struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	struct scan s = { .fs = fs, .fd = -1, .job = job };
	unsigned char *inuse = NULL;
	struct e4_inline_set *set;
	uint32_t *dirs = NULL;
	size_t ndirs = 0;
	uint32_t g;
	int rc;

	*out = NULL;
	rc = e4_inline_set_new(&set, err);
	if (rc)
		return rc;
	rc = load_bitmap(fs, &inuse, err);
	if (rc)
		goto out_free;
	s.inuse = inuse;
	s.verify_csum = !(fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
			ext2fs_has_feature_metadata_csum(fs->super);
	atomic_init(&s.done, 0);
	if (pthread_key_create(&s.key, NULL)) {
		rc = e4_err_sys(err, -EAGAIN, "while scanning inodes");
		goto out_free;
	}
	pthread_mutex_init(&s.lock, NULL);
	/*
	 * The descriptor table only lends the scanner its snapshot; it is
	 * never refreshed here, so the handle is not written through.
	 */
	rc = scan_tables(fs, (struct e4_fs *)efs, &s, err);
	pthread_mutex_destroy(&s.lock);
	pthread_key_delete(s.key);
	if (!rc)
		rc = gather(&s, set, &dirs, &ndirs, err);
	workers_free(&s);
	if (!rc)
		e4_job_progress(job, fs->super->s_inodes_count,
				fs->super->s_inodes_count);
	/* The bitmap is not needed any more: its memory can serve the names. */
	free(inuse);
	inuse = NULL;
	if (!rc && set->n)
		rc = e4_inline_name(fs, set, dirs, ndirs, err);
	if (rc)
		goto out_free;
	*out = set;
	set = NULL;
out_free:
	for (g = 0; s.found && g < s.ngroups; g++)
		free(s.found[g].dirs);
	free(s.found);
	workers_free(&s);
	free(dirs);
	free(inuse);
	e4_inline_set_free(set);
	return rc;
}
