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
 * The kernel refuses to leave a last group too small to hold its own
 * metadata: it trims the new size back to that group's start.
 */
static uint64_t trim_last_group(ext2_filsys fs, uint64_t n, uint64_t o_desc,
				uint64_t n_desc)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t last = groups_for(fs, n) - 1;
	uint64_t overhead = 0;

	if (ext2fs_bg_has_super(fs, last)) {
		overhead = 1 + sb->s_reserved_gdt_blocks;
		if (!ext2fs_has_feature_meta_bg(sb))
			overhead += o_desc > n_desc ? o_desc : n_desc;
	}
	if (ext2fs_has_feature_meta_bg(sb)) {
		uint64_t dpb = EXT2_DESC_PER_BLOCK(sb), in_mbg = last % dpb;

		if (last / dpb >= sb->s_first_meta_bg &&
		    (in_mbg == 0 || in_mbg == 1 || in_mbg == dpb - 1))
			overhead += 1;
	}
	if (group_first_block(fs, last) + overhead + 2 +
	    fs->inode_blocks_per_group + EXT2FS_CLUSTER_RATIO(fs) >= n)
		return group_first_block(fs, last);
	return n;
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
		if (kernel_meta_bg_resize) {
			g->meta_bg_conversion = n_desc > o_desc ||
						converts_on_any_growth();
		} else if (n_desc > o_desc) {
			n = group_first_block(fs, o_desc * EXT2_DESC_PER_BLOCK(sb));
			g->limit = E4_GROW_DESC_BLOCKS;
			snprintf(g->why, sizeof(g->why),
				 "no reserved GDT blocks and this kernel cannot convert to meta_bg");
		}
	}
	for (;;) {
		uint64_t t;

		if (n <= cur)
			break;
		t = trim_last_group(fs, n, o_desc, desc_blocks_for(fs, groups_for(fs, n)));
		if (t == n)
			break;
		n = t;
	}
out:
	if (n > cur)
		g->max_blocks = n;
	else if (g->limit == E4_GROW_DEVICE)
		snprintf(g->why, sizeof(g->why),
			 "the device has no room beyond the filesystem's %llu blocks",
			 (unsigned long long)cur);
}
