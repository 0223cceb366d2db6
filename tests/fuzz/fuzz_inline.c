// SPDX-License-Identifier: GPL-2.0
/*
 * The inode scan of `e4ctl inline list`: every in-use inode of the inode
 * table, then the directory tree that names the inline ones, from an
 * image; then the selections that `inline list PATH` and --from-device
 * make.
 */
#include <stdlib.h>

#include "e4/inline.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "/", "/a/b", "dir" };
	struct e4_inline_set *set;
	struct e4_err err;
	struct e4_fs *fs;
	char *dir = NULL;

	fs = fuzz_image_open(data, size);
	if (!fs)
		return 0;
	if (!e4_inline_scan(fs, NULL, &set, &err)) {
		if (!e4_inline_select_ino(set, EXT2_ROOT_INO, &dir, &err))
			free(dir);
		e4_inline_select(fs, set, paths, 3, &err);
		e4_inline_set_free(set);
	}
	e4_fs_close(fs);
	return 0;
}
