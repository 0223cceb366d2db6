// SPDX-License-Identifier: GPL-2.0
/*
 * The parsers of what the kernel prints about writeback: debugfs's
 * bdi/<dev>/stats and wb_stats, tracefs event format files, and the
 * ring-buffer pages of trace_pipe_raw.  Pure functions over buffers, so
 * that fixture files and fuzzed input exercise them without a kernel; they
 * never trust a length they read and report the first line that does not
 * match what they know.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"
#include "e4/wb.h"

enum unit { U_KB, U_KBPS, U_COUNT, U_HEX };

/*
 * The fields of both files: stats names them Bdi*, wb_stats Wb*.  The
 * global thresholds exist only in stats; WbCgIno only in wb_stats.
 */
struct field {
	const char *stats;	/* name in stats, NULL: not there */
	const char *wb;		/* name in wb_stats, NULL: not there */
	enum unit unit;
	size_t off;		/* in struct e4_wb_ctx, or a pseudo offset */
};

#define CTX(m) offsetof(struct e4_wb_ctx, m)
#define OFF_DIRTY_THRESH ((size_t)-1)
#define OFF_BG_THRESH ((size_t)-2)
#define OFF_IGNORE ((size_t)-3)

static const struct field fields[] = {
	{ NULL, "WbCgIno", U_COUNT, CTX(cg_ino) },
	{ "BdiWriteback", "WbWriteback", U_KB, CTX(writeback) },
	{ "BdiReclaimable", "WbReclaimable", U_KB, CTX(reclaimable) },
	{ "BdiDirtyThresh", "WbDirtyThresh", U_KB, CTX(thresh) },
	{ "DirtyThresh", NULL, U_KB, OFF_DIRTY_THRESH },
	{ "BackgroundThresh", NULL, U_KB, OFF_BG_THRESH },
	{ "BdiDirtied", "WbDirtied", U_KB, CTX(dirtied) },
	{ "BdiWritten", "WbWritten", U_KB, CTX(written) },
	{ "BdiWriteBandwidth", "WbWriteBandwidth", U_KBPS, CTX(bandwidth) },
	{ "b_dirty", "b_dirty", U_COUNT, CTX(b_dirty) },
	{ "b_io", "b_io", U_COUNT, CTX(b_io) },
	{ "b_more_io", "b_more_io", U_COUNT, CTX(b_more_io) },
	{ "b_dirty_time", "b_dirty_time", U_COUNT, CTX(b_dirty_time) },
	/* whether the bdi is on the global list: nothing to show */
	{ "bdi_list", NULL, U_COUNT, OFF_IGNORE },
	{ "state", "state", U_HEX, CTX(state) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *field_name(const struct field *f, bool wb)
{
	return wb ? f->wb : f->stats;
}

/* A number of at most 64 bits, in base 10 or 16, and nothing else. */
static int parse_num(const char *s, size_t len, int base, uint64_t *val)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*val = v;
	return 0;
}

struct parser {
	const char *name;	/* file name, for messages */
	bool wb;		/* wb_stats rather than stats */
	unsigned int line;
	struct e4_err *err;
};

/*
 * Parse one "Name:   value [unit]" line into ctx (or the thresholds).
 * seen marks the fields already set in the current block.
 */
static int parse_line(struct parser *p, const char *s, size_t len,
		      struct e4_wb_ctx *ctx, uint64_t *thresh, uint64_t *bg,
		      bool *seen)
{
	const char *colon = memchr(s, ':', len), *v, *end = s + len;
	const struct field *f = NULL;
	const char *unit;
	size_t i, nlen, vlen;
	uint64_t val;
	int ret;

	if (!colon)
		return e4_err_set(p->err, -EBADMSG, "%s line %u: not a 'name: value' line: '%.*s'",
				  p->name, p->line, (int)(len > 60 ? 60 : len), s);
	nlen = colon - s;
	for (i = 0; i < NFIELDS; i++) {
		const char *n = field_name(&fields[i], p->wb);

		if (n && strlen(n) == nlen && !memcmp(n, s, nlen)) {
			f = &fields[i];
			break;
		}
	}
	if (!f)
		return e4_err_set(p->err, -EBADMSG, "%s line %u: unknown field '%.*s'",
				  p->name, p->line, (int)(nlen > 60 ? 60 : nlen), s);
	if (seen[i])
		return e4_err_set(p->err, -EBADMSG, "%s line %u: field '%s' repeated",
				  p->name, p->line, field_name(f, p->wb));
	seen[i] = true;

	for (v = colon + 1; v < end && *v == ' '; v++)
		;
	for (vlen = 0; v + vlen < end && v[vlen] != ' '; vlen++)
		;
	for (unit = v + vlen; unit < end && *unit == ' '; unit++)
		;
	ret = parse_num(v, vlen, f->unit == U_HEX ? 16 : 10, &val);
	if (ret == -ERANGE)
		return e4_err_set(p->err, -ERANGE, "%s line %u: %s value '%.*s' does not fit 64 bits",
				  p->name, p->line, field_name(f, p->wb), (int)vlen, v);
	if (ret)
		return e4_err_set(p->err, -EBADMSG, "%s line %u: %s value '%.*s' is not a number",
				  p->name, p->line, field_name(f, p->wb),
				  (int)(vlen > 40 ? 40 : vlen), v);
	{
		const char *want = f->unit == U_KB ? "kB" :
				   f->unit == U_KBPS ? "kBps" : "";

		if ((size_t)(end - unit) != strlen(want) || memcmp(unit, want, end - unit))
			return e4_err_set(p->err, -EBADMSG, "%s line %u: %s: expected unit '%s', found '%.*s'",
					  p->name, p->line, field_name(f, p->wb), want,
					  (int)(end - unit > 20 ? 20 : end - unit), unit);
	}
	if (f->unit == U_KB || f->unit == U_KBPS) {
		if (val > UINT64_MAX / 1024)
			return e4_err_set(p->err, -ERANGE, "%s line %u: %s value %" PRIu64 " kB does not fit 64 bits in bytes",
					  p->name, p->line, field_name(f, p->wb), val);
		val *= 1024;
	}
	if (f->off == OFF_DIRTY_THRESH)
		*thresh = val;
	else if (f->off == OFF_BG_THRESH)
		*bg = val;
	else if (f->off != OFF_IGNORE)
		*(uint64_t *)((char *)ctx + f->off) = val;
	return 0;
}

/* The first field of the file's kind that the block lacks, or NULL. */
static const char *missing_field(const struct parser *p, const bool *seen)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (field_name(&fields[i], p->wb) && !seen[i])
			return field_name(&fields[i], p->wb);
	return NULL;
}

