// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl wb show TARGET: the writeback contexts of a mounted filesystem's
 * bdi, one row per cgroup, and why there is only one when cgroup
 * writeback is not in effect.  Also the columns and output shared with
 * `wb watch` (cmd/wb_watch.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metrics.h"
#include "openmetrics.h"
#include "wb.h"

enum {
	COL_CGROUP, COL_INO, COL_DIRTY, COL_WRITEBACK, COL_DIRTIED, COL_WRITTEN,
	COL_BANDWIDTH, COL_THRESH, COL_INODES_DIRTY, COL_INODES_IO,
	COL_INODES_DIRTY_TIME, COL_FILE_DIRTY, COL_FILE_WRITEBACK,
	COL_IO_WBYTES, COL_IO_WIOS, COL_DYING_DESCENDANTS, COL_STATE,
};

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_CGROUP] = { "CGROUP", "Cgroup", 0.2, 0, E4_COL_STR, "cgroup2 path of the context, or (dying) ino N" },
	[COL_INO] = { "INO", "Cgroup inode", 0, R, E4_COL_NUM, "inode number of the cgroup directory (WbCgIno)" },
	[COL_DIRTY] = { "DIRTY", "Dirty", 0, R, E4_COL_NUM, "dirty bytes not yet under writeback (WbReclaimable)" },
	[COL_WRITEBACK] = { "WRITEBACK", "Writeback", 0, R, E4_COL_NUM, "bytes under writeback" },
	[COL_DIRTIED] = { "DIRTIED", "Dirtied", 0, R, E4_COL_NUM, "bytes dirtied since the context was created" },
	[COL_WRITTEN] = { "WRITTEN", "Written", 0, R, E4_COL_NUM, "bytes written since the context was created" },
	[COL_BANDWIDTH] = { "BANDWIDTH", "Bandwidth", 0, R, E4_COL_NUM, "estimated write bandwidth, bytes per second" },
	[COL_THRESH] = { "THRESH", "Dirty threshold", 0, R, E4_COL_NUM, "the context's dirty threshold in bytes" },
	[COL_INODES_DIRTY] = { "INODES_DIRTY", "Dirty inodes", 0, R, E4_COL_NUM, "inodes on the dirty list (b_dirty)" },
	[COL_INODES_IO] = { "INODES_IO", "Inodes in writeback", 0, R, E4_COL_NUM, "inodes queued for writeback (b_io + b_more_io)" },
	[COL_INODES_DIRTY_TIME] = { "INODES_DIRTY_TIME", "Lazytime inodes", 0, R, E4_COL_NUM, "inodes with only dirty timestamps (b_dirty_time)" },
	[COL_FILE_DIRTY] = { "FILE_DIRTY", "Cgroup dirty", 0, R, E4_COL_NUM, "memory.stat file_dirty of the cgroup, all devices (root without memory.stat: /proc/meminfo Dirty)" },
	[COL_FILE_WRITEBACK] = { "FILE_WRITEBACK", "Cgroup writeback", 0, R, E4_COL_NUM, "memory.stat file_writeback, all devices (root without memory.stat: /proc/meminfo Writeback)" },
	[COL_IO_WBYTES] = { "IO_WBYTES", "Cgroup written", 0, R, E4_COL_NUM, "io.stat wbytes for this disk (root without io.stat: the disk's stat)" },
	[COL_IO_WIOS] = { "IO_WIOS", "Cgroup write I/Os", 0, R, E4_COL_NUM, "io.stat wios for this disk" },
	[COL_DYING_DESCENDANTS] = { "DYING_DESCENDANTS", "Dying descendants", 0, R, E4_COL_NUM, "cgroup.stat nr_dying_descendants" },
	[COL_STATE] = { "STATE", "State", 0, R, E4_COL_STR, "WB_* state bits of the context, hexadecimal" },
};
#undef R

static const int defaults[] = {
	COL_CGROUP, COL_DIRTY, COL_WRITEBACK, COL_DIRTIED, COL_WRITTEN,
	COL_BANDWIDTH, COL_THRESH, COL_INODES_DIRTY, COL_INODES_IO,
	COL_FILE_DIRTY, COL_FILE_WRITEBACK, COL_IO_WBYTES, -1
};

