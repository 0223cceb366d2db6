// SPDX-License-Identifier: GPL-2.0
/*
 * Shrink with ea_inode: an xattr value too large for a block lives in an
 * EA inode, named by the e_value_inum of its entry (in an inode body or
 * an xattr block; one EA inode may be named by several).  The mover
 * renumbers EA inodes of removed groups like any inode; this file finds,
 * before the first write, every entry naming one, and rewrites those
 * entries inside the commit's journal transaction, since until then the
 * old EA inode is the valid one.
 *
 * Only e_value_inum changes.  An entry's hash covers its name and the
 * value's hash, which the EA inode keeps (i_atime), not its number, so
 * entry and block hashes stay; an inode's checksum and an xattr block's
 * (seeded by the block number) are recomputed by the libext2fs writers,
 * over entries read with their checksums verified.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"
#include "shrink_move.h"

struct ea_scan {
	struct shrink_run *r;
	struct e4_err *err;
	ext2_ino_t holder;
	blk64_t blk;			/* the xattr block walked, or 0 */
	bool renumbered;		/* an entry names a renumbered EA inode */
};

/* walk_entries(): an entry or the list runs past the end of its area. */
#define WALK_BAD 1

/*
 * Calls fn for each entry from first up to the last-entry mark: 0, what
 * fn returned (-errno, message set), or WALK_BAD.
 */
static int walk_entries(char *first, char *end,
			int (*fn)(struct ext2_ext_attr_entry *e, void *arg),
			void *arg)
{
	char *p = first;
	int rc;

	while (p + sizeof(__u32) <= end) {
		struct ext2_ext_attr_entry *e = (struct ext2_ext_attr_entry *)p;

		if (EXT2_EXT_IS_LAST_ENTRY(e))
			return 0;
		if (p + sizeof(*e) > end || (char *)EXT2_EXT_ATTR_NEXT(e) > end)
			return WALK_BAD;
		rc = fn(e, arg);
		if (rc)
			return rc;
		p = (char *)EXT2_EXT_ATTR_NEXT(e);
	}
	return WALK_BAD;
}

/*
 * The entries in an inode's body: 1 with first and end set, 0 when it
 * has none, -EUCLEAN when i_extra_isize is not a valid size.
 */
static int ibody_entries(ext2_filsys fs, char *inode, char **first,
			 char **end)
{
	int isize = EXT2_INODE_SIZE(fs->super);
	struct ext2_inode_large *large = (struct ext2_inode_large *)inode;
	size_t off;
	__u32 magic;

	if (isize <= EXT2_GOOD_OLD_INODE_SIZE)
		return 0;
	off = EXT2_GOOD_OLD_INODE_SIZE + large->i_extra_isize;
	if (off + sizeof(magic) > (size_t)isize)
		return large->i_extra_isize & 3 ? -EUCLEAN : 0;
	if (large->i_extra_isize & 3)
		return -EUCLEAN;
	memcpy(&magic, inode + off, sizeof(magic));
	if (magic != EXT2_EXT_ATTR_MAGIC)
		return 0;
	*first = inode + off + sizeof(magic);
	*end = inode + isize;
	return 1;
}

static int damaged(struct ea_scan *s, const char *why, ext2_ino_t v)
{
	struct shrink_run *r = s->r;
	char where[64];

	if (s->blk)
		snprintf(where, sizeof(where), "xattr block %llu",
			 (unsigned long long)s->blk);
	else
		snprintf(where, sizeof(where), "inode %u", s->holder);
	return e4_err_set(s->err, -EUCLEAN,
			  "%s: unchanged: an xattr in %s names inode %u as its value's EA inode, %s: run 'e2fsck -f %s'",
			  r->name, where, v, why, r->name);
}

/*
 * What e2fsck checks of a reference, for every one in the inodes and
 * blocks scanned: an EA inode in use, with its flag, and an entry hash
 * made from the value's hash.  An old Lustre-style EA inode names its
 * holder by number instead; it is refused, even where renumbering would
 * leave that number alone (a kept holder), as the simpler rule.
 */
