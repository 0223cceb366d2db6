// SPDX-License-Identifier: GPL-2.0
/*
 * inline convert on an unmounted filesystem, from the first check to the
 * cleared feature: the order in which the steps of lib/inline.c and
 * lib/inline_convert.c run so that every refusal comes before the first
 * write (not even the --undo file is touched before then).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "e4/fs.h"
#include "e4/gate.h"
#include "e4/inline.h"
#include "e4/target.h"

/*
 * --disable-feature promises all or nothing: an inode that cannot be
 * converted, or one that cannot even be read, would leave the feature set
 * after every other one was converted, so find out first, from the plan,
 * and refuse before anything is written.
 */
static int precheck_disable(const struct e4_target *t,
			    const struct e4_inline_set *set, struct e4_err *err)
{
	size_t i;

	if (set->unreadable)
		return e4_err_set(err, -EUCLEAN,
				  "%s: %" PRIu64 " in-use inode%s could not be read (inode %" PRIu64 " first: %s), so no scan can prove that no inline inode is left; inline_data stays set, nothing was changed: run 'e2fsck -f %s'",
				  e4_target_name(t), set->unreadable,
				  set->unreadable == 1 ? "" : "s", set->first_unreadable,
				  set->unreadable_why, e4_target_name(t));
	for (i = 0; i < set->n; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (e->status != E4_INLINE_WOULD_CONVERT)
			return e4_err_set(err, -EBUSY,
					  "%s: inode %llu%s%s cannot be converted (%s); inline_data stays set, nothing was changed",
					  e4_target_name(t), (unsigned long long)e->ino,
					  e->path ? " " : "", e->path ? e->path : "",
					  e->why ? e->why : strerror(-e->error));
	}
	return 0;
}

/* The refusals, on the read-only handle: the gates, the scan, the plan. */
static int plan(struct e4_fs *fs, const struct e4_inline_offline *o,
		struct e4_inline_set **setp, struct e4_err *err)
{
	const struct e4_target *t = e4_fs_target(fs);
	struct e4_gate_result gates;
	int rc;

	/* The hard gates (checksums, impossible counts) hold with force too. */
	rc = e4_gate_run(fs, &gates, err);
	if (rc)
		return rc;
	rc = e4_gate_check(&gates, e4_target_name(t), o->force, err);
	e4_gate_result_free(&gates);
	if (rc)
		return rc;
	rc = e4_inline_scan(fs, NULL, setp, err);
	if (!rc && o->paths)
		rc = e4_inline_select(fs, *setp, o->paths, o->npaths, err);
	if (rc)
		return rc;
	/* Writes nothing; refuses when the blocks are not there. */
	rc = e4_inline_convert(fs, *setp, E4_INLINE_DRY_RUN, NULL, err);
	if (rc && o->disable_feature)
		e4_err_append(err, "; inline_data stays set");
	if (!rc && o->disable_feature)
		rc = precheck_disable(t, *setp, err);
	return rc;
}

/* --disable-feature after the run: only when every entry was converted. */
static int disable(struct e4_fs *fs, const struct e4_inline_set *set,
		   struct e4_err *err)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->ents[i].status == E4_INLINE_FAILED ||
		    set->ents[i].status == E4_INLINE_NOT_REACHED) {
			e4_err_set(err, -EBUSY, "%s: inode %llu was not converted; --disable-feature: inline_data stays set",
				   e4_target_name(e4_fs_target(fs)),
				   (unsigned long long)set->ents[i].ino);
			return -EBUSY;
		}
	return e4_inline_disable(fs, NULL, err);
}

/*
 * While the run writes, the primary superblock says "not clean": a run cut
 * anywhere leaves a filesystem that e2fsck checks and nothing mounts as
 * if it were whole.  The original state comes back with the close's
 * flush, the last write (the primary superblock after every backup and
 * descriptor).  Without orig_super libext2fs writes the primary in one
 * piece instead of field by field, which a cut could tear.
 */
static int mark_running(struct e4_fs *fs, __u16 state, struct e4_err *err)
{
	ext2_filsys e2 = e4_fs_ext2(fs);
	errcode_t ret;

	e2->super->s_state = state;
	ext2fs_free_mem(&e2->orig_super);
	ext2fs_mark_super_dirty(e2);
	if (state & EXT2_VALID_FS)
		return 0;
	e2->flags |= EXT2_FLAG_SUPER_ONLY;
	ret = ext2fs_flush(e2);
	e2->flags &= ~EXT2_FLAG_SUPER_ONLY;
	if (ret)
		return e4_err_ext2(err, ret, "%s: unchanged: could not mark the filesystem as being written",
				   e4_target_name(e4_fs_target(fs)));
	return 0;
}

int e4_inline_convert_offline(const struct e4_target *t,
			      const struct e4_inline_offline *o,
			      const struct e4_job *job, struct e4_fs **fsp,
			      struct e4_inline_set **setp, bool *nothing,
			      struct e4_err *err)
{
	unsigned int flags = o->force ? E4_FS_FORCE : 0;
	__u16 state;
	int rc;

	*nothing = false;
	*setp = NULL;
	rc = e4_fs_open(t, flags, fsp, err);
	if (rc)
		return rc;
	if (!ext2fs_has_feature_inline_data(e4_fs_ext2(*fsp)->super)) {
		*nothing = true;
		return 0;
	}
	rc = plan(*fsp, o, setp, err);
	if (rc)
		goto out_refused;
	if (o->dry_run)
		return 0;
	rc = e4_fs_reopen_write(*fsp, flags, o->undo, err);
	if (rc)
		goto out_refused;
	state = e4_fs_ext2(*fsp)->super->s_state;
	rc = mark_running(*fsp, state & ~EXT2_VALID_FS, err);
	if (!rc)
		rc = e4_inline_convert(*fsp, *setp, 0, job, err);
	if (!rc && o->disable_feature)
		rc = disable(*fsp, *setp, err);
	if (!rc)
		rc = mark_running(*fsp, state, err);
	if (!rc)
		rc = e4_fs_close_write(*fsp, err);
	else if (e4_fs_note_write_error(*fsp, err))
		e4_err_append(err, "; run 'e2fsck -f %s'%s", e4_target_name(t),
			      o->undo ? ", or restore it with e2undo and the undo file" : "");
	return rc;
out_refused:
	/* Nothing was attempted: no table, only the refusal. */
	e4_inline_set_free(*setp);
	*setp = NULL;
	return rc;
}
