// SPDX-License-Identifier: GPL-2.0
/*
 * The plan of e4ctl resize as the user sees it: one record of columns,
 * as "Field: value" lines, raw, or one JSON object with the refusals as
 * an array.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "resize_plan.h"

enum {
	COL_DEVICE, COL_MOUNTPOINT, COL_METHOD, COL_BLOCK_SIZE,
	COL_OLD_BLOCKS, COL_NEW_BLOCKS, COL_REQUESTED_BLOCKS,
	COL_ROUNDED_TO_CLUSTER, COL_OLD_SIZE, COL_NEW_SIZE, COL_GROUPS_ADDED,
	COL_OLD_GROUPS, COL_NEW_GROUPS, COL_OLD_DESC_BLOCKS,
	COL_NEW_DESC_BLOCKS, COL_RESERVED_GDT_BLOCKS, COL_RESERVED_GDT_COVERS,
	COL_META_BG_CONVERSION, COL_OLD_INODES, COL_NEW_INODES,
	COL_DEVICE_SIZE, COL_STEPS, COL_STEP_BLOCKS, COL_REFUSALS,
	COL_MIN_BLOCKS, COL_GROUPS_REMOVED, COL_BLOCKS_TO_MOVE,
	COL_INODES_TO_MOVE, COL_META_TO_RELOCATE, COL_EXTENT_BLOCKS,
	COL_FREE_BLOCKS_AFTER, COL_FREE_INODES_AFTER,
};

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_DEVICE] = { "DEVICE", "Device", 0, 0, E4_COL_STR, "block device or image file" },
	[COL_MOUNTPOINT] = { "MOUNTPOINT", "Mount point", 0, 0, E4_COL_STR, "where it is mounted (online resize)" },
	[COL_METHOD] = { "METHOD", "Method", 0, 0, E4_COL_STR, "online RESIZE_FS, online GROUP_ADD (legacy), or offline" },
	[COL_BLOCK_SIZE] = { "BLOCK_SIZE", "Block size", 0, R, E4_COL_NUM, "bytes per block" },
	[COL_OLD_BLOCKS] = { "OLD_BLOCKS", "Current blocks", 0, R, E4_COL_NUM, "block count now" },
	[COL_NEW_BLOCKS] = { "NEW_BLOCKS", "New blocks", 0, R, E4_COL_NUM, "block count after the resize" },
	[COL_REQUESTED_BLOCKS] = { "REQUESTED_BLOCKS", "Requested blocks", 0, R, E4_COL_NUM, "SIZE in blocks, before rounding" },
	[COL_ROUNDED_TO_CLUSTER] = { "ROUNDED_TO_CLUSTER", "Rounded to a cluster", 0, 0, E4_COL_BOOL, "bigalloc: rounded down to a cluster boundary" },
	[COL_OLD_SIZE] = { "OLD_SIZE", "Current size", 0, R, E4_COL_NUM, "bytes now" },
	[COL_NEW_SIZE] = { "NEW_SIZE", "New size", 0, R, E4_COL_NUM, "bytes after the resize" },
	[COL_GROUPS_ADDED] = { "GROUPS_ADDED", "Groups added", 0, R, E4_COL_NUM, "new block groups" },
	[COL_OLD_GROUPS] = { "OLD_GROUPS", "Current groups", 0, R, E4_COL_NUM, "block groups now" },
	[COL_NEW_GROUPS] = { "NEW_GROUPS", "New groups", 0, R, E4_COL_NUM, "block groups after" },
	[COL_OLD_DESC_BLOCKS] = { "OLD_DESC_BLOCKS", "Descriptor blocks now", 0, R, E4_COL_NUM, "group descriptor blocks now" },
	[COL_NEW_DESC_BLOCKS] = { "NEW_DESC_BLOCKS", "Descriptor blocks after", 0, R, E4_COL_NUM, "group descriptor blocks after" },
	[COL_RESERVED_GDT_BLOCKS] = { "RESERVED_GDT_BLOCKS", "Reserved GDT blocks", 0, R, E4_COL_NUM, "blocks reserved for descriptor growth" },
	[COL_RESERVED_GDT_COVERS] = { "RESERVED_GDT_COVERS", "Reserved GDT blocks suffice", 0, 0, E4_COL_BOOL, "the new descriptor blocks fit the reserved ones" },
	[COL_META_BG_CONVERSION] = { "META_BG_CONVERSION", "Converts to meta_bg", 0, 0, E4_COL_BOOL, "the kernel converts to meta_bg, removing resize_inode for good" },
	[COL_OLD_INODES] = { "OLD_INODES", "Inodes now", 0, R, E4_COL_NUM, "inode count now" },
	[COL_NEW_INODES] = { "NEW_INODES", "Inodes after", 0, R, E4_COL_NUM, "inode count after" },
	[COL_DEVICE_SIZE] = { "DEVICE_SIZE", "Device size", 0, R, E4_COL_NUM, "bytes in the device or image file" },
	[COL_STEPS] = { "STEPS", "Steps", 0, R, E4_COL_NUM, "ioctls (online) the growth takes" },
	[COL_STEP_BLOCKS] = { "STEP_BLOCKS", "Step size (blocks)", 0, R, E4_COL_NUM, "blocks per step, flex-group aligned (0: one step)" },
	[COL_REFUSALS] = { "REFUSALS", "Refused because", 0, SCOLS_FL_WRAP, E4_COL_STR, "every reason the resize would be refused" },
	[COL_MIN_BLOCKS] = { "MIN_BLOCKS", "Minimum blocks", 0, R, E4_COL_NUM, "shrink: the smallest block count the filesystem can have" },
	[COL_GROUPS_REMOVED] = { "GROUPS_REMOVED", "Groups removed", 0, R, E4_COL_NUM, "shrink: block groups that go away" },
	[COL_BLOCKS_TO_MOVE] = { "BLOCKS_TO_MOVE", "Blocks to move", 0, R, E4_COL_NUM, "shrink: blocks in use past the new end" },
	[COL_INODES_TO_MOVE] = { "INODES_TO_MOVE", "Inodes to renumber", 0, R, E4_COL_NUM, "shrink: inodes in use in the groups removed" },
	[COL_META_TO_RELOCATE] = { "META_TO_RELOCATE", "Metadata blocks to relocate", 0, R, E4_COL_NUM, "shrink: kept groups' bitmap and inode table blocks past the new end, copied before it" },
	[COL_EXTENT_BLOCKS] = { "EXTENT_BLOCKS", "Extent tree blocks", 0, R, E4_COL_NUM, "shrink: extent tree blocks that splitting the moved files' extents allocates" },
	[COL_FREE_BLOCKS_AFTER] = { "FREE_BLOCKS_AFTER", "Free blocks after", 0, R, E4_COL_NUM, "shrink: free blocks once shrunk" },
	[COL_FREE_INODES_AFTER] = { "FREE_INODES_AFTER", "Free inodes after", 0, R, E4_COL_NUM, "shrink: free inodes once shrunk" },
};
#undef R

static const int defaults[] = {
	COL_DEVICE, COL_MOUNTPOINT, COL_METHOD, COL_BLOCK_SIZE, COL_OLD_BLOCKS,
	COL_NEW_BLOCKS, COL_REQUESTED_BLOCKS, COL_ROUNDED_TO_CLUSTER,
	COL_OLD_SIZE, COL_NEW_SIZE, COL_GROUPS_ADDED, COL_OLD_GROUPS,
	COL_NEW_GROUPS, COL_OLD_DESC_BLOCKS, COL_NEW_DESC_BLOCKS,
	COL_RESERVED_GDT_BLOCKS, COL_RESERVED_GDT_COVERS,
	COL_META_BG_CONVERSION, COL_OLD_INODES, COL_NEW_INODES,
	COL_DEVICE_SIZE, COL_STEPS, COL_STEP_BLOCKS, COL_REFUSALS, -1
};

static const int json_defaults[] = {
	COL_DEVICE, COL_MOUNTPOINT, COL_METHOD, COL_BLOCK_SIZE,
	COL_OLD_BLOCKS, COL_NEW_BLOCKS, COL_REQUESTED_BLOCKS,
	COL_ROUNDED_TO_CLUSTER, COL_OLD_SIZE, COL_NEW_SIZE, COL_GROUPS_ADDED,
	COL_OLD_GROUPS, COL_NEW_GROUPS, COL_OLD_DESC_BLOCKS,
	COL_NEW_DESC_BLOCKS, COL_RESERVED_GDT_BLOCKS, COL_RESERVED_GDT_COVERS,
	COL_META_BG_CONVERSION, COL_OLD_INODES, COL_NEW_INODES,
	COL_DEVICE_SIZE, COL_STEPS, COL_STEP_BLOCKS, COL_MIN_BLOCKS,
	COL_GROUPS_REMOVED, COL_BLOCKS_TO_MOVE, COL_INODES_TO_MOVE,
	COL_META_TO_RELOCATE, COL_EXTENT_BLOCKS, COL_FREE_BLOCKS_AFTER,
	COL_FREE_INODES_AFTER,
	COL_REFUSALS, -1
};

static const int shrink_defaults[] = {
	COL_DEVICE, COL_METHOD, COL_BLOCK_SIZE, COL_OLD_BLOCKS, COL_NEW_BLOCKS,
	COL_REQUESTED_BLOCKS, COL_MIN_BLOCKS, COL_OLD_SIZE, COL_NEW_SIZE,
	COL_OLD_GROUPS, COL_NEW_GROUPS, COL_GROUPS_REMOVED,
	COL_OLD_DESC_BLOCKS, COL_NEW_DESC_BLOCKS, COL_OLD_INODES,
	COL_NEW_INODES, COL_BLOCKS_TO_MOVE, COL_INODES_TO_MOVE,
	COL_META_TO_RELOCATE, COL_EXTENT_BLOCKS, COL_FREE_BLOCKS_AFTER,
	COL_FREE_INODES_AFTER,
	COL_REFUSALS, -1
};

/* "1.5 GiB", for the human record only. */
void e4_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = bytes;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

