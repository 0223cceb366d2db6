/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_JOB_H
#define E4_JOB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a long-running engine gets from its front end: where to report
 * progress, and a flag that a signal handler sets to ask it to stop at
 * the next safe point.  The engine never draws and never installs
 * handlers; both pointers may be NULL.
 */
typedef void (*e4_progress_fn)(void *arg, uint64_t done, uint64_t total);

struct e4_job {
	e4_progress_fn progress;
	void *progress_arg;
	const volatile sig_atomic_t *cancel;
};

/* Any thread may ask: the flag is read atomically, as the handler sets it. */
static inline bool e4_job_cancelled(const struct e4_job *job)
{
	return job && job->cancel &&
	       __atomic_load_n(job->cancel, __ATOMIC_RELAXED);
}

static inline void e4_job_progress(const struct e4_job *job, uint64_t done,
				   uint64_t total)
{
	if (job && job->progress)
		job->progress(job->progress_arg, done, total);
}

#endif
