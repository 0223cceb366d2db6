// SPDX-License-Identifier: GPL-2.0
/*
 * The checks that must pass before e4ctl writes to an unmounted
 * filesystem.  Each refusal says which check failed and what to run.
 */
#include <errno.h>
#include <time.h>

#include "e4/fs.h"
#include "e4/gate.h"

/* Why gate i refuses this filesystem, or NULL when it passes. */
static const char *gate_why(struct ext2_super_block *sb, unsigned int i)
{
	switch (i) {
	case 0:
		return (sb->s_state & EXT2_ERROR_FS) ?
		       "the filesystem has errors recorded" : NULL;
	case 1:
		return !(sb->s_state & EXT2_VALID_FS) ?
		       "the filesystem is not clean (not cleanly unmounted, or not checked since)" : NULL;
	case 2:
		return ext2fs_has_feature_journal_needs_recovery(sb) ?
		       "the journal needs recovery" : NULL;
	case 3:
		return (sb->s_last_orphan || ext2fs_has_feature_orphan_present(sb)) ?
		       "the filesystem has an orphan inode list" : NULL;
	case 4:
		return sb->s_lastcheck < sb->s_mtime ?
		       "the filesystem was mounted after its last check" : NULL;
	}
	return NULL;
}

int e4_fs_gate(ext2_filsys fs, unsigned int i, const char *name,
	       struct e4_err *err)
{
	const char *why;

	if (i >= E4_FS_NGATES)
		return -ENOENT;
	why = gate_why(fs->super, i);
	if (!why)
		return 0;
	return e4_err_set(err, -EUCLEAN, "%s; run 'e2fsck -f %s' first, or use --force",
			  why, name);
}

int e4_fs_gates(ext2_filsys fs, const char *name, struct e4_err *err)
{
	unsigned int i;
	const char *why;

	for (i = 0; i < E4_FS_NGATES; i++) {
		why = gate_why(fs->super, i);
		if (why)
			return e4_err_set(err, -EUCLEAN,
					  "%s: %s; run 'e2fsck -f %s' first, or use --force",
					  name, why, name);
	}
	return 0;
}
