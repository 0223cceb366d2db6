// SPDX-License-Identifier: GPL-2.0
/*
 * lib/err.c: which errno a libext2fs code becomes, and that the message
 * keeps libext2fs's own words, mapped or not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "e4/err.h"

static void test_no_space_is_enospc(void **state)
{
	(void)state;
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_BLOCK_ALLOC_FAIL), -ENOSPC);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_INODE_ALLOC_FAIL), -ENOSPC);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_DIR_NO_SPACE), -ENOSPC);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_EA_NO_SPACE), -ENOSPC);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_INLINE_DATA_NO_SPACE), -ENOSPC);
}

static void test_passthrough_and_others(void **state)
{
	(void)state;
	assert_int_equal(e4_errcode_to_errno(ENOSPC), -ENOSPC);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_RO_FILSYS), -EROFS);
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_INODE_CSUM_INVALID), -EUCLEAN);
	/* no errno of its own */
	assert_int_equal(e4_errcode_to_errno(EXT2_ET_DIR_CORRUPTED), -EIO);
}

static void test_message_keeps_libext2fs_words(void **state)
{
	struct e4_err err = { 0 };

	(void)state;
	assert_int_equal(e4_err_ext2(&err, EXT2_ET_BLOCK_ALLOC_FAIL, "%s: inode %d",
				     "img", 12), -ENOSPC);
	assert_int_equal(err.code, -ENOSPC);
	assert_string_equal(err.msg, "img: inode 12: Could not allocate block in ext2 filesystem");
	/* unmapped: -EIO, and the words say what it really was */
	assert_int_equal(e4_err_ext2(&err, EXT2_ET_DIR_CORRUPTED, "img"), -EIO);
	assert_non_null(strstr(err.msg, error_message(EXT2_ET_DIR_CORRUPTED)));
	assert_null(strstr(err.msg, "Input/output error"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_space_is_enospc),
		cmocka_unit_test(test_passthrough_and_others),
		cmocka_unit_test(test_message_keeps_libext2fs_words),
	};

	add_error_table(&et_ext2_error_table);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
