// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl delalloc audit TARGET [PATH...]: the files holding delayed
 * allocations, the filesystem's counter against their sum, and the
 * findings, with fsck's exit codes (0 consistent, 4 findings, 8 error).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "metrics.h"
#include "openmetrics.h"
#include "output.h"
#include "progress.h"
#include "e4/delalloc.h"
#include "e4/target.h"

/* The files that hold something. */
enum {
	COL_PATH, COL_INODE, COL_SIZE, COL_DELALLOC_BLOCKS, COL_RESERVED_BLOCKS,
	COL_DIRTY_PAGES, COL_WRITEBACK_PAGES, COL_STALE,
};

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_PATH] = { "PATH", "Path", 0.5, 0, E4_COL_STR, "file path" },
	[COL_INODE] = { "INODE", "Inode", 0, R, E4_COL_NUM, "inode number" },
	[COL_SIZE] = { "SIZE", "Size", 0, R, E4_COL_NUM, "file size in bytes" },
	[COL_DELALLOC_BLOCKS] = { "DELALLOC_BLOCKS", "Delalloc blocks", 0, R, E4_COL_NUM, "blocks in FIEMAP_EXTENT_DELALLOC extents" },
	[COL_RESERVED_BLOCKS] = { "RESERVED_BLOCKS", "Reserved blocks", 0, R, E4_COL_NUM, "blocks of the clusters those need reserved (bigalloc)" },
	[COL_DIRTY_PAGES] = { "DIRTY_PAGES", "Dirty pages", 0, R, E4_COL_NUM, "dirty pages in the page cache (cachestat; n/a without it)" },
	[COL_WRITEBACK_PAGES] = { "WRITEBACK_PAGES", "Writeback pages", 0, R, E4_COL_NUM, "pages under writeback (cachestat; n/a without it)" },
	[COL_STALE] = { "STALE", "Stale", 0, 0, E4_COL_BOOL, "delalloc extent with no dirty or writeback page while quiesced" },
};

static const int defaults[] = {
	COL_PATH, COL_INODE, COL_DELALLOC_BLOCKS, COL_DIRTY_PAGES,
	COL_WRITEBACK_PAGES, -1
};

/* The filesystem summary, one record. */
enum {
	FS_MOUNTPOINT, FS_SYSFS_NAME, FS_BLOCK_SIZE, FS_CLUSTER_SIZE,
	FS_QUIESCE, FS_LIVE_COUNTER, FS_COUNTER_SAMPLES, FS_STABLE,
	FS_COUNTER, FS_FILE_SUM, FS_DELALLOC_SUM, FS_DIFFERENCE,
	FS_RESERVED_CLUSTERS, FS_FILES_SCANNED, FS_FILES_HOLDING,
	FS_FILES_SKIPPED, FS_CACHESTAT, FS_STATFS_FREE, FS_DISK_FREE,
	FS_SB_FREE, FS_FREE_DIFFERENCE, FS_VERDICT,
};

