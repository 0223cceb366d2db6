// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl inline list TARGET, e4ctl inline convert TARGET [PATH...]: the
 * inodes that keep their data inside the inode, and their conversion to
 * block-mapped ones (offline with libext2fs, online through the kernel),
 * down to clearing the inline_data feature.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "inline_table.h"
#include "output.h"
#include "progress.h"
#include "e4/fs.h"
#include "e4/inline.h"
#include "e4/target.h"

/* Mounted, --from-device, TARGET a directory below the mount point. */
static int from_device_subtree(const struct e4_target *t, struct e4_inline_set *set,
			       struct shown *m, char **sub, struct e4_err *err)
{
	struct stat st;
	int rc;

	if (!t->path || !strcmp(t->path, t->mountpoint))
		return 0;
	if (stat(t->path, &st))
		return e4_err_sys(err, -errno, "%s", t->path);
	if (st.st_ino == EXT2_ROOT_INO)
		return 0;
	rc = e4_inline_select_ino(set, st.st_ino, sub, err);
	if (rc == -ENOENT)
		return e4_err_set(err, rc,
				  "%s: directory inode %llu is not on %s yet (run sync first)",
				  t->path, (unsigned long long)st.st_ino, t->device);
	if (rc)
		return rc;
	m->dir = t->path;
	m->sub = *sub;
	return 0;
}

static int list_main(struct e4_cli *cli, struct inline_opts *o)
{
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o->out),
		{ "from-device", '\0', POPT_ARG_NONE, &o->from_device, 0,
		  "mounted: read the inode table from the device instead of asking the kernel", NULL },
		E4_PROGRESS_OPTION(&o->progress),
		POPT_TABLEEND
	};
	struct e4_inline_set *set = NULL;
	struct e4_target *t = NULL;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	struct e4_progress prog;
	struct e4_job job = { 0 };
	struct shown m = { 0 };
	struct tally tl = { 0 };
	char *sub = NULL;
	bool walked;
	size_t i, n = 0;
	int rc;

	e4_cli_columns(cli, &o->out, inline_colinfo, inline_ncolinfo);
	rc = e4_cli_parse(cli, opts);
	if (rc)
		return rc;

	rc = e4_target_resolve(cli->args[0], &t, &err);
	if (rc)
		goto out_err;
	walked = t->mounted && !o->from_device;
	e4_progress_init(&prog, "inline list", walked ? "files" : "inodes",
			 o->progress);
	job.progress = e4_progress_cb;
	job.progress_arg = &prog;
	if (walked) {
		rc = e4_inline_set_new(&set, &err);
		if (!rc)
			rc = e4_inline_walk(set, t->path ? t->path : t->mountpoint,
					    t->devno, 0, &job, &err);
	} else {
		if (t->mounted) {
			e4_cli_warn(cli, "reading %s under the mounted filesystem: it may lag what the kernel has in memory (run sync first)",
				    t->device);
			m.mnt = t->mountpoint;
		}
		rc = e4_fs_open(t, 0, &fs, &err);
		if (!rc)
			rc = e4_inline_scan(fs, &job, &set, &err);
		/* A directory as TARGET: its subtree, as the walk would. */
		if (!rc && t->mounted)
			rc = from_device_subtree(t, set, &m, &sub, &err);
	}
	e4_progress_done(&prog);
	if (rc)
		goto out_err;
	inline_warn_unchecked(cli, t, set, walked);
	for (i = 0; i < set->n; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (e->status == E4_INLINE_FAILED) {
			e4_cli_warn(cli, "%s: %s: %s; not known whether it has inline data",
				    e->path, e->why, strerror(-e->error));
			continue;
		}
		inline_tally_add(&tl, e);
		n++;
	}
	rc = inline_print_set(cli, o, set, &m, inline_list_defaults, true);
	if (rc)
		goto out;
	if (inline_want_summary(o)) {
		printf("%s%zu inode%s with inline data: ", n ? "\n" : "",
		       n, n == 1 ? "" : "s");
		inline_tally_print(&tl);
		printf("\n");
	}
	goto out;
