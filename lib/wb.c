// SPDX-License-Identifier: GPL-2.0
/*
 * The writeback view of a mounted filesystem: which backing_dev_info its
 * device writes through, the contexts debugfs lists for it, and the
 * snapshot that joins them with their cgroups (lib/wb_cgroup.c).  Owns the
 * private mount namespace that debugfs is mounted in when the system has
 * not mounted it, so the system's mount table never changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libmount/libmount.h>

#include "e4/array.h"
#include "e4/mounts.h"
#include "e4/sysfs.h"
#include "e4/target.h"
#include "wb_int.h"

static bool is_ext(const char *type)
{
	return type && (!strcmp(type, "ext2") || !strcmp(type, "ext3") ||
			!strcmp(type, "ext4"));
}

/*
 * Find the mount of the filesystem: by devno (a resolved target), or by
 * mount point or source name (fixtures).  Fills device, mountpoint, devno
 * and data=journal.
 */
static int find_fs(struct e4_wb *wb, const char *target, dev_t devno,
		   bool *data_journal, struct e4_err *err)
{
	struct e4_wb_info *in = &wb->info;
	struct libmnt_table *tb;
	struct libmnt_iter *itr;
	struct libmnt_fs *fs, *found = NULL;
	char mode[16];
	int ret;

	ret = e4_mounts_read(wb->sysroot, &tb, err);
	if (ret)
		return ret;
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	if (!itr) {
		ret = e4_err_sys(err, -ENOMEM, "while reading mounts");
		goto out_table;
	}
	while (!found && mnt_table_next_fs(tb, itr, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs), *src = mnt_fs_get_source(fs);

		if (!is_ext(mnt_fs_get_fstype(fs)))
			continue;
		if (devno ? mnt_fs_get_devno(fs) == devno :
			    ((t && !strcmp(t, target)) || (src && !strcmp(src, target))))
			found = fs;
	}
	if (!found) {
		ret = e4_err_set(err, -ENOENT, "%s: not a mounted ext2/3/4 filesystem%s",
				 target, wb->sysroot ? " in the sysroot's mountinfo" : "");
		goto out_iter;
	}
	devno = mnt_fs_get_devno(found);
	e4_sysfs_pathf(in->device, sizeof(in->device), "%s",
		 mnt_fs_get_source(found) ? mnt_fs_get_source(found) : "");
	e4_sysfs_pathf(in->mountpoint, sizeof(in->mountpoint), "%s",
		 mnt_fs_get_target(found));
	e4_sysfs_pathf(in->devno, sizeof(in->devno), "%u:%u", major(devno), minor(devno));
	if (!e4_mounts_fs_option(found, "data", mode, sizeof(mode)))
		*data_journal = !strcmp(mode, "journal");
out_iter:
	mnt_free_iter(itr);
out_table:
	mnt_unref_table(tb);
	return ret;
}

/*
 * The bdi of the device: a disk's own, or for a partition its disk's
 * (partitions have no bdi; extended-devt partitions of loop and nvme
 * included).  sysfs names it through the disk's "bdi" link.
 */
static int find_bdi(struct e4_wb *wb, struct e4_err *err)
{
	struct e4_wb_info *in = &wb->info;
	char p[PATH_MAX], real[PATH_MAX], link[PATH_MAX], buf[64];
	char *slash;
	ssize_t n;
	int ret;

	e4_sysfs_pathf(link, sizeof(link), "/sys/dev/block/%s", in->devno);
	ret = e4_sysfs_path(wb->sysroot, link, p, sizeof(p));
	if (ret || !realpath(p, real))
		return e4_err_sys(err, ret ? ret : -errno, "%s: no %s in sysfs",
				  in->device, link);
	slash = strrchr(real, '/');
	e4_sysfs_pathf(in->name, sizeof(in->name), "%s", slash ? slash + 1 : real);
	e4_sysfs_pathf(p, sizeof(p), "%s/partition", real);
	if (access(p, F_OK) == 0) {
		in->partition = true;
		slash = strrchr(real, '/');
		if (slash)
			*slash = '\0';
	}
	slash = strrchr(real, '/');
	e4_sysfs_pathf(in->disk, sizeof(in->disk), "%s", slash ? slash + 1 : real);

	e4_sysfs_pathf(p, sizeof(p), "%s/bdi", real);
	n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		slash = strrchr(link, '/');
		e4_sysfs_pathf(in->bdi, sizeof(in->bdi), "%s", slash ? slash + 1 : link);
		return 0;
	}
	/* No link: the bdi is named after the disk's dev_t. */
	e4_sysfs_pathf(p, sizeof(p), "%s/dev", real);
	ret = e4_sysfs_read(NULL, p, buf, sizeof(buf));
	if (ret <= 0)
		return e4_err_sys(err, ret ? ret : -ENODATA,
				  "%s: cannot find the bdi of disk %s", in->device, in->disk);
	e4_sysfs_pathf(in->bdi, sizeof(in->bdi), "%s", buf);
	return 0;
}

