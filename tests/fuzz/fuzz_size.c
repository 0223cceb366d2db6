// SPDX-License-Identifier: GPL-2.0
/*
 * SIZE of `e4ctl resize`: the argument text after 8 bytes that choose the
 * block size (a power of two, 1 KiB to 64 KiB, or a bad one) and the
 * current and device sizes.
 */
#include <stdlib.h>
#include <string.h>

#include "e4/resize.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t blocks, cur, dev;
	uint32_t bs;
	struct e4_err err;
	char *arg;

	if (size < 8)
		return 0;
	bs = data[0] < 0xf0 ? 1024U << (data[0] % 7) : data[0];
	cur = (uint64_t)data[1] << (data[2] % 48) | data[3];
	dev = (uint64_t)data[4] << (data[5] % 56) | data[6];
	arg = strndup((const char *)data + 8, size - 8);
	if (!arg)
		abort();
	if (!e4_size_parse(data[7] & 1 ? arg : NULL, bs, cur, dev, &blocks, &err) &&
	    (!blocks || blocks > UINT64_MAX / bs))
		abort();	/* never zero, always a size in bytes */
	free(arg);
	return 0;
}
