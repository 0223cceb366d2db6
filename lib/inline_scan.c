// SPDX-License-Identifier: GPL-2.0
/*
 * The unmounted scan of `inline list` and `inline convert`: the inode
 * tables read group by group in parallel (one large read of a group's
 * used inodes each, through the group scanner of lib/gdt.c), then one
 * serial pass over the directories that keeps the names of only the
 * inline inodes and the directories (their possible ancestors).
 *
 * Memory follows what is found: per group, the inline entries and the
 * directory numbers; for naming, a hash of those inodes and their names.
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

#include "e4/gdt.h"
#include "inline_priv.h"

/* Deeper than this is a loop in a corrupted tree, not a path. */
#define MAX_DEPTH 4096
#define NO_NAME UINT32_MAX

/* What one group's inode table held. */
struct group_found {
	struct e4_inline_ent *ents;	/* into scan.ents, room for every
					 * in-use inode of the group */
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
	/*
	 * Room for every in-use inode, never cleared: only the pages the
	 * inline entries are written to become resident, and no entry is
	 * copied between a per-group array and the set.
	 */
	struct e4_inline_ent *ents;
	const struct e4_job *job;
	atomic_ullong done;
	pthread_mutex_t progress_lock;
};

/* One directory entry naming an inline inode or a directory. */
struct name_rec {
	uint32_t parent;
	uint32_t off;		/* into arena */
	uint32_t next;		/* the inode's next name, NO_NAME at the end */
	uint16_t len;
};

struct name_slot {
	uint32_t ino;		/* 0: empty */
	uint32_t first;		/* the first name found: the path */
};

