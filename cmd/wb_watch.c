// SPDX-License-Identifier: GPL-2.0
/*
 * e4ctl wb watch TARGET: the contexts of `wb show` every interval, redrawn
 * in place on a terminal, as one JSON document per line with --json, and
 * with --events the writeback cgroup tracepoints of the bdi as they come.
 * Ends on SIGHUP, SIGINT, SIGQUIT, SIGTERM or any other signal that would
 * kill it (or after --count frames) and always removes its trace instance
 * first.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "wb.h"

/*
 * Events of one frame: as text lines (the TTY view keeps the last few),
 * or with --json as copies written into the frame's document.
 */
#define TTY_EVENTS 15
struct events {
	char **line;
	size_t n, cap;
	struct e4_wb_event *rec;	/* --json; cgroup paths are copies */
	size_t nrec, caprec;
	bool json;
	bool failed;
};

static void rec_push(struct events *e, const struct e4_wb_event *ev)
{
	struct e4_wb_event *r;
	size_t i;

	if (e->nrec == e->caprec) {
		size_t cap = e->caprec ? e->caprec * 2 : 32;

		r = realloc(e->rec, cap * sizeof(*r));
		if (!r) {
			e->failed = true;
			return;
		}
		e->rec = r;
		e->caprec = cap;
	}
	/* The names are the handle's; a cgroup path lasts until the next
	 * scan of the cgroup map, which may come within this frame. */
	r = &e->rec[e->nrec];
	*r = *ev;
	for (i = 0; i < r->nfields; i++)
		if (r->field[i].cgroup && !(r->field[i].cgroup = strdup(r->field[i].cgroup)))
			e->failed = true;
	e->nrec++;
}

static void rec_drop(struct events *e)
{
	size_t i, k;

	for (i = 0; i < e->nrec; i++)
		for (k = 0; k < e->rec[i].nfields; k++)
			free((char *)e->rec[i].field[k].cgroup);
	e->nrec = 0;
}

static void ev_push(struct events *e, char *s)
{
	if (!s) {
		e->failed = true;
		return;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		char **nl = realloc(e->line, cap * sizeof(*nl));

		if (!nl) {
			free(s);
			e->failed = true;
			return;
		}
		e->line = nl;
		e->cap = cap;
	}
	e->line[e->n++] = s;
}

static void ev_drop(struct events *e, size_t keep)
{
	size_t i, drop = e->n > keep ? e->n - keep : 0;

	if (!drop)
		return;
	for (i = 0; i < drop; i++)
		free(e->line[i]);
	memmove(e->line, e->line + drop, (e->n - drop) * sizeof(*e->line));
	e->n -= drop;
}

/* The field name without "_ino": old_cgroup_ino -> old_cgroup. */
static void cg_key(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 4 && !strcmp(name + n - 4, "_ino"))
		n -= 4;
	snprintf(buf, len, "%.*s", (int)n, name);
}

static void on_event(void *arg, const struct e4_wb_event *ev)
{
	struct events *e = arg;
	char *s = NULL;
	size_t len = 0, i;
	FILE *f;

	if (e->json) {
		rec_push(e, ev);
		return;
	}
	f = open_memstream(&s, &len);
	if (!f) {
		e->failed = true;
		return;
	}
	fprintf(f, "%6" PRIu64 ".%06" PRIu64 " cpu%d %s:", ev->ts / 1000000000,
		ev->ts % 1000000000 / 1000, ev->cpu, ev->name);
	for (i = 0; i < ev->nfields; i++) {
		const struct e4_wb_event_field *fl = &ev->field[i];

		if (fl->is_str) {
			fprintf(f, " %s=%s", fl->name, fl->str);
		} else {
			if (fl->is_signed)
				fprintf(f, " %s=%" PRId64, fl->name, (int64_t)fl->val);
			else
				fprintf(f, " %s=%" PRIu64, fl->name, fl->val);
			if (fl->cgroup)
				fprintf(f, "(%s)", fl->cgroup);
			else if (fl->dying)
				fputs("(dying)", f);
		}
	}
	if (fclose(f)) {
		free(s);
		s = NULL;
	}
	ev_push(e, s);
}

