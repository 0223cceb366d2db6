// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl check TARGET: the read-only audit of lib/check.c, its findings as
 * a table, fsck's exit codes, and the freeze that makes the audit of a
 * mounted filesystem mean something.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "metrics.h"
#include "openmetrics.h"
#include "output.h"
#include "progress.h"
#include "e4/check.h"
#include "e4/freeze.h"
#include "e4/fs.h"
#include "e4/target.h"

enum { COL_GROUP, COL_WHAT, COL_EXPECTED, COL_FOUND, COL_LEVEL };

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_GROUP] = { "GROUP", "Group", 0, R, E4_COL_NUM, "group number; empty for the superblock" },
	[COL_WHAT] = { "WHAT", "What", 0, 0, E4_COL_STR, "free_blocks, free_inodes, desc_csum, block_bitmap_csum, inode_bitmap_csum, sb_free_blocks, sb_free_inodes, sb_csum, inode_bitmap_padding" },
	[COL_EXPECTED] = { "EXPECTED", "Expected", 0, R, E4_COL_NUM, "the value the bitmaps (or the checksum) call for" },
	[COL_FOUND] = { "FOUND", "Found", 0, R, E4_COL_NUM, "the value stored in the descriptor or superblock" },
	[COL_LEVEL] = { "LEVEL", "Level", 0, 0, E4_COL_STR, "error, or warning when the result is advisory (mounted, not frozen)" },
};
#undef R

static const int defaults[] = { COL_GROUP, COL_WHAT, COL_EXPECTED, COL_FOUND, -1 };

/*
 * The verdict, in --json only (the human form has its summary line): one
 * object in "filesystem", as delalloc audit has, so that a consumer sees
 * whether the findings count (advisory: mounted, not frozen) without
 * asking for LEVEL.  -o chooses the finding columns, not these.
 */
enum { SUM_DEVICE, SUM_MOUNTPOINT, SUM_GROUPS, SUM_FREE_BLOCKS, SUM_FREE_INODES,
       SUM_VERDICT, SUM_ADVISORY, SUM_FROZEN };

static const struct e4_colinfo suminfo[] = {
	[SUM_DEVICE] = { "DEVICE", "Device", 0, 0, E4_COL_STR, "device or image file checked" },
	[SUM_MOUNTPOINT] = { "MOUNTPOINT", "Mount point", 0, 0, E4_COL_STR, "where it is mounted; null if not" },
	[SUM_GROUPS] = { "GROUPS", "Groups", 0, 0, E4_COL_NUM, "groups checked" },
	[SUM_FREE_BLOCKS] = { "FREE_BLOCKS", "Free blocks", 0, 0, E4_COL_NUM, "free blocks counted in the bitmaps" },
	[SUM_FREE_INODES] = { "FREE_INODES", "Free inodes", 0, 0, E4_COL_NUM, "free inodes counted in the bitmaps" },
	[SUM_VERDICT] = { "VERDICT", "Verdict", 0, 0, E4_COL_STR, "clean, or problems found" },
	[SUM_ADVISORY] = { "ADVISORY", "Advisory", 0, 0, E4_COL_BOOL, "mounted and not frozen: the findings are warnings and the exit status 0" },
	[SUM_FROZEN] = { "FROZEN", "Frozen", 0, 0, E4_COL_BOOL, "frozen (--freeze) while it was read" },
};

static const int sum_defaults[] = { SUM_DEVICE, SUM_MOUNTPOINT, SUM_GROUPS,
				    SUM_FREE_BLOCKS, SUM_FREE_INODES, SUM_VERDICT,
				    SUM_ADVISORY, SUM_FROZEN, -1 };

struct check_opts {
	struct e4_outopts out;
	int openmetrics;
	int freeze;
	int timeout_ms;
	int threads;
	int progress;
	char *superblock;	/* -b: a backup superblock's block number */
	uint64_t sb_block;
	int block_size;		/* -B, with -b */
};

/*
 * Test hooks (e4_test_hook, listed in HACKING.md), not an interface: the
 * suite in tests/check needs them to signal e4ctl at a known point, which
 * no timing could guarantee:
 *   E4_TEST_FREEZE_HOLD_MS=N  keep the filesystem frozen N ms after the
 *                             audit (to kill the process, or outlast
 *                             --freeze-timeout, while it is frozen);
 *   E4_TEST_SCAN_HOLD_MS=N    stop the scan N ms after its first group
 *                             (to signal it mid-scan, through the engine's
 *                             cancellation path).
 * Each says on stderr that it holds, and returns early when a signal sets
 * *cancel.
 */
