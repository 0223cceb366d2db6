// SPDX-License-Identifier: GPL-2.0
/*
 * A resize from the first read to the verified result, in the order every
 * write path of e4ctl follows: open read-only → gather the facts → plan
 * (the caller, with e4_resize_plan, so that it can show the plan) →
 * reopen for writing, checking that nothing changed → run the engine →
 * verify.  The front end never sees a libext2fs handle: progress comes
 * back as the size and the groups reached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e4/shrink.h"
#include "resize_priv.h"

struct e4_resize {
	const struct e4_target *t;
	struct e4_fs *fs;
	bool force;
	struct e4_resize_facts facts;
};

int e4_resize_begin(const struct e4_target *t, bool force, const char *sysroot,
		    struct e4_resize **out, struct e4_err *err)
{
	struct e4_resize *rs;
	int ret;

	*out = NULL;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return e4_err_sys(err, -ENOMEM, "%s", e4_target_name(t));
	rs->t = t;
	rs->force = force && !t->mounted;
	/*
	 * Read-only in both cases: mounted, the kernel does the writing;
	 * unmounted, the handle becomes read-write (and the undo file is
	 * created) only in e4_resize_run, once the plan has passed, so a
	 * refused command writes nothing anywhere, not even the MMP block.
	 */
	ret = e4_fs_open(t, rs->force ? E4_FS_FORCE : 0, &rs->fs, err);
	if (!ret)
		ret = e4_resize_facts_gather(rs->fs, sysroot, &rs->facts, err);
	if (ret) {
		e4_resize_end(rs);
		return ret;
	}
	*out = rs;
	return 0;
}

const struct e4_resize_facts *e4_resize_facts(const struct e4_resize *rs)
{
	return &rs->facts;
}

void e4_resize_end(struct e4_resize *rs)
{
	if (!rs)
		return;
	e4_resize_facts_release(&rs->facts);
	e4_fs_close(rs->fs);
	free(rs);
}

int e4_resize_plan_offline(struct e4_fs *fs, uint64_t new_blocks,
			   struct e4_resize_plan *plan, struct e4_err *err)
{
	struct e4_resize_request req = { .blocks = new_blocks, .force = true };
	struct e4_resize_facts f;
	int ret;

	ret = e4_resize_facts_gather(fs, NULL, &f, err);
	if (ret)
		return ret;
	e4_resize_plan(&f, &req, plan);
	e4_resize_facts_release(&f);
	return 0;
}

/* The engines report blocks added; the caller hears size and groups. */
struct relay {
	const struct e4_geom *geom;
	const struct e4_resize_plan *plan;
	const struct e4_resize_job *job;
	unsigned int calls;
};

static void relay_progress(void *arg, uint64_t done, uint64_t total)
{
	struct relay *r = arg;
	struct e4_resize_progress p = {
		.blocks = r->plan->old_blocks + done,
		.done = done,
		.total = total,
	};

	r->calls++;
	p.groups = e4_geom_groups(r->geom, p.blocks);
	if (r->job && r->job->progress)
		r->job->progress(r->job->arg, &p);
}

/* Offline: the handle just reopened for writing shows what the plan saw. */
static int recheck(struct e4_resize *rs, struct e4_err *err)
{
	struct e4_geom now;

	e4_geom_from_fs(e4_fs_ext2(rs->fs), &now);
	if (memcmp(&now, &rs->facts.geom, sizeof(now)))
		return e4_err_set(err, -ESTALE,
				  "%s: the filesystem changed since the plan was made; run the command again",
				  e4_target_name(rs->t));
	return 0;
}

static int run_offline(struct e4_resize *rs, const struct e4_resize_plan *plan,
		       const char *undo_file, const struct e4_job *job,
		       struct e4_resize_result *res, struct e4_err *err)
{
	ext2_filsys fs;
	int ret;

	ret = e4_fs_reopen_write(rs->fs, rs->force ? E4_FS_FORCE : 0,
				 undo_file, err);
	if (!ret)
		ret = recheck(rs, err);
	if (ret)
		return ret;
	if (plan->method == E4_RESIZE_OFFLINE_SHRINK)
		ret = e4_shrink_run(rs->fs, plan, job, err);
	else
		ret = e4_resize_offline(rs->fs, plan, job, err);
	res->steps = 1;
	/*
	 * A shrink asked to stop once blocks moved runs to its end and says
	 * so with -EINTR: the result is still closed and verified.
	 */
	if (ret == -EINTR && plan->method == E4_RESIZE_OFFLINE_SHRINK &&
	    ext2fs_blocks_count(e4_fs_ext2(rs->fs)->super) == plan->new_blocks) {
		struct e4_err cerr = { 0 };

		res->reached = plan->new_blocks;
		ret = e4_fs_close_write(rs->fs, &cerr);
		if (ret) {
			*err = cerr;
			return ret;
		}
		return -EINTR;
	}
	if (ret)
		return ret;
	/* Verify: the handle's superblock is what was written last. */
	fs = e4_fs_ext2(rs->fs);
	res->reached = ext2fs_blocks_count(fs->super);
	/* The close writes the superblock again: its failure is ours. */
	ret = e4_fs_close_write(rs->fs, err);
	if (ret)
		return ret;
	if (res->reached != plan->new_blocks)
		return e4_err_set(err, -EIO,
				  "%s: the resize ended at %llu blocks, not the %llu planned: run 'e2fsck -f %s'",
				  e4_target_name(rs->t),
				  (unsigned long long)res->reached,
				  (unsigned long long)plan->new_blocks,
				  e4_target_name(rs->t));
	return 0;
}

int e4_resize_run(struct e4_resize *rs, const struct e4_resize_plan *plan,
		  const char *undo_file, const struct e4_resize_job *job,
		  struct e4_resize_result *res, struct e4_err *err)
{
	const char *name = e4_target_name(rs->t);
	struct relay relay = { &rs->facts.geom, plan, job, 0 };
	struct e4_job ej = { relay_progress, &relay, job ? job->cancel : NULL };
	int ret;

	res->reached = plan->old_blocks;
	res->steps = 0;
	if (plan->nrefusals)
		return e4_err_set(err, plan->refusals[0].code, "%s: %s", name,
				  plan->refusals[0].msg);
	switch (plan->method) {
	case E4_RESIZE_ONLINE:
	case E4_RESIZE_ONLINE_LEGACY:
		/*
		 * The engine checks the kernel's block count against the
		 * plan before the first ioctl (-ESTALE) and reads it back
		 * after every one: res->reached is that verified count.
		 */
		ret = e4_resize_online(rs->fs, plan, &ej, &res->reached, err);
		res->steps = relay.calls;
		return ret;
	case E4_RESIZE_OFFLINE_GROW:
	case E4_RESIZE_OFFLINE_SHRINK:
		return run_offline(rs, plan, undo_file, &ej, res, err);
	}
	return e4_err_set(err, -EINVAL, "%s: no method to resize it", name);
}

int e4_resize_minimum(struct e4_resize *rs, uint64_t *min_blocks,
		      struct e4_err *err)
{
	return e4_shrink_minimum(rs->fs, min_blocks, err);
}
