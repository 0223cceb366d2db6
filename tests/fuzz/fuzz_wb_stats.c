// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs files of `e4ctl wb show`: a bdi's wb_stats (one block per
 * writeback context) and its stats (the root context and the global
 * thresholds).  The input is both: wb_stats text, a NUL, stats text.
 */
#include <stdlib.h>

#include "e4/wb.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e4_wb_ctx *ctx = NULL, root = { 0 };
	uint64_t dirty, background;
	struct e4_err err;
	char *part[2], *buf;
	size_t n = 0;

	buf = fuzz_split(data, size, part, 2);
	if (!e4_wb_parse_wb_stats(part[0], "wb_stats", &ctx, &n, &err))
		free(ctx);
	e4_wb_parse_stats(part[1], "stats", &root, &dirty, &background, &err);
	free(buf);
	return 0;
}
