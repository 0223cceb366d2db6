// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl resize TARGET [SIZE]: parse SIZE, plan, show the plan, then grow
 * a mounted filesystem through the kernel (lib/resize_online.c) or an
 * unmounted one through libext2fs (lib/resize_offline.c).  The plan is
 * shown before anything is written, and every refusal it lists is printed
 * with its cause.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "resize_plan.h"
#include "e4/gate.h"
#include "e4/gdt.h"
#include "e4/resize.h"
#include "e4/shrink.h"
#include "e4/target.h"

struct resize_opts {
	struct e4_outopts out;
	int dry_run;
	int quiet;
	int progress;
	int legacy;
	int force;
	int minimum;
	int print_minimum;
	char *step;
	char *undo;
	char *sysroot;
};

/* The progress line: size reached and groups, then the shared part. */
struct grow_progress {
	struct e4_progress p;
	const struct e4_resize_plan *plan;
	uint32_t blocks_per_group;
	uint32_t first_data_block;
	unsigned int calls;	/* one per ioctl that went through */
	struct e4_gdt_table *gdt;	/* refreshed after each online step */
	unsigned long sigint_at;	/* tests: raise SIGINT at this call */
	char label[96];
};

/*
 * The group count of the snapshot refreshed just now, or 0.  The table
 * is the same RCU-published one other readers use; a refresh that fails
 * only costs the display its source, never the resize.
 */
static uint32_t snapshot_groups(struct e4_gdt_table *t)
{
	const struct e4_gdt *cur;
	uint32_t n = 0;

	if (!t || e4_gdt_refresh(t, NULL))
		return 0;
	e4_gdt_read_lock();
	cur = e4_gdt_current(t);
	if (cur)
		n = cur->group_count;
	e4_gdt_read_unlock();
	return n;
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct grow_progress *g = arg;
	uint64_t reached = g->plan->old_blocks + done;
	uint64_t groups = snapshot_groups(g->gdt);
	char h[32];

	g->calls++;
	/*
	 * For the tests: E4_TEST_SIGINT_AFTER=N interrupts the run at its
	 * Nth progress report, through the real handler, deterministically.
	 */
	if (g->sigint_at && g->calls == g->sigint_at)
		raise(SIGINT);
	if (g->plan->shrink) {
		e4_progress_cb(&g->p, done, total);
		return;
	}
	if (!groups)
		groups = (reached - g->first_data_block + g->blocks_per_group - 1) /
			 g->blocks_per_group;
	e4_human_size(reached * g->plan->block_size, h, sizeof(h));
	snprintf(g->label, sizeof(g->label), "resize: %s, %llu/%u groups", h,
		 (unsigned long long)groups, g->plan->new_groups);
	g->p.label = g->label;
	e4_progress_cb(&g->p, done, total);
}

static int grow(struct e4_cli *cli, const struct resize_opts *o,
		struct e4_fs *fs, const struct e4_resize_plan *plan)
{
	ext2_filsys e2 = e4_fs_ext2(fs);
	struct grow_progress gp = {
		.plan = plan,
		.blocks_per_group = e2->super->s_blocks_per_group,
		.first_data_block = e2->super->s_first_data_block,
	};
	struct e4_job job = { on_progress, &gp, NULL };
	struct e4_err err = { 0 };
	const char *at = getenv("E4_TEST_SIGINT_AFTER");
	uint64_t reached = 0;
	char h[32];
	int rc;

	if (at)
		gp.sigint_at = strtoul(at, NULL, 10);

