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
#include "output.h"
#include "progress.h"
#include "e4/fs.h"
#include "e4/gate.h"
#include "e4/inline.h"
#include "e4/target.h"

enum { COL_INODE, COL_PATH, COL_TYPE, COL_SIZE, COL_LINKS, COL_STATUS, COL_REASON };

#define R SCOLS_FL_RIGHT
static const struct e4_colinfo colinfo[] = {
	[COL_INODE] = { "INODE", "Inode", 0, R, E4_COL_NUM, "inode number" },
	[COL_PATH] = { "PATH", "Path", 0, SCOLS_FL_NOEXTREMES, E4_COL_STR, "a name of the inode (empty: none found)" },
	[COL_TYPE] = { "TYPE", "Type", 0, 0, E4_COL_STR, "file, dir, symlink or other" },
	[COL_SIZE] = { "SIZE", "Size", 0, R, E4_COL_NUM, "size in bytes (before conversion)" },
	[COL_LINKS] = { "LINKS", "Links", 0, R, E4_COL_NUM, "hard link count" },
	[COL_STATUS] = { "STATUS", "Status", 0, 0, E4_COL_STR, "converted, would-convert, skipped, failed or not-reached" },
	[COL_REASON] = { "REASON", "Reason", 0, SCOLS_FL_WRAP, E4_COL_STR, "why it was skipped or failed" },
};
#undef R

static const int list_defaults[] = { COL_INODE, COL_PATH, COL_TYPE, COL_SIZE, COL_LINKS, -1 };
static const int convert_defaults[] = { COL_INODE, COL_PATH, COL_TYPE, COL_SIZE,
					COL_LINKS, COL_STATUS, COL_REASON, -1 };

struct inline_opts {
	struct e4_outopts out;
	int from_device;
	int all;
	int dry_run;
	int disable_feature;
	int force;
	int progress;
	char *undo;
};

struct tally {
	uint64_t n[4], bytes[4];	/* by type: file, dir, symlink, other */
};

static int type_index(uint32_t mode)
{
	if (S_ISREG(mode))
		return 0;
	if (S_ISDIR(mode))
		return 1;
	return S_ISLNK(mode) ? 2 : 3;
}

static void tally_add(struct tally *t, const struct e4_inline_ent *e)
{
	int i = type_index(e->mode);

	t->n[i]++;
	t->bytes[i] += e->size;
}

/* "3 files (120 bytes), 1 directory (60 bytes)" */
static void tally_print(const struct tally *t)
{
	static const char *const sing[] = { "file", "directory", "symlink", "other" };
	static const char *const plur[] = { "files", "directories", "symlinks", "others" };
	bool first = true;
	int i;

	for (i = 0; i < 4; i++) {
		if (!t->n[i])
			continue;
		printf("%s%" PRIu64 " %s (%" PRIu64 " bytes)", first ? "" : ", ",
		       t->n[i], t->n[i] == 1 ? sing[i] : plur[i], t->bytes[i]);
		first = false;
	}
	if (first)
		printf("none");
}

/* Human summaries only: --raw and --json stay machine-readable. */
static bool want_summary(const struct inline_opts *o)
{
	return !o->out.json && !o->out.raw;
}

/*
 * How the PATH column shows an offline path (relative to the filesystem
 * root) of a mounted filesystem read from its device: below mnt, or, for
 * what lies below the directory dir (whose path on the filesystem is
 * sub), below dir.  Both NULL: as it is.
 */
struct shown {
	const char *mnt;
	const char *dir, *sub;
};

static int show_path(struct e4_out *out, struct libscols_line *ln,
		     const char *p, const struct shown *m)
{
	size_t n;

	if (!p || !m->mnt)
		return e4_out_str(out, ln, COL_PATH, p);
	if (m->sub && (n = strlen(m->sub)) && !strncmp(p, m->sub, n) &&
	    (p[n] == '/' || !p[n]))
		return e4_out_printf(out, ln, COL_PATH, "%s%s", m->dir, p + n);
	if (!strcmp(m->mnt, "/"))
		return e4_out_str(out, ln, COL_PATH, p);
	return e4_out_printf(out, ln, COL_PATH, "%s%s", m->mnt,
			     strcmp(p, "/") ? p : "");
}

/* list: entries FAILED (their flags unknown) are warned about instead. */
static bool listed(const struct e4_inline_ent *e, bool list)
{
	return !list || e->status != E4_INLINE_FAILED;
}

