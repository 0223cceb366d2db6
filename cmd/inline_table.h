/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CMD_INLINE_TABLE_H
#define E4_CMD_INLINE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "e4/inline.h"
#include "e4/target.h"

struct e4_cli;

/* Between cmd/inline.c and cmd/inline_table.c only. */

enum { COL_INODE, COL_PATH, COL_TYPE, COL_SIZE, COL_LINKS, COL_STATUS, COL_REASON };

extern const struct e4_colinfo inline_colinfo[];
extern const size_t inline_ncolinfo;
extern const int inline_list_defaults[], inline_convert_defaults[];

struct inline_opts {
	struct e4_outopts out;
	int from_device;
	int all;
	int dry_run;
	int disable_feature;
	int force;
	int progress;
	char *undo;
};

struct tally {
	uint64_t n[4], bytes[4];	/* by type: file, dir, symlink, other */
};

void inline_tally_add(struct tally *t, const struct e4_inline_ent *e);
/* "3 files (120 bytes), 1 directory (60 bytes)" */
void inline_tally_print(const struct tally *t);
/* Human summaries only: --raw and --json stay machine-readable. */
bool inline_want_summary(const struct inline_opts *o);

/*
 * How the PATH column shows an offline path (relative to the filesystem
 * root) of a mounted filesystem read from its device: below mnt, or, for
 * what lies below the directory dir (whose path on the filesystem is
 * sub), below dir.  Both NULL: as it is.
 */
struct shown {
	const char *mnt;
	const char *dir, *sub;
};

/* The table of set; list: entries that FAILED are left to the warnings. */
int inline_print_set(const struct e4_cli *cli, const struct inline_opts *o,
		     const struct e4_inline_set *set, const struct shown *m,
		     const int *defaults, bool list);
void inline_warn_unchecked(const struct e4_cli *cli, const struct e4_target *t,
			   const struct e4_inline_set *set, bool walked);

#endif
