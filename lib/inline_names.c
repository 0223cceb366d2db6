// SPDX-License-Identifier: GPL-2.0
/*
 * The naming phase of the unmounted scan (lib/inline_scan.c finds the
 * inodes): one pass over the directories that keeps only the entries
 * naming an inline inode or a directory (a possible ancestor), then the
 * paths of every inline inode, written into one arena.
 *
 * The inodes to keep are looked up by rank in a bitmap: a bit per inode
 * of the filesystem, a count per 64 bits, and one slot per kept inode.
 * A directory's entries come in hash order, not inode order, and a rank
 * costs two reads of memory that stays in cache, where a search of the
 * sorted list or a hash table would miss on most lookups.  Apart from
 * that index (a bit and a half per inode, next to the inode bitmap the
 * scan reads anyway) the memory follows what is kept: the inline inodes
 * and the directories, their names, the paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inline_priv.h"

/* Deeper than this is a loop in a corrupted tree, not a path. */
#define MAX_DEPTH 4096
#define NO_NAME UINT32_MAX

/*
 * A directory entry naming a kept inode.  The first one found (the
 * path) is the inode's slot; further names (hard links) are chained
 * from it through more.
 */
struct name_rec {
	uint32_t parent;	/* 0: no name yet */
	uint32_t off;		/* into names */
	uint32_t next;		/* the inode's next name, NO_NAME at the end */
	uint16_t len;
};

struct e4_inline_names {
	uint64_t ninodes;
	uint64_t *map;		/* bit ino - 1: ino is kept */
	uint32_t *rank;		/* bits set before each word */
	struct name_rec *slots;	/* by rank: the first name found */
	uint32_t nkept;
	struct name_rec *more;	/* the other names */
	uint32_t nmore;
	size_t more_cap;
	char *names;		/* the names of the records, end to end */
	size_t used, size;
	char *paths;		/* the entries' paths, NUL-terminated */
	int rc;
};

/*
 * Bits set in w.  Without -mpopcnt __builtin_popcountll is a call into
 * libgcc, which showed in the profile; this is a dozen instructions.
 */
static inline unsigned int popcount64(uint64_t w)
{
	w -= (w >> 1) & 0x5555555555555555ULL;
	w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (w * 0x0101010101010101ULL) >> 56;
}

/* The slot of a kept inode, NULL for any other number. */
static struct name_rec *slot_of(const struct e4_inline_names *nm, uint64_t ino)
{
	uint64_t i = ino - 1, w = i / 64;
	uint64_t word, below;

	if (!ino || ino > nm->ninodes)
		return NULL;
	word = nm->map[w];
	if (!(word >> (i % 64) & 1))
		return NULL;
	below = i % 64 ? word << (64 - i % 64) : 0;
	return &nm->slots[nm->rank[w] + popcount64(below)];
}

static const struct name_rec *first_name(const struct e4_inline_names *nm,
					 uint64_t ino)
{
	const struct name_rec *r = slot_of(nm, ino);

	return r && r->parent ? r : NULL;
}

static void mark(struct e4_inline_names *nm, uint64_t ino)
{
	if (ino && ino <= nm->ninodes)
		nm->map[(ino - 1) / 64] |= 1ULL << ((ino - 1) % 64);
}

/* The kept inodes: the directories and the inline entries of set. */
static int index_build(struct e4_inline_names *nm, uint64_t ninodes,
		       const uint32_t *dirs, size_t ndirs,
		       const struct e4_inline_set *set)
{
	uint64_t nwords = (ninodes + 63) / 64, w, total = 0;
	size_t i;

	nm->ninodes = ninodes;
	nm->map = calloc(nwords + 1, sizeof(*nm->map));
	nm->rank = malloc((nwords + 1) * sizeof(*nm->rank));
	if (!nm->map || !nm->rank)
		return -ENOMEM;
	for (i = 0; i < ndirs; i++)
		mark(nm, dirs[i]);
	for (i = 0; i < set->n; i++)
		mark(nm, set->ents[i].ino);
	for (w = 0; w < nwords; w++) {
		nm->rank[w] = total;
		total += popcount64(nm->map[w]);
	}
	if (total >= NO_NAME)
		return -EOVERFLOW;
	nm->nkept = total;
	nm->slots = e4_inline_big_alloc((total + 1) * sizeof(*nm->slots));
	if (!nm->slots)
		return -ENOMEM;
	memset(nm->slots, 0, (total + 1) * sizeof(*nm->slots));
	return 0;
}

