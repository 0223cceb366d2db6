// SPDX-License-Identifier: GPL-2.0
/*
 * The growable arrays of lib/: one doubling realloc for all of them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"

int e4_array_room(void *vp, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t c = *cap;
	void *p;

	if (n < c)
		return 0;
	do {
		if (!c)
			c = first ? first : 1;
		else if (c > SIZE_MAX / 2)
			return -ENOMEM;
		else
			c *= 2;
	} while (c <= n);
	if (c > SIZE_MAX / size)
		return -ENOMEM;
	/* The pointer is read and written as bytes: it may be of any type. */
	memcpy(&p, vp, sizeof(p));
	p = realloc(p, c * size);
	if (!p)
		return -ENOMEM;
	memcpy(vp, &p, sizeof(p));
	*cap = c;
	return 0;
}
