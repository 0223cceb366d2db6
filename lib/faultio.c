// SPDX-License-Identifier: GPL-2.0
/*
 * The fault-injecting I/O manager of the crash tests (contract in
 * e4/undo.h, hook in HACKING.md).  It wraps the real manager and counts
 * every write that passes through any of its channels in one sequence,
 * so that a cut can fall between an undo record and the block it saves.
 * Without E4_TEST_FAULT in the environment it is never selected.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e4/undo.h"

enum fault_mode { FAULT_NONE, FAULT_EIO, FAULT_CUT, FAULT_COUNT };

static struct {
	io_manager real;
	enum fault_mode mode;
	unsigned long long at;		/* the write that fails, from 1 */
	unsigned long long seen;
} fault;

static struct struct_io_manager fault_manager;

/* Called before each write: 0 to go on, EIO to fail it; a cut never returns. */
static errcode_t fault_next(void)
{
	if (++fault.seen != fault.at)
		return 0;
	if (fault.mode == FAULT_CUT) {
		kill(getpid(), SIGKILL);
		pause();
	}
	return fault.mode == FAULT_EIO ? EIO : 0;
}

static errcode_t fault_error(io_channel channel, unsigned long long block,
			     int count, const void *data)
{
	size_t size = count < 0 ? (size_t)-count :
		      (size_t)count * channel->block_size;

	if (channel->write_error)
		return channel->write_error(channel, block, count, data, size,
					    -1, EIO);
	return EIO;
}

static io_channel inner(io_channel channel)
{
	return channel->private_data;
}

static errcode_t fault_open(const char *name, int flags, io_channel *out)
{
	io_channel channel, real;
	errcode_t ret;

	ret = fault.real->open(name, flags, &real);
	if (ret)
		return ret;
	channel = calloc(1, sizeof(*channel));
	if (channel)
		channel->name = strdup(name);
	if (!channel || !channel->name) {
		free(channel);
		io_channel_close(real);
		return EXT2_ET_NO_MEMORY;
	}
	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = &fault_manager;
	channel->block_size = real->block_size;
	channel->refcount = 1;
	channel->flags = real->flags;
	channel->align = real->align;
	channel->private_data = real;
	*out = channel;
	return 0;
}

static errcode_t fault_close(io_channel channel)
{
	errcode_t ret;

	if (--channel->refcount > 0)
		return 0;
	ret = io_channel_close(inner(channel));
	free(channel->name);
	free(channel);
	return ret;
}

static errcode_t fault_set_blksize(io_channel channel, int blksize)
{
	errcode_t ret = io_channel_set_blksize(inner(channel), blksize);

	if (!ret)
		channel->block_size = blksize;
	return ret;
}

static errcode_t fault_read_blk64(io_channel channel, unsigned long long block,
				  int count, void *data)
{
	return io_channel_read_blk64(inner(channel), block, count, data);
}

static errcode_t fault_read_blk(io_channel channel, unsigned long block,
				int count, void *data)
{
	return fault_read_blk64(channel, block, count, data);
}

static errcode_t fault_write_blk64(io_channel channel, unsigned long long block,
				   int count, const void *data)
{
	if (fault_next())
		return fault_error(channel, block, count, data);
	return io_channel_write_blk64(inner(channel), block, count, data);
}

static errcode_t fault_write_blk(io_channel channel, unsigned long block,
				 int count, const void *data)
{
	return fault_write_blk64(channel, block, count, data);
}

static errcode_t fault_write_byte(io_channel channel, unsigned long offset,
				  int count, const void *data)
{
	io_channel r = inner(channel);

	if (!r->manager->write_byte)
		return EXT2_ET_UNIMPLEMENTED;
	if (fault_next()) {
		if (channel->write_error)
			return channel->write_error(channel,
					offset / channel->block_size, -count,
					data, count, -1, EIO);
		return EIO;
	}
	return r->manager->write_byte(r, offset, count, data);
}

static errcode_t fault_flush(io_channel channel)
{
	return io_channel_flush(inner(channel));
}

static errcode_t fault_set_option(io_channel channel, const char *option,
				  const char *arg)
{
	io_channel r = inner(channel);

	if (!r->manager->set_option)
		return EXT2_ET_INVALID_ARGUMENT;
	return r->manager->set_option(r, option, arg);
}

static errcode_t fault_get_stats(io_channel channel, io_stats *stats)
{
	io_channel r = inner(channel);

	if (!r->manager->get_stats)
		return EXT2_ET_UNIMPLEMENTED;
	return r->manager->get_stats(r, stats);
}

static errcode_t fault_zeroout(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	io_channel r = inner(channel);

	if (!r->manager->zeroout)
		return EXT2_ET_UNIMPLEMENTED;
	if (fault_next())
		return EIO;
	return r->manager->zeroout(r, block, count);
}

static errcode_t fault_discard(io_channel channel, unsigned long long block,
			       unsigned long long count)
{
	io_channel r = inner(channel);

	if (!r->manager->discard)
		return EXT2_ET_UNIMPLEMENTED;
	if (fault_next())
		return EIO;
	return r->manager->discard(r, block, count);
}

static struct struct_io_manager fault_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "e4ctl test fault I/O manager",
	.open = fault_open,
	.close = fault_close,
	.set_blksize = fault_set_blksize,
	.read_blk = fault_read_blk,
	.write_blk = fault_write_blk,
	.flush = fault_flush,
	.write_byte = fault_write_byte,
	.set_option = fault_set_option,
	.get_stats = fault_get_stats,
	.read_blk64 = fault_read_blk64,
	.write_blk64 = fault_write_blk64,
	.discard = fault_discard,
	.zeroout = fault_zeroout,
};

static void fault_report(void)
{
	fprintf(stderr, "E4_TEST_FAULT: %llu writes\n", fault.seen);
}

static enum fault_mode parse(const char *spec, unsigned long long *at)
{
	char *end;

	if (!strcmp(spec, "count"))
		return FAULT_COUNT;
	*at = strtoull(strchr(spec, ':') ? strchr(spec, ':') + 1 : "", &end, 10);
	if (*end || !*at)
		return FAULT_NONE;
	if (!strncmp(spec, "eio:", 4))
		return FAULT_EIO;
	if (!strncmp(spec, "cut:", 4))
		return FAULT_CUT;
	return FAULT_NONE;
}

io_manager e4_faultio_select(io_manager real)
{
	const char *spec;

	if (fault.real)
		return &fault_manager;
	spec = getenv("E4_TEST_FAULT");
	if (!real || !spec || !*spec)
		return real;
	fault.mode = parse(spec, &fault.at);
	if (fault.mode == FAULT_NONE)
		return real;
	if (fault.mode == FAULT_COUNT)
		atexit(fault_report);
	fault.real = real;
	return &fault_manager;
}
