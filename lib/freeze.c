// SPDX-License-Identifier: GPL-2.0
/*
 * Freezing a mounted filesystem with a guaranteed thaw (include/e4/freeze.h).
 *
 * The guarantee lives in a watchdog process forked before the freeze.  It
 * does the FIFREEZE itself on its own descriptor of the mount point, so
 * that its clock starts when the filesystem is frozen (the freeze flushes
 * the journal and can take a while), reports the result up a status pipe,
 * and then waits on a "leash" pipe whose write end only the caller holds.
 * It thaws when the leash reports EOF (e4_thaw() closed it, or the caller
 * died in any way: the kernel closes the descriptors of a dead process)
 * or when the timeout expires, and exits right after: it never outlives
 * the freeze it guards.  It ignores the terminal's signals, which are sent
 * to the whole process group, so that ^C kills the caller but not the one
 * process that must survive it to thaw.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "e4/freeze.h"

/* Watchdog exit codes. */
enum {
	WD_THAWED = 0,		/* thawed on request, or found thawed */
	WD_EXPIRED = 3,		/* thawed because the timeout expired */
	WD_FAILED = 4,		/* could not thaw */
};

struct e4_freeze {
	pid_t pid;		/* the watchdog; 0 once reaped */
	int leash;		/* write end; closing it tells the watchdog to go */
	int fd;			/* our own descriptor of the mount point */
	int wstatus;		/* the watchdog's, once reaped */
	char *mountpoint;
};

/* In the watchdog, between fork and _exit: async-signal-safe calls only. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * FITHAW; EINVAL means the filesystem was not frozen (the other side, or
 * an administrator, thawed it first), which is what we wanted.
 */
static int thaw_fd(int fd)
{
	if (ioctl(fd, FITHAW, 0) == 0)
		return 0;
	return errno == EINVAL ? -EINVAL : -errno;
}

/* Close every descriptor but the three kept, so that the watchdog holds
 * no pipe of the caller's open (a reader waiting for EOF on our stdout
 * would otherwise wait for the watchdog too). */
