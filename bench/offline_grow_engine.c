// SPDX-License-Identifier: GPL-2.0
/*
 * The offline grow engine alone, called as `e4ctl resize` calls it
 * (resolve, open for writing, gates, plan, grow, close), for
 * bench/offline-grow when the front end at hand cannot grow an unmounted
 * filesystem yet.  Usage: offline_grow_engine IMAGE NEW_BLOCKS
 */
#include <stdio.h>
#include <stdlib.h>

#include "e4/fs.h"
#include "e4/gate.h"
#include "e4/resize.h"
#include "e4/target.h"

int main(int argc, char **argv)
{
	struct e4_resize_plan plan;
	struct e4_err err = { 0 };
	struct e4_target *t = NULL;
	struct e4_fs *fs = NULL;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IMAGE NEW_BLOCKS\n", argv[0]);
		return 2;
	}
	rc = e4_target_resolve(argv[1], &t, &err);
	if (!rc)
		rc = e4_fs_open(t, E4_FS_WRITE, &fs, &err);
	if (!rc)
		rc = e4_fs_gates(e4_fs_ext2(fs), argv[1], &err);
	if (!rc)
		rc = e4_resize_plan_offline(fs, strtoull(argv[2], NULL, 0), &plan,
					    &err);
	if (!rc && plan.nrefusals)
		rc = e4_err_set(&err, plan.refusals[0].code, "%s",
				plan.refusals[0].msg);
	if (!rc)
		rc = e4_resize_offline(fs, &plan, NULL, &err);
	e4_fs_close(fs);
	e4_target_free(t);
	if (rc) {
		fprintf(stderr, "%s: %s\n", argv[0], err.msg);
		return 1;
	}
	return 0;
}
