// SPDX-License-Identifier: GPL-2.0
/*
 * Why an online resize failed, in the user's terms: the kernel's log
 * line when it wrote one, then the plan's own checks replayed on the
 * facts as they are now (they may have changed since the plan), so the
 * user learns the cause rather than an errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e4/sysfs.h"
#include "resize_priv.h"

#define refuse e4_resize_refuse

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

/* The kernel log from now on, when this process may read it. */
int e4_resize_kmsg_open(void)
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
static void kmsg_last(struct e4_resize_online_run *r, char *buf, size_t len)
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
static void kernel_eperm(const struct e4_resize_online_run *r, const char *klog,
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
static void invalid_refusals(const struct e4_resize_facts *f, uint64_t target,
			     struct e4_resize_plan *why)
{
	const struct e4_geom *g = &f->geom;
	uint64_t live = g->blocks, groups = e4_geom_groups(g, target);

	if (target < live)
		refuse(why, -EINVAL,
		       "the filesystem has %llu blocks now, more than the %llu asked for (someone else grew it meanwhile), and the kernel does not shrink; run the command again",
		       (unsigned long long)live, (unsigned long long)target);
	else if (g->resize_inode && g->meta_bg)
		refuse(why, -EINVAL,
		       "resize_inode and meta_bg are both set, which the kernel takes for corruption; unmount it and run e2fsck -f");
	else if (groups && groups - 1 >= 0xFFFFFFFFULL / g->inodes_per_group)
		refuse(why, -EINVAL,
		       "%llu blocks make %llu groups of %u inodes, past the kernel's limit of 4294967295 inodes",
		       (unsigned long long)target,
		       (unsigned long long)groups, g->inodes_per_group);
	else if (target > live &&
		 e4_geom_kernel_trim(g, target, f->kernel_meta_bg_resize,
				     f->kernel_converts_any) < live)
		e4_resize_small_last_group(g, target, why);
}

/* Why an ioctl failed, in the user's terms. */
int e4_resize_explain(struct e4_resize_online_run *r, int e, const char *what, uint64_t target,
		   struct e4_err *err)
{
	const char *name = e4_target_name(r->t);
	struct e4_resize_plan why;
	uint64_t dev_size = r->t->size;
	char hint[300], klog[256], said[300] = "";
	struct e4_resize_facts f;
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
	if (!e4_resize_facts_online(r->t, NULL, &f, NULL)) {
		e4_resize_state_refusals(&f, &why);
		if (strcmp(what, "RESIZE_FS")) {
			why.old_blocks = r->reached;
			why.new_blocks = r->plan->new_blocks;
			why.old_desc_blocks = f.geom.desc_blocks;
			why.new_desc_blocks = r->plan->new_desc_blocks;
			why.new_groups = r->plan->new_groups;
			why.old_groups = f.geom.groups;
			e4_resize_legacy_refusals(&f.geom, &why);
		}
		if (e == EINVAL)
			invalid_refusals(&f, target, &why);
		if (e == EOPNOTSUPP && f.geom.sparse_super2)
			refuse(&why, -EOPNOTSUPP,
			       "the kernel does not resize sparse_super2 filesystems online; unmount it and grow it offline");
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
