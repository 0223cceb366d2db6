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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "e4/gate.h"
#include "e4/gdt.h"
#include "e4/resize.h"
#include "e4/target.h"

enum {
	COL_DEVICE, COL_MOUNTPOINT, COL_METHOD, COL_BLOCK_SIZE,
	COL_OLD_BLOCKS, COL_NEW_BLOCKS, COL_REQUESTED_BLOCKS,
	COL_ROUNDED_TO_CLUSTER, COL_OLD_SIZE, COL_NEW_SIZE, COL_GROUPS_ADDED,
	COL_OLD_GROUPS, COL_NEW_GROUPS, COL_OLD_DESC_BLOCKS,
	COL_NEW_DESC_BLOCKS, COL_RESERVED_GDT_BLOCKS, COL_RESERVED_GDT_COVERS,
	COL_META_BG_CONVERSION, COL_OLD_INODES, COL_NEW_INODES,
	COL_DEVICE_SIZE, COL_STEPS, COL_STEP_BLOCKS, COL_REFUSALS,
};

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_DEVICE] = { "DEVICE", "Device", 0, 0, E4_COL_STR, "block device or image file" },
	[COL_MOUNTPOINT] = { "MOUNTPOINT", "Mount point", 0, 0, E4_COL_STR, "where it is mounted (online resize)" },
	[COL_METHOD] = { "METHOD", "Method", 0, 0, E4_COL_STR, "online RESIZE_FS, online GROUP_ADD (legacy), or offline" },
	[COL_BLOCK_SIZE] = { "BLOCK_SIZE", "Block size", 0, R, E4_COL_NUM, "bytes per block" },
	[COL_OLD_BLOCKS] = { "OLD_BLOCKS", "Current blocks", 0, R, E4_COL_NUM, "block count now" },
	[COL_NEW_BLOCKS] = { "NEW_BLOCKS", "New blocks", 0, R, E4_COL_NUM, "block count after the resize" },
	[COL_REQUESTED_BLOCKS] = { "REQUESTED_BLOCKS", "Requested blocks", 0, R, E4_COL_NUM, "SIZE in blocks, before rounding" },
	[COL_ROUNDED_TO_CLUSTER] = { "ROUNDED_TO_CLUSTER", "Rounded to a cluster", 0, 0, E4_COL_BOOL, "bigalloc: rounded down to a cluster boundary" },
	[COL_OLD_SIZE] = { "OLD_SIZE", "Current size", 0, R, E4_COL_NUM, "bytes now" },
	[COL_NEW_SIZE] = { "NEW_SIZE", "New size", 0, R, E4_COL_NUM, "bytes after the resize" },
	[COL_GROUPS_ADDED] = { "GROUPS_ADDED", "Groups added", 0, R, E4_COL_NUM, "new block groups" },
	[COL_OLD_GROUPS] = { "OLD_GROUPS", "Current groups", 0, R, E4_COL_NUM, "block groups now" },
	[COL_NEW_GROUPS] = { "NEW_GROUPS", "New groups", 0, R, E4_COL_NUM, "block groups after" },
	[COL_OLD_DESC_BLOCKS] = { "OLD_DESC_BLOCKS", "Descriptor blocks now", 0, R, E4_COL_NUM, "group descriptor blocks now" },
	[COL_NEW_DESC_BLOCKS] = { "NEW_DESC_BLOCKS", "Descriptor blocks after", 0, R, E4_COL_NUM, "group descriptor blocks after" },
	[COL_RESERVED_GDT_BLOCKS] = { "RESERVED_GDT_BLOCKS", "Reserved GDT blocks", 0, R, E4_COL_NUM, "blocks reserved for descriptor growth" },
	[COL_RESERVED_GDT_COVERS] = { "RESERVED_GDT_COVERS", "Reserved GDT blocks suffice", 0, 0, E4_COL_BOOL, "the new descriptor blocks fit the reserved ones" },
	[COL_META_BG_CONVERSION] = { "META_BG_CONVERSION", "Converts to meta_bg", 0, 0, E4_COL_BOOL, "the kernel converts to meta_bg, removing resize_inode for good" },
	[COL_OLD_INODES] = { "OLD_INODES", "Inodes now", 0, R, E4_COL_NUM, "inode count now" },
	[COL_NEW_INODES] = { "NEW_INODES", "Inodes after", 0, R, E4_COL_NUM, "inode count after" },
	[COL_DEVICE_SIZE] = { "DEVICE_SIZE", "Device size", 0, R, E4_COL_NUM, "bytes in the device or image file" },
	[COL_STEPS] = { "STEPS", "Steps", 0, R, E4_COL_NUM, "ioctls (online) the growth takes" },
	[COL_STEP_BLOCKS] = { "STEP_BLOCKS", "Step size (blocks)", 0, R, E4_COL_NUM, "blocks per step, flex-group aligned (0: one step)" },
	[COL_REFUSALS] = { "REFUSALS", "Refused because", 0, SCOLS_FL_WRAP, E4_COL_STR, "every reason the resize would be refused" },
};
#undef R

