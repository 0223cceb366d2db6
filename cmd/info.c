// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl info TARGET: geometry, features, and how far the running kernel
 * could grow the filesystem online.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "e4/fs.h"
#include "e4/shrink.h"
#include "e4/target.h"

enum {
	COL_DEVICE, COL_IMAGE, COL_MOUNTPOINT, COL_MOUNTED, COL_READONLY,
	COL_FSTYPE, COL_UUID, COL_LABEL, COL_STATE, COL_FEATURES,
	COL_BLOCK_SIZE, COL_CLUSTER_SIZE, COL_BLOCK_COUNT, COL_FREE_BLOCKS,
	COL_RESERVED_BLOCKS, COL_INODE_COUNT, COL_FREE_INODES,
	COL_FIRST_DATA_BLOCK, COL_GROUP_COUNT, COL_BLOCKS_PER_GROUP,
	COL_INODES_PER_GROUP, COL_INODE_SIZE, COL_FLEX_BG_SIZE, COL_DESC_SIZE,
	COL_DESC_BLOCKS, COL_RESERVED_GDT_BLOCKS, COL_DEVICE_SIZE,
	COL_DEVICE_BLOCKS, COL_ONLINE_MAX_BLOCKS, COL_ONLINE_MAX_SIZE,
	COL_ONLINE_LIMIT, COL_META_BG_CONVERSION, COL_MIN_BLOCKS,
};

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_DEVICE] = { "DEVICE", "Device", 0, 0, E4_COL_STR, "block device or image file opened" },
	[COL_IMAGE] = { "IMAGE", "Image file", 0, 0, E4_COL_STR, "image file, when the filesystem lives in one" },
	[COL_MOUNTPOINT] = { "MOUNTPOINT", "Mount point", 0, 0, E4_COL_STR, "where it is mounted" },
	[COL_MOUNTED] = { "MOUNTED", "Mounted", 0, 0, E4_COL_BOOL, "whether it is mounted" },
	[COL_READONLY] = { "READONLY", "Mounted read-only", 0, 0, E4_COL_BOOL, "whether it is mounted read-only" },
	[COL_FSTYPE] = { "FSTYPE", "Filesystem type", 0, 0, E4_COL_STR, "ext2, ext3 or ext4 (libblkid)" },
	[COL_UUID] = { "UUID", "UUID", 36, 0, E4_COL_STR, "filesystem UUID" },
	[COL_LABEL] = { "LABEL", "Label", 0, 0, E4_COL_STR, "volume label" },
	[COL_STATE] = { "STATE", "Filesystem state", 0, 0, E4_COL_STR, "clean / not clean, with errors" },
	[COL_FEATURES] = { "FEATURES", "Features", 0, SCOLS_FL_WRAP, E4_COL_STR, "feature names (libe2p)" },
	[COL_BLOCK_SIZE] = { "BLOCK_SIZE", "Block size", 0, R, E4_COL_NUM, "bytes per block" },
	[COL_CLUSTER_SIZE] = { "CLUSTER_SIZE", "Cluster size", 0, R, E4_COL_NUM, "bytes per allocation cluster" },
	[COL_BLOCK_COUNT] = { "BLOCK_COUNT", "Block count", 0, R, E4_COL_NUM, "blocks in the filesystem" },
	[COL_FREE_BLOCKS] = { "FREE_BLOCKS", "Free blocks", 0, R, E4_COL_NUM, "free blocks (on disk)" },
	[COL_RESERVED_BLOCKS] = { "RESERVED_BLOCKS", "Reserved block count", 0, R, E4_COL_NUM, "blocks reserved for root" },
	[COL_INODE_COUNT] = { "INODE_COUNT", "Inode count", 0, R, E4_COL_NUM, "inodes in the filesystem" },
	[COL_FREE_INODES] = { "FREE_INODES", "Free inodes", 0, R, E4_COL_NUM, "free inodes (on disk)" },
	[COL_FIRST_DATA_BLOCK] = { "FIRST_DATA_BLOCK", "First block", 0, R, E4_COL_NUM, "first data block" },
	[COL_GROUP_COUNT] = { "GROUP_COUNT", "Group count", 0, R, E4_COL_NUM, "block groups" },
	[COL_BLOCKS_PER_GROUP] = { "BLOCKS_PER_GROUP", "Blocks per group", 0, R, E4_COL_NUM, "blocks per group" },
	[COL_INODES_PER_GROUP] = { "INODES_PER_GROUP", "Inodes per group", 0, R, E4_COL_NUM, "inodes per group" },
	[COL_INODE_SIZE] = { "INODE_SIZE", "Inode size", 0, R, E4_COL_NUM, "bytes per inode" },
	[COL_FLEX_BG_SIZE] = { "FLEX_BG_SIZE", "Flex block group size", 0, R, E4_COL_NUM, "groups per flex group (0: no flex_bg)" },
	[COL_DESC_SIZE] = { "DESC_SIZE", "Group descriptor size", 0, R, E4_COL_NUM, "bytes per group descriptor" },
	[COL_DESC_BLOCKS] = { "DESC_BLOCKS", "Descriptor blocks", 0, R, E4_COL_NUM, "blocks of group descriptors" },
	[COL_RESERVED_GDT_BLOCKS] = { "RESERVED_GDT_BLOCKS", "Reserved GDT blocks", 0, R, E4_COL_NUM, "blocks reserved for descriptor growth" },
	[COL_DEVICE_SIZE] = { "DEVICE_SIZE", "Device size", 0, R, E4_COL_NUM, "bytes in the device or image file" },
	[COL_DEVICE_BLOCKS] = { "DEVICE_BLOCKS", "Device blocks", 0, R, E4_COL_NUM, "device size in filesystem blocks" },
	[COL_ONLINE_MAX_BLOCKS] = { "ONLINE_MAX_BLOCKS", "Online growth limit", 0, R, E4_COL_NUM, "largest block count EXT4_IOC_RESIZE_FS can reach now" },
	[COL_ONLINE_MAX_SIZE] = { "ONLINE_MAX_SIZE", "Online growth limit size", 0, R, E4_COL_NUM, "the same in bytes" },
	[COL_ONLINE_LIMIT] = { "ONLINE_LIMIT", "Online growth limited by", 0, SCOLS_FL_WRAP, E4_COL_STR, "what stops further online growth" },
	[COL_META_BG_CONVERSION] = { "META_BG_CONVERSION", "Growth converts to meta_bg", 0, 0, E4_COL_BOOL, "growing to the limit converts the filesystem to meta_bg" },
	[COL_MIN_BLOCKS] = { "MIN_BLOCKS", "Minimum blocks (shrink)", 0, R, E4_COL_NUM, "smallest block count an offline shrink reaches (reads every bitmap, so not shown by default)" },
};
#undef R

