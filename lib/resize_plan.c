// SPDX-License-Identifier: GPL-2.0
/*
 * The resize plan: a pure function of the facts (lib/resize_facts.c) and
 * the request.  It chooses the method (online RESIZE_FS in one call or
 * in steps, the legacy GROUP_EXTEND + GROUP_ADD pair, offline grow, or
 * offline shrink, planned by lib/shrink_plan.c), computes the
 * geometry after the resize through lib/geom.c, and lists every reason
 * the kernel or the engine would refuse it, before anything is written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "e4/growth.h"
#include "e4/shrink.h"
#include "resize_priv.h"

/*
 * A new last group smaller than its own metadata plus this many blocks is
 * not worth having: an offline grow trims the size back to the group's
 * start, as resize2fs does, so that both tools agree on the result.
 */
#define LAST_GROUP_SLACK 50

void e4_resize_refuse(struct e4_resize_plan *plan, int code, const char *fmt, ...)
{
	va_list ap;
	int i = plan->nrefusals;

	if (i >= E4_PLAN_MAX_REFUSALS)
		return;
	plan->refusals[i].code = code;
	va_start(ap, fmt);
	vsnprintf(plan->refusals[i].msg, sizeof(plan->refusals[i].msg), fmt, ap);
	va_end(ap);
	plan->nrefusals++;
}

#define refuse e4_resize_refuse

uint64_t e4_resize_next_step(const struct e4_resize_plan *plan, uint32_t fdb,
			     uint64_t cur)
{
	uint64_t next;

	if (!plan->step_blocks)
		return plan->new_blocks;
	next = ((cur - fdb) / plan->step_blocks + 1) * plan->step_blocks + fdb;
	return next < plan->new_blocks ? next : plan->new_blocks;
}

/* Step sizes are multiples of a flex group, so every intermediate size
 * ends on a flex-group boundary. */
static void plan_steps(const struct e4_geom *g, uint64_t step_blocks,
		       struct e4_resize_plan *plan)
{
	uint64_t flex = e4_geom_flex_blocks(g), grow, cur;

	plan->step_blocks = 0;
	plan->steps = plan->new_blocks > plan->old_blocks ? 1 : 0;
	if (plan->new_blocks <= plan->old_blocks || !step_blocks)
		return;
	grow = plan->new_blocks - plan->old_blocks;
	if (step_blocks == E4_RESIZE_STEP_AUTO) {
		/* Worth stepping only when there are several flex groups to
		 * add; then about eight steps. */
		if (grow < 4 * flex)
			return;
		step_blocks = grow / 8;
	}
	plan->step_blocks = (step_blocks + flex - 1) / flex * flex;
	plan->steps = 0;
	for (cur = plan->old_blocks; cur < plan->new_blocks;
	     cur = e4_resize_next_step(plan, g->first_data_block, cur))
		plan->steps++;
	if (plan->steps <= 1)
		plan->step_blocks = 0;
}

static int limit_code(enum e4_grow_limit limit)
{
	switch (limit) {
	case E4_GROW_DEVICE:
		return -ENOSPC;
	case E4_GROW_SPARSE_SUPER2:
		return -EOPNOTSUPP;
	case E4_GROW_32BIT:
		return -EFBIG;
	case E4_GROW_RESERVED_GDT:
	case E4_GROW_DESC_BLOCKS:
		return -EPERM;
	case E4_GROW_INODES:
	case E4_GROW_FEATURES:
	default:
		return -EINVAL;
	}
}

void e4_resize_state_refusals(const struct e4_resize_facts *f,
			      struct e4_resize_plan *plan)
{
	const struct e4_target *t = f->t;
	bool errors = f->state & EXT2_ERROR_FS;

	if (!f->cap_sys_resource)
		refuse(plan, -EPERM,
		       "this process lacks CAP_SYS_RESOURCE, which the kernel requires for online resize; run it as root with full capabilities");
	if (errors || f->errors_count)
		refuse(plan, -EPERM,
		       "the filesystem has errors recorded%s; the kernel refuses to resize it: unmount it and run 'e2fsck -f %s'",
		       errors ? "" : " (errors_count in /sys/fs/ext4)", t->device);
	if (f->mount_sb && f->mount_sb != 1)
		refuse(plan, -EPERM,
		       "mounted from the backup superblock (sb=%llu); the kernel resizes only from the primary: unmount, run 'e2fsck -f %s', and mount it normally",
		       (unsigned long long)f->mount_sb, t->device);
	if (t->readonly || f->mount_readonly)
		refuse(plan, -EROFS,
		       "%s is mounted read-only; remount it read-write first: mount -o remount,rw %s",
		       t->mountpoint, t->mountpoint);
	if (!f->geom.resize_inode && f->geom.reserved_gdt_blocks)
		refuse(plan, -EUCLEAN,
		       "reserved GDT blocks without the resize_inode feature; the kernel calls this corruption: run 'e2fsck -f %s'",
		       t->device);
}

