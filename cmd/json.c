// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON document writer (see json.h): escaping, commas, nesting and
 * indentation live here and nowhere else.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

static void indent(struct e4_json *j)
{
	int i;

	if (j->compact)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("   ", j->f);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

/* The separator, the indentation and the key of the next value. */
static void next_value(struct e4_json *j, const char *key)
{
	if (j->depth > 0 && j->used[j->depth - 1])
		fputc(',', j->f);
	if (j->depth > 0)
		j->used[j->depth - 1] = true;
	indent(j);
	if (key) {
		put_string(j->f, key);
		fputs(j->compact ? ":" : ": ", j->f);
	}
}

static void open_level(struct e4_json *j, const char *key, char c)
{
	next_value(j, key);
	fputc(c, j->f);
	/* Deeper than the limit is a programming error: stay well-formed
	 * in the commas rather than write out of bounds. */
	if (j->depth < E4_JSON_MAX_DEPTH)
		j->used[j->depth] = false;
	j->depth++;
}

static void close_level(struct e4_json *j, char c)
{
	bool had = j->depth <= E4_JSON_MAX_DEPTH && j->used[j->depth - 1];

	j->depth--;
	/* "[]" and "{}" stay on one line. */
	if (had)
		indent(j);
	fputc(c, j->f);
}

void e4_json_begin(struct e4_json *j, FILE *f, bool compact)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->compact = compact;
	fputc('{', f);
	j->depth = 1;
}

int e4_json_end(struct e4_json *j)
{
	close_level(j, '}');
	fputc('\n', j->f);
	if (fflush(j->f) || ferror(j->f))
		return -EIO;
	return 0;
}

void e4_json_object_begin(struct e4_json *j, const char *key)
{
	open_level(j, key, '{');
}

void e4_json_object_end(struct e4_json *j)
{
	close_level(j, '}');
}

void e4_json_array_begin(struct e4_json *j, const char *key)
{
	open_level(j, key, '[');
}

void e4_json_array_end(struct e4_json *j)
{
	close_level(j, ']');
}

void e4_json_str(struct e4_json *j, const char *key, const char *val)
{
	next_value(j, key);
	if (val)
		put_string(j->f, val);
	else
		fputs("null", j->f);
}

void e4_json_u64(struct e4_json *j, const char *key, uint64_t val)
{
	next_value(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void e4_json_i64(struct e4_json *j, const char *key, int64_t val)
{
	next_value(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void e4_json_bool(struct e4_json *j, const char *key, bool val)
{
	next_value(j, key);
	fputs(val ? "true" : "false", j->f);
}

void e4_json_null(struct e4_json *j, const char *key)
{
	next_value(j, key);
	fputs("null", j->f);
}

/* RFC 8259's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return !*s;
}

void e4_json_number(struct e4_json *j, const char *key, const char *text)
{
	if (!text || !*text) {
		e4_json_null(j, key);
	} else if (is_number(text)) {
		next_value(j, key);
		fputs(text, j->f);
	} else {
		e4_json_str(j, key, text);
	}
}