static const int defaults[] = {
	COL_DEVICE, COL_IMAGE, COL_MOUNTPOINT, COL_FSTYPE, COL_UUID, COL_LABEL,
	COL_STATE, COL_FEATURES, COL_BLOCK_SIZE, COL_CLUSTER_SIZE,
	COL_BLOCK_COUNT, COL_FREE_BLOCKS, COL_RESERVED_BLOCKS, COL_INODE_COUNT,
	COL_FREE_INODES, COL_FIRST_DATA_BLOCK, COL_GROUP_COUNT,
	COL_BLOCKS_PER_GROUP, COL_INODES_PER_GROUP, COL_INODE_SIZE,
	COL_FLEX_BG_SIZE, COL_DESC_SIZE, COL_DESC_BLOCKS,
	COL_RESERVED_GDT_BLOCKS, COL_DEVICE_SIZE, COL_ONLINE_MAX_BLOCKS,
	COL_ONLINE_LIMIT, COL_META_BG_CONVERSION, -1
};

struct info_opts {
	struct e4_outopts out;
	char *sysroot;
};

static int fill(struct e4_out *out, const struct e4_target *t,
		const struct e4_info *in, uint64_t min_blocks)
{
	struct libscols_line *ln = e4_out_line(out);
	const struct e4_growth *g = &in->growth;
	char mp[4200];

	if (!ln)
		return -1;
	if (t->mounted)
		snprintf(mp, sizeof(mp), "%s (%s%s)", t->mountpoint,
			 t->readonly ? "read-only" : "read-write",
			 t->nmounts > 1 ? ", and elsewhere" : "");
	e4_out_str(out, ln, COL_DEVICE, t->device);
	e4_out_str(out, ln, COL_IMAGE, t->image);
	if (out->record)
		e4_out_str(out, ln, COL_MOUNTPOINT, t->mounted ? mp : "not mounted");
	else
		e4_out_str(out, ln, COL_MOUNTPOINT, t->mountpoint);
	e4_out_bool(out, ln, COL_MOUNTED, t->mounted);
	e4_out_bool(out, ln, COL_READONLY, t->readonly);
	e4_out_str(out, ln, COL_FSTYPE, t->fstype);
	e4_out_str(out, ln, COL_UUID, in->uuid);
	e4_out_str(out, ln, COL_LABEL, in->label[0] ? in->label : NULL);
	e4_out_str(out, ln, COL_STATE, in->state);
	e4_out_str(out, ln, COL_FEATURES, in->features);
	e4_out_u64(out, ln, COL_BLOCK_SIZE, in->block_size);
	e4_out_u64(out, ln, COL_CLUSTER_SIZE, in->cluster_size);
	e4_out_u64(out, ln, COL_BLOCK_COUNT, in->block_count);
	e4_out_u64(out, ln, COL_FREE_BLOCKS, in->free_blocks);
	e4_out_u64(out, ln, COL_RESERVED_BLOCKS, in->reserved_blocks);
	e4_out_u64(out, ln, COL_INODE_COUNT, in->inode_count);
	e4_out_u64(out, ln, COL_FREE_INODES, in->free_inodes);
	e4_out_u64(out, ln, COL_FIRST_DATA_BLOCK, in->first_data_block);
	e4_out_u64(out, ln, COL_GROUP_COUNT, in->group_count);
	e4_out_u64(out, ln, COL_BLOCKS_PER_GROUP, in->blocks_per_group);
	e4_out_u64(out, ln, COL_INODES_PER_GROUP, in->inodes_per_group);
	e4_out_u64(out, ln, COL_INODE_SIZE, in->inode_size);
	e4_out_u64(out, ln, COL_FLEX_BG_SIZE,
		   strstr(in->features, "flex_bg") ? 1U << in->log_groups_per_flex : 0);
	e4_out_u64(out, ln, COL_DESC_SIZE, in->desc_size);
	e4_out_u64(out, ln, COL_DESC_BLOCKS, in->desc_blocks);
	e4_out_u64(out, ln, COL_RESERVED_GDT_BLOCKS, in->reserved_gdt_blocks);
	e4_out_u64(out, ln, COL_DEVICE_SIZE, in->device_size);
	e4_out_u64(out, ln, COL_DEVICE_BLOCKS, in->device_size / in->block_size);
	e4_out_u64(out, ln, COL_ONLINE_MAX_BLOCKS, g->max_blocks);
	e4_out_u64(out, ln, COL_ONLINE_MAX_SIZE, g->max_blocks * in->block_size);
	if (out->record && !t->mounted)
		e4_out_printf(out, ln, COL_ONLINE_LIMIT, "%s (applies once mounted)",
			      g->why);
	else
		e4_out_str(out, ln, COL_ONLINE_LIMIT, g->why);
	e4_out_bool(out, ln, COL_META_BG_CONVERSION, g->meta_bg_conversion);
	if (min_blocks)
		e4_out_u64(out, ln, COL_MIN_BLOCKS, min_blocks);
	else
		e4_out_str(out, ln, COL_MIN_BLOCKS, NULL);
	return 0;
}

