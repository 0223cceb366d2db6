// SPDX-License-Identifier: GPL-2.0
/*
 * Opening a resolved target with libext2fs, and the geometry summary that
 * `e4ctl info` shows.  Mounted filesystems are only ever opened read-only
 * and with O_DIRECT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

#include <e2p/e2p.h>

#include "e4/fs.h"
#include "e4/testhook.h"
#include "e4/sysfs.h"
#include "e4/undo.h"

struct e4_fs {
	ext2_filsys fs;
	const struct e4_target *target;
	int lock_fd;		/* writers: holds the flock, else -1 */
	/* The first write that failed, in filesystem blocks. */
	bool write_failed;
	uint64_t failed_blk;
	/* For a libext2fs callback of the module at work (fs->priv_data is ours). */
	void *user;
};

/*
 * Test hook E4_TEST_HOLD_AFTER_LOCK_MS: wait that long once the lock is
 * held, so that a test can start a second writer against it.  The line
 * on stderr is the test's signal (a hook, not an interface: lib/ prints
 * nothing else); a signal ends the wait early.
 */
static void hold_after_lock(const struct e4_target *t)
{
	long ms = e4_test_hook_num("HOLD_AFTER_LOCK_MS");

	if (ms <= 0)
		return;
	fprintf(stderr, "%s: test hook: holding the write lock for %ld ms\n",
		e4_target_name(t), ms);
	usleep(ms * 1000);
}

/*
 * One writer at a time: an exclusive flock on the device node or image
 * file, held from before the read-write open until the handle is closed.
 * EXT2_FLAG_EXCLUSIVE (O_EXCL) covers block devices only; this covers
 * images too, against every other e4ctl (the lock is advisory).
 */
static int lock_target(const struct e4_target *t, int *fdp, struct e4_err *err)
{
	int fd, e;

	fd = open(t->device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return e4_err_sys(err, -errno, "%s: while locking it for writing",
				  e4_target_name(t));
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		*fdp = fd;
		hold_after_lock(t);
		return 0;
	}
	e = errno;
	close(fd);
	if (e == EWOULDBLOCK)
		return e4_err_set(err, -EBUSY,
				  "%s: another e4ctl is writing to it; nothing was changed, try again once it has finished",
				  e4_target_name(t));
	return e4_err_sys(err, -e, "%s: while locking it for writing",
			  e4_target_name(t));
}

/*
 * Remember where a write failed, so that the message can name the block;
 * the error itself goes on to the caller unchanged.
 */
static errcode_t note_write_error(io_channel channel, unsigned long block,
				  int count, const void *data, size_t size,
				  int actual, errcode_t error)
{
	ext2_filsys fs = channel->app_data;
	struct e4_fs *efs = fs ? fs->priv_data : NULL;

	(void)count;
	(void)data;
	(void)size;
	(void)actual;
	if (efs && !efs->write_failed) {
		efs->write_failed = true;
		efs->failed_blk = (uint64_t)block * channel->block_size /
				  fs->blocksize;
	}
	return error;
}

void e4_fs_set_user(ext2_filsys fs, void *user)
{
	struct e4_fs *efs = fs->priv_data;

	efs->user = user;
}

void *e4_fs_user(ext2_filsys fs)
{
	struct e4_fs *efs = fs->priv_data;

	return efs ? efs->user : NULL;
}

bool e4_fs_write_failed(const struct e4_fs *efs)
{
	return efs && efs->write_failed;
}

bool e4_fs_note_write_error(const struct e4_fs *efs, struct e4_err *err)
{
	if (!efs || !efs->write_failed)
		return false;
	e4_err_append(err, " (writing block %llu failed)",
		      (unsigned long long)efs->failed_blk);
	return true;
}

static int check_size(const struct e4_target *t, ext2_filsys fs,
		      struct e4_err *err)
{
	uint64_t need = ext2fs_blocks_count(fs->super) * (uint64_t)fs->blocksize;

	if (t->size >= need)
		return 0;
	return e4_err_set(err, -EUCLEAN,
			  "%s: truncated: the filesystem needs %llu bytes (%llu blocks of %u) but the %s has only %llu",
			  e4_target_name(t), (unsigned long long)need,
			  (unsigned long long)ext2fs_blocks_count(fs->super),
			  fs->blocksize, t->is_blockdev ? "device" : "file",
			  (unsigned long long)t->size);
}

