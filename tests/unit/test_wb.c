// SPDX-License-Identifier: GPL-2.0
/*
 * The writeback parsers on fixture files: debugfs stats (every kernel) and
 * wb_stats (6.10 and later), tracefs format files of two kernels and of
 * the __string() layout of the bdi name, and
 * ring-buffer pages built here; then malformed input of each kind, which
 * must give a clear error and never a crash or a read out of bounds
 * (these tests also run under ASan/UBSan).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e4/wb.h"

#define KB 1024ULL

/* Fixtures live in tests/wb/fixtures; tests/run runs us from the top. */
static char *fixture(const char *name)
{
	char path[512], *buf;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "tests/wb/fixtures/%s", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read fixture %s (run from the top of the tree)", path);
	buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_wb_stats_612(void **state)
{
	struct e4_err err = { 0 };
	struct e4_wb_ctx *c = NULL;
	size_t n = 0;
	char *text = fixture("wb_stats-6.12");

	(void)state;
	assert_int_equal(e4_wb_parse_wb_stats(text, "wb_stats", &c, &n, &err), 0);
	assert_int_equal(n, 4);
	/* root first, as the kernel lists its bdi's wb_list */
	assert_int_equal(c[0].cg_ino, 1);
	assert_true(c[0].has_wb);
	/* /a dirtied 16 MiB (some written already), /b 32 MiB, the removed
	 * /c 8 MiB: a 6.12 guest's file */
	assert_int_equal(c[1].cg_ino, 28);
	assert_int_equal(c[1].reclaimable, 15168 * KB);
	assert_int_equal(c[1].dirtied, 16384 * KB);
	assert_int_equal(c[1].written, 1216 * KB);
	assert_int_equal(c[1].thresh, 368284 * KB);
	assert_int_equal(c[1].b_dirty, 1);
	assert_int_equal(c[2].cg_ino, 69);
	assert_int_equal(c[2].reclaimable, 32704 * KB);
	assert_int_equal(c[3].cg_ino, 110);
	assert_int_equal(c[3].reclaimable, 8192 * KB);
	/* state is printed in hex */
	assert_int_equal(c[0].state, 0x1);
	assert_int_equal(c[1].state, 0x5);
	assert_int_equal(c[0].bandwidth, 102400 * KB);
	free(c);
	free(text);
}

static void test_stats_61(void **state)
{
	struct e4_err err = { 0 };
	struct e4_wb_ctx root;
	uint64_t th, bg;
	char *text = fixture("stats-6.1");

	(void)state;
	assert_int_equal(e4_wb_parse_stats(text, "stats", &root, &th, &bg, &err), 0);
	assert_true(root.has_wb);
	/* stats does not name a cgroup */
	assert_int_equal(root.cg_ino, 0);
	/* an idle 6.1 bdi: every figure as the file has it, in bytes */
	assert_int_equal(root.reclaimable, 0);
	assert_int_equal(root.writeback, 0);
	assert_int_equal(root.thresh, 0);
	assert_int_equal(root.dirtied, 0);
	assert_int_equal(root.written, 0);
	assert_int_equal(th, 376256 * KB);
	assert_int_equal(bg, 187896 * KB);
	assert_int_equal(root.bandwidth, 102400 * KB);
	assert_int_equal(root.b_dirty + root.b_io + root.b_more_io + root.b_dirty_time, 0);
	assert_int_equal(root.state, 0x1);
	free(text);
}

/* The same layout with every figure different, so each is told apart. */
static void test_stats_61_dirty(void **state)
{
	struct e4_err err = { 0 };
	struct e4_wb_ctx root;
	uint64_t th, bg;
	char *text = fixture("stats-6.1-dirty");

	(void)state;
	assert_int_equal(e4_wb_parse_stats(text, "stats", &root, &th, &bg, &err), 0);
	assert_int_equal(root.writeback, 1536 * KB);
	assert_int_equal(root.reclaimable, 48128 * KB);
	assert_int_equal(root.thresh, 91244 * KB);
	assert_int_equal(th, 376256 * KB);
	assert_int_equal(bg, 187896 * KB);
	assert_int_equal(root.dirtied, 65536 * KB);
	assert_int_equal(root.written, 15872 * KB);
	assert_int_equal(root.bandwidth, 87040 * KB);
	assert_int_equal(root.b_dirty, 3);
	assert_int_equal(root.b_io, 1);
	assert_int_equal(root.b_more_io, 2);
	assert_int_equal(root.b_dirty_time, 5);
	assert_int_equal(root.state, 0x7);
	free(text);
}

static void test_stats_612(void **state)
{
	struct e4_err err = { 0 };
	struct e4_wb_ctx root;
	uint64_t th, bg;
	char *text = fixture("stats-6.12");

	(void)state;
	assert_int_equal(e4_wb_parse_stats(text, "stats", &root, &th, &bg, &err), 0);
	/* from 6.10 stats sums every context */
	assert_int_equal(root.reclaimable, (15168 + 32704 + 8192) * KB);
	assert_int_equal(th, 376464 * KB);
	assert_int_equal(bg, 188000 * KB);
	free(text);
}

/* A malformed fixture: the error code and the words of the message. */
static void expect_wb_error(const char *file, int code, const char *words)
{
	struct e4_err err = { 0 };
	struct e4_wb_ctx *c = (void *)0x1;
	size_t n = 12345;
	char *text = fixture(file);
	int ret = e4_wb_parse_wb_stats(text, file, &c, &n, &err);

	if (ret != code || !strstr(err.msg, words))
		fail_msg("%s: got %d '%s', wanted %d with '%s'", file, ret, err.msg,
			 code, words);
	/* outputs untouched on failure */
	assert_ptr_equal(c, (void *)0x1);
	assert_int_equal(n, 12345);
	free(text);
}

static void test_wb_stats_truncated(void **state)
{
	(void)state;
	expect_wb_error("malformed/wb_stats-truncated", -EBADMSG,
			"block 2 (WbCgIno 28) is truncated: no 'b_io' line");
}

static void test_wb_stats_unknown_field(void **state)
{
	(void)state;
	expect_wb_error("malformed/wb_stats-unknown-field", -EBADMSG,
			"line 9: unknown field 'WbFrobnicated'");
}

static void test_wb_stats_huge(void **state)
{
	(void)state;
	/* more than 64 bits */
	expect_wb_error("malformed/wb_stats-huge", -ERANGE,
			"line 5: WbDirtied value '184467440737095516160' does not fit 64 bits");
	/* fits 64 bits in kB but not in bytes */
	expect_wb_error("malformed/wb_stats-huge-kb", -ERANGE,
			"WbReclaimable value 18014398509481984 kB does not fit 64 bits in bytes");
}

static void test_wb_stats_garbage(void **state)
{
	(void)state;
	expect_wb_error("malformed/wb_stats-not-number", -EBADMSG,
			"line 3: WbReclaimable value '12x4' is not a number");
	expect_wb_error("malformed/wb_stats-unit", -EBADMSG,
			"line 2: WbWriteback: expected unit 'kB', found 'MB'");
	expect_wb_error("malformed/wb_stats-repeated", -EBADMSG,
			"line 3: field 'WbWriteback' repeated");
	expect_wb_error("malformed/wb_stats-no-cgino", -EBADMSG,
			"line 1: a block must start with WbCgIno");
}

/* The root context is always there: an empty or blank file is an error. */
static void test_wb_stats_empty(void **state)
{
	(void)state;
	expect_wb_error("malformed/wb_stats-empty", -EBADMSG,
			"malformed/wb_stats-empty: no writeback context in it (empty or blank), not even the root's");
	expect_wb_error("malformed/wb_stats-blank", -EBADMSG,
			"malformed/wb_stats-blank: no writeback context in it");
}

static void test_stats_errors(void **state)
{
	struct e4_err err = { 0 };
	struct e4_wb_ctx root;
	uint64_t th, bg;
	char *text = fixture("malformed/stats-truncated");

	(void)state;
	assert_int_equal(e4_wb_parse_stats(text, "stats", &root, &th, &bg, &err), -EBADMSG);
	assert_string_equal(err.msg, "stats: truncated: no 'b_more_io' line");
	free(text);
	/* wb_stats is not a stats file */
	text = fixture("wb_stats-6.12");
	assert_int_equal(e4_wb_parse_stats(text, "stats", &root, &th, &bg, &err), -EBADMSG);
	assert_string_equal(err.msg, "stats line 1: unknown field 'WbCgIno'");
	free(text);
}

/* Neither parser may read past the text, whatever its bytes. */
static void test_every_prefix(void **state)
{
	char *text = fixture("wb_stats-6.12");
	size_t len = strlen(text), i;

	(void)state;
	for (i = 0; i <= len; i++) {
		char *cut = strndup(text, i);
		struct e4_wb_ctx *c = NULL, root;
		uint64_t th, bg;
		size_t n;

		assert_non_null(cut);
		if (!e4_wb_parse_wb_stats(cut, "cut", &c, &n, NULL))
			free(c);
		e4_wb_parse_stats(cut, "cut", &root, &th, &bg, NULL);
		free(cut);
	}
	free(text);
}

/* ---------------------------------------------------------------- trace */

static void load_format(const char *file, struct e4_trace_format *f)
{
	struct e4_err err = { 0 };
	char *text = fixture(file);

	if (e4_trace_parse_format(text, f, &err))
		fail_msg("%s: %s", file, err.msg);
	free(text);
}

static const struct e4_trace_field *field(const struct e4_trace_format *f,
					  const char *name)
{
	size_t i;

	for (i = 0; i < f->nfields; i++)
		if (!strcmp(f->field[i].name, name))
			return &f->field[i];
	fail_msg("no field %s in %s", name, f->name);
	return NULL;
}

static void test_formats(void **state)
{
	static const char *const kernels[] = { "trace-6.1", "trace-6.18" };
	struct e4_trace_format f;
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/inode_switch_wbs.format", kernels[k]);
		load_format(p, &f);
		assert_string_equal(f.name, "inode_switch_wbs");
		assert_int_equal(f.nfields, 4);	/* common_* left out */
		/* the names, in order, as the kernel spells them */
		assert_string_equal(f.field[0].name, "name");
		assert_string_equal(f.field[1].name, "ino");
		assert_string_equal(f.field[2].name, "old_cgroup_ino");
		assert_string_equal(f.field[3].name, "new_cgroup_ino");
		assert_int_equal(field(&f, "name")->kind, E4_TF_CHARS);
		assert_int_equal(field(&f, "name")->size, 32);
		assert_int_equal(field(&f, "name")->offset, 8);
		assert_int_equal(field(&f, "old_cgroup_ino")->kind, E4_TF_INT);
		assert_int_equal(field(&f, "old_cgroup_ino")->size, 8);
		assert_int_equal(field(&f, "old_cgroup_ino")->offset, 48);
		snprintf(p, sizeof(p), "%s/track_foreign_dirty.format", kernels[k]);
		load_format(p, &f);
		assert_int_equal(field(&f, "memcg_id")->size, 4);
		assert_false(field(&f, "memcg_id")->is_signed);
	}
	/* The IDs differ between kernels: that is why they are read. */
	load_format("trace-6.1/inode_switch_wbs.format", &f);
	k = f.id;
	load_format("trace-6.18/inode_switch_wbs.format", &f);
	assert_int_not_equal(k, f.id);
}