static void test_hold(long ms, const char *what,
		      const volatile sig_atomic_t *cancel)
{
	if (ms > 0)
		fprintf(stderr, "e4ctl check: test hook: holding the %s for %ld ms\n",
			what, ms);
	while (ms > 0 && !*cancel) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
		ms -= 10;
	}
}

/* The progress line, and the scan hold hook after the first group. */
struct check_progress {
	struct e4_progress bar;
	long scan_hold_ms;
	const volatile sig_atomic_t *cancel;
};

static void check_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct check_progress *cp = arg;

	e4_progress_cb(&cp->bar, done, total);
	if (done == 1)
		test_hold(cp->scan_hold_ms, "scan", cp->cancel);
}

static int fill_findings(struct e4_out *out, const struct e4_check_result *res,
			 bool advisory)
{
	size_t i;

	for (i = 0; i < res->nfindings; i++) {
		const struct e4_check_finding *f = &res->findings[i];
		struct libscols_line *ln = e4_out_line(out);

		if (!ln)
			return -ENOMEM;
		if (f->group != E4_CHECK_SUPERBLOCK)
			e4_out_u64(out, ln, COL_GROUP, f->group);
		e4_out_str(out, ln, COL_WHAT, e4_check_what_name(f->what));
		e4_out_u64(out, ln, COL_EXPECTED, f->expected);
		e4_out_u64(out, ln, COL_FOUND, f->found);
		e4_out_str(out, ln, COL_LEVEL, advisory ? "warning" : "error");
	}
	return 0;
}

/* --json: {"filesystem": [{verdict...}], "findings": [...]}. */
static int print_json(struct e4_out *out, const struct check_opts *o,
		      const struct e4_target *t, const struct e4_check_result *res,
		      bool advisory, bool frozen)
{
	struct e4_outopts so = o->out;
	struct e4_out sum = { 0 };
	struct e4_out *all[] = { &sum, out };
	struct libscols_line *ln;
	char msg[128];
	int rc;

	so.columns = NULL;
	rc = e4_out_init(&sum, &so, suminfo, ARRAY_SIZE(suminfo), sum_defaults,
			 "filesystem", false, msg, sizeof(msg));
	ln = rc ? NULL : e4_out_line(&sum);
	if (!ln) {
		rc = -ENOMEM;
		goto out;
	}
	rc = e4_out_str(&sum, ln, SUM_DEVICE, e4_target_name(t)) ?:
	     e4_out_str(&sum, ln, SUM_MOUNTPOINT, t->mounted ? t->mountpoint : NULL) ?:
	     e4_out_u64(&sum, ln, SUM_GROUPS, res->groups) ?:
	     e4_out_u64(&sum, ln, SUM_FREE_BLOCKS, res->free_blocks) ?:
	     e4_out_u64(&sum, ln, SUM_FREE_INODES, res->free_inodes) ?:
	     e4_out_str(&sum, ln, SUM_VERDICT, res->nfindings ? "problems found" : "clean") ?:
	     e4_out_bool(&sum, ln, SUM_ADVISORY, advisory) ?:
	     e4_out_bool(&sum, ln, SUM_FROZEN, frozen) ?:
	     fill_findings(out, res, advisory) ?:
	     e4_out_print_all(all, ARRAY_SIZE(all));
out:
	e4_out_free(&sum);
	return rc;
}

/*
 * The primary superblock is unusable: say where the backups are, as
 * e2fsck does, with the command that reads one.
 */
