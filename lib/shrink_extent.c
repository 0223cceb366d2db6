// SPDX-License-Identifier: GPL-2.0
/*
 * The extent tree blocks a shrink allocates.  The mover rewrites a file's
 * block map with ext2fs_block_iterate3, which remaps one block at a time
 * through ext2fs_extent_set_bmap: a moved block that does not continue
 * the extent before it becomes an extent of its own, the block after it
 * too when it was in the middle of an extent, and a leaf (or the four
 * slots of the inode) that is full is split, which takes a new block.
 * The plan reads every extent tree once (e4_shrink_ext_get) and, for a
 * candidate size, plays libext2fs's rules on the entry counts of each
 * node with the destinations the mover will choose (lib/shrink_dest.c):
 * the blocks counted here are the ones the mover allocates, and the plan
 * keeps them free before the first write.
 *
 * The rules, as libext2fs 1.47 applies them when a mapped block moves:
 * the first block of an extent joins the extent before it when it
 * continues it (logically and physically, same init state, and that one
 * shorter than the largest length less one), else it is inserted before;
 * the only block of an extent is replaced in place; the last block of an
 * extent is inserted after it (a join with the extent after is not
 * counted: it only saves an entry); a block in the middle inserts itself
 * and the rest after.  A full node splits in two halves, except at the
 * end of the file, where one entry moves; the inode's root moves whole
 * into a new block.  A full parent splits first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e4/array.h"
#include "shrink_priv.h"

#define MAX_LEVELS 8

void e4_shrink_ext_put(struct shrink_ext_facts *x)
{
	free(x->ext);
	free(x->node);
	free(x->file);
	memset(x, 0, sizeof(*x));
}

/* A node's header, checked as e2fsck would before trusting its counts. */
static int node_ok(void *buf, int size, unsigned int depth)
{
	struct ext3_extent_header *eh = buf;

	if (ext2fs_extent_header_verify(buf, size))
		return 0;
	return ext2fs_le16_to_cpu(eh->eh_depth) == depth;
}

/*
 * One file's tree, level by level from the root: its nodes top-down (the
 * root first) and its leaf extents in order.  Returns 0, -ENOMEM, or
 * -EUCLEAN with *bad the block that could not be read (0: the root).
 */
static int read_tree(ext2_filsys fs, struct ext2_inode *inode,
		     struct shrink_ext_facts *x, struct shrink_ext_file *file,
		     char *buf, blk64_t *bad)
{
	blk64_t *cur = NULL, *next = NULL;
	size_t ncur = 0, nnext = 0, ccap = 0, ncap = 0, i;
	struct ext3_extent_header *eh = (void *)inode->i_block;
	unsigned int depth = ext2fs_le16_to_cpu(eh->eh_depth), level;
	int rc = 0;

	*bad = 0;
	if (depth >= MAX_LEVELS || !node_ok(eh, sizeof(inode->i_block), depth))
		return -EUCLEAN;
	file->depth = depth;
	file->node = x->nnodes;
	file->ext = x->next;
	for (level = depth + 1; level-- > 0;) {
		nnext = 0;
		for (i = 0; i < (level == depth ? 1 : ncur); i++) {
			struct ext3_extent_header *h = eh;
			int k, entries;

			if (level != depth) {
				errcode_t ret = 0;

				/*
				 * Inside the filesystem, and no more nodes than
				 * it has blocks: a damaged index cannot make
				 * the walk read without end.
				 */
				if (cur[i] < fs->super->s_first_data_block ||
				    cur[i] >= ext2fs_blocks_count(fs->super) ||
				    x->nnodes - file->node >= ext2fs_blocks_count(fs->super))
					ret = EXT2_ET_BAD_BLOCK_NUM;
				if (!ret)
					ret = io_channel_read_blk64(fs->io, cur[i], 1, buf);
				h = (void *)buf;
				if (ret || !node_ok(buf, fs->blocksize, level)) {
					*bad = cur[i];
					rc = -EUCLEAN;
					goto out;
				}
			}
			entries = ext2fs_le16_to_cpu(h->eh_entries);
			rc = e4_array_room(&x->node, x->nnodes, &x->ncap,
					   sizeof(*x->node), 64);
			if (rc)
				goto out;
			x->node[x->nnodes++] = (struct shrink_node){
				entries, ext2fs_le16_to_cpu(h->eh_max) };
			for (k = 0; k < entries; k++) {
				if (level) {
					struct ext3_extent_idx *ix = EXT_FIRST_INDEX(h) + k;

					rc = e4_array_room(&next, nnext, &ncap,
							   sizeof(*next), 64);
					if (rc)
						goto out;
					next[nnext++] = ext2fs_le32_to_cpu(ix->ei_leaf) +
						((blk64_t)ext2fs_le16_to_cpu(ix->ei_leaf_hi) << 32);
				} else {
					struct ext3_extent *ex = EXT_FIRST_EXTENT(h) + k;
					uint32_t len = ext2fs_le16_to_cpu(ex->ee_len);
					bool uninit = len > EXT_INIT_MAX_LEN;

					rc = e4_array_room(&x->ext, x->next, &x->ecap,
							   sizeof(*x->ext), 64);
					if (rc)
						goto out;
					x->ext[x->next++] = (struct shrink_ext){
						ext2fs_le32_to_cpu(ex->ee_block),
						ext2fs_le32_to_cpu(ex->ee_start) +
						((blk64_t)ext2fs_le16_to_cpu(ex->ee_start_hi) << 32),
						uninit ? len - EXT_INIT_MAX_LEN : len, uninit };
				}
			}
		}
		/* The next level's blocks become the current ones. */
		{
			blk64_t *t = cur;
			size_t tc = ccap;

			cur = next;
			ccap = ncap;
			ncur = nnext;
			next = t;
			ncap = tc;
		}
	}
	file->nnodes = x->nnodes - file->node;
	file->next = x->next - file->ext;
out:
	free(cur);
	free(next);
	return rc;
}