static void out_bytes(struct e4_out *out, struct libscols_line *ln, int id,
		      uint64_t bytes)
{
	char h[32];

	if (!out->record) {
		e4_out_u64(out, ln, id, bytes);
		return;
	}
	e4_human_size(bytes, h, sizeof(h));
	e4_out_printf(out, ln, id, "%llu (%s)", (unsigned long long)bytes, h);
}

static void fill(struct e4_out *out, const struct e4_target *t,
		 const struct e4_resize_plan *p)
{
	struct libscols_line *ln = e4_out_line(out);
	char refusals[E4_PLAN_MAX_REFUSALS * 260] = "";
	size_t used = 0;
	int i;

	if (!ln)
		return;
	for (i = 0; i < p->nrefusals; i++)
		used += snprintf(refusals + used, sizeof(refusals) - used, "%s%s",
				 i ? "\n" : "", p->refusals[i].msg);
	e4_out_str(out, ln, COL_DEVICE, e4_target_name(t));
	e4_out_str(out, ln, COL_MOUNTPOINT, t->mounted ? t->mountpoint : NULL);
	e4_out_str(out, ln, COL_METHOD, !p->online ? "offline (libext2fs)" :
		   p->legacy ? "online, GROUP_EXTEND + GROUP_ADD (legacy)" :
		   "online, EXT4_IOC_RESIZE_FS");
	e4_out_u64(out, ln, COL_BLOCK_SIZE, p->block_size);
	e4_out_u64(out, ln, COL_OLD_BLOCKS, p->old_blocks);
	e4_out_u64(out, ln, COL_NEW_BLOCKS, p->new_blocks);
	e4_out_u64(out, ln, COL_REQUESTED_BLOCKS, p->requested_blocks);
	e4_out_bool(out, ln, COL_ROUNDED_TO_CLUSTER, p->rounded_to_cluster);
	out_bytes(out, ln, COL_OLD_SIZE, p->old_blocks * p->block_size);
	out_bytes(out, ln, COL_NEW_SIZE, p->new_blocks * p->block_size);
	e4_out_u64(out, ln, COL_GROUPS_ADDED, p->new_groups > p->old_groups ?
		   p->new_groups - p->old_groups : 0);
	e4_out_u64(out, ln, COL_OLD_GROUPS, p->old_groups);
	e4_out_u64(out, ln, COL_NEW_GROUPS, p->new_groups);
	e4_out_u64(out, ln, COL_OLD_DESC_BLOCKS, p->old_desc_blocks);
	e4_out_u64(out, ln, COL_NEW_DESC_BLOCKS, p->new_desc_blocks);
	e4_out_u64(out, ln, COL_RESERVED_GDT_BLOCKS, p->reserved_gdt_blocks);
	e4_out_bool(out, ln, COL_RESERVED_GDT_COVERS, p->reserved_gdt_covers);
	if (out->record && p->meta_bg_conversion)
		e4_out_str(out, ln, COL_META_BG_CONVERSION,
			   "yes: the kernel converts to meta_bg, which removes resize_inode for good");
	else
		e4_out_bool(out, ln, COL_META_BG_CONVERSION, p->meta_bg_conversion);
	e4_out_u64(out, ln, COL_OLD_INODES, p->old_inodes);
	e4_out_u64(out, ln, COL_NEW_INODES, p->new_inodes);
	out_bytes(out, ln, COL_DEVICE_SIZE, p->device_size);
	e4_out_u64(out, ln, COL_STEPS, p->steps);
	e4_out_u64(out, ln, COL_STEP_BLOCKS, p->step_blocks);
	e4_out_u64(out, ln, COL_MIN_BLOCKS, p->min_blocks);
	e4_out_u64(out, ln, COL_GROUPS_REMOVED, p->method == E4_RESIZE_OFFLINE_SHRINK && p->new_groups &&
		   p->new_groups < p->old_groups ? p->old_groups - p->new_groups : 0);
	e4_out_u64(out, ln, COL_BLOCKS_TO_MOVE, p->blocks_to_move);
	e4_out_u64(out, ln, COL_INODES_TO_MOVE, p->inodes_to_move);
	e4_out_u64(out, ln, COL_META_TO_RELOCATE, p->meta_to_relocate);
	e4_out_u64(out, ln, COL_EXTENT_BLOCKS, p->extent_blocks);
	e4_out_u64(out, ln, COL_FREE_BLOCKS_AFTER, p->free_blocks_after);
	e4_out_u64(out, ln, COL_FREE_INODES_AFTER, p->free_inodes_after);
	if (out->record)
		e4_out_str(out, ln, COL_REFUSALS, p->nrefusals ? refusals : "none");
	else
		e4_out_str(out, ln, COL_REFUSALS, refusals);
}

