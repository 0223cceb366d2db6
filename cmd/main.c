// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl: global options, the command table, dispatch, and the check that
 * everything written to stdout reached it.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "cli.h"

static int cmd_help(struct e4_cli *cli);

/*
 * One row per command.  `e4ctl help`, the bash completion (through
 * `e4ctl help --commands`) and the man pages all follow this table.
 */
const struct e4_cmd e4_commands[] = {
	{ "info", cmd_info, E4_CMD_MOUNTED_OK | E4_CMD_UNMOUNTED_OK, 1, 1,
	  "TARGET", "show geometry, features and how far it can grow online" },
	{ "resize", cmd_resize, E4_CMD_MOUNTED_OK | E4_CMD_UNMOUNTED_OK | E4_CMD_WRITES,
	  1, 2, "TARGET [SIZE]", "grow a filesystem: online through the kernel, or offline" },
	{ "delalloc audit", cmd_delalloc_audit, E4_CMD_MOUNTED_OK | E4_CMD_FSCK_CODES,
	  1, -1, "TARGET [PATH...]",
	  "audit delayed-allocation reservations against the files" },
	{ "groups", cmd_groups, E4_CMD_MOUNTED_OK | E4_CMD_UNMOUNTED_OK, 1, 1,
	  "TARGET", "list the block group descriptors" },
	{ "check", cmd_check, E4_CMD_MOUNTED_OK | E4_CMD_UNMOUNTED_OK | E4_CMD_FSCK_CODES,
	  1, 1, "TARGET", "audit the free counts and checksums of every group (read-only)" },
	{ "inline list", cmd_inline_list, E4_CMD_MOUNTED_OK | E4_CMD_UNMOUNTED_OK, 1, 1,
	  "TARGET", "list the inodes that keep their data inline" },
	{ "inline convert", cmd_inline_convert,
	  E4_CMD_ROOT | E4_CMD_MOUNTED_OK | E4_CMD_UNMOUNTED_OK | E4_CMD_WRITES, 1, -1,
	  "TARGET [PATH...]", "move inline data to blocks; clear the inline_data feature" },
	{ "wb show", cmd_wb_show, E4_CMD_MOUNTED_OK, 1, 1,
	  "TARGET", "show the per-cgroup writeback contexts of a mounted filesystem" },
	{ "wb watch", cmd_wb_watch, E4_CMD_MOUNTED_OK, 1, 1,
	  "TARGET", "watch the writeback contexts, optionally with their trace events" },
	{ "help", cmd_help, 0, 0, 1, "[COMMAND]", "show the commands, or one command's help" },
	{ NULL, NULL, 0, 0, 0, NULL, NULL },
};

static void usage(FILE *out)
{
	const struct e4_cmd *c;

	fprintf(out, "Usage: e4ctl [--version] [--help] COMMAND [OPTION...] [ARG...]\n\n"
		     "Administer ext2/3/4 filesystems: grow, convert, audit.\n\n"
		     "Commands:\n");
	for (c = e4_commands; c->name; c++)
		fprintf(out, "  %-18s %s\n", c->name, c->summary);
	fprintf(out, "\nTARGET is a block device, an image file, or a directory of a mounted\n"
		     "ext2/3/4 filesystem.  'e4ctl COMMAND --help' shows a command's options.\n"
		     "See e4ctl(8).\n");
}

/* Match argv against the table; subcommands take two words. */
static const struct e4_cmd *find_command(int argc, const char **argv, int *words)
{
	const struct e4_cmd *c;

	for (c = e4_commands; c->name; c++) {
		const char *sp = strchr(c->name, ' ');

		if (!sp && !strcmp(c->name, argv[0])) {
			*words = 1;
			return c;
		}
		if (sp && argc > 1 && (size_t)(sp - c->name) == strlen(argv[0]) &&
		    !strncmp(c->name, argv[0], sp - c->name) &&
		    !strcmp(sp + 1, argv[1])) {
			*words = 2;
			return c;
		}
	}
	return NULL;
}

/*
 * The exit code of a write error on stdout, found at exit: the command's
 * failure code (fsck's 8 for the audit commands) once one is running.
 * Set before the command runs, read by the atexit handler: no option
 * struct reaches that far.
 */
static int stdout_fail_code = E4_EXIT_FAIL;

