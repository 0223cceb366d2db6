// SPDX-License-Identifier: GPL-2.0
/*
 * Offline conversion of inline-data inodes to block-mapped ones with
 * libext2fs, and clearing the inline_data feature once none is left.
 *
 * ext2fs_inline_data_expand() empties the inode first (i_block zeroed and
 * written, system.data removed) and only then allocates the block the data
 * goes to; when that fails it returns the error with the data gone.  So no
 * inode reaches it unless a plan of the whole run said the blocks are
 * there, a look just before that inode finds them again, and a copy of the
 * inode is in hand, written back if libext2fs fails anyway.  The run stops
 * at the first inode that fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inline_priv.h"

/*
 * Exported by libext2fs since 1.43 but missing from the installed
 * ext2fs.h of some releases (1.47.0 among them).
 */
errcode_t ext2fs_inline_data_expand(ext2_filsys fs, ext2_ino_t ino);

/* Where one conversion failed, for the reason its entry gives. */
enum step { STEP_EXPAND, STEP_SIZE, STEP_CHECK, STEP_TIMES, NSTEPS };

/* [step][0]: the inode was put back; [1]: putting it back failed too. */
static const char *const step_why[NSTEPS][2] = {
	[STEP_EXPAND] = { "while moving the inline data to a block; the inode was put back as it was",
			  "while moving the inline data to a block; putting the inode back failed" },
	[STEP_SIZE] = { "while restoring the size; the inode was put back as it was",
			"while restoring the size; putting the inode back failed" },
	[STEP_CHECK] = { "the moved data did not read back the same; the inode was put back as it was",
			 "the moved data did not read back the same; putting the inode back failed" },
	[STEP_TIMES] = { "while restoring the times; the inode was put back as it was",
			 "while restoring the times; putting the inode back failed" },
};

/* What one run carries from inode to inode. */
struct conv {
	ext2_filsys fs;
	const char *name;	/* the filesystem, for messages */
	int isize;
	struct ext2_inode_large *before;	/* the inode as it was */
	struct ext2_inode_large *after;
	char *block;		/* one block, for xattr block headers */
	char *data;		/* its inline data as it was */
	size_t data_len, data_size;
	__u32 ea_refs;		/* references of its xattr block, 0: none */
	blk64_t hint;		/* near the last free block found */
};

/* Order-independent digest of a directory's entries. */
struct dir_sum {
	uint64_t n, h;
};

static void fail(struct e4_inline_ent *e, errcode_t ret, const char *why)
{
	e->status = E4_INLINE_FAILED;
	e->error = e4_errcode_to_errno(ret);
	/* A libext2fs code says more than the errno it maps to. */
	e->detail = ret > 0 && ret < 4096 ? NULL : error_message(ret);
	e->why = why;
}

static void not_reached(struct e4_inline_set *set, size_t from)
{
	for (; from < set->n; from++)
		set->ents[from].status = E4_INLINE_NOT_REACHED;
}

/* " /a/b" for messages, or "" when the inode has no name. */
static const char *sp(const struct e4_inline_ent *e)
{
	return e->path ? " " : "";
}

static const char *pathof(const struct e4_inline_ent *e)
{
	return e->path ? e->path : "";
}

/* Put back what libext2fs's conversion touches besides the data. */
static void restore_times(struct ext2_inode_large *dst,
			  const struct ext2_inode_large *src, int isize)
{
	dst->i_atime = src->i_atime;
	dst->i_ctime = src->i_ctime;
	dst->i_mtime = src->i_mtime;
	if (isize <= EXT2_GOOD_OLD_INODE_SIZE)
		return;
#define HAS(f) ((size_t)EXT2_GOOD_OLD_INODE_SIZE + src->i_extra_isize >= \
		offsetof(struct ext2_inode_large, f) + sizeof(src->f))
	if (HAS(i_ctime_extra))
		dst->i_ctime_extra = src->i_ctime_extra;
	if (HAS(i_mtime_extra))
		dst->i_mtime_extra = src->i_mtime_extra;
	if (HAS(i_atime_extra))
		dst->i_atime_extra = src->i_atime_extra;
	if (HAS(i_crtime))
		dst->i_crtime = src->i_crtime;
	if (HAS(i_crtime_extra))
		dst->i_crtime_extra = src->i_crtime_extra;
