// SPDX-License-Identifier: GPL-2.0
/*
 * A map from block numbers to pointers, by open addressing: what the undo
 * I/O manager keeps of the blocks it saved and of its dirty cache, with
 * lookups in constant time however many blocks a run touches.
 */
#include <stdlib.h>
#include <string.h>

#include "blkmap.h"

void *e4_blkmap_get(const struct e4_blkmap *m, uint64_t blk)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = (blk * 0x9E3779B97F4A7C15ULL) & (m->cap - 1); m->keys[i];
	     i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == blk + 1)
			return m->vals[i];
	return NULL;
}

errcode_t e4_blkmap_put(struct e4_blkmap *m, uint64_t blk, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct e4_blkmap big = { .cap = m->cap ? m->cap * 2 : 1024 };

		big.keys = calloc(big.cap, sizeof(*big.keys));
		big.vals = calloc(big.cap, sizeof(*big.vals));
		if (!big.keys || !big.vals) {
			free(big.keys);
			free(big.vals);
			return EXT2_ET_NO_MEMORY;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				e4_blkmap_put(&big, m->keys[i] - 1, m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	for (i = (blk * 0x9E3779B97F4A7C15ULL) & (m->cap - 1); m->keys[i];
	     i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == blk + 1) {
			m->vals[i] = val;
			return 0;
		}
	m->keys[i] = blk + 1;
	m->vals[i] = val;
	m->n++;
	return 0;
}

void e4_blkmap_clear(struct e4_blkmap *m, bool free_vals)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] && free_vals)
			free(m->vals[i]);
		m->keys[i] = 0;
		m->vals[i] = NULL;
	}
	m->n = 0;
}

void e4_blkmap_free(struct e4_blkmap *m, bool free_vals)
{
	e4_blkmap_clear(m, free_vals);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
