/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_FS_H
#define E4_FS_H

#include <stdbool.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "e4/err.h"
#include "e4/target.h"

/*
 * An open filesystem: a resolved target plus its libext2fs handle.  A
 * mounted filesystem is always opened read-only and with O_DIRECT, so the
 * page cache can neither hand back a stale block nor be polluted.
 */
struct e4_fs;

enum {
	E4_FS_WRITE = 1 << 0,	/* open read-write (refused when mounted) */
	E4_FS_FORCE = 1 << 1,	/* open despite feature/consistency doubts */
	E4_FS_DIRECT = 1 << 2,	/* O_DIRECT even when not mounted */
};

int e4_fs_open(const struct e4_target *t, unsigned int flags,
	       struct e4_fs **out, struct e4_err *err);
/*
 * Read-only, from the backup superblock at block superblock (and the
 * descriptors that follow it), as e2fsck -b does: block_size 0 tries
 * every block size.  libext2fs then takes every group as initialised.
 */
int e4_fs_open_backup(const struct e4_target *t, uint64_t superblock,
		      unsigned int block_size, struct e4_fs **out,
		      struct e4_err *err);
/*
 * Where the backup superblocks are, for a message when the primary one is
 * unusable: up to max block numbers into blocks (found through the one in
 * group 1, for every block size), their block size; -ENOENT if none.
 */
int e4_fs_find_backups(const struct e4_target *t, uint64_t *blocks,
		       size_t max, size_t *n, unsigned int *block_size);
/*
 * As e4_fs_open with E4_FS_WRITE, recording every block it overwrites in
 * undo_file (e4ctl's undo I/O manager, e4/undo.h; an existing file is
 * replaced), so that `e2undo undo_file device` restores the original bit
 * for bit, also after a crash at any point.
 * The file is replaced at once: a command that may still refuse should
 * open read-only and call e4_fs_reopen_write instead.
 */
int e4_fs_open_undo(const struct e4_target *t, unsigned int flags,
		    const char *undo_file, struct e4_fs **out,
		    struct e4_err *err);
/*
 * Make a handle opened read-only (e4_fs_open without E4_FS_WRITE) a
 * read-write one on the same target, through the undo I/O manager when
 * undo_file is not NULL.  Call it only once every check that may refuse
 * has passed: before it, nothing is written to the target (no MMP
 * update either: read-only handles skip MMP) and undo_file is left as it
 * was; it is replaced here.  flags as for e4_fs_open (E4_FS_WRITE
 * implied).  -ESTALE when the superblock read now differs from the one
 * the checks saw.  On failure the handle may be closed (e4_fs_ext2 gives
 * NULL); e4_fs_close still frees it.  A handle that is already
 * read-write is left alone.  Pointers from e4_fs_ext2 taken before the
 * call are stale after it.
 */
int e4_fs_reopen_write(struct e4_fs *fs, unsigned int flags,
		       const char *undo_file, struct e4_err *err);
void e4_fs_close(struct e4_fs *fs);
/*
 * Close a read-write handle's filesystem now, reporting what the close
 * writes (libext2fs rewrites the superblock to count the bytes written),
 * which e4_fs_close would lose.  Afterwards only e4_fs_target and
 * e4_fs_close may be used.  0 for a read-only or closed handle.
 */
int e4_fs_close_write(struct e4_fs *fs, struct e4_err *err);
/*
 * Append " (writing block N failed)" to err when a write through the
 * handle failed (the first such block, in filesystem blocks); true then.
 */
bool e4_fs_note_write_error(const struct e4_fs *fs, struct e4_err *err);

/*
 * True once a write through the handle failed, even where libext2fs let
 * the error go by (a caller that must not go on checks this).
 */
bool e4_fs_write_failed(const struct e4_fs *fs);

/*
 * A pointer for libext2fs callbacks that get only the ext2_filsys (the
 * block allocator's): fs->priv_data belongs to the handle, whose write
 * error hook needs it, so a module keeps its own context here.
 */
void e4_fs_set_user(ext2_filsys fs, void *user);
void *e4_fs_user(ext2_filsys fs);
ext2_filsys e4_fs_ext2(const struct e4_fs *fs);
const struct e4_target *e4_fs_target(const struct e4_fs *fs);

/* Why the filesystem cannot grow online past max_blocks. */
enum e4_grow_limit {
	E4_GROW_DEVICE,		/* the device (or image file) ends there */
	E4_GROW_SPARSE_SUPER2,	/* the kernel refuses sparse_super2 */
	E4_GROW_32BIT,		/* no 64bit feature: 2^32-1 blocks */
	E4_GROW_INODES,		/* inode count would pass 2^32-1 */
	E4_GROW_RESERVED_GDT,	/* reserved GDT blocks used up, no meta_bg_resize */
	E4_GROW_DESC_BLOCKS,	/* no resize_inode/meta_bg, no meta_bg_resize */
	E4_GROW_FEATURES,	/* resize_inode and meta_bg both set */
};

struct e4_growth {
	uint64_t max_blocks;		/* largest block count reachable */
	enum e4_grow_limit limit;
	bool meta_bg_conversion;	/* reaching max converts to meta_bg */
	bool kernel_meta_bg_resize;	/* /sys/fs/ext4/features/meta_bg_resize */
	char why[256];			/* the limit in words */
};

/* Geometry and counters, as dumpe2fs -h shows them (on-disk values). */
struct e4_info {
	char uuid[40];
	char label[EXT2_LABEL_LEN + 1];
	char state[64];			/* "clean", "not clean with errors" */
	char features[512];		/* libe2p names, space separated */
	uint64_t block_count;
	uint64_t free_blocks;
	uint64_t reserved_blocks;
	uint32_t inode_count;
	uint32_t free_inodes;
	uint32_t first_data_block;
	uint32_t block_size;
	uint32_t cluster_size;
	uint32_t group_count;
	uint32_t blocks_per_group;
	uint32_t clusters_per_group;
	uint32_t inodes_per_group;
	uint32_t inode_size;
	uint32_t inode_blocks_per_group;
	uint32_t desc_size;
	uint32_t desc_per_block;
	uint64_t desc_blocks;
	uint32_t reserved_gdt_blocks;
	uint32_t first_meta_bg;
	uint32_t log_groups_per_flex;
	uint64_t device_size;		/* bytes */
	struct e4_growth growth;
};

/*
 * Fill info from the open filesystem.  sysroot prefixes the read of the
 * kernel's ext4 feature list (NULL: the running kernel).
 */
int e4_fs_info(const struct e4_fs *fs, const char *sysroot,
	       struct e4_info *info, struct e4_err *err);

/*
 * The largest block count EXT4_IOC_RESIZE_FS on the running kernel can
 * reach for this filesystem and a device of device_blocks, mirroring the
 * kernel's own checks (ext4_resize_begin, ext4_resize_fs).
 */
void e4_growth_limit(ext2_filsys fs, uint64_t device_blocks,
		     bool kernel_meta_bg_resize, struct e4_growth *g);

#endif
