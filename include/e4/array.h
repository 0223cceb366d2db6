/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_ARRAY_H
#define E4_ARRAY_H

#include <stddef.h>

/*
 * Room for element n in the growable array *vp (vp points to any object
 * pointer, NULL while nothing is allocated) of elements of size (> 0) bytes,
 * *cap of them allocated: while n < *cap there is nothing to do; else the
 * capacity becomes first when it was 0 and doubles until it is past n
 * (once, for an append at n == *cap).  The contents are kept.  0, or
 * -ENOMEM (also when the size would overflow) with the array and *cap as
 * they were.
 */
int e4_array_room(void *vp, size_t n, size_t *cap, size_t size, size_t first);

#endif