/*
 * The bdi name as a __string(): "__data_loc char[] name", a 32-bit
 * offset/length word in place of the 32-byte array, and so every later
 * field at another offset.  The name is the identifier after the type's
 * brackets, not the "char" before them.
 */
static void test_format_data_loc(void **state)
{
	struct e4_trace_format f, old;
	struct e4_wb_event ev;
	unsigned char rec[64] = { 0 };
	uint16_t id;
	uint32_t loc;
	uint64_t v;

	(void)state;
	load_format("trace-string/inode_switch_wbs.format", &f);
	load_format("trace-6.18/inode_switch_wbs.format", &old);
	assert_int_equal(f.nfields, 4);
	assert_string_equal(f.field[0].name, "name");
	assert_int_equal(f.field[0].kind, E4_TF_DATA_LOC);
	assert_int_equal(f.field[0].size, 4);
	assert_string_equal(f.field[1].name, "ino");
	assert_string_equal(f.field[2].name, "old_cgroup_ino");
	assert_string_equal(f.field[3].name, "new_cgroup_ino");
	/* types differ between kernels: the same field, elsewhere */
	assert_int_not_equal(field(&f, "name")->size, field(&old, "name")->size);
	assert_int_not_equal(field(&f, "ino")->offset, field(&old, "ino")->offset);
	assert_int_equal(field(&f, "old_cgroup_ino")->offset, 24);
	assert_int_equal(field(&f, "new_cgroup_ino")->offset, 32);

	/* a record as such a kernel writes it: the string after the fields */
	id = (uint16_t)f.id;
	memcpy(rec, &id, 2);
	loc = (4u << 16) | 40;	/* "7:0" and its NUL at 40 */
	memcpy(rec + 8, &loc, 4);
	v = 12;
	memcpy(rec + 16, &v, 8);
	v = 4000000110ULL;
	memcpy(rec + 24, &v, 8);
	v = 1;
	memcpy(rec + 32, &v, 8);
	memcpy(rec + 40, "7:0", 4);
	assert_int_equal(e4_trace_decode(&f, rec, 44, &ev), 0);
	assert_string_equal(ev.name, "inode_switch_wbs");
	assert_int_equal(ev.nfields, 4);
	assert_string_equal(ev.field[0].name, "name");
	assert_true(ev.field[0].is_str);
	assert_string_equal(ev.field[0].str, "7:0");
	assert_string_equal(ev.field[1].name, "ino");
	assert_int_equal(ev.field[1].val, 12);
	assert_string_equal(ev.field[2].name, "old_cgroup_ino");
	assert_int_equal(ev.field[2].val, 4000000110ULL);
	assert_int_equal(ev.field[3].val, 1);
	/* the string must lie inside the record, NUL included */
	assert_int_equal(e4_trace_decode(&f, rec, 43, &ev), -EBADMSG);

	load_format("trace-string/track_foreign_dirty.format", &f);
	assert_string_equal(f.field[0].name, "name");
	assert_int_equal(field(&f, "memcg_id")->offset, 12);
	assert_int_equal(field(&f, "page_cgroup_ino")->offset, 40);
}