/* Whether an extent has a block at or past first. */
static bool reaches(const struct shrink_ext *e, blk64_t first)
{
	return e->len && e->pblk + e->len - 1 >= first;
}

int e4_shrink_ext_get(ext2_filsys fs, blk64_t first,
		      struct shrink_ext_facts *x, struct e4_err *err)
{
	ext2_inode_scan scan;
	struct ext2_inode inode;
	struct shrink_ext_file file;
	ext2_ino_t ino;
	blk64_t bad;
	errcode_t ret;
	char *buf;
	size_t i;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	if (!ext2fs_has_feature_extents(fs->super))
		return 0;
	buf = malloc(fs->blocksize);
	if (!buf)
		return e4_err_sys(err, -ENOMEM, "%s", fs->device_name);
	ret = ext2fs_open_inode_scan(fs, 0, &scan);
	if (ret) {
		free(buf);
		return e4_err_ext2(err, ret, "%s: while scanning inodes",
				   fs->device_name);
	}
	for (;;) {
		ret = ext2fs_get_next_inode(scan, &ino, &inode);
		if (ret == EXT2_ET_INODE_CSUM_INVALID ||
		    ret == EXT2_ET_INODE_IS_GARBAGE)
			ret = 0;
		if (ret) {
			rc = e4_err_ext2(err, ret, "%s: while scanning inodes",
					 fs->device_name);
			break;
		}
		if (!ino)
			break;
		if (ino == EXT2_RESIZE_INO ||
		    !ext2fs_test_inode_bitmap2(fs->inode_map, ino) ||
		    !(inode.i_flags & EXT4_EXTENTS_FL) ||
		    !ext2fs_inode_has_valid_blocks2(fs, &inode))
			continue;
		memset(&file, 0, sizeof(file));
		file.ino = ino;
		rc = read_tree(fs, &inode, x, &file, buf, &bad);
		if (rc == -EUCLEAN) {
			if (bad)
				e4_err_set(err, rc, "%s: the extent tree of inode %u cannot be read (block %llu); run 'e2fsck -f %s'",
					   fs->device_name, ino,
					   (unsigned long long)bad, fs->device_name);
			else
				e4_err_set(err, rc, "%s: the extent tree of inode %u cannot be read (its root in the inode); run 'e2fsck -f %s'",
					   fs->device_name, ino, fs->device_name);
			break;
		}
		if (rc) {
			e4_err_sys(err, rc, "%s", fs->device_name);
			break;
		}
		for (i = 0; i < file.next; i++)
			if (reaches(&x->ext[file.ext + i], first))
				break;
		if (i == file.next) {
			/* Nothing of it can move: forget it. */
			x->next = file.ext;
			x->nnodes = file.node;
			continue;
		}
		rc = e4_array_room(&x->file, x->nfiles, &x->fcap,
				   sizeof(*x->file), 64);
		if (rc) {
			e4_err_sys(err, rc, "%s", fs->device_name);
			break;
		}
		x->file[x->nfiles++] = file;
	}
	ext2fs_close_inode_scan(scan);
	free(buf);
	if (rc)
		e4_shrink_ext_put(x);
	return rc;
}

