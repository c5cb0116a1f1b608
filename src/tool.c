/* tool.c: messages and small helpers shared by the syncpack commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tool.h"

const char *tool_name = "syncpack";

void
tool_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0 != NULL)
		tool_name = slash ? slash + 1 : argv0;
	/* Unbuffered stdout would interleave badly with stderr in logs;
	 * line-buffer it instead. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void
vwarn_line(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", tool_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
tool_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_line(fmt, ap);
	va_end(ap);
}

void
tool_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_line(fmt, ap);
	va_end(ap);
	exit(code);
}

const char *
tool_database(const char *opt, void (*usage)(FILE *))
{
	const char *env = getenv("SYNCPACK_DB");

	if (opt != NULL)
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	tool_warn("no database: give -d DB or set SYNCPACK_DB");
	usage(stderr);
	exit(EXIT_TROUBLE);
}

void
tool_version(void)
{
	printf("%s (%s) %s\n", tool_name, PACKAGE_NAME, PACKAGE_VERSION);
	exit(EXIT_OK);
}

int
tool_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}
