// SPDX-License-Identifier: GPL-2.0
/*
 * The set of inline-data inodes both scans fill (lib/inline_scan.c
 * unmounted, lib/inline_online.c mounted), and the selection of its
 * entries by path.  Converting them and clearing the feature is
 * lib/inline_convert.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "e4/array.h"
#include "inline_priv.h"

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

#define HUGE_PAGE (2UL << 20)

void *e4_inline_big_alloc(size_t n)
{
	size_t align = n >= HUGE_PAGE ? HUGE_PAGE : 4096;
	void *p;

	if (!n || posix_memalign(&p, align, n))
		return NULL;
	/* Only whole huge pages: the tail stays in small ones. */
	if (align == HUGE_PAGE)
		(void)madvise(p, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
	return p;
}

void e4_inline_set_free(struct e4_inline_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n && !set->names; i++)
		free(set->ents[i].path);
	free(set->ents);
	free(set->seen);
	e4_inline_names_free(set->names);
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

	if (e4_array_room(&set->ents, set->n, &set->alloc, sizeof(*set->ents),
			  256))
		return NULL;
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

/* Where ino is in the seen-list, or the empty slot where it would go. */
static size_t seen_slot(const struct e4_inline_set *set, uint64_t ino)
{
	size_t i;

	for (i = hash_ino(ino, set->seen_mask); set->seen[i];
	     i = (i + 1) & set->seen_mask)
		if (set->seen[i] == ino)
			break;
	return i;
}

bool e4_inline_seen_has(const struct e4_inline_set *set, uint64_t ino)
{
	return ino && set->seen && set->seen[seen_slot(set, ino)] == ino;
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
	i = seen_slot(set, ino);
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
			in = set->names ?
				e4_inline_names_below(set->names, e->ino, tops[k]) :
				e->ino == tops[k];
		if (in)
			set->ents[keep++] = *e;
		else if (!set->names)
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
	size_t i, keep = 0;

	if (dir_path)
		*dir_path = NULL;
	if (!set->n)
		return 0;
	if (dir > UINT32_MAX || !set->names)
		return e4_err_set(err, -ENOENT, "inode %llu: not a directory of the filesystem",
				  (unsigned long long)dir);
	if (dir != EXT2_ROOT_INO && !e4_inline_names_has(set->names, dir))
		return e4_err_set(err, -ENOENT,
				  "inode %llu: no directory of that number found",
				  (unsigned long long)dir);
	if (dir_path && !(*dir_path = e4_inline_names_path(set->names, dir)))
		return e4_err_sys(err, -ENOMEM, "while naming inode %llu",
				  (unsigned long long)dir);
	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];

		/* The paths are the names': nothing to free. */
		if (e4_inline_names_below(set->names, e->ino, dir))
			set->ents[keep++] = *e;
	}
	set->n = keep;
	return 0;
}