struct e4_inline_names {
	/*
	 * Sorted by inode: the directories and the inline inodes.  Looked up
	 * by binary search, not hashed: the entries of a directory and the
	 * inline inodes come in nearly ascending inode order, so the search
	 * path stays in cache where a hash would miss on every lookup.
	 */
	struct name_slot *slots;
	uint32_t nslots;
	uint32_t hint;		/* the serial passes' last hit */
	struct name_rec *recs;
	uint32_t n, alloc;
	char *arena;
	size_t used, size;
	int rc;
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

/*
 * Each worker reads into one buffer of its own, kept for the thread's
 * life: a fresh buffer per group costs a page fault per page, which on a
 * virtual machine is slower than the copy itself.
 */
#define CHUNK (1U << 20)

static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;

static void buf_key_init(void)
{
	(void)pthread_key_create(&buf_key, free);
}

static unsigned char *thread_buf(size_t align)
{
	void *p;

	pthread_once(&buf_once, buf_key_init);
	p = pthread_getspecific(buf_key);
	if (p)
		return p;
	/* Room for the unaligned head and tail of an O_DIRECT read. */
	if (posix_memalign(&p, align < 4096 ? 4096 : align, CHUNK + 2 * 4096))
		return NULL;
	if (pthread_setspecific(buf_key, p)) {
		free(p);
		return NULL;
	}
	return p;
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

static int push_dir(struct group_found *gf, uint32_t *cap, uint32_t ino)
{
	if (gf->ndirs == *cap) {
		uint32_t n = *cap ? *cap * 2 : 64;
		void *p = realloc(gf->dirs, n * sizeof(*gf->dirs));

		if (!p)
			return -ENOMEM;
		gf->dirs = p;
		*cap = n;
	}
	gf->dirs[gf->ndirs++] = ino;
	return 0;
}

static void push_ent(struct group_found *gf, uint32_t ino,
		     const struct ext2_inode_large *in)
{
	struct e4_inline_ent *e = &gf->ents[gf->nents++];

	memset(e, 0, sizeof(*e));
	e->ino = ino;
	/* LINUX_S_IF* and S_IF* are the same numbers on Linux. */
	e->mode = in->i_mode;
	e->links = in->i_links_count;
	e->size = EXT2_I_SIZE((const struct ext2_inode *)in);
}

static void progress(struct scan *s, uint64_t n)
{
	uint64_t done;

	if (!s->job || !s->job->progress)
		return;
	done = atomic_fetch_add(&s->done, n) + n;
	pthread_mutex_lock(&s->progress_lock);
	e4_job_progress(s->job, done, s->fs->super->s_inodes_count);
	pthread_mutex_unlock(&s->progress_lock);
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
	uint32_t dcap = 0, chunk_start = 0, chunk_end = 0;
	unsigned char *buf = NULL, *tab = NULL;
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
	buf = thread_buf(s->align);
	if (!buf)
		goto nomem;
	for (j = 0; j < n; j++) {
		const struct ext2_inode_large *in;
		uint32_t ino = first + j;

		if (j == chunk_end) {
			/* The next run of whole blocks, up to CHUNK bytes. */
			chunk_start = j;
			chunk_end = j + CHUNK / isize < n ? j + CHUNK / isize : n;
			rc = read_span(s, buf, gr->inode_table * fs->blocksize +
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
		if (in->i_flags & EXT4_INLINE_DATA_FL)
			push_ent(gf, ino, in);
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

/* Give each group its place in s->ents: as many slots as it has inodes
 * in use. */
static struct e4_inline_ent *place_groups(struct scan *s)
{
	uint64_t ipg = s->fs->super->s_inodes_per_group, total = 0;
	struct e4_inline_ent *ents;
	uint32_t g;

	for (g = 0; g < s->ngroups; g++) {
		uint64_t n = 0, i;

		for (i = g * ipg; i + 64 <= (g + 1) * ipg; i += 64) {
			uint64_t w;

			memcpy(&w, s->inuse + i / 8, 8);
			n += __builtin_popcountll(w);
		}
		for (; i < (g + 1) * ipg; i++)
			n += bit(s->inuse, i);
		s->found[g].nents = n;	/* for now: the room */
		total += n;
	}
	ents = malloc((total ? total : 1) * sizeof(*ents));
	if (!ents)
		return NULL;
	for (total = 0, g = 0; g < s->ngroups; g++) {
		s->found[g].ents = ents + total;
		total += s->found[g].nents;
		s->found[g].nents = 0;
	}
	return ents;
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
	if (s->found)
		s->ents = place_groups(s);
	if (!s->found || !s->ents)
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
	size_t nd = 0;
	uint32_t g;
	void *p;

	for (g = 0; g < s->ngroups; g++)
		nd += s->found[g].ndirs;
	*dirs = malloc((nd ? nd : 1) * sizeof(**dirs));
	if (!*dirs)
		return e4_err_sys(err, -ENOMEM, "while scanning inodes");
	set->ents = s->ents;
	s->ents = NULL;
	for (g = 0; g < s->ngroups; g++) {
		struct group_found *gf = &s->found[g];

		/*
		 * Down to close the gaps; the entries stay in inode order.
		 * A group with nothing found has NULL arrays, which
		 * memmove and memcpy must not see even for 0 bytes.
		 */
		if (gf->nents)
			memmove(set->ents + set->n, gf->ents, gf->nents * sizeof(*gf->ents));
		set->n += gf->nents;
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
	set->alloc = set->n ? set->n : 1;
	p = realloc(set->ents, set->alloc * sizeof(*set->ents));
	if (p)
		set->ents = p;
	return 0;
}

static struct name_slot *slot_of(const struct e4_inline_names *nm, uint32_t ino)
{
	uint32_t lo = 0, hi = nm->nslots;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (nm->slots[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nm->nslots && nm->slots[lo].ino == ino ? &nm->slots[lo] : NULL;
}

/*
 * slot_of for the serial passes, whose lookups mostly come in ascending
 * order: the last hit and its successor are tried before the search.
 */
static struct name_slot *slot_next(struct e4_inline_names *nm, uint32_t ino)
{
	struct name_slot *sl;
	uint32_t h = nm->hint;

	if (h < nm->nslots && nm->slots[h].ino == ino)
		return &nm->slots[h];
	if (h + 1 < nm->nslots && nm->slots[h + 1].ino == ino) {
		nm->hint = h + 1;
		return &nm->slots[h + 1];
	}
	sl = slot_of(nm, ino);
	if (sl)
		nm->hint = sl - nm->slots;
	return sl;
}

/* The union of two sorted lists of inode numbers, as slots. */
static int slots_merge(struct e4_inline_names *nm, const uint32_t *dirs,
		       size_t ndirs, const struct e4_inline_ent *ents, size_t nents)
{
	size_t i = 0, j = 0, n = 0;

	if (ndirs + nents > UINT32_MAX)
		return -EOVERFLOW;
	nm->slots = malloc((ndirs + nents + 1) * sizeof(*nm->slots));
	if (!nm->slots)
		return -ENOMEM;
	while (i < ndirs || j < nents) {
		uint32_t ino;

		if (j == nents || (i < ndirs && dirs[i] <= ents[j].ino))
			ino = dirs[i++];
		else
			ino = ents[j++].ino;
		if (n && nm->slots[n - 1].ino == ino)
			continue;
		nm->slots[n].ino = ino;
		nm->slots[n++].first = NO_NAME;
	}
	nm->nslots = n;
	return 0;
}

static int name_add(struct e4_inline_names *nm, struct name_slot *sl,
		    uint32_t parent, const char *name, unsigned int len)
{
	struct name_rec *r;
	uint32_t idx;

	if (nm->n == nm->alloc) {
		uint32_t na = nm->alloc ? nm->alloc * 2 : 1024;
		void *p = realloc(nm->recs, (size_t)na * sizeof(*nm->recs));

		if (!p)
			return -ENOMEM;
		nm->recs = p;
		nm->alloc = na;
	}
	if (nm->used + len > nm->size) {
		size_t ns = nm->size ? nm->size * 2 : 65536;
		void *p;

		while (ns < nm->used + len)
			ns *= 2;
		p = realloc(nm->arena, ns);
		if (!p)
			return -ENOMEM;
		nm->arena = p;
		nm->size = ns;
	}
	idx = nm->n++;
	r = &nm->recs[idx];
	r->parent = parent;
	r->off = nm->used;
	r->len = len;
	r->next = NO_NAME;
	memcpy(nm->arena + nm->used, name, len);
	nm->used += len;
	/* The first name found stays first: it is the path. */
	if (sl->first == NO_NAME) {
		sl->first = idx;
	} else {
		r->next = nm->recs[sl->first].next;
		nm->recs[sl->first].next = idx;
	}
	return 0;
}

static int dir_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		     int offset, int blocksize, char *buf, void *priv)
{
	struct e4_inline_names *nm = priv;
	struct name_slot *sl;

	(void)offset;
	(void)blocksize;
	(void)buf;
	if (entry != DIRENT_OTHER_FILE || !de->inode)
		return 0;
	sl = slot_next(nm, de->inode);
	if (!sl)
		return 0;
	nm->rc = name_add(nm, sl, dir, de->name, ext2fs_dirent_name_len(de));
	return nm->rc ? DIRENT_ABORT : 0;
}

void e4_inline_names_free(struct e4_inline_names *nm)
{
	if (!nm)
		return;
	free(nm->slots);
	free(nm->recs);
	free(nm->arena);
	free(nm);
}

static const struct name_rec *first_name(const struct e4_inline_names *nm,
					 uint32_t ino)
{
	const struct name_slot *sl = slot_of(nm, ino);

	return sl && sl->first != NO_NAME ? &nm->recs[sl->first] : NULL;
}

bool e4_inline_names_has(const struct e4_inline_names *nm, uint64_t ino)
{
	return ino <= UINT32_MAX && first_name(nm, ino);
}

/* "/a/b/name" for a name record, or NULL when an ancestor is unnamed. */
static char *build_path(const struct e4_inline_names *nm,
			const struct name_rec *r)
{
	const struct name_rec *chain[64], **big = NULL, **ch = chain;
	size_t depth = 0, len = 0, cap = 64, i;
	char *path = NULL, *p;

	while (r && depth < MAX_DEPTH) {
		if (depth == cap) {
			const struct name_rec **nb;

			cap *= 4;
			nb = realloc(big, cap * sizeof(*nb));
			if (!nb)
				goto out;
			if (!big)
				memcpy(nb, chain, sizeof(chain));
			big = nb;
			ch = big;
		}
		ch[depth++] = r;
		len += 1 + r->len;
		if (r->parent == EXT2_ROOT_INO)
			break;
		r = first_name(nm, r->parent);
	}
	if (!r || depth == MAX_DEPTH)
		goto out;
	path = malloc(len + 1);
	if (!path)
		goto out;
	for (p = path, i = depth; i-- > 0;) {
		*p++ = '/';
		memcpy(p, nm->arena + ch[i]->off, ch[i]->len);
		p += ch[i]->len;
	}
	*p = '\0';
out:
	free(big);
	return path;
}

char *e4_inline_names_path(const struct e4_inline_names *nm, uint64_t ino)
{
	if (ino == EXT2_ROOT_INO)
		return strdup("/");
	if (ino > UINT32_MAX)
		return NULL;
	return build_path(nm, first_name(nm, ino));
}

bool e4_inline_names_below(const struct e4_inline_names *nm, uint64_t ino,
			   uint64_t top)
{
	const struct name_slot *sl;
	uint32_t i;

	if (ino == top || top == EXT2_ROOT_INO)
		return true;
	if (ino > UINT32_MAX || !(sl = slot_of(nm, ino)))
		return false;
	for (i = sl->first; i != NO_NAME; i = nm->recs[i].next) {
		const struct name_rec *up = &nm->recs[i];
		int depth = 0;

		while (up && depth++ < MAX_DEPTH) {
			if (up->parent == top)
				return true;
			if (up->parent == EXT2_ROOT_INO)
				break;
			up = first_name(nm, up->parent);
		}
	}
	return false;
}

/*
 * The one pass over the directories: every entry that names an inline
 * inode or a directory is kept; then each inline inode gets its first
 * name's path.  An inline inode that no directory names keeps a NULL
 * path and stays listed.
 */
static int name_inodes(ext2_filsys fs, struct e4_inline_set *set,
		       const uint32_t *dirs, size_t ndirs, struct e4_err *err)
{
	struct e4_inline_names *nm;
	char *dpath = NULL;
	size_t i, dlen = 0;
	uint32_t dir = 0;
	bool have_dir = false;
	int rc;

	nm = calloc(1, sizeof(*nm));
	if (!nm)
		return e4_err_sys(err, -ENOMEM, "while naming inodes");
	set->names = nm;
	rc = slots_merge(nm, dirs, ndirs, set->ents, set->n);
	if (rc)
		return e4_err_sys(err, rc, "while naming inodes");
	for (i = 0; i < ndirs; i++) {
		/* A broken directory leaves some names unknown, not the list. */
		(void)ext2fs_dir_iterate2(fs, dirs[i], 0, NULL, dir_entry, nm);
		if (nm->rc)
			return e4_err_sys(err, nm->rc, "while reading directory %u",
					  dirs[i]);
	}
	/* Neighbours in inode order mostly share a directory: its path is
	 * built once for the run of them. */
	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];
		const struct name_slot *sl = slot_next(nm, e->ino);
		const struct name_rec *r = sl && sl->first != NO_NAME ?
					   &nm->recs[sl->first] : NULL;

		if (e->ino == EXT2_ROOT_INO) {
			e->path = strdup("/");
			continue;
		}
		if (!r)
			continue;
		if (!have_dir || r->parent != dir) {
			free(dpath);
			dir = r->parent;
			have_dir = true;
			dpath = dir == EXT2_ROOT_INO ? strdup("") :
				e4_inline_names_path(nm, dir);
			dlen = dpath ? strlen(dpath) : 0;
		}
		if (!dpath)
			continue;
		e->path = malloc(dlen + r->len + 2);
		if (!e->path)
			continue;
		memcpy(e->path, dpath, dlen);
		e->path[dlen] = '/';
		memcpy(e->path + dlen + 1, nm->arena + r->off, r->len);
		e->path[dlen + 1 + r->len] = '\0';
	}
	free(dpath);
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
	pthread_mutex_init(&s.progress_lock, NULL);
	/*
	 * The descriptor table only lends the scanner its snapshot; it is
	 * never refreshed here, so the handle is not written through.
	 */
	rc = scan_tables(fs, (struct e4_fs *)efs, &s, err);
	pthread_mutex_destroy(&s.progress_lock);
	if (!rc)
		rc = gather(&s, set, &dirs, &ndirs, err);
	if (!rc)
		e4_job_progress(job, fs->super->s_inodes_count,
				fs->super->s_inodes_count);
	if (!rc && set->n)
		rc = name_inodes(fs, set, dirs, ndirs, err);
	if (rc)
		goto out_free;
	*out = set;
	set = NULL;
out_free:
	for (g = 0; s.found && g < s.ngroups; g++)
		free(s.found[g].dirs);
	free(s.found);
	free(s.ents);
	free(dirs);
	free(inuse);
	e4_inline_set_free(set);
	return rc;
}
