/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_RESIZE_H
#define E4_RESIZE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e4/err.h"
#include "e4/fs.h"
#include "e4/gate.h"
#include "e4/geom.h"
#include "e4/job.h"

/*
 * Resizing a filesystem, by phase: SIZE parsing (lib/size.c), the facts
 * (lib/resize_facts.c), the plan, a pure function of facts and request
 * (lib/resize_plan.c), and the run (lib/resize.c) through the online
 * engine (lib/resize_online.c, the kernel's ioctls on a mounted
 * filesystem) or the offline one (lib/resize_offline.c, libext2fs on an
 * unmounted one).  A plan lists every reason the resize would be refused;
 * an engine refuses a plan that has any.
 */

/*
 * Parse SIZE as resize2fs does: a number with K/M/G/T (binary) or
 * KiB/MiB/GiB/TiB, "s" for 512-byte sectors, no suffix for filesystem
 * blocks; "+SIZE" grows by that much; "max" (or NULL) is the device size.
 * Garbage, overflow, zero and negative sizes are refused (-EINVAL, -ERANGE)
 * with a message quoting the argument.
 */
int e4_size_parse(const char *arg, uint32_t block_size, uint64_t cur_blocks,
		  uint64_t device_bytes, uint64_t *blocks, struct e4_err *err);

#define E4_PLAN_MAX_REFUSALS 16

/*
 * Everything the plan depends on, gathered once by e4_resize_facts_gather
 * (every system call of the plan happens there: the live superblock, the
 * capability, mountinfo, sysfs, uname, the safety gates).  A test fills
 * one by hand.
 */
struct e4_resize_facts {
	const struct e4_target *t;	/* names, mount point, device size */
	struct e4_geom geom;		/* mounted: the kernel's superblock */
	uint16_t state;			/* s_state (EXT2_ERROR_FS) */
	/* Mounted only. */
	bool cap_sys_resource;		/* false: the kernel refuses */
	uint64_t errors_count;		/* /sys/fs/ext4/<dev>/errors_count */
	bool mount_readonly;		/* the mount or its superblock is ro */
	uint64_t mount_sb;		/* sb= mount option (1k units), 0: none */
	bool kernel_meta_bg_resize;	/* /sys/fs/ext4/features/meta_bg_resize */
	bool kernel_converts_any;	/* converts to meta_bg on any growth */
	/* Unmounted only: the findings of the safety gates (lib/gate.c). */
	struct e4_gate_result gates;
	/*
	 * The filesystem as opened read-only, for the one plan that must read
	 * its bitmaps and inodes (a shrink: where every block and inode would
	 * go); NULL in the unit tests, and then a shrink is refused.
	 */
	struct e4_fs *fs;
};

/* step_blocks: steps when the growth is large. */
#define E4_RESIZE_STEP_AUTO UINT64_MAX

/* What the user asked for. */
struct e4_resize_request {
	uint64_t blocks;		/* SIZE in blocks, before rounding */
	uint64_t step_blocks;		/* online: 0 one call, or AUTO */
	bool legacy;			/* online: GROUP_EXTEND + GROUP_ADD */
	bool force;			/* offline: skip the safety gates */
};

enum e4_resize_method {
	E4_RESIZE_ONLINE,		/* EXT4_IOC_RESIZE_FS, maybe in steps */
	E4_RESIZE_ONLINE_LEGACY,	/* GROUP_EXTEND, then GROUP_ADD */
	E4_RESIZE_OFFLINE_GROW,		/* libext2fs, lib/resize_offline.c */
	E4_RESIZE_OFFLINE_SHRINK,	/* libext2fs, lib/shrink.c */
};

struct e4_resize_plan {
	enum e4_resize_method method;
	bool online;			/* kernel ioctls (mounted) or libext2fs */
	uint32_t block_size;
	uint64_t requested_blocks;	/* as parsed, before rounding */
	uint64_t old_blocks, new_blocks;
	bool rounded_to_cluster;	/* bigalloc: new_blocks rounded down */
	uint32_t old_groups, new_groups;
	uint64_t old_desc_blocks, new_desc_blocks;
	uint32_t reserved_gdt_blocks;
	bool reserved_gdt_covers;	/* growth fits the reserved GDT blocks */
	bool meta_bg_conversion;	/* converts to meta_bg (drops resize_inode) */
	uint64_t old_inodes, new_inodes;
	uint64_t device_size;		/* bytes */
	uint64_t step_blocks;		/* online: grow in steps of this (0: one) */
	uint32_t steps;
	/*
	 * Shrink (E4_RESIZE_OFFLINE_SHRINK): the smallest size the data
	 * allows, and what has to move out of the groups that go.  Zero
	 * until a shrink engine counts them.
	 */
	uint64_t min_blocks;
	uint64_t blocks_to_move;
	uint64_t inodes_to_move;
	uint64_t meta_to_relocate;	/* kept groups' metadata past the end */
	uint64_t extent_blocks;		/* extent tree blocks the moves split off */
	int nrefusals;
	struct {
		int code;		/* -errno the kernel/engine would return */
		char msg[256];
	} refusals[E4_PLAN_MAX_REFUSALS];
	bool legacy;			/* online through GROUP_EXTEND/GROUP_ADD */
	/* Offline shrink (lib/shrink_plan.c): free counts once shrunk. */
	uint64_t free_blocks_after, free_inodes_after;
};

