// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl groups TARGET: the group descriptor table, one row per group, read
 * from a snapshot of lib/gdt.c (the same one the scanner and a resize
 * progress display read).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "e4/fs.h"
#include "e4/gdt.h"
#include "e4/target.h"

enum {
	COL_GROUP, COL_START, COL_END, COL_FLAGS, COL_BBITMAP, COL_IBITMAP,
	COL_ITABLE, COL_FREE_BLOCKS, COL_FREE_INODES, COL_USED_DIRS,
	COL_ITABLE_UNUSED, COL_CSUM, COL_BACKUP, COL_CHECKSUM,
	COL_BBITMAP_CSUM, COL_IBITMAP_CSUM,
};

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_GROUP] = { "GROUP", "Group", 0, R, E4_COL_NUM, "group number" },
	[COL_START] = { "START", "First block", 0, R, E4_COL_NUM, "first block of the group" },
	[COL_END] = { "END", "Last block", 0, R, E4_COL_NUM, "last block of the group" },
	[COL_FLAGS] = { "FLAGS", "Flags", 0, 0, E4_COL_STR, "INODE_UNINIT, BLOCK_UNINIT, ITABLE_ZEROED (with group checksums only), or -" },
	[COL_BBITMAP] = { "BBITMAP", "Block bitmap", 0, R, E4_COL_NUM, "block bitmap location" },
	[COL_IBITMAP] = { "IBITMAP", "Inode bitmap", 0, R, E4_COL_NUM, "inode bitmap location" },
	[COL_ITABLE] = { "ITABLE", "Inode table", 0, R, E4_COL_NUM, "first block of the inode table" },
	[COL_FREE_BLOCKS] = { "FREE_BLOCKS", "Free blocks", 0, R, E4_COL_NUM, "free blocks (clusters with bigalloc) per the descriptor" },
	[COL_FREE_INODES] = { "FREE_INODES", "Free inodes", 0, R, E4_COL_NUM, "free inodes per the descriptor" },
	[COL_USED_DIRS] = { "USED_DIRS", "Directories", 0, R, E4_COL_NUM, "directories per the descriptor" },
	[COL_ITABLE_UNUSED] = { "ITABLE_UNUSED", "Unused inodes", 0, R, E4_COL_NUM, "never-used inodes at the end of the inode table" },
	[COL_CSUM] = { "CSUM", "Checksum", 0, 0, E4_COL_STR, "descriptor checksum: ok, bad, or none (no gdt_csum/metadata_csum)" },
	[COL_BACKUP] = { "BACKUP", "Copies", 0, 0, E4_COL_STR, "superblock and descriptor copies held: sb, gdt, sb,gdt or -" },
	[COL_CHECKSUM] = { "CHECKSUM", "Stored checksum", 0, R, E4_COL_STR, "descriptor checksum as stored (hex)" },
	[COL_BBITMAP_CSUM] = { "BBITMAP_CSUM", "Block bitmap checksum", 0, R, E4_COL_STR, "block bitmap checksum as stored (hex, metadata_csum)" },
	[COL_IBITMAP_CSUM] = { "IBITMAP_CSUM", "Inode bitmap checksum", 0, R, E4_COL_STR, "inode bitmap checksum as stored (hex, metadata_csum)" },
};
#undef R

static const int defaults[] = {
	COL_GROUP, COL_START, COL_END, COL_FLAGS, COL_BBITMAP, COL_IBITMAP,
	COL_ITABLE, COL_FREE_BLOCKS, COL_FREE_INODES, COL_USED_DIRS,
	COL_ITABLE_UNUSED, COL_CSUM, COL_BACKUP, -1
};

struct groups_opts {
	struct e4_outopts out;
	char *groups;		/* N or A-B */
};

/* "N" or "A-B" into [*first, *last]; -EINVAL when malformed. */
static int parse_range(const char *s, uint32_t *first, uint32_t *last)
{
	unsigned long long a, b;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	a = strtoull(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		b = strtoull(end + 1, &end, 10);
	}
	if (errno || *end || a > b || b > UINT32_MAX)
		return -EINVAL;
	*first = a;
	*last = b;
	return 0;
}

static const char *csum_name(unsigned int c)
{
	return c == E4_GDT_CSUM_OK ? "ok" : c == E4_GDT_CSUM_BAD ? "bad" : "none";
}

static void flags_str(uint16_t flags, char *buf, size_t len)
{
	static const struct { uint16_t bit; const char *name; } names[] = {
		{ EXT2_BG_INODE_UNINIT, "INODE_UNINIT" },
		{ EXT2_BG_BLOCK_UNINIT, "BLOCK_UNINIT" },
		{ EXT2_BG_INODE_ZEROED, "ITABLE_ZEROED" },
	};
	size_t i, used = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & names[i].bit)
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", names[i].name);
}

