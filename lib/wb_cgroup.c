// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup side of the writeback view: whether the kernel splits
 * writeback per cgroup at all (memory and io on the v2 hierarchy, a
 * cgroup2 mount, no data=journal) and why not, the map from cgroup
 * directory inode numbers (WbCgIno) to paths, and each cgroup's
 * memory.stat, io.stat and cgroup.stat figures.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmount/libmount.h>

#include "e4/array.h"
#include "e4/mounts.h"
#include "e4/sysfs.h"
#include "wb_int.h"

/* One controller's line of /proc/cgroups. */
struct subsys {
	bool found;
	unsigned long hierarchy;
	bool enabled;
	char v1mount[PATH_MAX];
};

static void read_proc_cgroups(const char *sysroot, struct subsys *mem,
			      struct subsys *io)
{
	char path[PATH_MAX], *buf, *line, *save = NULL;
	int col_h = 1, col_e = 3;

	if (e4_sysfs_path(sysroot, "/proc/cgroups", path, sizeof(path)) ||
	    e4_sysfs_read_all(path, &buf, NULL))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok[8], *s2 = NULL, *t;
		int n = 0;

		for (t = strtok_r(line, " \t", &s2); t && n < 8; t = strtok_r(NULL, " \t", &s2))
			tok[n++] = t;
		if (!n)
			continue;
		if (tok[0][0] == '#') {
			/* Column positions from the header, in case they move. */
			int i;

			for (i = 0; i < n; i++) {
				if (!strcmp(tok[i], "hierarchy"))
					col_h = i;
				else if (!strcmp(tok[i], "enabled"))
					col_e = i;
			}
			continue;
		}
		{
			struct subsys *s = !strcmp(tok[0], "memory") ? mem :
					   (!strcmp(tok[0], "blkio") || !strcmp(tok[0], "io")) ? io :
					   NULL;

			if (!s || col_h >= n)
				continue;
			s->found = true;
			s->hierarchy = strtoul(tok[col_h], NULL, 10);
			s->enabled = col_e >= n || strcmp(tok[col_e], "0");
		}
	}
	free(buf);
}

/*
 * Our own membership: "4:memory:/x" puts memory on v1 hierarchy 4.  A
 * second source for kernels whose /proc/cgroups leaves controllers out.
 */
static void read_self_cgroup(const char *sysroot, struct subsys *mem,
			     struct subsys *io)
{
	char path[PATH_MAX], *buf, *line, *save = NULL;

	if (e4_sysfs_path(sysroot, "/proc/self/cgroup", path, sizeof(path)) ||
	    e4_sysfs_read_all(path, &buf, NULL))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *end, *c, *s2 = NULL;
		unsigned long h = strtoul(line, &end, 10);

		if (!colon || end != colon || !h)
			continue;
		end = strchr(colon + 1, ':');
		if (!end)
			continue;
		*end = '\0';
		for (c = strtok_r(colon + 1, ",", &s2); c; c = strtok_r(NULL, ",", &s2)) {
			struct subsys *sub = !strcmp(c, "memory") ? mem :
					     !strcmp(c, "blkio") || !strcmp(c, "io") ? io : NULL;

			if (sub && !sub->hierarchy) {
				sub->found = sub->enabled = true;
				sub->hierarchy = h;
			}
		}
	}
	free(buf);
}

/* Where the cgroup v1 hierarchies of memory and blkio are mounted. */
static void find_v1_mounts(const char *sysroot, struct subsys *mem,
			   struct subsys *io)
{
	struct libmnt_table *tb = NULL;
	struct libmnt_iter *itr;
	struct libmnt_fs *fs;

	/* No mount table: neither controller is found on v1, as before. */
	e4_mounts_read(sysroot, &tb, NULL);
	itr = mnt_new_iter(MNT_ITER_FORWARD);
	while (tb && itr && mnt_table_next_fs(tb, itr, &fs) == 0) {
		const char *type = mnt_fs_get_fstype(fs);
		const char *opts = mnt_fs_get_fs_options(fs);

		if (!type || strcmp(type, "cgroup") || !opts)
			continue;
		if (!mem->v1mount[0] && !mnt_optstr_get_option(opts, "memory", NULL, NULL))
			e4_sysfs_pathf(mem->v1mount, sizeof(mem->v1mount), "%s", mnt_fs_get_target(fs));
		if (!io->v1mount[0] && !mnt_optstr_get_option(opts, "blkio", NULL, NULL))
			e4_sysfs_pathf(io->v1mount, sizeof(io->v1mount), "%s", mnt_fs_get_target(fs));
	}
	mnt_free_iter(itr);
	mnt_unref_table(tb);
}

