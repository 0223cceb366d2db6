// SPDX-License-Identifier: GPL-2.0
/*
 * The parallel directory walk of the mounted scans.  A directory is a
 * node with its open fd, its name and its parent; it lives as long as a
 * descendant may still build a path through it, and its fd as long as
 * it is being read or an entry of it is being visited.  The queue is one
 * LIFO stack under one mutex: a worker takes a directory, reads one
 * getdents64 buffer, puts the directory back and visits its buffer, so
 * that a large directory is read by one worker while others visit what
 * was read before, and subdirectories pushed meanwhile are taken first
 * (depth first, few fds open).  When the stack is full the worker walks
 * the next subdirectory itself, recursively, as a sequential walk would.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "e4/walk.h"

/* One getdents64 call reads this much: ~2700 entries of short names. */
#define WALK_BUF (64 * 1024)
/* Walking recursively (the queue was full) needs a buffer per level. */
#define WALK_NESTED_BUF (16 * 1024)
#define WALK_MAX_QUEUED 256
#define WALK_MAX_THREADS 64

struct e4_walk_dir {
	struct e4_walk_dir *parent;
	int fd;
	unsigned int fdref;	/* reading it, or visiting one of its buffers */
	unsigned int ref;	/* fdref > 0, and each child node */
	size_t pathlen;
	bool endslash;		/* the path ends in '/' (a top of "/") */
	size_t namelen;
	char name[];		/* the top's: the whole path given */
};

/* The kernel's struct linux_dirent64 (glibc has no name for it). */
struct walk_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct walker {
	const struct e4_walk_opts *o;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct e4_walk_dir **queue;
	size_t nq, max_queued;
	unsigned int busy;	/* workers holding work */
	bool stop;
	int rc;
	struct e4_err *err;
};

struct worker {
	struct walker *w;
	unsigned int id;
	pthread_t tid;
	char **bufs;		/* [0] from the queue, [n] n levels nested */
	size_t nbufs;
	struct e4_err err;
};

unsigned int e4_walk_threads(unsigned int want)
{
	cpu_set_t set;
	long n;

	if (!want) {
		if (!sched_getaffinity(0, sizeof(set), &set))
			n = CPU_COUNT(&set);
		else
			n = sysconf(_SC_NPROCESSORS_ONLN);
		want = n > 0 ? (unsigned int)n : 1;
	}
	return want > WALK_MAX_THREADS ? WALK_MAX_THREADS : want;
}

