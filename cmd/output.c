// SPDX-License-Identifier: GPL-2.0
/*
 * The one path from a command's columns to the screen: --raw,
 * --noheadings, -o and --list-columns turned into libsmartcols calls, and
 * --json into one document of cmd/json.c built from the same cells.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output.h"

/* Raw rows are handed to stdio this many bytes at a time. */
#define RAW_BUF 65536

static int column_id(const struct e4_colinfo *info, size_t ninfo,
		     const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ninfo; i++)
		if (strlen(info[i].name) == len &&
		    !strncasecmp(info[i].name, name, len))
			return (int)i;
	return -1;
}

static int parse_columns(struct e4_out *out, const char *list, char *msg,
			 size_t msglen)
{
	const char *p = list;

	/* "-o ''" or "-o +" would print nothing at all: a usage error. */
	if (!*p) {
		snprintf(msg, msglen, "-o: no column named (see --list-columns)");
		return -EINVAL;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int id = len ? column_id(out->info, out->ninfo, p, len) : -1;

		if (!len) {
			snprintf(msg, msglen, "-o: empty column name in '%s'", list);
			return -EINVAL;
		}
		if (id < 0) {
			snprintf(msg, msglen, "unknown column: %.*s", (int)len, p);
			return -EINVAL;
		}
		if (out->ncols == sizeof(out->cols) / sizeof(out->cols[0])) {
			snprintf(msg, msglen, "too many columns");
			return -EINVAL;
		}
		out->cols[out->ncols++] = id;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void json_key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = tolower((unsigned char)name[i]);
	buf[i] = '\0';
}

int e4_out_init(struct e4_out *out, const struct e4_outopts *opts,
		const struct e4_colinfo *info, size_t ninfo, const int *defaults,
		const char *json_name, bool record, char *msg, size_t msglen)
{
	const char *list = opts->columns;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	out->info = info;
	out->ninfo = ninfo;
	out->opts = opts;
	out->record = record && !opts->json && !opts->raw;

	if (!list || *list == '+') {
		for (i = 0; defaults[i] >= 0; i++)
			out->cols[out->ncols++] = defaults[i];
		if (list)
			list++;
	}
	if (list) {
		ret = parse_columns(out, list, msg, msglen);
		if (ret)
			return ret;
	}

	out->tb = scols_new_table();
	if (!out->tb) {
		snprintf(msg, msglen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	/* JSON is written by cmd/json.c from the cells (e4_out_json);
	 * libsmartcols draws the table and the raw form. */
	out->json_name = json_name;
	scols_table_enable_raw(out->tb, opts->raw);
	scols_table_enable_noheadings(out->tb, opts->noheadings);

	for (i = 0; i < out->ncols; i++) {
		const struct e4_colinfo *ci = &info[out->cols[i]];
		struct libscols_column *cl;

		cl = scols_table_new_column(out->tb, ci->name, ci->whint,
					    ci->flags);
		if (!cl) {
			snprintf(msg, msglen, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		if (ci->type == E4_COL_NUM)
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
		else if (ci->type == E4_COL_BOOL)
			scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN);
	}
	return 0;
}

int e4_out_list_columns(const struct e4_colinfo *info, size_t ninfo,
			const struct e4_outopts *opts)
{
	static const struct e4_colinfo cols[] = {
		{ "NAME", "Name", 0, 0, E4_COL_STR, "column name" },
		{ "TYPE", "Type", 0, 0, E4_COL_STR, "string, number or boolean" },
		{ "DESCRIPTION", "Description", 0, SCOLS_FL_WRAP, E4_COL_STR,
		  "what it shows" },
	};
	static const int defaults[] = { 0, 1, 2, -1 };
	static const char *const types[] = { "string", "number", "boolean" };
	struct e4_outopts o = *opts;
	struct e4_out out;
	char msg[128];
	size_t i;
	int ret;

	o.columns = NULL;
	ret = e4_out_init(&out, &o, cols, 3, defaults, "columns", false, msg,
			  sizeof(msg));
	for (i = 0; !ret && i < ninfo; i++) {
		struct libscols_line *ln = e4_out_line(&out);

		if (!ln)
			ret = -ENOMEM;
		else
			ret = e4_out_str(&out, ln, 0, info[i].name) ?:
			      e4_out_str(&out, ln, 1, types[info[i].type]) ?:
			      e4_out_str(&out, ln, 2, info[i].help);
	}
	if (!ret)
		ret = e4_out_print(&out);
	e4_out_free(&out);
	return ret;
}

struct libscols_line *e4_out_line(struct e4_out *out)
{
	return scols_table_new_line(out->tb, NULL);
}

static int cell_of(const struct e4_out *out, int id)
{
	size_t i;

	for (i = 0; i < out->ncols; i++)
		if (out->cols[i] == id)
			return (int)i;
	return -1;
}

int e4_out_str(struct e4_out *out, struct libscols_line *ln, int id,
	       const char *val)
{
	int cell = cell_of(out, id);

	if (cell < 0 || !val)
		return 0;
	return scols_line_set_data(ln, cell, val);
}

int e4_out_u64(struct e4_out *out, struct libscols_line *ln, int id,
	       uint64_t val)
{
	return e4_out_printf(out, ln, id, "%" PRIu64, val);
}

int e4_out_bool(struct e4_out *out, struct libscols_line *ln, int id, bool val)
{
	/* libsmartcols reads a leading "n" as JSON false. */
	return e4_out_str(out, ln, id, val ? "yes" : "no");
}

int e4_out_printf(struct e4_out *out, struct libscols_line *ln, int id,
		  const char *fmt, ...)
{
	int cell = cell_of(out, id);
	char *s;
	va_list ap;
	int n;

	if (cell < 0)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return scols_line_refer_data(ln, cell, s);
}

/* Human form of a one-row table: "Field:  value" lines, as dumpe2fs -h. */
static int print_record(struct e4_out *out)
{
	struct libscols_line *ln = scols_table_get_line(out->tb, 0);
	size_t i, width = 0;

	for (i = 0; i < out->ncols; i++) {
		size_t w = strlen(out->info[out->cols[i]].label);

		if (w > width)
			width = w;
	}
	for (i = 0; ln && i < out->ncols; i++) {
		struct libscols_cell *ce = scols_line_get_cell(ln, i);
		const char *val = ce ? scols_cell_get_data(ce) : NULL;

		if (out->opts->noheadings)
			printf("%s\n", val ? val : "");
		else
			printf("%s:%*s%s\n", out->info[out->cols[i]].label,
			       (int)(width + 2 - strlen(out->info[out->cols[i]].label)),
			       "", val ? val : "-");
	}
	return 0;
}

/* A value of a multi-line cell per line; no value: the empty list. */
static void json_lines(struct e4_json *j, const char *key, const char *val,
		       bool numbers)
{
	char line[4096];

	e4_json_array_begin(j, key);
	while (val && *val) {
		size_t n = strcspn(val, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, val);
		if (numbers)
			e4_json_number(j, NULL, line);
		else
			e4_json_str(j, NULL, line);
		val += n;
		if (*val)
			val++;
	}
	e4_json_array_end(j);
}

static void json_cell(struct e4_json *j, const char *key, int type,
		      const char *val)
{
	switch (type) {
	case SCOLS_JSON_NUMBER:
		e4_json_number(j, key, val);
		break;
	case SCOLS_JSON_BOOLEAN:
	case SCOLS_JSON_BOOLEAN_OPTIONAL:
		/* e4_out_bool writes yes/no; an unset cell is false, or
		 * null where the column says it may be unknown. */
		if (!val || !*val)
			type == SCOLS_JSON_BOOLEAN ? e4_json_bool(j, key, false) :
						     e4_json_null(j, key);
		else
			e4_json_bool(j, key, *val != 'n' && *val != 'N' &&
					     *val != '0');
		break;
	case SCOLS_JSON_ARRAY_STRING:
	case SCOLS_JSON_ARRAY_NUMBER:
		json_lines(j, key, val, type == SCOLS_JSON_ARRAY_NUMBER);
		break;
	default:
		e4_json_str(j, key, val);
	}
}

static int raw_flush(struct e4_out *out)
{
	if (out->rlen && fwrite(out->rbuf, 1, out->rlen, stdout) != out->rlen)
		return -EIO;
	out->rlen = 0;
	return 0;
}

/*
 * libsmartcols's raw form of a cell: blanks, backslashes and what is not
 * printable (isprint, in the C locale: e4ctl sets no other) as \xNN;
 * then the separator.
 */
static int raw_put(struct e4_out *out, const char *s, char sep)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = out->rlen;
	char *b = out->rbuf;
	int ret;

	for (;; p++) {
		/* Room for an escaped byte, or the separator. */
		if (len + 4 > RAW_BUF) {
			out->rlen = len;
			ret = raw_flush(out);
			if (ret)
				return ret;
			len = 0;
		}
		if (!*p)
			break;
		if (out->raw_plain[*p]) {
			b[len++] = *p;
		} else {
			b[len++] = '\\';
			b[len++] = 'x';
			b[len++] = hex[*p >> 4];
			b[len++] = hex[*p & 15];
		}
	}
	b[len++] = sep;
	out->rlen = len;
	return 0;
}

static int raw_row(struct e4_out *out, const char *const *vals, bool header)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < out->ncols && !ret; i++)
		ret = raw_put(out, header ? out->info[out->cols[i]].name :
					    vals[out->cols[i]],
			      i + 1 < out->ncols ? ' ' : '\n');
	return ret;
}

static int raw_begin(struct e4_out *out)
{
	int c;

	out->rbuf = malloc(RAW_BUF);
	if (!out->rbuf)
		return -ENOMEM;
	for (c = 0; c < 256; c++)
		out->raw_plain[c] = isprint(c) && !isblank(c) && c != '\\';
	return out->opts->noheadings ? 0 : raw_row(out, NULL, true);
}

static void json_row(struct e4_out *out, const char *const *vals)
{
	size_t i;

	if (!out->streamed) {
		e4_json_begin(&out->json, stdout, false);
		e4_json_array_begin(&out->json, out->json_name ? out->json_name : "rows");
	}
	e4_json_object_begin(&out->json, NULL);
	for (i = 0; i < out->ncols; i++) {
		struct libscols_column *cl = scols_table_get_column(out->tb, i);
		char key[64];

		json_key(out->info[out->cols[i]].name, key, sizeof(key));
		json_cell(&out->json, key, scols_column_get_json_type(cl),
			  vals[out->cols[i]]);
	}
	e4_json_object_end(&out->json);
}

int e4_out_row(struct e4_out *out, const char *const *vals)
{
	struct libscols_line *ln;
	size_t i;
	int ret = 0;

	if (out->opts->json) {
		json_row(out, vals);
	} else if (out->opts->raw) {
		if (!out->streamed)
			ret = raw_begin(out);
		if (!ret)
			ret = raw_row(out, vals, false);
	} else {
		ln = e4_out_line(out);
		if (!ln)
			return -ENOMEM;
		for (i = 0; i < out->ncols && !ret; i++)
			if (vals[out->cols[i]])
				ret = scols_line_set_data(ln, i, vals[out->cols[i]]);
		return ret;
	}
	out->streamed++;
	return ret;
}

const char *e4_out_utoa(char *buf, uint64_t v)
{
	char *p = buf + E4_OUT_NUMLEN - 1;

	*p = '\0';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	return memmove(buf, p, buf + E4_OUT_NUMLEN - p);
}

/* The end of what e4_out_row wrote. */
static int stream_end(struct e4_out *out)
{
	if (!out->opts->json)
		return raw_flush(out);
	e4_json_array_end(&out->json);
	return e4_json_end(&out->json);
}

int e4_out_print(struct e4_out *out)
{
	struct e4_json j;
	int ret;

	if (out->streamed)
		return stream_end(out);
	if (out->record)
		return print_record(out);
	if (!out->opts->json)
		return scols_print_table(out->tb);
	e4_json_begin(&j, stdout, false);
	ret = e4_out_json(out, &j);
	return ret ?: e4_json_end(&j);
}

void e4_out_free(struct e4_out *out)
{
	free(out->rbuf);
	out->rbuf = NULL;
	scols_unref_table(out->tb);
	out->tb = NULL;
}

/* One record per line of the table, its shown columns as members. */
int e4_out_json(struct e4_out *out, struct e4_json *j)
{
	struct libscols_iter *itr = scols_new_iter(SCOLS_ITER_FORWARD);
	struct libscols_line *ln;
	size_t i;

	if (!itr)
		return -ENOMEM;
	e4_json_array_begin(j, out->json_name ? out->json_name : "rows");
	while (scols_table_next_line(out->tb, itr, &ln) == 0) {
		e4_json_object_begin(j, NULL);
		for (i = 0; i < out->ncols; i++) {
			struct libscols_cell *ce = scols_line_get_cell(ln, i);
			struct libscols_column *cl = scols_table_get_column(out->tb, i);
			const char *val = ce ? scols_cell_get_data(ce) : NULL;
			char key[64];

			json_key(out->info[out->cols[i]].name, key, sizeof(key));
			json_cell(j, key, scols_column_get_json_type(cl), val);
		}
		e4_json_object_end(j);
	}
	e4_json_array_end(j);
	scols_free_iter(itr);
	return 0;
}

int e4_out_print_all(struct e4_out *const *outs, size_t n)
{
	struct e4_json j;
	size_t i;
	int ret;

	if (!n)
		return 0;
	if (!outs[0]->opts->json) {
		for (i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			ret = e4_out_print(outs[i]);
			if (ret)
				return ret;
		}
		return 0;
	}
	e4_json_begin(&j, stdout, false);
	for (i = 0; i < n; i++) {
		ret = e4_out_json(outs[i], &j);
		if (ret)
			return ret;
	}
	return e4_json_end(&j);
}
