// SPDX-License-Identifier: GPL-2.0
/*
 * How far EXT4_IOC_RESIZE_FS can grow a filesystem: the kernel's checks
 * (ext4_resize_begin, ext4_resize_fs) replayed in user space, so that
 * `info` and the resize plan can say what the kernel will do before it is
 * asked.
 */
#include <stdio.h>
#include <sys/utsname.h>

#include "e4/fs.h"
#include "e4/growth.h"

static uint64_t group_first_block(ext2_filsys fs, uint64_t group)
{
	return fs->super->s_first_data_block +
	       group * (uint64_t)fs->super->s_blocks_per_group;
}

static uint64_t groups_for(ext2_filsys fs, uint64_t blocks)
{
	uint64_t bpg = fs->super->s_blocks_per_group;

	return (blocks - fs->super->s_first_data_block + bpg - 1) / bpg;
}

static uint64_t desc_blocks_for(ext2_filsys fs, uint64_t groups)
{
	uint64_t dpb = EXT2_DESC_PER_BLOCK(fs->super);

	return (groups + dpb - 1) / dpb;
}

/*
 * A filesystem with neither resize_inode nor meta_bg: kernels before 6.10
 * convert it to meta_bg on any online growth; since the commit "ext4:
 * Enable meta_bg only when new desc blocks are needed", only when a
 * descriptor block is added.  The VM tests see both (6.1 converts, 6.12
 * does not).  There is no feature file to ask, so the release decides.
 */
static bool converts_on_any_growth(void)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 10);
}

/*
 * The superblock fields ext4_group_overhead_blocks() reads, as they are
 * when ext4_resize_fs checks the last group of a call to n blocks.
 */
struct kstate {
	bool meta_bg;
	uint64_t first_meta_bg;		/* s_first_meta_bg */
	uint64_t gdb;			/* sbi->s_gdb_count */
	uint64_t reserved;		/* s_reserved_gdt_blocks */
};

/*
 * The kernel converts to meta_bg before it checks the last group: with
 * resize_inode, once it has grown into the last reserved GDT block (then
 * s_first_meta_bg is every descriptor block so far and none is reserved
 * any more); without, on any growth before 6.10 and on one that adds a
 * descriptor block since.  Steps change nothing here: growing within the
 * reserved GDT blocks adds to s_gdb_count what it takes from
 * s_reserved_gdt_blocks, and the conversion depends on the final size.
 */
static void call_state(ext2_filsys fs, uint64_t n, bool kernel_meta_bg_resize,
		       struct kstate *st)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t o_desc = desc_blocks_for(fs, fs->group_desc_count);
	uint64_t n_desc = desc_blocks_for(fs, groups_for(fs, n));

	st->meta_bg = ext2fs_has_feature_meta_bg(sb);
	st->first_meta_bg = sb->s_first_meta_bg;
	st->gdb = o_desc;
	st->reserved = sb->s_reserved_gdt_blocks;
	if (st->meta_bg || !kernel_meta_bg_resize || n <= ext2fs_blocks_count(sb))
		return;
	if (ext2fs_has_feature_resize_inode(sb)) {
		if (n_desc <= o_desc + st->reserved)
			return;
		st->first_meta_bg = o_desc + st->reserved;
	} else {
		if (n_desc <= o_desc && !converts_on_any_growth())
			return;
		st->first_meta_bg = o_desc;
	}
	st->meta_bg = true;
	st->reserved = 0;
}

/*
 * ext4_group_overhead_blocks(): superblock, descriptor and reserved GDT
 * blocks at the start of a group.  The descriptor blocks are
 * ext4_bg_num_gdb(): without meta_bg, or below s_first_meta_bg, the whole
 * table in a group with a superblock backup (s_gdb_count, or
 * s_first_meta_bg blocks under meta_bg); past it, one block in the first,
 * second and last group of each meta group.
 */
static uint64_t group_overhead(ext2_filsys fs, const struct kstate *st,
			       uint64_t group)
{
	uint64_t dpb = EXT2_DESC_PER_BLOCK(fs->super), in_mbg = group % dpb;
	bool super = ext2fs_bg_has_super(fs, group);
	uint64_t n = super ? 1 + st->reserved : 0;

	if (!st->meta_bg)
		return n + (super ? st->gdb : 0);
	if (group / dpb < st->first_meta_bg)
		return n + (super ? st->first_meta_bg : 0);
	return n + (in_mbg == 0 || in_mbg == 1 || in_mbg == dpb - 1);
}

