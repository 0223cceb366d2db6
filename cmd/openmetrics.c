// SPDX-License-Identifier: GPL-2.0
/*
 * The OpenMetrics text writer shared by check, delalloc audit and wb show:
 * escaping, the label set of a document, one family at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "openmetrics.h"

void e4_om_init(struct e4_om *om, FILE *f, const char *const *labels)
{
	om->f = f;
	om->labels = labels;
	om->family = NULL;
}

/*
 * Label values escape backslash, double quote and newline; HELP text only
 * backslash and newline (the quote would stay escaped in the Prometheus
 * text format, which reads the same file).
 */
static void put_escaped(FILE *f, const char *s, int quote)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quote)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

void e4_om_gauge(struct e4_om *om, const char *name, const char *help)
{
	om->family = name;
	fprintf(om->f, "# HELP %s ", name);
	put_escaped(om->f, help, 0);
	fprintf(om->f, "\n# TYPE %s gauge\n", name);
}

static void put_label(FILE *f, const char *name, const char *val, int *n)
{
	fprintf(f, "%s%s=\"", (*n)++ ? "," : "{", name);
	put_escaped(f, val, 1);
	fputc('"', f);
}

static void put_labels(struct e4_om *om, va_list ap)
{
	const char *const *l;
	const char *name;
	int n = 0;

	fputs(om->family, om->f);
	for (l = om->labels; l && *l; l += 2)
		put_label(om->f, l[0], l[1], &n);
	while ((name = va_arg(ap, const char *)))
		put_label(om->f, name, va_arg(ap, const char *), &n);
	if (n)
		fputc('}', om->f);
}

void e4_om_u64(struct e4_om *om, uint64_t v, ...)
{
	va_list ap;

	va_start(ap, v);
	put_labels(om, ap);
	va_end(ap);
	fprintf(om->f, " %" PRIu64 "\n", v);
}

void e4_om_i64(struct e4_om *om, int64_t v, ...)
{
	va_list ap;

	va_start(ap, v);
	put_labels(om, ap);
	va_end(ap);
	fprintf(om->f, " %" PRId64 "\n", v);
}

int e4_om_end(struct e4_om *om)
{
	fputs("# EOF\n", om->f);
	if (fflush(om->f) || ferror(om->f))
		return -EIO;
	return 0;
}