	e4_progress_init(&gp.p, plan->shrink ? "shrink: blocks and inodes moved" : "resize",
			 plan->shrink ? "moved" : "blocks", o->progress);
	job.cancel = e4_catch_signals();
	if (plan->online) {
		if (!e4_gdt_open(fs, &gp.gdt, NULL))
			e4_gdt_thread_register();
		rc = e4_resize_online(fs, plan, &job, &reached, &err);
		if (gp.gdt) {
			e4_gdt_thread_unregister();
			e4_gdt_close(gp.gdt);
		}
	} else {
		rc = e4_resize_offline(fs, plan, &job, &err);
		reached = rc ? plan->old_blocks : plan->new_blocks;
		gp.calls = 1;
	}
	e4_progress_done(&gp.p);
	if (rc == -EINTR) {
		if (plan->shrink && strstr(err.msg, "was completed"))
			reached = plan->new_blocks;
		fprintf(stderr, "%s: %s\n", cli->prog, err.msg);
		return E4_EXIT_INTERRUPTED;
	}
	if (rc)
		return e4_cli_error(cli, &err);
	if (reached != plan->new_blocks)
		e4_cli_warn(cli, "the kernel stopped at %llu blocks; the plan predicted %llu",
			    (unsigned long long)reached,
			    (unsigned long long)plan->new_blocks);
	if (!o->quiet && !o->out.json) {
		e4_human_size(reached * plan->block_size, h, sizeof(h));
		if (plan->shrink)
			printf("%s: shrunk from %llu to %llu blocks (%s) offline; %llu blocks and %llu inodes moved\n",
			       e4_target_name(e4_fs_target(fs)),
			       (unsigned long long)plan->old_blocks,
			       (unsigned long long)reached, h,
			       (unsigned long long)plan->blocks_to_move,
			       (unsigned long long)plan->inodes_to_move);
		else if (plan->online)
			printf("%s: grown from %llu to %llu blocks (%s) in %u step%s\n",
			       e4_target_name(e4_fs_target(fs)),
			       (unsigned long long)plan->old_blocks,
			       (unsigned long long)reached, h, gp.calls,
			       gp.calls == 1 ? "" : "s");
		else
			printf("%s: grown from %llu to %llu blocks (%s) offline\n",
			       e4_target_name(e4_fs_target(fs)),
			       (unsigned long long)plan->old_blocks,
			       (unsigned long long)reached, h);
	}
	return E4_EXIT_OK;
}

static int refusals(const struct e4_cli *cli, const struct e4_target *t,
		    const struct e4_resize_plan *p)
{
	char hint[300];
	int i;

	for (i = 0; i < p->nrefusals; i++) {
		fprintf(stderr, "%s: %s: %s\n", cli->prog, e4_target_name(t),
			p->refusals[i].msg);
		if (p->refusals[i].code == -ENOSPC) {
			e4_resize_device_hint(t, hint, sizeof(hint));
			if (hint[0])
				fprintf(stderr, "%s: hint: %s\n", cli->prog, hint);
		}
	}
	return e4_cli_fail(cli);
}

/*
 * Read-only in both cases, for the plan: mounted, the kernel does the
 * writing; unmounted, the handle becomes read-write (and the undo file is
 * created) only once the plan, the safety gates and every other refusal
 * have passed, so a refused command writes nothing anywhere, not even
 * the MMP block.
 */
static int open_fs(const struct resize_opts *o, const struct e4_target *t,
		   struct e4_fs **fs, uint64_t *cur, struct e4_err *err)
{
	int rc;

	if (t->mounted) {
		rc = e4_fs_open(t, 0, fs, err);
		return rc ? rc : e4_resize_live_blocks(t, cur, err);
	}
	rc = e4_fs_open(t, o->force ? E4_FS_FORCE : 0, fs, err);
	if (rc)
		return rc;
	*cur = ext2fs_blocks_count(e4_fs_ext2(*fs)->super);
	return 0;
}

/*
 * e2undo writes back every block the grow overwrote, but the image file
 * keeps the length the grow gave it; say what restores that too.
 */
static void undo_note(const struct e4_cli *cli, const struct resize_opts *o,
		      const struct e4_target *t, const struct e4_resize_plan *p)
{
	if (p->online || !o->undo || t->is_blockdev ||
	    p->new_blocks * (uint64_t)p->block_size <= t->size)
		return;
	fprintf(stderr, "%s: %s: the image was extended from %llu bytes; to undo the grow, run 'e2undo %s %s', then 'truncate -s %llu %s'\n",
		cli->prog, e4_target_name(t), (unsigned long long)t->size,
		o->undo, t->device, (unsigned long long)t->size, t->device);
}

static const struct e4_colinfo min_cols[] = {
	{ "DEVICE", "Device", 0, 0, E4_COL_STR, "block device or image file" },
	{ "MIN_BLOCKS", "Minimum blocks", 0, SCOLS_FL_RIGHT, E4_COL_NUM, "smallest block count" },
	{ "BLOCK_SIZE", "Block size", 0, SCOLS_FL_RIGHT, E4_COL_NUM, "bytes per block" },
	{ "MIN_SIZE", "Minimum size", 0, SCOLS_FL_RIGHT, E4_COL_NUM, "smallest size in bytes" },
};