static const struct e4_colinfo fsinfo[] = {
	[FS_MOUNTPOINT] = { "MOUNTPOINT", "Mount point", 0, 0, E4_COL_STR, "" },
	[FS_SYSFS_NAME] = { "SYSFS_NAME", "Kernel device name", 0, 0, E4_COL_STR, "" },
	[FS_BLOCK_SIZE] = { "BLOCK_SIZE", "Block size", 0, R, E4_COL_NUM, "" },
	[FS_CLUSTER_SIZE] = { "CLUSTER_SIZE", "Cluster size", 0, R, E4_COL_NUM, "" },
	[FS_QUIESCE] = { "QUIESCE", "Quiesced by", 0, 0, E4_COL_STR, "" },
	[FS_LIVE_COUNTER] = { "LIVE_COUNTER", "Counter before quiescing", 0, R, E4_COL_NUM, "" },
	[FS_COUNTER_SAMPLES] = { "COUNTER_SAMPLES", "Counter samples", 0, 0, E4_COL_STR, "" },
	[FS_STABLE] = { "STABLE", "Counter stable", 0, 0, E4_COL_BOOL, "" },
	[FS_COUNTER] = { "COUNTER", "Delayed allocation blocks", 0, R, E4_COL_NUM, "" },
	[FS_FILE_SUM] = { "FILE_SUM", "Blocks reserved for files", 0, R, E4_COL_NUM, "" },
	[FS_DELALLOC_SUM] = { "DELALLOC_SUM", "Delalloc blocks of files", 0, R, E4_COL_NUM, "" },
	[FS_DIFFERENCE] = { "DIFFERENCE", "Counter minus files", 0, R, E4_COL_NUM, "" },
	[FS_RESERVED_CLUSTERS] = { "RESERVED_CLUSTERS", "Reserved clusters", 0, R, E4_COL_NUM, "" },
	[FS_FILES_SCANNED] = { "FILES_SCANNED", "Files scanned", 0, R, E4_COL_NUM, "" },
	[FS_FILES_HOLDING] = { "FILES_HOLDING", "Files holding delalloc or dirty pages", 0, R, E4_COL_NUM, "" },
	[FS_FILES_SKIPPED] = { "FILES_SKIPPED", "Files skipped", 0, R, E4_COL_NUM, "" },
	[FS_CACHESTAT] = { "CACHESTAT", "cachestat(2)", 0, 0, E4_COL_BOOL, "" },
	[FS_STATFS_FREE] = { "STATFS_FREE", "Free blocks (statfs)", 0, R, E4_COL_NUM, "" },
	[FS_DISK_FREE] = { "DISK_FREE", "Free blocks (group descriptors on disk)", 0, R, E4_COL_NUM, "" },
	[FS_SB_FREE] = { "SB_FREE", "Free blocks (superblock on disk)", 0, R, E4_COL_NUM, "" },
	[FS_FREE_DIFFERENCE] = { "FREE_DIFFERENCE", "On-disk minus statfs free", 0, R, E4_COL_NUM, "" },
	[FS_VERDICT] = { "VERDICT", "Verdict", 0, 0, E4_COL_STR, "" },
};

static const int fs_defaults[] = {
	FS_MOUNTPOINT, FS_SYSFS_NAME, FS_BLOCK_SIZE, FS_CLUSTER_SIZE,
	FS_QUIESCE, FS_LIVE_COUNTER, FS_COUNTER_SAMPLES, FS_STABLE,
	FS_COUNTER, FS_FILE_SUM, FS_DELALLOC_SUM, FS_DIFFERENCE,
	FS_RESERVED_CLUSTERS, FS_FILES_SCANNED, FS_FILES_HOLDING,
	FS_FILES_SKIPPED, FS_CACHESTAT, FS_STATFS_FREE, FS_DISK_FREE,
	FS_SB_FREE, FS_FREE_DIFFERENCE, FS_VERDICT, -1
};

enum { FI_FINDING, FI_PATH, FI_INODE, FI_BLOCKS, FI_MESSAGE };

static const struct e4_colinfo fiinfo[] = {
	[FI_FINDING] = { "FINDING", "Finding", 0, 0, E4_COL_STR, "" },
	[FI_PATH] = { "PATH", "Path", 0, 0, E4_COL_STR, "" },
	[FI_INODE] = { "INODE", "Inode", 0, R, E4_COL_NUM, "" },
	[FI_BLOCKS] = { "BLOCKS", "Blocks", 0, R, E4_COL_NUM, "" },
	[FI_MESSAGE] = { "MESSAGE", "Message", 0, 0, E4_COL_STR, "" },
};
#undef R

static const int fi_defaults[] = {
	FI_FINDING, FI_PATH, FI_INODE, FI_BLOCKS, FI_MESSAGE, -1
};

static const char *const kind_names[] = {
	[E4_DA_LEAK] = "leak", [E4_DA_STALE] = "stale",
	[E4_DA_MISMATCH] = "mismatch",
};

struct delalloc_opts {
	struct e4_outopts out;
	int openmetrics;
	char *sysroot;
	int sync;
	int freeze;
	int freeze_timeout_ms;
	int samples;
	int interval_ms;
	int all;
	int progress;
};

/* Pages are "n/a" without cachestat: JSON null, "n/a" for people. */
static void pages(struct e4_out *out, struct libscols_line *ln, int id,
		  bool known, uint64_t val)
{
	if (known)
		e4_out_u64(out, ln, id, val);
	else if (!out->opts->json)
		e4_out_str(out, ln, id, "n/a");
}

