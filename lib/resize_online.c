// SPDX-License-Identifier: GPL-2.0
/*
 * Online grow: the execution of a plan (lib/resize_plan.c) through the
 * kernel's ioctls, EXT4_IOC_RESIZE_FS in the plan's steps or the pre-3.3
 * GROUP_EXTEND + GROUP_ADD pair.  A failed ioctl is explained by
 * lib/resize_explain.c.  The kernel's block count is read through the
 * page cache after every ioctl (see lib/resize_facts.c for why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "resize_priv.h"

#define EXT4_MAGIC 0xEF53

static int refresh(struct e4_resize_online_run *r, struct e4_err *err)
{
	int ret = e4_resize_live_blocks(r->devfd, &r->reached);

	if (ret)
		return e4_err_sys(err, ret, "%s: while re-reading the superblock",
				  e4_target_name(r->t));
	e4_job_progress(r->job, r->reached - r->plan->old_blocks,
			r->plan->new_blocks - r->plan->old_blocks);
	return 0;
}

static int interrupted(struct e4_resize_online_run *r, struct e4_err *err)
{
	return e4_err_set(err, -EINTR,
			  "interrupted; filesystem consistent at %llu blocks",
			  (unsigned long long)r->reached);
}

/* RESIZE_FS to each step's size; -ENOTTY untouched for the fallback. */
static int run_resize_fs(struct e4_resize_online_run *r, uint32_t fdb, struct e4_err *err)
{
	uint64_t target, before;
	int ret;

	while (r->reached < r->plan->new_blocks) {
		__u64 n;

		if (e4_job_cancelled(r->job))
			return interrupted(r, err);
		target = e4_resize_next_step(r->plan, fdb, r->reached);
		n = target;
		before = r->reached;
		if (ioctl(r->mfd, EXT4_IOC_RESIZE_FS, &n)) {
			int e = errno;

			if (e == ENOTTY && r->reached == r->plan->old_blocks)
				return -ENOTTY;
			refresh(r, NULL);
			if (e == EINTR)
				return interrupted(r, err);
			return e4_resize_explain(r, e, "RESIZE_FS", target, err);
		}
		ret = refresh(r, err);
		if (ret)
			return ret;
		r->done = r->reached;
		/* A kernel that stops short (trimming a last group we thought
		 * large enough) must not make us loop. */
		if (r->reached <= before || r->reached < target)
			break;
	}
	return 0;
}

/* GROUP_EXTEND to the end of the last group, then one GROUP_ADD per new
 * group with the group's own metadata at its start, as the kernel's
 * verify_group_input wants it. */
static int run_legacy(struct e4_resize_online_run *r, ext2_filsys fs, struct e4_err *err)
{
	struct ext2_super_block *sb = fs->super;
	uint64_t new = r->plan->new_blocks, bpg, end, g;
	struct e4_geom geom;
	int ret;

	e4_geom_from_fs(fs, &geom);
	bpg = geom.blocks_per_group;
	end = e4_geom_group_start(&geom, e4_geom_groups(&geom, r->reached));
	if (r->reached < end && r->reached < new) {
		unsigned long n = new < end ? new : end;

		if (ioctl(r->mfd, EXT2_IOC_GROUP_EXTEND, &n))
			return e4_resize_explain(r, errno, "GROUP_EXTEND", n, err);
		ret = refresh(r, err);
		if (ret)
			return ret;
		r->done = r->reached;
	}
	for (g = e4_geom_groups(&geom, r->reached); r->reached < new; g++) {
		/* The kernel copies its 48-byte ext4_new_group_data from
		 * this pointer, not the 40 bytes of the input struct. */
		union {
			struct ext4_new_group_input in;
			unsigned char room[64];
		} u;
		uint64_t start = e4_geom_group_start(&geom, g), count;
		blk64_t super, old_desc, new_desc;
		blk_t used = 0;

		if (e4_job_cancelled(r->job))
			return interrupted(r, err);
		if (r->reached != start)
			return e4_err_set(err, -EIO,
					  "%s: expected %llu blocks before adding group %llu, the kernel has %llu",
					  e4_target_name(r->t), (unsigned long long)start,
					  (unsigned long long)g, (unsigned long long)r->reached);
		count = new - start < bpg ? new - start : bpg;
		ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc, &used);
		memset(&u, 0, sizeof(u));
		u.in.group = g;
		u.in.block_bitmap = start + used;
		u.in.inode_bitmap = start + used + 1;
		u.in.inode_table = start + used + 2;
		u.in.blocks_count = count;
		/* Keep the filesystem's reserved ratio, within the kernel's
		 * limit of a fifth of the group. */
		u.in.reserved_blocks = ext2fs_blocks_count(sb) ?
			count * ext2fs_r_blocks_count(sb) / ext2fs_blocks_count(sb) : 0;
		if (u.in.reserved_blocks > count / 5)
			u.in.reserved_blocks = count / 5;
		if (ioctl(r->mfd, EXT4_IOC_GROUP_ADD, &u))
			return e4_resize_explain(r, errno, "GROUP_ADD", start + count, err);
		ret = refresh(r, err);
		if (ret)
			return ret;
		r->done = r->reached;
	}
	return 0;
}

