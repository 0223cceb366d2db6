// SPDX-License-Identifier: GPL-2.0
/*
 * Error context: the library's one conversion point from libext2fs
 * errcode_t to -errno, and the formatting of the sentences that cmd/
 * prints.  The errno is for exit codes and callers' decisions; the words
 * stay libext2fs's ("Could not allocate block in ext2 filesystem"), since
 * many codes share one errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <et/com_err.h>
#include <ext2fs/ext2_err.h>

#include "e4/err.h"

static int err_vset(struct e4_err *err, int code, const char *cause,
		    const char *fmt, va_list ap)
{
	int n;

	if (!err)
		return code;
	err->code = code;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (cause && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", cause);
	return code;
}

int e4_err_set(struct e4_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int e4_err_sys(struct e4_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, strerror(-code), fmt, ap);
	va_end(ap);
	return code;
}

void e4_err_append(struct e4_err *err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!err)
		return;
	n = strlen(err->msg);
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
}

int e4_errcode_to_errno(errcode_t ret)
{
	/* com_err tables start far above errno values. */
	if (ret > 0 && ret < 4096)
		return -(int)ret;
	switch (ret) {
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
		return -EOPNOTSUPP;
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_SB_CSUM_INVALID:
	case EXT2_ET_CORRUPT_SUPERBLOCK:
	case EXT2_ET_BAD_DESC_SIZE:
	case EXT2_ET_GDESC_BAD_BLOCK_MAP:
	case EXT2_ET_GDESC_BAD_INODE_MAP:
	case EXT2_ET_GDESC_BAD_INODE_TABLE:
	case EXT2_ET_BLOCK_BITMAP_CSUM_INVALID:
	case EXT2_ET_INODE_BITMAP_CSUM_INVALID:
	case EXT2_ET_INODE_CSUM_INVALID:
		return -EUCLEAN;
	case EXT2_ET_FILE_TOO_BIG:
		return -EFBIG;
	/* Out of room: the caller can say "no space", not "I/O error". */
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_EA_NO_SPACE:
	case EXT2_ET_INLINE_DATA_NO_SPACE:
	case EXT2_ET_DIR_NO_SPACE_FOR_CSUM:
		return -ENOSPC;
	case EXT2_ET_SHORT_READ:
	case EXT2_ET_SHORT_WRITE:
	default:
		/*
		 * Everything else is -EIO, which says little: whoever
		 * converts keeps error_message(ret) too (e4_err_ext2 does).
		 */
		return -EIO;
	}
}

int e4_err_ext2(struct e4_err *err, errcode_t ret, const char *fmt, ...)
{
	va_list ap;
	int code = e4_errcode_to_errno(ret);

	va_start(ap, fmt);
	err_vset(err, code, error_message(ret), fmt, ap);
	va_end(ap);
	return code;
}
