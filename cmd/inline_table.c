// SPDX-License-Identifier: GPL-2.0
/*
 * What e4ctl inline list and inline convert show the same way: the
 * columns, the table of a set of inodes, the summary by type and the
 * warnings about inodes that could not be checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
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

/* A growable scratch string, reused from row to row. */
struct scratch {
	char *s;
	size_t cap;
};

static const char *scratch_printf(struct scratch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *scratch_printf(struct scratch *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->s, b->cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	if ((size_t)n >= b->cap) {
		size_t cap = (size_t)n + 1 > 2 * b->cap ? (size_t)n + 1 : 2 * b->cap;
		char *p = realloc(b->s, cap);

		if (!p)
			return NULL;
		b->s = p;
		b->cap = cap;
		va_start(ap, fmt);
		vsnprintf(b->s, b->cap, fmt, ap);
		va_end(ap);
	}
	return b->s;
}

/* The PATH cell; NULL for none (or on ENOMEM, then *rc is set). */
static const char *show_path(struct scratch *b, const char *p,
			     const struct shown *m, int *rc)
{
	const char *s;
	size_t n;

	if (!p || !m->mnt)
		return p;
	if (m->sub && (n = strlen(m->sub)) && !strncmp(p, m->sub, n) &&
	    (p[n] == '/' || !p[n]))
		s = scratch_printf(b, "%s%s", m->dir, p + n);
	else if (!strcmp(m->mnt, "/"))
		return p;
	else
		s = scratch_printf(b, "%s%s", m->mnt, strcmp(p, "/") ? p : "");
	if (!s)
		*rc = -ENOMEM;
	return s;
}

/* list: entries FAILED (their flags unknown) are warned about instead. */
static bool listed(const struct e4_inline_ent *e, bool list)
{
	return !list || e->status != E4_INLINE_FAILED;
}

/* One entry as the cells of a row; the numbers go into num. */
static int fill_row(const struct e4_inline_ent *e, const struct shown *m,
		    const char **vals, char (*num)[E4_OUT_NUMLEN],
		    struct scratch *path, struct scratch *reason)
{
	int rc = 0;

	vals[COL_INODE] = e4_out_utoa(num[0], e->ino);
	vals[COL_PATH] = show_path(path, e->path, m, &rc);
	vals[COL_TYPE] = e4_inline_type_name(e->mode);
	vals[COL_SIZE] = e4_out_utoa(num[1], e->size);
	vals[COL_LINKS] = e4_out_utoa(num[2], e->links);
	vals[COL_STATUS] = e4_inline_status_name(e->status);
	if (e->status == E4_INLINE_FAILED) {
		vals[COL_REASON] = scratch_printf(reason, "%s: %s (%s)", e->why,
						  e->detail ?: strerror(-e->error),
						  strerrorname_np(-e->error) ?: "?");
		if (!vals[COL_REASON])
			rc = -ENOMEM;
	} else {
		vals[COL_REASON] = e->why;
	}
	return rc;
}

int inline_print_set(const struct e4_cli *cli, const struct inline_opts *o,
		     const struct e4_inline_set *set, const struct shown *m,
		     const int *defaults, bool list)
{
	static const struct shown none;
	struct scratch path = { 0 }, reason = { 0 };
	const char *vals[COL_REASON + 1];
	char num[3][E4_OUT_NUMLEN];
	struct e4_out out;
	size_t i, shown = 0;
	char msg[128];
	int rc = 0;

	if (e4_out_init(&out, &o->out, inline_colinfo, inline_ncolinfo, defaults,
			"inodes", false, msg, sizeof(msg)))
		return e4_cli_usage_error(cli, "%s", msg);
	/* Rows go out as they are made where the format allows (--raw,
	 * --json): a listing of millions is not held twice. */
	for (i = 0; i < set->n && !rc; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (!listed(e, list))
			continue;
		shown++;
		rc = fill_row(e, m ? m : &none, vals, num, &path, &reason);
		if (!rc)
			rc = e4_out_row(&out, vals);
	}
	/* No inode: no empty table, but still one JSON document. */
	if (!rc && (shown || o->out.json))
		rc = e4_out_print(&out);
	e4_out_free(&out);
	free(path.s);
	free(reason.s);
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
