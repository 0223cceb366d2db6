// SPDX-License-Identifier: GPL-2.0
/*
 * The progress line and the stop-at-a-safe-point signal flag shared by
 * the long-running commands.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

static volatile sig_atomic_t stop_flag;

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

void e4_progress_init(struct e4_progress *p, const char *label,
		      const char *unit, bool forced)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->unit = unit;
	p->tty = isatty(STDERR_FILENO);
	p->enabled = forced || p->tty;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

void e4_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct e4_progress *p = arg;
	struct timespec now;
	double t, rate, pct;
	char eta[32] = "--:--";

	if (!p || !p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Redraw at most 10 times a second on a terminal, once otherwise;
	 * the final update always shows. */
	if (p->drawn && done < total &&
	    elapsed(&p->last, &now) < (p->tty ? 0.1 : 1.0))
		return;
	p->last = now;
	p->drawn = true;
	t = elapsed(&p->start, &now);
	rate = t > 0 ? done / t : 0;
	pct = total ? 100.0 * done / total : 100.0;
	if (rate > 0 && total >= done) {
		unsigned long s = (unsigned long)((total - done) / rate);

		snprintf(eta, sizeof(eta), "%lu:%02lu", s / 60, s % 60);
	}
	fprintf(stderr, "%s%s: %5.1f%% %" PRIu64 "/%" PRIu64 " %s, %.0f %s/s, ETA %s%s",
		p->tty ? "\r" : "", p->label, pct, done, total, p->unit, rate,
		p->unit, eta, p->tty ? "\033[K" : "\n");
	fflush(stderr);
}

void e4_progress_done(struct e4_progress *p)
{
	if (p->enabled && p->tty && p->drawn)
		fputc('\n', stderr);
}

/*
 * The engines' threads read the flag while the handler runs in another
 * (e4_job_cancelled): atomic, lock-free, so async-signal-safe too.
 */
static void on_signal(int sig)
{
	if (__atomic_load_n(&stop_flag, __ATOMIC_RELAXED) == sig) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	__atomic_store_n(&stop_flag, sig, __ATOMIC_RELAXED);
}

const volatile sig_atomic_t *e4_catch_signals(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking call should return EINTR and let the
	 * engine look at the flag.  SIGHUP (the terminal went away) and
	 * SIGQUIT end a run as surely as SIGINT: they too must stop it at a
	 * safe point rather than kill it mid-step.  An ignored SIGHUP stays
	 * ignored: that is what nohup asked for, and it kills nothing. */
	if (sigaction(SIGHUP, NULL, &old) || old.sa_handler != SIG_IGN)
		sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return &stop_flag;
}

int e4_caught_signal(void)
{
	return stop_flag;
}
