/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_FREEZE_H
#define E4_FREEZE_H

#include <stdbool.h>

#include "e4/err.h"

/*
 * Freezing a mounted filesystem (FIFREEZE flushes the journal and blocks
 * writers) with a guarantee that it is thawed again: on e4_thaw(), on
 * expiry of timeout_ms, and when this process dies in any way (SIGTERM,
 * SIGINT, SIGKILL, a crash).  The guarantee is kept by a watchdog process
 * forked at freeze time that holds its own descriptor of the mount point
 * and thaws when the timeout expires or when its pipe from the parent
 * closes.
 */
struct e4_freeze;

int e4_freeze(const char *mountpoint, unsigned int timeout_ms,
	      struct e4_freeze **out, struct e4_err *err);

/* True once the watchdog has thawed because the timeout expired: whatever
 * was read after that is not from a frozen filesystem. */
bool e4_freeze_expired(struct e4_freeze *f);

/* Thaw (if still frozen), reap the watchdog and free f.  Idempotent on
 * the filesystem; returns -ETIMEDOUT if the timeout had expired first. */
int e4_thaw(struct e4_freeze *f, struct e4_err *err);

#endif
