/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_GROWTH_H
#define E4_GROWTH_H

#include <stdbool.h>
#include <stdint.h>
#include <ext2fs/ext2fs.h>

/*
 * Where EXT4_IOC_RESIZE_FS to n blocks really ends (lib/growth.c; the
 * limit itself is e4_growth_limit in e4/fs.h).  ext4_resize_fs drops a
 * last group too small for its own metadata, again and again, judging the
 * metadata by the superblock as it is once the kernel has converted to
 * meta_bg (when that call converts).  n is the size asked for, already
 * rounded down to a cluster.  The result is n, the start of a group, the
 * current size (the kernel answers 0 and grows nothing), or less than the
 * current size when the filesystem's own last group is under the kernel's
 * minimum: the kernel then takes the call for a shrink (EINVAL).
 */
uint64_t e4_growth_trim(ext2_filsys fs, uint64_t n, bool kernel_meta_bg_resize);

#endif
