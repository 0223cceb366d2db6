/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_CMD_METRICS_H
#define E4_CMD_METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "e4/check.h"
#include "e4/delalloc.h"
#include "e4/target.h"
#include "e4/wb.h"

/*
 * The metrics of each audit under --openmetrics (cmd/openmetrics.c writes
 * them): names, help, labels.  Every sample carries device and mountpoint
 * (empty when not mounted); per-group and per-cgroup samples add group or
 * cgroup.  Each returns 0 or -EIO.
 */
int e4_metrics_check(FILE *f, const struct e4_target *t,
		     const struct e4_check_result *res, bool advisory,
		     bool frozen, time_t when);
int e4_metrics_delalloc(FILE *f, const struct e4_target *t,
			const struct e4_da_report *r, time_t when);
int e4_metrics_wb(FILE *f, const struct e4_wb_info *in,
		  const struct e4_wb_snap *snap);

#endif
