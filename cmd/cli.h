/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CLI_H
#define E4_CLI_H

#include <stdbool.h>
#include <popt.h>

#include "e4/err.h"
#include "e4/testhook.h"

/*
 * The command table and what every front end shares: option parsing with
 * the table's argument counts and flags checked in one place, the exit
 * codes, and error printing.  Only cmd/ prints.
 */

enum {
	E4_EXIT_OK = 0,
	E4_EXIT_FAIL = 1,
	E4_EXIT_USAGE = 2,
	E4_EXIT_INTERRUPTED = 3,
	/* audit commands use fsck's codes */
	E4_FSCK_OK = 0,
	E4_FSCK_PROBLEMS = 4,
	E4_FSCK_ERROR = 8,
	E4_FSCK_USAGE = 16,
};

enum {
	E4_CMD_ROOT = 1 << 0,		/* needs root */
	E4_CMD_MOUNTED_OK = 1 << 1,	/* TARGET may be mounted */
	E4_CMD_UNMOUNTED_OK = 1 << 2,	/* TARGET may be unmounted */
	E4_CMD_WRITES = 1 << 3,		/* may modify the filesystem */
	E4_CMD_FSCK_CODES = 1 << 4,	/* exit codes as fsck */
};

struct e4_cli;
struct e4_outopts;
struct e4_colinfo;

struct e4_cmd {
	const char *name;	/* "info", or "inline list" for a subcommand */
	int (*fn)(struct e4_cli *cli);
	unsigned int flags;
	int min_args, max_args;	/* positional arguments; -1: no maximum */
	const char *args;	/* "TARGET [SIZE]" */
	const char *summary;	/* one line for `e4ctl help` */
};

struct e4_cli {
	const struct e4_cmd *cmd;
	int argc;		/* from the command word on */
	const char **argv;
	const char *prog;	/* "e4ctl info" */
	/* filled by e4_cli_parse */
	int nargs;
	const char **args;
	poptContext pc;
	const char **argv_copy;	/* argv with argv[0] = prog, for popt */
	/* set by e4_cli_columns, for --list-columns */
	const struct e4_outopts *out;
	const struct e4_colinfo *cols;
	size_t ncols;
};

extern const struct e4_cmd e4_commands[];

/*
 * Option fragments shared by the commands, so that a letter, a default and
 * a help text mean the same everywhere (E4_OUTPUT_OPTIONS, output.h, is
 * the output's).  Letters: -f is --force, -p --progress, -n --dry-run,
 * -z --undo; --freeze and --sysroot have no letter.
 */
#define E4_FREEZE_TIMEOUT_MS 5000

#define E4_PROGRESS_OPTION(p)                                                  	{ "progress", 'p', POPT_ARG_NONE, (p), 0,                              	  "show progress on stderr even when it is not a terminal", NULL }

#define E4_FREEZE_OPTIONS(freeze, timeout_ms)                                  	{ "freeze", '\0', POPT_ARG_NONE, (freeze), 0,                          	  "freeze the mounted filesystem while it is read (FIFREEZE; "         	  "always thawed)", NULL },                                            	{ "freeze-timeout", '\0', POPT_ARG_INT, (timeout_ms), 0,               	  "thaw after MS milliseconds at the latest (default 5000)", "MS" }

#define E4_SYSROOT_OPTION(dir)                                                 	{ "sysroot", '\0', POPT_ARG_STRING, (dir), 0,                          	  "read /sys and /proc under DIR (for tests)", "DIR" }

/*
 * An option letter whose meaning changed: refused with hint (a usage
 * error), never read with its new meaning by a script written for the old
 * one.  Hidden from --help.
 */
#define E4_CLI_REFUSED 0x4500
#define E4_REFUSED_OPTION(c, hint)                                             	{ NULL, (c), POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL,            	  E4_CLI_REFUSED + (c), (hint), NULL }

/*
 * Parse the command's options (opts, without help: it is added) and its
 * positional arguments, checking their count against the table.  Returns
 * 0 to go on, or the exit code of a usage error (already printed).
 * -h/--help prints the help and -V/--version the version, and exit 0;
 * an E4_REFUSED_OPTION is a usage error with its hint.
 */
int e4_cli_parse(struct e4_cli *cli, const struct poptOption *opts);
void e4_cli_free(struct e4_cli *cli);

/*
 * Declare the command's columns before e4_cli_parse: it then answers
 * --list-columns itself, before counting arguments (the list needs no
 * TARGET), and exits as --help does.
 */
void e4_cli_columns(struct e4_cli *cli, const struct e4_outopts *out,
		    const struct e4_colinfo *cols, size_t ncols);

/* Exit codes that honour E4_CMD_FSCK_CODES. */
int e4_cli_fail(const struct e4_cli *cli);
int e4_cli_usage(const struct e4_cli *cli);

/* "e4ctl info: <msg>" on stderr; returns e4_cli_fail(cli). */
int e4_cli_error(const struct e4_cli *cli, const struct e4_err *err);
void e4_cli_warn(const struct e4_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Usage error with a message; returns e4_cli_usage(cli). */
int e4_cli_usage_error(const struct e4_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));


/* Command front ends. */
int cmd_info(struct e4_cli *cli);
int cmd_resize(struct e4_cli *cli);
int cmd_groups(struct e4_cli *cli);
int cmd_check(struct e4_cli *cli);
int cmd_delalloc_audit(struct e4_cli *cli);
int cmd_inline_list(struct e4_cli *cli);
int cmd_inline_convert(struct e4_cli *cli);
int cmd_wb_show(struct e4_cli *cli);
int cmd_wb_watch(struct e4_cli *cli);

#endif
