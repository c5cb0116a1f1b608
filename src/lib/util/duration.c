/* duration.c: operator intervals and stored UTC times as seconds. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/duration.h"

/* A century: longer is a typing mistake, and the figure stays far from
 * overflowing a time sum. */
#define DURATION_MAX (100LL * 366 * 86400)

static const struct { char unit; long long seconds; } units[] = {
	{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};

int
duration_parse(const char *text, long long *seconds, struct sp_error *err)
{
	char *end;
	long long n;

	if (strcmp(text, "never") == 0) {
		*seconds = 0;
		return 0;
	}
	if (!isdigit((unsigned char)text[0]))
		goto bad;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (end[0] == '\0' || end[1] != '\0')
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (end[0] != units[i].unit)
			continue;
		if (n == 0)
			break;
		if (errno == ERANGE || n > DURATION_MAX / units[i].seconds)
			return sp_error_setk(err, SP_ERR_USAGE, 0,
			    "%s: longer than a century", text);
		*seconds = n * units[i].seconds;
		return 0;
	}
bad:
	return sp_error_setk(err, SP_ERR_USAGE, 0, "%s: want a number above "
	    "0 and one unit of s, m, h or d (30s, 15m, 26h, 7d), or never",
	    text);
}

void
duration_format(long long seconds, char *buf, size_t size)
{
	if (seconds <= 0) {
		snprintf(buf, size, "never");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (seconds % units[i].seconds == 0) {
			snprintf(buf, size, "%lld%c", seconds /
			    units[i].seconds, units[i].unit);
			return;
		}
}

int
utc_parse(const char *text, long long *epoch)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*epoch = (long long)timegm(&tm);
	return 0;
}