int e4_resize_online(const struct e4_fs *efs, const struct e4_resize_plan *plan,
		     const struct e4_job *job, uint64_t *reached,
		     struct e4_err *err)
{
	const struct e4_target *t = e4_fs_target(efs);
	const char *name = e4_target_name(t);
	struct e4_resize_online_run r = { .t = t, .plan = plan, .job = job, .mfd = -1, .devfd = -1,
			 .kmsg = -1 };
	struct e4_resize_plan legacy;
	struct e4_geom geom;
	struct statfs sfs;
	struct stat st;
	ext2_filsys fs = NULL;
	int ret;

	*reached = plan->old_blocks;
	if (plan->nrefusals)
		return e4_err_set(err, plan->refusals[0].code, "%s: %s", name,
				  plan->refusals[0].msg);
	if (!t->mounted)
		return e4_err_set(err, -EINVAL, "%s: not mounted; use the offline resize",
				  name);
	r.mfd = open(t->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.mfd < 0)
		return e4_err_sys(err, -errno, "%s", t->mountpoint);
	if (fstatfs(r.mfd, &sfs)) {
		ret = e4_err_sys(err, -errno, "%s", t->mountpoint);
		goto out_close;
	}
	if (sfs.f_type != EXT4_MAGIC) {
		ret = e4_err_set(err, -EMEDIUMTYPE,
				 "%s: not an ext4 filesystem (statfs type 0x%lx); unmount it and use the offline resize",
				 t->mountpoint, (unsigned long)sfs.f_type);
		goto out_close;
	}
	if (fstat(r.mfd, &st)) {
		ret = e4_err_sys(err, -errno, "%s", t->mountpoint);
		goto out_close;
	}
	if (st.st_dev != t->devno) {
		ret = e4_err_set(err, -EXDEV,
				 "%s: %s is no longer the filesystem of %s (it changed since it was resolved); run the command again",
				 name, t->mountpoint, t->device);
		goto out_close;
	}
	r.devfd = open(t->device, O_RDONLY | O_CLOEXEC);
	if (r.devfd < 0) {
		ret = e4_err_sys(err, -errno, "%s", t->device);
		goto out_close;
	}
	ret = e4_resize_live_open(t, &fs, err);
	if (ret)
		goto out_close;
	ret = e4_resize_live_blocks(r.devfd, &r.reached);
	if (ret) {
		ret = e4_err_sys(err, ret, "%s: while reading the superblock", name);
		goto out_close;
	}
	*reached = r.reached;
	r.done = r.reached;
	r.kmsg = e4_resize_kmsg_open();
	if (r.reached != plan->old_blocks) {
		ret = e4_err_set(err, -ESTALE,
				 "%s: the filesystem has %llu blocks, not the %llu planned for; someone else resized it: run the command again",
				 name, (unsigned long long)r.reached,
				 (unsigned long long)plan->old_blocks);
		goto out_close;
	}
	if (!plan->legacy) {
		ret = run_resize_fs(&r, fs->super->s_first_data_block, err);
		if (ret != -ENOTTY)
			goto out_close;
		/* A kernel before 3.3: the legacy path, if it can do this. */
		legacy = *plan;
		legacy.nrefusals = 0;
		e4_geom_from_fs(fs, &geom);
		e4_resize_legacy_refusals(&geom, &legacy);
		if (legacy.nrefusals) {
			ret = e4_err_set(err, legacy.refusals[0].code,
					 "%s: this kernel lacks EXT4_IOC_RESIZE_FS, and the legacy ioctls cannot do it: %s",
					 name, legacy.refusals[0].msg);
			goto out_close;
		}
		r.plan = &legacy;
	}
	ret = run_legacy(&r, fs, err);
out_close:
	if (fs)
		ext2fs_close_free(&fs);
	if (r.kmsg >= 0)
		close(r.kmsg);
	if (r.devfd >= 0)
		close(r.devfd);
	close(r.mfd);
	*reached = r.reached;
	return ret;
}
