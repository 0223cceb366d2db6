// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup files of `e4ctl wb show`: /proc/cgroups and /proc/self/cgroup
 * (is writeback per cgroup at all?), then a cgroup's memory.stat, io.stat
 * and cgroup.stat, /proc/meminfo and the disk's stat line (the root row's
 * figures).  The input is those seven texts, separated by NULs; they are
 * written to a scratch sysroot whose mountinfo puts cgroup2 on
 * /sys/fs/cgroup, and read by the library's own functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wb_int.h"
#include "fuzz.h"

static const char mountinfo[] =
	"30 1 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw\n";

static const char *const files[] = {
	"proc/cgroups", "proc/self/cgroup",
	"sys/fs/cgroup/memory.stat", "sys/fs/cgroup/io.stat",
	"sys/fs/cgroup/cgroup.stat", "proc/meminfo",
	"sys/dev/block/7:0/stat",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char root[] = "/";
	const char *dir = fuzz_scratch();
	struct e4_wb_ctx ctx;
	char *part[NFILES], *buf;
	struct e4_wb *wb;
	size_t i;

	wb = calloc(1, sizeof(*wb));
	if (!wb)
		abort();
	wb->sysroot = (char *)dir;
	strcpy(wb->info.bdi, "7:0");
	wb->info.has_wb_stats = true;
	if (fuzz_write(dir, "proc/self/mountinfo", mountinfo, sizeof(mountinfo) - 1))
		abort();
	buf = fuzz_split(data, size, part, NFILES);
	for (i = 0; i < NFILES; i++)
		if (fuzz_write(dir, files[i], part[i], strlen(part[i])))
			abort();
	wb_detect_mode(wb, data[0] & 1);
	memset(&ctx, 0, sizeof(ctx));
	ctx.path = root;
	wb_join_cgroup(wb, &ctx);
	free(buf);
	free(wb);
	return 0;
}
