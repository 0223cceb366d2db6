/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CMD_WB_H
#define E4_CMD_WB_H

#include <stdio.h>

#include "cli.h"
#include "output.h"

struct e4_cli;
#include "e4/wb.h"

/*
 * What `wb show` (cmd/wb.c) and `wb watch` (cmd/wb_watch.c) share: the
 * options, the columns, and one frame of output in each format.
 */
struct wb_opts {
	struct e4_outopts out;
	char *sysroot;
	char *cgroup;
	int bytes;
	/* watch */
	double interval;
	int events;
	int count;
};

#define WB_COMMON_OPTIONS(o)                                                   \
	E4_OUTPUT_OPTIONS(&(o)->out),                                          \
	{ "cgroup", '\0', POPT_ARG_STRING, &(o)->cgroup, 0,                    \
	  "only this cgroup2 path and its descendants", "PATH" },              \
	{ "bytes", '\0', POPT_ARG_NONE, &(o)->bytes, 0,                        \
	  "print sizes in bytes rather than in a human-readable form", NULL }, \
	E4_REFUSED_OPTION('b', "-b is --superblock in every command now; for sizes in bytes, use --bytes"), \
	E4_SYSROOT_OPTION(&(o)->sysroot)

/* The strings that popt allocated for the options. */
void wb_opts_free(struct wb_opts *o);

/* Prepare out for the command's columns; usage message in msg. */
int wb_out_init(struct e4_out *out, const struct wb_opts *o, char *msg,
		size_t msglen);
void wb_cli_columns(struct e4_cli *cli, const struct wb_opts *o);
int wb_fill(struct e4_out *out, const struct wb_opts *o,
	    const struct e4_wb_snap *snap);

/* The mode and notes, one "prefix: line" each, on f. */
void wb_print_notes(FILE *f, const char *prefix, const struct e4_wb_info *in);

/*
 * --json: one document, {"contexts": [...], "filesystem": [{time, device,
 * mountpoint, bdi, wb_stats, cgroup_writeback, mode, reason, notes,
 * dirty_thresh, background_thresh}]}; extra (may be NULL) adds members
 * (wb watch: "events").  compact: on one line.
 */
int wb_print_json(struct e4_out *out, const struct e4_wb_info *in,
		  const struct e4_wb_snap *snap, bool compact,
		  void (*extra)(struct e4_json *j, void *arg), void *arg);

#endif