#undef HAS
}

/* Whether e can be converted; if not, its status says why. */
static bool convertible(ext2_filsys fs, struct e4_inline_ent *e,
			struct ext2_inode_large *before)
{
	errcode_t ret;

	ret = ext2fs_read_inode_full(fs, e->ino, (struct ext2_inode *)before,
				     EXT2_INODE_SIZE(fs->super));
	if (ret) {
		fail(e, ret, "while reading the inode");
		return false;
	}
	e->status = E4_INLINE_SKIPPED;
	if (!(before->i_flags & EXT4_INLINE_DATA_FL)) {
		e->why = "no longer has inline data";
		return false;
	}
	if (!LINUX_S_ISREG(before->i_mode) && !LINUX_S_ISDIR(before->i_mode) &&
	    !LINUX_S_ISLNK(before->i_mode)) {
		e->why = "not a file, directory or symlink";
		return false;
	}
	/*
	 * A symlink shorter than i_block would be a fast symlink; giving it
	 * a block makes an inode that e2fsck and the kernel disagree about.
	 */
	if (LINUX_S_ISLNK(before->i_mode) &&
	    EXT2_I_SIZE((struct ext2_inode *)before) < sizeof(before->i_block)) {
		e->why = "short symlink: would have to become a fast symlink";
		return false;
	}
	e->status = E4_INLINE_FOUND;
	return true;
}

static errcode_t ea_refcount(struct conv *c, ext2_ino_t ino, blk64_t blk,
			     __u32 *refs)
{
	const struct ext2_ext_attr_header *h = (const void *)c->block;
	errcode_t ret;

	ret = ext2fs_read_ext_attr3(c->fs, blk, c->block, ino);
	if (ret)
		return ret;
	if (h->h_magic != EXT2_EXT_ATTR_MAGIC)
		return EXT2_ET_BAD_EA_HEADER;
	*refs = h->h_refcount;
	return 0;
}

/*
 * Blocks (clusters) ext2fs_inline_data_expand() allocates for the inode
 * in c->before, at most (need), and keeps once the size is cut back (net).
 * It maps one data block at logical 0: an extent in i_block, or a direct
 * block, never a tree or indirect block.  Removing system.data rewrites
 * the xattr block, if there is one, and ext2fs_xattrs_write() copies a
 * block shared with other inodes (refcount > 1) to a new one first.  An
 * empty file gets its block back when the size is cut to 0.
 */
static errcode_t needs(struct conv *c, ext2_ino_t ino, unsigned int *need,
		       unsigned int *net)
{
	const struct ext2_inode *in = (const struct ext2_inode *)c->before;
	blk64_t acl = ext2fs_file_acl_block(c->fs, in);
	errcode_t ret;

	c->ea_refs = 0;
	*need = 1;
	if (acl) {
		ret = ea_refcount(c, ino, acl, &c->ea_refs);
		if (ret)
			return ret;
		if (c->ea_refs > 1)
			(*need)++;
	}
	*net = *need;
	if (!LINUX_S_ISDIR(in->i_mode) && !EXT2_I_SIZE(in))
		(*net)--;
	return 0;
}

/*
 * Free clusters in the block bitmap (the only thing libext2fs allocates
 * from: it knows no reservation), counted from block from to the end and
 * then from the start, until want are found.  *first: the first found.
 */
