// SPDX-License-Identifier: GPL-2.0
/*
 * Inline-data inodes of an unmounted filesystem: finding them in one read
 * of the inode table and naming them in one pass over the directories.
 * Converting them and clearing the feature is lib/inline_convert.c, the
 * mounted counterpart lib/inline_online.c; the result set is shared and
 * lives here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inline_priv.h"

/* Report scan progress this often (inodes); a power of two. */
#define PROGRESS_EVERY 4096
/* Deeper than this is a loop in a corrupted tree, not a path. */
#define MAX_DEPTH 4096

/* One directory entry that names a directory or an inline inode. */
struct name_rec {
	uint32_t ino;
	uint32_t parent;
	uint32_t off;		/* into names->arena */
	uint32_t seq;		/* order found: the first name is the path */
	uint16_t len;
};

struct e4_inline_names {
	struct name_rec *recs;
	size_t n, alloc;
	char *arena;
	size_t used, size;
};

const char *e4_inline_type_name(uint32_t mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISLNK(mode))
		return "symlink";
	return "other";
}

const char *e4_inline_status_name(enum e4_inline_status st)
{
	switch (st) {
	case E4_INLINE_FOUND:
		return "inline";
	case E4_INLINE_CONVERTED:
		return "converted";
	case E4_INLINE_WOULD_CONVERT:
		return "would-convert";
	case E4_INLINE_SKIPPED:
		return "skipped";
	case E4_INLINE_FAILED:
		return "failed";
	case E4_INLINE_NOT_REACHED:
		return "not-reached";
	}
	return "?";
}

static void names_free(struct e4_inline_names *nm)
{
	if (!nm)
		return;
	free(nm->recs);
	free(nm->arena);
	free(nm);
}

void e4_inline_set_free(struct e4_inline_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		free(set->ents[i].path);
	free(set->ents);
	free(set->seen);
	names_free(set->names);
	free(set);
}

int e4_inline_set_new(struct e4_inline_set **out, struct e4_err *err)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : e4_err_sys(err, -ENOMEM, "while listing inline inodes");
}

/* Append an entry; NULL on ENOMEM. */
static struct e4_inline_ent *set_add(struct e4_inline_set *set, uint64_t ino,
				     uint32_t mode, uint32_t links,
				     uint64_t size)
{
	struct e4_inline_ent *e;

	if (set->n == set->alloc) {
		size_t na = set->alloc ? set->alloc * 2 : 256;
		void *p = realloc(set->ents, na * sizeof(*set->ents));

		if (!p)
			return NULL;
		set->ents = p;
		set->alloc = na;
	}
	e = &set->ents[set->n++];
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->mode = mode;
	e->links = links;
	e->size = size;
	return e;
}

/* Seen-inode set (online walk: hard links and overlapping PATHs). */
static size_t hash_ino(uint64_t ino, size_t mask)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
}