void wb_opts_free(struct wb_opts *o)
{
	free(o->sysroot);
	free(o->cgroup);
	free(o->out.columns);
}

int wb_out_init(struct e4_out *out, const struct wb_opts *o, char *msg,
		size_t msglen)
{
	return e4_out_init(out, &o->out, colinfo, ARRAY_SIZE(colinfo), defaults,
			   "contexts", false, msg, msglen);
}

void wb_cli_columns(struct e4_cli *cli, const struct wb_opts *o)
{
	e4_cli_columns(cli, &o->out, colinfo, ARRAY_SIZE(colinfo));
}

/* Sizes: bytes for JSON, --raw and --bytes; "12.5M" otherwise (lsblk). */
static int put_size(struct e4_out *out, const struct wb_opts *o,
		    struct libscols_line *ln, int id, uint64_t v)
{
	static const char units[] = "KMGTPE";
	double d = v;
	int i = -1;

	if (o->bytes || o->out.json || o->out.raw || v < 1024)
		return e4_out_u64(out, ln, id, v);
	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	if (d < 10 && d != (uint64_t)d)
		return e4_out_printf(out, ln, id, "%.1f%c", d, units[i]);
	return e4_out_printf(out, ln, id, "%.0f%c", d, units[i]);
}

int wb_fill(struct e4_out *out, const struct wb_opts *o,
	    const struct e4_wb_snap *snap)
{
	size_t i;

	for (i = 0; i < snap->nctx; i++) {
		const struct e4_wb_ctx *c = &snap->ctx[i];
		struct libscols_line *ln = e4_out_line(out);

		if (!ln)
			return -ENOMEM;
		if (c->path)
			e4_out_str(out, ln, COL_CGROUP, c->path);
		else
			e4_out_printf(out, ln, COL_CGROUP, "(%s) ino %" PRIu64,
				      c->cg_state == E4_WB_CG_DYING ? "dying" : "not visible",
				      c->cg_ino);
		if (c->cg_ino)
			e4_out_u64(out, ln, COL_INO, c->cg_ino);
		if (c->has_wb) {
			put_size(out, o, ln, COL_DIRTY, c->reclaimable);
			put_size(out, o, ln, COL_WRITEBACK, c->writeback);
			put_size(out, o, ln, COL_DIRTIED, c->dirtied);
			put_size(out, o, ln, COL_WRITTEN, c->written);
			put_size(out, o, ln, COL_BANDWIDTH, c->bandwidth);
			put_size(out, o, ln, COL_THRESH, c->thresh);
			e4_out_u64(out, ln, COL_INODES_DIRTY, c->b_dirty);
			e4_out_u64(out, ln, COL_INODES_IO, c->b_io + c->b_more_io);
			e4_out_u64(out, ln, COL_INODES_DIRTY_TIME, c->b_dirty_time);
			e4_out_printf(out, ln, COL_STATE, "0x%" PRIx64, c->state);
		}
		if (c->has_mem) {
			put_size(out, o, ln, COL_FILE_DIRTY, c->file_dirty);
			put_size(out, o, ln, COL_FILE_WRITEBACK, c->file_writeback);
		}
		if (c->has_io) {
			put_size(out, o, ln, COL_IO_WBYTES, c->io_wbytes);
			e4_out_u64(out, ln, COL_IO_WIOS, c->io_wios);
		}
		if (c->has_cgstat)
			e4_out_u64(out, ln, COL_DYING_DESCENDANTS, c->nr_dying);
	}
	return 0;
}

void wb_print_notes(FILE *f, const char *prefix, const struct e4_wb_info *in)
{
	const char *p = in->note;

	if (in->why[0])
		fprintf(f, "%s: %s\n", prefix, in->why);
	while (*p) {
		size_t n = strcspn(p, "\n");

		/* fwrite, not %.*s: gcc -fsanitize=undefined cannot prove p non-NULL. */
		fprintf(f, "%s: note: ", prefix);
		fwrite(p, 1, n, f);
		fputc('\n', f);
		p += n;
		if (*p)
			p++;
	}
}