/*
 * The filesystem's own last group is under the kernel's minimum for a last
 * group: a grow within it is trimmed below the current size, which
 * ext4_resize_fs refuses as a shrink (EINVAL).  Neither mke2fs nor the
 * kernel makes such a filesystem, but a tool with other rules may have.
 */
void e4_resize_small_last_group(const struct e4_geom *g, uint64_t target,
				struct e4_resize_plan *plan)
{
	uint64_t cur = g->blocks, last = e4_geom_groups(g, cur) - 1;
	uint64_t next = e4_geom_group_start(g, last + 1);

	refuse(plan, -EINVAL,
	       "the filesystem's last group (group %llu, %llu blocks) is smaller than the kernel's minimum for a last group, so the kernel cuts %llu blocks back to the start of that group and refuses that as a shrink: ask for more than %llu blocks, or grow it offline",
	       (unsigned long long)last,
	       (unsigned long long)(cur - e4_geom_group_start(g, last)),
	       (unsigned long long)target, (unsigned long long)next);
}

/*
 * ext4 has no online shrink.  The minimum for the message comes from the
 * shrink plan on the device as read (the kernel's bitmaps may be ahead of
 * the disk's, so it is a hint for after the unmount).
 */
static void mounted_shrink(const struct e4_resize_facts *f,
			   struct e4_resize_plan *plan)
{
	struct e4_err err = { 0 };
	uint64_t min = 0;
	char why[96] = "";

	if (f->fs && !e4_shrink_minimum(f->fs, &min, &err))
		snprintf(why, sizeof(why), " (minimum size: %llu blocks)",
			 (unsigned long long)min);
	plan->min_blocks = min;
	refuse(plan, -EINVAL,
	       "ext4 cannot shrink while mounted (%llu -> %llu blocks); unmount it and run e4ctl resize again%s",
	       (unsigned long long)plan->old_blocks,
	       (unsigned long long)plan->new_blocks, why);
}

static void size_refusals(const struct e4_resize_facts *f,
			  struct e4_resize_plan *plan)
{
	const struct e4_geom *geom = &f->geom;
	uint64_t bs = geom->block_size, dev_blocks = f->t->size / bs;
	bool mbr = f->kernel_meta_bg_resize;
	struct e4_growth g;

	if (plan->new_blocks < plan->old_blocks) {
		mounted_shrink(f, plan);
		return;
	}
	if (plan->new_blocks == plan->old_blocks)
		return;
	if (plan->new_blocks > dev_blocks) {
		refuse(plan, -ENOSPC,
		       "the device %s is only %llu bytes (%llu blocks); %llu blocks need %llu bytes",
		       f->t->device, (unsigned long long)f->t->size,
		       (unsigned long long)dev_blocks,
		       (unsigned long long)plan->new_blocks,
		       (unsigned long long)(plan->new_blocks * bs));
		return;
	}
	/* The limit for a device ending at the new size is what the kernel
	 * reaches for that size (it trims a too-small last group). */
	e4_growth_limit_geom(geom, plan->new_blocks, mbr, f->kernel_converts_any, &g);
	plan->meta_bg_conversion = g.meta_bg_conversion;
	if (g.limit != E4_GROW_DEVICE && g.max_blocks < plan->new_blocks) {
		refuse(plan, limit_code(g.limit), "%s (at most %llu blocks)",
		       g.why, (unsigned long long)g.max_blocks);
		return;
	}
	if (g.max_blocks <= plan->old_blocks) {
		if (e4_geom_kernel_trim(geom, plan->new_blocks, mbr,
					f->kernel_converts_any) < plan->old_blocks) {
			e4_resize_small_last_group(geom, plan->new_blocks, plan);
			return;
		}
		/* The kernel drops the too small last group, is back at the
		 * current size and answers 0 (as resize2fs): nothing to do. */
		plan->new_blocks = plan->old_blocks;
		plan->meta_bg_conversion = false;
		return;
	}
	plan->new_blocks = g.max_blocks;
}