static uint64_t count_free(ext2_filsys fs, blk64_t from, uint64_t want,
			   blk64_t *first)
{
	blk64_t start = fs->super->s_first_data_block;
	blk64_t end = ext2fs_blocks_count(fs->super) - 1;
	blk64_t lo[2], hi[2];
	uint64_t n = 0;
	int pass, passes = 2;

	if (from <= start || from > end) {
		from = start;
		passes = 1;
	}
	lo[0] = from;
	hi[0] = end;
	lo[1] = start;
	hi[1] = from - 1;
	for (pass = 0; pass < passes && n < want; pass++) {
		blk64_t b = lo[pass], z, s;

		while (b <= hi[pass] && n < want) {
			if (ext2fs_find_first_zero_block_bitmap2(fs->block_map, b,
								 hi[pass], &z))
				break;
			if (!n && first)
				*first = z;
			if (ext2fs_find_first_set_block_bitmap2(fs->block_map, z,
								hi[pass], &s))
				s = hi[pass] + 1;
			n += EXT2FS_B2C(fs, s - 1) - EXT2FS_B2C(fs, z) + 1;
			b = s;
		}
	}
	return n;
}

/*
 * References left on the shared xattr blocks the plan has met: the first
 * inode that copies a block drops one, and the last holder of a block
 * rewrites it in place.  Open addressing on the block number.
 */
struct ea_refs {
	blk64_t *blk;
	__u32 *left;
	size_t mask, n;
};

static void ea_refs_free(struct ea_refs *m)
{
	free(m->blk);
	free(m->left);
}

/* The slot of blk (left 0 when new), or NULL on ENOMEM. */
static __u32 *ea_refs_slot(struct ea_refs *m, blk64_t blk)
{
	size_t i;

	if ((m->n + 1) * 2 > m->mask) {
		size_t nmask = m->mask ? m->mask * 2 + 1 : 63, j;
		blk64_t *nb = calloc(nmask + 1, sizeof(*nb));
		__u32 *nl = calloc(nmask + 1, sizeof(*nl));

		if (!nb || !nl) {
			free(nb);
			free(nl);
			return NULL;
		}
		for (i = 0; m->blk && i <= m->mask; i++) {
			if (!m->blk[i])
				continue;
			for (j = (m->blk[i] * 0x9E3779B97F4A7C15ULL >> 17) & nmask;
			     nb[j]; j = (j + 1) & nmask)
				;
			nb[j] = m->blk[i];
			nl[j] = m->left[i];
		}
		ea_refs_free(m);
		m->blk = nb;
		m->left = nl;
		m->mask = nmask;
	}
	for (i = (blk * 0x9E3779B97F4A7C15ULL >> 17) & m->mask; m->blk[i];
	     i = (i + 1) & m->mask)
		if (m->blk[i] == blk)
			return &m->left[i];
	m->blk[i] = blk;
	m->n++;
	return &m->left[i];
}

/*
 * The plan: judge every entry, and count what the run needs at its peak
 * (inodes in order; an empty file gives its block back; of the holders of
 * a shared xattr block all but the last copy it) against the free
 * blocks.  Writes nothing.  Entries end WOULD_CONVERT or SKIPPED.
 */
static int plan(struct conv *c, struct e4_inline_set *set,
		struct e4_err *err)
{
	uint64_t used = 0, peak = 0, have;
	struct ea_refs refs = { 0 };
	unsigned int need, net;
	size_t i, todo = 0;
	unsigned char *nd;
	errcode_t ret;
	__u32 *left;
	blk64_t acl;
	int rc = 0;