/* lock_fd: a lock the caller took (handed over, closed on failure), or -1. */
static int fs_open_at(const struct e4_target *t, unsigned int flags,
		      int superblock, unsigned int block_size, io_manager io,
		      int lock_fd, struct e4_fs **out, struct e4_err *err)
{
	int oflags = EXT2_FLAG_64BITS;
	struct e4_fs *efs;
	errcode_t ret;
	int rc;

	*out = NULL;
	if ((flags & E4_FS_WRITE) && t->mounted) {
		if (lock_fd >= 0)
			close(lock_fd);
		return e4_err_set(err, -EBUSY,
				  "%s: mounted on %s; unmount it first",
				  e4_target_name(t), t->mountpoint);
	}
	/*
	 * Readers must show damage, so they take what checksums do not
	 * vouch for; a writer verifies them, as libext2fs would rewrite a
	 * bad one as good with whatever block it covers (the gates of
	 * lib/gate.c refuse such a filesystem before a writer opens it).
	 */
	if (flags & E4_FS_WRITE)
		oflags |= EXT2_FLAG_RW | EXT2_FLAG_EXCLUSIVE;
	else
		oflags |= EXT2_FLAG_SKIP_MMP | EXT2_FLAG_IGNORE_CSUM_ERRORS;
	if (flags & E4_FS_FORCE)
		oflags |= EXT2_FLAG_FORCE;
	if (t->mounted || (flags & E4_FS_DIRECT))
		oflags |= EXT2_FLAG_DIRECT_IO;

	efs = calloc(1, sizeof(*efs));
	if (!efs) {
		if (lock_fd >= 0)
			close(lock_fd);
		return e4_err_sys(err, -ENOMEM, "%s", e4_target_name(t));
	}
	efs->target = t;
	efs->lock_fd = lock_fd;
	if ((flags & E4_FS_WRITE) && lock_fd < 0) {
		rc = lock_target(t, &efs->lock_fd, err);
		if (rc)
			goto out_free;
	}
	ret = ext2fs_open2(t->device, NULL, oflags, superblock, block_size, io,
			   &efs->fs);
	if (ret && superblock)
		rc = e4_err_ext2(err, ret, "%s: while opening the filesystem with the superblock at block %d (block size %u)",
				 e4_target_name(t), superblock, block_size);
	else if (ret)
		rc = e4_err_ext2(err, ret, "%s: while opening the filesystem",
				 e4_target_name(t));
	if (ret)
		goto out_free;
	efs->fs->priv_data = efs;
	efs->fs->io->write_error = note_write_error;
	if (!(flags & E4_FS_FORCE)) {
		rc = check_size(t, efs->fs, err);
		if (rc)
			goto out_close;
	}
	*out = efs;
	return 0;
out_close:
	ext2fs_close_free(&efs->fs);
out_free:
	if (efs->lock_fd >= 0)
		close(efs->lock_fd);
	free(efs);
	return rc;
}

static int fs_open(const struct e4_target *t, unsigned int flags,
		   io_manager io, struct e4_fs **out, struct e4_err *err)
{
	return fs_open_at(t, flags, 0, 0, io, -1, out, err);
}

/* unix_io, or the test fault injector in front of it (E4_TEST_FAULT). */
static io_manager backing_io(void)
{
	return e4_faultio_select(unix_io_manager);
}

int e4_fs_open(const struct e4_target *t, unsigned int flags,
	       struct e4_fs **out, struct e4_err *err)
{
	return fs_open(t, flags, backing_io(), out, err);
}

int e4_fs_open_backup(const struct e4_target *t, uint64_t superblock,
		      unsigned int block_size, struct e4_fs **out,
		      struct e4_err *err)
{
	unsigned int bs;
	int rc = -EINVAL;

	*out = NULL;
	if (!superblock || superblock > INT32_MAX)
		return e4_err_set(err, -EINVAL, "%s: %llu is not a superblock location",
				  e4_target_name(t), (unsigned long long)superblock);
	if (block_size)
		return fs_open_at(t, 0, superblock, block_size, unix_io_manager,
				  -1, out, err);
	/* As e2fsck -b without -B: every block size, smallest first. */
	for (bs = EXT2_MIN_BLOCK_SIZE; bs <= EXT2_MAX_BLOCK_SIZE; bs *= 2) {
		rc = fs_open_at(t, 0, superblock, bs, unix_io_manager, -1, out,
				NULL);
		if (!rc)
			return 0;
	}
	return e4_err_set(err, rc, "%s: no superblock at block %llu for any block size from %d to %d",
			  e4_target_name(t), (unsigned long long)superblock,
			  EXT2_MIN_BLOCK_SIZE, EXT2_MAX_BLOCK_SIZE);
}