static void next_line(const char **s, const char **line, size_t *len)
{
	const char *nl = strchr(*s, '\n');

	*line = *s;
	*len = nl ? (size_t)(nl - *s) : strlen(*s);
	*s = nl ? nl + 1 : *s + *len;
}

int e4_wb_parse_stats(const char *text, const char *name,
		      struct e4_wb_ctx *root, uint64_t *dirty_thresh,
		      uint64_t *background_thresh, struct e4_err *err)
{
	struct parser p = { name, false, 0, err };
	bool seen[NFIELDS] = { 0 };
	const char *s = text, *line, *miss;
	size_t len;
	int ret;

	memset(root, 0, sizeof(*root));
	*dirty_thresh = *background_thresh = 0;
	while (*s) {
		next_line(&s, &line, &len);
		p.line++;
		if (!len)
			continue;
		ret = parse_line(&p, line, len, root, dirty_thresh,
				 background_thresh, seen);
		if (ret)
			return ret;
	}
	miss = missing_field(&p, seen);
	if (miss)
		return e4_err_set(err, -EBADMSG, "%s: truncated: no '%s' line",
				  name, miss);
	root->has_wb = true;
	return 0;
}

int e4_wb_parse_wb_stats(const char *text, const char *name,
			 struct e4_wb_ctx **ctx, size_t *nctx,
			 struct e4_err *err)
{
	struct parser p = { name, true, 0, err };
	bool seen[NFIELDS] = { 0 };
	struct e4_wb_ctx *v = NULL, *cur = NULL;
	size_t n = 0, cap = 0;
	const char *s = text, *line, *miss;
	uint64_t dummy1, dummy2;
	size_t len;
	int ret;