/*
 * One event as a record: time (seconds, ns precision), cpu, event, its
 * fields by the names of the kernel's format file, and for a *_ino cgroup
 * field the path under the name without "_ino".
 */
static void json_event(struct e4_json *j, const struct e4_wb_event *ev)
{
	char num[48], key[64];
	size_t i;

	e4_json_object_begin(j, NULL);
	snprintf(num, sizeof(num), "%" PRIu64 ".%09" PRIu64, ev->ts / 1000000000,
		 ev->ts % 1000000000);
	e4_json_number(j, "time", num);
	e4_json_i64(j, "cpu", ev->cpu);
	e4_json_str(j, "event", ev->name);
	for (i = 0; i < ev->nfields; i++) {
		const struct e4_wb_event_field *fl = &ev->field[i];

		if (fl->is_str)
			e4_json_str(j, fl->name, fl->str);
		else if (fl->is_signed)
			e4_json_i64(j, fl->name, (int64_t)fl->val);
		else
			e4_json_u64(j, fl->name, fl->val);
		if (fl->cgroup || fl->dying) {
			cg_key(fl->name, key, sizeof(key));
			if (fl->cgroup) {
				e4_json_str(j, key, fl->cgroup);
			} else {
				snprintf(num, sizeof(num), "(dying) ino %" PRIu64, fl->val);
				e4_json_str(j, key, num);
			}
		}
	}
	e4_json_object_end(j);
}

struct frame {
	struct events *ev;
	bool with_events;
};

static void json_events(struct e4_json *j, void *arg)
{
	const struct frame *fr = arg;
	size_t i;

	if (!fr->with_events)
		return;
	e4_json_array_begin(j, "events");
	for (i = 0; i < fr->ev->nrec; i++)
		json_event(j, &fr->ev->rec[i]);
	e4_json_array_end(j);
}