/*
 * Gather the facts for fs (opened read-only by e4_fs_open); sysroot
 * prefixes the sysfs reads (NULL: the running kernel).
 */
int e4_resize_facts_gather(struct e4_fs *fs, const char *sysroot,
			   struct e4_resize_facts *f, struct e4_err *err);
/* Free what gathering allocated (the gates' findings). */
void e4_resize_facts_release(struct e4_resize_facts *f);

/*
 * The plan: a pure function of the facts and the request, with every
 * reason the resize would be refused in plan->refusals.
 */
void e4_resize_plan(const struct e4_resize_facts *f,
		    const struct e4_resize_request *req,
		    struct e4_resize_plan *plan);

/* Gather the facts of an unmounted fs and plan a grow without gates. */
int e4_resize_plan_offline(struct e4_fs *fs, uint64_t new_blocks,
			   struct e4_resize_plan *plan, struct e4_err *err);

/*
 * A resize from the first read to the verified result (lib/resize.c):
 * e4_resize_begin opens the target read-only and gathers the facts; the
 * caller plans (e4_resize_plan) and shows the plan; e4_resize_run then
 * reopens for writing (offline, through the undo file when asked),
 * checks that nothing changed since the facts were gathered (-ESTALE),
 * runs the engine and verifies the block count it left.
 */
struct e4_resize;


int e4_resize_begin(const struct e4_target *t, bool force, const char *sysroot,
		    struct e4_resize **out, struct e4_err *err);
const struct e4_resize_facts *e4_resize_facts(const struct e4_resize *rs);
/*
 * The smallest block count an offline shrink reaches (lib/shrink_plan.c,
 * exact: the plan itself decides); reads the bitmaps, writes nothing.
 */
int e4_resize_minimum(struct e4_resize *rs, uint64_t *min_blocks,
		      struct e4_err *err);
void e4_resize_end(struct e4_resize *rs);

/* Where a run is, reported after each step (online) or group (offline). */
struct e4_resize_progress {
	uint64_t blocks;		/* the filesystem's size now */
	uint64_t groups;		/* groups reached */
	uint64_t done, total;		/* blocks added, blocks to add */
};

typedef void (*e4_resize_progress_fn)(void *arg,
				      const struct e4_resize_progress *p);

struct e4_resize_job {
	e4_resize_progress_fn progress;	/* may be NULL */
	void *arg;
	const volatile sig_atomic_t *cancel;	/* may be NULL */
};

struct e4_resize_result {
	uint64_t reached;		/* blocks at the end, whatever the outcome */
	unsigned int steps;		/* online: ioctls that went through */
};

/*
 * Run plan (from e4_resize_plan on e4_resize_facts(rs)).  -EINTR when
 * job->cancel stopped it at a consistent point (err says where).
 */
int e4_resize_run(struct e4_resize *rs, const struct e4_resize_plan *plan,
		  const char *undo_file, const struct e4_resize_job *job,
		  struct e4_resize_result *res, struct e4_err *err);

/*
 * Offline grow of an fs opened with E4_FS_WRITE (or made writable with
 * e4_fs_reopen_write once the plan and the gates passed, optionally with
 * an undo file).  Marks the filesystem "resize in progress" (error
 * state) first and clears it only on success.  job->cancel is honoured
 * at safe points: -EINTR with the filesystem consistent (either grown to
 * a group boundary that is recorded in the message, or untouched).
 */
int e4_resize_offline(struct e4_fs *fs, const struct e4_resize_plan *plan,
		      const struct e4_job *job, struct e4_err *err);

/*
 * Online grow of a mounted filesystem (fs from e4_fs_open, read-only) to
 * plan->new_blocks: EXT4_IOC_RESIZE_FS on the mount point, in the plan's
 * steps, falling back to the legacy ioctls on ENOTTY (or always, for a
 * legacy plan).  Refuses a plan with refusals.  job->cancel is checked
 * between steps, so a step is never left half-done: -EINTR, with the
 * filesystem consistent at *reached blocks.  A failed ioctl is explained
 * (missing capability, recorded errors, read-only mount, ...) in err.
 * *reached is the block count the kernel reports at the end, whatever
 * the outcome; job progress is (blocks added, blocks to add), once after
 * every ioctl.
 */
int e4_resize_online(const struct e4_fs *fs, const struct e4_resize_plan *plan,
		     const struct e4_job *job, uint64_t *reached,
		     struct e4_err *err);

/*
 * What to do when the device looks smaller than wanted: for a loop device
 * whose backing file is larger, `losetup -c`; for device-mapper, that the
 * kernel may not see an lvextend yet.  Empty when there is nothing to add.
 */
void e4_resize_device_hint(const struct e4_target *t, char *buf, size_t len);

#endif