/* p grown to hold need units (min at first, then doubling); NULL on
 * ENOMEM, p then untouched. */
static void *grow(void *p, size_t *cap, size_t need, size_t unit, size_t min)
{
	size_t n = *cap ? *cap : min;
	void *np;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	np = realloc(p, n * unit);
	if (np)
		*cap = n;
	return np;
}

static int name_add(struct e4_inline_names *nm, struct name_rec *slot,
		    uint32_t parent, const char *name, unsigned int len)
{
	struct name_rec *r = slot;
	void *p;

	if (nm->used + len > UINT32_MAX)
		return -EOVERFLOW;
	p = grow(nm->names, &nm->size, nm->used + len, 1, 65536);
	if (!p)
		return -ENOMEM;
	nm->names = p;
	/* The first name found stays first: it is the path. */
	if (slot->parent) {
		if (nm->nmore == NO_NAME - 1)
			return -EOVERFLOW;
		p = grow(nm->more, &nm->more_cap, nm->nmore + 1, sizeof(*r), 64);
		if (!p)
			return -ENOMEM;
		nm->more = p;
		r = &nm->more[nm->nmore];
		r->next = slot->next;
		slot->next = nm->nmore++;
	} else {
		r->next = NO_NAME;
	}
	r->parent = parent;
	r->off = nm->used;
	r->len = len;
	memcpy(nm->names + nm->used, name, len);
	nm->used += len;
	return 0;
}

static int dir_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		     int offset, int blocksize, char *buf, void *priv)
{
	struct e4_inline_names *nm = priv;
	struct name_rec *slot;

	(void)offset;
	(void)blocksize;
	(void)buf;
	if (entry != DIRENT_OTHER_FILE || !de->inode)
		return 0;
	slot = slot_of(nm, de->inode);
	if (!slot)
		return 0;
	nm->rc = name_add(nm, slot, dir, de->name, ext2fs_dirent_name_len(de));
	return nm->rc ? DIRENT_ABORT : 0;
}

void e4_inline_names_free(struct e4_inline_names *nm)
{
	if (!nm)
		return;
	free(nm->map);
	free(nm->rank);
	free(nm->slots);
	free(nm->more);
	free(nm->names);
	free(nm->paths);
	free(nm);
}

bool e4_inline_names_has(const struct e4_inline_names *nm, uint64_t ino)
{
	return first_name(nm, ino);
}

/*
 * The chain of first names from r up to the root, r first; NULL (and
 * *depth 0) when an ancestor is unnamed or the chain loops.  *chain is
 * the caller's, grown as needed.
 */
static int name_chain(const struct e4_inline_names *nm, const struct name_rec *r,
		      const struct name_rec ***chain, size_t *cap, size_t *depth,
		      size_t *len)
{
	*depth = 0;
	*len = 0;
	while (r && *depth < MAX_DEPTH) {
		const struct name_rec **c = grow(*chain, cap, *depth + 1,
						 sizeof(**chain), 64);

		if (!c)
			return -ENOMEM;
		*chain = c;
		c[(*depth)++] = r;
		*len += 1 + r->len;
		if (r->parent == EXT2_ROOT_INO)
			break;
		r = first_name(nm, r->parent);
	}
	if (r && *depth < MAX_DEPTH)
		return 0;
	*depth = 0;
	return 0;
}

/* "/a/b" from a chain (len bytes and the NUL). */
static void chain_write(const struct e4_inline_names *nm,
			const struct name_rec *const *chain, size_t depth,
			char *p)
{
	while (depth-- > 0) {
		*p++ = '/';
		memcpy(p, nm->names + chain[depth]->off, chain[depth]->len);
		p += chain[depth]->len;
	}
	*p = '\0';
}

