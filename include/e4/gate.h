/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_GATE_H
#define E4_GATE_H

#include <ext2fs/ext2fs.h>

#include "e4/err.h"

/*
 * The safety gates before modifying an unmounted filesystem, as resize2fs
 * has them: valid (cleanly unmounted), no errors recorded, checked after
 * its last mount, no journal awaiting recovery, no orphan list.  Returns
 * 0 or -EUCLEAN with a message that names the gate, the e2fsck command to
 * run and --force.  name is what the user called the filesystem.
 */
int e4_fs_gates(ext2_filsys fs, const char *name, struct e4_err *err);

#endif
