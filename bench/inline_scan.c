// SPDX-License-Identifier: GPL-2.0
/*
 * bench/inline_scan: the engine of `inline list` on an unmounted image,
 * without the table output: e4_inline_scan() timed alone (best of N),
 * so that bench/inline can show how the command's time splits between
 * finding and naming the inodes and printing them.
 *
 *   build/bench/inline_scan IMAGE [RUNS]     prints "<seconds> <found>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "e4/inline.h"
#include "e4/target.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct e4_err err = { 0 };
	struct e4_target *t;
	struct e4_fs *fs;
	int runs = argc > 2 ? atoi(argv[2]) : 3, i;
	double best = -1;
	size_t found = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: inline_scan IMAGE [RUNS]\n");
		return 2;
	}
	if (e4_target_resolve(argv[1], &t, &err) ||
	    e4_fs_open(t, 0, &fs, &err)) {
		fprintf(stderr, "inline_scan: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < runs; i++) {
		struct e4_inline_set *set;
		double t0 = now(), d;

		if (e4_inline_scan(fs, NULL, &set, &err)) {
			fprintf(stderr, "inline_scan: %s\n", err.msg);
			return 1;
		}
		d = now() - t0;
		if (best < 0 || d < best)
			best = d;
		found = set->n;
		e4_inline_set_free(set);
	}
	printf("%.4f %zu\n", best, found);
	e4_fs_close(fs);
	e4_target_free(t);
	return 0;
}
