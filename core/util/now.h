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

uint64_t now_mono_ms(void);
uint64_t now_mono_us(void);
uint64_t now_wall_us(void);

#endif
