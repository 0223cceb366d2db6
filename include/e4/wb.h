/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_WB_H
#define E4_WB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "e4/err.h"

/*
 * Per-cgroup writeback state of a mounted filesystem: the writeback
 * contexts (struct bdi_writeback) of its device's backing_dev_info as
 * debugfs shows them, joined with the owning cgroups' memory, io and
 * cgroup.stat figures, plus the trace events of inode switching between
 * contexts.  Everything is read under a sysroot prefix, so fixture trees
 * stand in for the running kernel in tests.
 *
 * The handle is single-threaded.  Opening it may move the calling process
 * into a private mount namespace (to mount debugfs or tracefs without
 * touching the system's mounts), so open it before starting any thread.
 */

/* One writeback context, all sizes in bytes. */
struct e4_wb_ctx {
	uint64_t cg_ino;	/* WbCgIno: inode of the owning cgroup dir */
	bool has_wb;		/* the debugfs figures below are valid */
	uint64_t writeback;	/* under writeback */
	uint64_t reclaimable;	/* dirty, not yet under writeback */
	uint64_t thresh;	/* this context's dirty threshold */
	uint64_t dirtied;	/* ever dirtied */
	uint64_t written;	/* ever written */
	uint64_t bandwidth;	/* estimated write bandwidth, bytes/s */
	uint64_t b_dirty, b_io, b_more_io, b_dirty_time;	/* inodes */
	uint64_t state;		/* WB_* state bits */

	/* The cgroup, from the cgroup2 tree. */
	enum e4_wb_cg {
		E4_WB_CG_LIVE,		/* path is its directory */
		E4_WB_CG_DYING,		/* removed, still pinned by inodes */
		E4_WB_CG_HIDDEN,	/* outside the visible cgroup2 subtree,
					 * or no cgroup2 mount to look in */
	} cg_state;
	char *path;		/* "/", "/a/b"; NULL unless live */
	bool has_mem, has_io, has_cgstat;
	uint64_t file_dirty, file_writeback;	/* memory.stat */
	uint64_t io_wbytes, io_wios;		/* io.stat, this device */
	uint64_t nr_dying;			/* cgroup.stat nr_dying_descendants */
};

/* One parsed wb_stats or stats file, and the figures joined onto it. */
struct e4_wb_snap {
	struct e4_wb_ctx *ctx;	/* sorted: most dirty first */
	size_t nctx;
	uint64_t dirty_thresh;	/* global, from stats */
	uint64_t background_thresh;
	struct timespec time;	/* CLOCK_REALTIME of the read */
};

/* Why cgroup writeback is, or is not, in effect for the filesystem. */
enum e4_wb_mode {
	E4_WB_ACTIVE,		/* per-cgroup writeback contexts */
	E4_WB_INACTIVE_V1,	/* memory and/or io bound to cgroup v1 */
	E4_WB_INACTIVE_DISABLED,/* memory or io disabled (cgroup_disable=) */
	E4_WB_INACTIVE_NO_CGROUP2,	/* no cgroup2 mount */
	E4_WB_INACTIVE_DATA_JOURNAL,	/* ext4 mounted data=journal */
};

struct e4_wb_info {
	char device[256];	/* the filesystem's device */
	char mountpoint[1024];
	char devno[32];		/* MAJ:MIN of the device */
	char bdi[32];		/* MAJ:MIN of the bdi (the whole disk) */
	char name[64];		/* the device's kernel name, "vda1", "dm-0" */
	char disk[64];		/* the disk's name, "vda", "loop0" */
	bool partition;		/* the device is a partition of disk */
	char cgroup2[1024];	/* cgroup2 mount point, "" if none */
	bool has_wb_stats;	/* kernel 6.10 or later */
	bool private_debugfs;	/* debugfs mounted in our own namespace */
	enum e4_wb_mode mode;
	char why[512];		/* the mode in words, "" when active */
	char note[512];		/* more context: fallback, controllers */
};

struct e4_wb;

/*
 * Open the writeback view of target, a mounted filesystem (device or
 * directory).  With a sysroot, target is looked up in the fixture's
 * /proc/self/mountinfo (by mount point or source) and nothing is mounted;
 * without one, debugfs is mounted in a private mount namespace when the
 * system has not mounted it.  Fills *out; close with e4_wb_close.
 */
int e4_wb_open(const char *target, const char *sysroot, struct e4_wb **out,
	       struct e4_err *err);
void e4_wb_close(struct e4_wb *wb);
const struct e4_wb_info *e4_wb_info(const struct e4_wb *wb);

/*
 * Read the contexts now.  Each is named by its cgroup whether or not
 * cgroup writeback is active (the bdi may hold contexts of other
 * filesystems, or of an earlier mount); the first one is the bdi's own,
 * the root cgroup's.  cgroup, when not NULL, keeps only the contexts of
 * that cgroup2 path and its descendants (dying contexts stay while the
 * subtree reports dying descendants: they cannot be placed); it needs a
 * cgroup2 mount.  Before 6.10 the rows are the root context (from stats)
 * plus every cgroup with dirty or writeback pages (on any device: memory.stat
 * does not split them) or bytes written to this disk (io.stat).
 */