	nd = calloc(set->n, 2);
	if (!nd)
		return e4_err_sys(err, -ENOMEM, "%s: while planning the conversion",
				  c->name);
	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];

		if (!convertible(c->fs, e, c->before)) {
			if (e->status != E4_INLINE_FAILED)
				continue;
			rc = e4_err_set(err, e->error,
					"%s: inode %llu%s%s: while reading the inode: %s; nothing was changed",
					c->name, (unsigned long long)e->ino, sp(e),
					pathof(e), e->detail ?: strerror(-e->error));
			goto out;
		}
		ret = needs(c, e->ino, &need, &net);
		if (ret) {
			fail(e, ret, "while reading its extended attribute block");
			rc = e4_err_ext2(err, ret,
					 "%s: inode %llu%s%s: while reading its extended attribute block (nothing was changed)",
					 c->name, (unsigned long long)e->ino, sp(e),
					 pathof(e));
			goto out;
		}
		/* A shared block is copied only while others still hold it. */
		acl = ext2fs_file_acl_block(c->fs, (struct ext2_inode *)c->before);
		if (acl && c->ea_refs > 1) {
			left = ea_refs_slot(&refs, acl);
			if (!left) {
				rc = e4_err_sys(err, -ENOMEM, "%s: while planning the conversion",
						c->name);
				goto out;
			}
			if (!*left)
				*left = c->ea_refs;
			if (*left > 1) {
				(*left)--;
			} else {
				need--;
				net--;
			}
		}
		nd[2 * i] = need;
		nd[2 * i + 1] = net;
		if (used + need > peak)
			peak = used + need;
		used += net;
		todo++;
		e->status = E4_INLINE_WOULD_CONVERT;
	}
	have = count_free(c->fs, 0, peak, &c->hint);
	if (have >= peak)
		goto out;
	/* Name the first inode that would find no block. */
	for (used = 0, i = 0; i < set->n; i++) {
		if (!nd[2 * i])
			continue;
		if (used + nd[2 * i] > have)
			break;
		used += nd[2 * i + 1];
	}
	if (i < set->n) {
		const struct e4_inline_ent *e = &set->ents[i];

		rc = e4_err_set(err, -ENOSPC,
				"%s: no free blocks for inode %llu%s%s: converting %zu inode%s needs %llu free block%s, the filesystem has %llu; nothing was changed",
				c->name, (unsigned long long)e->ino, sp(e), pathof(e),
				todo, todo == 1 ? "" : "s",
				(unsigned long long)peak, peak == 1 ? "" : "s",
				(unsigned long long)have);
	}
out:
	if (rc)
		for (i = 0; i < set->n; i++)
			if (set->ents[i].status != E4_INLINE_FAILED)
				set->ents[i].status = E4_INLINE_NOT_REACHED;
	ea_refs_free(&refs);
	free(nd);
	return rc;
}

/* Keep the inode's inline data (i_block and system.data) in c->data. */
static errcode_t save_data(struct conv *c, ext2_ino_t ino)
{
	size_t size;
	errcode_t ret;

	ret = ext2fs_inline_data_size(c->fs, ino, &size);
	if (ret)
		return ret;
	if (size > c->data_size) {
		char *p = realloc(c->data, size);

		if (!p)
			return EXT2_ET_NO_MEMORY;
		c->data = p;
		c->data_size = size;
	}
	ret = ext2fs_inline_data_get(c->fs, ino, NULL, c->data, &size);
	c->data_len = size;
	return ret;
}

static int sum_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		     int offset, int blocksize, char *buf, void *priv)
{
	struct dir_sum *s = priv;
	unsigned int len = ext2fs_dirent_name_len(de), i;
	uint64_t h = 0xcbf29ce484222325ULL ^ de->inode;

	(void)dir;
	(void)entry;
	(void)offset;
	(void)blocksize;
	(void)buf;
	if (!de->inode)
		return 0;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)de->name[i]) * 0x100000001b3ULL;
	s->n++;
	s->h += h;
	return 0;
}

static errcode_t dir_sum(ext2_filsys fs, ext2_ino_t ino, struct dir_sum *s)
{
	memset(s, 0, sizeof(*s));
	return ext2fs_dir_iterate2(fs, ino, 0, NULL, sum_entry, s);
}

/* Whether the file's first bytes are the inline data that was saved. */
static errcode_t check_file(struct conv *c, ext2_ino_t ino, uint64_t size)
{
	size_t len = size < c->data_len ? size : c->data_len;
	unsigned int got = 0;
	ext2_file_t file;
	errcode_t ret, ret2;
	char *buf;

	if (!len)
		return 0;
	buf = malloc(len);
	if (!buf)
		return EXT2_ET_NO_MEMORY;
	ret = ext2fs_file_open(c->fs, ino, 0, &file);
	if (!ret) {
		ret = ext2fs_file_read(file, buf, len, &got);
		ret2 = ext2fs_file_close(file);
		if (!ret)
			ret = ret2;
	}
	if (!ret && (got != len || memcmp(buf, c->data, len)))
		ret = EIO;
	free(buf);
	return ret;
}