static void test_format_errors(void **state)
{
	struct e4_trace_format f;
	struct e4_err err = { 0 };

	(void)state;
	assert_int_equal(e4_trace_parse_format("name: x\nformat:\n", &f, &err), -EBADMSG);
	assert_string_equal(err.msg, "format file has no ID line");
	assert_int_equal(e4_trace_parse_format("name: x\nID: 7\n\tfield:int a;\toffset:zz;\tsize:4;\tsigned:1;\n",
					       &f, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "format of x line 3: cannot parse"));
	assert_int_equal(e4_trace_parse_format("name: x\nID: 99999999\n", &f, &err), -EBADMSG);
}

/* A trace_pipe_raw page as the kernel lays it out (6.x, 64-bit). */
struct page_builder {
	unsigned char page[4096];
	size_t pos;
};

static void put32(struct page_builder *b, uint32_t v)
{
	memcpy(b->page + b->pos, &v, 4);
	b->pos += 4;
}

/* One event: a small one in type_len, a large one with array[0]. */
static void put_event(struct page_builder *b, uint32_t delta, const void *data,
		      size_t len, bool large)
{
	size_t padded = (len + 3) & ~3UL;

	if (large) {
		put32(b, delta << 5);
		put32(b, (uint32_t)len + 4);
	} else {
		put32(b, (delta << 5) | (uint32_t)(padded / 4));
	}
	memcpy(b->page + b->pos, data, len);
	b->pos += padded;
}

