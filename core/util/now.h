/*
 * now - the process's clocks in the units callers keep.
 *
 * Monotonic for deadlines, timeouts and breakers (never jumps); wall clock
 * only where a time is shown or shared (quota windows, the local store's
 * rate state). Pure: libc only.
 */
#ifndef RW_NOW_H
#define RW_NOW_H

#include <stdint.h>
#include <time.h>

uint64_t now_mono_ms(void);
uint64_t now_mono_us(void);
uint64_t now_wall_us(void);
/* now_mono_after - *ts = CLOCK_MONOTONIC plus us (clock_nanosleep, a condvar on that clock) */
void now_mono_after(uint64_t us, struct timespec *ts);

#endif