static void backup_hint(const struct e4_cli *cli, const struct e4_target *t,
			bool quiet_if_none)
{
	uint64_t blocks[8];
	char list[200];
	unsigned int bs;
	size_t n, i, used = 0;

	if (e4_fs_find_backups(t, blocks, ARRAY_SIZE(blocks), &n, &bs) || !n) {
		/* Another filesystem, or nothing at all: the error says it. */
		if (quiet_if_none)
			return;
		fprintf(stderr, "%s: %s: no backup superblock found either; if this is an ext2/3/4 filesystem, try 'e2fsck -b BLOCK %s'\n",
			cli->prog, e4_target_name(t), e4_target_name(t));
		return;
	}
	list[0] = '\0';
	for (i = 0; i < n && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s%llu",
				 i ? ", " : "", (unsigned long long)blocks[i]);
	fprintf(stderr, "%s: %s: the primary superblock is unusable; backup superblocks (block size %u) are at %s%s: try '%s -b %llu %s'\n",
		cli->prog, e4_target_name(t), bs, list, n == ARRAY_SIZE(blocks) ? ", ..." : "",
		cli->prog, (unsigned long long)blocks[0], e4_target_name(t));
}

/* Freeze (when asked and mounted), open, audit, hold (tests), thaw. */
static int audit(const struct e4_cli *cli, const struct check_opts *o,
		 const struct e4_target *t, struct e4_check_result *res,
		 bool *frozen)
{
	const volatile sig_atomic_t *cancel = e4_catch_signals();
	struct check_progress p = {
		.scan_hold_ms = e4_test_hook_num("SCAN_HOLD_MS"),
		.cancel = cancel,
	};
	struct e4_job job = { check_progress_cb, &p, cancel };
	struct e4_freeze *fz = NULL;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	int rc, trc;

	if (o->freeze && t->mounted) {
		rc = e4_freeze(t->mountpoint, o->timeout_ms, &fz, &err);
		if (rc)
			return e4_cli_error(cli, &err);
		*frozen = true;
	}
	/* Opened after the freeze: the descriptors are read once it holds. */
	if (o->sb_block)
		rc = e4_fs_open_backup(t, o->sb_block, o->block_size, &fs, &err);
	else
		rc = e4_fs_open(t, 0, &fs, &err);
	if (rc && !o->sb_block && !t->mounted && rc != -EINTR) {
		e4_cli_error(cli, &err);
		backup_hint(cli, t, false);
		goto out_fail;
	}
	if (!rc) {
		e4_progress_init(&p.bar, "check", "groups", o->progress);
		rc = e4_check_run(fs, o->threads, &job, res, &err);
		e4_progress_done(&p.bar);
	}
	e4_fs_close(fs);
	if (fz) {
		if (!rc)
			test_hold(e4_test_hook_num("FREEZE_HOLD_MS"), "freeze",
				  cancel);
		trc = e4_thaw(fz, &err);
		if (trc == -ETIMEDOUT) {
			fprintf(stderr, "%s: %s: check incomplete: frozen longer than %d ms, thawed before the audit ended\n",
				cli->prog, e4_target_name(t), o->timeout_ms);
			e4_check_result_free(res);
			return E4_FSCK_ERROR;
		}
		if (trc && !rc)
			rc = trc;
	}
	if (rc == -EINTR || (!rc && *cancel)) {
		fprintf(stderr, "%s: interrupted%s\n", cli->prog,
			fz ? "; the filesystem is thawed" : "");
		e4_check_result_free(res);
		return E4_FSCK_ERROR;
	}
	if (rc)
		return e4_cli_error(cli, &err);
	return 0;
out_fail:
	if (fz)
		e4_thaw(fz, NULL);
	return E4_FSCK_ERROR;
}

/* A block number for -b: decimal, no sign, not zero. */
static int parse_block(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || !*v ? -EINVAL : 0;
}

