// SPDX-License-Identifier: GPL-2.0
/*
 * What `e4ctl delalloc audit` reads from the kernel: the sysfs counters
 * delayed_allocation_blocks and reserved_clusters, the /sys/dev/block
 * link that names the device, and FIEMAP extents, folded into a file's
 * counts and judged.  The input is the two counter texts and the link
 * target, separated by NULs, then extents (struct fiemap_extent, the
 * first byte of the rest choosing block and cluster bits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include "e4/delalloc.h"
#include "e4/sysfs.h"
#include "fuzz.h"

#define DIR_EXT4 "sys/fs/ext4/dm-7/"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_scratch();
	struct e4_da_fold st = E4_DA_FOLD_INIT;
	struct e4_da_report r;
	struct e4_da_file f;
	struct fiemap_extent ext[32];
	char *part[3], *buf, link[4200], name[64];
	unsigned int blkbits, clusterbits, n;
	uint64_t counter = 0, reserved = 0;
	struct e4_err err;
	size_t used;

	buf = fuzz_split(data, size, part, 3);
	used = strlen(part[0]) + strlen(part[1]) + strlen(part[2]) + 3;
	if (fuzz_write(dir, DIR_EXT4 "delayed_allocation_blocks", part[0], strlen(part[0])) ||
	    fuzz_write(dir, DIR_EXT4 "reserved_clusters", part[1], strlen(part[1])))
		abort();
	e4_sysfs_read_u64(dir, "/" DIR_EXT4 "delayed_allocation_blocks", &counter);
	e4_sysfs_read_u64(dir, "/" DIR_EXT4 "reserved_clusters", &reserved);
	/* (a file beside the link, so that its directory exists) */
	fuzz_write(dir, "sys/dev/block/keep", "", 0);
	snprintf(link, sizeof(link), "%s/sys/dev/block/7:0", dir);
	unlink(link);
	if (part[2][0] && strlen(part[2]) < 4000 && !symlink(part[2], link))
		e4_da_sysfs_name(dir, makedev(7, 0), name, sizeof(name), &err);

	if (used < size) {
		blkbits = 9 + data[used] % 8;
		clusterbits = (data[used] >> 3) % 9;
		used++;
		n = (unsigned int)((size - used) / sizeof(ext[0]));
		if (n > 32)
			n = 32;
		memcpy(ext, data + used, n * sizeof(ext[0]));
		e4_da_fold_extents(&st, ext, n, blkbits, clusterbits);
	}

	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	f.path = part[2];
	f.delalloc_blocks = st.delalloc_blocks;
	f.reserved_blocks = st.clusters;
	f.pages_known = reserved & 1;
	f.dirty_pages = reserved >> 1 & 1;
	r.files = &f;
	r.nfiles = 1;
	r.counter = counter;
	r.file_sum = f.reserved_blocks;
	r.files_holding = f.delalloc_blocks != 0;
	r.stable = true;
	r.disk_known = reserved & 4;
	r.quiesce = (enum e4_da_quiesce)(reserved % 3);
	e4_da_judge(&r, &err);
	free(r.findings);
	free(buf);
	return 0;
}
