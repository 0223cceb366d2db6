/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_ERR_H
#define E4_ERR_H

#include <ext2fs/ext2fs.h>

/*
 * Error context of the library.  Every lib/ function returns 0 or -errno
 * and, on failure, leaves a complete sentence in err->msg that names the
 * object and the cause ("/dev/sdb1: not an ext2/3/4 filesystem (found
 * xfs)").  Only cmd/ prints it.  A NULL err is allowed everywhere.
 */
struct e4_err {
	int code;		/* -errno, 0 when unset */
	char msg[512];
};

/* Set msg from fmt and return code (a negative errno). */
int e4_err_set(struct e4_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As e4_err_set, appending ": strerror(-code)". */
int e4_err_sys(struct e4_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append to the message as far as it fits (err may be NULL); the code stays. */
void e4_err_append(struct e4_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The one boundary where libext2fs errcode_t becomes -errno.  The message
 * is fmt followed by ": " and com_err's text for ret.
 */
int e4_err_ext2(struct e4_err *err, errcode_t ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * -errno for an errcode_t: system errors pass through; allocation
 * failures (no block, no inode, no room in a directory or xattr area) are
 * -ENOSPC; corruption and checksum codes -EUCLEAN; what has no errno of
 * its own is -EIO, so whoever keeps only the errno must keep
 * error_message(ret) beside it, or the cause is lost.
 */
int e4_errcode_to_errno(errcode_t ret);

#endif