static int fill(struct e4_out *out, const struct e4_gdt *gdt, uint32_t first,
		uint32_t last)
{
	uint32_t i;

	for (i = first; i <= last; i++) {
		const struct e4_gdt_group *g = &gdt->groups[i];
		struct libscols_line *ln = e4_out_line(out);
		char flags[64];
		int rc;

		if (!ln)
			return -ENOMEM;
		/* As dumpe2fs: without group checksums the flags mean nothing. */
		flags_str(gdt->gdt_csum ? g->flags : 0, flags, sizeof(flags));
		rc = e4_out_u64(out, ln, COL_GROUP, i) ?:
		     e4_out_u64(out, ln, COL_START, g->start) ?:
		     e4_out_u64(out, ln, COL_END, g->end) ?:
		     e4_out_str(out, ln, COL_FLAGS, flags) ?:
		     e4_out_u64(out, ln, COL_BBITMAP, g->block_bitmap) ?:
		     e4_out_u64(out, ln, COL_IBITMAP, g->inode_bitmap) ?:
		     e4_out_u64(out, ln, COL_ITABLE, g->inode_table) ?:
		     e4_out_u64(out, ln, COL_FREE_BLOCKS, g->free_blocks) ?:
		     e4_out_u64(out, ln, COL_FREE_INODES, g->free_inodes) ?:
		     e4_out_u64(out, ln, COL_USED_DIRS, g->used_dirs) ?:
		     e4_out_u64(out, ln, COL_ITABLE_UNUSED, g->itable_unused) ?:
		     e4_out_str(out, ln, COL_CSUM, csum_name(g->csum)) ?:
		     e4_out_str(out, ln, COL_BACKUP,
				g->has_super && g->has_gdt ? "sb,gdt" :
				g->has_super ? "sb" : g->has_gdt ? "gdt" : "-") ?:
		     e4_out_printf(out, ln, COL_CHECKSUM, "0x%04x", g->checksum) ?:
		     e4_out_printf(out, ln, COL_BBITMAP_CSUM, "0x%08x",
				   g->block_bitmap_csum) ?:
		     e4_out_printf(out, ln, COL_IBITMAP_CSUM, "0x%08x",
				   g->inode_bitmap_csum);
		if (rc)
			return rc;
	}
	return 0;
}

int cmd_groups(struct e4_cli *cli)
{
	struct groups_opts o = { 0 };
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o.out),
		{ "groups", 'g', POPT_ARG_STRING, &o.groups, 0,
		  "only group N, or groups A to B", "N|A-B" },
		POPT_TABLEEND
	};
	struct e4_gdt_table *tab = NULL;
	struct e4_target *t = NULL;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	const struct e4_gdt *gdt;
	uint32_t first = 0, last = UINT32_MAX;
	struct e4_out out = { 0 };
	char msg[128];
	int rc;

	e4_cli_columns(cli, &o.out, colinfo, ARRAY_SIZE(colinfo));
	rc = e4_cli_parse(cli, opts);
	if (rc)
		goto out;
	if (o.groups && parse_range(o.groups, &first, &last)) {
		rc = e4_cli_usage_error(cli, "invalid group range '%s' (N or A-B)",
					o.groups);
		goto out;
	}
	if (e4_out_init(&out, &o.out, colinfo, ARRAY_SIZE(colinfo), defaults,
			"groups", false, msg, sizeof(msg))) {
		rc = e4_cli_usage_error(cli, "%s", msg);
		goto out;
	}

	rc = e4_target_resolve(cli->args[0], &t, &err);
	if (!rc)
		rc = e4_fs_open(t, 0, &fs, &err);
	if (!rc)
		rc = e4_gdt_open(fs, &tab, &err);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}

	e4_gdt_thread_register();
	e4_gdt_read_lock();
	gdt = e4_gdt_current(tab);
	if (o.groups && first >= gdt->group_count) {
		e4_err_set(&err, -ERANGE, "%s: no group %u: the filesystem has %u groups",
			   e4_target_name(t), first, gdt->group_count);
		rc = -ERANGE;
	} else {
		if (last >= gdt->group_count)
			last = gdt->group_count - 1;
		rc = fill(&out, gdt, first, last);
		if (rc)
			e4_err_sys(&err, rc, "while building the table");
	}
	e4_gdt_read_unlock();
	e4_gdt_thread_unregister();
	if (rc)
		rc = e4_cli_error(cli, &err);
	else if (e4_out_print(&out))
		rc = e4_cli_fail(cli);
out:
	e4_out_free(&out);
	e4_gdt_close(tab);
	e4_fs_close(fs);
	e4_target_free(t);
	/* popt hands string arguments over to us. */
	free(o.out.columns);
	free(o.groups);
	return rc;
}
