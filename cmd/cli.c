// SPDX-License-Identifier: GPL-2.0
/*
 * Option parsing shared by every command: popt with the help table, the
 * argument counts and flags of the command table checked once, and the
 * messages and exit codes of failures.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"

int e4_cli_fail(const struct e4_cli *cli)
{
	return cli->cmd->flags & E4_CMD_FSCK_CODES ? E4_FSCK_ERROR : E4_EXIT_FAIL;
}

int e4_cli_usage(const struct e4_cli *cli)
{
	return cli->cmd->flags & E4_CMD_FSCK_CODES ? E4_FSCK_USAGE : E4_EXIT_USAGE;
}

int e4_cli_error(const struct e4_cli *cli, const struct e4_err *err)
{
	fprintf(stderr, "%s: %s\n", cli->prog,
		err->msg[0] ? err->msg : strerror(-err->code));
	return e4_cli_fail(cli);
}

void e4_cli_warn(const struct e4_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int e4_cli_usage_error(const struct e4_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", cli->prog);
	return e4_cli_usage(cli);
}

enum { OPT_HELP = 0x4400, OPT_USAGE, OPT_VERSION };

/* What every command takes, util-linux style (and popt's -? and --usage). */
static const struct poptOption help_options[] = {
	{ "help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, "display this help", NULL },
	{ NULL, '?', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, NULL, OPT_HELP, NULL, NULL },
	{ "usage", '\0', POPT_ARG_NONE, NULL, OPT_USAGE, "display a brief usage message", NULL },
	{ "version", 'V', POPT_ARG_NONE, NULL, OPT_VERSION, "display the version", NULL },
	POPT_TABLEEND
};

static const char *refused_hint(const struct poptOption *opts, int val)
{
	for (; opts && (opts->longName || opts->shortName || opts->arg); opts++)
		if (opts->val == val && opts->descrip)
			return opts->descrip;
	return "no longer accepted";
}

static int count_opts(const struct poptOption *opts)
{
	int n = 0;

	while (opts && (opts[n].longName || opts[n].shortName || opts[n].arg))
		n++;
	return n;
}

int e4_cli_parse(struct e4_cli *cli, const struct poptOption *opts)
{
	const struct e4_cmd *cmd = cli->cmd;
	int n = count_opts(opts), rc;
	struct poptOption *all;
	char other[256];

	/* The command's options, then -h/--help, -V/--version, --usage. */
	all = calloc(n + 2, sizeof(*all));
	if (!all) {
		fprintf(stderr, "%s: %s\n", cli->prog, strerror(ENOMEM));
		return e4_cli_fail(cli);
	}
	if (n)
		memcpy(all, opts, n * sizeof(*all));
	all[n].argInfo = POPT_ARG_INCLUDE_TABLE;
	all[n].arg = (void *)help_options;
	all[n].descrip = "Help options:";

	/* popt names the program after argv[0] in --help and --usage; the
	 * caller's argv belongs to the global context, so use a copy. */
	cli->argv_copy = calloc(cli->argc + 1, sizeof(*cli->argv_copy));
	if (!cli->argv_copy) {
		free(all);
		fprintf(stderr, "%s: %s\n", cli->prog, strerror(ENOMEM));
		return e4_cli_fail(cli);
	}
	memcpy(cli->argv_copy, cli->argv, cli->argc * sizeof(*cli->argv_copy));
	cli->argv_copy[0] = cli->prog;
	cli->pc = poptGetContext(cli->prog, cli->argc, cli->argv_copy, all, 0);
	snprintf(other, sizeof(other), "[OPTION...] %s", cmd->args ? cmd->args : "");
	poptSetOtherOptionHelp(cli->pc, other);
	while ((rc = poptGetNextOpt(cli->pc)) > 0) {
		if (rc == OPT_HELP || rc == OPT_USAGE) {
			if (rc == OPT_HELP)
				poptPrintHelp(cli->pc, stdout, 0);
			else
				poptPrintUsage(cli->pc, stdout, 0);
			exit(0);
		}
		if (rc == OPT_VERSION) {
			const char *lib = NULL, *date = NULL;

			/* As `e4ctl --version` says it. */
			ext2fs_get_library_version(&lib, &date);
			printf("e4ctl %s (libext2fs %s)\n", E4_VERSION, lib);
			exit(0);
		}
		if (rc > E4_CLI_REFUSED && rc <= E4_CLI_REFUSED + 0xff) {
			rc = e4_cli_usage_error(cli, "-%c: %s", rc - E4_CLI_REFUSED,
						refused_hint(opts, rc));
			goto out;
		}
	}
	if (rc < -1) {
		fprintf(stderr, "%s: %s: %s\nTry '%s --help' for more information.\n",
			cli->prog, poptBadOption(cli->pc, POPT_BADOPTION_NOALIAS),
			poptStrerror(rc), cli->prog);
		rc = e4_cli_usage(cli);
		goto out;
	}
	if (cli->out && cli->out->list_columns) {
		rc = e4_out_list_columns(cli->cols, cli->ncols, cli->out);
		exit(rc ? e4_cli_fail(cli) : 0);
	}
	cli->args = poptGetArgs(cli->pc);
	cli->nargs = 0;
	while (cli->args && cli->args[cli->nargs])
		cli->nargs++;
	if (cli->nargs < cmd->min_args) {
		/* Name the first missing argument: "TARGET", not the usage. */
		const char *miss = cmd->args;
		int i;

		for (i = 0; i < cli->nargs && miss; i++) {
			miss = strchr(miss, ' ');
			miss = miss ? miss + 1 : NULL;
		}
		rc = e4_cli_usage_error(cli, "missing %.*s",
					miss ? (int)strcspn(miss, " ") : 8,
					miss ? miss : "argument");
		goto out;
	}
	if (cmd->max_args >= 0 && cli->nargs > cmd->max_args) {
		rc = e4_cli_usage_error(cli, "unexpected argument '%s'",
					cli->args[cmd->max_args]);
		goto out;
	}
	if ((cmd->flags & E4_CMD_ROOT) && geteuid() != 0) {
		fprintf(stderr, "%s: must be run as root\n", cli->prog);
		rc = e4_cli_fail(cli);
		goto out;
	}
	rc = 0;
out:
	free(all);
	return rc;
}

void e4_cli_columns(struct e4_cli *cli, const struct e4_outopts *out,
		    const struct e4_colinfo *cols, size_t ncols)
{
	cli->out = out;
	cli->cols = cols;
	cli->ncols = ncols;
}

void e4_cli_free(struct e4_cli *cli)
{
	if (cli->pc)
		poptFreeContext(cli->pc);
	cli->pc = NULL;
	free(cli->argv_copy);
	cli->argv_copy = NULL;
}