/* --- the simulation ------------------------------------------------------ */

struct level {
	uint32_t *cnt, *max;
	size_t n, cap;
};

struct sim {
	struct level lv[MAX_LEVELS];	/* 0: leaves; h: the root */
	unsigned int h;
	uint32_t blkmax;
	uint64_t blocks;
};

static void sim_free(struct sim *s)
{
	unsigned int k;

	for (k = 0; k < MAX_LEVELS; k++) {
		free(s->lv[k].cnt);
		free(s->lv[k].max);
	}
}

/* Insert a node of cnt entries at position j of a level. */
static int lv_insert(struct level *l, size_t j, uint32_t cnt, uint32_t max)
{
	/* Both arrays grow from l->cap, to the same capacity. */
	size_t ccap = l->cap, mcap = l->cap;

	if (e4_array_room(&l->cnt, l->n, &ccap, sizeof(*l->cnt), 16) ||
	    e4_array_room(&l->max, l->n, &mcap, sizeof(*l->max), 16))
		return -ENOMEM;
	l->cap = ccap;
	memmove(l->cnt + j + 1, l->cnt + j, (l->n - j) * sizeof(*l->cnt));
	memmove(l->max + j + 1, l->max + j, (l->n - j) * sizeof(*l->max));
	l->cnt[j] = cnt;
	l->max[j] = max;
	l->n++;
	return 0;
}

/* The node of level k holding its entry e, and the entries at that level. */
static size_t node_of(const struct level *l, uint64_t e, uint64_t *total)
{
	uint64_t sum = 0;
	size_t j, hit = l->n ? l->n - 1 : 0;
	bool found = false;

	for (j = 0; j < l->n; j++) {
		if (!found && e < sum + l->cnt[j]) {
			hit = j;
			found = true;
		}
		sum += l->cnt[j];
	}
	if (total)
		*total = sum;
	return hit;
}

/* extent_node_split() on the node of level k holding entry cur. */
static int split(struct sim *s, unsigned int k, uint64_t cur)
{
	struct level *l = &s->lv[k];
	uint64_t total;
	uint32_t c, tocopy;
	size_t j, pj;
	int rc;

	if (k == s->h) {
		/* The root moves whole into a new block under a new root. */
		uint32_t rmax = l->max[0];

		if (s->h + 1 >= MAX_LEVELS)
			return -E2BIG;
		l->max[0] = s->blkmax;
		rc = lv_insert(&s->lv[k + 1], 0, 1, rmax);
		if (rc)
			return rc;
		s->h++;
		s->blocks++;
		return 0;
	}
	j = node_of(l, cur, &total);
	pj = node_of(&s->lv[k + 1], j, NULL);
	if (s->lv[k + 1].cnt[pj] >= s->lv[k + 1].max[pj]) {
		rc = split(s, k + 1, j);
		if (rc)
			return rc;
	}
	c = l->cnt[j];
	/* At the end of the file one entry moves, else half of them. */
	tocopy = cur + 1 == total ? 1 : c / 2;
	l->cnt[j] = c - tocopy;
	rc = lv_insert(l, j + 1, tocopy, s->blkmax);
	if (rc)
		return rc;
	pj = node_of(&s->lv[k + 1], j, NULL);
	s->lv[k + 1].cnt[pj]++;
	s->blocks++;
	return 0;
}

/* ext2fs_extent_insert() before or after leaf entry cur. */
static int insert(struct sim *s, uint64_t cur)
{
	size_t j = node_of(&s->lv[0], cur, NULL);
	int rc;

	if (s->lv[0].cnt[j] >= s->lv[0].max[j]) {
		rc = split(s, 0, cur);
		if (rc)
			return rc;
		j = node_of(&s->lv[0], cur, NULL);
	}
	s->lv[0].cnt[j]++;
	return 0;
}