int e4_wb_read(struct e4_wb *wb, const char *cgroup, struct e4_wb_snap **out,
	       struct e4_err *err);
void e4_wb_snap_free(struct e4_wb_snap *snap);

/* A decoded trace event; fields in the order of the format file. */
#define E4_WB_EVENT_FIELDS 16
struct e4_wb_event {
	uint64_t ts;		/* trace clock, ns */
	int cpu;
	const char *name;	/* "inode_switch_wbs" */
	size_t nfields;
	struct e4_wb_event_field {
		const char *name;	/* "old_cgroup_ino" */
		bool is_str;
		bool is_signed;
		char str[64];		/* is_str */
		uint64_t val;		/* else (as int64_t if is_signed) */
		const char *cgroup;	/* *cgroup_ino: the path, or NULL */
		bool dying;		/* *cgroup_ino matching no live cgroup */
	} field[E4_WB_EVENT_FIELDS];
};

typedef void (*e4_wb_event_fn)(void *arg, const struct e4_wb_event *ev);

/*
 * Stream inode_switch_wbs, inode_foreign_history, track_foreign_dirty and
 * flush_foreign of this bdi through a private tracefs instance, leaving
 * the global buffer alone.  The instance is instances/e4ctl-<pid>, or
 * e4ctl-<pid>-<random hex> when that name is taken (made exclusively: an
 * existing instance, maybe another pid namespace's, is never reused or
 * removed).  Events are decoded with the kernel's own format files.
 * e4_wb_events_read hands over what is buffered and never blocks.  The
 * instance is removed by e4_wb_events_stop (and e4_wb_close); a caller
 * that catches the signals that would kill it and then closes the handle
 * leaves nothing behind.
 * With a sysroot the fixture's top-level per_cpu/cpuN/trace_pipe_raw
 * files are read instead and nothing is created.
 */
int e4_wb_events_start(struct e4_wb *wb, struct e4_err *err);
int e4_wb_events_read(struct e4_wb *wb, e4_wb_event_fn fn, void *arg,
		      struct e4_err *err);
void e4_wb_events_stop(struct e4_wb *wb);
/* Names of the events that the kernel has, space separated. */
const char *e4_wb_events_enabled(const struct e4_wb *wb);

/*
 * Parsers, public for the unit tests.  name is the file name for the
 * messages.  They reject unknown fields, missing or repeated ones,
 * malformed numbers and values that do not fit 64 bits in bytes.
 */
int e4_wb_parse_wb_stats(const char *text, const char *name,
			 struct e4_wb_ctx **ctx, size_t *nctx,
			 struct e4_err *err);
/* The bdi-wide stats file: the root context plus the global thresholds. */
int e4_wb_parse_stats(const char *text, const char *name,
		      struct e4_wb_ctx *root, uint64_t *dirty_thresh,
		      uint64_t *background_thresh, struct e4_err *err);

/* One field of a trace event, from its format file. */
struct e4_trace_field {
	char name[64];
	unsigned int offset, size;
	bool is_signed;
	enum {
		E4_TF_INT,
		E4_TF_CHARS,	/* char name[N] */
		E4_TF_DATA_LOC,	/* __data_loc char[] name: a __string() */
		E4_TF_REL_LOC,	/* __rel_loc char[] name: offset from the field's end */
		E4_TF_OTHER,
	} kind;
};

#define E4_TRACE_MAX_FIELDS 24
struct e4_trace_format {
	char name[64];
	unsigned int id;
	size_t nfields;		/* common_* fields left out */
	struct e4_trace_field field[E4_TRACE_MAX_FIELDS];
};

/* The ring buffer page header, from events/header_page. */
struct e4_trace_page_layout {
	unsigned int ts_offset, ts_size;
	unsigned int commit_offset, commit_size;
	unsigned int data_offset;
};

int e4_trace_parse_format(const char *text, struct e4_trace_format *fmt,
			  struct e4_err *err);
int e4_trace_parse_header_page(const char *text,
			       struct e4_trace_page_layout *lay,
			       struct e4_err *err);

/*
 * Walk the events of one trace_pipe_raw page.  fn gets each data record
 * (starting with common_type) and its length.  A record that would run
 * past the page is an error (-EBADMSG), never a read out of bounds.
 */
typedef void (*e4_trace_record_fn)(void *arg, uint64_t ts,
				   const unsigned char *rec, size_t len);
int e4_trace_parse_page(const struct e4_trace_page_layout *lay,
			const unsigned char *page, size_t len,
			e4_trace_record_fn fn, void *arg, struct e4_err *err);

/* Decode one record of fmt into ev (cgroup fields left unresolved). */
int e4_trace_decode(const struct e4_trace_format *fmt,
		    const unsigned char *rec, size_t len,
		    struct e4_wb_event *ev);

#endif