int e4_inline_seen_add(struct e4_inline_set *set, uint64_t ino)
{
	size_t i;

	if (!ino)
		return 0;
	if ((set->nseen + 1) * 2 > set->seen_mask) {
		size_t nmask = set->seen_mask ? set->seen_mask * 2 + 1 : 1023;
		uint64_t *t = calloc(nmask + 1, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (i = 0; set->seen && i <= set->seen_mask; i++) {
			size_t j;

			if (!set->seen[i])
				continue;
			for (j = hash_ino(set->seen[i], nmask); t[j];
			     j = (j + 1) & nmask)
				;
			t[j] = set->seen[i];
		}
		free(set->seen);
		set->seen = t;
		set->seen_mask = nmask;
	}
	for (i = hash_ino(ino, set->seen_mask); set->seen[i];
	     i = (i + 1) & set->seen_mask)
		if (set->seen[i] == ino)
			return 0;
	set->seen[i] = ino;
	set->nseen++;
	return 1;
}

struct e4_inline_ent *e4_inline_set_add(struct e4_inline_set *set,
					uint64_t ino, uint32_t mode,
					uint32_t links, uint64_t size)
{
	return set_add(set, ino, mode, links, size);
}

static uint32_t st_mode_of(uint16_t i_mode)
{
	/* LINUX_S_IF* and S_IF* are the same numbers on Linux. */
	return i_mode;
}

static int cmp_ent(const void *a, const void *b)
{
	const struct e4_inline_ent *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

void e4_inline_set_sort(struct e4_inline_set *set)
{
	if (set->n > 1)
		qsort(set->ents, set->n, sizeof(*set->ents), cmp_ent);
}

/*
 * One pass over the inode table.  In-use means set in the inode bitmap,
 * which is what the kernel allocates from; stale flags in free inodes do
 * not count.  dirs (may be NULL) gets every in-use directory, inl every
 * inline inode.
 */
static int scan_table(ext2_filsys fs, struct e4_inline_set *set,
		      ext2fs_inode_bitmap dirs, ext2fs_inode_bitmap inl,
		      const struct e4_job *job, struct e4_err *err)
{
	int isize = EXT2_INODE_SIZE(fs->super);
	struct ext2_inode_large *inode;
	ext2_inode_scan scan;
	ext2_ino_t ino;
	errcode_t ret;
	int rc = 0;

	inode = malloc(isize);
	if (!inode)
		return e4_err_sys(err, -ENOMEM, "while scanning inodes");
	ret = ext2fs_open_inode_scan(fs, 64, &scan);
	if (ret) {
		rc = e4_err_ext2(err, ret, "%s: while starting the inode scan",
				 fs->device_name);
		goto out_free;
	}
	ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
	for (;;) {
		ret = ext2fs_get_next_inode_full(scan, &ino,
						 (struct ext2_inode *)inode, isize);
		/*
		 * Unreadable or garbage inodes are e2fsck's business, but one
		 * in use might have inline data: count it, so that nobody
		 * takes the scan for proof that none is left.
		 */
		if (ret == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE ||
		    ret == EXT2_ET_INODE_CSUM_INVALID ||
		    ret == EXT2_ET_INODE_IS_GARBAGE) {
			if (ino && ino <= fs->super->s_inodes_count &&
			    ext2fs_fast_test_inode_bitmap2(fs->inode_map, ino) &&
			    !set->unreadable++) {
				set->first_unreadable = ino;
				set->unreadable_why = error_message(ret);
			}
			continue;
		}
		if (ret) {
			rc = e4_err_ext2(err, ret, "%s: while reading inode %u",
				 fs->device_name, ino);
			goto out_scan;
		}
		if (!ino)
			break;
		if (!(ino & (PROGRESS_EVERY - 1)))
			e4_job_progress(job, ino, fs->super->s_inodes_count);
		if (!ext2fs_fast_test_inode_bitmap2(fs->inode_map, ino))
			continue;
		set->scanned++;
		if (dirs && LINUX_S_ISDIR(inode->i_mode))
			ext2fs_fast_mark_inode_bitmap2(dirs, ino);
		if (!(inode->i_flags & EXT4_INLINE_DATA_FL))
			continue;
		if (inl)
			ext2fs_fast_mark_inode_bitmap2(inl, ino);
		if (!set_add(set, ino, st_mode_of(inode->i_mode),
			     inode->i_links_count,
			     EXT2_I_SIZE((struct ext2_inode *)inode))) {
			rc = e4_err_sys(err, -ENOMEM, "while scanning inodes");
			goto out_scan;
		}
	}
	e4_job_progress(job, fs->super->s_inodes_count, fs->super->s_inodes_count);
out_scan:
	ext2fs_close_inode_scan(scan);
out_free:
	free(inode);
	return rc;
}

struct dir_ctx {
	struct e4_inline_names *nm;
	ext2fs_inode_bitmap dirs, inl;
	int rc;
};

static int name_add(struct e4_inline_names *nm, uint32_t ino, uint32_t parent,
		    const char *name, unsigned int len)
{
	struct name_rec *r;

	if (nm->n == nm->alloc) {
		size_t na = nm->alloc ? nm->alloc * 2 : 1024;
		void *p = realloc(nm->recs, na * sizeof(*nm->recs));

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
	r = &nm->recs[nm->n];
	r->ino = ino;
	r->parent = parent;
	r->off = nm->used;
	r->len = len;
	r->seq = nm->n++;
	memcpy(nm->arena + nm->used, name, len);
	nm->used += len;
	return 0;
}

static int dir_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		     int offset, int blocksize, char *buf, void *priv)
{
	struct dir_ctx *c = priv;
	ext2_ino_t ino = de->inode;

	(void)offset;
	(void)blocksize;
	(void)buf;
	if (entry != DIRENT_OTHER_FILE || !ino)
		return 0;
	if (!ext2fs_fast_test_inode_bitmap2(c->dirs, ino) &&
	    !ext2fs_fast_test_inode_bitmap2(c->inl, ino))
		return 0;
	c->rc = name_add(c->nm, ino, dir, de->name, ext2fs_dirent_name_len(de));
	return c->rc ? DIRENT_ABORT : 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct name_rec *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The first (earliest found) name record of ino, or NULL. */
static const struct name_rec *name_of(const struct e4_inline_names *nm,
				      uint32_t ino)
{
	size_t lo = 0, hi = nm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nm->recs[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nm->n && nm->recs[lo].ino == ino ? &nm->recs[lo] : NULL;
}

/* "/a/b/name" for a name record, or NULL when an ancestor is unnamed. */
static char *build_path(const struct e4_inline_names *nm,
			const struct name_rec *r)
{
	const struct name_rec *chain[MAX_DEPTH];
	size_t depth = 0, len = 0, i;
	char *path, *p;

	while (r && depth < MAX_DEPTH) {
		chain[depth++] = r;
		len += 1 + r->len;
		if (r->parent == EXT2_ROOT_INO)
			break;
		r = name_of(nm, r->parent);
	}
	if (!r || depth == MAX_DEPTH)
		return NULL;
	path = malloc(len + 1);
	if (!path)
		return NULL;
	for (p = path, i = depth; i-- > 0;) {
		*p++ = '/';
		memcpy(p, nm->arena + chain[i]->off, chain[i]->len);
		p += chain[i]->len;
	}
	*p = '\0';
	return path;
}

/* The one pass over every directory that names the inline inodes. */
static int name_inodes(ext2_filsys fs, struct e4_inline_set *set,
		       ext2fs_inode_bitmap dirs, ext2fs_inode_bitmap inl,
		       struct e4_err *err)
{
	struct dir_ctx c = { .dirs = dirs, .inl = inl };
	ext2_ino_t ino, end = fs->super->s_inodes_count;
	errcode_t ret;
	size_t i;

	c.nm = calloc(1, sizeof(*c.nm));
	if (!c.nm)
		return e4_err_sys(err, -ENOMEM, "%s: while naming inodes",
				  fs->device_name);
	set->names = c.nm;
	for (ino = 1; ino <= end; ino++) {
		if (!ext2fs_fast_test_inode_bitmap2(dirs, ino))
			continue;
		ret = ext2fs_dir_iterate2(fs, ino, 0, NULL, dir_entry, &c);
		if (c.rc)
			return e4_err_sys(err, c.rc, "%s: while reading directory %u",
					  fs->device_name, ino);
		/* A broken directory leaves some names unknown, not the list. */
		(void)ret;
	}
	/* No name found at all (entries lost): recs is NULL, qsort must not see it. */
	if (c.nm->n)
		qsort(c.nm->recs, c.nm->n, sizeof(*c.nm->recs), cmp_name);
	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];
		const struct name_rec *r = name_of(c.nm, e->ino);

		if (e->ino == EXT2_ROOT_INO)
			e->path = strdup("/");
		else if (r)
			e->path = build_path(c.nm, r);
	}
	return 0;
}

int e4_inline_scan(const struct e4_fs *efs, const struct e4_job *job,
		   struct e4_inline_set **out, struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	const char *name = e4_target_name(e4_fs_target(efs));
	ext2fs_inode_bitmap dirs = NULL, inl = NULL;
	struct e4_inline_set *set;
	errcode_t ret;
	int rc;

	*out = NULL;
	rc = e4_inline_set_new(&set, err);
	if (rc)
		return rc;
	ret = ext2fs_read_inode_bitmap(fs);
	if (ret) {
		rc = e4_err_ext2(err, ret, "%s: while reading the inode bitmaps", name);
		goto out_free;
	}
	ret = ext2fs_allocate_inode_bitmap(fs, "directories", &dirs);
	if (!ret)
		ret = ext2fs_allocate_inode_bitmap(fs, "inline inodes", &inl);
	if (ret) {
		rc = e4_err_ext2(err, ret, "%s: while scanning inodes", name);
		goto out_free;
	}
	rc = scan_table(fs, set, dirs, inl, job, err);
	if (!rc && set->n)
		rc = name_inodes(fs, set, dirs, inl, err);
	if (rc)
		goto out_free;
	*out = set;
	set = NULL;
out_free:
	if (inl)
		ext2fs_free_inode_bitmap(inl);
	if (dirs)
		ext2fs_free_inode_bitmap(dirs);
	e4_inline_set_free(set);
	return rc;
}

/* Whether any name of ino lies at or below directory top. */
static bool below(const struct e4_inline_names *nm, uint32_t ino,
		  uint32_t top)
{
	const struct name_rec *r = name_of(nm, ino), *end;

	if (ino == top || top == EXT2_ROOT_INO)
		return true;
	if (!r)
		return false;
	end = nm->recs + nm->n;
	for (; r < end && r->ino == ino; r++) {
		const struct name_rec *up = r;
		int depth = 0;

		while (up && depth++ < MAX_DEPTH) {
			if (up->parent == top)
				return true;
			if (up->parent == EXT2_ROOT_INO)
				break;
			up = name_of(nm, up->parent);
		}
	}
	return false;
}

int e4_inline_select(const struct e4_fs *efs, struct e4_inline_set *set,
		     const char *const *paths, int npaths, struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	const char *name = e4_target_name(e4_fs_target(efs));
	ext2_ino_t *tops;
	size_t i, keep = 0;
	int k, rc = 0;

	tops = calloc(npaths ? npaths : 1, sizeof(*tops));
	if (!tops)
		return e4_err_sys(err, -ENOMEM, "while selecting paths");
	for (k = 0; k < npaths; k++) {
		const char *p = paths[k];
		errcode_t ret;

		while (*p == '/')
			p++;
		if (!*p) {
			tops[k] = EXT2_ROOT_INO;
			continue;
		}
		ret = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, p, &tops[k]);
		if (ret == EXT2_ET_FILE_NOT_FOUND) {
			rc = e4_err_set(err, -ENOENT,
					"%s: %s: no such file or directory in the filesystem (paths are relative to its root)",
					name, paths[k]);
			goto out;
		}
		if (ret) {
			rc = e4_err_ext2(err, ret, "%s: while looking up %s", name,
					 paths[k]);
			goto out;
		}
	}
	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];
		bool in = false;

		for (k = 0; k < npaths && !in; k++)
			in = set->names ? below(set->names, e->ino, tops[k]) :
					  e->ino == tops[k];
		if (in)
			set->ents[keep++] = *e;
		else
			free(e->path);
	}
	set->n = keep;
out:
	free(tops);
	return rc;
}

int e4_inline_select_ino(struct e4_inline_set *set, uint64_t dir,
			 char **dir_path, struct e4_err *err)
{
	const struct name_rec *r;
	size_t i, keep = 0;

	if (dir_path)
		*dir_path = NULL;
	if (!set->n)
		return 0;
	if (dir > UINT32_MAX || !set->names)
		return e4_err_set(err, -ENOENT, "inode %llu: not a directory of the filesystem",
				  (unsigned long long)dir);
	if (dir != EXT2_ROOT_INO) {
		r = name_of(set->names, dir);
		if (!r)
			return e4_err_set(err, -ENOENT,
					  "inode %llu: no directory of that number found",
					  (unsigned long long)dir);
		if (dir_path && !(*dir_path = build_path(set->names, r)))
			return e4_err_sys(err, -ENOMEM, "while naming inode %llu",
					  (unsigned long long)dir);
	} else if (dir_path && !(*dir_path = strdup("/"))) {
		return e4_err_sys(err, -ENOMEM, "while selecting inodes");
	}
	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];

		if (below(set->names, e->ino, dir))
			set->ents[keep++] = *e;
		else
			free(e->path);
	}
	set->n = keep;
	return 0;
}
