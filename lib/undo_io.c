// SPDX-License-Identifier: GPL-2.0
/*
 * The undo I/O manager (see e4/undo.h for the contract): a write-back
 * cache in front of the filesystem whose flushes save old contents into
 * an e2undo file before anything reaches the filesystem.
 *
 * The file follows e2undo's format: block 0 holds the header, blocks 1
 * and 2 the two superblock slots, then key blocks, each followed by the
 * data of its keys.  Every key block but the last is full, and the last
 * one's data runs to the end of the file, so new data is appended at the
 * end and its key added to the last key block (written again in place:
 * the keys the header already counts keep their bytes).  The header is
 * written last, so a key or data block the header does not count yet is
 * never read.  The header's state says "finished" from the start: the
 * file is complete at every instant, and an unfinished one would make
 * e2undo mark the restored filesystem as needing a check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkmap.h"
#include "e4/undo.h"

#define UNDO_MAGIC "E2UNDO02"
#define UNDO_KEYBLOCK_MAGIC 0xCADECADEU
#define UNDO_STATE_FINISHED 0x1
#define UNDO_MAX_EXTENT 512		/* undo blocks one key may cover */
#define UNDO_SLOT_A 1
#define UNDO_SLOT_B 2
#define UNDO_FIRST_KEYBLOCK 3
#define SB_OFF 1024
#define SB_LEN 1024
#define SB_MAGIC_OFF 56			/* s_magic within the superblock */
#define CACHE_BYTES (4U << 20)

struct undo_header {
	char magic[8];
	__le64 num_keys;
	__le64 super_offset;		/* undo block of the superblock copy */
	__le64 key_offset;		/* undo block of the first key block */
	__le32 block_size;		/* of the undo file */
	__le32 fs_block_size;		/* unit of the keys' fsblk */
	__le32 sb_crc;			/* crc32c of the superblock copy */
	__le32 state;
	__le32 f_compat;
	__le32 f_incompat;
	__le32 f_rocompat;
	__le32 pad32;
	__le64 fs_offset;
	__u8 padding[436];
	__le32 header_crc;		/* crc32c of everything above */
};

struct undo_key {
	__le64 fsblk;
	__le32 blk_crc;
	__le32 size;			/* bytes */
};

struct undo_keyblock {
	__le32 magic;
	__le32 crc;			/* crc32c of the block, this field 0 */
	__le64 reserved;
	struct undo_key keys[];
};

struct undo_priv {
	io_channel dev;			/* the filesystem */
	io_channel log;			/* the undo file */
	unsigned int unit;		/* bytes: the fs block size */
	uint64_t dev_units;		/* whole units at open */
	uint64_t sb_unit;		/* the unit holding the superblock */
	/* The undo file as e2undo sees it. */
	uint64_t nkeys;
	uint64_t kb_pos;		/* undo block of the last key block */
	unsigned int kb_used;		/* keys in it */
	uint64_t end;			/* first free undo block */
	struct undo_keyblock *kb;
	uint64_t slot;			/* the superblock slot in use */
	unsigned char sb_copy[SB_LEN];	/* what it holds (true magic) */
	bool dev_written;
	struct e4_blkmap saved;		/* units whose old contents are kept */
	struct e4_blkmap cache;		/* dirty units */
	size_t cache_max;
	struct struct_io_stats stats;
};

static struct {
	io_manager backing;
	char *path;
} pending;

