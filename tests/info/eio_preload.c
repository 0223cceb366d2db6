// SPDX-License-Identifier: GPL-2.0
/*
 * A test fixture, LD_PRELOADed into e4ctl by tests/info/target.bats: every
 * read of the file named by E4_EIO_PATH fails with EIO, as a failing disk
 * would, so that the probe's error path can be seen without one.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_target(int fd)
{
	const char *want = getenv("E4_EIO_PATH");
	char p[64], got[PATH_MAX];
	ssize_t n;

	if (!want)
		return 0;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, got, sizeof(got) - 1);
	if (n < 0)
		return 0;
	got[n] = '\0';
	return !strcmp(got, want);
}

#define WRAP(ret, name, params, args)			\
	ret name params;				\
	ret name params					\
	{						\
		static ret (*real) params;		\
		if (!real)				\
			real = dlsym(RTLD_NEXT, #name);	\
		if (is_target(fd)) {			\
			errno = EIO;			\
			return -1;			\
		}					\
		return real args;			\
	}

WRAP(ssize_t, read, (int fd, void *buf, size_t len), (fd, buf, len))
WRAP(ssize_t, pread, (int fd, void *buf, size_t len, off_t off), (fd, buf, len, off))
WRAP(ssize_t, pread64, (int fd, void *buf, size_t len, off_t off), (fd, buf, len, off))
