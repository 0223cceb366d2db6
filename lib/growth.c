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
#include "e4/geom.h"
#include "e4/growth.h"

/*
 * A filesystem with neither resize_inode nor meta_bg: kernels before 6.10
 * convert it to meta_bg on any online growth; since the commit "ext4:
 * Enable meta_bg only when new desc blocks are needed", only when a
 * descriptor block is added.  The VM tests see both (6.1 converts, 6.12
 * does not).  There is no feature file to ask, so the release decides.
 */
bool e4_kernel_converts_on_any_growth(void)
{
	unsigned int major = 0, minor = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 6 || (major == 6 && minor < 10);
}

uint64_t e4_growth_trim(ext2_filsys fs, uint64_t n, bool kernel_meta_bg_resize)
{
	struct e4_geom g;

	e4_geom_from_fs(fs, &g);
	return e4_geom_kernel_trim(&g, n, kernel_meta_bg_resize,
				   e4_kernel_converts_on_any_growth());
}

void e4_growth_limit(ext2_filsys fs, uint64_t device_blocks,
		     bool kernel_meta_bg_resize, struct e4_growth *g)
{
	struct e4_geom geom;

	e4_geom_from_fs(fs, &geom);
	e4_growth_limit_geom(&geom, device_blocks, kernel_meta_bg_resize,
			     e4_kernel_converts_on_any_growth(), g);
}

void e4_growth_limit_geom(const struct e4_geom *geom, uint64_t device_blocks,
			  bool kernel_meta_bg_resize, bool converts_any,
			  struct e4_growth *g)
{
	uint64_t cur = geom->blocks, n = device_blocks;
	uint64_t max_groups, o_desc, n_desc, cap;
	bool resize_inode = geom->resize_inode;
	bool meta_bg = geom->meta_bg;

	g->kernel_meta_bg_resize = kernel_meta_bg_resize;
	g->meta_bg_conversion = false;
	g->limit = E4_GROW_DEVICE;
	g->max_blocks = cur;

	if (geom->sparse_super2) {
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
	if (geom->bigalloc)
		n &= ~(uint64_t)(geom->cluster_ratio - 1);
	snprintf(g->why, sizeof(g->why),
		 "the device ends at block %llu",
		 (unsigned long long)device_blocks);

	if (!geom->is_64bit && n > 0xFFFFFFFFULL) {
		n = 0xFFFFFFFFULL & ~(uint64_t)(geom->cluster_ratio - 1);
		g->limit = E4_GROW_32BIT;
		snprintf(g->why, sizeof(g->why),
			 "without the 64bit feature a filesystem has at most 4294967295 blocks");
	}
	/* ext4_resize_fs: n_group >= 0xFFFFFFFF / inodes_per_group fails. */
	max_groups = 0xFFFFFFFFULL / geom->inodes_per_group;
	cap = e4_geom_group_start(geom, max_groups);
	if (n > cap) {
		n = cap;
		g->limit = E4_GROW_INODES;
		snprintf(g->why, sizeof(g->why),
			 "more groups would push the inode count past 4294967295 (%u inodes per group)",
			 geom->inodes_per_group);
	}
	if (n <= cur)
		goto out;

	o_desc = geom->desc_blocks;
	n_desc = e4_geom_desc_blocks(geom, e4_geom_groups(geom, n));
	if (resize_inode && n_desc > o_desc + geom->reserved_gdt_blocks) {
		if (kernel_meta_bg_resize) {
			g->meta_bg_conversion = true;
		} else {
			n = e4_geom_group_start(geom, (o_desc + geom->reserved_gdt_blocks) *
						  geom->desc_per_block);
			g->limit = E4_GROW_RESERVED_GDT;
			snprintf(g->why, sizeof(g->why),
				 "the %u reserved GDT blocks are used up and this kernel cannot convert to meta_bg",
				 geom->reserved_gdt_blocks);
		}
	} else if (!resize_inode && !meta_bg) {
		struct e4_geom_gdt st;

		if (kernel_meta_bg_resize) {
			e4_geom_kernel_gdt(geom, n, true, converts_any, &st);
			g->meta_bg_conversion = st.meta_bg;
		} else if (n_desc > o_desc) {
			n = e4_geom_group_start(geom, o_desc * geom->desc_per_block);
			g->limit = E4_GROW_DESC_BLOCKS;
			snprintf(g->why, sizeof(g->why),
				 "no reserved GDT blocks and this kernel cannot convert to meta_bg");
		}
	}
	n = e4_geom_kernel_trim(geom, n, kernel_meta_bg_resize, converts_any);
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
