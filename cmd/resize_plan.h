/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CMD_RESIZE_PLAN_H
#define E4_CMD_RESIZE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

struct e4_cli;
#include "e4/resize.h"
#include "e4/target.h"

/* Between cmd/resize.c and cmd/resize_plan.c only. */

/* Print the plan (record, raw or one JSON object) on stdout. */
int e4_resize_print_plan(const struct e4_outopts *opts,
			 const struct e4_target *t,
			 const struct e4_resize_plan *p);
/* -P: the minimum as a line, a bare number (quiet), or {"minimum": [...]}. */
int e4_resize_print_minimum(const struct e4_outopts *opts, bool quiet,
			    const struct e4_target *t, uint32_t block_size,
			    uint64_t min);
void e4_resize_cli_columns(struct e4_cli *cli, const struct e4_outopts *opts);
/* "1.5 GiB" */
void e4_human_size(uint64_t bytes, char *buf, size_t len);

#endif
