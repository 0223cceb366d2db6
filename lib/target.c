// SPDX-License-Identifier: GPL-2.0
/*
 * TARGET resolution: from what the user typed to the device to open and
 * the place it is mounted, with libmount (mountinfo) and libblkid (the
 * signature on the device).  Nothing here writes anything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>

#include <blkid/blkid.h>
#include <libmount/libmount.h>

#include "e4/sysfs.h"
#include "e4/target.h"

static bool is_ext(const char *type)
{
	return !strcmp(type, "ext2") || !strcmp(type, "ext3") ||
	       !strcmp(type, "ext4") || !strcmp(type, "ext4dev");
}

static bool path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!strcmp(prefix, "/"))
		return true;
	return !strncmp(path, prefix, n) && (path[n] == '/' || !path[n]);
}

/*
 * Fill the mount fields of t from every mount of devno.  The mount point
 * kept is, in order of preference: the one containing t->path (longest
 * prefix), a mount of the filesystem's root, the first one.
 */
static int find_mounts(struct e4_target *t, dev_t devno, struct e4_err *err)
{
	struct libmnt_table *tb;
	struct libmnt_iter *itr;
	struct libmnt_fs *fs, *best = NULL;
	size_t best_len = 0;
	int ret = 0;

	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		return e4_err_sys(err, -errno ? -errno : -EIO,
				  "while reading /proc/self/mountinfo");
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (!itr) {
		ret = e4_err_sys(err, -ENOMEM, "while reading mounts");
		goto out_table;
	}
	while (mnt_table_next_fs(tb, itr, &fs) == 0) {
		const char *target = mnt_fs_get_target(fs);
		const char *root = mnt_fs_get_root(fs);

		if (mnt_fs_get_devno(fs) != devno || !target)
			continue;
		t->nmounts++;
		if (t->path && path_has_prefix(t->path, target)) {
			if (strlen(target) >= best_len) {
				best = fs;
				best_len = strlen(target);
			}
		} else if (!best && root && !strcmp(root, "/")) {
			best = fs;
		}
		if (!best && !t->path)
			best = fs;
	}
	if (t->nmounts && !best) {
		/* The path is not under any mount of devno: keep the first. */
		mnt_reset_iter(itr, MNT_ITER_FORWARD);
		while (mnt_table_next_fs(tb, itr, &fs) == 0)
			if (mnt_fs_get_devno(fs) == devno) {
				best = fs;
				break;
			}
	}
	if (best) {
		const char *type = mnt_fs_get_fstype(best);

		t->mounted = true;
		t->mountpoint = strdup(mnt_fs_get_target(best));
		t->readonly = mnt_fs_get_vfs_options(best) &&
			      mnt_optstr_get_option(mnt_fs_get_vfs_options(best),
						    "ro", NULL, NULL) == 0;
		if (!t->mountpoint)
			ret = e4_err_sys(err, -ENOMEM, "while reading mounts");
		else if (type && !is_ext(type))
			ret = e4_err_set(err, -EMEDIUMTYPE,
					 "%s: not an ext2/3/4 filesystem (mounted as %s)",
					 t->arg, type);
	}
	mnt_free_iter(itr);
out_table:
	mnt_unref_table(tb);
	return ret;
}

/* The loop device (offset 0) that backs onto the file st, if any. */
static int find_loop_for_file(const struct stat *st, char *dev, size_t len)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char p[PATH_MAX], backing[PATH_MAX];
		uint64_t offset = 0;
		struct stat bst;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file",
			 de->d_name);
		if (e4_sysfs_read(NULL, p, backing, sizeof(backing)) <= 0)
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/offset", de->d_name);
		if (e4_sysfs_read_u64(NULL, p, &offset) || offset)
			continue;
		if (stat(backing, &bst) || bst.st_dev != st->st_dev ||
		    bst.st_ino != st->st_ino)
			continue;
		snprintf(dev, len, "/dev/%s", de->d_name);
		found = 1;
	}
	closedir(d);
	return found;
}

/* Probe the signature on t->device; fill fstype, uuid, label, size. */
static int probe_device(struct e4_target *t, struct e4_err *err)
{
	const char *name = t->image ? t->image : t->device;
	blkid_probe pr;
	const char *val;
	struct stat st;
	int fd, ret = 0;

	fd = open(t->device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return e4_err_sys(err, -errno, "%s", t->device);
	if (fstat(fd, &st)) {
		ret = e4_err_sys(err, -errno, "%s", t->device);
		goto out_close;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &t->size)) {
			ret = e4_err_sys(err, -errno, "%s: while reading its size",
					 t->device);
			goto out_close;
		}
	} else {
		t->size = st.st_size;
	}
	if (t->size == 0) {
		ret = e4_err_set(err, -ENODATA,
				 "%s: empty %s, not an ext2/3/4 filesystem", name,
				 S_ISBLK(st.st_mode) ? "device" : "file");
		goto out_close;
	}
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0)) {
		ret = e4_err_sys(err, -ENOMEM, "%s: while probing", name);
		goto out_probe;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_UUID | BLKID_SUBLKS_LABEL);
	ret = blkid_do_safeprobe(pr);
	if (ret == -2) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext2/3/4 filesystem (ambivalent signatures)",
				 name);
		goto out_probe;
	}
	if (ret == 1 || blkid_probe_lookup_value(pr, "TYPE", &val, NULL)) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext2/3/4 filesystem (no filesystem signature found)",
				 name);
		goto out_probe;
	}
	if (ret < 0) {
		ret = e4_err_sys(err, -EIO, "%s: while probing", name);
		goto out_probe;
	}
	ret = 0;
	if (!is_ext(val)) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext2/3/4 filesystem (found %s)", name, val);
		goto out_probe;
	}
	snprintf(t->fstype, sizeof(t->fstype), "%s", val);
	if (!blkid_probe_lookup_value(pr, "UUID", &val, NULL))
		snprintf(t->uuid, sizeof(t->uuid), "%s", val);
	if (!blkid_probe_lookup_value(pr, "LABEL", &val, NULL))
		snprintf(t->label, sizeof(t->label), "%s", val);
