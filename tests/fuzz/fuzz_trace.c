// SPDX-License-Identifier: GPL-2.0
/*
 * The trace side of `e4ctl wb watch --events`: an event's format file,
 * events/header_page, and a trace_pipe_raw page whose records are decoded
 * with that format.  The input is the format text, a NUL, the header_page
 * text, a NUL, then the page's bytes.  When the header_page text does not
 * parse, the layout of the kernels e4ctl knows is used, so that the page
 * walk is fuzzed whatever the texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e4/wb.h"
#include "fuzz.h"

struct decode {
	const struct e4_trace_format *fmt;
};

static void on_record(void *arg, uint64_t ts, const unsigned char *rec,
		      size_t len)
{
	struct decode *d = arg;
	struct e4_wb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts = ts;
	e4_trace_decode(d->fmt, rec, len, &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct e4_trace_page_layout known = {
		.ts_offset = 0, .ts_size = 8,
		.commit_offset = 8, .commit_size = 8,
		.data_offset = 16,
	};
	struct e4_trace_page_layout lay;
	struct e4_trace_format fmt;
	struct decode d = { &fmt };
	char *part[2], *buf;
	struct e4_err err;
	size_t used;

	buf = fuzz_split(data, size, part, 2);
	used = strlen(part[0]) + 1 + strlen(part[1]) + 1;
	memset(&fmt, 0, sizeof(fmt));
	if (e4_trace_parse_format(part[0], &fmt, &err))
		memset(&fmt, 0, sizeof(fmt));
	if (e4_trace_parse_header_page(part[1], &lay, &err))
		lay = known;
	if (used < size)
		e4_trace_parse_page(&lay, data + used, size - used, on_record,
				    &d, &err);
	free(buf);
	return 0;
}