	for (;;) {
		bool eof = !*s;

		if (!eof) {
			next_line(&s, &line, &len);
			p.line++;
		}
		if (eof || !len) {
			/* End of a block (or of the file). */
			if (cur) {
				miss = missing_field(&p, seen);
				if (miss) {
					ret = e4_err_set(err, -EBADMSG,
							 "%s: block %zu (WbCgIno %" PRIu64 ") is truncated: no '%s' line",
							 name, n, cur->cg_ino, miss);
					goto out_free;
				}
				cur->has_wb = true;
				cur = NULL;
			}
			if (eof)
				break;
			continue;
		}
		if (!cur) {
			if (len < 8 || memcmp(line, "WbCgIno:", 8)) {
				ret = e4_err_set(err, -EBADMSG, "%s line %u: a block must start with WbCgIno, found '%.*s'",
						 name, p.line, (int)(len > 40 ? 40 : len), line);
				goto out_free;
			}
			if (e4_array_room(&v, n, &cap, sizeof(*v), 8)) {
				ret = e4_err_sys(err, -ENOMEM, "while parsing %s", name);
				goto out_free;
			}
			cur = &v[n++];
			memset(cur, 0, sizeof(*cur));
			memset(seen, 0, sizeof(seen));
		}
		ret = parse_line(&p, line, len, cur, &dummy1, &dummy2, seen);
		if (ret)
			goto out_free;
	}
	/* The bdi's own context is always listed: nothing at all means a
	 * file cut short (or not wb_stats), never "no contexts". */
	if (!n) {
		ret = e4_err_set(err, -EBADMSG,
				 "%s: no writeback context in it (empty or blank), not even the root's",
				 name);
		goto out_free;
	}
	*ctx = v;
	*nctx = n;
	return 0;
out_free:
	free(v);
	return ret;
}

/* ---------------------------------------------------------------- tracefs */

/*
 * "field:unsigned int memcg_id;\toffset:56;\tsize:4;\tsigned:0;" into f.
 * The declaration is the C type and name; arrays and __data_loc strings
 * are told apart by their spelling.
 */
static int parse_field_line(const char *line, struct e4_trace_field *f)
{
	char decl[256];
	const char *semi, *o, *sz, *sg;
	const char *name, *end;
	unsigned long off, size, sgn;
	size_t dlen;

	memset(f, 0, sizeof(*f));
	line += strlen("field:");
	semi = strchr(line, ';');
	if (!semi)
		return -EBADMSG;
	dlen = semi - line;
	if (dlen >= sizeof(decl))
		return -EBADMSG;
	memcpy(decl, line, dlen);
	decl[dlen] = '\0';
	o = strstr(semi, "offset:");
	sz = strstr(semi, "size:");
	sg = strstr(semi, "signed:");
	if (!o || !sz || !sg)
		return -EBADMSG;
	if (sscanf(o, "offset:%lu;", &off) != 1 || sscanf(sz, "size:%lu;", &size) != 1 ||
	    sscanf(sg, "signed:%lu;", &sgn) != 1 || off > 65535 || size > 65535 ||
	    !size)
		return -EBADMSG;
	f->offset = off;
	f->size = size;
	f->is_signed = sgn;

	/* The name: the last identifier, once any "[N]" after it is gone
	 * ("char name[32]"); "__data_loc char[] name" has its brackets in
	 * the type, before the name. */
	end = decl + dlen;
	for (;;) {
		while (end > decl && end[-1] == ' ')
			end--;
		if (end == decl || end[-1] != ']')
			break;
		end = memrchr(decl, '[', end - decl);
		if (!end)
			return -EBADMSG;
	}
	name = end;
	while (name > decl && (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
			       (name[-1] >= 'A' && name[-1] <= 'Z') ||
			       (name[-1] >= '0' && name[-1] <= '9')))
		name--;
	if (name == end || (size_t)(end - name) >= sizeof(f->name))
		return -EBADMSG;
	memcpy(f->name, name, end - name);

	if (!strncmp(decl, "__data_loc ", 11) && strstr(decl, "char") && size == 4)
		f->kind = E4_TF_DATA_LOC;
	else if (!strncmp(decl, "__rel_loc ", 10) && strstr(decl, "char") && size == 4)
		f->kind = E4_TF_REL_LOC;
	else if (strchr(decl, '[') && strstr(decl, "char"))
		f->kind = E4_TF_CHARS;
	else if (!strchr(decl, '[') && !strchr(decl, '*') &&
		 (size == 1 || size == 2 || size == 4 || size == 8))
		f->kind = E4_TF_INT;
	else
		f->kind = E4_TF_OTHER;
	return 0;
}