/*
 * After a failure: the inode as it was, from the copy.  What libext2fs
 * allocated goes back to the bitmap first: the data block it mapped at
 * logical 0, and the copy of a shared xattr block, whose original gets
 * its reference back.  Then the proof: inline again, same data.
 */
static errcode_t put_back(struct conv *c, ext2_ino_t ino)
{
	ext2_filsys fs = c->fs;
	struct ext2_inode *now = (struct ext2_inode *)c->after;
	blk64_t old_acl = ext2fs_file_acl_block(fs, (struct ext2_inode *)c->before);
	blk64_t acl, blk = 0;
	errcode_t ret;
	size_t len;
	__u32 refs;

	ret = ext2fs_read_inode_full(fs, ino, now, c->isize);
	if (ret)
		return ret;
	if (!(now->i_flags & EXT4_INLINE_DATA_FL) &&
	    ext2fs_inode_has_valid_blocks2(fs, now) &&
	    !ext2fs_bmap2(fs, ino, now, NULL, 0, 0, NULL, &blk) && blk &&
	    ext2fs_test_block_bitmap2(fs->block_map, blk))
		ext2fs_block_alloc_stats2(fs, blk, -1);
	acl = ext2fs_file_acl_block(fs, now);
	if (acl && acl != old_acl && ext2fs_test_block_bitmap2(fs->block_map, acl))
		ext2fs_block_alloc_stats2(fs, acl, -1);
	if (old_acl && c->ea_refs > 1) {
		ret = ea_refcount(c, ino, old_acl, &refs);
		if (!ret && refs < c->ea_refs)
			ret = ext2fs_adjust_ea_refcount3(fs, old_acl, c->block,
							 c->ea_refs - refs, NULL, ino);
		if (ret)
			return ret;
	}
	ret = ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)c->before,
				      c->isize);
	if (ret)
		return ret;
	/* The saved copy is c->data; read the inode's into the block. */
	ret = ext2fs_inline_data_size(fs, ino, &len);
	if (ret)
		return ret;
	if (len != c->data_len || len > fs->blocksize)
		return EIO;
	ret = ext2fs_inline_data_get(fs, ino, NULL, c->block, &len);
	if (!ret && (len != c->data_len || memcmp(c->block, c->data, len)))
		ret = EIO;
	return ret;
}

/*
 * One inode, whose copy is in c->before.  0: converted.  1: failed before
 * anything was written (entry FAILED, err set).  -errno: failed after, the
 * inode put back or not (entry FAILED, err set).
 */
static int convert_one(struct conv *c, struct e4_inline_ent *e,
		       struct e4_err *err)
{
	ext2_filsys fs = c->fs;
	uint64_t size = EXT2_I_SIZE((struct ext2_inode *)c->before);
	bool dir = LINUX_S_ISDIR(c->before->i_mode);
	struct dir_sum s0, s1;
	ext2_file_t file;
	errcode_t ret, ret2;
	enum step step;
	int rc;

	/* What must come out the other end: the data, or the entries. */
	ret = save_data(c, e->ino);
	if (!ret && dir)
		ret = dir_sum(fs, e->ino, &s0);
	if (ret) {
		fail(e, ret, "while reading its inline data");
		e4_err_ext2(err, ret,
			    "%s: inode %llu%s%s: while reading its inline data (nothing was changed; the run stopped there)",
			    c->name, (unsigned long long)e->ino, sp(e), pathof(e));
		return 1;
	}