int e4_resize_print_plan(const struct e4_outopts *opts,
			 const struct e4_target *t,
			 const struct e4_resize_plan *p)
{
	struct e4_out out;
	char msg[128];
	size_t i;
	int ret;

	/* JSON has one shape for every plan: every column, grow's and shrink's. */
	ret = e4_out_init(&out, opts, colinfo, ARRAY_SIZE(colinfo),
			  opts->json ? json_defaults :
			  p->method == E4_RESIZE_OFFLINE_SHRINK ? shrink_defaults : defaults,
			  "plan", true, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "e4ctl resize: %s\n", msg);
		return ret;
	}
	/* Refusals are a list in JSON, one per line of the cell; none is []. */
	for (i = 0; opts->json && i < out.ncols; i++)
		if (out.cols[i] == COL_REFUSALS)
			scols_column_set_json_type(scols_table_get_column(out.tb, i),
						   SCOLS_JSON_ARRAY_STRING);
	fill(&out, t, p);
	ret = e4_out_print(&out);
	if (!ret && out.record) {
		if (p->rounded_to_cluster)
			printf("Note: %llu blocks rounded down to %llu, a cluster boundary (bigalloc).\n",
			       (unsigned long long)p->requested_blocks,
			       (unsigned long long)p->new_blocks);
		else if (p->new_blocks < p->requested_blocks && !p->nrefusals)
			printf("Note: a last group too small for its own metadata is left out: %llu blocks, not %llu.\n",
			       (unsigned long long)p->new_blocks,
			       (unsigned long long)p->requested_blocks);
	}
	fflush(stdout);
	e4_out_free(&out);
	return ret;
}

