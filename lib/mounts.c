// SPDX-License-Identifier: GPL-2.0
/*
 * The mount table, read once per question with libmount from the
 * sysroot's /proc/self/mountinfo, so that target resolution, the resize
 * plan and the writeback view all see the same mounts, and tests can put
 * a fixture mountinfo in their place.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include <libmount/libmount.h>

#include "e4/mounts.h"
#include "e4/sysfs.h"

int e4_mounts_read(const char *sysroot, struct libmnt_table **tb,
		   struct e4_err *err)
{
	char path[PATH_MAX];
	int ret;

	*tb = NULL;
	ret = e4_sysfs_path(sysroot, "/proc/self/mountinfo", path, sizeof(path));
	if (ret)
		return e4_err_sys(err, ret, "while reading %s/proc/self/mountinfo",
				  sysroot ? sysroot : "");
	/* libmount returns NULL with errno from the failed open or parse. */
	errno = 0;
	*tb = mnt_new_table_from_file(path);
	if (!*tb)
		return e4_err_sys(err, errno ? -errno : -EIO, "while reading %s",
				  path);
	return 0;
}

static bool opt_ro(const char *opts)
{
	return opts && mnt_optstr_get_option(opts, "ro", NULL, NULL) == 0;
}

bool e4_mounts_readonly(struct libmnt_fs *fs)
{
	return opt_ro(mnt_fs_get_vfs_options(fs)) ||
	       opt_ro(mnt_fs_get_fs_options(fs));
}

int e4_mounts_fs_option(struct libmnt_fs *fs, const char *name, char *buf,
			size_t len)
{
	const char *opts = mnt_fs_get_fs_options(fs);
	char *val = NULL;
	size_t vlen = 0;
	int n;

	if (!len)
		return -EINVAL;
	*buf = '\0';
	if (!opts || mnt_optstr_get_option(opts, name, &val, &vlen))
		return -ENOENT;
	n = snprintf(buf, len, "%.*s", (int)vlen, val ? val : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int e4_mounts_find_type(const char *sysroot, const char *fstype, char *buf,
			size_t len, bool *partial, struct e4_err *err)
{
	struct libmnt_table *tb;
	struct libmnt_iter *itr;
	struct libmnt_fs *fs;
	int ret;

	ret = e4_mounts_read(sysroot, &tb, err);
	if (ret)
		return ret;
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (!itr) {
		ret = e4_err_sys(err, -ENOMEM, "while reading mounts");
		goto out_table;
	}
	ret = -ENOENT;
	while (mnt_table_next_fs(tb, itr, &fs) == 0) {
		const char *type = mnt_fs_get_fstype(fs);
		const char *root = mnt_fs_get_root(fs);
		const char *target = mnt_fs_get_target(fs);
		int n;

		if (!type || strcmp(type, fstype) || !target)
			continue;
		if (partial)
			*partial = root && strcmp(root, "/");
		n = snprintf(buf, len, "%s", target);
		ret = n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
		break;
	}
	if (ret == -ENOENT)
		e4_err_set(err, ret, "no %s mount in %s/proc/self/mountinfo",
			   fstype, sysroot ? sysroot : "");
	else if (ret)
		e4_err_sys(err, ret, "%s mount point", fstype);
	mnt_free_iter(itr);
out_table:
	mnt_unref_table(tb);
	return ret;
}

int e4_mounts_private_ns(bool *done, struct e4_err *err)
{
	if (*done)
		return 0;
	if (unshare(CLONE_NEWNS))
		return e4_err_sys(err, -errno, "cannot enter a private mount namespace (needs root)");
	/* Without this our mounts would propagate back to the system's. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return e4_err_sys(err, -errno, "cannot make the private mount namespace private");
	*done = true;
	return 0;
}
