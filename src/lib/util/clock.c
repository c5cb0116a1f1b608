/* clock.c: wall-clock time for HLC stamps, overridable for simulation. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"

static int
override_ms(long long *ms)
{
	const char *v = getenv("SYNCPACK_TEST_CLOCK_MS");
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		return 0;
	*ms = n;
	return 1;
}

int
clock_overridden(void)
{
	long long ms;

	return override_ms(&ms);
}

long long
clock_wall_ms(void)
{
	struct timespec ts;
	long long ms;

	if (override_ms(&ms))
		return ms;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
clock_next_hlc(long long last, long long wall_ms)
{
	long long wall = wall_ms * 65536;

	return wall > last ? wall : last + 1;
}

long long
clock_observe_hlc(long long clock, long long seen)
{
	return seen > clock ? seen : clock;
}

long long
clock_past_hlc(long long a, long long b)
{
	return (a > b ? a : b) + 1;
}