/* -P --json: {"minimum": [{"device": ..., "min_blocks": N, ...}]}. */
static int print_minimum_json(struct e4_cli *cli, struct e4_fs *fs,
			      uint64_t min)
{
	static const int defaults[] = { 0, 1, 2, 3, -1 };
	const struct e4_outopts opts = { .json = 1 };
	uint32_t bs = e4_fs_ext2(fs)->blocksize;
	struct libscols_line *ln;
	struct e4_out out;
	char msg[128];
	int rc = E4_EXIT_OK;

	if (e4_out_init(&out, &opts, min_cols, ARRAY_SIZE(min_cols), defaults,
			"minimum", false, msg, sizeof(msg)))
		return e4_cli_usage_error(cli, "%s", msg);
	ln = e4_out_line(&out);
	if (!ln || e4_out_str(&out, ln, 0, e4_target_name(e4_fs_target(fs))) ||
	    e4_out_u64(&out, ln, 1, min) || e4_out_u64(&out, ln, 2, bs) ||
	    e4_out_u64(&out, ln, 3, min * bs) || e4_out_print(&out))
		rc = e4_cli_fail(cli);
	e4_out_free(&out);
	return rc;
}

/*
 * -P prints the minimum and stops; -M makes it the size asked for.  The
 * minimum comes from the offline plan itself, so it is the same number
 * whether or not the filesystem is mounted (mounted, the bitmaps read may
 * lag behind the kernel's).
 */
static int minimum(struct e4_cli *cli, const struct resize_opts *o,
		   struct e4_fs *fs, uint64_t *want)
{
	uint32_t bs = e4_fs_ext2(fs)->blocksize;
	struct e4_err err = { 0 };
	char h[32];
	int rc;

	if (o->minimum && o->print_minimum)
		return e4_cli_usage_error(cli, "--minimum and --print-minimum exclude each other");
	if (cli->nargs > 1)
		return e4_cli_usage_error(cli, "SIZE and --%s exclude each other",
					  o->minimum ? "minimum" : "print-minimum");
	rc = e4_shrink_minimum(fs, want, &err);
	if (rc)
		return e4_cli_error(cli, &err);
	if (!o->print_minimum)
		return 0;
	e4_human_size(*want * bs, h, sizeof(h));
	if (o->out.json)
		return print_minimum_json(cli, fs, *want);
	else if (o->quiet)
		printf("%llu\n", (unsigned long long)*want);
	else
		printf("%s: minimum size: %llu blocks (%s)\n",
		       e4_target_name(e4_fs_target(fs)), (unsigned long long)*want, h);
	return E4_EXIT_OK;
}

static int mounted_shrink(struct e4_cli *cli, struct e4_fs *fs, uint64_t cur,
			  uint64_t want)
{
	const struct e4_target *t = e4_fs_target(fs);
	struct e4_err err = { 0 };
	uint64_t min = 0;

	e4_shrink_minimum(fs, &min, &err);
	fprintf(stderr, "%s: %s: ext4 cannot shrink while mounted (%llu -> %llu blocks); unmount it and run e4ctl resize again",
		cli->prog, e4_target_name(t), (unsigned long long)cur,
		(unsigned long long)want);
	if (min)
		fprintf(stderr, " (minimum size: %llu blocks)\n", (unsigned long long)min);
	else
		fprintf(stderr, " (%s)\n", err.msg);
	return e4_cli_fail(cli);
}

