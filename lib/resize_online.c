// SPDX-License-Identifier: GPL-2.0
/*
 * Online grow: the plan for a mounted filesystem and its execution
 * through the kernel's ioctls (EXT4_IOC_RESIZE_FS in steps, or the
 * pre-3.3 GROUP_EXTEND + GROUP_ADD pair).  Everything the kernel would
 * refuse is looked for before the first ioctl, and a failed ioctl is
 * explained with the same checks, so the user learns the cause rather
 * than an errno.
 *
 * The kernel's superblock is read through the block device's page cache,
 * never with O_DIRECT: ext4's metadata buffers live in that cache and a
 * resize reaches the disk only at the next journal checkpoint, so the
 * disk can lag behind what the kernel already did.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <libmount/libmount.h>

#include "e4/growth.h"
#include "e4/resize.h"
#include "e4/mounts.h"
#include "e4/sysfs.h"

#define EXT4_MAGIC 0xEF53

/* What the kernel has now, read through the page cache (see above). */
static int live_open(const struct e4_target *t, ext2_filsys *out,
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

static int live_blocks(int devfd, uint64_t *blocks)
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

/* The mount's state as the kernel shows it in mountinfo. */
struct mount_state {
	bool readonly;		/* mount or superblock read-only */
	uint64_t sb_block;	/* sb= (1k units); 0: the primary */
};

static void mount_state(const char *mountpoint, const char *sysroot,
			struct mount_state *ms)
{
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	char num[32];

	memset(ms, 0, sizeof(*ms));
	if (e4_mounts_read(sysroot, &tb, NULL))
		return;
	fs = mnt_table_find_target(tb, mountpoint, MNT_ITER_BACKWARD);
	if (fs) {
		ms->readonly = e4_mounts_readonly(fs);
		if (!e4_mounts_fs_option(fs, "sb", num, sizeof(num)) && *num)
			ms->sb_block = strtoull(num, NULL, 10);
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

static void refuse(struct e4_resize_plan *plan, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct e4_resize_plan *plan, int code, const char *fmt, ...)
{
	va_list ap;

	if (plan->nrefusals == E4_PLAN_MAX_REFUSALS)
		return;
	plan->refusals[plan->nrefusals].code = code;
	va_start(ap, fmt);
	vsnprintf(plan->refusals[plan->nrefusals].msg,
		  sizeof(plan->refusals[0].msg), fmt, ap);
	va_end(ap);
	plan->nrefusals++;
}

static uint64_t groups_for(ext2_filsys fs, uint64_t blocks)
{
	uint64_t bpg = fs->super->s_blocks_per_group;

	if (blocks <= fs->super->s_first_data_block)
		return 0;
	return (blocks - fs->super->s_first_data_block + bpg - 1) / bpg;
}

static uint64_t desc_blocks_for(ext2_filsys fs, uint64_t groups)
{
	uint64_t dpb = EXT2_DESC_PER_BLOCK(fs->super);

	return (groups + dpb - 1) / dpb;
}

/* Blocks in a flex group: step sizes are multiples, so every
 * intermediate size ends on a flex-group boundary. */
static uint64_t flex_blocks(ext2_filsys fs)
{
	uint64_t groups = 1;

	if (ext2fs_has_feature_flex_bg(fs->super) &&
	    fs->super->s_log_groups_per_flex < 31)
		groups = 1ULL << fs->super->s_log_groups_per_flex;
	return groups * fs->super->s_blocks_per_group;
}

/* The size after the step that starts at cur. */
static uint64_t next_step(const struct e4_resize_plan *plan, uint32_t fdb,
			  uint64_t cur)
{
	uint64_t next;

	if (!plan->step_blocks)
		return plan->new_blocks;
	next = ((cur - fdb) / plan->step_blocks + 1) * plan->step_blocks + fdb;
	return next < plan->new_blocks ? next : plan->new_blocks;
}

static void plan_steps(ext2_filsys fs, uint64_t step_blocks,
		       struct e4_resize_plan *plan)
{
	uint64_t flex = flex_blocks(fs), grow, cur;

	plan->step_blocks = 0;
	plan->steps = plan->new_blocks > plan->old_blocks ? 1 : 0;
	if (plan->new_blocks <= plan->old_blocks || !step_blocks)
		return;
	grow = plan->new_blocks - plan->old_blocks;
	if (step_blocks == E4_RESIZE_STEP_AUTO) {
		/* Worth stepping only when there are several flex groups to
		 * add; then about eight steps. */
		if (grow < 4 * flex)
			return;
		step_blocks = grow / 8;
	}
	plan->step_blocks = (step_blocks + flex - 1) / flex * flex;
	plan->steps = 0;
	for (cur = plan->old_blocks; cur < plan->new_blocks;
	     cur = next_step(plan, fs->super->s_first_data_block, cur))
		plan->steps++;
	if (plan->steps <= 1)
		plan->step_blocks = 0;
}

static int limit_code(enum e4_grow_limit limit)
{
	switch (limit) {
	case E4_GROW_DEVICE:
		return -ENOSPC;
	case E4_GROW_SPARSE_SUPER2:
		return -EOPNOTSUPP;
	case E4_GROW_32BIT:
		return -EFBIG;
	case E4_GROW_RESERVED_GDT:
	case E4_GROW_DESC_BLOCKS:
		return -EPERM;
	case E4_GROW_INODES:
	case E4_GROW_FEATURES:
	default:
		return -EINVAL;
	}
}

/* The refusals that depend on the process and the mount, not the size;
 * shared by the plan and the explanation of a failed ioctl. */
static void state_refusals(const struct e4_target *t, ext2_filsys fs,
			   const char *sysroot, struct e4_resize_plan *plan)
{
	struct mount_state ms;
	uint64_t nerr;

	if (!have_cap_sys_resource())
		refuse(plan, -EPERM,
		       "this process lacks CAP_SYS_RESOURCE, which the kernel requires for online resize; run it as root with full capabilities");
	nerr = sysfs_errors(t, sysroot);
	if ((fs->super->s_state & EXT2_ERROR_FS) || nerr)
		refuse(plan, -EPERM,
		       "the filesystem has errors recorded%s; the kernel refuses to resize it: unmount it and run 'e2fsck -f %s'",
		       (fs->super->s_state & EXT2_ERROR_FS) ? "" : " (errors_count in /sys/fs/ext4)",
		       t->device);
	mount_state(t->mountpoint, sysroot, &ms);
	if (ms.sb_block && ms.sb_block != 1)
		refuse(plan, -EPERM,
		       "mounted from the backup superblock (sb=%llu); the kernel resizes only from the primary: unmount, run 'e2fsck -f %s', and mount it normally",
		       (unsigned long long)ms.sb_block, t->device);
	if (t->readonly || ms.readonly)
		refuse(plan, -EROFS,
		       "%s is mounted read-only; remount it read-write first: mount -o remount,rw %s",
		       t->mountpoint, t->mountpoint);
	if (ext2fs_has_feature_resize_inode(fs->super) == 0 &&
	    fs->super->s_reserved_gdt_blocks)
		refuse(plan, -EUCLEAN,
		       "reserved GDT blocks without the resize_inode feature; the kernel calls this corruption: run 'e2fsck -f %s'",
		       t->device);
}

/*
 * The filesystem's own last group is under the kernel's minimum for a last
 * group: a grow within it is trimmed below the current size, which
 * ext4_resize_fs refuses as a shrink (EINVAL).  Neither mke2fs nor the
 * kernel makes such a filesystem, but a tool with other rules may have.
 */
static void refuse_small_last_group(ext2_filsys fs, uint64_t target,
				    struct e4_resize_plan *plan)
{
	uint64_t cur = ext2fs_blocks_count(fs->super);
	uint64_t last = groups_for(fs, cur) - 1;
	uint64_t next = fs->super->s_first_data_block +
			(last + 1) * (uint64_t)fs->super->s_blocks_per_group;

	refuse(plan, -EINVAL,
	       "the filesystem's last group (group %llu, %llu blocks) is smaller than the kernel's minimum for a last group, so the kernel cuts %llu blocks back to the start of that group and refuses that as a shrink: ask for more than %llu blocks, or grow it offline",
	       (unsigned long long)last,
	       (unsigned long long)(cur - (next - fs->super->s_blocks_per_group)),
	       (unsigned long long)target, (unsigned long long)next);
}

static void size_refusals(const struct e4_target *t, ext2_filsys fs,
			  const char *sysroot, struct e4_resize_plan *plan)
{
	uint64_t bs = fs->blocksize, dev_blocks = t->size / bs;
	struct e4_growth g;
	bool mbr;

	if (plan->new_blocks < plan->old_blocks) {
		refuse(plan, -EINVAL,
		       "the kernel cannot shrink a mounted filesystem (%llu -> %llu blocks); unmount it and shrink it offline with resize2fs (e4ctl does not shrink yet)",
		       (unsigned long long)plan->old_blocks,
		       (unsigned long long)plan->new_blocks);
		return;
	}
	if (plan->new_blocks == plan->old_blocks)
		return;
	if (plan->new_blocks > dev_blocks) {
		refuse(plan, -ENOSPC,
		       "the device %s is only %llu bytes (%llu blocks); %llu blocks need %llu bytes",
		       t->device, (unsigned long long)t->size,
		       (unsigned long long)dev_blocks,
		       (unsigned long long)plan->new_blocks,
		       (unsigned long long)(plan->new_blocks * bs));
		return;
	}
	mbr = e4_sysfs_exists(sysroot, "/sys/fs/ext4/features/meta_bg_resize");
	/* The limit for a device ending at the new size is what the kernel
	 * reaches for that size (it trims a too-small last group). */
	e4_growth_limit(fs, plan->new_blocks, mbr, &g);
	plan->meta_bg_conversion = g.meta_bg_conversion;
	if (g.limit != E4_GROW_DEVICE && g.max_blocks < plan->new_blocks) {
		refuse(plan, limit_code(g.limit), "%s (at most %llu blocks)",
		       g.why, (unsigned long long)g.max_blocks);
		return;
	}
	if (g.max_blocks <= plan->old_blocks) {
		if (e4_growth_trim(fs, plan->new_blocks, mbr) < plan->old_blocks) {
			refuse_small_last_group(fs, plan->new_blocks, plan);
			return;
		}
		/* The kernel drops the too small last group, is back at the
		 * current size and answers 0 (as resize2fs): nothing to do. */
		plan->new_blocks = plan->old_blocks;
		plan->meta_bg_conversion = false;
		return;
	}
	plan->new_blocks = g.max_blocks;
}

int e4_resize_plan_online(const struct e4_fs *efs, uint64_t new_blocks,
			  uint64_t step_blocks, const char *sysroot,
			  struct e4_resize_plan *plan, struct e4_err *err)
{
	const struct e4_target *t = e4_fs_target(efs);
	struct ext2_super_block *sb;
	uint64_t ratio;
	ext2_filsys fs;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (!t->mounted)
		return e4_err_set(err, -EINVAL, "%s: not mounted; online resize needs a mounted filesystem",
				  e4_target_name(t));
	ret = live_open(t, &fs, err);
	if (ret)
		return ret;
	sb = fs->super;
	ratio = EXT2FS_CLUSTER_RATIO(fs);
	plan->online = true;
	plan->block_size = fs->blocksize;
	plan->requested_blocks = new_blocks;
	plan->old_blocks = ext2fs_blocks_count(sb);
	plan->old_groups = fs->group_desc_count;
	plan->old_desc_blocks = fs->desc_blocks;
	plan->reserved_gdt_blocks = sb->s_reserved_gdt_blocks;
	plan->old_inodes = sb->s_inodes_count;
	plan->device_size = t->size;
	plan->new_blocks = new_blocks & ~(ratio - 1);
	plan->rounded_to_cluster = plan->new_blocks != new_blocks;

	state_refusals(t, fs, sysroot, plan);
	size_refusals(t, fs, sysroot, plan);

	plan->new_groups = groups_for(fs, plan->new_blocks);
	plan->new_desc_blocks = desc_blocks_for(fs, plan->new_groups);
	if (ext2fs_has_feature_meta_bg(sb))
		plan->reserved_gdt_covers = true;
	else
		plan->reserved_gdt_covers = plan->new_desc_blocks <=
			plan->old_desc_blocks + sb->s_reserved_gdt_blocks;
	plan->new_inodes = (uint64_t)plan->new_groups * sb->s_inodes_per_group;
	if (plan->new_blocks <= plan->old_blocks) {
		plan->new_groups = plan->old_groups;
		plan->new_desc_blocks = plan->old_desc_blocks;
		plan->new_inodes = plan->old_inodes;
	}
	plan_steps(fs, step_blocks, plan);
	ext2fs_close_free(&fs);
	return 0;
}

static void legacy_refusals(ext2_filsys fs, struct e4_resize_plan *plan)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t room;

	plan->legacy = true;
	plan->meta_bg_conversion = false;
	/* GROUP_ADD has no steps of its own: one group per ioctl, after a
	 * GROUP_EXTEND when the last group is partial. */
	plan->step_blocks = 0;
	plan->steps = 0;
	if (plan->new_blocks <= plan->old_blocks)
		return;
	plan->steps = plan->new_groups - plan->old_groups;
	if ((plan->old_blocks - sb->s_first_data_block) % sb->s_blocks_per_group)
		plan->steps++;
	if (ext2fs_has_feature_bigalloc(sb))
		refuse(plan, -EOPNOTSUPP,
		       "the legacy GROUP_EXTEND/GROUP_ADD ioctls do not support bigalloc; use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls)");
	/* ext4_group_add checks this first: a group that starts a
	 * descriptor block, without sparse_super. */
	if (!ext2fs_has_feature_sparse_super(sb) &&
	    plan->new_desc_blocks > plan->old_desc_blocks)
		refuse(plan, -EPERM,
		       "without sparse_super the kernel's GROUP_ADD cannot add group %llu, the first of a new descriptor block (\"Can't resize non-sparse filesystem further\"); use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls)",
		       (unsigned long long)(plan->old_desc_blocks * EXT2_DESC_PER_BLOCK(sb)));
	room = ext2fs_has_feature_resize_inode(sb) ? sb->s_reserved_gdt_blocks : 0;
	if (plan->new_desc_blocks > plan->old_desc_blocks + room)
		refuse(plan, -EPERM,
		       "no reserved GDT blocks left for %llu more descriptor blocks (%llu reserved): GROUP_ADD cannot grow this far; use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls)",
		       (unsigned long long)(plan->new_desc_blocks - plan->old_desc_blocks),
		       (unsigned long long)room);
	if (plan->new_blocks > 0xFFFFFFFFULL)
		refuse(plan, -EFBIG,
		       "GROUP_EXTEND takes a 32-bit block count; %llu blocks need EXT4_IOC_RESIZE_FS",
		       (unsigned long long)plan->new_blocks);
}

void e4_resize_plan_legacy(const struct e4_fs *efs, struct e4_resize_plan *plan)
{
	ext2_filsys fs;

	if (live_open(e4_fs_target(efs), &fs, NULL)) {
		legacy_refusals(e4_fs_ext2(efs), plan);
		return;
	}
	legacy_refusals(fs, plan);
	ext2fs_close_free(&fs);
}

void e4_resize_device_hint(const struct e4_target *t, char *buf, size_t len)
{
	char real[PATH_MAX], path[PATH_MAX + 64], backing[PATH_MAX];
	const char *name;
	struct stat st;

	buf[0] = '\0';
	if (!t->is_blockdev || !realpath(t->device, real))
		return;
	name = basename(real);
	if (!strncmp(name, "loop", 4)) {
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", name);
		if (e4_sysfs_read(NULL, path, backing, sizeof(backing)) <= 0)
			return;
		if (!stat(backing, &st) && (uint64_t)st.st_size > t->size)
			snprintf(buf, len,
				 "%s is %llu bytes but %s still has the old size: run 'losetup -c %s'",
				 backing, (unsigned long long)st.st_size, real, real);
		else
			snprintf(buf, len,
				 "grow the backing file first ('truncate -s SIZE %s'), then 'losetup -c %s' so the kernel sees it",
				 backing, real);
	} else if (!strncmp(name, "dm-", 3)) {
		snprintf(buf, len,
			 "for an LV, extend it first (lvextend); if you just did, check that the kernel sees it: 'blockdev --getsize64 %s'",
			 real);
	}
}

/* ------------------------------------------------------------ execution */

struct run {
	const struct e4_target *t;
	const struct e4_resize_plan *plan;
	const struct e4_job *job;
	int mfd;		/* the mount point: where the ioctls go */
	int devfd;		/* the device, buffered: the live superblock */
	int kmsg;		/* /dev/kmsg from the start of the run, or -1 */
	uint64_t reached;	/* the kernel's block count, last read */
	uint64_t done;		/* what our own calls had grown it to */
};

/* The kernel log from now on, when this process may read it. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The last warning or worse that ext4 logged about this device since the
 * run started ("EXT4-fs warning (device loop0): ext4_resize_fs:2006: can't
 * shrink FS - resize aborted"); empty when there is none or the log
 * cannot be read.
 */
static void kmsg_last(struct run *r, char *buf, size_t len)
{
	char rec[8192], real[PATH_MAX], dev[NAME_MAX + 16], msg[NAME_MAX + 16];
	const char *name = r->t->device;

	buf[0] = '\0';
	if (r->kmsg < 0)
		return;
	if (realpath(r->t->device, real))
		name = basename(real);
	snprintf(dev, sizeof(dev), "(device %s)", name);
	snprintf(msg, sizeof(msg), "EXT4-fs (%s)", name);
	for (;;) {
		ssize_t n = read(r->kmsg, rec, sizeof(rec) - 1);
		unsigned int prio;
		char *text, *nl;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;		/* EAGAIN: the end */
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text || sscanf(rec, "%u,", &prio) != 1 || (prio & 7) > 4)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if ((!strncmp(text, "EXT4-fs ", 8) && strstr(text, dev)) ||
		    !strncmp(text, msg, strlen(msg)))
			snprintf(buf, len, "%s", text);
	}
}

/*
 * EPERM has several causes and the kernel names the one it hit: take its
 * word (first, so it wins) and say the same in the user's terms.
 */
static void kernel_eperm(const struct run *r, const char *klog,
			 struct e4_resize_plan *why)
{
	if (strstr(klog, "errors in the filesystem"))
		refuse(why, -EPERM,
		       "the filesystem has errors recorded (the kernel: \"There are errors in the filesystem\"); the kernel refuses to resize it: unmount it and run 'e2fsck -f %s'",
		       r->t->device);
	else if (strstr(klog, "backup superblock"))
		refuse(why, -EPERM,
		       "mounted from a backup superblock; the kernel resizes only from the primary: unmount, run 'e2fsck -f %s', and mount it normally",
		       r->t->device);
	else if (strstr(klog, "No reserved GDT blocks"))
		refuse(why, -EPERM,
		       "no reserved GDT blocks left for the next descriptor block (the kernel: \"No reserved GDT blocks, can't resize\"); use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls) or grow it offline");
	else if (strstr(klog, "non-sparse"))
		refuse(why, -EPERM,
		       "without sparse_super the kernel cannot add a group that starts a descriptor block (\"Can't resize non-sparse filesystem further\")");
	else if (strstr(klog, "do not permit online resize"))
		refuse(why, -EPERM,
		       "neither resize_inode nor meta_bg, and this kernel cannot convert to meta_bg; unmount it and grow it offline");
}

/*
 * The size and geometry checks behind the kernel's EINVAL, replayed on
 * the live superblock for a call to target blocks.
 */
static void invalid_refusals(ext2_filsys fs, uint64_t target,
			     struct e4_resize_plan *why)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t live = ext2fs_blocks_count(sb);
	bool mbr = e4_sysfs_exists(NULL, "/sys/fs/ext4/features/meta_bg_resize");

	if (target < live)
		refuse(why, -EINVAL,
		       "the filesystem has %llu blocks now, more than the %llu asked for (someone else grew it meanwhile), and the kernel does not shrink; run the command again",
		       (unsigned long long)live, (unsigned long long)target);
	else if (ext2fs_has_feature_resize_inode(sb) &&
		 ext2fs_has_feature_meta_bg(sb))
		refuse(why, -EINVAL,
		       "resize_inode and meta_bg are both set, which the kernel takes for corruption; unmount it and run e2fsck -f");
	else if (groups_for(fs, target) &&
		 groups_for(fs, target) - 1 >= 0xFFFFFFFFULL / sb->s_inodes_per_group)
		refuse(why, -EINVAL,
		       "%llu blocks make %llu groups of %u inodes, past the kernel's limit of 4294967295 inodes",
		       (unsigned long long)target,
		       (unsigned long long)groups_for(fs, target),
		       sb->s_inodes_per_group);
	else if (target > live && e4_growth_trim(fs, target, mbr) < live)
		refuse_small_last_group(fs, target, why);
}

