/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_OUTPUT_H
#define E4_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <popt.h>

#include <libsmartcols/libsmartcols.h>

#include "json.h"

/*
 * Table, raw, JSON and the vertical "Field: value" record all come from
 * one libsmartcols table built here (findmnt/lsblk style): a command
 * declares its columns once, in a colinfo[] array, and fills cells.
 */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum e4_coltype { E4_COL_STR, E4_COL_NUM, E4_COL_BOOL };

struct e4_colinfo {
	const char *name;	/* GROUP, FREE_BLOCKS; JSON key is lower-case */
	const char *label;	/* "Free blocks", for the vertical record */
	double whint;		/* width hint */
	int flags;		/* SCOLS_FL_* */
	enum e4_coltype type;
	const char *help;
};

struct e4_outopts {
	int json;
	int raw;
	int noheadings;
	int list_columns;
	char *columns;		/* -o LIST, "+LIST" appends to the defaults */
};

/* The shared options, to put into a command's popt table. */
#define E4_OUTPUT_OPTIONS(o)                                                   \
	{ "json", 'J', POPT_ARG_NONE, &(o)->json, 0, "use JSON output format", \
	  NULL },                                                              \
	{ "raw", 'r', POPT_ARG_NONE, &(o)->raw, 0, "use raw output format",     \
	  NULL },                                                              \
	{ "noheadings", '\0', POPT_ARG_NONE, &(o)->noheadings, 0,              \
	  "don't print headings", NULL },                                      \
	{ "output", 'o', POPT_ARG_STRING, &(o)->columns, 0,                    \
	  "columns to show (+COLS appends to the default)", "COLS" },          \
	{ "list-columns", '\0', POPT_ARG_NONE, &(o)->list_columns, 0,          \
	  "list the available columns", NULL }

struct e4_out {
	struct libscols_table *tb;
	const struct e4_colinfo *info;
	size_t ninfo;
	int cols[64];		/* indexes into info, in output order */
	size_t ncols;
	bool record;		/* vertical Field: value output */
	const char *json_name;	/* the document member of the records */
	const struct e4_outopts *opts;
	/* e4_out_row under --raw or --json: what is already written */
	size_t streamed;	/* rows */
	struct e4_json json;
	char *rbuf;		/* raw rows not yet handed to stdio */
	size_t rlen;
	bool raw_plain[256];	/* bytes raw output keeps as they are */
};

/*
 * Set up out for the given columns.  defaults lists the column ids shown
 * without -o (terminated by -1).  json_name names the JSON array.  record
 * selects the vertical layout for the human (non-raw, non-JSON) form.
 * Returns 0, or -EINVAL with msg filled when -o names an unknown column.
 */
int e4_out_init(struct e4_out *out, const struct e4_outopts *opts,
		const struct e4_colinfo *info, size_t ninfo, const int *defaults,
		const char *json_name, bool record, char *msg, size_t msglen);

/* Print the column list of --list-columns. */
int e4_out_list_columns(const struct e4_colinfo *info, size_t ninfo,
			const struct e4_outopts *opts);

struct libscols_line *e4_out_line(struct e4_out *out);

/* Set the cell of column id (an index into info) if it is shown. */
int e4_out_str(struct e4_out *out, struct libscols_line *ln, int id,
	       const char *val);
int e4_out_u64(struct e4_out *out, struct libscols_line *ln, int id,
	       uint64_t val);
int e4_out_bool(struct e4_out *out, struct libscols_line *ln, int id, bool val);
int e4_out_printf(struct e4_out *out, struct libscols_line *ln, int id,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Long listings, one row at a time.  Under --raw and --json e4_out_row
 * writes the row at once (the bytes libsmartcols's raw table, or
 * e4_out_json, would have had), so a million rows cost neither a
 * libsmartcols line each nor the memory of them all; the human table
 * needs every row for its widths and still collects them.  vals is
 * indexed by column id (an index into info); NULL is an empty cell.
 * e4_out_print ends the output.  Not to be mixed with e4_out_line on
 * one out, nor used with e4_out_print_all or e4_out_json.
 */
int e4_out_row(struct e4_out *out, const char *const *vals);
/* Length of a decimal uint64_t with its NUL. */
#define E4_OUT_NUMLEN 21
/* v in decimal into buf, for e4_out_row; returns buf. */
const char *e4_out_utoa(char *buf, uint64_t v);

/*
 * --json: one document {"json_name": [records]} (also with no line: an
 * empty array); otherwise the table, or the vertical record.
 */
int e4_out_print(struct e4_out *out);
/*
 * Several tables as one document: under --json a single object with one
 * member per table (its json_name); otherwise one after the other with a
 * blank line between.  All must share the same options.
 */
int e4_out_print_all(struct e4_out *const *outs, size_t n);
/*
 * Write out's lines into an open document as the member json_name, an
 * array with one object per line (keys: the lower-case column names;
 * numbers, booleans and multi-line lists typed as the column says), for
 * front ends that add members of their own (wb).
 */
int e4_out_json(struct e4_out *out, struct e4_json *j);
void e4_out_free(struct e4_out *out);

#endif