void e4_resize_cli_columns(struct e4_cli *cli, const struct e4_outopts *opts)
{
	e4_cli_columns(cli, opts, colinfo, ARRAY_SIZE(colinfo));
}

static const struct e4_colinfo min_cols[] = {
	{ "DEVICE", "Device", 0, 0, E4_COL_STR, "block device or image file" },
	{ "MIN_BLOCKS", "Minimum blocks", 0, SCOLS_FL_RIGHT, E4_COL_NUM, "smallest block count" },
	{ "BLOCK_SIZE", "Block size", 0, SCOLS_FL_RIGHT, E4_COL_NUM, "bytes per block" },
	{ "MIN_SIZE", "Minimum size", 0, SCOLS_FL_RIGHT, E4_COL_NUM, "smallest size in bytes" },
};

int e4_resize_print_minimum(const struct e4_outopts *opts, bool quiet,
			    const struct e4_target *t, uint32_t block_size,
			    uint64_t min)
{
	static const int min_defaults[] = { 0, 1, 2, 3, -1 };
	const struct e4_outopts jopts = { .json = 1 };
	struct libscols_line *ln;
	struct e4_out out;
	char msg[128], h[32];
	int ret;

	if (!opts->json) {
		e4_human_size(min * block_size, h, sizeof(h));
		if (quiet)
			printf("%llu\n", (unsigned long long)min);
		else
			printf("%s: minimum size: %llu blocks (%s)\n",
			       e4_target_name(t), (unsigned long long)min, h);
		return 0;
	}
	/* {"minimum": [{"device": ..., "min_blocks": N, ...}]} */
	ret = e4_out_init(&out, &jopts, min_cols, ARRAY_SIZE(min_cols),
			  min_defaults, "minimum", false, msg, sizeof(msg));
	if (ret)
		return ret;
	ln = e4_out_line(&out);
	ret = !ln || e4_out_str(&out, ln, 0, e4_target_name(t)) ||
	      e4_out_u64(&out, ln, 1, min) ||
	      e4_out_u64(&out, ln, 2, block_size) ||
	      e4_out_u64(&out, ln, 3, min * block_size) || e4_out_print(&out);
	e4_out_free(&out);
	return ret ? -EIO : 0;
}
