// SPDX-License-Identifier: GPL-2.0
/*
 * The single place that reads sysfs and procfs, so that tests can point a
 * --sysroot at fixture files instead of the running kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e4/sysfs.h"

int e4_sysfs_path(const char *sysroot, const char *path, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", sysroot ? sysroot : "", path);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int e4_sysfs_read(const char *sysroot, const char *path, char *buf, size_t len)
{
	char full[4096];
	ssize_t n;
	int fd, ret;

	if (len == 0)
		return -EINVAL;
	ret = e4_sysfs_path(sysroot, path, full, sizeof(full));
	if (ret)
		return ret;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return (int)n;
}

int e4_sysfs_read_u64(const char *sysroot, const char *path, uint64_t *val)
{
	char buf[64], *end;
	unsigned long long v;
	int ret;

	ret = e4_sysfs_read(sysroot, path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*val = v;
	return 0;
}

bool e4_sysfs_exists(const char *sysroot, const char *path)
{
	char full[4096];

	if (e4_sysfs_path(sysroot, path, full, sizeof(full)))
		return false;
	return access(full, F_OK) == 0;
}

int e4_sysfs_link_name(const char *sysroot, const char *path, char *buf,
		       size_t len)
{
	char full[4096], target[4096];
	const char *name;
	ssize_t n;
	int ret;

	ret = e4_sysfs_path(sysroot, path, full, sizeof(full));
	if (ret)
		return ret;
	n = readlink(full, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	name = strrchr(target, '/');
	name = name ? name + 1 : target;
	if (!*name)
		return -EINVAL;
	if (strlen(name) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, name);
	return (int)strlen(name);
}

int e4_sysfs_pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int e4_sysfs_read_all(const char *path, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;
	int fd, ret = 0;

	if (!b)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	for (;;) {
		if (cap - n < 2) {
			/* 64 MiB is far beyond any stats file: stop there. */
			if (cap >= (64u << 20)) {
				ret = -EFBIG;
				goto out_close;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				goto out_close;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out_close;
		}
		if (r == 0)
			break;
		n += r;
	}
	b[n] = '\0';
	close(fd);
	*buf = b;
	if (len)
		*len = n;
	return 0;
out_close:
	close(fd);
out_free:
	free(b);
	return ret;
}