static const int defaults[] = {
	COL_DEVICE, COL_MOUNTPOINT, COL_METHOD, COL_BLOCK_SIZE, COL_OLD_BLOCKS,
	COL_NEW_BLOCKS, COL_REQUESTED_BLOCKS, COL_ROUNDED_TO_CLUSTER,
	COL_OLD_SIZE, COL_NEW_SIZE, COL_GROUPS_ADDED, COL_OLD_GROUPS,
	COL_NEW_GROUPS, COL_OLD_DESC_BLOCKS, COL_NEW_DESC_BLOCKS,
	COL_RESERVED_GDT_BLOCKS, COL_RESERVED_GDT_COVERS,
	COL_META_BG_CONVERSION, COL_OLD_INODES, COL_NEW_INODES,
	COL_DEVICE_SIZE, COL_STEPS, COL_STEP_BLOCKS, COL_REFUSALS, -1
};

struct resize_opts {
	struct e4_outopts out;
	int dry_run;
	int quiet;
	int progress;
	int legacy;
	int force;
	char *step;
	char *undo;
	char *sysroot;
};

/* "1.5 GiB", for the human record only. */
static void human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = bytes;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

static void out_bytes(struct e4_out *out, struct libscols_line *ln, int id,
		      uint64_t bytes)
{
	char h[32];

	if (!out->record) {
		e4_out_u64(out, ln, id, bytes);
		return;
	}
	human(bytes, h, sizeof(h));
	e4_out_printf(out, ln, id, "%llu (%s)", (unsigned long long)bytes, h);
}

