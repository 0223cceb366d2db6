/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_JTX_H
#define E4_JTX_H

#include <stddef.h>

#include <ext2fs/ext2fs.h>

#include "e4/err.h"

/*
 * One atomic group of block writes, through the filesystem's own jbd2
 * journal: what e2fsck and the kernel replay after a crash.
 *
 * e4_jtx_begin() puts a capturing channel in front of fs->io: from then
 * on every write through the filesystem handle stays in memory (reads see
 * it), whatever libext2fs call makes it.  e4_jtx_commit() puts the real
 * channel back and writes what was captured:
 *
 *  1. the blocks, as one transaction in the journal (descriptor blocks,
 *     the blocks, a commit block, with the journal's checksums);
 *  2. the primary superblock as it is on disk, now with needs_recovery
 *     (a mount or e2fsck replays the journal instead of wiping it);
 *  3. the journal superblock, pointing at the transaction: the commit
 *     point, from here on a crash ends in the transaction replayed;
 *  4. the blocks in place, then the primary superblock, still marked
 *     (errors, needs_recovery): before it replays the journal, e2fsck
 *     checks the descriptors on disk against the superblock on disk, so
 *     the caller's new descriptors must stay valid for the old one
 *     (and if they fail that check, e2fsck turns to a backup superblock
 *     and does not end with the transaction);
 *  5. the journal superblock, empty again;
 *  6. the primary superblock as captured.
 *
 * Each step is flushed before the next.  Without a journal e4ctl can
 * write (none, an external one, one needing recovery, an unknown format,
 * too small for the transaction), steps 4 and 6 alone run, and
 * e4_jtx_commit() sets *unjournaled (when not NULL) to the reason, or to
 * NULL.
 */
struct e4_jtx;

int e4_jtx_begin(ext2_filsys fs, struct e4_jtx **out, struct e4_err *err);

/* Blocks captured so far. */
size_t e4_jtx_blocks(const struct e4_jtx *t);

/*
 * Write what was captured as described above; name is the device for the
 * messages.  The capture ends, whatever the result.
 */
int e4_jtx_commit(struct e4_jtx *t, const char *name,
		  const char **unjournaled, struct e4_err *err);

/* End the capture (if still on) and drop what was not committed. */
void e4_jtx_free(struct e4_jtx *t);

#endif
