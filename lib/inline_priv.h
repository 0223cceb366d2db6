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

#endif