/* The tree of a file as read: its nodes are stored top-down. */
static int sim_load(struct sim *s, const struct shrink_ext_facts *x,
		    const struct shrink_ext_file *f)
{
	size_t i = f->node, n = 1;
	unsigned int k;
	int rc;

	s->h = f->depth;
	for (k = f->depth + 1; k-- > 0;) {
		size_t j, below = 0;

		for (j = 0; j < n; j++, i++) {
			if (i >= f->node + f->nnodes)
				return -EUCLEAN;
			rc = lv_insert(&s->lv[k], s->lv[k].n, x->node[i].entries,
				       x->node[i].max);
			if (rc)
				return rc;
			below += x->node[i].entries;
		}
		n = below;
	}
	return 0;
}

struct piece {
	blk64_t lend, pend;	/* the blocks after its last */
	uint32_t len;
	bool uninit, have;
};

/* Play the remapping of one file; s->blocks counts the splits. */
static int sim_file(struct sim *s, const struct shrink_ext_facts *x,
		    const struct shrink_ext_file *f,
		    const struct shrink_runs *rs)
{
	struct piece prev = { 0 };
	uint64_t idx = 0;
	size_t i;
	int rc;

	for (i = 0; i < f->next; i++) {
		const struct shrink_ext *e = &x->ext[f->ext + i];
		blk64_t a = e->lblk, b = e->lblk + e->len - 1, L, rem = a;
		uint32_t maxl = e->uninit ? EXT_UNINIT_MAX_LEN : EXT_INIT_MAX_LEN;
		uint64_t ri = idx, last = idx;

		for (L = a; e->len && L <= b; L++) {
			blk64_t D = e4_shrink_runs_find(rs, e->pblk + (L - a));

			if (!D)
				continue;
			if (L == rem && L == b) {
				/* The only block left: replaced in place. */
			} else if (L == rem) {
				if (prev.have && prev.lend == L && prev.pend == D &&
				    prev.uninit == e->uninit && prev.len < maxl - 1) {
					prev.lend++;
					prev.pend++;
					prev.len++;
					rem = L + 1;
					continue;
				}
				rc = insert(s, ri);
				if (rc)
					return rc;
				ri++;
				last = ri;
			} else if (L == b) {
				rc = insert(s, ri);
				if (rc)
					return rc;
				last = ri + 1;
			} else {
				rc = insert(s, ri);
				if (!rc)
					rc = insert(s, ri + 1);
				if (rc)
					return rc;
				ri += 2;
				last = ri;
			}
			prev = (struct piece){ L + 1, D + 1, 1, e->uninit, true };
			rem = L + 1;
		}
		if (e->len && rem <= b)
			prev = (struct piece){ b + 1, e->pblk + e->len,
					       (uint32_t)(b - rem + 1), e->uninit,
					       true };
		idx = last + 1;
	}
	return 0;
}

/* Whether a run moves a block of extent e. */
static bool moves(const struct shrink_runs *rs, const struct shrink_ext *e)
{
	size_t lo = 0, hi = rs->n;

	if (!e->len)
		return false;
	/* The first run ending after the extent's first block. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rs->v[mid].src + rs->v[mid].len <= e->pblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rs->n && rs->v[lo].src < e->pblk + e->len;
}

int e4_shrink_ext_blocks(ext2_filsys fs, const struct shrink_ext_facts *x,
			 const struct shrink_runs *rs, uint64_t *blocks)
{
	size_t i, k;
	int rc = 0;

	*blocks = 0;
	for (i = 0; i < x->nfiles && !rc; i++) {
		const struct shrink_ext_file *f = &x->file[i];
		struct sim s = { .blkmax = (fs->blocksize -
					    sizeof(struct ext3_extent_header)) /
					   sizeof(struct ext3_extent) };

		for (k = 0; k < f->next; k++)
			if (moves(rs, &x->ext[f->ext + k]))
				break;
		if (k == f->next)
			continue;
		rc = sim_load(&s, x, f);
		if (!rc)
			rc = sim_file(&s, x, f, rs);
		*blocks += s.blocks;
		sim_free(&s);
	}
	return rc;
}
