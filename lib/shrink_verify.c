// SPDX-License-Identifier: GPL-2.0
/*
 * Before the first write of a shrink: everything the mover reads back on
 * its way, read now as it will read it then.  A checksum or a structure
 * that fails after the first write would stop the shrink half-way; one
 * that the mover rewrites would come out with a right checksum over
 * wrong contents, hiding the damage from the next e2fsck: the extent
 * tree blocks and directory blocks of a renumbered inode (their
 * checksums are seeded by its number), a moved xattr block (seeded by
 * the block's number).
 *
 *  - every inode in use: its checksum (the mover reads or rewrites each);
 *  - its block map, walked as the mover's ext2fs_block_iterate3 walks it:
 *    each extent tree node's header and checksum, the indirect blocks;
 *  - with inodes to renumber, every directory's blocks as
 *    ext2fs_dir_iterate reads them (entries and checksum): the commit
 *    rewrites the entries naming a renumbered inode, in any directory;
 *  - an xattr block that moves.
 * The gates (lib/gate.c) have checked the superblock, the descriptors and
 * the bitmaps already; lib/shrink_xattr.c the xattrs naming EA inodes.
 */
#include <errno.h>

#include "shrink_move.h"

static int no_block(ext2_filsys fs, blk64_t *blk, e2_blkcnt_t blockcnt,
		    blk64_t ref_blk, int ref_offset, void *priv)
{
	(void)fs;
	(void)blk;
	(void)blockcnt;
	(void)ref_blk;
	(void)ref_offset;
	(void)priv;
	return 0;
}

static int no_entry(struct ext2_dir_entry *d, int offset, int blocksize,
		    char *buf, void *priv)
{
	(void)d;
	(void)offset;
	(void)blocksize;
	(void)buf;
	(void)priv;
	return 0;
}

/* The refusal: what failed, libext2fs's reason, and e2fsck. */
static int damaged(const struct shrink_run *r, errcode_t ret,
		   struct e4_err *err, const char *what, unsigned long long id)
{
	int rc = e4_err_ext2(err, ret, "%s: unchanged: while reading %s %llu",
			     r->name, what, id);

	e4_err_append(err, "; run 'e2fsck -f %s'", r->name);
	return rc;
}

static int verify_inode(struct shrink_run *r, ext2_ino_t ino,
			struct ext2_inode *inode, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	blk64_t acl = ext2fs_file_acl_block(fs, inode);
	errcode_t ret = 0;

	if (LINUX_S_ISDIR(inode->i_mode) && r->inodes_total) {
		ret = ext2fs_dir_iterate(fs, ino, 0, NULL, no_entry, NULL);
		if (ret)
			return damaged(r, ret, err, "the blocks of directory", ino);
	} else if (ext2fs_inode_has_valid_blocks2(fs, inode)) {
		ret = ext2fs_block_iterate3(fs, ino, BLOCK_FLAG_READ_ONLY |
					    BLOCK_FLAG_DATA_ONLY, NULL,
					    no_block, NULL);
		if (ret)
			return damaged(r, ret, err, "the block map of inode", ino);
	}
	if (acl && e4_shrink_map_block(r, acl)) {
		ret = ext2fs_read_ext_attr3(fs, acl, r->buf, ino);
		if (ret)
			return damaged(r, ret, err, "the xattr block", acl);
	}
	return 0;
}

int e4_shrink_verify(struct shrink_run *r, struct e4_err *err)
{
	ext2_filsys fs = r->fs;
	ext2_inode_scan scan;
	struct ext2_inode inode;
	ext2_ino_t ino;
	errcode_t ret;
	int rc = 0;

	ret = ext2fs_open_inode_scan(fs, 0, &scan);
	if (ret)
		return e4_err_ext2(err, ret, "%s: while scanning inodes", r->name);
	while (!rc) {
		ret = ext2fs_get_next_inode(scan, &ino, &inode);
		if (ret && ret != EXT2_ET_INODE_CSUM_INVALID &&
		    ret != EXT2_ET_INODE_IS_GARBAGE) {
			rc = e4_err_ext2(err, ret, "%s: unchanged: while scanning inodes",
					 r->name);
			break;
		}
		if (!ino)
			break;
		if (ino == EXT2_RESIZE_INO ||
		    !ext2fs_test_inode_bitmap2(fs->inode_map, ino))
			continue;
		/* A bad checksum, or garbage, in an inode in use. */
		if (ret)
			rc = damaged(r, ret, err, "inode", ino);
		else
			rc = verify_inode(r, ino, &inode, err);
	}
	ext2fs_close_inode_scan(scan);
	return rc;
}