int e4_trace_parse_format(const char *text, struct e4_trace_format *fmt,
			  struct e4_err *err)
{
	const char *s = text, *line;
	unsigned int ln = 0;
	bool have_name = false, have_id = false;
	size_t len;
	char buf[512];

	memset(fmt, 0, sizeof(*fmt));
	while (*s) {
		const char *p;

		next_line(&s, &line, &len);
		ln++;
		if (len >= sizeof(buf))
			return e4_err_set(err, -EBADMSG, "format line %u: too long", ln);
		memcpy(buf, line, len);
		buf[len] = '\0';
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		if (!strncmp(p, "name: ", 6)) {
			snprintf(fmt->name, sizeof(fmt->name), "%s", p + 6);
			have_name = true;
		} else if (!strncmp(p, "ID: ", 4)) {
			char *end;
			unsigned long id = strtoul(p + 4, &end, 10);

			if (*end || end == p + 4 || id > 65535)
				return e4_err_set(err, -EBADMSG, "format line %u: bad ID '%s'", ln, p + 4);
			fmt->id = id;
			have_id = true;
		} else if (!strncmp(p, "field:", 6)) {
			struct e4_trace_field f;

			if (parse_field_line(p, &f))
				return e4_err_set(err, -EBADMSG, "format of %s line %u: cannot parse '%s'",
						  fmt->name, ln, p);
			if (!strncmp(f.name, "common_", 7))
				continue;
			if (fmt->nfields == E4_TRACE_MAX_FIELDS)
				return e4_err_set(err, -E2BIG, "format of %s: more than %d fields",
						  fmt->name, E4_TRACE_MAX_FIELDS);
			fmt->field[fmt->nfields++] = f;
		}
	}
	if (!have_name || !have_id)
		return e4_err_set(err, -EBADMSG, "format file has no %s line",
				  have_name ? "ID" : "name");
	return 0;
}

int e4_trace_parse_header_page(const char *text,
			       struct e4_trace_page_layout *lay,
			       struct e4_err *err)
{
	const char *s = text, *line;
	bool ts = false, commit = false, data = false;
	size_t len;

	memset(lay, 0, sizeof(*lay));
	while (*s) {
		struct e4_trace_field f;
		char buf[256];
		const char *p;

		next_line(&s, &line, &len);
		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		/* "field: u64 timestamp;": a space after the colon here */
		if (strncmp(p, "field:", 6) || parse_field_line(p, &f))
			continue;
		if (!strcmp(f.name, "timestamp")) {
			lay->ts_offset = f.offset;
			lay->ts_size = f.size;
			ts = true;
		} else if (!strcmp(f.name, "commit")) {
			lay->commit_offset = f.offset;
			lay->commit_size = f.size;
			commit = true;
		} else if (!strcmp(f.name, "data")) {
			lay->data_offset = f.offset;
			data = true;
		}
	}
	if (!ts || !commit || !data || lay->ts_size != 8 ||
	    (lay->commit_size != 4 && lay->commit_size != 8))
		return e4_err_set(err, -EBADMSG, "header_page: no usable timestamp, commit and data fields");
	return 0;
}