static int print_set(const struct e4_cli *cli, const struct inline_opts *o,
		     const struct e4_inline_set *set, const struct shown *m,
		     const int *defaults, bool list)
{
	static const struct shown none;
	struct e4_out out;
	size_t i, shown = 0;
	char msg[128];
	int rc = 0;

	if (e4_out_init(&out, &o->out, colinfo, ARRAY_SIZE(colinfo), defaults,
			"inodes", false, msg, sizeof(msg)))
		return e4_cli_usage_error(cli, "%s", msg);
	for (i = 0; i < set->n && !rc; i++) {
		const struct e4_inline_ent *e = &set->ents[i];
		struct libscols_line *ln;

		if (!listed(e, list))
			continue;
		ln = e4_out_line(&out);
		if (!ln) {
			rc = -ENOMEM;
			break;
		}
		shown++;
		e4_out_u64(&out, ln, COL_INODE, e->ino);
		show_path(&out, ln, e->path, m ? m : &none);
		e4_out_str(&out, ln, COL_TYPE, e4_inline_type_name(e->mode));
		e4_out_u64(&out, ln, COL_SIZE, e->size);
		e4_out_u64(&out, ln, COL_LINKS, e->links);
		e4_out_str(&out, ln, COL_STATUS, e4_inline_status_name(e->status));
		if (e->status == E4_INLINE_FAILED)
			e4_out_printf(&out, ln, COL_REASON, "%s: %s (%s)", e->why,
				      e->detail ?: strerror(-e->error),
				      strerrorname_np(-e->error) ?: "?");
		else
			e4_out_str(&out, ln, COL_REASON, e->why);
	}
	if (!rc && shown)
		rc = e4_out_print(&out);
	e4_out_free(&out);
	return rc ? e4_cli_fail(cli) : 0;
}

