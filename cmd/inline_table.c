// SPDX-License-Identifier: GPL-2.0
/*
 * What e4ctl inline list and inline convert show the same way: the
 * columns, the table of a set of inodes, the summary by type and the
 * warnings about inodes that could not be checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "inline_table.h"

#define R SCOLS_FL_RIGHT
const struct e4_colinfo inline_colinfo[] = {
	[COL_INODE] = { "INODE", "Inode", 0, R, E4_COL_NUM, "inode number" },
	[COL_PATH] = { "PATH", "Path", 0, SCOLS_FL_NOEXTREMES, E4_COL_STR, "a name of the inode (empty: none found)" },
	[COL_TYPE] = { "TYPE", "Type", 0, 0, E4_COL_STR, "file, dir, symlink or other" },
	[COL_SIZE] = { "SIZE", "Size", 0, R, E4_COL_NUM, "size in bytes (before conversion)" },
	[COL_LINKS] = { "LINKS", "Links", 0, R, E4_COL_NUM, "hard link count" },
	[COL_STATUS] = { "STATUS", "Status", 0, 0, E4_COL_STR, "converted, would-convert, skipped, failed or not-reached" },
	[COL_REASON] = { "REASON", "Reason", 0, SCOLS_FL_WRAP, E4_COL_STR, "why it was skipped or failed" },
};
#undef R
const size_t inline_ncolinfo = ARRAY_SIZE(inline_colinfo);

const int inline_list_defaults[] = { COL_INODE, COL_PATH, COL_TYPE, COL_SIZE, COL_LINKS, -1 };
const int inline_convert_defaults[] = { COL_INODE, COL_PATH, COL_TYPE, COL_SIZE,
					COL_LINKS, COL_STATUS, COL_REASON, -1 };

static int type_index(uint32_t mode)
{
	if (S_ISREG(mode))
		return 0;
	if (S_ISDIR(mode))
		return 1;
	return S_ISLNK(mode) ? 2 : 3;
}

void inline_tally_add(struct tally *t, const struct e4_inline_ent *e)
{
	int i = type_index(e->mode);

	t->n[i]++;
	t->bytes[i] += e->size;
}

/* "3 files (120 bytes), 1 directory (60 bytes)" */
void inline_tally_print(const struct tally *t)
{
	static const char *const sing[] = { "file", "directory", "symlink", "other" };
	static const char *const plur[] = { "files", "directories", "symlinks", "others" };
	bool first = true;
	int i;

	for (i = 0; i < 4; i++) {
		if (!t->n[i])
			continue;
		printf("%s%" PRIu64 " %s (%" PRIu64 " bytes)", first ? "" : ", ",
		       t->n[i], t->n[i] == 1 ? sing[i] : plur[i], t->bytes[i]);
		first = false;
	}
	if (first)
		printf("none");
}

/* Human summaries only: --raw and --json stay machine-readable. */
bool inline_want_summary(const struct inline_opts *o)
{
	return !o->out.json && !o->out.raw;
}

static int show_path(struct e4_out *out, struct libscols_line *ln,
		     const char *p, const struct shown *m)
{
	size_t n;

	if (!p || !m->mnt)
		return e4_out_str(out, ln, COL_PATH, p);
	if (m->sub && (n = strlen(m->sub)) && !strncmp(p, m->sub, n) &&
	    (p[n] == '/' || !p[n]))
		return e4_out_printf(out, ln, COL_PATH, "%s%s", m->dir, p + n);
	if (!strcmp(m->mnt, "/"))
		return e4_out_str(out, ln, COL_PATH, p);
	return e4_out_printf(out, ln, COL_PATH, "%s%s", m->mnt,
			     strcmp(p, "/") ? p : "");
}

/* list: entries FAILED (their flags unknown) are warned about instead. */
static bool listed(const struct e4_inline_ent *e, bool list)
{
	return !list || e->status != E4_INLINE_FAILED;
}

int inline_print_set(const struct e4_cli *cli, const struct inline_opts *o,
		     const struct e4_inline_set *set, const struct shown *m,
		     const int *defaults, bool list)
{
	static const struct shown none;
	struct e4_out out;
	size_t i, shown = 0;
	char msg[128];
	int rc = 0;

	if (e4_out_init(&out, &o->out, inline_colinfo, inline_ncolinfo, defaults,
			"inodes", false, msg, sizeof(msg)))
		return e4_cli_usage_error(cli, "%s", msg);
	for (i = 0; i < set->n && !rc; i++) {
		const struct e4_inline_ent *e = &set->ents[i];
		struct libscols_line *ln;

		if (!listed(e, list))
			continue;
		ln = e4_out_line(&out);
		if (!ln) {
			rc = -ENOMEM;
			break;
		}
		shown++;
		e4_out_u64(&out, ln, COL_INODE, e->ino);
		show_path(&out, ln, e->path, m ? m : &none);
		e4_out_str(&out, ln, COL_TYPE, e4_inline_type_name(e->mode));
		e4_out_u64(&out, ln, COL_SIZE, e->size);
		e4_out_u64(&out, ln, COL_LINKS, e->links);
		e4_out_str(&out, ln, COL_STATUS, e4_inline_status_name(e->status));
		if (e->status == E4_INLINE_FAILED)
			e4_out_printf(&out, ln, COL_REASON, "%s: %s (%s)", e->why,
				      e->detail ?: strerror(-e->error),
				      strerrorname_np(-e->error) ?: "?");
		else
			e4_out_str(&out, ln, COL_REASON, e->why);
	}
	/* No inode: no empty table, but still one JSON document. */
	if (!rc && (shown || o->out.json))
		rc = e4_out_print(&out);
	e4_out_free(&out);
	return rc ? e4_cli_fail(cli) : 0;
}

void inline_warn_unchecked(const struct e4_cli *cli, const struct e4_target *t,
			   const struct e4_inline_set *set, bool walked)
{
	if (set->unchecked)
		e4_cli_warn(cli, "%" PRIu64 " slow symlink%s not checked: the kernel has no flags ioctl for symlinks (--from-device reads them)",
			    set->unchecked, set->unchecked == 1 ? "" : "s");
	if (set->unreadable && walked)
		e4_cli_warn(cli, "%" PRIu64 " file%s could not be opened and were not checked",
			    set->unreadable, set->unreadable == 1 ? "" : "s");
	else if (set->unreadable)
		e4_cli_warn(cli, "%" PRIu64 " in-use inode%s could not be read (inode %" PRIu64 " first: %s) and may have inline data; run 'e2fsck -f %s'",
			    set->unreadable, set->unreadable == 1 ? "" : "s",
			    set->first_unreadable, set->unreadable_why,
			    e4_target_name(t));
}
