// SPDX-License-Identifier: GPL-2.0
/*
 * bench/gdt: descriptor lookups per second while the table is republished,
 * for the RCU table of lib/gdt.c against the obvious alternatives:
 *
 *   rcu     e4_gdt_read_lock + e4_gdt_current (urcu-qsbr: the reader
 *           announces a quiescent state every 1024 lookups), writer publishes
 *   rwlock  pthread_rwlock: readers share, the writer swaps under the lock
 *   mutex   one pthread_mutex for everybody
 *   unsync  a fixed table read with no synchronisation and no writer: the
 *           ceiling, not a usable design
 *
 * Two reader threads look up random groups; one writer builds a new table
 * and publishes it every millisecond (the same build work for every
 * variant, outside any lock).  The variants take turns for ROUNDS rounds
 * and the best round of each counts, so that a neighbour's burst of work
 * on a shared machine hurts one round and not one variant.  Prints
 * lookups/s, publishes per second (a starved writer shows there), and the
 * ratios measured in the same run, and the process's peak RSS
 * (getrusage).  Not a timed test.
 *
 *   build/bench/gdt [SECONDS [GROUPS]]    (default 1 s per round, 1024)
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "e4/gdt.h"

enum variant { V_RCU, V_RWLOCK, V_MUTEX, V_UNSYNC, V_COUNT };

static const char *const names[V_COUNT] = { "rcu", "rwlock", "mutex", "unsync" };

#define READERS 2
#define ROUNDS 3

struct bench {
	enum variant v;
	uint32_t ngroups;
	atomic_bool stop;
	/* rcu */
	struct e4_gdt_table *tab;
	/* locked variants and unsync */
	struct e4_gdt *_Atomic table;
	pthread_rwlock_t rw;
	pthread_mutex_t mu;
	unsigned long lookups[READERS];
	unsigned long publishes;
	double writer_secs;		/* how long the writer ran */
	uint64_t sink[READERS];
};

struct reader_arg {
	struct bench *b;
	int id;
};

static struct e4_gdt *build(uint32_t n, uint64_t seed)
{
	struct e4_gdt *g = e4_gdt_alloc(n);
	uint32_t i;

	if (!g) {
		perror("bench/gdt");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		g->groups[i].start = (uint64_t)i * 32768;
		g->groups[i].free_blocks = (uint32_t)(seed + i);
	}
	return g;
}

/* xorshift: cheap, per thread, no shared state. */
static uint32_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

static void *reader(void *p)
{
	struct reader_arg *ra = p;
	struct bench *b = ra->b;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (ra->id + 1), sum = 0;
	unsigned long n = 0;

	if (b->v == V_RCU)
		e4_gdt_thread_register();
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		const struct e4_gdt *g;
		int k;

		/* 64 lookups between looks at the stop flag. */
		for (k = 0; k < 64; k++) {
			switch (b->v) {
			case V_RCU:
				e4_gdt_read_lock();
				g = e4_gdt_current(b->tab);
				sum += g->groups[next_rand(&rnd) % g->group_count].free_blocks;
				e4_gdt_read_unlock();
				break;
			case V_RWLOCK:
				pthread_rwlock_rdlock(&b->rw);
				g = atomic_load_explicit(&b->table, memory_order_relaxed);
				sum += g->groups[next_rand(&rnd) % g->group_count].free_blocks;
				pthread_rwlock_unlock(&b->rw);
				break;
			case V_MUTEX:
				pthread_mutex_lock(&b->mu);
				g = atomic_load_explicit(&b->table, memory_order_relaxed);
				sum += g->groups[next_rand(&rnd) % g->group_count].free_blocks;
				pthread_mutex_unlock(&b->mu);
				break;
			default:
				g = atomic_load_explicit(&b->table, memory_order_relaxed);
				sum += g->groups[next_rand(&rnd) % g->group_count].free_blocks;
				break;
			}
		}
		n += 64;
		/*
		 * A quiescent state every 1024 lookups: a scanner announces
		 * one per group, which is more work than that.  Each is a
		 * full barrier and, while a grace period waits, a wake-up.
		 */
		if (b->v == V_RCU && n % 1024 == 0)
			e4_gdt_quiescent();
	}
	if (b->v == V_RCU)
		e4_gdt_thread_unregister();
	b->lookups[ra->id] = n;
	b->sink[ra->id] = sum;
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Republish every millisecond until told to stop. */
static void *writer(void *p)
{
	struct bench *b = p;
	uint64_t gen = 1;
	double t0 = now();

	if (b->v == V_RCU)
		e4_gdt_thread_register();
	while (!atomic_load(&b->stop)) {
		struct e4_gdt *g = build(b->ngroups, ++gen), *old;

		switch (b->v) {
		case V_RCU:
			e4_gdt_publish(b->tab, g);
			break;
		case V_RWLOCK:
			pthread_rwlock_wrlock(&b->rw);
			old = atomic_exchange(&b->table, g);
			pthread_rwlock_unlock(&b->rw);
			e4_gdt_free(old);
			break;
		default:
			pthread_mutex_lock(&b->mu);
			old = atomic_exchange(&b->table, g);
			pthread_mutex_unlock(&b->mu);
			e4_gdt_free(old);
			break;
		}
		b->publishes++;
		/*
		 * A registered thread that sleeps online holds up every grace
		 * period: without this, no snapshot was reclaimed until the
		 * round ended (peak RSS grew with publishes x table size).
		 */
		if (b->v == V_RCU)
			e4_gdt_thread_offline();
		sleep_ms(1);
		if (b->v == V_RCU)
			e4_gdt_thread_online();
	}
	b->writer_secs = now() - t0;
	if (b->v == V_RCU)
		e4_gdt_thread_unregister();
	return NULL;
}

