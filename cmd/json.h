/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CMD_JSON_H
#define E4_CMD_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The one JSON writer of e4ctl: every --json output is one document
 * written through here, of one shape for every command (util-linux's):
 * an object whose members are arrays of records,
 *
 *   {"groups": [{"group": 0, "free_blocks": 207}, ...]}
 *
 * with numbers as JSON numbers, and an empty array when there is nothing
 * to list.  Nothing else in e4ctl prints JSON text.
 *
 * A writer is a cursor: begin/end calls nest (depth at most
 * E4_JSON_MAX_DEPTH); key is the member name inside an object and NULL
 * inside an array.  Write errors show in e4_json_end's result.
 */
#define E4_JSON_MAX_DEPTH 8

struct e4_json {
	FILE *f;
	bool compact;			/* the document on one line */
	int depth;
	bool used[E4_JSON_MAX_DEPTH];	/* a value was written at this depth */
};

/* Open the document ("{"). compact: one line, for streams (wb watch). */
void e4_json_begin(struct e4_json *j, FILE *f, bool compact);
/* Close it ("}" and a newline) and flush: 0, or -EIO on a write error. */
int e4_json_end(struct e4_json *j);

void e4_json_object_begin(struct e4_json *j, const char *key);
void e4_json_object_end(struct e4_json *j);
void e4_json_array_begin(struct e4_json *j, const char *key);
void e4_json_array_end(struct e4_json *j);

/* A string (NULL: null). */
void e4_json_str(struct e4_json *j, const char *key, const char *val);
void e4_json_u64(struct e4_json *j, const char *key, uint64_t val);
void e4_json_i64(struct e4_json *j, const char *key, int64_t val);
void e4_json_bool(struct e4_json *j, const char *key, bool val);
void e4_json_null(struct e4_json *j, const char *key);
/*
 * A number already in text form ("12", "-3", "1733300000.000001234"):
 * written as a JSON number when it is one, as null when text is NULL or
 * empty, and as a string otherwise, so that the document stays valid.
 */
void e4_json_number(struct e4_json *j, const char *key, const char *text);

#endif