/* Why an ioctl failed, in the user's terms. */
static int explain(struct run *r, int e, const char *what, uint64_t target,
		   struct e4_err *err)
{
	const char *name = e4_target_name(r->t);
	struct e4_resize_plan why;
	uint64_t dev_size = r->t->size;
	char hint[300], klog[256], said[300] = "";
	ext2_filsys fs;
	off_t end;
	int i, ret;

	kmsg_last(r, klog, sizeof(klog));
	if (klog[0])
		snprintf(said, sizeof(said), "; the kernel said: \"%s\"", klog);
	/* The device as it is now: it may have changed since the plan. */
	end = lseek(r->devfd, 0, SEEK_END);
	if (end > 0)
		dev_size = end;
	memset(&why, 0, sizeof(why));
	if (e == EPERM)
		kernel_eperm(r, klog, &why);
	if (!live_open(r->t, &fs, NULL)) {
		state_refusals(r->t, fs, NULL, &why);
		if (strcmp(what, "RESIZE_FS")) {
			why.old_blocks = r->reached;
			why.new_blocks = r->plan->new_blocks;
			why.old_desc_blocks = fs->desc_blocks;
			why.new_desc_blocks = r->plan->new_desc_blocks;
			why.new_groups = r->plan->new_groups;
			why.old_groups = fs->group_desc_count;
			legacy_refusals(fs, &why);
		}
		if (e == EINVAL)
			invalid_refusals(fs, target, &why);
		if (e == EOPNOTSUPP && ext2fs_has_feature_sparse_super2(fs->super))
			refuse(&why, -EOPNOTSUPP,
			       "the kernel does not resize sparse_super2 filesystems online; unmount it and grow it offline");
		ext2fs_close_free(&fs);
	}
	for (i = 0; i < why.nrefusals; i++)
		if (why.refusals[i].code == -e)
			break;
	if (i < why.nrefusals) {
		ret = e4_err_set(err, -e, "%s: %s", name, why.refusals[i].msg);
		goto out;
	}
	switch (e) {
	case EBUSY:
		ret = e4_err_set(err, -EBUSY,
				 "%s: another resize or tune operation (resize2fs, tune2fs, e4ctl) is running on %s; wait for it and try again",
				 name, r->t->mountpoint);
		break;
	case EROFS:
		ret = e4_err_set(err, -EROFS,
				 "%s: %s is mounted read-only; remount it read-write first: mount -o remount,rw %s",
				 name, r->t->mountpoint, r->t->mountpoint);
		break;
	case ENOSPC:
		e4_resize_device_hint(r->t, hint, sizeof(hint));
		ret = e4_err_set(err, -ENOSPC,
				 "%s: the kernel cannot read block %llu: the device is only %llu bytes (%llu blocks)%s%s",
				 name, (unsigned long long)(target - 1),
				 (unsigned long long)dev_size,
				 (unsigned long long)(dev_size / r->plan->block_size),
				 hint[0] ? "; " : "", hint);
		break;
	case EINVAL:
		ret = e4_err_set(err, -EINVAL,
				 "%s: the kernel rejected %s to %llu blocks as invalid (it has %llu), for no reason e4ctl's size and geometry checks find%s",
				 name, what, (unsigned long long)target,
				 (unsigned long long)r->reached,
				 said[0] ? said : "; its log (dmesg) names the check");
		break;
	case EPERM:
		ret = e4_err_set(err, -EPERM,
				 "%s: the kernel refused %s (EPERM) for a reason e4ctl cannot see%s",
				 name, what, said[0] ? said : "; see dmesg");
		break;
	case ENOTTY:
		ret = e4_err_set(err, -ENOTTY,
				 "%s: the driver mounted on %s does not resize online (no %s; the ext2 driver, not ext4?); unmount it and resize it offline",
				 name, r->t->mountpoint, what);
		break;
	default:
		ret = e4_err_sys(err, -e, "%s: %s to %llu blocks", name, what,
				 (unsigned long long)target);
		break;
	}
out:
	/* A grow that failed part-way: where our steps had brought it. */
	if (r->done != r->plan->old_blocks)
		e4_err_append(err, " (grown from %llu to %llu blocks before that; the filesystem is consistent there)",
			      (unsigned long long)r->plan->old_blocks,
			      (unsigned long long)r->done);
	return ret;
}

