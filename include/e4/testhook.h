/* SPDX-License-Identifier: GPL-2.0 */
#ifndef E4_TESTHOOK_H
#define E4_TESTHOOK_H

/*
 * The one reader of test hooks: the environment variable E4_TEST_<name>
 * (name without the prefix), read only by the test suites and listed in
 * HACKING.md.  NULL when unset or empty; _num: its number, 0 when unset.
 * Used by the front ends and, where the moment to hook is inside the
 * library (a lock taken, a write about to happen), by lib/.
 */
const char *e4_test_hook(const char *name);
long e4_test_hook_num(const char *name);

#endif
