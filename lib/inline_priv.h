/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_INLINE_PRIV_H
#define E4_INLINE_PRIV_H

#include "e4/inline.h"

/*
 * What lib/inline.c (the set, offline) shares with lib/inline_online.c
 * (the mounted walk) and the phases of the unmounted scan
 * (lib/inline_scan.c, lib/inline_names.c); not part of the library's API.
 */

/* Append an entry; NULL on ENOMEM. */
struct e4_inline_ent *e4_inline_set_add(struct e4_inline_set *set,
					uint64_t ino, uint32_t mode,
					uint32_t links, uint64_t size);
/* 1 if ino is new to the set's seen-list, 0 if not, -ENOMEM. */
int e4_inline_seen_add(struct e4_inline_set *set, uint64_t ino);
/* Whether ino is in the set's seen-list. */
bool e4_inline_seen_has(const struct e4_inline_set *set, uint64_t ino);
/* By inode number. */
void e4_inline_set_sort(struct e4_inline_set *set);

/*
 * n bytes (page-aligned, for free()) for an array written through soon
 * after: the found entries, the names, the paths, a read buffer.  Asked
 * for in huge pages where n spans some, as a page fault per 4 KiB costs
 * more than the writes into the page (several times more in a virtual
 * machine).  NULL on ENOMEM or for 0 bytes.
 */
void *e4_inline_big_alloc(size_t n);

/*
 * The naming phase of the unmounted scan (lib/inline_names.c): one pass
 * over the directories dirs (ascending, ndirs of them) keeps the names
 * of set's inline inodes and of every directory, then each entry gets
 * the path of its first name (NULL when no directory names it, or an
 * ancestor is unnamed); the paths live in set->names.
 */
int e4_inline_name(ext2_filsys fs, struct e4_inline_set *set,
		   const uint32_t *dirs, size_t ndirs, struct e4_err *err);

/* The directory tree the unmounted scan keeps, with the entries' paths. */
void e4_inline_names_free(struct e4_inline_names *nm);
/* Whether ino (a directory or an inline inode) has a name. */
bool e4_inline_names_has(const struct e4_inline_names *nm, uint64_t ino);
/* "/a/b" for ino's first name (malloc'd); NULL when it or an ancestor
 * has none, or on ENOMEM. */
char *e4_inline_names_path(const struct e4_inline_names *nm, uint64_t ino);
/* Whether any name of ino lies at or below directory top. */
bool e4_inline_names_below(const struct e4_inline_names *nm, uint64_t ino,
			   uint64_t top);

#endif
