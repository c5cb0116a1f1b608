/* clock.h: the wall clock behind HLC stamps and GUIDs, with a test-only
 * override so that simulated networks replay exactly. */
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

#endif