out_err:
	rc = e4_cli_error(cli, &err);
out:
	free(sub);
	e4_inline_set_free(set);
	e4_fs_close(fs);
	e4_target_free(t);
	return rc;
}

int cmd_inline_list(struct e4_cli *cli)
{
	struct inline_opts o = { 0 };
	int rc = list_main(cli, &o);

	/* popt hands string arguments over to us. */
	free(o.out.columns);
	return rc;
}

/* Online: each PATH (or the whole mount) through the kernel. */
static int convert_online(const struct e4_cli *cli, const struct inline_opts *o,
			  const struct e4_target *t, struct e4_inline_set *set,
			  const struct e4_job *job, struct e4_err *err)
{
	unsigned int flags = o->dry_run ? E4_INLINE_DRY_RUN : E4_INLINE_CONVERT;
	struct stat st;
	int k, rc;

	if (o->all)
		return e4_inline_walk(set, t->path ? t->path : t->mountpoint,
				      t->devno, flags, job, err);
	for (k = 0; k < cli->nargs - 1; k++) {
		const char *p = cli->args[k + 1];

		/* The walk checks again what it opens; this names the PATH. */
		if (lstat(p, &st))
			return e4_err_sys(err, -errno, "%s", p);
		if (st.st_dev != t->devno)
			return e4_err_set(err, -EXDEV, "%s: not on %s", p,
					  e4_target_name(t));
		rc = e4_inline_walk(set, p, t->devno, flags, job, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int convert_main(struct e4_cli *cli, struct inline_opts *o)
{
	struct poptOption opts[] = {
		E4_OUTPUT_OPTIONS(&o->out),
		{ "all", 'a', POPT_ARG_NONE, &o->all, 0,
		  "convert every inline inode (instead of PATHs)", NULL },
		{ "dry-run", 'n', POPT_ARG_NONE, &o->dry_run, 0,
		  "say what would be converted, change nothing", NULL },
		{ "disable-feature", '\0', POPT_ARG_NONE, &o->disable_feature, 0,
		  "unmounted, with --all: then clear the inline_data feature", NULL },
		{ "undo", 'z', POPT_ARG_STRING, &o->undo, 0,
		  "unmounted: save what is overwritten to FILE for e2undo", "FILE" },
		{ "force", 'f', POPT_ARG_NONE, &o->force, 0,
		  "unmounted: convert even if the filesystem is not cleanly checked", NULL },
		E4_PROGRESS_OPTION(&o->progress),
		POPT_TABLEEND
	};
	struct e4_inline_set *set = NULL;
	struct e4_target *t = NULL;
	struct e4_fs *fs = NULL;
	struct e4_err err = { 0 };
	struct e4_progress prog;
	struct e4_job job = { 0 };
	struct tally done = { 0 };
	uint64_t skipped = 0, failed = 0, unreached = 0;
	bool nothing = false;
	size_t i;
	int rc, prc;

	e4_cli_columns(cli, &o->out, inline_colinfo, inline_ncolinfo);
	rc = e4_cli_parse(cli, opts);
	if (rc)
		return rc;
	if (!o->all && cli->nargs < 2)
		return e4_cli_usage_error(cli, "name the PATHs to convert, or use --all");
	if (o->all && cli->nargs > 1)
		return e4_cli_usage_error(cli, "--all and PATHs exclude each other");
	if (o->disable_feature && !o->all)
		return e4_cli_usage_error(cli, "--disable-feature needs --all");
	if (o->dry_run && o->undo)
		return e4_cli_usage_error(cli, "--dry-run writes nothing to undo");

	rc = e4_target_resolve(cli->args[0], &t, &err);
	if (rc)
		goto out_err;
	e4_progress_init(&prog, "inline convert", t->mounted ? "files" : "inodes",
			 o->progress);
	job.progress = e4_progress_cb;
	job.progress_arg = &prog;
	job.cancel = e4_catch_signals();
	if (t->mounted && (o->disable_feature || o->undo)) {
		rc = e4_err_set(&err, -EBUSY, "%s: mounted on %s; %s needs it unmounted",
				e4_target_name(t), t->mountpoint,
				o->disable_feature ? "--disable-feature" : "--undo");
		goto out_err;
	}
	if (t->mounted && t->readonly && !o->dry_run) {
		rc = e4_err_set(&err, -EROFS,
				"%s: mounted read-only on %s; remount it read-write, or unmount it",
				e4_target_name(t), t->mountpoint);
		goto out_err;
	}
	if (t->mounted) {
		rc = e4_inline_set_new(&set, &err);
		if (!rc)
			rc = convert_online(cli, o, t, set, &job, &err);
	} else {
		struct e4_inline_offline off = {
			.paths = o->all ? NULL : (const char *const *)cli->args + 1,
			.npaths = cli->nargs - 1,
			.dry_run = o->dry_run,
			.disable_feature = o->disable_feature,
			.force = o->force,
			.undo = o->undo,
		};

		rc = e4_inline_convert_offline(t, &off, &job, &fs, &set,
					       &nothing, &err);
	}
	e4_progress_done(&prog);
	if (nothing) {
		if (inline_want_summary(o))
			printf("%s has no inline_data feature; nothing to do\n",
			       e4_target_name(t));
		else
			e4_cli_warn(cli, "%s has no inline_data feature; nothing to do",
				    e4_target_name(t));
		/* Still one document under --json: no inode. */
		if (o->out.json) {
			static const struct e4_inline_set none;

			rc = inline_print_set(cli, o, &none, NULL,
					      inline_convert_defaults, false);
		}
		goto out;
	}
	/*
	 * A refusal leaves no set; once inodes were looked at, the table is
	 * shown even when the run then stopped (interrupted, failed, feature
	 * left).
	 */
	if (!set)
		goto out_err;
	prc = inline_print_set(cli, o, set, NULL, inline_convert_defaults, false);
	for (i = 0; i < set->n; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (e->status == E4_INLINE_CONVERTED || e->status == E4_INLINE_WOULD_CONVERT)
			inline_tally_add(&done, e);
		else if (e->status == E4_INLINE_SKIPPED)
			skipped++;
		else if (e->status == E4_INLINE_FAILED)
			failed++;
		else if (e->status == E4_INLINE_NOT_REACHED)
			unreached++;
	}
	if (inline_want_summary(o)) {
		printf("%s%s: ", set->n ? "\n" : "", o->dry_run ? "would convert" : "converted");
		inline_tally_print(&done);
		printf("; skipped %" PRIu64 ", failed %" PRIu64, skipped, failed);
		if (unreached)
			printf(", not reached %" PRIu64, unreached);
		printf("\n");
		if (!rc && o->disable_feature && !o->dry_run)
			printf("inline_data cleared on %s\n", e4_target_name(t));
	}
	if (t->mounted)
		inline_warn_unchecked(cli, t, set, true);
	if (rc == -EINTR) {
		fflush(stdout);
		fprintf(stderr, "%s: %s\n", cli->prog, err.msg);
		rc = E4_EXIT_INTERRUPTED;
	} else if (rc) {
		fflush(stdout);
		goto out_err;
	} else if (prc) {
		rc = prc;
	} else if (skipped || failed) {
		rc = e4_cli_fail(cli);
	}
	goto out;
out_err:
	rc = e4_cli_error(cli, &err);
out:
	e4_inline_set_free(set);
	e4_fs_close(fs);
	e4_target_free(t);
	return rc;
}

int cmd_inline_convert(struct e4_cli *cli)
{
	struct inline_opts o = { 0 };
	int rc = convert_main(cli, &o);

	/* popt hands string arguments over to us. */
	free(o.out.columns);
	free(o.undo);
	return rc;
}