/*
 * data=journal as the superblock's default mount option (tune2fs -o
 * journal_data) does not show in mountinfo, which lists data= only when it
 * differs from the default; ext4's own options file always names the data
 * mode.  No file (not the ext4 driver): mountinfo's word stands.
 */
static bool ext4_data_journal(const struct e4_wb *wb)
{
	char rel[128], path[PATH_MAX], *buf, *line, *save = NULL;
	bool journal = false;

	if (e4_sysfs_pathf(rel, sizeof(rel), "/proc/fs/ext4/%s/options", wb->info.name) ||
	    e4_sysfs_path(wb->sysroot, rel, path, sizeof(path)) ||
	    e4_sysfs_read_all(path, &buf, NULL))
		return false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strcmp(line, "data=journal"))
			journal = true;
	free(buf);
	return journal;
}

/* Find or mount debugfs; fill wb->debugfs with the bdi's directory. */
static int open_debugfs(struct e4_wb *wb, struct e4_err *err)
{
	char mnt[PATH_MAX];
	int ret;

	if (wb->sysroot) {
		ret = e4_sysfs_path(wb->sysroot, "/sys/kernel/debug", mnt, sizeof(mnt));
		if (ret)
			return e4_err_sys(err, ret, "sysroot");
	} else if (e4_mounts_find_type(NULL, "debugfs", mnt, sizeof(mnt), NULL, NULL)) {
		ret = e4_mounts_private_ns(&wb->private_ns, err);
		if (ret)
			return ret;
		e4_sysfs_pathf(mnt, sizeof(mnt), "/sys/kernel/debug");
		/* No options: debugfs has one superblock, shared with any
		 * other namespace that mounts it. */
		if (mount("debugfs", mnt, "debugfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			return e4_err_sys(err, -errno,
					  "cannot mount debugfs on %s in a private mount namespace",
					  mnt);
		wb->info.private_debugfs = true;
	}
	if (e4_sysfs_pathf(wb->debugfs, sizeof(wb->debugfs), "%s/bdi/%s", mnt,
		     wb->info.bdi))
		return e4_err_set(err, -ENAMETOOLONG, "debugfs path too long");
	if (access(wb->debugfs, F_OK))
		return e4_err_sys(err, -errno, "%s: no bdi %s in debugfs (%s)",
				  wb->info.device, wb->info.bdi, wb->debugfs);
	wb->info.has_wb_stats = !e4_sysfs_pathf(mnt, sizeof(mnt), "%s/wb_stats", wb->debugfs) &&
				access(mnt, F_OK) == 0;
	return 0;
}

int e4_wb_open(const char *target, const char *sysroot, struct e4_wb **out,
	       struct e4_err *err)
{
	struct e4_target *t = NULL;
	struct e4_wb *wb;
	bool data_journal = false;
	dev_t devno = 0;
	int ret;

	wb = calloc(1, sizeof(*wb));
	if (!wb)
		return e4_err_sys(err, -ENOMEM, "while opening %s", target);
	if (sysroot && *sysroot) {
		wb->sysroot = strdup(sysroot);
		if (!wb->sysroot) {
			ret = e4_err_sys(err, -ENOMEM, "while opening %s", target);
			goto out_free;
		}
	} else {
		ret = e4_target_resolve(target, &t, err);
		if (ret)
			goto out_free;
		if (!t->mounted || !t->devno) {
			ret = e4_err_set(err, -EINVAL,
					 "%s: not mounted: writeback state belongs to a mounted filesystem",
					 e4_target_name(t));
			goto out_target;
		}
		devno = t->devno;
	}
	ret = find_fs(wb, target, devno, &data_journal, err);
	if (!ret && t && t->mountpoint)
		e4_sysfs_pathf(wb->info.mountpoint, sizeof(wb->info.mountpoint), "%s",
			 t->mountpoint);
	if (!ret)
		ret = find_bdi(wb, err);
	if (!ret)
		ret = open_debugfs(wb, err);
	if (ret)
		goto out_target;
	data_journal = data_journal || ext4_data_journal(wb);
	wb_detect_mode(wb, data_journal);
	e4_target_free(t);
	*out = wb;
	return 0;
out_target:
	e4_target_free(t);
out_free:
	e4_wb_close(wb);
	return ret;
}

const struct e4_wb_info *e4_wb_info(const struct e4_wb *wb)
{
	return &wb->info;
}

void e4_wb_close(struct e4_wb *wb)
{
	if (!wb)
		return;
	e4_wb_events_stop(wb);
	wb_cgroup_free(wb);
	free(wb->sysroot);
	/* The private namespace, and debugfs in it, end with the process. */
	free(wb);
}

/* ---------------------------------------------------------------- read */

static bool in_subtree(const char *path, const char *sel)
{
	size_t n = strlen(sel);

	if (!strcmp(sel, "/"))
		return true;
	return !strncmp(path, sel, n) && (path[n] == '/' || !path[n]);
}

static int ctx_cmp(const void *a, const void *b)
{
	const struct e4_wb_ctx *x = a, *y = b;
	uint64_t dx = x->has_wb ? x->reclaimable : x->file_dirty;
	uint64_t dy = y->has_wb ? y->reclaimable : y->file_dirty;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	if (x->path && y->path)
		return strcmp(x->path, y->path);
	if (x->path || y->path)
		return x->path ? -1 : 1;
	return x->cg_ino < y->cg_ino ? -1 : x->cg_ino > y->cg_ino;
}

static int snap_add(struct e4_wb_snap *s, size_t *cap, const struct e4_wb_ctx *c)
{
	if (e4_array_room(&s->ctx, s->nctx, cap, sizeof(*s->ctx), 16))
		return -ENOMEM;
	s->ctx[s->nctx++] = *c;
	return 0;
}

/* Normalise --cgroup: a leading slash, no trailing one. */
static char *norm_cgroup(const char *cg)
{
	size_t n;
	char *s;

	if (asprintf(&s, "%s%s", cg[0] == '/' ? "" : "/", cg) < 0)
		return NULL;
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

int e4_wb_read(struct e4_wb *wb, const char *cgroup, struct e4_wb_snap **out,
	       struct e4_err *err)
{
	const struct e4_wb_info *in = &wb->info;
	bool active = in->mode == E4_WB_ACTIVE;
	struct e4_wb_snap *s;
	struct e4_wb_ctx root, *all = NULL;
	size_t nall = 0, cap = 0, i;
	char path[PATH_MAX], *buf = NULL, *sel = NULL;
	uint64_t sel_dying = 0;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return e4_err_sys(err, -ENOMEM, "while reading writeback state");
	clock_gettime(CLOCK_REALTIME, &s->time);
	if (cgroup) {
		sel = norm_cgroup(cgroup);
		if (!sel) {
			ret = e4_err_sys(err, -ENOMEM, "while reading writeback state");
			goto out_free;
		}
	}

	e4_sysfs_pathf(path, sizeof(path), "%s/stats", wb->debugfs);
	ret = e4_sysfs_read_all(path, &buf, NULL);
	if (ret) {
		e4_err_sys(err, ret, "cannot read %s", path);
		goto out_free;
	}
	ret = e4_wb_parse_stats(buf, path, &root, &s->dirty_thresh,
				&s->background_thresh, err);
	free(buf);
	buf = NULL;
	if (ret)
		goto out_free;
	if (in->has_wb_stats) {
		e4_sysfs_pathf(path, sizeof(path), "%s/wb_stats", wb->debugfs);
		ret = e4_sysfs_read_all(path, &buf, NULL);
		if (ret) {
			e4_err_sys(err, ret, "cannot read %s", path);
			goto out_free;
		}
		ret = e4_wb_parse_wb_stats(buf, path, &all, &nall, err);
		free(buf);
		buf = NULL;
		if (ret)
			goto out_free;
	}
	/* The map names contexts also when cgroup writeback is inactive for
	 * this filesystem: the bdi may hold other filesystems' contexts. */
	ret = wb_cgroup_scan(wb, err);
	if (ret)
		goto out_free;
	if (sel && !wb->cgroot[0]) {
		ret = e4_err_set(err, -ENOENT, "no cgroup %s: no cgroup2 filesystem is mounted",
				 sel);
		goto out_free;
	}
	if (sel) {
		struct e4_wb_ctx probe = { 0 };
		struct stat st;

		e4_sysfs_pathf(path, sizeof(path), "%s%s", wb->cgroot, strcmp(sel, "/") ? sel : "");
		if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
			ret = e4_err_set(err, -ENOENT, "no cgroup %s under %s", sel, in->cgroup2);
			goto out_free;
		}
		probe.path = sel;
		wb_join_cgroup(wb, &probe);
		sel_dying = probe.nr_dying;
	}

	if (!in->has_wb_stats) {
		/* One context as far as we can tell: the root. */
		all = malloc(sizeof(*all));
		if (!all) {
			ret = e4_err_sys(err, -ENOMEM, "while reading writeback state");
			goto out_free;
		}
		all[0] = root;
		nall = 1;
		/* stats does not name its cgroup: the root, of course */
		for (i = 0; i < wb->ncg; i++)
			if (!strcmp(wb->cg[i].path, "/"))
				all[0].cg_ino = wb->cg[i].ino;
	}
	for (i = 0; i < nall; i++) {
		all[i].path = (char *)wb_cgroup_path(wb, all[i].cg_ino);
		if (all[i].path)
			continue;
		/* The bdi's own context comes first (the kernel lists it
		 * before any cgroup's) and is the root cgroup's, whatever
		 * hierarchy numbered it -- unless the cgroup2 mount shows a
		 * subtree, whose "/" is not the root. */
		if (i == 0 && !wb->cg_partial)
			all[i].path = "/";
		else
			all[i].cg_state = wb->cg_partial || !wb->cgroot[0] ?
					  E4_WB_CG_HIDDEN : E4_WB_CG_DYING;
	}

	for (i = 0; i < nall; i++) {
		struct e4_wb_ctx c = all[i];

		if (sel && c.path && !in_subtree(c.path, sel))
			continue;
		if (sel && !c.path && strcmp(sel, "/") && !sel_dying)
			continue;
		if (c.path) {
			c.path = strdup(c.path);
			if (!c.path) {
				ret = e4_err_sys(err, -ENOMEM, "while reading writeback state");
				goto out_free;
			}
			wb_join_cgroup(wb, &c);
		}
		ret = snap_add(s, &cap, &c);
		if (ret) {
			free(c.path);
			e4_err_sys(err, ret, "while reading writeback state");
			goto out_free;
		}
	}

	/* Before 6.10: the cgroups' own figures, where there are any. */
	for (i = 0; active && !in->has_wb_stats && i < wb->ncg; i++) {
		struct e4_wb_ctx c = { 0 };

		if (!strcmp(wb->cg[i].path, "/") || (sel && !in_subtree(wb->cg[i].path, sel)))
			continue;
		c.cg_ino = wb->cg[i].ino;
		c.path = wb->cg[i].path;
		wb_join_cgroup(wb, &c);
		if (!c.file_dirty && !c.file_writeback && !c.io_wbytes)
			continue;
		c.path = strdup(c.path);
		if (!c.path || snap_add(s, &cap, &c)) {
			free(c.path);
			ret = e4_err_sys(err, -ENOMEM, "while reading writeback state");
			goto out_free;
		}
	}
	if (s->nctx)
		qsort(s->ctx, s->nctx, sizeof(*s->ctx), ctx_cmp);
	free(all);
	free(sel);
	*out = s;
	return 0;
out_free:
	free(all);
	free(sel);
	e4_wb_snap_free(s);
	return ret;
}

void e4_wb_snap_free(struct e4_wb_snap *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; i < snap->nctx; i++)
		free(snap->ctx[i].path);
	free(snap->ctx);
	free(snap);
}