static void finish_page(struct page_builder *b, uint64_t ts)
{
	uint64_t commit = b->pos - 16;

	memcpy(b->page, &ts, 8);
	memcpy(b->page + 8, &commit, 8);
}

/* An inode_switch_wbs record for the 6.18 format. */
static size_t switch_record(unsigned char *rec, uint16_t id, const char *bdi,
			    uint64_t ino, uint64_t from, uint64_t to)
{
	memset(rec, 0, 64);
	memcpy(rec, &id, 2);
	strncpy((char *)rec + 8, bdi, 31);
	memcpy(rec + 40, &ino, 8);
	memcpy(rec + 48, &from, 8);
	memcpy(rec + 56, &to, 8);
	return 64;
}

struct seen {
	int n;
	uint64_t ts[8];
	size_t len[8];
	struct e4_wb_event ev[8];
	const struct e4_trace_format *fmt;
};

static void on_rec(void *arg, uint64_t ts, const unsigned char *rec, size_t len)
{
	struct seen *s = arg;

	if (s->n == 8)
		return;
	s->ts[s->n] = ts;
	s->len[s->n] = len;
	assert_int_equal(e4_trace_decode(s->fmt, rec, len, &s->ev[s->n]), 0);
	s->n++;
}

static void load_layout(struct e4_trace_page_layout *lay)
{
	struct e4_err err = { 0 };
	char *text = fixture("trace-6.18/header_page");

	assert_int_equal(e4_trace_parse_header_page(text, lay, &err), 0);
	assert_int_equal(lay->commit_offset, 8);
	assert_int_equal(lay->commit_size, 8);
	assert_int_equal(lay->data_offset, 16);
	free(text);
}