	step = STEP_EXPAND;
	ret = ext2fs_inline_data_expand(fs, e->ino);
	/*
	 * libext2fs writes the whole inline area (60 bytes and up) to the
	 * new block and sets the size to match; cut it back to what the file
	 * had.  Directories legitimately become one block long.
	 */
	if (!ret && !dir) {
		step = STEP_SIZE;
		ret = ext2fs_file_open(fs, e->ino, EXT2_FILE_WRITE, &file);
		if (!ret) {
			ret = ext2fs_file_set_size2(file, size);
			ret2 = ext2fs_file_close(file);
			if (!ret)
				ret = ret2;
		}
	}
	if (!ret) {
		step = STEP_CHECK;
		if (dir) {
			ret = dir_sum(fs, e->ino, &s1);
			if (!ret && (s0.n != s1.n || s0.h != s1.h))
				ret = EIO;
		} else {
			ret = check_file(c, e->ino, size);
		}
	}
	if (!ret) {
		step = STEP_TIMES;
		ret = ext2fs_read_inode_full(fs, e->ino, (struct ext2_inode *)c->after,
					     c->isize);
		if (!ret) {
			restore_times(c->after, c->before, c->isize);
			ret = ext2fs_write_inode_full(fs, e->ino,
						      (struct ext2_inode *)c->after,
						      c->isize);
		}
	}
	if (!ret) {
		e->status = E4_INLINE_CONVERTED;
		return 0;
	}

	ret2 = put_back(c, e->ino);
	fail(e, ret, step_why[step][ret2 != 0]);
	rc = e->error;
	if (!ret2)
		e4_err_set(err, rc,
			   "%s: inode %llu%s%s: %s: %s; the run stopped there; the filesystem is marked as having errors: run 'e2fsck -f %s'",
			   c->name, (unsigned long long)e->ino, sp(e), pathof(e),
			   e->why, error_message(ret), c->name);
	else
		e4_err_set(err, rc,
			   "%s: inode %llu%s%s: %s (%s): %s; the run stopped there; the filesystem is marked as having errors: run 'e2fsck -f %s'",
			   c->name, (unsigned long long)e->ino, sp(e), pathof(e),
			   e->why, error_message(ret2), error_message(ret), c->name);
	return rc;
}

/* Bitmaps and inodes to disk first, then the superblock with state. */
static int flush_all(ext2_filsys fs, const char *name, struct e4_err *err)
{
	errcode_t ret;

	ret = ext2fs_write_bitmaps(fs);
	if (!ret)
		ret = io_channel_flush(fs->io);
	if (!ret) {
		ext2fs_mark_super_dirty(fs);
		ret = ext2fs_flush(fs);
	}
	return ret ? e4_err_ext2(err, ret, "%s: while writing the filesystem", name) : 0;
}

