// SPDX-License-Identifier: GPL-2.0
/*
 * `e4ctl check`'s audit of an image: bitmaps against descriptor counts,
 * descriptor and bitmap checksums, sums against the superblock.  One
 * worker thread, so that a run is reproducible.
 */
#include "e4/check.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e4_check_result res;
	struct e4_err err;
	struct e4_fs *fs;
	size_t i;

	fs = fuzz_image_open(data, size);
	if (!fs)
		return 0;
	if (!e4_check_run(fs, 1, NULL, &res, &err)) {
		for (i = 0; i < res.nfindings; i++)
			e4_check_what_name(res.findings[i].what);
		e4_check_result_free(&res);
	}
	e4_fs_close(fs);
	return 0;
}
