// SPDX-License-Identifier: GPL-2.0
/*
 * The writeback cgroup tracepoints of one bdi, read from a tracefs
 * instance of our own so that the global trace buffer and whatever else
 * traces on the system are left alone.  Owns that instance: it exists
 * from e4_wb_events_start to e4_wb_events_stop and nowhere else.  Records
 * are decoded through the running kernel's format files, because the
 * field types and offsets of these events changed between releases.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "e4/array.h"
#include "e4/mounts.h"
#include "e4/sysfs.h"
#include "wb_int.h"

static const char *const wb_events[WB_TRACE_EVENTS] = {
	"inode_switch_wbs", "inode_foreign_history", "track_foreign_dirty",
	"flush_foreign",
};

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Find tracefs, mounting it in our private namespace if need be. */
static int find_tracefs(struct e4_wb *wb, struct e4_err *err)
{
	char mnt[PATH_MAX];
	int ret;

	if (wb->sysroot) {
		ret = e4_sysfs_path(wb->sysroot, "/sys/kernel/tracing", wb->tracefs,
				    sizeof(wb->tracefs));
		return ret ? e4_err_sys(err, ret, "sysroot") : 0;
	}
	if (!e4_mounts_find_type(NULL, "tracefs", mnt, sizeof(mnt), NULL, NULL)) {
		e4_sysfs_pathf(wb->tracefs, sizeof(wb->tracefs), "%s", mnt);
		return 0;
	}
	ret = e4_mounts_private_ns(&wb->private_ns, err);
	if (ret)
		return ret;
	e4_sysfs_pathf(wb->tracefs, sizeof(wb->tracefs), "/sys/kernel/tracing");
	/* No options: they would apply to tracefs everywhere. */
	if (mount("tracefs", wb->tracefs, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return e4_err_sys(err, -errno,
				  "cannot mount tracefs on %s in a private mount namespace",
				  wb->tracefs);
	return 0;
}

static int open_cpus(struct e4_wb *wb, const char *base, struct e4_err *err)
{
	char dir[PATH_MAX + 16], p[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	e4_sysfs_pathf(dir, sizeof(dir), "%s/per_cpu", base);
	d = opendir(dir);
	if (!d)
		return e4_err_sys(err, -errno, "cannot list %s", dir);
	while ((de = readdir(d))) {
		int *nfd, *nid, fd;
		char *end;
		long cpu;

		if (strncmp(de->d_name, "cpu", 3))
			continue;
		cpu = strtol(de->d_name + 3, &end, 10);
		if (*end || end == de->d_name + 3)
			continue;
		e4_sysfs_pathf(p, sizeof(p), "%s/%s/trace_pipe_raw", dir, de->d_name);
		fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			ret = e4_err_sys(err, -errno, "cannot open %s", p);
			break;
		}
		nfd = realloc(wb->cpu_fd, (wb->ncpu + 1) * sizeof(*nfd));
		if (nfd)
			wb->cpu_fd = nfd;
		nid = nfd ? realloc(wb->cpu_id, (wb->ncpu + 1) * sizeof(*nid)) : NULL;
		if (!nid) {
			close(fd);
			ret = e4_err_sys(err, -ENOMEM, "while opening trace buffers");
			break;
		}
		wb->cpu_id = nid;
		wb->cpu_fd[wb->ncpu] = fd;
		wb->cpu_id[wb->ncpu++] = (int)cpu;
	}
	closedir(d);
	return ret;
}

/*
 * Our own instance, made by an exclusive mkdir: e4ctl-<pid>, or when that
 * exists e4ctl-<pid>-<random>.  An existing one is never removed or used:
 * a process of the same pid in another pid namespace that shares this
 * tracefs may own it (or one that was SIGKILLed left it: rmdir is the
 * admin's call).  wb->instance is set only once the directory is ours.
 */
static int make_instance(struct e4_wb *wb, struct e4_err *err)
{
	char path[PATH_MAX];
	unsigned int tries, suffix;
	int ret;

	for (tries = 0; tries < 16; tries++) {
		if (!tries)
			ret = e4_sysfs_pathf(path, sizeof(path), "%s/instances/e4ctl-%d",
				       wb->tracefs, (int)getpid());
		else if (getrandom(&suffix, sizeof(suffix), 0) != sizeof(suffix))
			return e4_err_sys(err, -errno, "cannot pick a trace instance name");
		else
			ret = e4_sysfs_pathf(path, sizeof(path), "%s/instances/e4ctl-%d-%08x",
				       wb->tracefs, (int)getpid(), suffix);
		if (ret)
			return e4_err_set(err, ret, "tracefs path too long: %s", wb->tracefs);
		if (!mkdir(path, 0700)) {
			memcpy(wb->instance, path, sizeof(wb->instance));
			return 0;
		}
		if (errno != EEXIST)
			return e4_err_sys(err, -errno, "cannot create the trace instance %s", path);
	}
	return e4_err_set(err, -EEXIST,
			  "cannot create a trace instance: %s/instances/e4ctl-%d and 15 others exist",
			  wb->tracefs, (int)getpid());
}

int e4_wb_events_start(struct e4_wb *wb, struct e4_err *err)
{
	char p[PATH_MAX + 128], *buf;
	const char *base;
	size_t i, n;
	int ret;

	if (wb->page)
		return 0;
	ret = find_tracefs(wb, err);
	if (ret)
		return ret;
	base = wb->tracefs;
	if (!wb->sysroot) {
		ret = make_instance(wb, err);
		if (ret)
			return ret;
		base = wb->instance;
		/* A small buffer: a few events per interval at most. */
		e4_sysfs_pathf(p, sizeof(p), "%s/buffer_size_kb", base);
		write_file(p, "256");
	}

	e4_sysfs_pathf(p, sizeof(p), "%s/events/header_page", wb->tracefs);
	ret = e4_sysfs_read_all(p, &buf, NULL);
	if (ret) {
		e4_err_sys(err, ret, "cannot read %s", p);
		goto out_stop;
	}
	ret = e4_trace_parse_header_page(buf, &wb->layout, err);
	free(buf);
	if (ret)
		goto out_stop;

	wb->nfmt = 0;
	wb->enabled[0] = '\0';
	for (i = 0; i < WB_TRACE_EVENTS; i++) {
		struct e4_trace_format *f = &wb->fmt[wb->nfmt];

		e4_sysfs_pathf(p, sizeof(p), "%s/events/writeback/%s/format", wb->tracefs,
			 wb_events[i]);
		ret = e4_sysfs_read_all(p, &buf, NULL);
		if (ret == -ENOENT)
			continue;	/* not in this kernel */
		if (ret) {
			e4_err_sys(err, ret, "cannot read %s", p);
			goto out_stop;
		}
		ret = e4_trace_parse_format(buf, f, err);
		free(buf);
		if (ret)
			goto out_stop;
		if (!wb->sysroot) {
			e4_sysfs_pathf(p, sizeof(p), "%s/events/writeback/%s/enable", base,
				 wb_events[i]);
			ret = write_file(p, "1");
			if (ret) {
				e4_err_sys(err, ret, "cannot enable %s", p);
				goto out_stop;
			}
		}
		n = strlen(wb->enabled);
		e4_sysfs_pathf(wb->enabled + n, sizeof(wb->enabled) - n, "%s%s",
			 n ? " " : "", wb_events[i]);
		wb->nfmt++;
	}
	if (!wb->nfmt) {
		ret = e4_err_set(err, -EOPNOTSUPP,
				 "the kernel has none of the writeback cgroup tracepoints");
		goto out_stop;
	}
	ret = open_cpus(wb, base, err);
	if (ret)
		goto out_stop;
	wb->page_size = sysconf(_SC_PAGESIZE);
	wb->page = malloc(wb->page_size);
	if (!wb->page) {
		ret = e4_err_sys(err, -ENOMEM, "while starting the trace");
		goto out_stop;
	}
	return 0;
out_stop:
	e4_wb_events_stop(wb);
	return ret;
}

const char *e4_wb_events_enabled(const struct e4_wb *wb)
{
	return wb->enabled;
}

/* The events of one read, to be handed over in time order. */
struct read_ctx {
	struct e4_wb *wb;
	int cpu;
	struct e4_wb_event *ev;
	size_t n, cap;
	bool nomem;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void on_record(void *arg, uint64_t ts, const unsigned char *rec,
		      size_t len)
{
	struct read_ctx *rc = arg;
	struct e4_wb *wb = rc->wb;
	struct e4_wb_event ev;
	uint16_t type;
	size_t i;

	if (len < 2)
		return;
	memcpy(&type, rec, 2);
	for (i = 0; i < wb->nfmt; i++)
		if (wb->fmt[i].id == type)
			break;
	if (i == wb->nfmt || e4_trace_decode(&wb->fmt[i], rec, len, &ev))
		return;
	ev.ts = ts;
	ev.cpu = rc->cpu;
	for (i = 0; i < ev.nfields; i++) {
		struct e4_wb_event_field *f = &ev.field[i];

		/* Only this bdi: every one of the four names its bdi. */
		if (f->is_str && !strcmp(f->name, "name") && strcmp(f->str, wb->info.bdi))
			return;
		if (!f->is_str && ends_with(f->name, "cgroup_ino") && wb->cgroot[0]) {
			f->cgroup = wb_cgroup_path(wb, f->val);
			f->dying = !f->cgroup && !wb->cg_partial;
		}
	}
	if (e4_array_room(&rc->ev, rc->n, &rc->cap, sizeof(*rc->ev), 64)) {
		rc->nomem = true;
		return;
	}
	rc->ev[rc->n++] = ev;
}

/* Per-cpu buffers are each in order; merge them by time, then cpu. */
static int ev_cmp(const void *a, const void *b)
{
	const struct e4_wb_event *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->cpu - y->cpu;
}

int e4_wb_events_read(struct e4_wb *wb, e4_wb_event_fn fn, void *arg,
		      struct e4_err *err)
{
	struct read_ctx rc = { .wb = wb };
	size_t i;
	int ret;

	if (!wb->page)
		return e4_err_set(err, -EINVAL, "events not started");
	if (!wb->ncg && wb->cgroot[0]) {
		ret = wb_cgroup_scan(wb, err);
		if (ret)
			return ret;
	}
	for (i = 0; i < wb->ncpu; i++) {
		ssize_t n;

		rc.cpu = wb->cpu_id[i];
		for (;;) {
			n = read(wb->cpu_fd[i], wb->page, wb->page_size);
			if (n < 0 && errno == EINTR) {
				ret = -EINTR;
				goto out_free;
			}
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				ret = e4_err_sys(err, -errno, "while reading the trace buffer of cpu %d",
						 wb->cpu_id[i]);
				goto out_free;
			}
			if (n == 0)
				break;
			ret = e4_trace_parse_page(&wb->layout, wb->page, n, on_record,
						  &rc, err);
			if (ret)
				goto out_free;
		}
	}
	if (rc.nomem) {
		ret = e4_err_sys(err, -ENOMEM, "while reading trace events");
		goto out_free;
	}
	if (rc.n)
		qsort(rc.ev, rc.n, sizeof(*rc.ev), ev_cmp);
	for (i = 0; i < rc.n; i++)
		fn(arg, &rc.ev[i]);
	ret = 0;
out_free:
	free(rc.ev);
	return ret;
}

void e4_wb_events_stop(struct e4_wb *wb)
{
	size_t i;
	int tries;

	for (i = 0; i < wb->ncpu; i++)
		close(wb->cpu_fd[i]);
	free(wb->cpu_fd);
	free(wb->cpu_id);
	wb->cpu_fd = wb->cpu_id = NULL;
	wb->ncpu = 0;
	free(wb->page);
	wb->page = NULL;
	if (!wb->instance[0])
		return;
	/* Removing the instance disables its events and frees its buffer;
	 * the kernel refuses while a reader is still being torn down. */
	for (tries = 0; tries < 50; tries++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (!rmdir(wb->instance) || errno == ENOENT)
			break;
		if (errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	wb->instance[0] = '\0';
}
