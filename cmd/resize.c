// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl resize TARGET [SIZE]: parse SIZE, plan, show the plan, then run
 * it (lib/resize.c: the kernel's ioctls on a mounted filesystem,
 * libext2fs on an unmounted one).  The plan is shown before anything is
 * written, and every refusal it lists is printed with its cause.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "resize_plan.h"
#include "e4/resize.h"
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

/* The progress line: size and groups reached, then the shared part. */
struct grow_progress {
	struct e4_progress p;
	const struct e4_resize_plan *plan;
	unsigned long reports;
	unsigned long sigint_at;	/* tests: raise SIGINT at this report */
	char label[96];
};

static void on_progress(void *arg, const struct e4_resize_progress *r)
{
	struct grow_progress *g = arg;
	char h[32];

	/*
	 * For the tests: E4_TEST_SIGINT_AFTER=N interrupts the run at its
	 * Nth progress report, through the real handler, deterministically.
	 */
	if (g->sigint_at && ++g->reports == g->sigint_at)
		raise(SIGINT);
	if (g->plan->method == E4_RESIZE_OFFLINE_SHRINK) {
		/* Blocks and inodes moved, of all there are to move. */
		e4_progress_cb(&g->p, r->done, r->total);
		return;
	}
	e4_human_size(r->blocks * g->plan->block_size, h, sizeof(h));
	snprintf(g->label, sizeof(g->label), "resize: %s, %llu/%u groups", h,
		 (unsigned long long)r->groups, g->plan->new_groups);
	g->p.label = g->label;
	e4_progress_cb(&g->p, r->done, r->total);
}

static int grow(struct e4_cli *cli, const struct resize_opts *o,
		struct e4_resize *rs, const struct e4_target *t,
		const struct e4_resize_plan *plan)
{
	struct grow_progress gp = { .plan = plan };
	struct e4_resize_job job = { on_progress, &gp, NULL };
	struct e4_resize_result res;
	struct e4_err err = { 0 };
	char h[32];
	int rc;

	gp.sigint_at = e4_test_hook_num("SIGINT_AFTER");
	if (plan->method == E4_RESIZE_OFFLINE_SHRINK)
		e4_progress_init(&gp.p, "shrink: blocks and inodes moved", "moved",
				 o->progress);
	else
		e4_progress_init(&gp.p, "resize", "blocks", o->progress);
	job.cancel = e4_catch_signals();
	rc = e4_resize_run(rs, plan, o->undo, &job, &res, &err);
	e4_progress_done(&gp.p);
	if (rc == -EINTR) {
		fprintf(stderr, "%s: %s\n", cli->prog, err.msg);
		return E4_EXIT_INTERRUPTED;
	}
	if (rc)
		return e4_cli_error(cli, &err);
	if (res.reached != plan->new_blocks)
		e4_cli_warn(cli, "the kernel stopped at %llu blocks; the plan predicted %llu",
			    (unsigned long long)res.reached,
			    (unsigned long long)plan->new_blocks);
	if (o->quiet || o->out.json)
		return E4_EXIT_OK;
	e4_human_size(res.reached * plan->block_size, h, sizeof(h));
	if (plan->method == E4_RESIZE_OFFLINE_SHRINK)
		printf("%s: shrunk from %llu to %llu blocks (%s) offline; %llu blocks and %llu inodes moved\n",
		       e4_target_name(t), (unsigned long long)plan->old_blocks,
		       (unsigned long long)res.reached, h,
		       (unsigned long long)plan->blocks_to_move,
		       (unsigned long long)plan->inodes_to_move);
	else if (plan->online)
		printf("%s: grown from %llu to %llu blocks (%s) in %u step%s\n",
		       e4_target_name(t), (unsigned long long)plan->old_blocks,
		       (unsigned long long)res.reached, h, res.steps,
		       res.steps == 1 ? "" : "s");
	else
		printf("%s: grown from %llu to %llu blocks (%s) offline\n",
		       e4_target_name(t), (unsigned long long)plan->old_blocks,
		       (unsigned long long)res.reached, h);
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

/*
 * -P prints the minimum and stops; -M makes it the size asked for.  The
 * minimum comes from the offline shrink plan itself (lib/shrink_plan.c).
 */
static int minimum(struct e4_cli *cli, const struct resize_opts *o,
		   struct e4_resize *rs, const struct e4_target *t,
		   uint64_t *want)
{
	struct e4_err err = { 0 };

	if (o->minimum && o->print_minimum)
		return e4_cli_usage_error(cli, "--minimum and --print-minimum exclude each other");
	if (cli->nargs > 1)
		return e4_cli_usage_error(cli, "SIZE and --%s exclude each other",
					  o->minimum ? "minimum" : "print-minimum");
	if (e4_resize_minimum(rs, want, &err))
		return e4_cli_error(cli, &err);
	if (!o->print_minimum)
		return 0;
	if (e4_resize_print_minimum(&o->out, o->quiet, t,
				    e4_resize_facts(rs)->geom.block_size, *want))
		return e4_cli_fail(cli);
	return E4_EXIT_OK;
}

int cmd_resize(struct e4_cli *cli)
{
	struct resize_opts o = { 0 };
	struct poptOption opts[] = {
		{ "dry-run", 'n', POPT_ARG_NONE, &o.dry_run, 0,
		  "show the plan and every refusal, change nothing", NULL },
		{ "quiet", 'q', POPT_ARG_NONE, &o.quiet, 0,
		  "do not print the plan before acting", NULL },
		E4_PROGRESS_OPTION(&o.progress),
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
		E4_SYSROOT_OPTION(&o.sysroot),
		POPT_TABLEEND
	};
	struct e4_resize_request req = { 0 };
	const struct e4_resize_facts *f;
	struct e4_target *t = NULL;
	struct e4_resize *rs = NULL;
	struct e4_err err = { 0 };
	struct e4_resize_plan plan;
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
	rc = e4_resize_begin(t, o.force, o.sysroot, &rs, &err);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	f = e4_resize_facts(rs);
	if (o.print_minimum || o.minimum) {
		rc = minimum(cli, &o, rs, t, &req.blocks);
		if (rc || o.print_minimum)
			goto out;
	} else {
		rc = e4_size_parse(cli->nargs > 1 ? cli->args[1] : NULL,
				   f->geom.block_size, f->geom.blocks, t->size,
				   &req.blocks, &err);
	}
	if (!rc && o.step)
		rc = e4_size_parse(o.step, f->geom.block_size, 0, 0,
				   &req.step_blocks, &err);
	if (rc) {
		rc = e4_cli_usage_error(cli, "%s", err.msg);
		goto out;
	}
	if (!o.step && (o.progress || isatty(STDERR_FILENO)))
		req.step_blocks = E4_RESIZE_STEP_AUTO;
	req.legacy = o.legacy;
	req.force = o.force;
	e4_resize_plan(f, &req, &plan);
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
	rc = grow(cli, &o, rs, t, &plan);
	if (rc == E4_EXIT_OK)
		undo_note(cli, &o, t, &plan);
out:
	e4_resize_end(rs);
	e4_target_free(t);
	return rc;
}