int cmd_info(struct e4_cli *cli)
{
	struct info_opts o = { 0 };
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o.out),
		E4_SYSROOT_OPTION(&o.sysroot),
		POPT_TABLEEND
	};
	struct e4_target *t = NULL;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	struct e4_info info;
	struct e4_out out;
	uint64_t min = 0;
	char msg[128];
	size_t i;
	int rc;

	e4_cli_columns(cli, &o.out, colinfo, ARRAY_SIZE(colinfo));
	rc = e4_cli_parse(cli, opts);
	if (rc)
		return rc;
	if (e4_out_init(&out, &o.out, colinfo, ARRAY_SIZE(colinfo), defaults,
			"filesystems", true, msg, sizeof(msg)))
		return e4_cli_usage_error(cli, "%s", msg);

	rc = e4_target_resolve(cli->args[0], &t, &err);
	if (!rc)
		rc = e4_fs_open(t, 0, &fs, &err);
	if (!rc)
		rc = e4_fs_info(fs, o.sysroot, &info, &err);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	/* Only when asked for: the plan behind it reads every bitmap. */
	for (i = 0; i < out.ncols; i++)
		if (out.cols[i] == COL_MIN_BLOCKS && e4_shrink_minimum(fs, &min, &err))
			e4_cli_warn(cli, "%s", err.msg);
	if (fill(&out, t, &info, min) || e4_out_print(&out))
		rc = e4_cli_fail(cli);
out:
	e4_out_free(&out);
	e4_fs_close(fs);
	e4_target_free(t);
	return rc;
}