int e4_inline_convert(struct e4_fs *efs, struct e4_inline_set *set,
		      unsigned int flags, const struct e4_job *job,
		      struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	struct conv c = {
		.fs = fs,
		.name = e4_target_name(e4_fs_target(efs)),
		.isize = EXT2_INODE_SIZE(fs->super),
	};
	bool dry = flags & E4_INLINE_DRY_RUN;
	uint16_t state = fs->super->s_state;
	bool marked = false, damaged = false;
	unsigned int need, net;
	errcode_t ret;
	size_t i;
	int rc = 0;

	if (!set->n)
		return 0;
	if (!dry && !(fs->flags & EXT2_FLAG_RW))
		return e4_err_set(err, -EROFS, "%s: opened read-only", c.name);
	c.before = calloc(1, c.isize);
	c.after = calloc(1, c.isize);
	c.block = malloc(fs->blocksize);
	if (!c.before || !c.after || !c.block) {
		rc = e4_err_sys(err, -ENOMEM, "%s: while converting", c.name);
		goto out_free;
	}
	ret = ext2fs_read_bitmaps(fs);
	if (ret) {
		rc = e4_err_ext2(err, ret, "%s: while reading the bitmaps", c.name);
		goto out_free;
	}
	rc = plan(&c, set, err);
	if (rc || dry)
		goto out_free;

	for (i = 0; i < set->n; i++) {
		struct e4_inline_ent *e = &set->ents[i];

		if (e4_job_cancelled(job)) {
			not_reached(set, i);
			rc = e4_err_set(err, -EINTR,
					"%s: interrupted; every inode is either converted or untouched",
					c.name);
			break;
		}
		if (!convertible(fs, e, c.before)) {
			if (e->status != E4_INLINE_FAILED)
				goto next;
			rc = e4_err_set(err, e->error,
					"%s: inode %llu%s%s: while reading the inode: %s; the run stopped there",
					c.name, (unsigned long long)e->ino, sp(e),
					pathof(e), e->detail ?: strerror(-e->error));
			not_reached(set, i + 1);
			break;
		}
		ret = needs(&c, e->ino, &need, &net);
		if (ret) {
			fail(e, ret, "while reading its extended attribute block");
			rc = e4_err_ext2(err, ret,
					 "%s: inode %llu%s%s: while reading its extended attribute block (the run stopped there)",
					 c.name, (unsigned long long)e->ino, sp(e),
					 pathof(e));
			not_reached(set, i + 1);
			break;
		}
		/* The plan counted; count again, libext2fs will not. */
		if (count_free(fs, c.hint, need, &c.hint) < need) {
			e->status = E4_INLINE_FAILED;
			e->error = -ENOSPC;
			e->detail = NULL;
			e->why = "no free blocks: the run stopped before it, it is unchanged";
			rc = e4_err_set(err, -ENOSPC,
					"%s: no free blocks for inode %llu%s%s (it needs %u): the run stopped before it; it and the inodes after it are unchanged",
					c.name, (unsigned long long)e->ino, sp(e),
					pathof(e), need);
			not_reached(set, i + 1);
			break;
		}
		if (!marked) {
			/* A crash from here on must send the fs to e2fsck. */
			fs->super->s_state &= ~EXT2_VALID_FS;
			rc = flush_all(fs, c.name, err);
			if (rc) {
				not_reached(set, i);
				break;
			}
			marked = true;
		}
		rc = convert_one(&c, e, err);
		if (rc) {
			damaged = rc < 0;
			rc = e->error;
			not_reached(set, i + 1);
			break;
		}
next:
		e4_job_progress(job, i + 1, set->n);
	}
	if (marked) {
		int rc2;

		/* An inode that failed half-way is for e2fsck to confirm. */
		fs->super->s_state = damaged ?
			(state & ~EXT2_VALID_FS) | EXT2_ERROR_FS : state;
		rc2 = flush_all(fs, c.name, rc ? NULL : err);
		if (!rc)
			rc = rc2;
	}
out_free:
	free(c.before);
	free(c.after);
	free(c.block);
	free(c.data);
	return rc;
}

int e4_inline_disable(struct e4_fs *efs, const struct e4_job *job,
		      struct e4_err *err)
{
	ext2_filsys fs = e4_fs_ext2(efs);
	const char *name = e4_target_name(e4_fs_target(efs));
	struct e4_inline_set *left = NULL;
	errcode_t ret;
	int rc;

	if (!(fs->flags & EXT2_FLAG_RW))
		return e4_err_set(err, -EROFS, "%s: opened read-only", name);
	if (!ext2fs_has_feature_inline_data(fs->super))
		return 0;
	rc = e4_inline_scan(efs, job, &left, err);
	if (rc)
		return rc;
	if (left->n) {
		const struct e4_inline_ent *e = &left->ents[0];

		rc = e4_err_set(err, -EBUSY,
				"%s: %zu inode%s still ha%s inline data (inode %llu%s%s first); not clearing inline_data",
				name, left->n, left->n == 1 ? "" : "s",
				left->n == 1 ? "s" : "ve",
				(unsigned long long)e->ino, sp(e), pathof(e));
		goto out;
	}
	if (left->unreadable) {
		rc = e4_err_set(err, -EUCLEAN,
				"%s: %llu in-use inode%s could not be read (inode %llu first: %s), so nothing proves that no inline inode is left; not clearing inline_data: run 'e2fsck -f %s'",
				name, (unsigned long long)left->unreadable,
				left->unreadable == 1 ? "" : "s",
				(unsigned long long)left->first_unreadable,
				left->unreadable_why, name);
		goto out;
	}
	ext2fs_clear_feature_inline_data(fs->super);
	ext2fs_mark_super_dirty(fs);
	ret = ext2fs_flush(fs);
	if (ret)
		rc = e4_err_ext2(err, ret, "%s: while writing the superblock", name);
out:
	e4_inline_set_free(left);
	return rc;
}