static uint64_t get_uint(const unsigned char *p, unsigned int size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

/*
 * The ring buffer's event header (events/header_event): 5 bits type_len,
 * 27 bits time delta, then array[].  type_len 1..28: that many 32-bit
 * words of data; 0: the length is in array[0]; 29 padding; 30 a time
 * extension; 31 an absolute time stamp.
 */
#define RB_PADDING 29
#define RB_TIME_EXTEND 30
#define RB_TIME_STAMP 31
/* Flags that the kernel keeps in the high bits of commit. */
#define RB_COMMIT_MASK ((1UL << 27) - 1)

int e4_trace_parse_page(const struct e4_trace_page_layout *lay,
			const unsigned char *page, size_t len,
			e4_trace_record_fn fn, void *arg, struct e4_err *err)
{
	size_t pos, end;
	uint64_t ts, commit;

	if (len < lay->data_offset || len < lay->commit_offset + lay->commit_size ||
	    len < lay->ts_offset + lay->ts_size)
		return e4_err_set(err, -EBADMSG, "trace page: %zu bytes, shorter than its header", len);
	ts = get_uint(page + lay->ts_offset, 8);
	commit = get_uint(page + lay->commit_offset, lay->commit_size) & RB_COMMIT_MASK;
	if (commit > len - lay->data_offset)
		return e4_err_set(err, -EBADMSG, "trace page: commit %" PRIu64 " past the end of the page",
				  commit);
	pos = lay->data_offset;
	end = lay->data_offset + commit;
	while (pos + 4 <= end) {
		uint32_t hdr = (uint32_t)get_uint(page + pos, 4);
		unsigned int type = hdr & 0x1f;
		uint64_t delta = hdr >> 5;
		size_t dlen, data;

		switch (type) {
		case RB_PADDING:
			/* A zero delta pads the rest of the page. */
			if (!delta)
				return 0;
			if (pos + 8 > end)
				goto out_short;
			dlen = get_uint(page + pos + 4, 4);
			if (dlen > end - pos - 4)
				goto out_short;
			pos += 4 + dlen;
			continue;
		case RB_TIME_EXTEND:
		case RB_TIME_STAMP:
			if (pos + 8 > end)
				goto out_short;
			delta |= get_uint(page + pos + 4, 4) << 27;
			/* An absolute stamp replaces the running time. */
			ts = type == RB_TIME_STAMP ? delta : ts + delta;
			pos += 8;
			continue;
		case 0:
			if (pos + 8 > end)
				goto out_short;
			dlen = get_uint(page + pos + 4, 4);
			if (dlen < 4)
				goto out_short;
			dlen -= 4;
			data = pos + 8;
			break;
		default:
			dlen = type * 4;
			data = pos + 4;
			break;
		}
		if (dlen > end - data)
			goto out_short;
		ts += delta;
		if (fn)
			fn(arg, ts, page + data, dlen);
		pos = data + ((dlen + 3) & ~(size_t)3);
	}
	return 0;
out_short:
	return e4_err_set(err, -EBADMSG, "trace page: event at offset %zu runs past the committed data",
			  pos);
}

int e4_trace_decode(const struct e4_trace_format *fmt,
		    const unsigned char *rec, size_t len,
		    struct e4_wb_event *ev)
{
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->name = fmt->name;
	for (i = 0; i < fmt->nfields && ev->nfields < E4_WB_EVENT_FIELDS; i++) {
		const struct e4_trace_field *f = &fmt->field[i];
		struct e4_wb_event_field *o = &ev->field[ev->nfields];

		if (f->kind == E4_TF_OTHER)
			continue;
		if ((size_t)f->offset + f->size > len)
			return -EBADMSG;
		o->name = f->name;
		if (f->kind == E4_TF_INT) {
			o->val = get_uint(rec + f->offset, f->size);
			o->is_signed = f->is_signed;
			if (f->is_signed && f->size < 8 &&
			    (o->val >> (f->size * 8 - 1)) & 1)
				o->val |= ~0ULL << (f->size * 8);
		} else {
			const unsigned char *s = rec + f->offset;
			size_t n = f->size, k;

			if (f->kind == E4_TF_DATA_LOC || f->kind == E4_TF_REL_LOC) {
				/* Offset in the low 16 bits, length (with the
				 * NUL) in the high ones; the offset is from the
				 * record's start, or for __rel_loc from the end
				 * of the field itself. */
				uint32_t loc = (uint32_t)get_uint(s, 4);
				size_t at = loc & 0xffff;

				if (f->kind == E4_TF_REL_LOC)
					at += (size_t)f->offset + f->size;
				n = loc >> 16;
				if (at > len || n > len - at)
					return -EBADMSG;
				s = rec + at;
			}
			o->is_str = true;
			for (k = 0; k < n && k + 1 < sizeof(o->str) && s[k]; k++)
				o->str[k] = (s[k] >= 0x20 && s[k] < 0x7f) ? s[k] : '?';
			o->str[k] = '\0';
		}
		ev->nfields++;
	}
	return 0;
}
