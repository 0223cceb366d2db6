/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_WALK_H
#define E4_WALK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "e4/err.h"

/*
 * A directory tree walked by several threads at once, for the mounted
 * scans (inline list/convert, delalloc audit).  Directories wait in one
 * shared queue; a worker takes one, reads one large getdents64 buffer of
 * it, puts the directory back for the next buffer (another worker may
 * take it) and hands every entry of its buffer to the caller's visit().
 * The walker opens nothing itself: visit() decides, opens with openat()
 * relative to e->dfd, and gives back a directory to descend into.  No
 * path is built unless asked for (e4_walk_path).  The order in which
 * entries are visited is not defined: callers sort what they keep.
 */

struct e4_walk_dir;

struct e4_walk_ent {
	const struct e4_walk_dir *dir;	/* the directory holding it */
	int dfd;			/* that directory, open */
	const char *name;		/* never "." or ".." */
	size_t namelen;
	unsigned char type;		/* DT_*, maybe DT_UNKNOWN */
	uint64_t ino;			/* d_ino */
	unsigned int worker;		/* 0 .. threads - 1 */
	struct e4_err *err;		/* this worker's, for a failing visit */
};

struct e4_walk_opts {
	unsigned int threads;		/* e4_walk_threads() */
	/*
	 * Called for every entry, from any worker, concurrently.  To walk a
	 * directory, open it (O_DIRECTORY) and put the fd in *subdir: the
	 * walker owns it from then on.  A negative return (-errno, with
	 * e->err filled) stops the whole walk: e4_walk_run returns the
	 * first such error and copies its message to err.
	 */
	int (*visit)(void *arg, const struct e4_walk_ent *e, int *subdir);
	/*
	 * getdents64 failed on d with -errno rc.  NULL, or returning 0:
	 * the rest of d is passed over and the walk goes on.
	 */
	int (*dir_error)(void *arg, const struct e4_walk_dir *d, int rc,
			 struct e4_err *err);
	void *arg;
	/* Directories queued (each an open fd) before a worker descends
	 * into the next one itself, depth first; 0: the default. */
	unsigned int max_queued;
};

/* Workers for want (0: one per processor this process may run on). */
unsigned int e4_walk_threads(unsigned int want);

/*
 * pthread_create(tid, fn, arg) with every signal blocked in the new
 * thread, as in the walk's workers: a stop request (SIGINT, SIGTERM...)
 * is delivered to the caller's thread, which may be sleeping, and reaches
 * the others through the job's flag.  0 or -errno.
 */
int e4_walk_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg);

/*
 * Walk the directory open at fd (consumed), named path (the prefix of
 * every path the walk builds; not looked up).  0, the first error of a
 * visit or dir_error (message in err), or -ENOMEM / -EAGAIN (threads).
 * Every fd given to the walker is closed when it returns.
 */
int e4_walk_run(const struct e4_walk_opts *o, int fd, const char *path,
		struct e4_err *err);

/* Length of e's path (without the NUL): cheap, nothing is built. */
size_t e4_walk_path_len(const struct e4_walk_ent *e);

/* e's path, malloc'd ("PATH/a/b/name"); NULL on ENOMEM. */
char *e4_walk_path(const struct e4_walk_ent *e);

/* d's path, malloc'd; NULL on ENOMEM. */
char *e4_walk_dir_path(const struct e4_walk_dir *d);

#endif