int cmd_check(struct e4_cli *cli)
{
	struct check_opts o = { .timeout_ms = E4_FREEZE_TIMEOUT_MS };
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o.out),
		E4_OPENMETRICS_OPTION(&o.openmetrics),
		E4_FREEZE_OPTIONS(&o.freeze, &o.timeout_ms),
		{ "threads", 'j', POPT_ARG_INT, &o.threads, 0,
		  "scanner threads (default: one per CPU)", "N" },
		E4_PROGRESS_OPTION(&o.progress),
		E4_REFUSED_OPTION('f', "-f is --force in every command now; to freeze, use --freeze"),
		{ "superblock", 'b', POPT_ARG_STRING, &o.superblock, 0,
		  "read the backup superblock at BLOCK (and its descriptors), as e2fsck -b", "BLOCK" },
		{ "block-size", 'B', POPT_ARG_INT, &o.block_size, 0,
		  "with -b: the block size (default: try each)", "SIZE" },
		POPT_TABLEEND
	};
	struct e4_check_result res = { 0 };
	struct e4_target *t = NULL;
	struct e4_err err = { 0 };
	bool frozen = false, advisory;
	struct e4_out out = { 0 };
	char msg[128];
	int rc;

	e4_cli_columns(cli, &o.out, colinfo, ARRAY_SIZE(colinfo));
	rc = e4_cli_parse(cli, opts);
	if (rc)
		goto out;
	if (o.openmetrics && (o.out.json || o.out.raw))
		rc = e4_cli_usage_error(cli, "--openmetrics excludes --json and --raw");
	else if (o.timeout_ms <= 0)
		rc = e4_cli_usage_error(cli, "--freeze-timeout must be a positive number of milliseconds");
	else if (o.threads < 0 || o.threads > 256)
		rc = e4_cli_usage_error(cli, "--threads must be 0 (one per CPU, the default) or 1 to 256");
	else if (o.block_size && !o.superblock)
		rc = e4_cli_usage_error(cli, "-B (--block-size) goes with -b (--superblock)");
	else if (o.block_size && (o.block_size < EXT2_MIN_BLOCK_SIZE ||
				  o.block_size > EXT2_MAX_BLOCK_SIZE ||
				  (o.block_size & (o.block_size - 1))))
		rc = e4_cli_usage_error(cli, "-B must be a power of two from %d to %d",
					EXT2_MIN_BLOCK_SIZE, EXT2_MAX_BLOCK_SIZE);
	else if (o.superblock && parse_block(o.superblock, &o.sb_block))
		rc = e4_cli_usage_error(cli, "-b: invalid block number '%s'", o.superblock);
	else if (e4_out_init(&out, &o.out, colinfo, ARRAY_SIZE(colinfo), defaults,
			     "findings", false, msg, sizeof(msg)))
		rc = e4_cli_usage_error(cli, "%s", msg);
	if (rc)
		goto out;

	/* With -b the primary superblock may be gone: no signature needed. */
	rc = o.superblock ? e4_target_resolve_unprobed(cli->args[0], &t, &err) :
			    e4_target_resolve(cli->args[0], &t, &err);
	if (rc == -EMEDIUMTYPE &&
	    !e4_target_resolve_unprobed(cli->args[0], &t, NULL) && !t->mounted) {
		e4_cli_error(cli, &err);
		backup_hint(cli, t, true);
		rc = E4_FSCK_ERROR;
		goto out;
	}
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	if (o.freeze && !t->mounted)
		e4_cli_warn(cli, "%s is not mounted; --freeze has nothing to do",
			    e4_target_name(t));
	rc = audit(cli, &o, t, &res, &frozen);
	if (rc)
		goto out;

	/*
	 * A mounted filesystem's metadata on disk lags its journal, so
	 * without a freeze a disagreement may only mean "not written yet".
	 */
	advisory = t->mounted && !frozen;
	if (advisory)
		e4_cli_warn(cli, "%s is mounted on %s: the on-disk metadata may lag the journal, so this result is advisory (use --freeze)",
			    e4_target_name(t), t->mountpoint);
	if (o.openmetrics)
		rc = e4_metrics_check(stdout, t, &res, advisory, frozen, time(NULL));
	else if (o.out.json)
		rc = print_json(&out, &o, t, &res, advisory, frozen);
	else if (res.nfindings || o.out.raw)
		rc = fill_findings(&out, &res, advisory) ?: e4_out_print(&out);
	if (rc) {
		rc = e4_cli_fail(cli);
		goto out;
	}
	if (!o.out.json && !o.out.raw && !o.openmetrics)
		printf("%s: %u groups, %llu free blocks, %llu free inodes: %s%s\n",
		       e4_target_name(t), res.groups,
		       (unsigned long long)res.free_blocks,
		       (unsigned long long)res.free_inodes,
		       res.nfindings ? "problems found" : "clean",
		       res.nfindings && advisory ? " (advisory)" : "");
	rc = res.nfindings && !advisory ? E4_FSCK_PROBLEMS : E4_FSCK_OK;
out:
	e4_check_result_free(&res);
	e4_out_free(&out);
	e4_target_free(t);
	/* popt hands string arguments over to us. */
	free(o.out.columns);
	free(o.superblock);
	return rc;
}
