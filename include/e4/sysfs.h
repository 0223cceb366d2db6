/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_SYSFS_H
#define E4_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every read of /sys and /proc goes through here, under a root prefix
 * (NULL or "" for the real root; a fixture directory in tests, as lsblk's
 * --sysroot).  Paths are absolute ("/sys/fs/ext4/loop0/...").
 */

/* Read a whole small file into buf (NUL-terminated, trailing newline
 * stripped).  Returns length or -errno. */
int e4_sysfs_read(const char *sysroot, const char *path, char *buf, size_t len);

/* Read one unsigned decimal number.  0 or -errno (-EINVAL: not a number). */
int e4_sysfs_read_u64(const char *sysroot, const char *path, uint64_t *val);

bool e4_sysfs_exists(const char *sysroot, const char *path);

/* The last component of symlink path's target: the device name that
 * /sys/dev/block/MAJ:MIN points at.  Length or -errno. */
int e4_sysfs_link_name(const char *sysroot, const char *path, char *buf,
		       size_t len);

/*
 * snprintf that reports truncation as -ENAMETOOLONG (paths built from
 * kernel-supplied names must not be cut silently).
 */
int e4_sysfs_pathf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Read a whole file (a full path, already under any sysroot) into a new
 * NUL-terminated buffer (free it); *len (may be NULL) gets its length.
 * 0 or -errno (-EFBIG past 64 MiB).
 */
int e4_sysfs_read_all(const char *path, char **buf, size_t *len);

/* Join sysroot and path into buf; -ENAMETOOLONG if it does not fit. */
int e4_sysfs_path(const char *sysroot, const char *path, char *buf, size_t len);

#endif
