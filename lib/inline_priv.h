/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_INLINE_PRIV_H
#define E4_INLINE_PRIV_H

#include "e4/inline.h"

/*
 * What lib/inline.c (the set, offline) shares with lib/inline_online.c
 * (the mounted walk); not part of the library's API.
 */

/* Append an entry; NULL on ENOMEM. */
struct e4_inline_ent *e4_inline_set_add(struct e4_inline_set *set,
					uint64_t ino, uint32_t mode,
					uint32_t links, uint64_t size);
/* 1 if ino is new to the set's seen-list, 0 if not, -ENOMEM. */
int e4_inline_seen_add(struct e4_inline_set *set, uint64_t ino);
/* By inode number. */
void e4_inline_set_sort(struct e4_inline_set *set);

/* The directory tree the unmounted scan keeps (lib/inline_scan.c). */
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