static void close_others(int a, int b, int c)
{
	int keep[3] = { a, b, c }, i, j, t;
	unsigned int from = 0;

	for (i = 0; i < 3; i++)		/* sort three */
		for (j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (i = 0; i < 3; i++) {
		if ((unsigned int)keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

static void __attribute__((noreturn))
watchdog(int fd, int leash, int status, unsigned int timeout_ms)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				       SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	int64_t deadline;
	struct pollfd pfd = { .fd = leash, .events = POLLIN };
	size_t i;
	int rc;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	close_others(fd, leash, status);

	rc = ioctl(fd, FIFREEZE, 0) ? errno : 0;
	if (write(status, &rc, sizeof(rc)) != sizeof(rc) && !rc)
		rc = EPIPE;	/* the caller is gone: do not stay frozen */
	close(status);
	if (rc) {
		if (rc == EPIPE)
			thaw_fd(fd);
		_exit(WD_THAWED);
	}

	deadline = mono_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - mono_ms();
		char c;

		if (left <= 0) {
			rc = thaw_fd(fd);
			_exit(rc == 0 ? WD_EXPIRED :
			      rc == -EINVAL ? WD_THAWED : WD_FAILED);
		}
		rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		/* EOF, POLLHUP, or anything unexpected: thaw now. */
		if (rc != 0 && !(rc > 0 && (pfd.revents & POLLIN) &&
				 read(leash, &c, 1) == 1)) {
			rc = thaw_fd(fd);
			_exit(rc == 0 || rc == -EINVAL ? WD_THAWED : WD_FAILED);
		}
	}
}

static void reap(struct e4_freeze *f, bool block)
{
	pid_t r;

	if (!f->pid)
		return;
	do
		r = waitpid(f->pid, &f->wstatus, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == f->pid || (r < 0 && errno == ECHILD))
		f->pid = 0;
}

static bool watchdog_expired(const struct e4_freeze *f)
{
	return !f->pid && WIFEXITED(f->wstatus) &&
	       WEXITSTATUS(f->wstatus) == WD_EXPIRED;
}

int e4_freeze(const char *mountpoint, unsigned int timeout_ms,
	      struct e4_freeze **out, struct e4_err *err)
{
	int leash[2], status[2], werr = 0, rc;
	struct e4_freeze *f;
	ssize_t n;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return e4_err_sys(err, -ENOMEM, "%s: while freezing", mountpoint);
	f->leash = -1;
	f->mountpoint = strdup(mountpoint);
	f->fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!f->mountpoint || f->fd < 0) {
		rc = e4_err_sys(err, f->mountpoint ? -errno : -ENOMEM,
				"%s: cannot open the mount point", mountpoint);
		goto out_free;
	}
	/* O_CLOEXEC: a program we exec must not keep the leash alive. */
	if (pipe2(leash, O_CLOEXEC)) {
		rc = e4_err_sys(err, -errno, "%s: while freezing", mountpoint);
		goto out_free;
	}
	if (pipe2(status, O_CLOEXEC)) {
		rc = e4_err_sys(err, -errno, "%s: while freezing", mountpoint);
		goto out_leash;
	}
	f->pid = fork();
	if (f->pid < 0) {
		rc = e4_err_sys(err, -errno, "%s: cannot start the thaw watchdog",
				mountpoint);
		f->pid = 0;
		goto out_status;
	}
	if (f->pid == 0) {
		close(leash[1]);
		close(status[0]);
		watchdog(f->fd, leash[0], status[1], timeout_ms);
	}
	close(leash[0]);
	close(status[1]);
	f->leash = leash[1];

	do
		n = read(status[0], &werr, sizeof(werr));
	while (n < 0 && errno == EINTR);
	close(status[0]);
	if (n != sizeof(werr)) {
		reap(f, true);
		rc = e4_err_set(err, -ECHILD, "%s: the thaw watchdog died", mountpoint);
		goto out_close;
	}
	if (werr) {
		reap(f, true);
		if (werr == EBUSY)
			rc = e4_err_set(err, -EBUSY, "%s: already frozen", mountpoint);
		else if (werr == EOPNOTSUPP)
			rc = e4_err_set(err, -EOPNOTSUPP,
					"%s: the filesystem cannot be frozen", mountpoint);
		else
			rc = e4_err_sys(err, -werr, "%s: cannot freeze", mountpoint);
		goto out_close;
	}
	*out = f;
	return 0;

out_status:
	close(status[0]);
	close(status[1]);
out_leash:
	close(leash[0]);
	close(leash[1]);
	goto out_free;
out_close:
	close(f->leash);
out_free:
	if (f->fd >= 0)
		close(f->fd);
	free(f->mountpoint);
	free(f);
	return rc;
}

bool e4_freeze_expired(struct e4_freeze *f)
{
	reap(f, false);
	return watchdog_expired(f);
}

int e4_thaw(struct e4_freeze *f, struct e4_err *err)
{
	int rc = 0, trc = 0;

	if (!f)
		return 0;
	/*
	 * Look before thawing: once the watchdog has thawed on expiry,
	 * somebody else may have frozen the filesystem again, and that
	 * freeze is not ours to lift.
	 */
	reap(f, false);
	if (!watchdog_expired(f))
		trc = thaw_fd(f->fd);
	/* Let the watchdog go; it finds the filesystem thawed and exits. */
	close(f->leash);
	reap(f, true);

	if (watchdog_expired(f))
		rc = e4_err_set(err, -ETIMEDOUT,
				"%s: the freeze timed out and was lifted early",
				f->mountpoint);
	else if (trc && trc != -EINVAL)
		rc = e4_err_sys(err, trc, "%s: cannot thaw", f->mountpoint);
	close(f->fd);
	free(f->mountpoint);
	free(f);
	return rc;
}
