// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks: environment variables that only the test suites set, all
 * with the prefix E4_TEST_ and listed in HACKING.md.
 */
#include <stdio.h>
#include <stdlib.h>

#include "e4/testhook.h"

const char *e4_test_hook(const char *name)
{
	char var[64];
	const char *val;

	if (snprintf(var, sizeof(var), "E4_TEST_%s", name) >= (int)sizeof(var))
		return NULL;
	val = getenv(var);
	return val && *val ? val : NULL;
}

long e4_test_hook_num(const char *name)
{
	const char *val = e4_test_hook(name);

	return val ? strtol(val, NULL, 10) : 0;
}
