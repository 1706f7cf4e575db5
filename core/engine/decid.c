/* decid - decision ids; see decid.h */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/engine/decid.h"

static uint64_t decid_key;	/* drawn once */
static uint64_t decid_counter;
static pthread_once_t decid_once = PTHREAD_ONCE_INIT;

/* decid_init - the key: the kernel's randomness, else time and pid mixed */
static void decid_init(void)
{
	if (getrandom(&decid_key, sizeof(decid_key), 0) != (ssize_t)sizeof(decid_key))
		decid_key = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
}

/* decid_mix - splitmix64's finaliser: a bijection, so distinct inputs give distinct ids */
static uint64_t decid_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void decid_next(char out[DECID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v;

	pthread_once(&decid_once, decid_init);
	v = decid_mix(decid_key + __atomic_add_fetch(&decid_counter, 1, __ATOMIC_RELAXED));
	for (int i = DECID_LEN - 1; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[DECID_LEN] = '\0';
}
