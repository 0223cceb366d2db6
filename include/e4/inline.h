/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_INLINE_H
#define E4_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e4/err.h"
#include "e4/fs.h"
#include "e4/job.h"

/*
 * Inodes whose data lives in the inode itself (EXT4_INLINE_DATA_FL), found
 * either by reading the inode table of an unmounted filesystem with
 * libext2fs or by walking a mounted one and asking the kernel
 * (FS_IOC_GETFLAGS), and their conversion to ordinary block-mapped inodes:
 * offline with libext2fs, online by letting ext4_fallocate() convert a
 * regular file.  Finally the inline_data feature can be cleared once no
 * such inode is left.
 */

/* The flag as the kernel and FS_IOC_GETFLAGS spell it. */
#define E4_INLINE_DATA_FL 0x10000000U

struct e4_inline_names;

enum e4_inline_status {
	E4_INLINE_FOUND,	/* listed, nothing attempted */
	E4_INLINE_CONVERTED,
	E4_INLINE_WOULD_CONVERT,	/* --dry-run */
	E4_INLINE_SKIPPED,	/* why says why */
	E4_INLINE_FAILED,	/* error is the -errno, why the step */
	E4_INLINE_NOT_REACHED,	/* the run was interrupted before it */
};

struct e4_inline_ent {
	uint64_t ino;
	uint32_t mode;		/* S_IFMT and permission bits */
	uint32_t links;
	uint64_t size;		/* bytes, before any conversion */
	char *path;		/* one name of it; NULL when no name was found */
	enum e4_inline_status status;
	int error;		/* -errno when FAILED */
	const char *why;	/* SKIPPED/FAILED: a static phrase */
};

struct e4_inline_set {
	struct e4_inline_ent *ents;
	size_t n, alloc;
	uint64_t scanned;	/* inodes (offline) or files (online) looked at */
	uint64_t unchecked;	/* online: slow symlinks the kernel cannot be
				 * asked about (no flags ioctl on symlinks) */
	uint64_t unreadable;	/* online: files that could not be opened */
	uint64_t *seen;		/* open-addressed set of inode numbers */
	size_t seen_mask, nseen;
	struct e4_inline_names *names;	/* offline: the directory tree */
};

void e4_inline_set_free(struct e4_inline_set *set);

/* "file", "dir", "symlink" or "other" for an S_IFMT mode. */
const char *e4_inline_type_name(uint32_t mode);
const char *e4_inline_status_name(enum e4_inline_status st);

/*
 * Unmounted (or, read-only, the device under a mounted filesystem):
 * read every in-use inode of the inode table in one pass and collect
 * those with EXT4_INLINE_DATA_FL; then one pass over the directories
 * names them ("/a/b", relative to the filesystem root).  Sorted by inode.
 * job->progress sees inodes scanned of the inode count.
 */
int e4_inline_scan(const struct e4_fs *fs, const struct e4_job *job,
		   struct e4_inline_set **out, struct e4_err *err);

/*
 * Keep only the entries at or below the given paths (relative to the
 * filesystem root; a directory selects its subtree).  -ENOENT names the
 * first path that does not exist.
 */
int e4_inline_select(const struct e4_fs *fs, struct e4_inline_set *set,
		     const char *const *paths, int npaths, struct e4_err *err);

enum {
	E4_INLINE_DRY_RUN = 1 << 0,	/* decide, report, change nothing */
	E4_INLINE_CONVERT = 1 << 1,	/* online walk: convert what it finds */
};

/*
 * Offline conversion of every entry of set, on a filesystem opened with
 * E4_FS_WRITE (or through e4_fs_open_undo; read-only is fine for a dry
 * run).  Regular files, directories and symlinks get block maps (extents
 * when the filesystem has the feature); size, mode, owners, times, links
 * and the other extended attributes are kept.  The filesystem is marked
 * not clean while inodes change and clean again once everything is
 * flushed, so that a crash in the middle sends it to e2fsck.  job->cancel
 * is looked at between inodes: -EINTR, every inode converted or not (those
 * not reached are NOT_REACHED), the filesystem consistent.  Per-inode
 * failures are recorded in the entry and do not stop the run; the return
 * is 0 then.
 */
int e4_inline_convert(struct e4_fs *fs, struct e4_inline_set *set,
		      unsigned int flags, const struct e4_job *job,
		      struct e4_err *err);

/*
 * Clear the inline_data feature: re-scan the inode table and refuse
 * (-EBUSY, with the count and the first inode) if any in-use inode still
 * has inline data; otherwise clear the feature bit and write the
 * superblock (its checksum is recomputed).  fs opened for writing.
 */
int e4_inline_disable(struct e4_fs *fs, const struct e4_job *job,
		      struct e4_err *err);

/*
 * Mounted: walk the tree at path with openat()/fstatat(), never following
 * symlinks and never leaving its filesystem, asking FS_IOC_GETFLAGS of
 * every regular file and directory, and add what has inline data to set
 * (an inode reached twice, by hard links or several paths, is added once).
 * With E4_INLINE_CONVERT, each regular file is converted as it is found
 * by fallocate(FALLOC_FL_KEEP_SIZE, 0, 1): ext4_fallocate() moves inline
 * data to a block before anything else, the range is within the first
 * block, so neither size nor contents change (an empty file keeps one
 * preallocated block past its end); atime and mtime are put back.
 * Directories are SKIPPED: only an unmounted filesystem can convert them.
 * job->cancel is looked at between files (-EINTR).  Errors on single
 * files are recorded in their entry; the walk goes on.
 */
int e4_inline_walk(struct e4_inline_set *set, const char *path,
		   unsigned int flags, const struct e4_job *job,
		   struct e4_err *err);

/* An empty set, for e4_inline_walk. */
int e4_inline_set_new(struct e4_inline_set **out, struct e4_err *err);

#endif