static int fill_files(struct e4_out *out, const struct e4_da_report *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++) {
		const struct e4_da_file *f = &r->files[i];
		struct libscols_line *ln = e4_out_line(out);

		if (!ln)
			return -ENOMEM;
		e4_out_str(out, ln, COL_PATH, f->path);
		e4_out_u64(out, ln, COL_INODE, f->ino);
		e4_out_u64(out, ln, COL_SIZE, f->size);
		e4_out_u64(out, ln, COL_DELALLOC_BLOCKS, f->delalloc_blocks);
		e4_out_u64(out, ln, COL_RESERVED_BLOCKS, f->reserved_blocks);
		pages(out, ln, COL_DIRTY_PAGES, f->pages_known, f->dirty_pages);
		pages(out, ln, COL_WRITEBACK_PAGES, f->pages_known,
		      f->writeback_pages);
		e4_out_bool(out, ln, COL_STALE, f->stale);
	}
	return 0;
}

/* Why there is no verdict on the filesystem, or what it is. */
static const char *verdict(const struct e4_da_report *r, char *buf, size_t len)
{
	if (r->nfindings)
		snprintf(buf, len, "%zu finding%s", r->nfindings,
			 r->nfindings == 1 ? "" : "s");
	else if (!r->quiesced)
		snprintf(buf, len, "not judged: not quiesced (use --sync or --freeze)");
	else if (!r->stable)
		snprintf(buf, len, "not judged: the counter changed between samples");
	else if (r->partial)
		snprintf(buf, len, "not judged: only the PATHs given were walked");
	else if (r->subtree)
		snprintf(buf, len, "not judged: %s shows only a subdirectory of the filesystem",
			 r->mountpoint);
	else if (r->files_skipped)
		snprintf(buf, len, "not judged: %" PRIu64 " files could not be read",
			 r->files_skipped);
	else
		snprintf(buf, len, "consistent");
	return buf;
}

static int fill_fs(struct e4_out *out, const struct e4_da_report *r)
{
	static const char *const how[] = { "none", "sync", "freeze" };
	struct libscols_line *ln = e4_out_line(out);
	char samples[E4_DA_MAX_SAMPLES * 21 + 1] = "", buf[4200];
	size_t used = 0;
	unsigned int i;

	if (!ln)
		return -ENOMEM;
	for (i = 0; i < r->nsamples; i++)
		used += snprintf(samples + used, sizeof(samples) - used, "%s%" PRIu64,
				 i ? "," : "", r->samples[i]);
	e4_out_str(out, ln, FS_MOUNTPOINT, r->mountpoint);
	e4_out_str(out, ln, FS_SYSFS_NAME, r->sysfs_name);
	e4_out_u64(out, ln, FS_BLOCK_SIZE, r->block_size);
	if (r->disk_known)
		e4_out_u64(out, ln, FS_CLUSTER_SIZE,
			   (uint64_t)r->block_size * r->cluster_ratio);
	e4_out_str(out, ln, FS_QUIESCE, how[r->quiesce]);
	e4_out_u64(out, ln, FS_LIVE_COUNTER, r->live_counter);
	e4_out_str(out, ln, FS_COUNTER_SAMPLES, samples);
	e4_out_bool(out, ln, FS_STABLE, r->stable);
	e4_out_u64(out, ln, FS_COUNTER, r->counter);
	e4_out_u64(out, ln, FS_FILE_SUM, r->file_sum);
	e4_out_u64(out, ln, FS_DELALLOC_SUM, r->delalloc_sum);
	e4_out_printf(out, ln, FS_DIFFERENCE, "%" PRId64, r->difference);
	e4_out_u64(out, ln, FS_RESERVED_CLUSTERS, r->reserved_clusters);
	e4_out_u64(out, ln, FS_FILES_SCANNED, r->files_scanned);
	e4_out_u64(out, ln, FS_FILES_HOLDING, r->files_holding);
	e4_out_u64(out, ln, FS_FILES_SKIPPED, r->files_skipped);
	e4_out_bool(out, ln, FS_CACHESTAT, r->cachestat);
	e4_out_u64(out, ln, FS_STATFS_FREE, r->statfs_free);
	if (r->disk_known) {
		e4_out_u64(out, ln, FS_DISK_FREE, r->disk_free);
		e4_out_u64(out, ln, FS_SB_FREE, r->sb_free);
		e4_out_printf(out, ln, FS_FREE_DIFFERENCE, "%" PRId64,
			      (int64_t)(r->disk_free - r->statfs_free));
	} else if (!out->opts->json) {
		e4_out_str(out, ln, FS_DISK_FREE, "n/a (device not readable)");
		e4_out_str(out, ln, FS_SB_FREE, "n/a");
		e4_out_str(out, ln, FS_FREE_DIFFERENCE, "n/a");
	}
	e4_out_str(out, ln, FS_VERDICT, verdict(r, buf, sizeof(buf)));
	return 0;
}