static void warn_unchecked(const struct e4_cli *cli, const struct e4_target *t,
			   const struct e4_inline_set *set, bool walked)
{
	if (set->unchecked)
		e4_cli_warn(cli, "%" PRIu64 " slow symlink%s not checked: the kernel has no flags ioctl for symlinks (--from-device reads them)",
			    set->unchecked, set->unchecked == 1 ? "" : "s");
	if (set->unreadable && walked)
		e4_cli_warn(cli, "%" PRIu64 " file%s could not be opened and were not checked",
			    set->unreadable, set->unreadable == 1 ? "" : "s");
	else if (set->unreadable)
		e4_cli_warn(cli, "%" PRIu64 " in-use inode%s could not be read (inode %" PRIu64 " first: %s) and may have inline data; run 'e2fsck -f %s'",
			    set->unreadable, set->unreadable == 1 ? "" : "s",
			    set->first_unreadable, set->unreadable_why,
			    e4_target_name(t));
}

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
		{ "progress", '\0', POPT_ARG_NONE, &o->progress, 0,
		  "show progress even when stderr is not a terminal", NULL },
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

	e4_cli_columns(cli, &o->out, colinfo, ARRAY_SIZE(colinfo));
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
	warn_unchecked(cli, t, set, walked);
	for (i = 0; i < set->n; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (!listed(e, true)) {
			e4_cli_warn(cli, "%s: %s: %s; not known whether it has inline data",
				    e->path, e->why, strerror(-e->error));
			continue;
		}
		tally_add(&tl, e);
		n++;
	}
	rc = print_set(cli, o, set, &m, list_defaults, true);
	if (rc)
		goto out;
	if (want_summary(o)) {
		printf("%s%zu inode%s with inline data: ", n ? "\n" : "",
		       n, n == 1 ? "" : "s");
		tally_print(&tl);
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

/*
 * --disable-feature promises all or nothing: an inode that cannot be
 * converted, or one that cannot even be read, would leave the feature set
 * after every other one was converted, so find out first, from the plan,
 * and refuse before anything is written.
 */
static int precheck_disable(const struct e4_target *t, const struct e4_inline_set *set,
			    struct e4_err *err)
{
	size_t i;

	if (set->unreadable)
		return e4_err_set(err, -EUCLEAN,
				  "%s: %" PRIu64 " in-use inode%s could not be read (inode %" PRIu64 " first: %s), so no scan can prove that no inline inode is left; inline_data stays set, nothing was changed: run 'e2fsck -f %s'",
				  e4_target_name(t), set->unreadable,
				  set->unreadable == 1 ? "" : "s", set->first_unreadable,
				  set->unreadable_why, e4_target_name(t));
	for (i = 0; i < set->n; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (e->status != E4_INLINE_WOULD_CONVERT)
			return e4_err_set(err, -EBUSY,
					  "%s: inode %llu%s%s cannot be converted (%s); inline_data stays set, nothing was changed",
					  e4_target_name(t), (unsigned long long)e->ino,
					  e->path ? " " : "", e->path ? e->path : "",
					  e->why ? e->why : strerror(-e->error));
	}
	return 0;
}

/* Append to err's message, as far as it fits. */
static void err_append(struct e4_err *err, const char *what)
{
	size_t n = strlen(err->msg);

	snprintf(err->msg + n, sizeof(err->msg) - n, "%s", what);
}

/*
 * Offline.  Everything that can refuse runs on a read-only handle first
 * (the feature, the gates, the scan, the plan), so that a refusal writes
 * nothing, not even the --undo file; only then is the filesystem opened
 * for writing (with --undo) and converted, the plan made again on it.
 * *nothing: no inline_data feature.  A refusal before anything was
 * written leaves *setp NULL.
 */
static int convert_offline(const struct e4_cli *cli, const struct inline_opts *o,
			   const struct e4_target *t, struct e4_fs **fsp,
			   struct e4_inline_set **setp, bool *nothing,
			   const struct e4_job *job, struct e4_err *err)
{
	unsigned int flags = o->force ? E4_FS_FORCE : 0;
	size_t i;
	int rc;

	rc = e4_fs_open(t, flags, fsp, err);
	if (rc)
		return rc;
	if (!ext2fs_has_feature_inline_data(e4_fs_ext2(*fsp)->super)) {
		*nothing = true;
		return 0;
	}
	if (!o->force) {
		rc = e4_fs_gates(e4_fs_ext2(*fsp), e4_target_name(t), err);
		if (rc)
			return rc;
	}
	rc = e4_inline_scan(*fsp, NULL, setp, err);
	if (!rc && !o->all)
		rc = e4_inline_select(*fsp, *setp, cli->args + 1, cli->nargs - 1, err);
	if (rc)
		goto out_refused;
	/* The plan: writes nothing, refuses when the blocks are not there. */
	rc = e4_inline_convert(*fsp, *setp, E4_INLINE_DRY_RUN, NULL, err);
	if (rc && o->disable_feature)
		err_append(err, "; inline_data stays set");
	if (!rc && o->disable_feature)
		rc = precheck_disable(t, *setp, err);
	if (rc)
		goto out_refused;
	if (o->dry_run)
		return 0;

	e4_fs_close(*fsp);
	*fsp = NULL;
	if (o->undo)
		rc = e4_fs_open_undo(t, flags | E4_FS_WRITE, o->undo, fsp, err);
	else
		rc = e4_fs_open(t, flags | E4_FS_WRITE, fsp, err);
	if (!rc && !o->force)
		rc = e4_fs_gates(e4_fs_ext2(*fsp), e4_target_name(t), err);
	if (rc)
		goto out_refused;
	rc = e4_inline_convert(*fsp, *setp, 0, job, err);
	if (!o->disable_feature)
		return rc;
	for (i = 0; !rc && i < (*setp)->n; i++)
		if ((*setp)->ents[i].status == E4_INLINE_FAILED ||
		    (*setp)->ents[i].status == E4_INLINE_NOT_REACHED)
			rc = e4_err_set(err, -EBUSY, "%s: inode %llu was not converted",
					e4_target_name(t),
					(unsigned long long)(*setp)->ents[i].ino);
	if (rc) {
		err_append(err, "; --disable-feature: inline_data stays set");
		return rc;
	}
	return e4_inline_disable(*fsp, NULL, err);
out_refused:
	/* Nothing was attempted: no table, only the refusal. */
	e4_inline_set_free(*setp);
	*setp = NULL;
	return rc;
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
		{ "undo", '\0', POPT_ARG_STRING, &o->undo, 0,
		  "unmounted: save what is overwritten to FILE for e2undo", "FILE" },
		{ "force", 'f', POPT_ARG_NONE, &o->force, 0,
		  "unmounted: convert even if the filesystem is not cleanly checked", NULL },
		{ "progress", '\0', POPT_ARG_NONE, &o->progress, 0,
		  "show progress even when stderr is not a terminal", NULL },
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

	e4_cli_columns(cli, &o->out, colinfo, ARRAY_SIZE(colinfo));
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
		rc = convert_offline(cli, o, t, &fs, &set, &nothing, &job, &err);
	}
	e4_progress_done(&prog);
	if (nothing) {
		if (want_summary(o))
			printf("%s has no inline_data feature; nothing to do\n",
			       e4_target_name(t));
		else
			e4_cli_warn(cli, "%s has no inline_data feature; nothing to do",
				    e4_target_name(t));
		goto out;
	}
	/*
	 * A refusal leaves no set; once inodes were looked at, the table is
	 * shown even when the run then stopped (interrupted, failed, feature
	 * left).
	 */
	if (!set)
		goto out_err;
	prc = print_set(cli, o, set, NULL, convert_defaults, false);
	for (i = 0; i < set->n; i++) {
		const struct e4_inline_ent *e = &set->ents[i];

		if (e->status == E4_INLINE_CONVERTED || e->status == E4_INLINE_WOULD_CONVERT)
			tally_add(&done, e);
		else if (e->status == E4_INLINE_SKIPPED)
			skipped++;
		else if (e->status == E4_INLINE_FAILED)
			failed++;
		else if (e->status == E4_INLINE_NOT_REACHED)
			unreached++;
	}
	if (want_summary(o)) {
		printf("%s%s: ", set->n ? "\n" : "", o->dry_run ? "would convert" : "converted");
		tally_print(&done);
		printf("; skipped %" PRIu64 ", failed %" PRIu64, skipped, failed);
		if (unreached)
			printf(", not reached %" PRIu64, unreached);
		printf("\n");
		if (!rc && o->disable_feature && !o->dry_run)
			printf("inline_data cleared on %s\n", e4_target_name(t));
	}
	if (t->mounted)
		warn_unchecked(cli, t, set, true);
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
