/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_INLINE_H
#define E4_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	char *path;		/* one name of it; NULL when no name was found.
				 * Offline the set's names own it: never
				 * freed alone */
	enum e4_inline_status status;
	int error;		/* -errno when FAILED */
	const char *why;	/* SKIPPED/FAILED: a static phrase; CONVERTED:
				 * NULL, or a remark (online: mtime left) */
	const char *detail;	/* FAILED: libext2fs's own words for the
				 * error (static), or NULL: strerror says it */
};

struct e4_inline_set {
	struct e4_inline_ent *ents;
	size_t n, alloc;
	uint64_t scanned;	/* inodes (offline) or files (online) looked at */
	uint64_t unchecked;	/* online: slow symlinks the kernel cannot be
				 * asked about (no flags ioctl on symlinks) */
	uint64_t unreadable;	/* online: files that could not be opened;
				 * offline: in-use inodes that could not be
				 * read (bad inode table block, checksum) */
	uint64_t first_unreadable;	/* offline: the first such inode */
	const char *unreadable_why;	/* offline: libext2fs's words for it */
	uint64_t *seen;		/* open-addressed set of inode numbers */
	size_t seen_mask, nseen;
	struct e4_inline_names *names;	/* offline: the directory tree; it
					 * holds the entries' paths too */
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
 * In-use inodes that libext2fs cannot read (a bad block in the inode
 * table) are not listed but counted in set->unreadable.  job->progress
 * sees inodes scanned of the inode count.
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

/*
 * Keep only the entries at or below directory dir, given by inode number
 * (a mounted filesystem's st_ino: --from-device with a subdirectory as
 * TARGET).  *dir_path (may be NULL) gets the directory's path relative to
 * the filesystem root as the scan found it (malloc'd; NULL when the set
 * was empty and no name was looked for).  -ENOENT when the scan did not
 * find dir as a directory (on a mounted filesystem: not on the device
 * yet).
 */
int e4_inline_select_ino(struct e4_inline_set *set, uint64_t dir,
			 char **dir_path, struct e4_err *err);

enum {
	E4_INLINE_DRY_RUN = 1 << 0,	/* decide, report, change nothing */
	E4_INLINE_CONVERT = 1 << 1,	/* online walk: convert what it finds */
};

/*
 * Offline conversion of every entry of set, on a filesystem opened with
 * E4_FS_WRITE (or through e4_fs_open_undo; read-only is fine for a dry
 * run).  Regular files, directories and symlinks get block maps (extents
 * when the filesystem has the feature); size, mode, owners, times, links
 * and the other extended attributes are kept.
 *
 * First a plan, written nothing: every entry is read and judged (SKIPPED
 * with the reason, or WOULD_CONVERT), and the free blocks are counted in
 * the block bitmap against what the conversions need at their peak (one
 * data block each, one more where a shared xattr block must be copied).
 * Too few: -ENOSPC, nothing written.  An inode that cannot be read:
 * that -errno, nothing written.  A dry run stops after the plan.
 *
 * Then the inodes, one by one.  Before each, the blocks it needs are
 * looked for again; missing: the run stops there with -ENOSPC (that
 * inode FAILED "no free blocks", untouched, the rest NOT_REACHED).  A copy
 * of each inode is kept; if libext2fs fails on it (or the moved data does
 * not read back the same), the inode is put back as it was, the run stops
 * there with the error (naming the inode, and whether it was put back),
 * and the filesystem is left marked with errors (EXT2_ERROR_FS) so that
 * e2fsck -f looks at it.  The filesystem is marked not clean while inodes
 * change and gets its old state back once everything is flushed, if no
 * inode failed.  job->cancel is looked at between inodes: -EINTR, every
 * inode converted or not (those not reached are NOT_REACHED), the
 * filesystem consistent.  0 only when no entry FAILED; SKIPPED ones are
 * the caller's to judge.
 */
int e4_inline_convert(struct e4_fs *fs, struct e4_inline_set *set,
		      unsigned int flags, const struct e4_job *job,
		      struct e4_err *err);

/*
 * Clear the inline_data feature: re-scan the inode table and refuse
 * (-EBUSY, with the count and the first inode) if any in-use inode still
 * has inline data, or (-EUCLEAN) if an in-use inode could not be read, as
 * nothing then proves it has none; otherwise clear the feature bit and
 * write the superblock (its checksum is recomputed).  fs opened for
 * writing.  0 and nothing written when the feature is not set.
 */
int e4_inline_disable(struct e4_fs *fs, const struct e4_job *job,
		      struct e4_err *err);

/* What e4_inline_convert_offline is asked to do. */
struct e4_inline_offline {
	const char *const *paths;	/* NULL: every inline inode */
	int npaths;
	bool dry_run;		/* the plan only, on the read-only handle */
	bool disable_feature;	/* then clear inline_data (with every inode) */
	bool force;		/* pass the soft safety gates of e4/gate.h */
	const char *undo;	/* NULL, or the undo file for e2undo */
};

/*
 * inline convert on an unmounted target t, every refusal before the first
 * write: open read-only; no inline_data feature: *nothing, 0, nothing
 * done.  Then the safety gates (only the hard ones with force), the scan, the selection of
 * paths, the plan of e4_inline_convert and, with disable_feature, the
 * proof that every inode can go; a refusal there returns its -errno with
 * *setp NULL and nothing written, not even the undo file.  Then the
 * handle is made read-write (e4_fs_reopen_write, with undo), the inodes
 * are converted (job: progress and cancel) and, if every one was, the
 * feature is cleared.  After the plan, *setp holds every entry with its
 * status, also when the run then failed or was interrupted (-EINTR).
 * *fsp is the caller's to close in every case.
 */
int e4_inline_convert_offline(const struct e4_target *t,
			      const struct e4_inline_offline *o,
			      const struct e4_job *job, struct e4_fs **fsp,
			      struct e4_inline_set **setp, bool *nothing,
			      struct e4_err *err);

/*
 * Mounted: walk the tree at path with openat()/fstatat(), never following
 * symlinks and never leaving the filesystem whose st_dev is dev (0: the
 * one path is on), asking FS_IOC_GETFLAGS of every regular file and
 * directory, and add what has inline data to set (an inode reached twice,
 * by hard links or several paths, is added once).  A path that is itself
 * a symlink is not followed: it is added as SKIPPED.  A path on another
 * filesystem than dev is -EXDEV.
 *
 * With E4_INLINE_CONVERT, each regular file is converted as it is found
 * by fallocate(FALLOC_FL_KEEP_SIZE, 0, 1): ext4_fallocate() moves inline
 * data to a block before anything else, the range is within the first
 * block, so neither size nor contents change (an empty file keeps one
 * preallocated block past its end).  The mtime that fallocate sets is put
 * back only while a write lease shows that nobody else has the file open
 * (a file open elsewhere keeps the kernel's mtime, and the entry says
 * so), so that a concurrent write's mtime is never undone.  With
 * E4_INLINE_DRY_RUN nothing is opened for writing.  Directories are
 * SKIPPED: only an unmounted filesystem can convert them.  job->cancel is
 * looked at between files (-EINTR).  Errors on single files (opening,
 * FS_IOC_GETFLAGS, converting) are recorded in an entry of their own,
 * FAILED; the walk goes on.
 */
int e4_inline_walk(struct e4_inline_set *set, const char *path, dev_t dev,
		   unsigned int flags, const struct e4_job *job,
		   struct e4_err *err);

/* An empty set, for e4_inline_walk. */
int e4_inline_set_new(struct e4_inline_set **out, struct e4_err *err);

#endif