static int draw(struct e4_cli *cli, const struct wb_opts *o, struct e4_wb *wb,
		const struct e4_wb_snap *snap, struct events *ev, bool tty,
		bool first)
{
	const struct e4_wb_info *in = e4_wb_info(wb);
	struct frame fr = { ev, o->events };
	struct e4_out out;
	char msg[128], tbuf[64];
	struct tm tm;
	size_t i;
	int rc;

	if (wb_out_init(&out, o, msg, sizeof(msg)))
		return -EINVAL;
	rc = wb_fill(&out, o, snap);
	if (rc)
		goto out;
	if (o->out.json) {
		rc = wb_print_json(&out, in, snap, true, json_events, &fr);
		rec_drop(ev);
		goto out;
	}
	localtime_r(&snap->time.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("%s on %s, bdi %s, every %gs: %s\n", in->mountpoint, in->device,
	       in->bdi, o->interval, tbuf);
	fflush(stdout);
	/* Redrawn with the frame on a terminal; said once otherwise. */
	if (tty)
		wb_print_notes(stdout, cli->prog, in);
	else if (first)
		wb_print_notes(stderr, cli->prog, in);
	rc = e4_out_print(&out);
	if (o->events) {
		if (tty)
			ev_drop(ev, TTY_EVENTS);
		printf("%s%s:\n", tty ? "\nlast events" : "events", tty ? "" : " since the last frame");
		for (i = 0; i < ev->n; i++)
			printf("  %s\n", ev->line[i]);
		if (!tty)
			ev_drop(ev, 0);
	}
	if (!tty)
		putchar('\n');
out:
	fflush(stdout);
	e4_out_free(&out);
	return rc;
}

/*
 * The other signals whose default action ends the process: each would
 * leave the trace instance behind, so each stops the watch as SIGTERM
 * does (e4_catch_signals handles SIGTERM).  Left alone: SIGKILL, which
 * cannot be caught, and the crashes (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT, SIGTRAP, SIGSYS), after which nothing can be trusted.  SIGPIPE
 * is ignored by main(): a closed output is a write error.
 */
static void on_other_signal(int sig)
{
	(void)sig;
	raise(SIGTERM);
}

static void catch_other_signals(void)
{
	static const int sigs[] = {
		SIGALRM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
		SIGIO, SIGPWR, SIGSTKFLT,
	};
	struct sigaction sa;
	size_t i;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_other_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaction(sig, &sa, NULL);
}

/* Sleep s seconds unless a signal ends the wait first. */
static void wait_interval(double s, const volatile sig_atomic_t *stop)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (!*stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int cmd_wb_watch(struct e4_cli *cli)
{
	struct wb_opts o = { .interval = 2 };
	struct poptOption opts[] = {
		WB_COMMON_OPTIONS(&o),
		{ "interval", 'i', POPT_ARG_DOUBLE, &o.interval, 0,
		  "seconds between frames (default 2)", "S" },
		{ "count", 'c', POPT_ARG_INT, &o.count, 0,
		  "stop after N frames (default: until interrupted)", "N" },
		E4_REFUSED_OPTION('n', "-n is --dry-run in every command now; the frame count is -c/--count"),
		{ "events", 'e', POPT_ARG_NONE, &o.events, 0,
		  "also stream the writeback cgroup tracepoints of the bdi", NULL },
		POPT_TABLEEND
	};
	const volatile sig_atomic_t *stop;
	struct events ev = { 0 };
	struct e4_err err = { 0 };
	struct e4_wb *wb = NULL;
	struct e4_out probe;
	char msg[128];
	bool tty;
	int rc, n;

	wb_cli_columns(cli, &o);
	rc = e4_cli_parse(cli, opts);
	if (rc)
		goto out_opts;
	if (!(o.interval >= 0.01 && o.interval <= 86400)) {
		rc = e4_cli_usage_error(cli, "--interval must be between 0.01 and 86400 seconds");
		goto out_opts;
	}
	if (o.count < 0) {
		rc = e4_cli_usage_error(cli, "--count must not be negative");
		goto out_opts;
	}
	rc = wb_out_init(&probe, &o, msg, sizeof(msg));
	e4_out_free(&probe);
	if (rc) {
		rc = e4_cli_usage_error(cli, "%s", msg);
		goto out_opts;
	}
	tty = !o.out.json && isatty(STDOUT_FILENO);
	ev.json = o.out.json;

	/* Before the trace instance exists, so no signal can orphan it. */
	stop = e4_catch_signals();
	catch_other_signals();
	rc = e4_wb_open(cli->args[0], o.sysroot, &wb, &err);
	if (!rc && o.events)
		rc = e4_wb_events_start(wb, &err);
	if (rc) {
		rc = e4_cli_error(cli, &err);
		goto out;
	}
	for (n = 0; !*stop; n++) {
		struct e4_wb_snap *snap = NULL;

		if (n)
			wait_interval(o.interval, stop);
		if (*stop)
			break;
		rc = e4_wb_read(wb, o.cgroup, &snap, &err);
		if (!rc && o.events) {
			rc = e4_wb_events_read(wb, on_event, &ev, &err);
			if (rc == -EINTR) {
				e4_wb_snap_free(snap);
				continue;
			}
		}
		if (rc) {
			e4_wb_snap_free(snap);
			rc = e4_cli_error(cli, &err);
			goto out;
		}
		rc = draw(cli, &o, wb, snap, &ev, tty, n == 0);
		e4_wb_snap_free(snap);
		if (rc || ev.failed || ferror(stdout)) {
			rc = e4_cli_fail(cli);
			goto out;
		}
		if (o.count && n + 1 >= o.count)
			break;
	}
	rc = 0;
out:
	ev_drop(&ev, 0);
	free(ev.line);
	rec_drop(&ev);
	free(ev.rec);
	/* Removes the trace instance: the reason signals are caught. */
	e4_wb_close(wb);
out_opts:
	wb_opts_free(&o);
	return rc;
}
