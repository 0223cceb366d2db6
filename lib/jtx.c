// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic block writes through the filesystem's jbd2 journal (see
 * e4/jtx.h): a capturing I/O channel, and a writer of one jbd2
 * transaction in the journal's own format (big-endian fields; tags of
 * the 64bit, csum v2 and csum v3 layouts; crc32c checksums seeded by the
 * journal's UUID).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blkmap.h"
#include "e4/jtx.h"

#define JBD2_MAGIC		0xc03b3998U
#define JBD2_DESCRIPTOR_BLOCK	1
#define JBD2_COMMIT_BLOCK	2
#define JBD2_SUPERBLOCK_V2	4
#define JBD2_FLAG_ESCAPE	1
#define JBD2_FLAG_SAME_UUID	2
#define JBD2_FLAG_LAST_TAG	8
#define JBD2_COMPAT_CHECKSUM	0x1
#define JBD2_INCOMPAT_REVOKE	0x1
#define JBD2_INCOMPAT_64BIT	0x2
#define JBD2_INCOMPAT_CSUM_V2	0x8
#define JBD2_INCOMPAT_CSUM_V3	0x10
#define JBD2_INCOMPAT_FAST_COMMIT 0x20
#define JBD2_KNOWN_INCOMPAT	(JBD2_INCOMPAT_REVOKE | JBD2_INCOMPAT_64BIT | \
				 JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3 | \
				 JBD2_INCOMPAT_FAST_COMMIT)
#define JBD2_DEFAULT_FC_BLOCKS	256

/* Byte offsets in the journal superblock, the headers and the ext4 superblock. */
#define JH_MAGIC	0
#define JH_TYPE		4
#define JH_SEQ		8
#define JH_LEN		12
#define JSB_BLOCKSIZE	12
#define JSB_MAXLEN	16
#define JSB_FIRST	20
#define JSB_SEQUENCE	24
#define JSB_START	28
#define JSB_COMPAT	36
#define JSB_INCOMPAT	40
#define JSB_UUID	48
#define JSB_NUM_FC	84
#define JSB_CHECKSUM	252
#define JSB_LEN		1024
#define JC_CHKSUM	16
#define JC_SEC		48
#define JC_NSEC		56
#define SB_STATE	0x3a
#define SB_INCOMPAT	0x60
#define SB_CHECKSUM	0x3fc

struct e4_jtx {
	ext2_filsys fs;
	io_channel inner;		/* fs->io before the capture */
	io_channel chan;		/* the capturing channel, while on */
	struct e4_blkmap blocks;	/* filesystem block -> its new contents */
	unsigned int unit;		/* the filesystem's block size */
	char *tmp;
};

/* The journal as e4ctl writes it. */
struct jnl {
	ext2_ino_t ino;
	unsigned char sb[JSB_LEN];
	blk64_t sb_blk;			/* where its superblock is */
	uint32_t first, usable, seq, incompat, seed;
	size_t tag_size, tags_per_desc;
	bool csum;
};

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* ---- the capturing channel ---- */

static struct struct_io_manager capture_manager;

static struct e4_jtx *jtx_of(io_channel channel)
{
	return channel->private_data;
}

static size_t span(io_channel channel, int count)
{
	return count < 0 ? (size_t)-count : (size_t)count * channel->block_size;
}