static int fill_findings(struct e4_out *out, const struct e4_da_report *r)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const struct e4_da_finding *fi = &r->findings[i];
		struct libscols_line *ln = e4_out_line(out);

		if (!ln)
			return -ENOMEM;
		e4_out_str(out, ln, FI_FINDING, kind_names[fi->kind]);
		e4_out_str(out, ln, FI_PATH, fi->path);
		if (fi->path)
			e4_out_u64(out, ln, FI_INODE, fi->ino);
		e4_out_printf(out, ln, FI_BLOCKS, "%" PRId64, fi->blocks);
		e4_out_str(out, ln, FI_MESSAGE, fi->msg);
	}
	return 0;
}

/* People read findings as fsck prints problems: one sentence a line. */
static void print_findings(const struct e4_da_report *r)
{
	size_t i;

	for (i = 0; i < r->nfindings; i++) {
		const struct e4_da_finding *fi = &r->findings[i];

		if (fi->path)
			printf("%s (inode %" PRIu64 "): %s\n", fi->path, fi->ino,
			       fi->msg);
		else
			printf("%s\n", fi->msg);
	}
}

/*
 * Test hook, documented in e4ctl-delalloc(8): with E4_TEST_FROZEN_FILE
 * set, create that file once the filesystem is frozen and stay frozen
 * until a signal arrives or the test removes the file, so that a test can
 * act at a known point without guessing how long anything takes.
 */
struct frozen_hook {
	const char *file;
	const volatile sig_atomic_t *stop;
};

