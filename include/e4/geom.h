/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_GEOM_H
#define E4_GEOM_H

#include <stdbool.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

/*
 * Block group geometry: the one place where block counts become group
 * counts, descriptor blocks, backup groups and per-group overhead.  Every
 * function is pure over a struct e4_geom, a copy of the superblock fields
 * that matter, so plans built from it need no open filesystem and can be
 * unit tested from a table.
 */
struct e4_geom {
	uint32_t block_size;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inode_blocks_per_group;
	uint32_t desc_per_block;
	uint32_t cluster_ratio;		/* blocks per cluster (1 without bigalloc) */
	uint32_t reserved_gdt_blocks;	/* s_reserved_gdt_blocks */
	uint32_t first_meta_bg;		/* s_first_meta_bg */
	uint32_t log_groups_per_flex;
	uint32_t backup_bgs[2];		/* sparse_super2 */
	uint64_t blocks;		/* s_blocks_count */
	uint64_t r_blocks;		/* s_r_blocks_count */
	uint32_t groups;		/* of blocks */
	uint64_t desc_blocks;		/* of groups */
	uint64_t inodes;		/* s_inodes_count */
	bool sparse_super, sparse_super2, meta_bg, resize_inode, bigalloc;
	bool is_64bit, flex_bg;
};

/* Fill g from a superblock (host byte order, as libext2fs keeps it). */
void e4_geom_from_super(struct ext2_super_block *sb, struct e4_geom *g);
void e4_geom_from_fs(ext2_filsys fs, struct e4_geom *g);

/* Groups that blocks blocks make; 0 when blocks <= first_data_block. */
uint64_t e4_geom_groups(const struct e4_geom *g, uint64_t blocks);
/* The first block of group. */
uint64_t e4_geom_group_start(const struct e4_geom *g, uint64_t group);
/* Descriptor blocks for groups groups. */
uint64_t e4_geom_desc_blocks(const struct e4_geom *g, uint64_t groups);
/* Blocks in a flex group (a group without flex_bg). */
uint64_t e4_geom_flex_blocks(const struct e4_geom *g);

/*
 * Whether group holds a superblock (primary or backup), as
 * ext2fs_bg_has_super: group 0 always; sparse_super2: the two backup
 * groups; sparse_super: 1 and the powers of 3, 5 and 7; else every group.
 */
bool e4_geom_has_super(const struct e4_geom *g, uint64_t group);

/*
 * The descriptor layout a group's overhead depends on: meta_bg or not,
 * where meta_bg starts, how many descriptor blocks a backup group holds
 * outside meta_bg (gdb) and how many reserved GDT blocks follow them.
 */
struct e4_geom_gdt {
	bool meta_bg;
	uint64_t first_meta_bg;
	uint64_t gdb;
	uint64_t reserved;
};

/* The layout as the superblock in g has it now. */
void e4_geom_gdt_now(const struct e4_geom *g, struct e4_geom_gdt *d);

/*
 * Superblock, descriptor and reserved GDT blocks at the start of group
 * (ext4_group_overhead_blocks): a backup group outside meta_bg holds the
 * whole table; past first_meta_bg the first, second and last group of a
 * meta group hold one descriptor block each.  has_super is the group's
 * superblock, decided by the caller (sparse_super2 backups move on grow).
 */
uint64_t e4_geom_group_overhead(const struct e4_geom *g,
				const struct e4_geom_gdt *d, uint64_t group,
				bool has_super);

/*
 * Where EXT4_IOC_RESIZE_FS to n blocks really ends: ext4_resize_fs drops
 * a last group too small for its own metadata, again and again, judging
 * the metadata by the superblock as it is once the kernel has converted
 * to meta_bg (when that call converts).  n is already rounded down to a
 * cluster.  The result is n, the start of a group, the current size (the
 * kernel answers 0 and grows nothing), or less than the current size when
 * the filesystem's own last group is under the kernel's minimum (the
 * kernel then takes the call for a shrink: EINVAL).
 * kernel_meta_bg_resize: /sys/fs/ext4/features/meta_bg_resize;
 * converts_any: the kernel (before 6.10) converts a filesystem without
 * resize_inode and meta_bg to meta_bg on any growth.
 */
uint64_t e4_geom_kernel_trim(const struct e4_geom *g, uint64_t n,
			     bool kernel_meta_bg_resize, bool converts_any);

/*
 * The descriptor layout the kernel has when it checks the last group of
 * a call to n blocks (it converts to meta_bg first, when it converts).
 */
void e4_geom_kernel_gdt(const struct e4_geom *g, uint64_t n,
			bool kernel_meta_bg_resize, bool converts_any,
			struct e4_geom_gdt *d);

/*
 * The filesystem after an offline grow to blocks blocks: descriptor
 * blocks come out of the reserved GDT blocks while they last, then the
 * filesystem converts to meta_bg where they end; sparse_super2 backups
 * move as the group count grows.
 */
struct e4_geom_layout {
	uint64_t blocks;
	uint32_t groups;
	uint64_t desc_blocks;
	uint32_t reserved_gdt;		/* s_reserved_gdt_blocks after */
	bool meta_bg;			/* after (set or converted) */
	bool to_meta_bg;		/* this grow converts */
	uint32_t first_meta_bg;
	uint32_t backup_bgs[2];		/* sparse_super2 */
	/*
	 * Old groups whose sparse_super2 backup goes away (its superblock
	 * and descriptor blocks freed, a meta_bg descriptor copy moved to
	 * the group's first block), and whether an old group would gain
	 * one, which nothing can make room for.
	 */
	uint32_t dropped[2];
	int ndropped;
	bool gains_backup;
	uint64_t inodes;
};

void e4_geom_layout(const struct e4_geom *g, uint64_t blocks,
		    struct e4_geom_layout *l);
/* Whether group holds a superblock once the grow to l is done. */
bool e4_geom_layout_has_super(const struct e4_geom *g,
			      const struct e4_geom_layout *l, uint64_t group);
/* Blocks group needs for its own metadata (bitmaps and inode table too). */
uint64_t e4_geom_layout_overhead(const struct e4_geom *g,
				 const struct e4_geom_layout *l, uint64_t group);
/*
 * The size an offline grow to n blocks ends at: a new last group smaller
 * than its metadata plus slack blocks is left out (as resize2fs does),
 * with l filled for the result.
 */
uint64_t e4_geom_offline_trim(const struct e4_geom *g, uint64_t n,
			      uint64_t slack, struct e4_geom_layout *l);

#endif