static void test_page(void **state)
{
	struct e4_trace_page_layout lay;
	struct e4_trace_format fmt;
	struct page_builder b = { .pos = 16 };
	struct seen s = { 0 };
	struct e4_err err = { 0 };
	unsigned char rec[64];
	uint32_t ext[2];

	(void)state;
	load_layout(&lay);
	load_format("trace-6.18/inode_switch_wbs.format", &fmt);
	s.fmt = &fmt;

	/* Both data encodings, a time extend, and a discarded event (whose
	 * delta does not count). */
	switch_record(rec, fmt.id, "7:0", 12, 110, 1);
	put_event(&b, 5, rec, sizeof(rec), false);
	ext[0] = (3U << 5) | 30;	/* time extend: delta 3 + (1 << 27) */
	ext[1] = 1;
	memcpy(b.page + b.pos, ext, 8);
	b.pos += 8;
	/* a discarded event: array[0] is its length after the header */
	put32(&b, (1U << 5) | 29);
	put32(&b, 12);
	b.pos += 8;
	switch_record(rec, fmt.id, "7:0", 13, 28, 1);
	put_event(&b, 7, rec, sizeof(rec), true);
	finish_page(&b, 1000);

	assert_int_equal(e4_trace_parse_page(&lay, b.page, sizeof(b.page), on_rec, &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ts[0], 1005);
	assert_int_equal(s.ts[1], 1005 + 3 + (1ULL << 27) + 7);
	assert_int_equal(s.len[1], 64);
	assert_string_equal(s.ev[0].name, "inode_switch_wbs");
	assert_int_equal(s.ev[0].nfields, 4);
	assert_string_equal(s.ev[0].field[0].name, "name");
	assert_string_equal(s.ev[0].field[0].str, "7:0");
	assert_string_equal(s.ev[0].field[2].name, "old_cgroup_ino");
	assert_int_equal(s.ev[0].field[2].val, 110);
	assert_int_equal(s.ev[1].field[1].val, 13);
	assert_int_equal(s.ev[1].field[2].val, 28);
}

static void test_page_malformed(void **state)
{
	struct e4_trace_page_layout lay;
	struct page_builder b = { .pos = 16 };
	struct e4_err err = { 0 };
	unsigned char rec[64] = { 0 };
	uint64_t commit;
	size_t i;

	(void)state;
	load_layout(&lay);
	put_event(&b, 1, rec, sizeof(rec), true);
	finish_page(&b, 0);

	/* commit past the page */
	commit = 5000;
	memcpy(b.page + 8, &commit, 8);
	assert_int_equal(e4_trace_parse_page(&lay, b.page, sizeof(b.page), NULL, NULL, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "past the end of the page"));
	/* an event longer than the committed data */
	commit = 40;
	memcpy(b.page + 8, &commit, 8);
	assert_int_equal(e4_trace_parse_page(&lay, b.page, sizeof(b.page), NULL, NULL, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, "runs past the committed data"));
	/* a page shorter than its header */
	assert_int_equal(e4_trace_parse_page(&lay, b.page, 10, NULL, NULL, &err), -EBADMSG);
	/* every byte value in the first event header: never out of bounds */
	commit = 4096 - 16;
	memcpy(b.page + 8, &commit, 8);
	for (i = 0; i < 256; i++) {
		memset(b.page + 16, (int)i, 4096 - 16);
		e4_trace_parse_page(&lay, b.page, sizeof(b.page), NULL, NULL, NULL);
	}
}

static void test_decode_kinds(void **state)
{
	static const char fmt_text[] =
		"name: t\nID: 5\nformat:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:int delta;\toffset:8;\tsize:4;\tsigned:1;\n"
		"\tfield:__data_loc char[] dev;\toffset:12;\tsize:4;\tsigned:0;\n"
		"\tfield:u8 small;\toffset:16;\tsize:1;\tsigned:0;\n";
	struct e4_trace_format fmt;
	struct e4_wb_event ev;
	unsigned char rec[32] = { 0 };
	int32_t d = -5;
	uint32_t loc = (4u << 16) | 20;

	(void)state;
	assert_int_equal(e4_trace_parse_format(fmt_text, &fmt, NULL), 0);
	assert_string_equal(fmt.field[0].name, "delta");
	assert_string_equal(fmt.field[1].name, "dev");
	assert_int_equal(fmt.field[1].kind, E4_TF_DATA_LOC);
	assert_string_equal(fmt.field[2].name, "small");
	memcpy(rec + 8, &d, 4);
	memcpy(rec + 12, &loc, 4);
	rec[16] = 200;
	memcpy(rec + 20, "8:16", 4);
	assert_int_equal(e4_trace_decode(&fmt, rec, sizeof(rec), &ev), 0);
	assert_int_equal((int64_t)ev.field[0].val, -5);
	assert_true(ev.field[0].is_signed);
	assert_string_equal(ev.field[1].str, "8:16");
	assert_int_equal(ev.field[2].val, 200);
	/* a data_loc pointing past the record, a record cut short */
	loc = (40u << 16) | 20;
	memcpy(rec + 12, &loc, 4);
	assert_int_equal(e4_trace_decode(&fmt, rec, sizeof(rec), &ev), -EBADMSG);
	assert_int_equal(e4_trace_decode(&fmt, rec, 10, &ev), -EBADMSG);
}

/* __rel_loc: the offset counts from the end of the field itself. */
static void test_decode_rel_loc(void **state)
{
	static const char fmt_text[] =
		"name: t\nID: 6\nformat:\n"
		"\tfield:__rel_loc char[] msg;\toffset:8;\tsize:4;\tsigned:0;\n"
		"\tfield:unsigned long long big[2];\toffset:12;\tsize:16;\tsigned:0;\n";
	struct e4_trace_format fmt;
	struct e4_wb_event ev;
	unsigned char rec[48] = { 0 };
	uint32_t loc = (6u << 16) | 20;	/* 12 + 20 = 32 */

	(void)state;
	assert_int_equal(e4_trace_parse_format(fmt_text, &fmt, NULL), 0);
	assert_string_equal(fmt.field[0].name, "msg");
	assert_int_equal(fmt.field[0].kind, E4_TF_REL_LOC);
	/* an array of numbers: named, not decoded */
	assert_string_equal(fmt.field[1].name, "big");
	assert_int_equal(fmt.field[1].kind, E4_TF_OTHER);
	memcpy(rec + 8, &loc, 4);
	memcpy(rec + 32, "hello", 6);
	assert_int_equal(e4_trace_decode(&fmt, rec, sizeof(rec), &ev), 0);
	assert_int_equal(ev.nfields, 1);
	assert_string_equal(ev.field[0].name, "msg");
	assert_string_equal(ev.field[0].str, "hello");
	assert_int_equal(e4_trace_decode(&fmt, rec, 37, &ev), -EBADMSG);
}

/* ------------------------------------------------------------ handle */

/* root + rel, with every missing directory on the way made. */
static void put_file(const char *root, const char *rel, const char *text)
{
	char p[4096], *s;
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * A cgroup tree deeper than the walk descends (64 levels): each read must
 * close every directory it opened, or a long `wb watch` runs out of
 * descriptors one frame at a time.  A minimal sysroot of a loop device.
 */
static void test_read_deep_cgroups_no_fd_leak(void **state)
{
	char root[] = "/tmp/test_wb.XXXXXX", p[4096], *stats, *wbs;
	struct e4_err err = { 0 };
	struct e4_wb_snap *snap;
	struct e4_wb *wb;
	int i, before;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(root));
	put_file(root, "/proc/self/mountinfo",
		 "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		 "25 22 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"
		 "40 22 7:0 / /mnt/data rw,relatime - ext4 /dev/loop0 rw\n");
	put_file(root, "/sys/devices/virtual/block/loop0/dev", "7:0\n");
	put_file(root, "/sys/dev/block/.keep", "");
	snprintf(p, sizeof(p), "%s/sys/dev/block/7:0", root);
	assert_int_equal(symlink("../../devices/virtual/block/loop0", p), 0);
	stats = fixture("stats-6.12");
	wbs = fixture("wb_stats-6.12");
	put_file(root, "/sys/kernel/debug/bdi/7:0/stats", stats);
	put_file(root, "/sys/kernel/debug/bdi/7:0/wb_stats", wbs);
	free(stats);
	free(wbs);
	n = snprintf(p, sizeof(p), "/sys/fs/cgroup");
	for (i = 0; i < 70; i++)
		n += snprintf(p + n, sizeof(p) - n, "/d");
	snprintf(p + n, sizeof(p) - n, "/cgroup.stat");
	put_file(root, p, "nr_dying_descendants 0\n");

	assert_int_equal(e4_wb_open("/mnt/data", root, &wb, &err), 0);
	assert_int_equal(e4_wb_info(wb)->mode, E4_WB_ACTIVE);
	assert_int_equal(e4_wb_read(wb, NULL, &snap, &err), 0);
	e4_wb_snap_free(snap);
	before = count_fds();
	for (i = 0; i < 20; i++) {
		assert_int_equal(e4_wb_read(wb, NULL, &snap, &err), 0);
		e4_wb_snap_free(snap);
	}
	assert_int_equal(count_fds(), before);
	e4_wb_close(wb);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wb_stats_612),
		cmocka_unit_test(test_stats_61),
		cmocka_unit_test(test_stats_61_dirty),
		cmocka_unit_test(test_wb_stats_empty),
		cmocka_unit_test(test_stats_612),
		cmocka_unit_test(test_wb_stats_truncated),
		cmocka_unit_test(test_wb_stats_unknown_field),
		cmocka_unit_test(test_wb_stats_huge),
		cmocka_unit_test(test_wb_stats_garbage),
		cmocka_unit_test(test_stats_errors),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_format_data_loc),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_page_malformed),
		cmocka_unit_test(test_decode_kinds),
		cmocka_unit_test(test_decode_rel_loc),
		cmocka_unit_test(test_read_deep_cgroups_no_fd_leak),
	};

	return cmocka_run_group_tests_name("wb", tests, NULL, NULL);
}