static bool stopped(struct walker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

static void node_put(struct e4_walk_dir *d)
{
	struct e4_walk_dir *p;

	while (d && !__atomic_sub_fetch(&d->ref, 1, __ATOMIC_ACQ_REL)) {
		p = d->parent;
		free(d);
		d = p;
	}
}

static void fd_get(struct e4_walk_dir *d)
{
	__atomic_add_fetch(&d->fdref, 1, __ATOMIC_RELAXED);
}

static void fd_put(struct e4_walk_dir *d)
{
	if (__atomic_sub_fetch(&d->fdref, 1, __ATOMIC_ACQ_REL))
		return;
	close(d->fd);
	d->fd = -1;
	node_put(d);
}

static struct e4_walk_dir *node_new(struct e4_walk_dir *parent,
				    const char *name, size_t namelen, int fd)
{
	struct e4_walk_dir *d = malloc(sizeof(*d) + namelen + 1);

	if (!d)
		return NULL;
	d->parent = parent;
	d->fd = fd;
	d->fdref = 1;
	d->ref = 1;
	d->namelen = namelen;
	memcpy(d->name, name, namelen);
	d->name[namelen] = '\0';
	if (parent) {
		__atomic_add_fetch(&parent->ref, 1, __ATOMIC_RELAXED);
		d->pathlen = parent->pathlen + !parent->endslash + namelen;
		d->endslash = false;
	} else {
		d->pathlen = namelen;
		d->endslash = namelen && name[namelen - 1] == '/';
	}
	return d;
}

/* The first failure wins; every worker stops at its next entry. */
static void fail(struct worker *k, int rc)
{
	struct walker *w = k->w;

	pthread_mutex_lock(&w->lock);
	if (!w->rc) {
		w->rc = rc;
		if (w->err)
			*w->err = k->err;
	}
	__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static bool push(struct walker *w, struct e4_walk_dir *d)
{
	bool ok;

	pthread_mutex_lock(&w->lock);
	ok = w->nq < w->max_queued;
	if (ok) {
		w->queue[w->nq++] = d;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

static char *buffer(struct worker *k, size_t depth)
{
	char **p;

	if (depth < k->nbufs && k->bufs[depth])
		return k->bufs[depth];
	if (depth >= k->nbufs) {
		p = realloc(k->bufs, (depth + 1) * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + k->nbufs, 0, (depth + 1 - k->nbufs) * sizeof(*p));
		k->bufs = p;
		k->nbufs = depth + 1;
	}
	k->bufs[depth] = malloc(depth ? WALK_NESTED_BUF : WALK_BUF);
	return k->bufs[depth];
}

static int nomem(struct worker *k, const struct e4_walk_dir *d)
{
	char *path = e4_walk_dir_path(d);

	e4_err_sys(&k->err, -ENOMEM, "while walking %s", path ? path : d->name);
	free(path);
	return -ENOMEM;
}

static void read_dir(struct worker *k, struct e4_walk_dir *d, size_t depth);

/* Walk subdirectory fd of d: queued, or now when the queue is full. */
static int descend(struct worker *k, struct e4_walk_dir *d, const char *name,
		   size_t namelen, int fd, size_t depth)
{
	struct e4_walk_dir *c = node_new(d, name, namelen, fd);

	if (!c) {
		close(fd);
		return nomem(k, d);
	}
	if (!push(k->w, c))
		read_dir(k, c, depth + 1);
	return 0;
}

/* The entries of one buffer of d. */
static void visit_buf(struct worker *k, struct e4_walk_dir *d, const char *buf,
		      long n, size_t depth)
{
	const struct e4_walk_opts *o = k->w->o;
	struct e4_walk_ent e = {
		.dir = d, .dfd = d->fd, .worker = k->id, .err = &k->err,
	};
	const struct walk_dirent *de;
	long off;
	int rc, sub;

	for (off = 0; off < n; off += de->d_reclen) {
		de = (const struct walk_dirent *)(buf + off);
		if (de->d_name[0] == '.' && (!de->d_name[1] ||
		    (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (stopped(k->w))
			return;
		e.name = de->d_name;
		e.namelen = strlen(de->d_name);
		e.type = de->d_type;
		e.ino = de->d_ino;
		sub = -1;
		rc = o->visit(o->arg, &e, &sub);
		if (rc < 0) {
			if (sub >= 0)
				close(sub);
			fail(k, rc);
			return;
		}
		if (sub >= 0) {
			rc = descend(k, d, e.name, e.namelen, sub, depth);
			if (rc) {
				fail(k, rc);
				return;
			}
		}
	}
}

/*
 * Read d (holding its reader's fdref) to its end.  From the queue
 * (depth 0) each buffer read puts d back first, so that the next one
 * can be read by another worker while this one visits.
 */
static void read_dir(struct worker *k, struct e4_walk_dir *d, size_t depth)
{
	const struct e4_walk_opts *o = k->w->o;
	char *buf = buffer(k, depth);
	long n;
	int rc;

	if (!buf) {
		fail(k, nomem(k, d));
		goto out;
	}
	while (!stopped(k->w)) {
		n = syscall(SYS_getdents64, d->fd, buf,
			    depth ? WALK_NESTED_BUF : WALK_BUF);
		if (n <= 0) {
			if (n < 0 && o->dir_error) {
				rc = o->dir_error(o->arg, d, -errno, &k->err);
				if (rc < 0)
					fail(k, rc);
			}
			break;
		}
		if (!depth) {
			fd_get(d);
			if (push(k->w, d)) {
				visit_buf(k, d, buf, n, depth);
				fd_put(d);
				return;
			}
			fd_put(d);
		}
		visit_buf(k, d, buf, n, depth);
	}
out:
	fd_put(d);
}

static void *work(void *arg)
{
	struct worker *k = arg;
	struct walker *w = k->w;
	struct e4_walk_dir *d;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->nq && w->busy && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->nq || w->stop)
			break;
		d = w->queue[--w->nq];
		w->busy++;
		pthread_mutex_unlock(&w->lock);
		read_dir(k, d, 0);
		pthread_mutex_lock(&w->lock);
		w->busy--;
	}
	/* Done (nothing queued, nobody busy), or stopped: wake the rest. */
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int e4_walk_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	/* Signals (the stop request) are for the caller's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(tid, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

static void start_workers(struct worker *k, unsigned int n)
{
	unsigned int i;

	for (i = 1; i < n; i++)
		if (e4_walk_thread_start(&k[i].tid, work, &k[i]))
			break;
	/* Fewer threads than asked for: the walk is as right, only slower. */
	for (; i < n; i++)
		k[i].w = NULL;
}

int e4_walk_run(const struct e4_walk_opts *o, int fd, const char *path,
		struct e4_err *err)
{
	unsigned int i, n = o->threads ? o->threads : 1;
	struct walker w = {
		.o = o, .err = err,
		.max_queued = o->max_queued ? o->max_queued : WALK_MAX_QUEUED,
	};
	struct worker *k;
	size_t j;
	int rc = -ENOMEM;

	k = calloc(n, sizeof(*k));
	w.queue = calloc(w.max_queued, sizeof(*w.queue));
	if (!k || !w.queue)
		goto out_free;
	w.queue[0] = node_new(NULL, path, strlen(path), fd);
	if (!w.queue[0])
		goto out_free;
	w.nq = 1;
	fd = -1;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	for (i = 0; i < n; i++) {
		k[i].w = &w;
		k[i].id = i;
	}
	start_workers(k, n);
	work(&k[0]);
	for (i = 1; i < n; i++)
		if (k[i].w)
			pthread_join(k[i].tid, NULL);
	/* Stopped: what is still queued is only closed. */
	while (w.nq)
		fd_put(w.queue[--w.nq]);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	rc = w.rc;
	for (i = 0; i < n; i++) {
		for (j = 0; j < k[i].nbufs; j++)
			free(k[i].bufs[j]);
		free(k[i].bufs);
	}
out_free:
	if (fd >= 0)
		close(fd);
	if (rc == -ENOMEM && !w.rc)
		e4_err_sys(err, rc, "while walking %s", path);
	free(w.queue);
	free(k);
	return rc;
}

size_t e4_walk_path_len(const struct e4_walk_ent *e)
{
	return e->dir->pathlen + !e->dir->endslash + e->namelen;
}

/* Fill the path of d into buf, which ends at end. */
static void fill_dir(const struct e4_walk_dir *d, char *end)
{
	for (; d; d = d->parent) {
		end -= d->namelen;
		memcpy(end, d->name, d->namelen);
		if (d->parent && !d->parent->endslash)
			*--end = '/';
	}
}

char *e4_walk_dir_path(const struct e4_walk_dir *d)
{
	char *p = malloc(d->pathlen + 1);

	if (!p)
		return NULL;
	p[d->pathlen] = '\0';
	fill_dir(d, p + d->pathlen);
	return p;
}

char *e4_walk_path(const struct e4_walk_ent *e)
{
	size_t len = e4_walk_path_len(e);
	char *p = malloc(len + 1);

	if (!p)
		return NULL;
	memcpy(p + len - e->namelen, e->name, e->namelen + 1);
	if (!e->dir->endslash)
		p[e->dir->pathlen] = '/';
	fill_dir(e->dir, p + e->dir->pathlen);
	return p;
}
