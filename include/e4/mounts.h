/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_MOUNTS_H
#define E4_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "e4/err.h"

struct libmnt_table;
struct libmnt_fs;

/*
 * The one reader of the mount table: libmount's parse of
 * <sysroot>/proc/self/mountinfo (sysroot NULL or "": the running system;
 * a fixture directory in tests, as --sysroot).  Every caller in lib/ that
 * needs to know what is mounted where asks here.
 */

/*
 * Read the mount table.  On success *tb is a new table (mnt_unref_table
 * it); on failure -errno and err names the file.
 */
int e4_mounts_read(const char *sysroot, struct libmnt_table **tb,
		   struct e4_err *err);

/* Whether the mount or its superblock is read-only (either says "ro"). */
bool e4_mounts_readonly(struct libmnt_fs *fs);

/*
 * The value of option name in the superblock options of fs ("data",
 * "sb"), copied into buf.  0, -ENOENT when the option is not there,
 * -ENAMETOOLONG when it does not fit.
 */
int e4_mounts_fs_option(struct libmnt_fs *fs, const char *name, char *buf,
			size_t len);

/*
 * The mount point of the first mount of type fstype, copied into buf;
 * *partial (may be NULL) tells whether it shows a subtree (its root is
 * not "/").  -ENOENT when there is none.
 */
int e4_mounts_find_type(const char *sysroot, const char *fstype, char *buf,
			size_t len, bool *partial, struct e4_err *err);

/*
 * Enter a private mount namespace (once: *done records it), so that what
 * is mounted from now on (debugfs, tracefs) is ours alone and goes away
 * with the process.  Needs CAP_SYS_ADMIN.
 */
int e4_mounts_private_ns(bool *done, struct e4_err *err);

#endif
