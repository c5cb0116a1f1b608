/* duration.h: the intervals an operator gives (syncadm peer set --expect)
 * and the UTC times syncpack stores, as seconds. */
#ifndef SYNCPACK_DURATION_H
#define SYNCPACK_DURATION_H

#include "util/error.h"

/* The interval named by text, a positive number and one unit of s, m, h
 * or d ("30s", "15m", "26h", "7d"), in *seconds; "never" gives 0. Anything
 * else, 0 and intervals past a century are refused (SP_ERR_USAGE). */
SP_MUST_CHECK
int duration_parse(const char *text, long long *seconds,
    struct sp_error *err);

/* seconds in the largest unit that divides it ("26h", "90m"), or "never"
 * for 0, into buf. */
void duration_format(long long seconds, char *buf, size_t size);

/* *epoch: the seconds since 1970 of a time as syncpack stores it
 * (2026-12-02T14:25:00Z); -1 when text is not one. */
int utc_parse(const char *text, long long *epoch);

#endif
