/* clock.h: the hybrid logical clock's rules, all of them: the wall clock
 * behind HLC stamps and GUIDs (with a test-only override so that simulated
 * networks replay exactly), the next local stamp, what receiving a stamp
 * does, and a stamp past two others. Each store keeps its site's clock
 * (syncpack_clock in SQLite) and applies these. */
#ifndef SYNCPACK_CLOCK_H
#define SYNCPACK_CLOCK_H

/* Milliseconds since the epoch: $SYNCPACK_TEST_CLOCK_MS when it is set to
 * a number (documented in syncpack(7) as a testing aid, never for
 * production), the system clock otherwise. */
long long clock_wall_ms(void);

/* 1 when $SYNCPACK_TEST_CLOCK_MS is in force. */
int clock_overridden(void);

/* The next HLC stamp after last: the later of the wall clock (in HLC
 * units, 2^16 per millisecond) and one past last, so that stamps increase
 * even when the clock steps back. */
long long clock_next_hlc(long long last, long long wall_ms);

/* The site's clock after it received a version stamped seen: never behind
 * a stamp it has seen, so its next stamps order after it. */
long long clock_observe_hlc(long long clock, long long seen);

/* A stamp just past both a and b, not at the wall clock: a version that
 * undoes another must order after it, and still before a change another
 * site made later. */
long long clock_past_hlc(long long a, long long b);

#endif
