/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_WB_INT_H
#define E4_WB_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "e4/wb.h"

/*
 * What lib/wb.c (contexts), lib/wb_cgroup.c (cgroups) and lib/wb_trace.c
 * (events) share about one open handle.  Not part of the library's API.
 * The calls go one way: wb.c uses wb_cgroup.c and wb_trace.c, wb_trace.c
 * uses wb_cgroup.c; paths, file reads and mounts come from lib/sysfs.c and
 * lib/mounts.c.
 */

/* A live cgroup directory of the cgroup2 tree. */
struct wb_cgroup {
	uint64_t ino;
	char *path;		/* relative to the cgroup2 mount: "/", "/a" */
};

#define WB_TRACE_EVENTS 4

struct e4_wb {
	char *sysroot;		/* NULL: the running system */
	struct e4_wb_info info;
	char debugfs[PATH_MAX];	/* full path of the bdi's debugfs dir */
	char cgroot[PATH_MAX];	/* full path of the cgroup2 mount, "" if none */
	bool cg_partial;	/* the cgroup2 mount shows a subtree only */
	bool private_ns;	/* we are in our own mount namespace */

	/* the cgroup map of the last read, sorted by ino */
	struct wb_cgroup *cg;
	size_t ncg;

	/* events (lib/wb_trace.c) */
	char tracefs[PATH_MAX];		/* full path of the tracefs root */
	char instance[PATH_MAX];	/* our instance dir, "" if none */
	struct e4_trace_page_layout layout;
	struct e4_trace_format fmt[WB_TRACE_EVENTS];
	size_t nfmt;
	char enabled[128];
	int *cpu_fd;
	int *cpu_id;
	size_t ncpu;
	unsigned char *page;
	size_t page_size;
};

/* lib/wb_cgroup.c: set info.mode, why, note and the cgroup2 root. */
void wb_detect_mode(struct e4_wb *wb, bool data_journal);

/* Refresh the cgroup map; find the path of ino (NULL: none). */
int wb_cgroup_scan(struct e4_wb *wb, struct e4_err *err);
const char *wb_cgroup_path(const struct e4_wb *wb, uint64_t ino);
void wb_cgroup_free(struct e4_wb *wb);

/* Join c->path's memory.stat, io.stat and cgroup.stat into c. */
void wb_join_cgroup(const struct e4_wb *wb, struct e4_wb_ctx *c);

#endif
