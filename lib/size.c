// SPDX-License-Identifier: GPL-2.0
/*
 * The SIZE argument of resize, as resize2fs reads it.  libe2p's
 * parse_num_blocks2 does the unit arithmetic but accepts hex, octal,
 * negative numbers and silent overflow, so the text is checked here first
 * and only a clean "digits + one-letter unit" reaches it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <e2p/e2p.h>

#include "e4/resize.h"

struct unit {
	const char *name;
	char e2p;		/* the letter parse_num_blocks2 knows */
	unsigned int shift;	/* log2 of the unit in bytes */
};

static const struct unit units[] = {
	{ "K", 'K', 10 }, { "KiB", 'K', 10 },
	{ "M", 'M', 20 }, { "MiB", 'M', 20 },
	{ "G", 'G', 30 }, { "GiB", 'G', 30 },
	{ "T", 'T', 40 }, { "TiB", 'T', 40 },
	{ "s", 's', 9 },
};

static int refuse(struct e4_err *err, int code, const char *arg,
		  const char *why)
{
	return e4_err_set(err, code, "invalid size '%s': %s", arg, why);
}

/* Case-insensitive for K/M/G/T as resize2fs; "s" stays lower case. */
static const struct unit *find_unit(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].e2p == 's' ? !strcmp(s, "s") :
					  !strcasecmp(s, units[i].name))
			return &units[i];
	}
	return NULL;
}

int e4_size_parse(const char *arg, uint32_t block_size, uint64_t cur_blocks,
		  uint64_t device_bytes, uint64_t *blocks, struct e4_err *err)
{
	const char *num = arg, *p;
	const struct unit *u = NULL;
	uint64_t val, bytes;
	bool relative = false;
	char clean[32];
	size_t ndig;

	if (!block_size || (block_size & (block_size - 1)))
		return e4_err_set(err, -EINVAL, "block size %u is not a power of two",
				  block_size);
	if (!arg || !strcmp(arg, "max")) {
		if (device_bytes / block_size == 0)
			return e4_err_set(err, -EINVAL,
					  "the device size is unknown or smaller than one block");
		*blocks = device_bytes / block_size;
		return 0;
	}
	if (*num == '+') {
		relative = true;
		num++;
	}
	if (*num == '-')
		return refuse(err, -EINVAL, arg, "negative sizes make no sense; give the new size, or +SIZE to grow by SIZE");
	if (*num < '0' || *num > '9')
		return refuse(err, -EINVAL, arg, "expected a number, optionally followed by K, M, G, T, KiB, MiB, GiB, TiB or s, or 'max'");
	/* Leading zeros would make parse_num_blocks2 (strtoull base 0) read
	 * octal; a number is decimal here. */
	while (num[0] == '0' && num[1] >= '0' && num[1] <= '9')
		num++;
	for (p = num; *p >= '0' && *p <= '9'; p++)
		;
	ndig = p - num;
	if (*p) {
		u = find_unit(p);
		if (!u)
			return refuse(err, -EINVAL, arg, "unknown unit; use K, M, G, T (or KiB, MiB, GiB, TiB), s for 512-byte sectors, or no unit for filesystem blocks");
	}
	if (ndig > 20)
		return refuse(err, -ERANGE, arg, "the number is too large");
	/* Overflow check on our own: libe2p would wrap silently. */
	val = 0;
	for (p = num; p < num + ndig; p++) {
		if (val > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return refuse(err, -ERANGE, arg, "the number is too large");
		val = val * 10 + (*p - '0');
	}
	if (val == 0)
		return refuse(err, -EINVAL, arg, relative ?
			      "growing by nothing is not a resize" :
			      "a filesystem cannot have zero size");
	if (u && val > (UINT64_MAX >> u->shift))
		return refuse(err, -ERANGE, arg, "the size does not fit in 64 bits of bytes");
	if (!u && val > UINT64_MAX / block_size)
		return refuse(err, -ERANGE, arg, "the size does not fit in 64 bits of bytes");

	snprintf(clean, sizeof(clean), "%.*s%c", (int)ndig, num, u ? u->e2p : '\0');
	/* log_block_size -1: K/M/G/T/s give bytes, a bare number stays. */
	bytes = parse_num_blocks2(clean, -1);
	if (!u)
		val = bytes;		/* already in blocks */
	else
		val = bytes / block_size;
	if (val == 0)
		return refuse(err, -EINVAL, arg, "smaller than one filesystem block");
	if (relative) {
		if (cur_blocks > UINT64_MAX - val)
			return refuse(err, -ERANGE, arg, "the new size does not fit in 64 bits of bytes");
		val += cur_blocks;
		if (val > UINT64_MAX / block_size)
			return refuse(err, -ERANGE, arg, "the new size does not fit in 64 bits of bytes");
	}
	*blocks = val;
	return 0;
}