static unsigned int keys_per_block(const struct undo_priv *p)
{
	return p->unit / sizeof(struct undo_key) - 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static errcode_t write_header(struct undo_priv *p)
{
	struct undo_header *h;
	uint32_t crc;
	errcode_t ret;

	h = calloc(1, p->unit);
	if (!h)
		return EXT2_ET_NO_MEMORY;
	memcpy(h->magic, UNDO_MAGIC, sizeof(h->magic));
	h->num_keys = ext2fs_cpu_to_le64(p->nkeys);
	h->super_offset = ext2fs_cpu_to_le64(p->slot);
	h->key_offset = ext2fs_cpu_to_le64(UNDO_FIRST_KEYBLOCK);
	h->block_size = ext2fs_cpu_to_le32(p->unit);
	h->fs_block_size = ext2fs_cpu_to_le32(p->unit);
	crc = ext2fs_crc32c_le(~0U, p->sb_copy, SB_LEN);
	h->sb_crc = ext2fs_cpu_to_le32(crc);
	h->state = ext2fs_cpu_to_le32(UNDO_STATE_FINISHED);
	crc = ext2fs_crc32c_le(~0U, (unsigned char *)h,
			       offsetof(struct undo_header, header_crc));
	h->header_crc = ext2fs_cpu_to_le32(crc);
	ret = io_channel_write_blk64(p->log, 0, 1, h);
	free(h);
	return ret;
}

/*
 * Put sb (the filesystem's superblock bytes) into the slot not in use and
 * sync; switch_slot then makes it the copy e2undo compares against, with
 * one header write.
 */
static errcode_t write_slot(struct undo_priv *p, const unsigned char *sb)
{
	uint64_t slot = p->slot == UNDO_SLOT_A ? UNDO_SLOT_B : UNDO_SLOT_A;
	unsigned char *buf;
	errcode_t ret;

	buf = calloc(1, p->unit);
	if (!buf)
		return EXT2_ET_NO_MEMORY;
	memcpy(buf, sb, SB_LEN);
	/* e2undo flips the magic back before it compares. */
	buf[SB_MAGIC_OFF] ^= 0xFF;
	buf[SB_MAGIC_OFF + 1] ^= 0xFF;
	ret = io_channel_write_blk64(p->log, slot, 1, buf);
	free(buf);
	if (!ret)
		ret = io_channel_flush(p->log);
	return ret;
}

static errcode_t switch_slot(struct undo_priv *p, const unsigned char *sb)
{
	errcode_t ret;

	p->slot = p->slot == UNDO_SLOT_A ? UNDO_SLOT_B : UNDO_SLOT_A;
	memmove(p->sb_copy, sb, SB_LEN);
	ret = write_header(p);
	if (!ret)
		ret = io_channel_flush(p->log);
	return ret;
}

static errcode_t write_keyblock(struct undo_priv *p)
{
	uint32_t crc;

	p->kb->crc = 0;
	crc = ext2fs_crc32c_le(~0U, (unsigned char *)p->kb, p->unit);
	p->kb->crc = ext2fs_cpu_to_le32(crc);
	return io_channel_write_blk64(p->log, p->kb_pos, 1, p->kb);
}

/*
 * Append the old contents of units [first, first + n) (all unsaved, all
 * present at open) as one key.  The header still counts the old keys.
 */
static errcode_t save_run(struct undo_priv *p, uint64_t first, unsigned int n,
			  void *buf)
{
	struct undo_key *k;
	errcode_t ret;

	if (!p->kb_pos || p->kb_used == keys_per_block(p)) {
		if (p->kb_pos) {
			ret = write_keyblock(p);
			if (ret)
				return ret;
		}
		memset(p->kb, 0, p->unit);
		p->kb->magic = ext2fs_cpu_to_le32(UNDO_KEYBLOCK_MAGIC);
		p->kb_pos = p->end++;
		p->kb_used = 0;
	}
	ret = io_channel_read_blk64(p->dev, first, n, buf);
	if (!ret)
		ret = io_channel_write_blk64(p->log, p->end, n, buf);
	if (ret)
		return ret;
	k = &p->kb->keys[p->kb_used++];
	k->fsblk = ext2fs_cpu_to_le64(first);
	k->size = ext2fs_cpu_to_le32(n * p->unit);
	k->blk_crc = ext2fs_cpu_to_le32(ext2fs_crc32c_le(~0U, buf, n * p->unit));
	p->end += n;
	return 0;
}

/* Make the old contents of every unit in dirty[] durable in the file. */
static errcode_t save_old(struct undo_priv *p, const uint64_t *dirty, size_t n)
{
	uint64_t added = 0;
	size_t i = 0, j;
	void *buf;
	errcode_t ret = 0;

	buf = malloc((size_t)UNDO_MAX_EXTENT * p->unit);
	if (!buf)
		return EXT2_ET_NO_MEMORY;
	while (i < n) {
		if (dirty[i] >= p->dev_units || e4_blkmap_get(&p->saved, dirty[i])) {
			i++;
			continue;
		}
		for (j = i + 1; j < n && j - i < UNDO_MAX_EXTENT &&
		     dirty[j] == dirty[j - 1] + 1 && dirty[j] < p->dev_units &&
		     !e4_blkmap_get(&p->saved, dirty[j]); j++)
			;
		ret = save_run(p, dirty[i], j - i, buf);
		if (ret)
			goto out;
		added++;
		i = j;
	}
	if (!added)
		goto out;
	ret = write_keyblock(p);
	if (!ret)
		ret = io_channel_flush(p->log);
	if (ret)
		goto out;
	p->nkeys += added;
	ret = write_header(p);
	if (!ret)
		ret = io_channel_flush(p->log);
	if (ret)
		goto out;
	for (i = 0; i < n; i++)
		if (dirty[i] < p->dev_units) {
			ret = e4_blkmap_put(&p->saved, dirty[i], p);
			if (ret)
				goto out;
		}
out:
	free(buf);
	return ret;
}

/* Write dirty[] (sorted) to the filesystem, runs in one write each. */
static errcode_t write_units(io_channel channel, struct undo_priv *p,
			     const uint64_t *dirty, size_t n)
{
	size_t i = 0, j, k;
	unsigned char *buf;
	errcode_t ret = 0;

	buf = malloc((size_t)UNDO_MAX_EXTENT * p->unit);
	if (!buf)
		return EXT2_ET_NO_MEMORY;
	while (i < n) {
		for (j = i + 1; j < n && j - i < UNDO_MAX_EXTENT &&
		     dirty[j] == dirty[j - 1] + 1; j++)
			;
		for (k = i; k < j; k++)
			memcpy(buf + (k - i) * p->unit,
			       e4_blkmap_get(&p->cache, dirty[k]), p->unit);
		ret = io_channel_write_blk64(p->dev, dirty[i], j - i, buf);
		if (ret) {
			if (channel->write_error)
				ret = channel->write_error(channel,
					dirty[i] * p->unit / channel->block_size,
					j - i, buf, (j - i) * p->unit, 0, ret);
			break;
		}
		p->dev_written = true;
		i = j;
	}
	free(buf);
	return ret;
}

/*
 * The flush: old contents first (durable), then the blocks, with the
 * superblock ordered as e4/undo.h describes.  On failure the cache is
 * kept, so nothing unsaved is ever written.
 */
static errcode_t commit(io_channel channel, struct undo_priv *p, bool final)
{
	unsigned char *sbu = NULL, *sb = NULL, *keep = NULL;
	uint64_t *dirty;
	size_t i, n = 0, nsb = 0;
	bool sb_first;
	errcode_t ret;

	if (!p->cache.n)
		return 0;
	dirty = malloc(p->cache.n * sizeof(*dirty));
	if (!dirty)
		return EXT2_ET_NO_MEMORY;
	for (i = 0; i < p->cache.cap; i++)
		if (p->cache.keys[i])
			dirty[n++] = p->cache.keys[i] - 1;
	qsort(dirty, n, sizeof(*dirty), cmp_u64);
	ret = save_old(p, dirty, n);
	if (ret)
		goto out;

	sbu = e4_blkmap_get(&p->cache, p->sb_unit);
	if (sbu) {
		sb = sbu + (SB_OFF - p->sb_unit * p->unit);
		if (!memcmp(sb, p->sb_copy, SB_LEN))
			sb = NULL;
	}
	sb_first = sb && !p->dev_written;
	if (sb_first) {
		/* The filesystem is untouched: the copy may go first. */
		ret = write_slot(p, sb);
		if (!ret)
			ret = switch_slot(p, sb);
		if (!ret)
			ret = write_units(channel, p, &p->sb_unit, 1);
		if (!ret)
			ret = io_channel_flush(p->dev);
		if (ret)
			goto out;
	}
	/* Everything but the superblock's unit, then that one. */
	for (i = 0; i < n; i++)
		if (sb && dirty[i] == p->sb_unit)
			nsb = i + 1;
	ret = write_units(channel, p, dirty, nsb ? nsb - 1 : n);
	if (!ret && nsb)
		ret = write_units(channel, p, dirty + nsb, n - nsb);
	if (!ret)
		ret = io_channel_flush(p->dev);
	if (ret || !sb || sb_first)
		goto out;
	/*
	 * A changed superblock waits in the cache for the close (libext2fs
	 * rewrites it there anyway, to count the bytes written): one
	 * superblock write, so one cut point where e2undo refuses, not two.
	 */
	if (!final) {
		keep = malloc(p->unit);
		if (!keep) {
			ret = EXT2_ET_NO_MEMORY;
			goto out;
		}
		memcpy(keep, sbu, p->unit);
		goto out;
	}
	/* The copy waits in the other slot: one write behind the block. */
	ret = write_slot(p, sb);
	if (!ret)
		ret = write_units(channel, p, &p->sb_unit, 1);
	if (!ret)
		ret = io_channel_flush(p->dev);
	if (!ret)
		ret = switch_slot(p, sb);
out:
	if (!ret)
		e4_blkmap_clear(&p->cache, true);
	if (!ret && keep)
		ret = e4_blkmap_put(&p->cache, p->sb_unit, keep);
	else
		free(keep);
	free(dirty);
	return ret;
}

/* The buffer of unit u in the cache, read in first when not there. */
static errcode_t cache_unit(struct undo_priv *p, uint64_t u, bool whole,
			    unsigned char **out)
{
	unsigned char *buf = e4_blkmap_get(&p->cache, u);
	errcode_t ret;

	if (buf) {
		*out = buf;
		return 0;
	}
	if (posix_memalign((void **)&buf, 4096, p->unit))
		return EXT2_ET_NO_MEMORY;
	if (whole || u >= p->dev_units)
		memset(buf, 0, p->unit);
	else {
		ret = io_channel_read_blk64(p->dev, u, 1, buf);
		if (ret) {
			free(buf);
			return ret;
		}
	}
	ret = e4_blkmap_put(&p->cache, u, buf);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

static errcode_t undo_write_bytes(io_channel channel, uint64_t off,
				  size_t len, const unsigned char *data)
{
	struct undo_priv *p = channel->private_data;
	uint64_t u;
	errcode_t ret;

	p->stats.bytes_written += len;
	while (len) {
		size_t in = off % p->unit, n = p->unit - in;
		unsigned char *buf;

		if (n > len)
			n = len;
		u = off / p->unit;
		ret = cache_unit(p, u, n == p->unit, &buf);
		if (ret)
			return ret;
		memcpy(buf + in, data, n);
		off += n;
		data += n;
		len -= n;
	}
	if (p->cache.n >= p->cache_max)
		return commit(channel, p, false);
	return 0;
}

static errcode_t undo_read_bytes(io_channel channel, uint64_t off,
				 size_t len, unsigned char *data)
{
	struct undo_priv *p = channel->private_data;
	uint64_t u0 = off / p->unit, u1 = (off + len + p->unit - 1) / p->unit;
	unsigned char *buf = data, *c;
	uint64_t u;
	errcode_t ret;

	p->stats.bytes_read += len;
	if (off % p->unit || len % p->unit) {
		buf = malloc((u1 - u0) * p->unit);
		if (!buf)
			return EXT2_ET_NO_MEMORY;
	}
	ret = io_channel_read_blk64(p->dev, u0, u1 - u0, buf);
	if (ret && ret != EXT2_ET_SHORT_READ)
		goto out;
	for (u = u0; u < u1; u++) {
		c = e4_blkmap_get(&p->cache, u);
		if (c)
			memcpy(buf + (u - u0) * p->unit, c, p->unit);
	}
	if (buf != data)
		memcpy(data, buf + off % p->unit, len);
out:
	if (buf != data)
		free(buf);
	return ret;
}

static void channel_span(io_channel channel, unsigned long long block,
			 int count, uint64_t *off, size_t *len)
{
	*off = block * (uint64_t)channel->block_size;
	*len = count < 0 ? (size_t)-count : (size_t)count * channel->block_size;
}

static errcode_t undo_read_blk64(io_channel channel, unsigned long long block,
				 int count, void *data)
{
	uint64_t off;
	size_t len;

	channel_span(channel, block, count, &off, &len);
	return undo_read_bytes(channel, off, len, data);
}

static errcode_t undo_read_blk(io_channel channel, unsigned long block,
			       int count, void *data)
{
	return undo_read_blk64(channel, block, count, data);
}

static errcode_t undo_write_blk64(io_channel channel, unsigned long long block,
				  int count, const void *data)
{
	uint64_t off;
	size_t len;

	channel_span(channel, block, count, &off, &len);
	return undo_write_bytes(channel, off, len, data);
}

static errcode_t undo_write_blk(io_channel channel, unsigned long block,
				int count, const void *data)
{
	return undo_write_blk64(channel, block, count, data);
}

static errcode_t undo_flush(io_channel channel)
{
	return commit(channel, channel->private_data, false);
}

static errcode_t undo_set_blksize(io_channel channel, int blksize)
{
	channel->block_size = blksize;
	return 0;
}

static errcode_t undo_set_option(io_channel channel, const char *option,
				 const char *arg)
{
	struct undo_priv *p = channel->private_data;

	if (!p->dev->manager->set_option)
		return EXT2_ET_INVALID_ARGUMENT;
	return p->dev->manager->set_option(p->dev, option, arg);
}

static errcode_t undo_get_stats(io_channel channel, io_stats *stats)
{
	struct undo_priv *p = channel->private_data;

	*stats = &p->stats;
	return 0;
}

static void priv_free(struct undo_priv *p)
{
	if (p->dev)
		io_channel_close(p->dev);
	if (p->log)
		io_channel_close(p->log);
	e4_blkmap_free(&p->cache, true);
	e4_blkmap_free(&p->saved, false);
	free(p->kb);
	free(p);
}

static errcode_t undo_close(io_channel channel)
{
	struct undo_priv *p = channel->private_data;
	errcode_t ret;

	if (--channel->refcount > 0)
		return 0;
	ret = commit(channel, p, true);
	priv_free(p);
	free(channel->name);
	free(channel);
	return ret;
}

/* The unit: the filesystem's block size, from its superblock. */
static errcode_t read_geometry(struct undo_priv *p, const char *name)
{
	struct ext2_super_block *sb = (struct ext2_super_block *)p->sb_copy;
	unsigned long long size;
	errcode_t ret;

	ret = io_channel_set_blksize(p->dev, SB_OFF);
	if (!ret)
		ret = io_channel_read_blk64(p->dev, 1, -SB_LEN, p->sb_copy);
	if (ret)
		return ret;
	p->unit = 1024;
	if (ext2fs_le16_to_cpu(sb->s_magic) == EXT2_SUPER_MAGIC &&
	    ext2fs_le32_to_cpu(sb->s_log_block_size) <= 6)
		p->unit = 1024U << ext2fs_le32_to_cpu(sb->s_log_block_size);
	p->sb_unit = SB_OFF / p->unit;
	ret = io_channel_set_blksize(p->dev, p->unit);
	if (!ret)
		ret = ext2fs_get_device_size2(name, p->unit, &size);
	if (ret)
		return ret;
	p->dev_units = size;
	p->cache_max = CACHE_BYTES / p->unit;
	return 0;
}

static errcode_t create_log(struct undo_priv *p, io_manager backing,
			    const char *path)
{
	int fd;
	errcode_t ret;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	ret = backing->open(path, IO_FLAG_RW, &p->log);
	if (ret)
		return ret;
	/* Every write here is ordered by hand; no cache beneath. */
	io_channel_set_options(p->log, "cache=off");
	ret = io_channel_set_blksize(p->log, p->unit);
	if (ret)
		return ret;
	p->kb = calloc(1, p->unit);
	if (!p->kb)
		return EXT2_ET_NO_MEMORY;
	p->end = UNDO_FIRST_KEYBLOCK;
	p->slot = UNDO_SLOT_B;
	/* Slot A gets the superblock as found, then the first header. */
	ret = write_slot(p, p->sb_copy);
	if (!ret)
		ret = switch_slot(p, p->sb_copy);
	return ret;
}

static errcode_t undo_open(const char *name, int flags, io_channel *out)
{
	io_manager backing = pending.backing;
	char *path = pending.path;
	struct undo_priv *p = NULL;
	io_channel channel = NULL;
	errcode_t ret;

	pending.backing = NULL;
	pending.path = NULL;
	if (!backing || !path || !(flags & IO_FLAG_RW)) {
		ret = EXT2_ET_INVALID_ARGUMENT;
		goto out_free;
	}
	channel = calloc(1, sizeof(*channel));
	p = calloc(1, sizeof(*p));
	if (!channel || !p) {
		ret = EXT2_ET_NO_MEMORY;
		goto out_free;
	}
	ret = backing->open(name, flags, &p->dev);
	if (ret)
		goto out_free;
	io_channel_set_options(p->dev, "cache=off");
	ret = read_geometry(p, name);
	if (!ret)
		ret = create_log(p, backing, path);
	if (ret)
		goto out_free;
	channel->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	channel->manager = e4_undo_io_manager;
	channel->name = strdup(name);
	if (!channel->name) {
		ret = EXT2_ET_NO_MEMORY;
		goto out_free;
	}
	channel->block_size = 1024;
	channel->refcount = 1;
	channel->flags = p->dev->flags;
	channel->align = p->dev->align;
	channel->private_data = p;
	p->stats.num_fields = 2;
	free(path);
	*out = channel;
	return 0;
out_free:
	if (p)
		priv_free(p);
	free(channel);
	free(path);
	return ret;
}

static struct struct_io_manager undo_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "e4ctl undo I/O manager",
	.open = undo_open,
	.close = undo_close,
	.set_blksize = undo_set_blksize,
	.read_blk = undo_read_blk,
	.write_blk = undo_write_blk,
	.flush = undo_flush,
	.set_option = undo_set_option,
	.get_stats = undo_get_stats,
	.read_blk64 = undo_read_blk64,
	.write_blk64 = undo_write_blk64,
};

io_manager e4_undo_io_manager = &undo_manager;

bool e4_undo_io_is(io_channel channel)
{
	return channel && channel->manager == e4_undo_io_manager;
}

int e4_undo_io_prepare(io_manager backing, const char *undo_file,
		       struct e4_err *err)
{
	char *path = strdup(undo_file);

	if (!path)
		return e4_err_sys(err, -ENOMEM, "%s", undo_file);
	free(pending.path);
	pending.backing = backing;
	pending.path = path;
	return 0;
}