static int check_ref(struct ext2_ext_attr_entry *e, void *arg)
{
	struct ea_scan *s = arg;
	struct shrink_run *r = s->r;
	ext2_filsys fs = r->fs;
	ext2_ino_t v = e->e_value_inum;
	struct ext2_inode inode;
	__u32 hash, signed_hash;
	errcode_t ret;

	if (!v)
		return 0;
	if (v < EXT2_FIRST_INO(fs->super) || v > r->old_inodes ||
	    !ext2fs_test_inode_bitmap2(fs->inode_map, v))
		return damaged(s, "which is not in use", v);
	ret = ext2fs_read_inode(fs, v, &inode);
	if (ret)
		return e4_err_ext2(s->err, ret, "%s: unchanged: while reading EA inode %u",
				   r->name, v);
	if (!(inode.i_flags & EXT4_EA_INODE_FL))
		return damaged(s, "which has no EA_INODE flag", v);
	ret = ext2fs_ext_attr_hash_entry3(fs, e, NULL, &hash, &signed_hash);
	if (ret)
		return e4_err_ext2(s->err, ret, "%s: unchanged: while hashing an xattr of EA inode %u",
				   r->name, v);
	if (e->e_hash != hash && e->e_hash != signed_hash)
		return e4_err_set(s->err, -EOPNOTSUPP,
				  "%s: unchanged: the xattr entry naming EA inode %u does not carry its value's hash (an EA inode of the old Lustre format, or damage); renumbering it is not supported",
				  r->name, v);
	if (v > r->c.inodes)
		s->renumbered = true;
	return 0;
}

static int scan_block(struct ea_scan *s, blk64_t blk)
{
	struct shrink_run *r = s->r;
	struct shrink_ea_refs *ea = &r->ea;
	ext2_filsys fs = r->fs;
	errcode_t ret;
	int rc;

	if (ext2fs_test_block_bitmap2(ea->seen, blk))
		return 0;
	ext2fs_mark_block_bitmap2(ea->seen, blk);
	ret = ext2fs_read_ext_attr3(fs, blk, r->buf, s->holder);
	if (ret)
		return e4_err_ext2(s->err, ret, "%s: unchanged: while reading xattr block %llu of inode %u (run 'e2fsck -f %s')",
				   r->name, (unsigned long long)blk, s->holder,
				   r->name);
	s->blk = blk;
	s->renumbered = false;
	rc = walk_entries(r->buf + sizeof(struct ext2_ext_attr_header),
			  r->buf + fs->blocksize, check_ref, s);
	s->blk = 0;
	if (rc == WALK_BAD)
		return e4_err_set(s->err, -EUCLEAN, "%s: unchanged: xattr block %llu of inode %u is damaged: run 'e2fsck -f %s'",
				  r->name, (unsigned long long)blk, s->holder,
				  r->name);
	if (rc || !s->renumbered)
		return rc;
	rc = e4_array_room(&ea->blocks, ea->nblocks, &ea->bcap,
			   sizeof(*ea->blocks), 64);
	if (rc)
		return e4_err_sys(s->err, rc, "%s", r->name);
	ea->blocks[ea->nblocks++] = blk;
	return 0;
}

static int scan_inode(struct ea_scan *s, char *inode, bool csum_bad)
{
	struct shrink_run *r = s->r;
	struct shrink_ea_refs *ea = &r->ea;
	ext2_filsys fs = r->fs;
	blk64_t blk;
	char *first, *end;
	int rc;

	s->renumbered = false;
	rc = ibody_entries(fs, inode, &first, &end);
	if (rc > 0)
		rc = walk_entries(first, end, check_ref, s);
	else if (rc)
		rc = WALK_BAD;
	if (rc == WALK_BAD)
		return e4_err_set(s->err, -EUCLEAN, "%s: unchanged: the xattrs in inode %u are damaged: run 'e2fsck -f %s'",
				  r->name, s->holder, r->name);
	if (rc)
		return rc;
	if (s->renumbered) {
		/* Its checksum is rewritten: it must be right now. */
		if (csum_bad)
			return e4_err_set(s->err, -EUCLEAN, "%s: unchanged: inode %u has a bad checksum: run 'e2fsck -f %s'",
					  r->name, s->holder, r->name);
		rc = e4_array_room(&ea->inodes, ea->ninodes, &ea->icap,
				   sizeof(*ea->inodes), 64);
		if (rc)
			return e4_err_sys(s->err, rc, "%s", r->name);
		ea->inodes[ea->ninodes++] = s->holder;
	}
	blk = ext2fs_file_acl_block(fs, (struct ext2_inode *)inode);
	return blk ? scan_block(s, blk) : 0;
}