static void frozen_hook(void *arg)
{
	struct frozen_hook *h = arg;
	unsigned int waited = 0;
	int fd;

	fd = open(h->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	close(fd);
	/* ten minutes at most: a test that died must not leave us here */
	while (!*h->stop && access(h->file, F_OK) == 0 && waited < 600000) {
		struct timespec ts = { 0, 20 * 1000000L };

		nanosleep(&ts, NULL);
		waited += 20;
	}
}

int cmd_delalloc_audit(struct e4_cli *cli)
{
	struct delalloc_opts o = { .freeze_timeout_ms = E4_FREEZE_TIMEOUT_MS, .samples = 3,
				   .interval_ms = 100 };
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o.out),
		E4_OPENMETRICS_OPTION(&o.openmetrics),
		{ "sync", 's', POPT_ARG_NONE, &o.sync, 0,
		  "syncfs first, then judge", NULL },
		E4_FREEZE_OPTIONS(&o.freeze, &o.freeze_timeout_ms),
		{ "samples", '\0', POPT_ARG_INT, &o.samples, 0,
		  "counter samples taken while the files are walked (default 3)", "N" },
		{ "interval", '\0', POPT_ARG_INT, &o.interval_ms, 0,
		  "milliseconds between samples (default 100)", "MS" },
		{ "all", 'a', POPT_ARG_NONE, &o.all, 0,
		  "list every regular file, not only those holding something", NULL },
		E4_PROGRESS_OPTION(&o.progress),
		E4_SYSROOT_OPTION(&o.sysroot),
		E4_REFUSED_OPTION('f', "-f is --force in every command now; to freeze, use --freeze"),
		POPT_TABLEEND
	};
	struct e4_out files = { 0 }, fs = { 0 }, findings = { 0 };
	struct e4_out *all[] = { &files, &fs, &findings };
	struct e4_da_opts dopts = { 0 };
	struct e4_da_report *r = NULL;
	struct e4_target *t = NULL;
	struct e4_err err = { 0 };
	struct e4_outopts fsout;
	struct e4_progress prog;
	struct frozen_hook hook;
	struct e4_job job;
	char msg[128];
	int rc;

	e4_cli_columns(cli, &o.out, colinfo, ARRAY_SIZE(colinfo));
	rc = e4_cli_parse(cli, opts);
	if (rc)
		goto out_opts;
	if (o.sync && o.freeze)
		rc = e4_cli_usage_error(cli, "--sync and --freeze exclude each other");
	else if (o.openmetrics && (o.out.json || o.out.raw))
		rc = e4_cli_usage_error(cli, "--openmetrics excludes --json and --raw");
	else if (o.samples < 1 || o.samples >= E4_DA_MAX_SAMPLES)
		rc = e4_cli_usage_error(cli, "--samples must be 1..%d",
					E4_DA_MAX_SAMPLES - 1);
	else if (o.interval_ms < 0 || o.freeze_timeout_ms <= 0)
		rc = e4_cli_usage_error(cli, "--interval and --freeze-timeout take milliseconds");
	else if (e4_out_init(&files, &o.out, colinfo, ARRAY_SIZE(colinfo),
			     defaults, "files", false, msg, sizeof(msg)))
		rc = e4_cli_usage_error(cli, "%s", msg);
	if (rc)
		goto out_opts;
	/* -o chooses the file columns; the summary and findings are whole. */
	fsout = o.out;
	fsout.columns = NULL;
	if (e4_out_init(&fs, &fsout, fsinfo, ARRAY_SIZE(fsinfo), fs_defaults,
			"filesystem", true, msg, sizeof(msg)) ||
	    e4_out_init(&findings, &fsout, fiinfo, ARRAY_SIZE(fiinfo),
			fi_defaults, "findings", false, msg, sizeof(msg))) {
		rc = e4_cli_fail(cli);
		goto out;
	}

	e4_progress_init(&prog, "delalloc audit", "files", o.progress);
	job.progress = e4_progress_cb;
	job.progress_arg = &prog;
	job.cancel = e4_catch_signals();
	dopts.sysroot = o.sysroot;
	dopts.paths = cli->args + 1;
	dopts.npaths = cli->nargs - 1;
	dopts.quiesce = o.freeze ? E4_DA_FREEZE : o.sync ? E4_DA_SYNC : E4_DA_LIVE;
	dopts.samples = o.samples;
	dopts.interval_ms = o.interval_ms;
	dopts.freeze_timeout_ms = o.freeze_timeout_ms;
	dopts.all_files = o.all;
	dopts.job = &job;
	dopts.samples_first = e4_test_hook("SAMPLES_FIRST") != NULL;
	hook.file = e4_test_hook("FROZEN_FILE");
	hook.stop = job.cancel;
	if (hook.file) {
		dopts.frozen = frozen_hook;
		dopts.frozen_arg = &hook;
	}

	rc = e4_target_resolve(cli->args[0], &t, &err);
	if (!rc)
		rc = e4_da_audit(t, &dopts, &r, &err);
	e4_progress_done(&prog);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	if (fill_files(&files, r) || fill_fs(&fs, r) ||
	    fill_findings(&findings, r)) {
		rc = e4_cli_fail(cli);
		goto out;
	}
	if (o.openmetrics) {
		rc = e4_metrics_delalloc(stdout, t, r, time(NULL));
	} else if (o.out.json) {
		rc = e4_out_print_all(all, ARRAY_SIZE(all));
	} else {
		/* no empty table: the summary says how many files hold some */
		rc = r->nfiles ? e4_out_print_all(all, 2) : e4_out_print(&fs);
		if (!rc && r->nfindings) {
			putchar('\n');
			print_findings(r);
		}
	}
	if (rc)
		rc = e4_cli_fail(cli);
	else
		rc = r->nfindings ? E4_FSCK_PROBLEMS : E4_FSCK_OK;
out:
	e4_da_report_free(r);
	e4_target_free(t);
	e4_out_free(&findings);
	e4_out_free(&fs);
	e4_out_free(&files);
out_opts:
	/* popt hands out copies of string arguments */
	free(o.out.columns);
	free(o.sysroot);
	return rc;
}
