/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_UNDO_H
#define E4_UNDO_H

#include <stdbool.h>

#include <ext2fs/ext2fs.h>

#include "e4/err.h"

/*
 * e4ctl's undo I/O manager: an io_manager in front of a backing one
 * (unix_io_manager, or the test fault injector) that records, in a file
 * e2undo(8) reads, the old contents of every filesystem block before it
 * is first overwritten.  Unlike libext2fs's undo manager, the file is
 * valid for e2undo at every instant, not only after a clean close:
 *
 *  - writes collect in a write-back cache (a few MiB); a flush (every
 *    io_channel_flush, a full cache, the close) first appends the old
 *    contents and keys of all newly dirty blocks to the undo file, syncs
 *    it, updates the header's key count, syncs again, and only then
 *    writes the blocks to the filesystem;
 *  - the copy of the filesystem superblock e2undo compares against sits
 *    in one of two slots; the header names one, so changing it is one
 *    header write.  The first superblock change of a run goes to the
 *    filesystem first of all, its copy switched just before, while the
 *    filesystem is still untouched; a later change waits in the cache
 *    until the close, is written after everything else, and its copy is
 *    switched right after.  So the two cut points where e2undo refuses
 *    ("doesn't match the undo file") find either the original filesystem
 *    or the finished one;
 *  - until the file's first header is written (the first two writes),
 *    there is no undo file to apply, and nothing was written to the
 *    filesystem either.
 *
 * Blocks past the end of the device as it was at open (an image file
 * extended by a grow) are not saved: they were not part of it.
 */

/*
 * Set up the next open of e4_undo_io_manager: the filesystem and the undo
 * file are opened through backing, undo_file is created (an existing
 * file is replaced).  An io_manager's open() takes no context, so the
 * setting is kept until that open consumes it (one writer per process).
 */
int e4_undo_io_prepare(io_manager backing, const char *undo_file,
		       struct e4_err *err);

extern io_manager e4_undo_io_manager;

/* True when channel is one of e4_undo_io_manager's. */
bool e4_undo_io_is(io_channel channel);

/*
 * The fault-injecting manager of the tests, selected by the environment
 * variable E4_TEST_FAULT (see HACKING.md): "eio:N" fails the Nth write
 * with EIO, "cut:N" kills the process with SIGKILL instead of doing the
 * Nth write (a power cut: nothing from it on reaches a file), "count"
 * prints the number of writes at exit.  Writes are counted over every
 * channel it opens (the filesystem and the undo file alike).  Returns
 * real itself when the variable is unset.
 */
io_manager e4_faultio_select(io_manager real);

#endif