int cmd_resize(struct e4_cli *cli)
{
	struct resize_opts o = { 0 };
	struct poptOption opts[] = {
		{ "dry-run", 'n', POPT_ARG_NONE, &o.dry_run, 0,
		  "show the plan and every refusal, change nothing", NULL },
		{ "quiet", 'q', POPT_ARG_NONE, &o.quiet, 0,
		  "do not print the plan before acting", NULL },
		{ "progress", 'p', POPT_ARG_NONE, &o.progress, 0,
		  "show progress even when stderr is not a terminal", NULL },
		{ "step", '\0', POPT_ARG_STRING, &o.step, 0,
		  "online: grow in steps of SIZE (rounded up to a flex group)", "SIZE" },
		{ "legacy-ioctls", '\0', POPT_ARG_NONE, &o.legacy, 0,
		  "online: use GROUP_EXTEND + GROUP_ADD, as for kernels before 3.3", NULL },
		{ "force", 'f', POPT_ARG_NONE, &o.force, 0,
		  "offline: skip the safety checks (e2fsck state)", NULL },
		{ "minimum", 'M', POPT_ARG_NONE, &o.minimum, 0,
		  "offline: shrink to the smallest size possible", NULL },
		{ "print-minimum", 'P', POPT_ARG_NONE, &o.print_minimum, 0,
		  "print the smallest size the filesystem can be shrunk to, change nothing", NULL },
		{ "undo", 'z', POPT_ARG_STRING, &o.undo, 0,
		  "offline: save overwritten blocks for e2undo", "FILE" },
		E4_OUTPUT_OPTIONS(&o.out),
		{ "sysroot", '\0', POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN, &o.sysroot, 0,
		  "read /sys under DIR (for tests)", "DIR" },
		POPT_TABLEEND
	};
	struct e4_target *t = NULL;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	struct e4_resize_plan plan;
	uint64_t cur, want, step = 0;
	uint32_t bs;
	int rc;

	e4_resize_cli_columns(cli, &o.out);
	rc = e4_cli_parse(cli, opts);
	if (rc)
		return rc;

	rc = e4_target_resolve(cli->args[0], &t, &err);
	if (rc) {
		if (rc == -EMEDIUMTYPE)
			fprintf(stderr, "%s: %s; e4ctl resizes only ext4 (offline: unmounted ext2/3/4)\n",
				cli->prog, err.msg);
		else
			e4_cli_error(cli, &err);
		return e4_cli_fail(cli);
	}
	if (t->mounted && (o.undo || o.force)) {
		rc = e4_cli_usage_error(cli, "--undo and --force apply to offline resize; %s is mounted on %s",
					e4_target_name(t), t->mountpoint);
		goto out;
	}
	if (!t->mounted && (o.step || o.legacy)) {
		rc = e4_cli_usage_error(cli, "--step and --legacy-ioctls apply to online resize; %s is not mounted",
					e4_target_name(t));
		goto out;
	}
	rc = open_fs(&o, t, &fs, &cur, &err);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	bs = e4_fs_ext2(fs)->blocksize;
	if (o.print_minimum || o.minimum) {
		rc = minimum(cli, &o, fs, &want);
		if (rc || o.print_minimum)
			goto out;
	} else {
		rc = e4_size_parse(cli->nargs > 1 ? cli->args[1] : NULL, bs, cur,
				   t->size, &want, &err);
	}
	if (!rc && o.step)
		rc = e4_size_parse(o.step, bs, 0, 0, &step, &err);
	if (rc) {
		rc = e4_cli_usage_error(cli, "%s", err.msg);
		goto out;
	}
	if (!o.step && (o.progress || isatty(STDERR_FILENO)))
		step = E4_RESIZE_STEP_AUTO;
	if (t->mounted && want < cur) {
		rc = mounted_shrink(cli, fs, cur, want);
		goto out;
	}
	if (t->mounted)
		rc = e4_resize_plan_online(fs, want, step, o.sysroot, &plan, &err);
	else
		rc = e4_resize_plan_offline(fs, want, &plan, &err);
	if (!rc && !t->mounted && !o.force)
		e4_resize_plan_gates(fs, &plan);
	if (!rc && o.legacy)
		e4_resize_plan_legacy(fs, &plan);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	if ((!o.quiet || o.dry_run) && e4_resize_print_plan(&o.out, t, &plan)) {
		rc = e4_cli_fail(cli);
		goto out;
	}
	/* Equal needs no ioctl, so nothing can refuse it. */
	if (plan.new_blocks == plan.old_blocks &&
	    plan.requested_blocks >= plan.old_blocks) {
		if (!o.out.json)
			printf("%s: nothing to do: already %llu blocks\n",
			       e4_target_name(t), (unsigned long long)plan.old_blocks);
		rc = E4_EXIT_OK;
		goto out;
	}
	if (plan.nrefusals) {
		rc = refusals(cli, t, &plan);
		goto out;
	}
	if (o.dry_run) {
		rc = E4_EXIT_OK;
		goto out;
	}
	if (!t->mounted) {
		rc = e4_fs_reopen_write(fs, o.force ? E4_FS_FORCE : 0, o.undo, &err);
		if (rc) {
			rc = e4_cli_error(cli, &err);
			goto out;
		}
	}
	rc = grow(cli, &o, fs, &plan);
	if (rc == E4_EXIT_OK)
		undo_note(cli, &o, t, &plan);
out:
	e4_fs_close(fs);
	e4_target_free(t);
	return rc;
}