int wb_print_json(struct e4_out *out, const struct e4_wb_info *in,
		  const struct e4_wb_snap *snap, bool compact,
		  void (*extra)(struct e4_json *j, void *arg), void *arg)
{
	static const char *const modes[] = {
		[E4_WB_ACTIVE] = "active", [E4_WB_INACTIVE_V1] = "cgroup-v1",
		[E4_WB_INACTIVE_DISABLED] = "controller-disabled",
		[E4_WB_INACTIVE_NO_CGROUP2] = "no-cgroup2",
		[E4_WB_INACTIVE_DATA_JOURNAL] = "data-journal",
	};
	char line[sizeof(in->note)], tbuf[64];
	struct e4_json j;
	const char *p;
	struct tm tm;
	int ret;

	e4_json_begin(&j, stdout, compact);
	ret = e4_out_json(out, &j);
	if (ret)
		return ret;
	/* The filesystem's writeback facts: one record. */
	gmtime_r(&snap->time.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	e4_json_array_begin(&j, "filesystem");
	e4_json_object_begin(&j, NULL);
	e4_json_str(&j, "time", tbuf);
	e4_json_str(&j, "device", in->device);
	e4_json_str(&j, "mountpoint", in->mountpoint);
	e4_json_str(&j, "bdi", in->bdi);
	e4_json_bool(&j, "wb_stats", in->has_wb_stats);
	e4_json_bool(&j, "cgroup_writeback", in->mode == E4_WB_ACTIVE);
	e4_json_str(&j, "mode", modes[in->mode]);
	e4_json_str(&j, "reason", in->why[0] ? in->why : NULL);
	e4_json_array_begin(&j, "notes");
	for (p = in->note; *p;) {
		size_t n = strcspn(p, "\n");

		/* n < sizeof(line): p lies in the NUL-terminated in->note. */
		memcpy(line, p, n);
		line[n] = '\0';
		e4_json_str(&j, NULL, line);
		p += n;
		if (*p)
			p++;
	}
	e4_json_array_end(&j);
	e4_json_u64(&j, "dirty_thresh", snap->dirty_thresh);
	e4_json_u64(&j, "background_thresh", snap->background_thresh);
	e4_json_object_end(&j);
	e4_json_array_end(&j);
	if (extra)
		extra(&j, arg);
	return e4_json_end(&j);
}

int cmd_wb_show(struct e4_cli *cli)
{
	struct wb_opts o = { 0 };
	int openmetrics = 0;
	struct poptOption opts[] = {
		WB_COMMON_OPTIONS(&o),
		E4_OPENMETRICS_OPTION(&openmetrics),
		POPT_TABLEEND
	};
	struct e4_err err = { 0 };
	struct e4_wb_snap *snap = NULL;
	struct e4_wb *wb = NULL;
	struct e4_out out = { 0 };
	char msg[128];
	int rc;

	wb_cli_columns(cli, &o);
	rc = e4_cli_parse(cli, opts);
	if (rc)
		goto out_opts;
	if (openmetrics && (o.out.json || o.out.raw)) {
		rc = e4_cli_usage_error(cli, "--openmetrics excludes --json and --raw");
		goto out;
	}
	if (wb_out_init(&out, &o, msg, sizeof(msg))) {
		rc = e4_cli_usage_error(cli, "%s", msg);
		goto out;
	}
	rc = e4_wb_open(cli->args[0], o.sysroot, &wb, &err);
	if (!rc)
		rc = e4_wb_read(wb, o.cgroup, &snap, &err);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	if (wb_fill(&out, &o, snap)) {
		rc = e4_cli_fail(cli);
		goto out;
	}
	if (openmetrics) {
		/* On stderr, as for the table: the text stays parseable. */
		wb_print_notes(stderr, cli->prog, e4_wb_info(wb));
		rc = e4_metrics_wb(stdout, e4_wb_info(wb), snap);
	} else if (o.out.json) {
		rc = wb_print_json(&out, e4_wb_info(wb), snap, false, NULL, NULL);
	} else {
		/* On stderr: the table stays parseable. */
		wb_print_notes(stderr, cli->prog, e4_wb_info(wb));
		rc = e4_out_print(&out);
	}
	if (rc)
		rc = e4_cli_fail(cli);
out:
	e4_wb_snap_free(snap);
	e4_wb_close(wb);
	e4_out_free(&out);
out_opts:
	wb_opts_free(&o);
	return rc;
}
