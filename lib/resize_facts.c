// SPDX-License-Identifier: GPL-2.0
/*
 * The facts a resize plan depends on, and the only place the plan's
 * system calls happen: the superblock (for a mounted filesystem the
 * kernel's own, read through the page cache), the process's capability,
 * the mount's options, the kernel's ext4 features and error count, and
 * the safety gates of an unmounted filesystem (lib/gate.c).
 *
 * The kernel's superblock is read through the block device's page cache,
 * never with O_DIRECT: ext4's metadata buffers live in that cache and a
 * resize reaches the disk only at the next journal checkpoint, so the
 * disk can lag behind what the kernel already did.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <libmount/libmount.h>

#include "e4/gate.h"
#include "e4/growth.h"
#include "e4/mounts.h"
#include "e4/sysfs.h"
#include "resize_priv.h"

int e4_resize_live_open(const struct e4_target *t, ext2_filsys *out,
			struct e4_err *err)
{
	errcode_t ret;

	ret = ext2fs_open2(t->device, NULL,
			   EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP |
			   EXT2_FLAG_IGNORE_CSUM_ERRORS, 0, 0, unix_io_manager,
			   out);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while reading the live superblock",
				   e4_target_name(t));
	return 0;
}

int e4_resize_live_blocks(int devfd, uint64_t *blocks)
{
	struct ext2_super_block sb;

	if (pread(devfd, &sb, sizeof(sb), SUPERBLOCK_OFFSET) != sizeof(sb))
		return -EIO;
	if (sb.s_magic != EXT2_SUPER_MAGIC)
		return -EUCLEAN;
	*blocks = ext2fs_blocks_count(&sb);
	return 0;
}

static bool have_cap_sys_resource(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return true;	/* cannot tell: let the kernel decide */
	return data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &
	       CAP_TO_MASK(CAP_SYS_RESOURCE);
}

/* The mount's state as the kernel shows it in mountinfo (under sysroot). */
static void mount_state(const char *mountpoint, const char *sysroot,
			struct e4_resize_facts *f)
{
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	char num[32];

	if (e4_mounts_read(sysroot, &tb, NULL))
		return;
	fs = mnt_table_find_target(tb, mountpoint, MNT_ITER_BACKWARD);
	if (fs) {
		f->mount_readonly = e4_mounts_readonly(fs);
		if (!e4_mounts_fs_option(fs, "sb", num, sizeof(num)) && *num)
			f->mount_sb = strtoull(num, NULL, 10);
	}
	mnt_unref_table(tb);
}

/* /sys/fs/ext4/<name>/errors_count of the mounted device. */
static uint64_t sysfs_errors(const struct e4_target *t, const char *sysroot)
{
	char real[PATH_MAX], path[PATH_MAX + 64];
	uint64_t n = 0;

	if (!t->is_blockdev || !realpath(t->device, real))
		return 0;
	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/errors_count",
		 basename(real));
	if (e4_sysfs_read_u64(sysroot, path, &n))
		return 0;
	return n;
}

int e4_resize_facts_online(const struct e4_target *t, const char *sysroot,
			   struct e4_resize_facts *f, struct e4_err *err)
{
	ext2_filsys fs;
	int ret;

	memset(f, 0, sizeof(*f));
	f->t = t;
	ret = e4_resize_live_open(t, &fs, err);
	if (ret)
		return ret;
	e4_geom_from_fs(fs, &f->geom);
	f->state = fs->super->s_state;
	ext2fs_close_free(&fs);
	f->cap_sys_resource = have_cap_sys_resource();
	f->errors_count = sysfs_errors(t, sysroot);
	mount_state(t->mountpoint, sysroot, f);
	f->kernel_meta_bg_resize =
		e4_sysfs_exists(sysroot, "/sys/fs/ext4/features/meta_bg_resize");
	f->kernel_converts_any = e4_kernel_converts_on_any_growth();
	return 0;
}

int e4_resize_facts_gather(struct e4_fs *efs, const char *sysroot,
			   struct e4_resize_facts *f, struct e4_err *err)
{
	const struct e4_target *t = e4_fs_target(efs);
	ext2_filsys fs = e4_fs_ext2(efs);

	int ret;

	if (t->mounted) {
		ret = e4_resize_facts_online(t, sysroot, f, err);
		f->fs = efs;
		return ret;
	}
	memset(f, 0, sizeof(*f));
	f->t = t;
	f->fs = efs;
	e4_geom_from_fs(fs, &f->geom);
	f->state = fs->super->s_state;
	/* The gates could not be run: that refuses the command, not a gate. */
	return e4_gate_run(efs, &f->gates, err);
}

void e4_resize_facts_release(struct e4_resize_facts *f)
{
	e4_gate_result_free(&f->gates);
}