static void fill(struct e4_out *out, const struct e4_target *t,
		 const struct e4_resize_plan *p)
{
	struct libscols_line *ln = e4_out_line(out);
	char refusals[E4_PLAN_MAX_REFUSALS * 260] = "";
	size_t used = 0;
	int i;

	if (!ln)
		return;
	for (i = 0; i < p->nrefusals; i++)
		used += snprintf(refusals + used, sizeof(refusals) - used, "%s%s",
				 i ? "\n" : "", p->refusals[i].msg);
	e4_out_str(out, ln, COL_DEVICE, e4_target_name(t));
	e4_out_str(out, ln, COL_MOUNTPOINT, t->mounted ? t->mountpoint : NULL);
	e4_out_str(out, ln, COL_METHOD, !p->online ? "offline (libext2fs)" :
		   p->legacy ? "online, GROUP_EXTEND + GROUP_ADD (legacy)" :
		   "online, EXT4_IOC_RESIZE_FS");
	e4_out_u64(out, ln, COL_BLOCK_SIZE, p->block_size);
	e4_out_u64(out, ln, COL_OLD_BLOCKS, p->old_blocks);
	e4_out_u64(out, ln, COL_NEW_BLOCKS, p->new_blocks);
	e4_out_u64(out, ln, COL_REQUESTED_BLOCKS, p->requested_blocks);
	e4_out_bool(out, ln, COL_ROUNDED_TO_CLUSTER, p->rounded_to_cluster);
	out_bytes(out, ln, COL_OLD_SIZE, p->old_blocks * p->block_size);
	out_bytes(out, ln, COL_NEW_SIZE, p->new_blocks * p->block_size);
	e4_out_u64(out, ln, COL_GROUPS_ADDED, p->new_groups > p->old_groups ?
		   p->new_groups - p->old_groups : 0);
	e4_out_u64(out, ln, COL_OLD_GROUPS, p->old_groups);
	e4_out_u64(out, ln, COL_NEW_GROUPS, p->new_groups);
	e4_out_u64(out, ln, COL_OLD_DESC_BLOCKS, p->old_desc_blocks);
	e4_out_u64(out, ln, COL_NEW_DESC_BLOCKS, p->new_desc_blocks);
	e4_out_u64(out, ln, COL_RESERVED_GDT_BLOCKS, p->reserved_gdt_blocks);
	e4_out_bool(out, ln, COL_RESERVED_GDT_COVERS, p->reserved_gdt_covers);
	if (out->record && p->meta_bg_conversion)
		e4_out_str(out, ln, COL_META_BG_CONVERSION,
			   "yes: the kernel converts to meta_bg, which removes resize_inode for good");
	else
		e4_out_bool(out, ln, COL_META_BG_CONVERSION, p->meta_bg_conversion);
	e4_out_u64(out, ln, COL_OLD_INODES, p->old_inodes);
	e4_out_u64(out, ln, COL_NEW_INODES, p->new_inodes);
	out_bytes(out, ln, COL_DEVICE_SIZE, p->device_size);
	e4_out_u64(out, ln, COL_STEPS, p->steps);
	e4_out_u64(out, ln, COL_STEP_BLOCKS, p->step_blocks);
	if (out->record)
		e4_out_str(out, ln, COL_REFUSALS, p->nrefusals ? refusals : "none");
	else
		e4_out_str(out, ln, COL_REFUSALS, refusals);
}

/*
 * The plan as one JSON object: libsmartcols prints {"plan": [ {...} ]},
 * and the plan is a single record, so only the element is kept.
 */
static int print_json_object(struct e4_out *out)
{
	char *s = NULL, *open, *close;
	int ret = scols_print_table_to_string(out->tb, &s);

	if (ret)
		return ret;
	open = strchr(s, '[');
	close = strrchr(s, ']');
	if (!open || !close || close < open) {
		free(s);
		return -EINVAL;
	}
	*close = '\0';
	open = strchr(open, '{');
	fputs(open ? open : "{}", stdout);
	fputc('\n', stdout);
	free(s);
	return 0;
}

static int print_plan(const struct resize_opts *o, const struct e4_target *t,
		      const struct e4_resize_plan *p)
{
	struct e4_out out;
	char msg[128];
	size_t i;
	int ret;

	ret = e4_out_init(&out, &o->out, colinfo, ARRAY_SIZE(colinfo), defaults,
			  "plan", true, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "e4ctl resize: %s\n", msg);
		return ret;
	}
	/* Refusals are a list in JSON. */
	for (i = 0; o->out.json && i < out.ncols; i++)
		if (out.cols[i] == COL_REFUSALS)
			scols_column_set_json_type(scols_table_get_column(out.tb, i),
						   SCOLS_JSON_ARRAY_STRING);
	fill(&out, t, p);
	ret = o->out.json ? print_json_object(&out) : e4_out_print(&out);
	if (!ret && out.record) {
		if (p->rounded_to_cluster)
			printf("Note: %llu blocks rounded down to %llu, a cluster boundary (bigalloc).\n",
			       (unsigned long long)p->requested_blocks,
			       (unsigned long long)p->new_blocks);
		else if (p->new_blocks < p->requested_blocks && !p->nrefusals)
			printf("Note: the kernel leaves out a last group too small for its own metadata: %llu blocks, not %llu.\n",
			       (unsigned long long)p->new_blocks,
			       (unsigned long long)p->requested_blocks);
	}
	fflush(stdout);
	e4_out_free(&out);
	return ret;
}

