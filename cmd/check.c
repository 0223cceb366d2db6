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
	[COL_WHAT] = { "WHAT", "What", 0, 0, E4_COL_STR, "free_blocks, free_inodes, desc_csum, block_bitmap_csum, inode_bitmap_csum, sb_free_blocks, sb_free_inodes" },
	[COL_EXPECTED] = { "EXPECTED", "Expected", 0, R, E4_COL_NUM, "the value the bitmaps (or the checksum) call for" },
	[COL_FOUND] = { "FOUND", "Found", 0, R, E4_COL_NUM, "the value stored in the descriptor or superblock" },
	[COL_LEVEL] = { "LEVEL", "Level", 0, 0, E4_COL_STR, "error, or warning when the result is advisory (mounted, not frozen)" },
};
#undef R

static const int defaults[] = { COL_GROUP, COL_WHAT, COL_EXPECTED, COL_FOUND, -1 };

struct check_opts {
	struct e4_outopts out;
	int freeze;
	int timeout_ms;
	int threads;
	int progress;
};

/*
 * Test hook, not an interface: E4_TEST_FREEZE_HOLD_MS=N keeps the
 * filesystem frozen N ms after the audit, so that the tests can kill the
 * process (or outlast --freeze-timeout) while it is frozen.  Returns early
 * when a signal sets *cancel.
 */
static void test_hold(const volatile sig_atomic_t *cancel)
{
	const char *s = getenv("E4_TEST_FREEZE_HOLD_MS");
	long ms = s ? strtol(s, NULL, 10) : 0;

	if (ms > 0)
		fprintf(stderr, "e4ctl check: test hook: holding the freeze for %ld ms\n", ms);
	while (ms > 0 && !*cancel) {
		struct timespec ts = { 0, 10 * 1000000L };

		nanosleep(&ts, NULL);
		ms -= 10;
	}
}

static int print_findings(struct e4_out *out, const struct e4_check_result *res,
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
	return e4_out_print(out);
}

/* Freeze (when asked and mounted), open, audit, hold (tests), thaw. */
static int audit(const struct e4_cli *cli, const struct check_opts *o,
		 const struct e4_target *t, struct e4_check_result *res,
		 bool *frozen)
{
	const volatile sig_atomic_t *cancel = e4_catch_signals();
	struct e4_progress p;
	struct e4_job job = { e4_progress_cb, &p, cancel };
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
	rc = e4_fs_open(t, 0, &fs, &err);
	if (!rc) {
		e4_progress_init(&p, "check", "groups", o->progress);
		rc = e4_check_run(fs, o->threads, &job, res, &err);
		e4_progress_done(&p);
	}
	e4_fs_close(fs);
	if (fz) {
		if (!rc)
			test_hold(cancel);
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
}

int cmd_check(struct e4_cli *cli)
{
	struct check_opts o = { .timeout_ms = 5000 };
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o.out),
		{ "freeze", 'f', POPT_ARG_NONE, &o.freeze, 0,
		  "freeze a mounted filesystem while reading it (FIFREEZE)", NULL },
		{ "freeze-timeout", '\0', POPT_ARG_INT, &o.timeout_ms, 0,
		  "thaw after MS milliseconds at most (default 5000)", "MS" },
		{ "threads", 'j', POPT_ARG_INT, &o.threads, 0,
		  "scanner threads (default: one per CPU)", "N" },
		{ "progress", 'p', POPT_ARG_NONE, &o.progress, 0,
		  "show progress on stderr even when it is not a terminal", NULL },
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
	if (o.timeout_ms <= 0)
		rc = e4_cli_usage_error(cli, "--freeze-timeout must be a positive number of milliseconds");
	else if (o.threads < 0 || o.threads > 256)
		rc = e4_cli_usage_error(cli, "--threads must be between 1 and 256");
	else if (e4_out_init(&out, &o.out, colinfo, ARRAY_SIZE(colinfo), defaults,
			     "findings", false, msg, sizeof(msg)))
		rc = e4_cli_usage_error(cli, "%s", msg);
	if (rc)
		goto out;

	rc = e4_target_resolve(cli->args[0], &t, &err);
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
	if ((res.nfindings || o.out.json || o.out.raw) &&
	    print_findings(&out, &res, advisory)) {
		rc = e4_cli_fail(cli);
		goto out;
	}
	if (!o.out.json && !o.out.raw)
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
	return rc;
}
