/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_GATE_H
#define E4_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e4/err.h"
#include "e4/fs.h"

/*
 * The gates every command passes before it writes to an unmounted
 * filesystem (offline resize, inline convert, --disable-feature): the
 * e2fsck state resize2fs looks at, the checksums (superblock,
 * descriptors, block and inode bitmaps), superblock counts that cannot be
 * true, and every finding of e4ctl's own check engine (lib/check.c).
 *
 * The result is data, a list of findings, for a plan to turn into
 * refusals.  Two kinds:
 *  - soft (the e2fsck state, free counts that disagree with the bitmaps):
 *    refused unless --force;
 *  - hard (a bad checksum, an impossible count, a descriptor pointing
 *    outside the filesystem): refused even with --force.  Every write
 *    recomputes the checksums of what it writes, so going on would turn
 *    a wrong checksum into a right one and leave e2fsck nothing to see;
 *    only e2fsck may decide what the damaged block holds.
 */

enum e4_gate_what {
	E4_GATE_ERRORS,		/* errors recorded in s_state */
	E4_GATE_NOT_CLEAN,	/* not cleanly unmounted / not checked */
	E4_GATE_NEEDS_RECOVERY,	/* journal awaiting recovery */
	E4_GATE_ORPHANS,	/* orphan inode list */
	E4_GATE_UNCHECKED,	/* mounted after its last check */
	E4_GATE_COUNTS,		/* check: free counts disagree with bitmaps */
	E4_GATE_SB_CSUM,	/* hard from here on */
	E4_GATE_SB_COUNTS,	/* an impossible superblock count */
	E4_GATE_DESC,		/* descriptors point outside their place */
	E4_GATE_DESC_CSUM,
	E4_GATE_BBITMAP_CSUM,
	E4_GATE_IBITMAP_CSUM,
	E4_GATE_IBITMAP_PADDING,	/* inode bitmap padding not all ones */
	E4_GATE_NR,
};

struct e4_gate_finding {
	enum e4_gate_what what;
	bool hard;		/* --force does not pass it */
	uint32_t count;		/* groups (or findings) it stands for */
	char msg[200];		/* "the block bitmap checksum of group 3 is wrong" */
};

struct e4_gate_result {
	/* the e2fsck state, the superblock, the descriptors, then check's */
	struct e4_gate_finding *findings;
	size_t n;
};

/*
 * Run every gate on fs (opened read-only, as e4_fs_open does: checksum
 * errors are found here, not by the open).  Reads the superblock,
 * descriptors and bitmaps; writes nothing.  0 with res filled (no
 * findings: the filesystem may be written), or -errno when the gates
 * could not be run (then res is empty and the caller must refuse).
 * Findings of the same kind over several groups are one finding.
 */
int e4_gate_run(struct e4_fs *fs, struct e4_gate_result *res,
		struct e4_err *err);
void e4_gate_result_free(struct e4_gate_result *res);

/* Whether f stops a write (force: the user's --force). */
bool e4_gate_refuses(const struct e4_gate_finding *f, bool force);

/*
 * The refusal of f in words, naming the next step: "MSG; run 'e2fsck -f
 * NAME' first, or use --force" (soft) or "MSG; run 'e2fsck -f NAME'
 * (--force does not override this)" (hard).
 */
void e4_gate_refusal(const struct e4_gate_finding *f, const char *name,
		     char *buf, size_t len);

/*
 * For a caller with one error to give: 0 when nothing in res refuses,
 * else -EUCLEAN with "NAME: REFUSAL" of the first refusing finding in
 * err, plus how many more there are.
 */
int e4_gate_check(const struct e4_gate_result *res, const char *name,
		  bool force, struct e4_err *err);

#endif