static int refresh(struct run *r, struct e4_err *err)
{
	int ret = live_blocks(r->devfd, &r->reached);

	if (ret)
		return e4_err_sys(err, ret, "%s: while re-reading the superblock",
				  e4_target_name(r->t));
	e4_job_progress(r->job, r->reached - r->plan->old_blocks,
			r->plan->new_blocks - r->plan->old_blocks);
	return 0;
}

static int interrupted(struct run *r, struct e4_err *err)
{
	return e4_err_set(err, -EINTR,
			  "interrupted; filesystem consistent at %llu blocks",
			  (unsigned long long)r->reached);
}

/* RESIZE_FS to each step's size; -ENOTTY untouched for the fallback. */
static int run_resize_fs(struct run *r, uint32_t fdb, struct e4_err *err)
{
	uint64_t target, before;
	int ret;

	while (r->reached < r->plan->new_blocks) {
		__u64 n;

		if (e4_job_cancelled(r->job))
			return interrupted(r, err);
		target = next_step(r->plan, fdb, r->reached);
		n = target;
		before = r->reached;
		if (ioctl(r->mfd, EXT4_IOC_RESIZE_FS, &n)) {
			int e = errno;

			if (e == ENOTTY && r->reached == r->plan->old_blocks)
				return -ENOTTY;
			refresh(r, NULL);
			if (e == EINTR)
				return interrupted(r, err);
			return explain(r, e, "RESIZE_FS", target, err);
		}
		ret = refresh(r, err);
		if (ret)
			return ret;
		r->done = r->reached;
		/* A kernel that stops short (trimming a last group we thought
		 * large enough) must not make us loop. */
		if (r->reached <= before || r->reached < target)
			break;
	}
	return 0;
}

