// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the libFuzzer harnesses (see fuzz.h).  The image lives in one
 * memfd for the whole run: truncated and rewritten for every input, so an
 * input costs no file system traffic.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static struct e4_target target;
static char image_path[64];
static int image_fd = -1;

struct e4_fs *fuzz_image_open(const uint8_t *data, size_t size)
{
	struct e4_fs *fs;
	size_t off = 0;

	if (image_fd < 0) {
		image_fd = memfd_create("e4fuzz-image", MFD_CLOEXEC);
		if (image_fd < 0)
			abort();
		snprintf(image_path, sizeof(image_path), "/proc/self/fd/%d", image_fd);
		target.arg = target.device = target.image = image_path;
		strcpy(target.fstype, "ext4");
	}
	if (ftruncate(image_fd, 0))
		abort();
	while (off < size) {
		ssize_t n = pwrite(image_fd, data + off, size - off, (off_t)off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	target.size = size;
	if (e4_fs_open(&target, 0, &fs, NULL))
		return NULL;
	return fs;
}

char *fuzz_split(const uint8_t *data, size_t size, char **parts, int max)
{
	char *buf = malloc(size + 1);
	size_t pos = 0;
	int i;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i < max; i++) {
		parts[i] = buf + (pos < size ? pos : size);
		if (pos < size)
			pos += strlen(buf + pos) + 1;
	}
	return buf;
}

static char scratch[64];

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

/* At exit; a sanitizer abort leaves the directory behind with the input. */
static void rm_scratch(void)
{
	nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_scratch(void)
{
	if (!scratch[0]) {
		const char *base = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";

		snprintf(scratch, sizeof(scratch), "%s/e4fuzz.XXXXXX", base);
		if (!mkdtemp(scratch))
			abort();
		atexit(rm_scratch);
	}
	return scratch;
}

static void mkdirs(char *path)
{
	char *p;

	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
}

int fuzz_write(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdirs(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (len && write(fd, buf, len) != (ssize_t)len)
		ret = -1;
	close(fd);
	return ret;
}
