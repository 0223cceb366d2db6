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
#include <linux/loop.h>

#include <blkid/blkid.h>
#include <libmount/libmount.h>

#include "e4/mounts.h"
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

	ret = e4_mounts_read(NULL, &tb, err);
	if (ret)
		return ret;
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
		/* Writable only if both the mount and the superblock are. */
		t->readonly = e4_mounts_readonly(best);
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

/* "MAJ:MIN" of a /sys/block entry (or a partition of one). */
static int sysfs_devno(const char *dir, dev_t *devno)
{
	char p[PATH_MAX], buf[32];
	unsigned int maj, min;

	snprintf(p, sizeof(p), "%s/dev", dir);
	if (e4_sysfs_read(NULL, p, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -ENOENT;
	*devno = makedev(maj, min);
	return 0;
}

/* How many mounts of devno this mount namespace has; *where: one of them. */
static int devno_mounts(struct libmnt_table *tb, dev_t devno,
			const char **where)
{
	struct libmnt_iter *itr = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int n = 0;

	if (!itr)
		return -ENOMEM;
	while (mnt_table_next_fs(tb, itr, &fs) == 0)
		if (mnt_fs_get_devno(fs) == devno && mnt_fs_get_target(fs)) {
			if (!n && where)
				*where = mnt_fs_get_target(fs);
			n++;
		}
	mnt_free_iter(itr);
	return n;
}

/*
 * Whether the loop device /dev/name backs onto the file st, and at which
 * offset.  LOOP_GET_STATUS64 names the backing inode exactly; without the
 * right to open the node, sysfs's backing_file (a path, which may be stale)
 * stands in.
 */
static bool loop_backs(const char *name, const struct stat *st,
		       uint64_t *offset)
{
	char p[PATH_MAX], backing[PATH_MAX];
	struct loop_info64 li;
	struct stat bst;
	int fd;

	snprintf(p, sizeof(p), "/dev/%s", name);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		int rc = ioctl(fd, LOOP_GET_STATUS64, &li);

		close(fd);
		if (!rc) {
			*offset = li.lo_offset;
			return li.lo_device == (uint64_t)st->st_dev &&
			       li.lo_inode == (uint64_t)st->st_ino;
		}
		if (errno == ENXIO)	/* not bound to a file */
			return false;
	}
	snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", name);
	if (e4_sysfs_read(NULL, p, backing, sizeof(backing)) <= 0)
		return false;
	snprintf(p, sizeof(p), "/sys/block/%s/loop/offset", name);
	if (e4_sysfs_read_u64(NULL, p, offset))
		return false;
	return !stat(backing, &bst) && bst.st_dev == st->st_dev &&
	       bst.st_ino == st->st_ino;
}

/*
 * Whether anything but a mount of the whole device here uses the loop
 * device /sys/block/name: a mounted partition, a holder (dm, md), or an
 * exclusive opener -- which is how a mount in another mount namespace
 * shows.  Fills why (", whose partition loop0p1 is mounted on /mnt").
 */
static bool loop_used_otherwise(struct libmnt_table *tb, const char *name,
				char *why, size_t len)
{
	char dir[300], p[PATH_MAX];
	struct dirent *de;
	bool used = false;
	DIR *d;
	int fd;

	snprintf(dir, sizeof(dir), "/sys/block/%s", name);
	d = opendir(dir);
	while (d && !used && (de = readdir(d))) {
		const char *where = NULL;
		dev_t devno;

		if (strncmp(de->d_name, name, strlen(name)))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (sysfs_devno(p, &devno) || devno_mounts(tb, devno, &where) <= 0)
			continue;
		snprintf(why, len, ", whose partition %s is mounted on %s",
			 de->d_name, where);
		used = true;
	}
	if (d)
		closedir(d);
	if (used)
		return true;

	snprintf(p, sizeof(p), "%s/holders", dir);
	d = opendir(p);
	while (d && !used && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(why, len, ", held by %s", de->d_name);
		used = true;
	}
	if (d)
		closedir(d);
	if (used)
		return true;

	/* A mount claims the device: O_EXCL fails on it, in any namespace. */
	snprintf(p, sizeof(p), "/dev/%s", name);
	fd = open(p, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	if (errno != EBUSY)
		return false;
	snprintf(why, len, ", which is busy (mounted in another mount namespace, or open exclusively)");
	return true;
}

/*
 * The loop devices that back onto the image file st.  A mounted one at
 * offset 0 is the live filesystem: *loop names it (a read-write mount
 * preferred) and *others counts the mounts of the other ones at offset 0.
 * Any other use of any of them -- a mount at another offset, a mounted
 * partition, a holder, a mount we cannot see -- means that the file is
 * live under something we cannot resolve: -EBUSY, nothing to touch.
 */
static int find_loops_for_file(const struct e4_target *t, const struct stat *st,
			       char *loop, size_t len, int *others,
			       struct e4_err *err)
{
	struct libmnt_table *tb;
	struct dirent *de;
	bool found_rw = false, busy = false;
	char why[PATH_MAX + 128] = "", busy_dev[300] = "";
	int ret = 0, chosen_n = 0;
	DIR *d;

	*loop = '\0';
	*others = 0;
	d = opendir("/sys/block");
	if (!d)
		return 0;
	ret = e4_mounts_read(NULL, &tb, err);
	if (ret)
		goto out_dir;
	while ((de = readdir(d))) {
		const char *where = NULL;
		uint64_t offset = 0;
		dev_t devno;
		char dir[PATH_MAX];
		int n;

		if (strncmp(de->d_name, "loop", 4) ||
		    !loop_backs(de->d_name, st, &offset))
			continue;
		snprintf(dir, sizeof(dir), "/sys/block/%s", de->d_name);
		n = sysfs_devno(dir, &devno) ? 0 : devno_mounts(tb, devno, &where);
		if (n < 0) {
			ret = e4_err_sys(err, n, "while reading mounts");
			goto out_table;
		}
		if (n && !offset) {
			struct e4_target probe = { 0 };
			bool rw;

			/* find_mounts on a scratch target: is a mount of it rw? */
			probe.arg = t->arg;
			probe.path = t->path;
			ret = find_mounts(&probe, devno, err);
			rw = probe.mounted && !probe.readonly;
			free(probe.mountpoint);
			if (ret)
				goto out_table;
			if (!*loop || (rw && !found_rw)) {
				*others += chosen_n;
				chosen_n = n;
				snprintf(loop, len, "/dev/%s", de->d_name);
				found_rw = rw;
			} else {
				*others += n;
			}
			continue;
		}
		if (busy)
			continue;
		if (n) {
			snprintf(why, sizeof(why), " at offset %llu, mounted on %s",
				 (unsigned long long)offset, where);
			busy = true;
		} else {
			busy = loop_used_otherwise(tb, de->d_name, why, sizeof(why));
		}
		if (busy)
			snprintf(busy_dev, sizeof(busy_dev), "/dev/%s", de->d_name);
	}
	if (!*loop && busy)
		ret = e4_err_set(err, -EBUSY,
				 "%s: in use: it backs %s%s; not touching the image",
				 t->arg, busy_dev, why);
out_table:
	mnt_unref_table(tb);
out_dir:
	closedir(d);
	return ret;
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
	errno = 0;
	ret = blkid_do_safeprobe(pr);
	if (ret == -2) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext2/3/4 filesystem (ambivalent signatures)",
				 name);
		goto out_probe;
	}
	if (ret < 0) {
		/* A read failed: say so, not "no signature".  libblkid
		 * returns -1 with errno, or (2.38) the -errno itself. */
		int e = ret < -2 ? -ret : errno > 0 ? errno : EIO;

		ret = e4_err_sys(err, -e, "%s: while probing for a filesystem signature",
				 name);
		goto out_probe;
	}
	if (ret != 0 || blkid_probe_lookup_value(pr, "TYPE", &val, NULL)) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext2/3/4 filesystem (no filesystem signature found)",
				 name);
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
	int others, ret;

	t->image = strdup(real);
	if (!t->image)
		return e4_err_sys(err, -ENOMEM, "%s", t->arg);
	ret = find_loops_for_file(t, st, loop, sizeof(loop), &others, err);
	if (ret)
		return ret;
	if (*loop) {
		/* Mounted through a loop device: that is the live filesystem. */
		if (stat(loop, &lst) || !S_ISBLK(lst.st_mode))
			return e4_err_set(err, -EBUSY,
					  "%s: mounted through %s, which has no device node here",
					  t->arg, loop);
		ret = resolve_blockdev(t, loop, &lst, err);
		t->nmounts += others;
		return ret;
	}
	/* Not mounted (attached or not): the image itself is what to open. */
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
	ret = e4_mounts_read(NULL, &tb, err);
	if (ret)
		return ret;
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

static int resolve(const char *arg, bool need_signature,
		   struct e4_target **out, struct e4_err *err)
{
	struct e4_target *t;
	char *real = NULL;
	struct stat st;
	int ret;

	*out = NULL;
	if (stat(arg, &st))
		return e4_err_sys(err, -errno, "%s", arg);
	t = calloc(1, sizeof(*t));
	if (!t || !(t->arg = strdup(arg))) {
		ret = e4_err_sys(err, -ENOMEM, "%s", arg);
		goto out_free;
	}
	real = realpath(arg, NULL);
	if (!real) {
		/* stat saw it, but the path does not resolve (a removed
		 * working directory, a name too long, a permission). */
		ret = e4_err_sys(err, -errno, "%s: while resolving the path", arg);
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
	/* The size is known by then; what the signature says is not needed. */
	if (ret == -EMEDIUMTYPE && !need_signature && t->device)
		ret = 0;
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

int e4_target_resolve(const char *arg, struct e4_target **out,
		      struct e4_err *err)
{
	return resolve(arg, true, out, err);
}

int e4_target_resolve_unprobed(const char *arg, struct e4_target **out,
			       struct e4_err *err)
{
	return resolve(arg, false, out, err);
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