static void v1_where(const struct subsys *s, char *buf, size_t len)
{
	if (s->v1mount[0])
		e4_sysfs_pathf(buf, len, "on %s", s->v1mount);
	else
		e4_sysfs_pathf(buf, len, "on hierarchy %lu", s->hierarchy);
}

/* Notes are lines of in->note; a note that does not fit is cut. */
static void __attribute__((format(printf, 2, 3)))
append_note(struct e4_wb_info *in, const char *fmt, ...)
{
	size_t n = strlen(in->note);
	va_list ap;

	if (n && n + 1 < sizeof(in->note))
		in->note[n++] = '\n';
	va_start(ap, fmt);
	vsnprintf(in->note + n, sizeof(in->note) - n, fmt, ap);
	va_end(ap);
}

/*
 * Whether the kernel splits this filesystem's writeback per cgroup: it
 * does when memory and io are both on the default (v2) hierarchy and the
 * superblock allows it (ext4 does, except with data=journal).
 */
void wb_detect_mode(struct e4_wb *wb, bool data_journal)
{
	struct e4_wb_info *in = &wb->info;
	struct subsys mem = { 0 }, io = { 0 };
	char a[PATH_MAX + 16], b[PATH_MAX + 16], path[PATH_MAX], buf[256];
	bool partial = false;

	read_proc_cgroups(wb->sysroot, &mem, &io);
	read_self_cgroup(wb->sysroot, &mem, &io);
	find_v1_mounts(wb->sysroot, &mem, &io);
	if (!e4_mounts_find_type(wb->sysroot, "cgroup2", in->cgroup2, sizeof(in->cgroup2),
				 &partial, NULL) &&
	    !e4_sysfs_path(wb->sysroot, in->cgroup2, wb->cgroot, sizeof(wb->cgroot)))
		wb->cg_partial = partial;
	else
		in->cgroup2[0] = wb->cgroot[0] = '\0';

	if (mem.hierarchy && io.hierarchy) {
		v1_where(&mem, a, sizeof(a));
		v1_where(&io, b, sizeof(b));
		in->mode = E4_WB_INACTIVE_V1;
		e4_sysfs_pathf(in->why, sizeof(in->why),
			 "cgroup writeback is inactive: the memory and io controllers are on cgroup v1 "
			 "(memory %s, io as blkio %s); it needs both on cgroup2", a, b);
	} else if (mem.hierarchy || io.hierarchy) {
		v1_where(mem.hierarchy ? &mem : &io, a, sizeof(a));
		in->mode = E4_WB_INACTIVE_V1;
		e4_sysfs_pathf(in->why, sizeof(in->why),
			 "cgroup writeback is inactive: the %s controller is on cgroup v1 (%s); "
			 "it needs memory and io on cgroup2",
			 mem.hierarchy ? "memory" : "io (blkio)", a);
	} else if ((mem.found && !mem.enabled) || (io.found && !io.enabled)) {
		in->mode = E4_WB_INACTIVE_DISABLED;
		e4_sysfs_pathf(in->why, sizeof(in->why),
			 "cgroup writeback is inactive: the %s controller is disabled (cgroup_disable=%s)",
			 mem.found && !mem.enabled ? "memory" : "io",
			 mem.found && !mem.enabled ? "memory" : "io");
	} else if (!in->cgroup2[0]) {
		in->mode = E4_WB_INACTIVE_NO_CGROUP2;
		e4_sysfs_pathf(in->why, sizeof(in->why),
			 "cgroup writeback is inactive: no cgroup2 filesystem is mounted");
	} else if (data_journal) {
		in->mode = E4_WB_INACTIVE_DATA_JOURNAL;
		e4_sysfs_pathf(in->why, sizeof(in->why),
			 "cgroup writeback is inactive for this filesystem: it is mounted data=journal");
	} else {
		in->mode = E4_WB_ACTIVE;
	}

	if (in->mode == E4_WB_ACTIVE) {
		e4_sysfs_pathf(path, sizeof(path), "%s/cgroup.subtree_control", wb->cgroot);
		if (e4_sysfs_read(NULL, path, buf, sizeof(buf)) >= 0 &&
		    !strstr(buf, "memory"))
			append_note(in, "memory is not enabled in %s/cgroup.subtree_control: "
				    "all pages are charged to the root cgroup, so there is one context",
				    in->cgroup2);
		if (!in->has_wb_stats)
			append_note(in, "per-cgroup writeback contexts need Linux 6.10 (no wb_stats in debugfs): "
				    "the root context is shown with the cgroups' memory and io figures "
				    "(FILE_DIRTY and FILE_WRITEBACK of every device, IO_WBYTES of this disk)");
	}
	/* Reasons after the first still matter: fixing one may not do. */
	if (data_journal && in->mode != E4_WB_INACTIVE_DATA_JOURNAL)
		append_note(in, "the filesystem is mounted data=journal: that alone keeps cgroup writeback off for it");
	if (in->partition)
		append_note(in, "bdi %s belongs to the whole disk %s: its figures cover every partition on it",
			    in->bdi, in->disk);
}