uint64_t e4_growth_trim(ext2_filsys fs, uint64_t n, bool kernel_meta_bg_resize)
{
	uint64_t cur = ext2fs_blocks_count(fs->super), last, start;
	struct kstate st;

	call_state(fs, n, kernel_meta_bg_resize, &st);
	/* ext4_resize_fs: trim, retry; equal returns 0, less is a shrink. */
	while (n > cur) {
		last = groups_for(fs, n) - 1;
		start = group_first_block(fs, last);
		if (start + group_overhead(fs, &st, last) + 2 +
		    fs->inode_blocks_per_group + EXT2FS_CLUSTER_RATIO(fs) < n)
			break;
		n = start;
	}
	return n;
}

void e4_growth_limit(ext2_filsys fs, uint64_t device_blocks,
		     bool kernel_meta_bg_resize, struct e4_growth *g)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t cur = ext2fs_blocks_count(sb), n = device_blocks;
	uint64_t max_groups, o_desc, n_desc, cap;
	bool resize_inode = ext2fs_has_feature_resize_inode(sb);
	bool meta_bg = ext2fs_has_feature_meta_bg(sb);

	g->kernel_meta_bg_resize = kernel_meta_bg_resize;
	g->meta_bg_conversion = false;
	g->limit = E4_GROW_DEVICE;
	g->max_blocks = cur;

	if (ext2fs_has_feature_sparse_super2(sb)) {
		g->limit = E4_GROW_SPARSE_SUPER2;
		snprintf(g->why, sizeof(g->why),
			 "the kernel does not resize sparse_super2 filesystems online");
		return;
	}
	if (resize_inode && meta_bg) {
		g->limit = E4_GROW_FEATURES;
		snprintf(g->why, sizeof(g->why),
			 "resize_inode and meta_bg are both set; the kernel refuses to resize");
		return;
	}
	if (ext2fs_has_feature_bigalloc(sb))
		n &= ~(uint64_t)(EXT2FS_CLUSTER_RATIO(fs) - 1);
	snprintf(g->why, sizeof(g->why),
		 "the device ends at block %llu",
		 (unsigned long long)device_blocks);

	if (!ext2fs_has_feature_64bit(sb) && n > 0xFFFFFFFFULL) {
		n = 0xFFFFFFFFULL & ~(uint64_t)(EXT2FS_CLUSTER_RATIO(fs) - 1);
		g->limit = E4_GROW_32BIT;
		snprintf(g->why, sizeof(g->why),
			 "without the 64bit feature a filesystem has at most 4294967295 blocks");
	}
	/* ext4_resize_fs: n_group >= 0xFFFFFFFF / inodes_per_group fails. */
	max_groups = 0xFFFFFFFFULL / sb->s_inodes_per_group;
	cap = group_first_block(fs, max_groups);
	if (n > cap) {
		n = cap;
		g->limit = E4_GROW_INODES;
		snprintf(g->why, sizeof(g->why),
			 "more groups would push the inode count past 4294967295 (%u inodes per group)",
			 sb->s_inodes_per_group);
	}
	if (n <= cur)
		goto out;

	o_desc = desc_blocks_for(fs, fs->group_desc_count);
	n_desc = desc_blocks_for(fs, groups_for(fs, n));
	if (resize_inode && n_desc > o_desc + sb->s_reserved_gdt_blocks) {
		if (kernel_meta_bg_resize) {
			g->meta_bg_conversion = true;
		} else {
			n = group_first_block(fs, (o_desc + sb->s_reserved_gdt_blocks) *
						  EXT2_DESC_PER_BLOCK(sb));
			g->limit = E4_GROW_RESERVED_GDT;
			snprintf(g->why, sizeof(g->why),
				 "the %u reserved GDT blocks are used up and this kernel cannot convert to meta_bg",
				 sb->s_reserved_gdt_blocks);
		}
	} else if (!resize_inode && !meta_bg) {
		struct kstate st;

		if (kernel_meta_bg_resize) {
			call_state(fs, n, true, &st);
			g->meta_bg_conversion = st.meta_bg;
		} else if (n_desc > o_desc) {
			n = group_first_block(fs, o_desc * EXT2_DESC_PER_BLOCK(sb));
			g->limit = E4_GROW_DESC_BLOCKS;
			snprintf(g->why, sizeof(g->why),
				 "no reserved GDT blocks and this kernel cannot convert to meta_bg");
		}
	}
	n = e4_growth_trim(fs, n, kernel_meta_bg_resize);
out:
	if (n > cur)
		g->max_blocks = n;
	else
		g->meta_bg_conversion = false;	/* no call, no conversion */
	if (n <= cur && g->limit == E4_GROW_DEVICE)
		snprintf(g->why, sizeof(g->why),
			 "the device has no room beyond the filesystem's %llu blocks",
			 (unsigned long long)cur);
}
