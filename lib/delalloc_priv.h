/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_DELALLOC_PRIV_H
#define E4_DELALLOC_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "e4/delalloc.h"

/*
 * What the audit (lib/delalloc.c) shares with its walk
 * (lib/delalloc_walk.c); not part of the library's API.
 */

#define FIEMAP_BATCH 64

/* One walk worker's findings, added into the report when it is done. */
struct da_worker {
	struct fiemap *fm;
	struct e4_da_file *files;
	size_t nfiles, filecap;
	uint64_t scanned, skipped, holding, delalloc_sum, file_sum;
	bool cachestat_probed, cachestat;
} __attribute__((aligned(64)));	/* no false sharing of the counters */

struct audit {
	const struct e4_da_opts *o;
	struct e4_da_report *r;
	struct e4_err *err;
	dev_t dev;			/* st_dev of the filesystem */
	unsigned int blkbits, clusterbits;
	char counter_path[128];
	struct da_worker *workers;
	unsigned int nworkers;
	uint64_t dirs_skipped;		/* unreadable directories (atomic) */
	pthread_mutex_t progress;
	uint64_t total_estimate;	/* used inodes, for progress */
};

/* -EINTR (err filled) once the job is asked to stop, else 0. */
int e4_da_cancelled(struct audit *a, struct e4_err *err);
/* One walk worker per processor, each with its FIEMAP buffer. */
int e4_da_workers_new(struct audit *a);
/* Audit the PATHs given, or the whole filesystem (rootfd). */
int e4_da_walk(struct audit *a, int rootfd);
/* The workers' counts and files into the report; frees the workers. */
int e4_da_gather(struct audit *a);

#endif
