// SPDX-License-Identifier: GPL-2.0
/*
 * The checks that must pass before e4ctl writes to an unmounted
 * filesystem.  Each refusal says which check failed and what to run.
 */
#include <errno.h>
#include <time.h>

#include "e4/gate.h"

static int refuse(struct e4_err *err, const char *name, const char *why)
{
	return e4_err_set(err, -EUCLEAN,
			  "%s: %s; run 'e2fsck -f %s' first, or use --force",
			  name, why, name);
}

int e4_fs_gates(ext2_filsys fs, const char *name, struct e4_err *err)
{
	struct ext2_super_block *sb = fs->super;

	if (sb->s_state & EXT2_ERROR_FS)
		return refuse(err, name, "the filesystem has errors recorded");
	if (!(sb->s_state & EXT2_VALID_FS))
		return refuse(err, name,
			      "the filesystem is not clean (not cleanly unmounted, or not checked since)");
	if (ext2fs_has_feature_journal_needs_recovery(sb))
		return refuse(err, name, "the journal needs recovery");
	if (sb->s_last_orphan || ext2fs_has_feature_orphan_present(sb))
		return refuse(err, name, "the filesystem has an orphan inode list");
	if (sb->s_lastcheck < sb->s_mtime)
		return refuse(err, name,
			      "the filesystem was mounted after its last check");
	return 0;
}