char *e4_inline_names_path(const struct e4_inline_names *nm, uint64_t ino)
{
	const struct name_rec **chain = NULL;
	size_t cap = 0, depth, len;
	char *path = NULL;

	if (ino == EXT2_ROOT_INO)
		return strdup("/");
	if (name_chain(nm, first_name(nm, ino), &chain, &cap, &depth, &len) ||
	    !depth)
		goto out;
	path = malloc(len + 1);
	if (path)
		chain_write(nm, chain, depth, path);
out:
	free(chain);
	return path;
}

bool e4_inline_names_below(const struct e4_inline_names *nm, uint64_t ino,
			   uint64_t top)
{
	const struct name_rec *r;

	if (ino == top || top == EXT2_ROOT_INO)
		return true;
	for (r = first_name(nm, ino); r;
	     r = r->next == NO_NAME ? NULL : &nm->more[r->next]) {
		const struct name_rec *up = r;
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
 * Every entry's path into one arena, in two passes: the lengths, then
 * the bytes.  Neighbours in inode order mostly share a directory, whose
 * chain is followed once for the run of them.
 */
static int write_paths(struct e4_inline_names *nm, struct e4_inline_set *set)
{
	const struct name_rec **chain = NULL;
	size_t cap = 0, depth = 0, dlen = 0, total = 0, i;
	uint32_t dir = 0;
	int pass, rc = 0;
	char *p = NULL;

	for (pass = 0; pass < 2 && !rc; pass++) {
		dir = 0;
		for (i = 0; i < set->n && !rc; i++) {
			struct e4_inline_ent *e = &set->ents[i];
			const struct name_rec *r = first_name(nm, e->ino);

			if (e->ino == EXT2_ROOT_INO) {
				if (pass) {
					e->path = strcpy(p, "/");
					p += 2;
				}
				total += 2;
				continue;
			}
			if (!r)
				continue;
			if (r->parent != dir) {
				dir = r->parent;
				rc = dir == EXT2_ROOT_INO ?
				     (depth = 1, dlen = 0, 0) :
				     name_chain(nm, first_name(nm, dir), &chain,
						&cap, &depth, &dlen);
			}
			/* An unnamed ancestor: no path. */
			if (rc || !depth)
				continue;
			total += dlen + 1 + r->len + 1;
			if (!pass)
				continue;
			e->path = p;
			if (dir != EXT2_ROOT_INO) {
				chain_write(nm, chain, depth, p);
				p += dlen;
			}
			*p++ = '/';
			memcpy(p, nm->names + r->off, r->len);
			p += r->len;
			*p++ = '\0';
		}
		if (!pass && !rc) {
			nm->paths = p = e4_inline_big_alloc(total ? total : 1);
			if (!p)
				rc = -ENOMEM;
		}
	}
	free(chain);
	return rc;
}

int e4_inline_name(ext2_filsys fs, struct e4_inline_set *set,
		   const uint32_t *dirs, size_t ndirs, struct e4_err *err)
{
	struct e4_inline_names *nm;
	size_t i;
	int rc;

	nm = calloc(1, sizeof(*nm));
	if (!nm)
		return e4_err_sys(err, -ENOMEM, "while naming inodes");
	set->names = nm;
	rc = index_build(nm, fs->super->s_inodes_count, dirs, ndirs, set);
	if (rc)
		return e4_err_sys(err, rc, "while naming inodes");
	for (i = 0; i < ndirs; i++) {
		/* A broken directory leaves some names unknown, not the list. */
		(void)ext2fs_dir_iterate2(fs, dirs[i], 0, NULL, dir_entry, nm);
		if (nm->rc)
			return e4_err_sys(err, nm->rc, "while reading directory %u",
					  dirs[i]);
	}
	rc = write_paths(nm, set);
	if (rc)
		return e4_err_sys(err, rc, "while naming inodes");
	return 0;
}