/* GROUP_EXTEND to the end of the last group, then one GROUP_ADD per new
 * group with the group's own metadata at its start, as the kernel's
 * verify_group_input wants it. */
static int run_legacy(struct run *r, ext2_filsys fs, struct e4_err *err)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t bpg = sb->s_blocks_per_group, fdb = sb->s_first_data_block;
	uint64_t new = r->plan->new_blocks, end, g;
	int ret;

	end = fdb + groups_for(fs, r->reached) * bpg;
	if (r->reached < end && r->reached < new) {
		unsigned long n = new < end ? new : end;

		if (ioctl(r->mfd, EXT2_IOC_GROUP_EXTEND, &n))
			return explain(r, errno, "GROUP_EXTEND", n, err);
		ret = refresh(r, err);
		if (ret)
			return ret;
		r->done = r->reached;
	}
	for (g = groups_for(fs, r->reached); r->reached < new; g++) {
		/* The kernel copies its 48-byte ext4_new_group_data from
		 * this pointer, not the 40 bytes of the input struct. */
		union {
			struct ext4_new_group_input in;
			unsigned char room[64];
		} u;
		uint64_t start = fdb + g * bpg, count;
		blk64_t super, old_desc, new_desc;
		blk_t used = 0;

		if (e4_job_cancelled(r->job))
			return interrupted(r, err);
		if (r->reached != start)
			return e4_err_set(err, -EIO,
					  "%s: expected %llu blocks before adding group %llu, the kernel has %llu",
					  e4_target_name(r->t), (unsigned long long)start,
					  (unsigned long long)g, (unsigned long long)r->reached);
		count = new - start < bpg ? new - start : bpg;
		ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc, &used);
		memset(&u, 0, sizeof(u));
		u.in.group = g;
		u.in.block_bitmap = start + used;
		u.in.inode_bitmap = start + used + 1;
		u.in.inode_table = start + used + 2;
		u.in.blocks_count = count;
		/* Keep the filesystem's reserved ratio, within the kernel's
		 * limit of a fifth of the group. */
		u.in.reserved_blocks = ext2fs_blocks_count(sb) ?
			count * ext2fs_r_blocks_count(sb) / ext2fs_blocks_count(sb) : 0;
		if (u.in.reserved_blocks > count / 5)
			u.in.reserved_blocks = count / 5;
		if (ioctl(r->mfd, EXT4_IOC_GROUP_ADD, &u))
			return explain(r, errno, "GROUP_ADD", start + count, err);
		ret = refresh(r, err);
		if (ret)
			return ret;
		r->done = r->reached;
	}
	return 0;
}