int e4_fs_find_backups(const struct e4_target *t, uint64_t *blocks,
		       size_t max, size_t *n, unsigned int *block_size)
{
	unsigned int bs;

	*n = 0;
	*block_size = 0;
	for (bs = EXT2_MIN_BLOCK_SIZE; bs <= EXT2_MAX_BLOCK_SIZE; bs *= 2) {
		/* Group 1's first block: where every layout keeps a backup. */
		int sb = bs == 1024 ? 8193 : (int)bs * 8;
		struct e4_fs *efs;
		ext2_filsys fs;
		dgrp_t g;

		if (fs_open_at(t, E4_FS_FORCE, sb, bs, unix_io_manager, -1, &efs,
			       NULL))
			continue;
		fs = efs->fs;
		*block_size = bs;
		for (g = 1; g < fs->group_desc_count && *n < max; g++)
			if (ext2fs_bg_has_super(fs, g))
				blocks[(*n)++] = ext2fs_group_first_block2(fs, g);
		e4_fs_close(efs);
		return 0;
	}
	return -ENOENT;
}

/*
 * Through e4ctl's undo I/O manager, recording into undo_file (replaced:
 * a stale undo file from another filesystem would be useless).  Not
 * libext2fs's: its file is valid only after a clean close.
 */
static int fs_open_undo(const struct e4_target *t, unsigned int flags,
			const char *undo_file, struct e4_fs **out,
			struct e4_err *err)
{
	int rc, lock_fd;

	/* Locked first: a refused second writer must not touch the file. */
	rc = lock_target(t, &lock_fd, err);
	if (rc)
		return rc;
	rc = e4_undo_io_prepare(backing_io(), undo_file, err);
	if (rc) {
		close(lock_fd);
		return rc;
	}
	/* fs_open_at owns lock_fd from here, and closes it on failure. */
	rc = fs_open_at(t, flags | E4_FS_WRITE, 0, 0, e4_undo_io_manager,
			lock_fd, out, err);
	if (rc)
		e4_err_append(err, " (undo file %s)", undo_file);
	return rc;
}

int e4_fs_open_undo(const struct e4_target *t, unsigned int flags,
		    const char *undo_file, struct e4_fs **out,
		    struct e4_err *err)
{
	return fs_open_undo(t, flags, undo_file, out, err);
}

/*
 * The fields that say what the filesystem is and what state it is in.
 * Opening read-write changes none of them in memory (MMP lives in its
 * own block), so any difference is a change made by someone else.
 */
static bool same_super(const struct ext2_super_block *a,
		       const struct ext2_super_block *b)
{
	return !memcmp(a, b, offsetof(struct ext2_super_block, s_checksum));
}

int e4_fs_reopen_write(struct e4_fs *efs, unsigned int flags,
		       const char *undo_file, struct e4_err *err)
{
	const struct e4_target *t = efs->target;
	struct ext2_super_block seen;
	struct e4_fs *rw;
	int rc;

	if (efs->fs->flags & EXT2_FLAG_RW)
		return 0;
	memcpy(&seen, efs->fs->super, sizeof(seen));
	ext2fs_close_free(&efs->fs);
	if (undo_file)
		rc = fs_open_undo(t, flags | E4_FS_WRITE, undo_file, &rw, err);
	else
		rc = fs_open(t, flags | E4_FS_WRITE, backing_io(), &rw, err);
	if (rc)
		return rc;
	efs->fs = rw->fs;
	efs->lock_fd = rw->lock_fd;
	efs->fs->priv_data = efs;
	free(rw);
	if (!same_super(&seen, efs->fs->super)) {
		/* Nothing was written yet: close without a flush. */
		efs->fs->flags &= ~(EXT2_FLAG_DIRTY | EXT2_FLAG_BB_DIRTY |
				    EXT2_FLAG_IB_DIRTY);
		return e4_err_set(err, -ESTALE,
				  "%s: the superblock changed since it was checked; run the command again",
				  e4_target_name(t));
	}
	return 0;
}