/* The captured unit u, made (from the disk) when missing and want is set. */
static errcode_t unit_get(struct e4_jtx *t, blk64_t u, bool make, char **out)
{
	char *b = e4_blkmap_get(&t->blocks, u);
	errcode_t ret;

	if (b || !make) {
		*out = b;
		return 0;
	}
	b = malloc(t->unit);
	if (!b)
		return EXT2_ET_NO_MEMORY;
	ret = io_channel_read_blk64(t->inner, u, 1, b);
	if (!ret)
		ret = e4_blkmap_put(&t->blocks, u, b);
	if (ret) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

static errcode_t capture_read(io_channel channel, unsigned long long block,
			      int count, void *data)
{
	struct e4_jtx *t = jtx_of(channel);
	uint64_t off = block * channel->block_size;
	size_t len = span(channel, count);
	unsigned char *p = data;
	errcode_t ret;

	while (len) {
		blk64_t u = off / t->unit, run;
		size_t o = off % t->unit, n = t->unit - o;
		char *b;

		if (n > len)
			n = len;
		b = e4_blkmap_get(&t->blocks, u);
		if (b) {
			memcpy(p, b + o, n);
		} else if (o || n < t->unit) {
			ret = io_channel_read_blk64(t->inner, u, 1, t->tmp);
			if (ret)
				return ret;
			memcpy(p, t->tmp + o, n);
		} else {
			/* Whole units not captured: one read. */
			for (run = 1; (run + 1) * t->unit <= len &&
			     !e4_blkmap_get(&t->blocks, u + run); run++)
				;
			ret = io_channel_read_blk64(t->inner, u, (int)run, p);
			if (ret)
				return ret;
			n = run * t->unit;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static errcode_t capture_write(io_channel channel, unsigned long long block,
			       int count, const void *data)
{
	struct e4_jtx *t = jtx_of(channel);
	uint64_t off = block * channel->block_size;
	size_t len = span(channel, count);
	const unsigned char *p = data;
	errcode_t ret;

	while (len) {
		blk64_t u = off / t->unit;
		size_t o = off % t->unit, n = t->unit - o;
		char *b;

		if (n > len)
			n = len;
		ret = unit_get(t, u, true, &b);
		if (ret)
			return ret;
		memcpy(b + o, p, n);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static errcode_t capture_read_blk(io_channel channel, unsigned long block,
				  int count, void *data)
{
	return capture_read(channel, block, count, data);
}

static errcode_t capture_write_blk(io_channel channel, unsigned long block,
				   int count, const void *data)
{
	return capture_write(channel, block, count, data);
}

/* Only the units change size for the caller; the real channel keeps its own. */
static errcode_t capture_set_blksize(io_channel channel, int blksize)
{
	channel->block_size = blksize;
	return 0;
}

static errcode_t capture_flush(io_channel channel)
{
	(void)channel;
	return 0;
}

static errcode_t capture_close(io_channel channel)
{
	(void)channel;
	return EXT2_ET_OP_NOT_SUPPORTED;
}

static struct struct_io_manager capture_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "e4ctl journal transaction capture",
	.close = capture_close,
	.set_blksize = capture_set_blksize,
	.read_blk = capture_read_blk,
	.write_blk = capture_write_blk,
	.flush = capture_flush,
	.read_blk64 = capture_read,
	.write_blk64 = capture_write,
};

int e4_jtx_begin(ext2_filsys fs, struct e4_jtx **out, struct e4_err *err)
{
	struct e4_jtx *t = calloc(1, sizeof(*t));
	io_channel c = calloc(1, sizeof(*c));

	if (!t || !c)
		goto nomem;
	t->unit = fs->blocksize;
	t->tmp = malloc(t->unit);
	c->name = strdup(fs->io->name);
	if (!t->tmp || !c->name)
		goto nomem;
	c->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	c->manager = &capture_manager;
	c->block_size = fs->io->block_size;
	c->refcount = 1;
	c->flags = fs->io->flags;
	c->align = fs->io->align;
	c->private_data = t;
	t->fs = fs;
	t->inner = fs->io;
	t->chan = c;
	fs->io = c;
	if (fs->image_io == t->inner)
		fs->image_io = c;
	*out = t;
	return 0;

nomem:
	if (c)
		free(c->name);
	free(c);
	if (t)
		free(t->tmp);
	free(t);
	return e4_err_sys(err, -ENOMEM, "while preparing the journal transaction");
}

size_t e4_jtx_blocks(const struct e4_jtx *t)
{
	return t->blocks.n;
}

static void capture_end(struct e4_jtx *t)
{
	if (!t->chan)
		return;
	if (t->fs->image_io == t->chan)
		t->fs->image_io = t->inner;
	t->fs->io = t->inner;
	free(t->chan->name);
	free(t->chan);
	t->chan = NULL;
}

void e4_jtx_free(struct e4_jtx *t)
{
	if (!t)
		return;
	capture_end(t);
	e4_blkmap_free(&t->blocks, true);
	free(t->tmp);
	free(t);
}

/* ---- the journal ---- */

static errcode_t jnl_block(ext2_filsys fs, const struct jnl *j, blk64_t lblk,
			   blk64_t *pblk)
{
	errcode_t ret = ext2fs_bmap2(fs, j->ino, NULL, NULL, 0, lblk, NULL, pblk);

	if (!ret && !*pblk)
		ret = EXT2_ET_BAD_BLOCK_NUM;
	return ret;
}

static uint32_t crc(uint32_t seed, const void *p, size_t len)
{
	return ext2fs_crc32c_le(seed, p, len);
}

static void jsb_csum(struct jnl *j)
{
	if (!j->csum)
		return;
	put_be32(j->sb + JSB_CHECKSUM, 0);
	put_be32(j->sb + JSB_CHECKSUM, crc(~0U, j->sb, JSB_LEN));
}

/*
 * The internal journal, if e4ctl can write a transaction of n blocks in
 * it; a reason for the in-place fallback otherwise (why set, 0 returned).
 */
static errcode_t jnl_open(ext2_filsys fs, struct jnl *j, size_t n,
			  const char **why)
{
	unsigned int bs = fs->blocksize;
	uint32_t maxlen, fc = 0, compat;
	size_t ndesc;
	char *buf;
	errcode_t ret;

	*why = NULL;
	memset(j, 0, sizeof(*j));
	j->ino = fs->super->s_journal_inum;
	if (!ext2fs_has_feature_journal(fs->super) || !j->ino ||
	    ext2fs_has_feature_journal_dev(fs->super)) {
		*why = "no internal journal";
		return 0;
	}
	ret = ext2fs_get_mem(bs, &buf);
	if (ret)
		return ret;
	ret = jnl_block(fs, j, 0, &j->sb_blk);
	if (!ret)
		ret = io_channel_read_blk64(fs->io, j->sb_blk, 1, buf);
	if (!ret)
		memcpy(j->sb, buf, JSB_LEN);
	ext2fs_free_mem(&buf);
	if (ret)
		return ret;
	if (get_be32(j->sb + JH_MAGIC) != JBD2_MAGIC ||
	    get_be32(j->sb + JH_TYPE) != JBD2_SUPERBLOCK_V2 ||
	    get_be32(j->sb + JSB_BLOCKSIZE) != bs) {
		*why = "a journal format e4ctl does not write";
		return 0;
	}
	compat = get_be32(j->sb + JSB_COMPAT);
	j->incompat = get_be32(j->sb + JSB_INCOMPAT);
	if ((j->incompat & ~JBD2_KNOWN_INCOMPAT) ||
	    ((compat & JBD2_COMPAT_CHECKSUM) &&
	     !(j->incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3)))) {
		*why = "a journal format e4ctl does not write";
		return 0;
	}
	if (get_be32(j->sb + JSB_START)) {
		*why = "the journal needs recovery";
		return 0;
	}
	j->csum = j->incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3);
	if (j->incompat & JBD2_INCOMPAT_CSUM_V3)
		j->tag_size = 16;
	else
		j->tag_size = (j->incompat & JBD2_INCOMPAT_64BIT ? 12 : 8) +
			      (j->csum ? 2 : 0);
	j->tags_per_desc = (bs - JH_LEN - 16 - (j->csum ? 4 : 0)) / j->tag_size;
	j->seed = crc(~0U, j->sb + JSB_UUID, 16);
	j->first = get_be32(j->sb + JSB_FIRST);
	j->seq = get_be32(j->sb + JSB_SEQUENCE);
	maxlen = get_be32(j->sb + JSB_MAXLEN);
	if (j->incompat & JBD2_INCOMPAT_FAST_COMMIT)
		fc = get_be32(j->sb + JSB_NUM_FC) ? get_be32(j->sb + JSB_NUM_FC) :
		     JBD2_DEFAULT_FC_BLOCKS;
	j->usable = maxlen > j->first + fc ? maxlen - j->first - fc : 0;
	ndesc = (n + j->tags_per_desc - 1) / j->tags_per_desc;
	if (!n || ndesc + n + 1 > j->usable) {
		*why = "the journal is too small for the transaction";
		return 0;
	}
	return 0;
}

static errcode_t jnl_write(ext2_filsys fs, const struct jnl *j, blk64_t lblk,
			   const void *buf)
{
	blk64_t pblk;
	errcode_t ret = jnl_block(fs, j, lblk, &pblk);

	if (!ret)
		ret = io_channel_write_blk64(fs->io, pblk, 1, buf);
	return ret;
}

static errcode_t jsb_write(ext2_filsys fs, struct jnl *j)
{
	char *buf;
	errcode_t ret = ext2fs_get_memzero(fs->blocksize, &buf);

	if (ret)
		return ret;
	ret = io_channel_read_blk64(fs->io, j->sb_blk, 1, buf);
	if (!ret) {
		jsb_csum(j);
		memcpy(buf, j->sb, JSB_LEN);
		ret = io_channel_write_blk64(fs->io, j->sb_blk, 1, buf);
	}
	if (!ret)
		ret = io_channel_flush(fs->io);
	ext2fs_free_mem(&buf);
	return ret;
}

static void header(unsigned char *b, uint32_t type, uint32_t seq)
{
	put_be32(b + JH_MAGIC, JBD2_MAGIC);
	put_be32(b + JH_TYPE, type);
	put_be32(b + JH_SEQ, seq);
}

/* One tag at p for block blk whose journal copy is data. */
static void tag(const struct jnl *j, unsigned char *p, blk64_t blk,
		uint32_t flags, const unsigned char *data, unsigned int bs)
{
	unsigned char seq[4];
	uint32_t c = 0;

	if (j->csum) {
		put_be32(seq, j->seq);
		c = crc(crc(j->seed, seq, 4), data, bs);
	}
	put_be32(p, (uint32_t)blk);
	if (j->incompat & JBD2_INCOMPAT_CSUM_V3) {
		put_be32(p + 4, flags);
		put_be32(p + 8, (uint32_t)(blk >> 32));
		put_be32(p + 12, c);
		return;
	}
	p[4] = c >> 8;
	p[5] = c;
	p[6] = flags >> 8;
	p[7] = flags;
	if (j->incompat & JBD2_INCOMPAT_64BIT)
		put_be32(p + 8, (uint32_t)(blk >> 32));
}

/*
 * The transaction: for each run of up to tags_per_desc blocks, a
 * descriptor block and the blocks (escaped when they begin with the
 * journal's magic); then the commit block.
 */
static errcode_t jnl_transaction(ext2_filsys fs, const struct jnl *j,
				 const blk64_t *blks, char *const *data, size_t n)
{
	unsigned int bs = fs->blocksize;
	unsigned char *desc, *copy = NULL;
	blk64_t pos = j->first;
	struct timespec now;
	size_t i, k;
	errcode_t ret;

	ret = ext2fs_get_mem(bs, &desc);
	if (ret)
		return ret;
	ret = ext2fs_get_mem(bs, &copy);
	if (ret)
		goto out;
	for (i = 0; i < n && !ret; i += k) {
		unsigned char *p = desc + JH_LEN;
		size_t m = n - i < j->tags_per_desc ? n - i : j->tags_per_desc;

		memset(desc, 0, bs);
		header(desc, JBD2_DESCRIPTOR_BLOCK, j->seq);
		for (k = 0; k < m; k++) {
			uint32_t flags = k ? JBD2_FLAG_SAME_UUID : 0;

			memcpy(copy, data[i + k], bs);
			if (get_be32(copy) == JBD2_MAGIC) {
				flags |= JBD2_FLAG_ESCAPE;
				memset(copy, 0, 4);
			}
			if (k == m - 1)
				flags |= JBD2_FLAG_LAST_TAG;
			tag(j, p, blks[i + k], flags, copy, bs);
			p += j->tag_size;
			if (!k) {
				memcpy(p, j->sb + JSB_UUID, 16);
				p += 16;
			}
		}
		if (j->csum)
			put_be32(desc + bs - 4, crc(j->seed, desc, bs));
		ret = jnl_write(fs, j, pos++, desc);
		for (k = 0; k < m && !ret; k++) {
			memcpy(copy, data[i + k], bs);
			if (get_be32(copy) == JBD2_MAGIC)
				memset(copy, 0, 4);
			ret = jnl_write(fs, j, pos++, copy);
		}
	}
	if (ret)
		goto out;
	memset(desc, 0, bs);
	header(desc, JBD2_COMMIT_BLOCK, j->seq);
	clock_gettime(CLOCK_REALTIME, &now);
	put_be32(desc + JC_SEC, (uint32_t)((uint64_t)now.tv_sec >> 32));
	put_be32(desc + JC_SEC + 4, (uint32_t)now.tv_sec);
	put_be32(desc + JC_NSEC, (uint32_t)now.tv_nsec);
	if (j->csum)
		put_be32(desc + JC_CHKSUM, crc(j->seed, desc, bs));
	ret = jnl_write(fs, j, pos, desc);
	if (!ret)
		ret = io_channel_flush(fs->io);
out:
	ext2fs_free_mem(&copy);
	ext2fs_free_mem(&desc);
	return ret;
}

/* ---- the primary superblock, in its block's bytes ---- */

static void sb_mark(ext2_filsys fs, unsigned char *sb)
{
	uint32_t incompat = ext2fs_le32_to_cpu(*(__le32 *)(sb + SB_INCOMPAT));
	uint16_t state = ext2fs_le16_to_cpu(*(__le16 *)(sb + SB_STATE));

	put_le32(sb + SB_INCOMPAT, incompat | EXT3_FEATURE_INCOMPAT_RECOVER);
	state |= EXT2_ERROR_FS;
	sb[SB_STATE] = state;
	sb[SB_STATE + 1] = state >> 8;
	if (ext2fs_has_feature_metadata_csum(fs->super))
		put_le32(sb + SB_CHECKSUM, crc(~0U, sb, SB_CHECKSUM));
}

/* The primary superblock on disk, marked (needs_recovery, errors). */
static errcode_t mark_disk_super(ext2_filsys fs, blk64_t u, unsigned int o)
{
	char *buf;
	errcode_t ret = ext2fs_get_mem(fs->blocksize, &buf);

	if (ret)
		return ret;
	ret = io_channel_read_blk64(fs->io, u, 1, buf);
	if (!ret) {
		sb_mark(fs, (unsigned char *)buf + o);
		ret = io_channel_write_blk64(fs->io, u, 1, buf);
	}
	if (!ret)
		ret = io_channel_flush(fs->io);
	ext2fs_free_mem(&buf);
	return ret;
}

static int cmp_blk(const void *a, const void *b)
{
	blk64_t x = *(const blk64_t *)a, y = *(const blk64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every captured block but skip, in block order; then a flush. */
static errcode_t apply(ext2_filsys fs, const blk64_t *blks, char *const *data,
		       size_t n, blk64_t skip)
{
	errcode_t ret = 0;
	size_t i;

	for (i = 0; i < n && !ret; i++)
		if (blks[i] != skip)
			ret = io_channel_write_blk64(fs->io, blks[i], 1, data[i]);
	if (!ret)
		ret = io_channel_flush(fs->io);
	return ret;
}

/* Blocks that would be written as the disk already holds them are left out. */
static errcode_t drop_unchanged(struct e4_jtx *t, blk64_t *blks, char **data,
				size_t *n, blk64_t keep)
{
	size_t i, m = 0;
	errcode_t ret;

	for (i = 0; i < *n; i++) {
		if (blks[i] != keep) {
			ret = io_channel_read_blk64(t->inner, blks[i], 1, t->tmp);
			if (ret)
				return ret;
			if (!memcmp(t->tmp, data[i], t->unit))
				continue;
		}
		blks[m] = blks[i];
		data[m++] = data[i];
	}
	*n = m;
	return 0;
}

static errcode_t write_flush(ext2_filsys fs, blk64_t blk, const void *buf)
{
	errcode_t ret = io_channel_write_blk64(fs->io, blk, 1, buf);

	return ret ? ret : io_channel_flush(fs->io);
}

int e4_jtx_commit(struct e4_jtx *t, const char *name,
		  const char **unjournaled, struct e4_err *err)
{
	ext2_filsys fs = t->fs;
	blk64_t su = SUPERBLOCK_OFFSET / t->unit, *blks = NULL;
	unsigned int so = SUPERBLOCK_OFFSET % t->unit;
	char **data = NULL, *final = NULL, *sb;
	const char *why, *step = "preparing the journal transaction";
	size_t n = 0, i;
	struct jnl j;
	errcode_t ret;

	capture_end(t);
	if (unjournaled)
		*unjournaled = NULL;
	blks = calloc(t->blocks.n + 1, sizeof(*blks));
	data = calloc(t->blocks.n + 1, sizeof(*data));
	final = malloc(t->unit);
	if (!blks || !data || !final) {
		ret = EXT2_ET_NO_MEMORY;
		goto out;
	}
	for (i = 0; i < t->blocks.cap; i++)
		if (t->blocks.keys[i])
			blks[n++] = t->blocks.keys[i] - 1;
	qsort(blks, n, sizeof(*blks), cmp_blk);
	for (i = 0; i < n; i++)
		data[i] = e4_blkmap_get(&t->blocks, blks[i]);
	ret = drop_unchanged(t, blks, data, &n, su);
	if (ret)
		goto out;
	sb = e4_blkmap_get(&t->blocks, su);
	if (!sb) {
		/* Nothing changed the superblock: it stays as on disk. */
		ret = io_channel_read_blk64(fs->io, su, 1, final);
		if (ret)
			goto out;
	} else {
		memcpy(final, sb, t->unit);
	}

	ret = jnl_open(fs, &j, n, &why);
	if (ret)
		goto out;
	if (unjournaled)
		*unjournaled = why;
	if (!why) {
		/* The journal's copy and the in-place one stay marked. */
		if (sb)
			sb_mark(fs, (unsigned char *)sb + so);
		step = "writing the journal transaction";
		ret = jnl_transaction(fs, &j, blks, data, n);
		if (ret)
			goto out;
		step = "marking the superblock as needing recovery";
		ret = mark_disk_super(fs, su, so);
		if (ret)
			goto out;
		step = "committing the journal transaction";
		put_be32(j.sb + JSB_SEQUENCE, j.seq);
		put_be32(j.sb + JSB_START, j.first);
		ret = jsb_write(fs, &j);
		if (ret)
			goto out;
		/*
		 * The superblock last: before it replays the journal,
		 * e2fsck checks the descriptors on disk against the
		 * superblock on disk, and the caller keeps its new
		 * descriptors valid for the old superblock (a new
		 * superblock with old descriptors may not be: a shrink's
		 * relocated metadata).
		 */
		step = "writing the journaled blocks in place";
		ret = apply(fs, blks, data, n, su);
		if (!ret && sb)
			ret = write_flush(fs, su, sb);
		if (ret)
			goto out;
		step = "emptying the journal";
		put_be32(j.sb + JSB_SEQUENCE, j.seq + 1);
		put_be32(j.sb + JSB_START, 0);
		ret = jsb_write(fs, &j);
		if (ret)
			goto out;
	} else {
		step = "writing the blocks in place";
		ret = apply(fs, blks, data, n, su);
		if (ret)
			goto out;
	}
	step = "writing the superblock";
	ret = write_flush(fs, su, final);
out:
	free(final);
	free(data);
	free(blks);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while %s", name, step);
	return 0;
}