int e4_resize_online(const struct e4_fs *efs, const struct e4_resize_plan *plan,
		     const struct e4_job *job, uint64_t *reached,
		     struct e4_err *err)
{
	const struct e4_target *t = e4_fs_target(efs);
	const char *name = e4_target_name(t);
	struct run r = { .t = t, .plan = plan, .job = job, .mfd = -1, .devfd = -1,
			 .kmsg = -1 };
	struct e4_resize_plan legacy;
	struct statfs sfs;
	struct stat st;
	ext2_filsys fs = NULL;
	int ret;

	*reached = plan->old_blocks;
	if (plan->nrefusals)
		return e4_err_set(err, plan->refusals[0].code, "%s: %s", name,
				  plan->refusals[0].msg);
	if (!t->mounted)
		return e4_err_set(err, -EINVAL, "%s: not mounted; use the offline resize",
				  name);
	r.mfd = open(t->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.mfd < 0)
		return e4_err_sys(err, -errno, "%s", t->mountpoint);
	if (fstatfs(r.mfd, &sfs)) {
		ret = e4_err_sys(err, -errno, "%s", t->mountpoint);
		goto out_close;
	}
	if (sfs.f_type != EXT4_MAGIC) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext4 filesystem (statfs type 0x%lx); unmount it and use the offline resize",
				 t->mountpoint, (unsigned long)sfs.f_type);
		goto out_close;
	}
	if (fstat(r.mfd, &st)) {
		ret = e4_err_sys(err, -errno, "%s", t->mountpoint);
		goto out_close;
	}
	if (st.st_dev != t->devno) {
		ret = e4_err_set(err, -EXDEV,
				 "%s: %s is no longer the filesystem of %s (it changed since it was resolved); run the command again",
				 name, t->mountpoint, t->device);
		goto out_close;
	}
	r.devfd = open(t->device, O_RDONLY | O_CLOEXEC);
	if (r.devfd < 0) {
		ret = e4_err_sys(err, -errno, "%s", t->device);
		goto out_close;
	}
	ret = live_open(t, &fs, err);
	if (ret)
		goto out_close;
	ret = live_blocks(r.devfd, &r.reached);
	if (ret) {
		ret = e4_err_sys(err, ret, "%s: while reading the superblock", name);
		goto out_close;
	}
	*reached = r.reached;
	r.done = r.reached;
	r.kmsg = kmsg_open();
	if (r.reached != plan->old_blocks) {
		ret = e4_err_set(err, -ESTALE,
				 "%s: the filesystem has %llu blocks, not the %llu planned for; someone else resized it: run the command again",
				 name, (unsigned long long)r.reached,
				 (unsigned long long)plan->old_blocks);
		goto out_close;
	}
	if (!plan->legacy) {
		ret = run_resize_fs(&r, fs->super->s_first_data_block, err);
		if (ret != -ENOTTY)
			goto out_close;
		/* A kernel before 3.3: the legacy path, if it can do this. */
		legacy = *plan;
		legacy.nrefusals = 0;
		legacy_refusals(fs, &legacy);
		if (legacy.nrefusals) {
			ret = e4_err_set(err, legacy.refusals[0].code,
					 "%s: this kernel lacks EXT4_IOC_RESIZE_FS, and the legacy ioctls cannot do it: %s",
					 name, legacy.refusals[0].msg);
			goto out_close;
		}
		r.plan = &legacy;
	}
	ret = run_legacy(&r, fs, err);
out_close:
	if (fs)
		ext2fs_close_free(&fs);
	if (r.kmsg >= 0)
		close(r.kmsg);
	if (r.devfd >= 0)
		close(r.devfd);
	close(r.mfd);
	*reached = r.reached;
	return ret;
}

int e4_resize_live_blocks(const struct e4_target *t, uint64_t *blocks,
			  struct e4_err *err)
{
	int fd, ret;

	fd = open(t->device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return e4_err_sys(err, -errno, "%s", t->device);
	ret = live_blocks(fd, blocks);
	if (ret)
		e4_err_sys(err, ret, "%s: while reading the superblock", t->device);
	close(fd);
	return ret;
}