void wb_cgroup_free(struct e4_wb *wb)
{
	size_t i;

	for (i = 0; i < wb->ncg; i++)
		free(wb->cg[i].path);
	free(wb->cg);
	wb->cg = NULL;
	wb->ncg = 0;
}


struct cg_vec {
	struct wb_cgroup *v;
	size_t n, cap;
};

static int cg_add(struct cg_vec *cv, uint64_t ino, const char *path)
{
	if (e4_array_room(&cv->v, cv->n, &cv->cap, sizeof(*cv->v), 64))
		return -ENOMEM;
	cv->v[cv->n].ino = ino;
	cv->v[cv->n].path = strdup(path);
	if (!cv->v[cv->n].path)
		return -ENOMEM;
	cv->n++;
	return 0;
}

/* Every directory below dfd; rel is its path relative to the mount. */
static int cg_walk(int dfd, const char *rel, dev_t dev, struct cg_vec *cv,
		   int depth)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	/* Deeper cgroups stay unmapped (and look dying): the recursion
	 * must stay small.  dfd is ours to close either way. */
	if (depth > 64) {
		close(dfd);
		return 0;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while (!ret && (de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;
		int fd;

		if (de->d_name[0] == '.' && (!de->d_name[1] ||
					     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		if (e4_sysfs_pathf(sub, sizeof(sub), "%s/%s", strcmp(rel, "/") ? rel : "",
			     de->d_name))
			continue;
		ret = cg_add(cv, st.st_ino, sub);
		if (ret)
			break;
		/* A cgroup removed under us is no error. */
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			ret = cg_walk(fd, sub, dev, cv, depth + 1);
	}
	closedir(d);
	return ret;
}

static int cg_cmp(const void *a, const void *b)
{
	const struct wb_cgroup *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int wb_cgroup_scan(struct e4_wb *wb, struct e4_err *err)
{
	struct cg_vec cv = { 0 };
	struct stat st;
	int fd, ret;

	wb_cgroup_free(wb);
	if (!wb->cgroot[0])
		return 0;
	fd = open(wb->cgroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = e4_err_sys(err, -errno, "cannot read the cgroup2 tree %s", wb->cgroot);
		if (fd >= 0)
			close(fd);
		return ret;
	}
	ret = cg_add(&cv, st.st_ino, "/");
	if (!ret)
		ret = cg_walk(fd, "/", st.st_dev, &cv, 0);
	else
		close(fd);
	wb->cg = cv.v;
	wb->ncg = cv.n;
	if (ret)
		return e4_err_sys(err, ret, "while reading the cgroup2 tree %s", wb->cgroot);
	if (wb->ncg)
		qsort(wb->cg, wb->ncg, sizeof(*wb->cg), cg_cmp);
	return 0;
}

const char *wb_cgroup_path(const struct e4_wb *wb, uint64_t ino)
{
	struct wb_cgroup key = { .ino = ino }, *c;

	if (!wb->ncg)
		return NULL;
	c = bsearch(&key, wb->cg, wb->ncg, sizeof(*wb->cg), cg_cmp);
	return c ? c->path : NULL;
}

/* "key value" lines (memory.stat, cgroup.stat): the value of key. */
static int stat_value(const char *buf, const char *key, uint64_t *val)
{
	size_t n = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, n) && p[n] == ' ') {
			char *end;

			errno = 0;
			*val = strtoull(p + n + 1, &end, 10);
			return errno ? -errno : 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." for the bdi. */
static int io_stat_value(const char *buf, const char *dev, uint64_t *wbytes,
			 uint64_t *wios)
{
	size_t n = strlen(dev);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, dev, n) && p[n] == ' ') {
			const char *w = strstr(p, " wbytes="), *i = strstr(p, " wios=");
			const char *nl = strchr(p, '\n');

			*wbytes = w && (!nl || w < nl) ? strtoull(w + 8, NULL, 10) : 0;
			*wios = i && (!nl || i < nl) ? strtoull(i + 6, NULL, 10) : 0;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

static int read_cg_file(const struct e4_wb *wb, const char *cg, const char *file,
			char **buf)
{
	char path[PATH_MAX];

	if (e4_sysfs_pathf(path, sizeof(path), "%s%s/%s", wb->cgroot,
		     strcmp(cg, "/") ? cg : "", file))
		return -ENAMETOOLONG;
	return e4_sysfs_read_all(path, buf, NULL);
}

/*
 * The cgroup's memory, io and cgroup.stat figures.  The root cgroup may
 * lack memory.stat and io.stat (older kernels; controllers on v1): its row
 * then shows the system-wide Dirty and Writeback of /proc/meminfo and the
 * bytes written to the disk from its sysfs stat.
 */
void wb_join_cgroup(const struct e4_wb *wb, struct e4_wb_ctx *c)
{
	const char *bdi = wb->info.bdi;
	bool root = !strcmp(c->path, "/");
	char *buf = NULL, path[PATH_MAX], line[512];

	if (wb->cgroot[0] && !read_cg_file(wb, c->path, "memory.stat", &buf)) {
		c->has_mem = !stat_value(buf, "file_dirty", &c->file_dirty) &&
			     !stat_value(buf, "file_writeback", &c->file_writeback);
		free(buf);
	}
	if (wb->cgroot[0] && !read_cg_file(wb, c->path, "io.stat", &buf)) {
		/* No line: nothing written to this device yet. */
		if (io_stat_value(buf, bdi, &c->io_wbytes, &c->io_wios))
			c->io_wbytes = c->io_wios = 0;
		c->has_io = true;
		free(buf);
	}
	if (wb->cgroot[0] && !read_cg_file(wb, c->path, "cgroup.stat", &buf)) {
		c->has_cgstat = !stat_value(buf, "nr_dying_descendants", &c->nr_dying);
		free(buf);
	}
	if (root && !c->has_mem &&
	    !e4_sysfs_path(wb->sysroot, "/proc/meminfo", path, sizeof(path)) &&
	    !e4_sysfs_read_all(path, &buf, NULL)) {
		char *d = strstr(buf, "\nDirty:"), *w = strstr(buf, "\nWriteback:");

		if (d && w) {
			c->file_dirty = strtoull(d + 7, NULL, 10) * 1024;
			c->file_writeback = strtoull(w + 11, NULL, 10) * 1024;
			c->has_mem = true;
		}
		free(buf);
	}
	if (root && !c->has_io) {
		unsigned long long f[7];

		e4_sysfs_pathf(path, sizeof(path), "/sys/dev/block/%s/stat", bdi);
		if (e4_sysfs_read(wb->sysroot, path, line, sizeof(line)) > 0 &&
		    sscanf(line, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
			   &f[2], &f[3], &f[4], &f[5], &f[6]) == 7) {
			c->io_wios = f[4];
			c->io_wbytes = f[6] * 512;
			c->has_io = true;
		}
	}
}