/* Lookups per second of the readers; *pubrate: publishes per second of
 * the writer, both over the time each measured itself running. */
static double run(enum variant v, double seconds, uint32_t ngroups,
		  double *pubrate)
{
	struct bench b = { .v = v, .ngroups = ngroups };
	struct reader_arg ra[READERS];
	pthread_t rt[READERS], wt;
	unsigned long total = 0;
	double t0, t1;
	int i;

	pthread_rwlock_init(&b.rw, NULL);
	pthread_mutex_init(&b.mu, NULL);
	if (v == V_RCU) {
		if (e4_gdt_table_new(&b.tab, NULL))
			exit(1);
		e4_gdt_publish(b.tab, build(ngroups, 1));
	} else {
		atomic_store(&b.table, build(ngroups, 1));
	}
	t0 = now();
	for (i = 0; i < READERS; i++) {
		ra[i] = (struct reader_arg){ &b, i };
		pthread_create(&rt[i], NULL, reader, &ra[i]);
	}
	if (v != V_UNSYNC)
		pthread_create(&wt, NULL, writer, &b);
	sleep_ms((long)(seconds * 1000));
	atomic_store(&b.stop, true);
	for (i = 0; i < READERS; i++)
		pthread_join(rt[i], NULL);
	t1 = now();
	if (v != V_UNSYNC)
		pthread_join(wt, NULL);
	for (i = 0; i < READERS; i++)
		total += b.lookups[i];
	if (v == V_RCU)
		e4_gdt_close(b.tab);
	else
		e4_gdt_free(atomic_load(&b.table));
	pthread_rwlock_destroy(&b.rw);
	pthread_mutex_destroy(&b.mu);
	*pubrate = b.writer_secs > 0 ? b.publishes / b.writer_secs : 0;
	return total / (t1 - t0);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	uint32_t ngroups = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1024;
	double rate[V_COUNT] = { 0 }, pubrate[V_COUNT] = { 0 };
	struct rusage ru;
	int v, r;

	if (seconds <= 0 || !ngroups) {
		fprintf(stderr, "usage: %s [SECONDS [GROUPS]]\n", argv[0]);
		return 2;
	}
	printf("bench/gdt: %d readers, 1 writer republishing every 1 ms, %u groups, best of %d rounds of %.1f s\n",
	       READERS, ngroups, ROUNDS, seconds);
	for (r = 0; r < ROUNDS; r++)
		for (v = 0; v < V_COUNT; v++) {
			double pub;
			double x = run(v, seconds, ngroups, &pub);

			if (x > rate[v]) {
				rate[v] = x;
				pubrate[v] = pub;
			}
		}
	for (v = 0; v < V_COUNT; v++)
		printf("%-7s %14.0f lookups/s  %6.0f publishes/s\n", names[v],
		       rate[v], pubrate[v]);
	printf("ratios: rcu/rwlock %.2f  rcu/mutex %.2f  rcu/unsync %.2f  rwlock/unsync %.2f  mutex/unsync %.2f\n",
	       rate[V_RCU] / rate[V_RWLOCK], rate[V_RCU] / rate[V_MUTEX],
	       rate[V_RCU] / rate[V_UNSYNC], rate[V_RWLOCK] / rate[V_UNSYNC],
	       rate[V_MUTEX] / rate[V_UNSYNC]);
	if (!getrusage(RUSAGE_SELF, &ru))
		printf("peak RSS %.1f MiB\n", ru.ru_maxrss / 1024.0);
	return 0;
}
