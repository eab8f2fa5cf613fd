/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reliability suite's parts: reliability.c (unplug, unload, stress,
 * figures), reliability_fuzz.c (the uapi fuzzer) and reliability_fail.c
 * (fault injection through /proc/thread-self/fail-nth).
 */
#ifndef P2PBUF_RELIABILITY_H
#define P2PBUF_RELIABILITY_H

#include <stdbool.h>
#include <stdint.h>

/* counts for the figures line, summed over the subtests that ran */
struct rel_figures {
	uint64_t fuzzed;
	uint64_t fail_nth;
	unsigned int unplug_cycles;
	unsigned int unload_cycles;
	unsigned int stress_threads;
	unsigned int stress_seconds;
	unsigned int overlaps;
	unsigned int corruptions;
};

extern struct rel_figures rel_fig;

/* a knob from the environment, @def when unset or not a number */
long rel_env(const char *name, long def);
/* the same for an amount of work, @full scaled down in iommu and stock61 */
long rel_amount(const char *name, long full);

/* wait until every available provider is back to all free; false on timeout */
bool rel_wait_all_free(int p2p, int timeout_ms, char *why, size_t len);

/* unload or load p2pbuf.ko and the test importer that depends on it */
int rel_unload_modules(void);
int rel_load_modules(void);

void rel_fuzz(int p2p);
void rel_fail_nth(void);

/* a dma-buf fd of another exporter, or -1: udmabuf, vgem */
int rel_udmabuf(uint64_t size);
int rel_vgem_dmabuf(uint64_t size);

#endif
