/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_LIB_BLKMAP_H
#define E4_LIB_BLKMAP_H

/* Between lib/ files only (lib/undo_io.c). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

/* Open-addressing map from a block number to a buffer (or a mark). */
struct e4_blkmap {
	uint64_t *keys;			/* block + 1; 0 is empty */
	void **vals;
	size_t cap, n;
};

void *e4_blkmap_get(const struct e4_blkmap *m, uint64_t blk);
/* Set blk's value (growing the map); EXT2_ET_NO_MEMORY when it cannot. */
errcode_t e4_blkmap_put(struct e4_blkmap *m, uint64_t blk, void *val);
/* Empty it, keeping its room; free_vals: free() every value too. */
void e4_blkmap_clear(struct e4_blkmap *m, bool free_vals);
void e4_blkmap_free(struct e4_blkmap *m, bool free_vals);

#endif