/* An unknown command: say so, then the usage lines that apply. */
static int unknown_command(int argc, const char **argv)
{
	const struct e4_cmd *c;
	size_t n = strlen(argv[0]);
	bool group = false;

	for (c = e4_commands; c->name; c++)
		if (!strncmp(c->name, argv[0], n) && c->name[n] == ' ')
			group = true;
	if (!group) {
		fprintf(stderr, "e4ctl: unknown command '%s'\n", argv[0]);
		usage(stderr);
		return E4_EXIT_USAGE;
	}
	/* "e4ctl inline" or "e4ctl inline frob": the subcommands' usage. */
	if (argc > 1)
		fprintf(stderr, "e4ctl: unknown command '%s %s'\n", argv[0], argv[1]);
	else
		fprintf(stderr, "e4ctl: '%s' needs a subcommand\n", argv[0]);
	for (c = e4_commands; c->name; c++)
		if (!strncmp(c->name, argv[0], n) && c->name[n] == ' ')
			fprintf(stderr, "Usage: e4ctl %s [OPTION...] %s\n", c->name,
				c->args ? c->args : "");
	fprintf(stderr, "Try 'e4ctl help %s' for more information.\n", argv[0]);
	return E4_EXIT_USAGE;
}

static int run(int argc, const char **argv)
{
	const struct e4_cmd *cmd;
	struct e4_cli cli = { 0 };
	char prog[64];
	int words, rc;

	cmd = find_command(argc, argv, &words);
	if (!cmd)
		return unknown_command(argc, argv);
	if (cmd->flags & E4_CMD_FSCK_CODES)
		stdout_fail_code = E4_FSCK_ERROR;
	snprintf(prog, sizeof(prog), "e4ctl %s", cmd->name);
	cli.cmd = cmd;
	cli.prog = prog;
	cli.argc = argc - (words - 1);
	cli.argv = argv + (words - 1);
	rc = cmd->fn(&cli);
	e4_cli_free(&cli);
	return rc;
}

static int cmd_help(struct e4_cli *cli)
{
	int commands = 0;
	struct poptOption opts[] = {
		{ "commands", '\0', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &commands,
		  0, "list command names, one per line", NULL },
		POPT_TABLEEND
	};
	const struct e4_cmd *c;
	int rc = e4_cli_parse(cli, opts);

	if (rc)
		return rc;
	if (commands) {
		for (c = e4_commands; c->name; c++)
			printf("%s\n", c->name);
		return 0;
	}
	if (cli->nargs == 1) {
		const char *argv[] = { cli->args[0], "--help", NULL };

		/* "help inline" has no row of its own: list its subcommands. */
		for (c = e4_commands; c->name; c++)
			if (!strcmp(c->name, cli->args[0]))
				return run(2, argv);
		for (c = e4_commands; c->name; c++)
			if (!strncmp(c->name, cli->args[0], strlen(cli->args[0])) &&
			    c->name[strlen(cli->args[0])] == ' ')
				printf("  e4ctl %-18s %s\n", c->name, c->summary);
		return 0;
	}
	usage(stdout);
	return 0;
}

/* A write error to stdout (full disk, closed pipe) must not pass silently. */
static void close_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout) && fclose(stdout) == 0)
		return;
	fprintf(stderr, "e4ctl: write error: %s\n", strerror(errno ? errno : EIO));
	_exit(stdout_fail_code);
}

int main(int argc, const char **argv)
{
	int version = 0, help = 0, rc;
	const char **rest;
	struct poptOption opts[] = {
		{ "version", 'V', POPT_ARG_NONE, &version, 0, "print the version", NULL },
		{ "help", 'h', POPT_ARG_NONE, &help, 0, "show the commands", NULL },
		POPT_TABLEEND
	};
	poptContext pc;

	/* EPIPE must reach close_stdout as an error, not kill us quietly. */
	signal(SIGPIPE, SIG_IGN);
	atexit(close_stdout);
	add_error_table(&et_ext2_error_table);

	pc = poptGetContext("e4ctl", argc, argv, opts, POPT_CONTEXT_POSIXMEHARDER);
	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if (rc < -1) {
		fprintf(stderr, "e4ctl: %s: %s\nTry 'e4ctl --help' for more information.\n",
			poptBadOption(pc, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		rc = E4_EXIT_USAGE;
		goto out;
	}
	rest = poptGetArgs(pc);
	if (version) {
		const char *lib = NULL, *date = NULL;

		ext2fs_get_library_version(&lib, &date);
		printf("e4ctl %s (libext2fs %s)\n", E4_VERSION, lib);
		rc = 0;
	} else if (help) {
		usage(stdout);
		rc = 0;
	} else if (!rest || !rest[0]) {
		usage(stderr);
		rc = E4_EXIT_USAGE;
	} else {
		int n = 0;

		while (rest[n])
			n++;
		rc = run(n, rest);
	}
out:
	poptFreeContext(pc);
	return rc;
}
