// SPDX-License-Identifier: GPL-2.0
/*
 * The superblock, the group descriptor table (loaded, then re-read as a
 * refresh does) and the resize plans, from an image: what `e4ctl info`,
 * `groups` and `resize -n` read before anything else.
 */
#include <stdlib.h>

#include "e4/gate.h"
#include "e4/gdt.h"
#include "e4/resize.h"
#include "fuzz.h"

/* No /sys of this machine: the same result everywhere. */
#define NO_SYSROOT "/nonexistent-sysroot"

/*
 * Facts gathered once, then plans for a grow to twice the size, to one
 * block more, to the largest 32-bit size and a shrink to half, each with
 * and without the safety gates, so every branch of the geometry sees the
 * fuzzed counts.
 */
static void plans(struct e4_fs *fs, uint64_t blocks)
{
	const uint64_t sizes[] = { blocks * 2, blocks + 1, UINT32_MAX, blocks / 2 };
	struct e4_resize_request req = { 0 };
	struct e4_resize_facts f;
	struct e4_resize_plan p;
	struct e4_err err;
	unsigned int i;

	if (e4_resize_facts_gather(fs, NO_SYSROOT, &f, &err))
		return;
	for (i = 0; i < 2 * sizeof(sizes) / sizeof(sizes[0]); i++) {
		req.blocks = sizes[i / 2];
		req.force = i & 1;
		e4_resize_plan(&f, &req, &p);
	}
	e4_resize_facts_release(&f);
}

/* The safety gates, and the words of each refusal. */
static void gates(struct e4_fs *fs)
{
	struct e4_gate_result res;
	struct e4_err err;
	char buf[512];
	size_t i;

	if (e4_gate_run(fs, &res, &err))
		return;
	for (i = 0; i < res.n; i++)
		e4_gate_refusal(&res.findings[i], "image", buf, sizeof(buf));
	e4_gate_check(&res, "image", false, &err);
	e4_gate_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct e4_gdt_table *t;
	struct e4_info info;
	struct e4_err err;
	struct e4_fs *fs;
	ext2_filsys e2;
	uint64_t blocks;

	fs = fuzz_image_open(data, size);
	if (!fs)
		return 0;
	e2 = e4_fs_ext2(fs);
	blocks = ext2fs_blocks_count(e2->super);
	e4_fs_info(fs, NO_SYSROOT, &info, &err);
	gates(fs);
	if (!e4_gdt_open(fs, &t, &err)) {
		const struct e4_gdt *g;

		/* the re-read from the device that online resize makes */
		e4_gdt_refresh(t, &err);
		e4_gdt_read_lock();
		g = e4_gdt_current(t);
		if (g && e4_gdt_content_sum(g) != g->checksum)
			abort();
		e4_gdt_read_unlock();
		e4_gdt_close(t);
	}
	plans(fs, blocks);
	e4_fs_close(fs);
	return 0;
}
