/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_TARGET_H
#define E4_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "e4/err.h"

/*
 * A TARGET as the user typed it, resolved to what it names:
 *   block device      -> itself, plus where it is mounted;
 *   regular file      -> an image file; if a loop device backing onto it
 *                        at offset 0 is mounted (any of them, when there
 *                        are several), that loop device and its mount;
 *                        if any other use of a loop device backing onto
 *                        it is found (a mount at another offset, a
 *                        mounted partition, a holder, a mount in another
 *                        mount namespace), -EBUSY: the file is live;
 *   directory         -> the ext2/3/4 filesystem mounted there or
 *                        containing it (bind mounts included).
 * The filesystem on the device is probed with libblkid and must be
 * ext2/ext3/ext4.
 */
struct e4_target {
	char *arg;		/* as given */
	char *device;		/* what to open: block device or image file */
	char *image;		/* the image file, when the fs lives in one */
	char *mountpoint;	/* a mount point of the whole fs, or NULL */
	char *path;		/* the directory given, when TARGET was one */
	dev_t devno;		/* block device number, 0 for a bare image */
	bool is_blockdev;
	bool mounted;
	bool readonly;		/* read-only at mountpoint: the mount or
				 * the superblock is ro */
	int nmounts;		/* how many mount points the fs has */
	char fstype[16];	/* ext2, ext3 or ext4 (as blkid names it) */
	char uuid[40];
	char label[64];
	uint64_t size;		/* bytes: BLKGETSIZE64 or the file's size */
};

/*
 * Resolve arg.  On success *out is a new target (free with
 * e4_target_free).  On failure nothing was opened for writing and err says
 * which object failed and why: -ENOENT, -EACCES, -EIO (the probe could
 * not read), -EMEDIUMTYPE (not ext2/3/4), -ENODATA (empty file), -ENOTBLK
 * (not a device, file or dir), -EBUSY (an image in use as above).
 */
int e4_target_resolve(const char *arg, struct e4_target **out,
		      struct e4_err *err);
/*
 * As e4_target_resolve, but a device or image whose signature is missing
 * or foreign is still resolved (fstype empty): for reading it from a
 * backup superblock when the primary one is gone (check -b).
 */
int e4_target_resolve_unprobed(const char *arg, struct e4_target **out,
			       struct e4_err *err);
void e4_target_free(struct e4_target *t);

/* The name to show the user for the filesystem: device, plus image. */
const char *e4_target_name(const struct e4_target *t);

#endif
