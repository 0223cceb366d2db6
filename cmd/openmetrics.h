/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CMD_OPENMETRICS_H
#define E4_CMD_OPENMETRICS_H

#include <stdint.h>
#include <stdio.h>
#include <popt.h>

/*
 * OpenMetrics text for the audits (--openmetrics), for Prometheus and
 * node_exporter's textfile collector: families with HELP and TYPE lines,
 * samples with labels, "# EOF" at the end.  Every family is a gauge (a
 * value sampled when the audit ran), so the same text is also valid in
 * the older Prometheus text format that the textfile collector reads,
 * where an OpenMetrics counter's "_total" sample would not be.
 */

/* The option, next to --json in each audit's popt table. */
#define E4_OPENMETRICS_OPTION(flag)                                            \
	{ "openmetrics", '\0', POPT_ARG_NONE, (flag), 0,                       \
	  "print OpenMetrics text (Prometheus) instead of a table", NULL }

struct e4_om {
	FILE *f;
	const char *const *labels;	/* name, value, ..., NULL: on every sample */
	const char *family;		/* the family being written */
};

/* Start a document on f whose samples all carry labels (may be NULL). */
void e4_om_init(struct e4_om *om, FILE *f, const char *const *labels);

/*
 * Start a gauge family: its HELP and TYPE lines.  name must start with
 * e4ctl_ and carry its unit as a suffix (_bytes, _blocks, _seconds).
 */
void e4_om_gauge(struct e4_om *om, const char *name, const char *help);

/*
 * One sample of the current family, with the document's labels and then
 * the extra name, value pairs given, NULL-terminated.  A NULL value is
 * written as the empty string (the label is absent, to OpenMetrics).
 */
void e4_om_u64(struct e4_om *om, uint64_t v, ...) __attribute__((sentinel));
void e4_om_i64(struct e4_om *om, int64_t v, ...) __attribute__((sentinel));

/* "# EOF", then flush: 0, or -EIO when writing failed. */
int e4_om_end(struct e4_om *om);

#endif