void e4_resize_legacy_refusals(const struct e4_geom *g,
			       struct e4_resize_plan *plan)
{
	uint64_t room;

	plan->legacy = true;
	plan->method = E4_RESIZE_ONLINE_LEGACY;
	plan->meta_bg_conversion = false;
	/* GROUP_ADD has no steps of its own: one group per ioctl, after a
	 * GROUP_EXTEND when the last group is partial. */
	plan->step_blocks = 0;
	plan->steps = 0;
	if (plan->new_blocks <= plan->old_blocks)
		return;
	plan->steps = plan->new_groups - plan->old_groups;
	if ((plan->old_blocks - g->first_data_block) % g->blocks_per_group)
		plan->steps++;
	if (g->bigalloc)
		refuse(plan, -EOPNOTSUPP,
		       "the legacy GROUP_EXTEND/GROUP_ADD ioctls do not support bigalloc; use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls)");
	/* ext4_group_add checks this first: a group that starts a
	 * descriptor block, without sparse_super. */
	if (!g->sparse_super && plan->new_desc_blocks > plan->old_desc_blocks)
		refuse(plan, -EPERM,
		       "without sparse_super the kernel's GROUP_ADD cannot add group %llu, the first of a new descriptor block (\"Can't resize non-sparse filesystem further\"); use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls)",
		       (unsigned long long)(plan->old_desc_blocks * g->desc_per_block));
	room = g->resize_inode ? g->reserved_gdt_blocks : 0;
	if (plan->new_desc_blocks > plan->old_desc_blocks + room)
		refuse(plan, -EPERM,
		       "no reserved GDT blocks left for %llu more descriptor blocks (%llu reserved): GROUP_ADD cannot grow this far; use EXT4_IOC_RESIZE_FS (drop --legacy-ioctls)",
		       (unsigned long long)(plan->new_desc_blocks - plan->old_desc_blocks),
		       (unsigned long long)room);
	if (plan->new_blocks > 0xFFFFFFFFULL)
		refuse(plan, -EFBIG,
		       "GROUP_EXTEND takes a 32-bit block count; %llu blocks need EXT4_IOC_RESIZE_FS",
		       (unsigned long long)plan->new_blocks);
}

static void plan_online(const struct e4_resize_facts *f,
			const struct e4_resize_request *req,
			struct e4_resize_plan *plan)
{
	const struct e4_geom *g = &f->geom;

	plan->method = E4_RESIZE_ONLINE;
	plan->online = true;
	e4_resize_state_refusals(f, plan);
	size_refusals(f, plan);

	plan->new_groups = e4_geom_groups(g, plan->new_blocks);
	plan->new_desc_blocks = e4_geom_desc_blocks(g, plan->new_groups);
	if (g->meta_bg)
		plan->reserved_gdt_covers = true;
	else
		plan->reserved_gdt_covers = plan->new_desc_blocks <=
			plan->old_desc_blocks + g->reserved_gdt_blocks;
	plan->new_inodes = (uint64_t)plan->new_groups * g->inodes_per_group;
	if (plan->new_blocks <= plan->old_blocks) {
		plan->new_groups = plan->old_groups;
		plan->new_desc_blocks = plan->old_desc_blocks;
		plan->new_inodes = plan->old_inodes;
	}
	plan_steps(g, req->step_blocks, plan);
	if (req->legacy)
		e4_resize_legacy_refusals(g, plan);
}

/*
 * The gates of lib/gate.c: --force passes the soft ones (the e2fsck
 * state), never the hard ones (bad checksums, impossible counts).
 */
static void gate_refusals(const struct e4_resize_facts *f,
			  const struct e4_resize_request *req,
			  struct e4_resize_plan *plan)
{
	char buf[sizeof(plan->refusals[0].msg)];
	size_t i;

	for (i = 0; i < f->gates.n; i++) {
		const struct e4_gate_finding *gf = &f->gates.findings[i];

		if (!e4_gate_refuses(gf, req->force))
			continue;
		e4_gate_refusal(gf, e4_target_name(f->t), buf, sizeof(buf));
		refuse(plan, -EUCLEAN, "%s", buf);
	}
}

