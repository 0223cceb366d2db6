/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_PROGRESS_H
#define E4_PROGRESS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * A progress line on stderr: redrawn in place on a terminal, or printed
 * as plain lines (at most one a second) when --progress asks for it
 * without one.  Off otherwise.  Pass e4_progress_cb and the struct as an
 * engine's e4_job progress callback.
 */
struct e4_progress {
	const char *label;
	const char *unit;	/* "blocks", "inodes" */
	bool enabled;
	bool tty;
	struct timespec start;
	struct timespec last;
	bool drawn;
};

void e4_progress_init(struct e4_progress *p, const char *label,
		      const char *unit, bool forced);
void e4_progress_cb(void *arg, uint64_t done, uint64_t total);
/* End the line (on a terminal) after the last update. */
void e4_progress_done(struct e4_progress *p);

/*
 * Catch SIGHUP (unless ignored), SIGINT, SIGQUIT and SIGTERM: the first
 * one sets the returned flag, for the engine to stop at its next safe
 * point; a second one of the same kind gets the default action.  The flag is the only global: a signal handler
 * has nowhere else to write.
 */
const volatile sig_atomic_t *e4_catch_signals(void);
/* The signal that set the flag, 0 if none. */
int e4_caught_signal(void);

#endif
