/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_GROWTH_H
#define E4_GROWTH_H

#include <stdbool.h>
#include <stdint.h>
#include <ext2fs/ext2fs.h>

#include "e4/fs.h"
#include "e4/geom.h"

/*
 * How far EXT4_IOC_RESIZE_FS can grow a filesystem (lib/growth.c; the
 * arithmetic is lib/geom.c's).  e4_growth_limit (e4/fs.h) is the form
 * for an open filesystem on the running kernel; e4_growth_limit_geom
 * takes the geometry and the kernel's behaviour as facts, for the pure
 * resize plan.
 */
void e4_growth_limit_geom(const struct e4_geom *geom, uint64_t device_blocks,
			  bool kernel_meta_bg_resize, bool converts_any,
			  struct e4_growth *g);

/*
 * Whether the running kernel converts a filesystem with neither
 * resize_inode nor meta_bg to meta_bg on any online growth (before 6.10)
 * rather than only when a descriptor block is added.
 */
bool e4_kernel_converts_on_any_growth(void);

/* e4_geom_kernel_trim for an open filesystem on the running kernel. */
uint64_t e4_growth_trim(ext2_filsys fs, uint64_t n, bool kernel_meta_bg_resize);

#endif