int e4_fs_close_write(struct e4_fs *efs, struct e4_err *err)
{
	const char *name = e4_target_name(efs->target);
	errcode_t ret;
	int rc;

	if (!efs->fs || !(efs->fs->flags & EXT2_FLAG_RW))
		return 0;
	ret = ext2fs_close2(efs->fs, 0);
	if (!ret) {
		efs->fs = NULL;
		if (!efs->write_failed)
			return 0;
		/* A caller somewhere let a failed write pass. */
		rc = e4_err_set(err, -EIO, "%s: a write failed", name);
		e4_fs_note_write_error(efs, err);
		e4_err_append(err, "; run 'e2fsck -f %s'", name);
		return rc;
	}
	/* ext2fs_close2 keeps the handle when its flush fails. */
	efs->fs->flags &= ~EXT2_FLAG_DIRTY;
	ext2fs_free(efs->fs);
	efs->fs = NULL;
	rc = e4_err_ext2(err, ret, "%s: while writing the superblock at close",
			 name);
	e4_fs_note_write_error(efs, err);
	e4_err_append(err, "; run 'e2fsck -f %s'", name);
	return rc;
}

void e4_fs_close(struct e4_fs *fs)
{
	if (!fs)
		return;
	if (fs->fs)
		ext2fs_close_free(&fs->fs);
	/* After the close: its flush is the last write. */
	if (fs->lock_fd >= 0)
		close(fs->lock_fd);
	free(fs);
}

ext2_filsys e4_fs_ext2(const struct e4_fs *fs)
{
	return fs->fs;
}

const struct e4_target *e4_fs_target(const struct e4_fs *fs)
{
	return fs->target;
}

/* The same words as dumpe2fs's "Filesystem state:". */
static void fs_state(const struct ext2_super_block *sb, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s",
		 (sb->s_state & EXT2_VALID_FS) ? "clean" : "not clean",
		 (sb->s_state & EXT2_ERROR_FS) ? " with errors" : "");
}

/* Feature names in dumpe2fs order: compat, incompat, ro_compat bits. */
static void fs_features(const struct ext2_super_block *sb, char *buf,
			size_t len)
{
	const __u32 words[3] = { sb->s_feature_compat, sb->s_feature_incompat,
				 sb->s_feature_ro_compat };
	size_t used = 0;
	int i, j;

	buf[0] = '\0';
	for (i = 0; i < 3; i++)
		for (j = 0; j < 32; j++) {
			__u32 mask = 1U << j;
			int n;

			if (!(words[i] & mask))
				continue;
			n = snprintf(buf + used, len - used, "%s%s",
				     used ? " " : "", e2p_feature2string(i, mask));
			if (n < 0 || (size_t)n >= len - used)
				return;
			used += n;
		}
}

int e4_fs_info(const struct e4_fs *efs, const char *sysroot,
	       struct e4_info *info, struct e4_err *err)
{
	ext2_filsys fs = efs->fs;
	struct ext2_super_block *sb = fs->super;
	bool mbr;

	(void)err;
	memset(info, 0, sizeof(*info));
	snprintf(info->uuid, sizeof(info->uuid), "%s", e2p_uuid2str(sb->s_uuid));
	snprintf(info->label, sizeof(info->label), "%.*s", EXT2_LABEL_LEN,
		 (const char *)sb->s_volume_name);
	fs_state(sb, info->state, sizeof(info->state));
	fs_features(sb, info->features, sizeof(info->features));
	info->block_count = ext2fs_blocks_count(sb);
	info->free_blocks = ext2fs_free_blocks_count(sb);
	info->reserved_blocks = ext2fs_r_blocks_count(sb);
	info->inode_count = sb->s_inodes_count;
	info->free_inodes = sb->s_free_inodes_count;
	info->first_data_block = sb->s_first_data_block;
	info->block_size = fs->blocksize;
	info->cluster_size = EXT2_CLUSTER_SIZE(sb);
	info->group_count = fs->group_desc_count;
	info->blocks_per_group = sb->s_blocks_per_group;
	info->clusters_per_group = sb->s_clusters_per_group;
	info->inodes_per_group = sb->s_inodes_per_group;
	info->inode_size = EXT2_INODE_SIZE(sb);
	info->inode_blocks_per_group = fs->inode_blocks_per_group;
	info->desc_size = EXT2_DESC_SIZE(sb);
	info->desc_per_block = EXT2_DESC_PER_BLOCK(sb);
	info->desc_blocks = fs->desc_blocks;
	info->reserved_gdt_blocks = sb->s_reserved_gdt_blocks;
	info->first_meta_bg = sb->s_first_meta_bg;
	info->log_groups_per_flex = sb->s_log_groups_per_flex;
	info->device_size = efs->target->size;

	mbr = e4_sysfs_exists(sysroot, "/sys/fs/ext4/features/meta_bg_resize");
	e4_growth_limit(fs, info->device_size / fs->blocksize, mbr,
			&info->growth);
	return 0;
}