out_probe:
	blkid_free_probe(pr);
out_close:
	close(fd);
	return ret;
}

static int resolve_blockdev(struct e4_target *t, const char *real,
			    const struct stat *st, struct e4_err *err)
{
	t->is_blockdev = true;
	t->devno = st->st_rdev;
	t->device = strdup(real);
	if (!t->device)
		return e4_err_sys(err, -ENOMEM, "%s", t->arg);
	return find_mounts(t, t->devno, err);
}

static int resolve_image(struct e4_target *t, const char *real,
			 const struct stat *st, struct e4_err *err)
{
	char loop[PATH_MAX];
	struct stat lst;

	t->image = strdup(real);
	if (!t->image)
		return e4_err_sys(err, -ENOMEM, "%s", t->arg);
	if (find_loop_for_file(st, loop, sizeof(loop)) &&
	    stat(loop, &lst) == 0 && S_ISBLK(lst.st_mode)) {
		/* Attached to a loop device: that is the live filesystem. */
		int ret = resolve_blockdev(t, loop, &lst, err);

		if (ret || t->mounted)
			return ret;
		/* Not mounted: the image itself is what to open. */
		free(t->device);
		t->device = NULL;
		t->is_blockdev = false;
		t->devno = 0;
	}
	t->device = strdup(real);
	return t->device ? 0 : e4_err_sys(err, -ENOMEM, "%s", t->arg);
}

static int resolve_dir(struct e4_target *t, const char *real,
		       const struct stat *st, struct e4_err *err)
{
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	const char *src, *type;
	int ret;

	t->path = strdup(real);
	if (!t->path)
		return e4_err_sys(err, -ENOMEM, "%s", t->arg);
	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!tb)
		return e4_err_sys(err, -EIO, "while reading /proc/self/mountinfo");
	fs = mnt_table_find_devno(tb, st->st_dev, MNT_ITER_BACKWARD);
	if (!fs) {
		/* btrfs subvolumes and the like: fall back to the mount point. */
		char *mp = mnt_get_mountpoint(real);

		fs = mp ? mnt_table_find_target(tb, mp, MNT_ITER_BACKWARD) : NULL;
		free(mp);
	}
	type = fs ? mnt_fs_get_fstype(fs) : NULL;
	src = fs ? mnt_fs_get_srcpath(fs) : NULL;
	if (!type || !is_ext(type)) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: a directory on %s%s filesystem, not ext2/3/4",
				 t->arg, type ? "a " : "an unknown",
				 type ? type : "");
		goto out;
	}
	if (!src) {
		ret = e4_err_set(err, -ENODEV, "%s: no source device in mountinfo",
				 t->arg);
		goto out;
	}
	t->device = strdup(src);
	t->is_blockdev = true;
	t->devno = st->st_dev;
	ret = t->device ? find_mounts(t, t->devno, err) :
			  e4_err_sys(err, -ENOMEM, "%s", t->arg);
out:
	mnt_unref_table(tb);
	return ret;
}

int e4_target_resolve(const char *arg, struct e4_target **out,
		      struct e4_err *err)
{
	struct e4_target *t;
	char *real = NULL;
	struct stat st;
	int ret;

	*out = NULL;
	if (stat(arg, &st))
		return e4_err_sys(err, -errno, "%s", arg);
	t = calloc(1, sizeof(*t));
	if (!t || !(t->arg = strdup(arg)) || !(real = realpath(arg, NULL))) {
		ret = e4_err_sys(err, -ENOMEM, "%s", arg);
		goto out_free;
	}
	if (S_ISBLK(st.st_mode))
		ret = resolve_blockdev(t, real, &st, err);
	else if (S_ISREG(st.st_mode))
		ret = resolve_image(t, real, &st, err);
	else if (S_ISDIR(st.st_mode))
		ret = resolve_dir(t, real, &st, err);
	else
		ret = e4_err_set(err, -ENOTBLK,
				 "%s: not a block device, image file or directory",
				 arg);
	if (!ret)
		ret = probe_device(t, err);
	if (ret)
		goto out_free;
	free(real);
	*out = t;
	return 0;
out_free:
	free(real);
	e4_target_free(t);
	return ret;
}

void e4_target_free(struct e4_target *t)
{
	if (!t)
		return;
	free(t->arg);
	free(t->device);
	free(t->image);
	free(t->mountpoint);
	free(t->path);
	free(t);
}

const char *e4_target_name(const struct e4_target *t)
{
	return t->image && !t->is_blockdev ? t->image : t->device;
}