/* In-use inodes from group `from` up to inode `last`. */
static int scan_inodes(struct ea_scan *s, dgrp_t from, ext2_ino_t last)
{
	struct shrink_run *r = s->r;
	ext2_filsys fs = r->fs;
	int isize = EXT2_INODE_SIZE(fs->super);
	ext2_inode_scan scan;
	ext2_ino_t ino;
	char *inode = NULL;
	errcode_t ret;
	int rc = 0;

	ret = ext2fs_get_mem(isize, &inode);
	if (!ret)
		ret = ext2fs_open_inode_scan(fs, 0, &scan);
	if (ret) {
		ext2fs_free_mem(&inode);
		return e4_err_ext2(s->err, ret, "%s: while scanning inodes", r->name);
	}
	ret = ext2fs_inode_scan_goto_blockgroup(scan, from);
	while (!ret) {
		bool csum_bad;

		ret = ext2fs_get_next_inode_full(scan, &ino,
						 (struct ext2_inode *)inode, isize);
		csum_bad = ret == EXT2_ET_INODE_CSUM_INVALID ||
			   ret == EXT2_ET_INODE_IS_GARBAGE;
		if (csum_bad)
			ret = 0;
		if (ret || !ino || ino > last)
			break;
		if (!ext2fs_test_inode_bitmap2(fs->inode_map, ino))
			continue;
		if (ino > r->c.inodes &&
		    (((struct ext2_inode *)inode)->i_flags & EXT4_EA_INODE_FL))
			r->ea.moves = true;
		s->holder = ino;
		rc = scan_inode(s, inode, csum_bad);
		if (rc)
			break;
	}
	ext2fs_close_inode_scan(scan);
	ext2fs_free_mem(&inode);
	if (!rc && ret)
		rc = e4_err_ext2(s->err, ret, "%s: while scanning inodes", r->name);
	return rc;
}

int e4_shrink_ea_scan(struct shrink_run *r, struct e4_err *err)
{
	struct ea_scan s = { .r = r, .err = err };
	errcode_t ret;
	int rc;

	if (!ext2fs_has_feature_ea_inode(r->fs->super) || !r->c.inodes_to_move)
		return 0;
	ret = ext2fs_allocate_block_bitmap(r->fs, "shrink: xattr blocks seen",
					   &r->ea.seen);
	if (ret)
		return e4_err_ext2(err, ret, "%s", r->name);
	/*
	 * The removed groups first: the renumbered holders' references are
	 * checked, and whether an EA inode is renumbered at all is known...
	 */
	rc = scan_inodes(&s, r->c.groups, r->old_inodes);
	/* ...and only then must every other holder be found. */
	if (!rc && r->ea.moves)
		rc = scan_inodes(&s, 0, r->c.inodes);
	return rc;
}

static int remap_ref(struct ext2_ext_attr_entry *e, void *arg)
{
	const struct shrink_run *r = arg;
	ext2_ino_t to;

	if (!e->e_value_inum)
		return 0;
	to = e4_shrink_map_inode(r, e->e_value_inum);
	if (!to)
		return WALK_BAD;
	e->e_value_inum = to;
	return 0;
}

static int fix_ibody(struct shrink_run *r, ext2_ino_t old, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	ext2_ino_t ino = e4_shrink_map_inode(r, old);
	int isize = EXT2_INODE_SIZE(fs->super);
	char *first, *end;
	errcode_t ret;
	int rc;

	ret = ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)r->ibuf, isize);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while reading inode %u", r->name, ino);
	/* The scan found entries there: anything else is a change since. */
	rc = ibody_entries(fs, r->ibuf, &first, &end);
	rc = rc > 0 ? walk_entries(first, end, remap_ref, r) : WALK_BAD;
	if (rc)
		return e4_err_set(err, -EUCLEAN,
				  "%s: the xattrs of inode %u (was %u) changed during the shrink",
				  r->name, ino, old);
	ret = ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)r->ibuf, isize);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while writing inode %u", r->name, ino);
	return 0;
}

static int fix_block(struct shrink_run *r, blk64_t old, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	blk64_t blk = e4_shrink_map_block(r, old);
	errcode_t ret;
	int rc;

	if (!blk)
		blk = old;
	ret = ext2fs_read_ext_attr3(fs, blk, r->buf, 0);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while reading xattr block %llu",
				   r->name, (unsigned long long)blk);
	rc = walk_entries(r->buf + sizeof(struct ext2_ext_attr_header),
			  r->buf + fs->blocksize, remap_ref, r);
	if (rc)
		return e4_err_set(err, rc, "%s: xattr block %llu changed during the shrink",
				  r->name, (unsigned long long)blk);
	ret = ext2fs_write_ext_attr3(fs, blk, r->buf, 0);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while writing xattr block %llu",
				   r->name, (unsigned long long)blk);
	return 0;
}

int e4_shrink_fix_ea_refs(struct shrink_run *r, struct e4_err *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < r->ea.ninodes; i++)
		rc = fix_ibody(r, r->ea.inodes[i], err);
	for (i = 0; !rc && i < r->ea.nblocks; i++)
		rc = fix_block(r, r->ea.blocks[i], err);
	return rc;
}

void e4_shrink_ea_release(struct shrink_run *r)
{
	free(r->ea.inodes);
	free(r->ea.blocks);
	if (r->ea.seen)
		ext2fs_free_block_bitmap(r->ea.seen);
	memset(&r->ea, 0, sizeof(r->ea));
}