/* The progress line: size reached and groups, then the shared part. */
struct grow_progress {
	struct e4_progress p;
	const struct e4_resize_plan *plan;
	uint32_t blocks_per_group;
	uint32_t first_data_block;
	unsigned int calls;	/* one per ioctl that went through */
	struct e4_gdt_table *gdt;	/* refreshed after each online step */
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
	if (!groups)
		groups = (reached - g->first_data_block + g->blocks_per_group - 1) /
			 g->blocks_per_group;
	human(reached * g->plan->block_size, h, sizeof(h));
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
	uint64_t reached = 0;
	char h[32];
	int rc;

	e4_progress_init(&gp.p, "resize", "blocks", o->progress);
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
		human(reached * plan->block_size, h, sizeof(h));
		if (plan->online)
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
 * Mounted: read-only, for the plan; the kernel does the writing.
 * Unmounted: read-write (with the undo file if asked) behind the safety
 * gates, except for a dry run, which only reads.
 */
static int open_fs(const struct resize_opts *o, const struct e4_target *t,
		   struct e4_fs **fs, uint64_t *cur, struct e4_err *err)
{
	unsigned int flags = o->force ? E4_FS_FORCE : 0;
	int rc;

	if (t->mounted) {
		rc = e4_fs_open(t, 0, fs, err);
		return rc ? rc : e4_resize_live_blocks(t, cur, err);
	}
	if (o->dry_run)
		rc = e4_fs_open(t, flags, fs, err);
	else if (o->undo)
		rc = e4_fs_open_undo(t, flags | E4_FS_WRITE, o->undo, fs, err);
	else
		rc = e4_fs_open(t, flags | E4_FS_WRITE, fs, err);
	if (rc)
		return rc;
	if (!o->force) {
		rc = e4_fs_gates(e4_fs_ext2(*fs), e4_target_name(t), err);
		if (rc)
			return rc;
	}
	*cur = ext2fs_blocks_count(e4_fs_ext2(*fs)->super);
	return 0;
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

	rc = e4_cli_parse(cli, opts);
	if (rc)
		return rc;
	if (o.out.list_columns)
		return e4_out_list_columns(colinfo, ARRAY_SIZE(colinfo), &o.out) ?
		       e4_cli_fail(cli) : 0;
	if (!cli->nargs)
		return e4_cli_usage_error(cli, "missing TARGET");

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
	rc = e4_size_parse(cli->nargs > 1 ? cli->args[1] : NULL, bs, cur, t->size,
			   &want, &err);
	if (!rc && o.step)
		rc = e4_size_parse(o.step, bs, 0, 0, &step, &err);
	if (rc) {
		rc = e4_cli_usage_error(cli, "%s", err.msg);
		goto out;
	}
	if (!o.step && (o.progress || isatty(STDERR_FILENO)))
		step = E4_RESIZE_STEP_AUTO;
	if (t->mounted)
		rc = e4_resize_plan_online(fs, want, step, o.sysroot, &plan, &err);
	else
		rc = e4_resize_plan_offline(fs, want, &plan, &err);
	if (!rc && o.legacy)
		e4_resize_plan_legacy(fs, &plan);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	if ((!o.quiet || o.dry_run) && print_plan(&o, t, &plan)) {
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
	rc = grow(cli, &o, fs, &plan);
out:
	e4_fs_close(fs);
	e4_target_free(t);
	return rc;
}