/*
 * Offline shrink: lib/shrink_plan.c places every block and inode that
 * lies past the new end (reading the bitmaps and inodes through the
 * facts' read-only handle, writing nothing), counts what moves and the
 * exact minimum, and refuses what it cannot move.
 */
static void plan_shrink(const struct e4_resize_facts *f,
			struct e4_resize_plan *plan)
{
	struct e4_err err = { 0 };

	plan->method = E4_RESIZE_OFFLINE_SHRINK;
	plan->steps = 1;
	if (!f->fs) {
		refuse(plan, -EOPNOTSUPP,
		       "a shrink is planned from the filesystem's bitmaps, which were not read");
		return;
	}
	if (e4_shrink_plan(f->fs, plan->new_blocks, plan, &err))
		refuse(plan, -EIO, "%s", err.msg);
}

static void plan_offline(const struct e4_resize_facts *f,
			 const struct e4_resize_request *req,
			 struct e4_resize_plan *plan)
{
	const struct e4_geom *g = &f->geom;
	const struct e4_target *t = f->t;
	uint64_t n = plan->new_blocks;
	struct e4_geom_layout l;

	plan->method = E4_RESIZE_OFFLINE_GROW;
	plan->online = false;
	plan->steps = 1;
	if (n < g->blocks) {
		plan_shrink(f, plan);
		gate_refusals(f, req, plan);
		return;
	}
	n = e4_geom_offline_trim(g, n, LAST_GROUP_SLACK, &l);

	plan->new_blocks = n;
	plan->new_groups = l.groups;
	plan->new_desc_blocks = l.desc_blocks;
	plan->reserved_gdt_covers = !l.to_meta_bg;
	plan->meta_bg_conversion = l.to_meta_bg;
	plan->new_inodes = l.inodes;

	if (!g->is_64bit && n > 0xFFFFFFFFULL)
		refuse(plan, -EFBIG,
		       "without the 64bit feature a filesystem has at most 4294967295 blocks (%llu requested)",
		       (unsigned long long)n);
	if (l.inodes > 0xFFFFFFFFULL)
		refuse(plan, -EOVERFLOW,
		       "%u groups of %u inodes would pass the limit of 4294967295 inodes",
		       l.groups, g->inodes_per_group);
	if (g->resize_inode && g->meta_bg)
		refuse(plan, -EUCLEAN,
		       "resize_inode and meta_bg are both set, which is invalid; run e2fsck first");
	if (t->is_blockdev && n * (uint64_t)g->block_size > t->size)
		refuse(plan, -ENOSPC,
		       "the device has %llu bytes, %llu blocks of %u need %llu",
		       (unsigned long long)t->size, (unsigned long long)n,
		       g->block_size,
		       (unsigned long long)(n * (uint64_t)g->block_size));
	/*
	 * Moving a backup out of a bigalloc cluster that other metadata
	 * may share needs care this engine does not take yet.
	 */
	if (l.ndropped && g->cluster_ratio > 1)
		refuse(plan, -EOPNOTSUPP,
		       "moving the sparse_super2 backup of a bigalloc filesystem is not supported");
	if (l.gains_backup)
		refuse(plan, -EOPNOTSUPP,
		       "a sparse_super2 backup would have to go into a group in use (backup groups %u and %u)",
		       l.backup_bgs[0], l.backup_bgs[1]);
	gate_refusals(f, req, plan);
}

void e4_resize_plan(const struct e4_resize_facts *f,
		    const struct e4_resize_request *req,
		    struct e4_resize_plan *plan)
{
	const struct e4_geom *g = &f->geom;
	uint64_t ratio = g->cluster_ratio ? g->cluster_ratio : 1;

	memset(plan, 0, sizeof(*plan));
	plan->block_size = g->block_size;
	plan->requested_blocks = req->blocks;
	plan->old_blocks = g->blocks;
	plan->old_groups = g->groups;
	plan->old_desc_blocks = g->desc_blocks;
	plan->reserved_gdt_blocks = g->reserved_gdt_blocks;
	plan->old_inodes = g->inodes;
	plan->device_size = f->t->size;
	/* bigalloc: a filesystem ends on a cluster boundary. */
	plan->new_blocks = req->blocks - req->blocks % ratio;
	plan->rounded_to_cluster = plan->new_blocks != req->blocks;
	if (f->t->mounted)
		plan_online(f, req, plan);
	else
		plan_offline(f, req, plan);
}
