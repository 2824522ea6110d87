/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRC-16/T10-DIF throughput of every implementation on 4 KiB and 64 KiB
 * buffers, and of DIF generate/verify (through the implementation
 * TCMUD_CRC selects) for 512- and 4096-byte blocks. Prints figures, never
 * fails on a number. Meaningful only in a build without sanitizers.
 *
 *     crc_bench [seconds per measurement, default 0.5]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crc16_t10.h"
#include "dif.h"

#define BUF_MAX (64 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint16_t sink;

/* GB/s (10^9 bytes) of fn over len-byte buffers for about secs seconds. */
static double bench_crc(tcmud_crc16_t10_fn fn, const uint8_t *buf, size_t len, double secs)
{
	uint64_t bytes = 0;
	double t0 = now(), t;
	uint16_t crc = 0;

	do {
		for (int i = 0; i < 256; i++)
			crc = fn(crc, buf, len);
		bytes += 256 * (uint64_t)len;
		t = now();
	} while (t - t0 < secs);
	sink = crc;
	return (double)bytes / (t - t0) / 1e9;
}

/* GB/s of data protected (generate) or checked (verify) over 64 KiB. */
static double bench_dif(int verify, uint32_t bs, uint8_t *buf, double secs)
{
	uint32_t nr = BUF_MAX / bs;
	uint8_t pi[BUF_MAX / 512 * TCMUD_DIF_TUPLE_SIZE];
	struct iovec iov = {buf, BUF_MAX};
	struct tcmud_dif_ctx ctx;
	uint64_t bytes = 0;
	double t0, t;

	tcmud_dif_ctx_init(&ctx, 1, bs, 1000, 0, 0, 0xffff, TCMUD_DIF_CHECK_ALL);
	tcmud_dif_generate(&ctx, &iov, 1, nr, pi);
	t0 = now();
	do {
		for (int i = 0; i < 64; i++) {
			if (verify && tcmud_dif_verify(&ctx, &iov, 1, nr, pi, NULL) != 0) {
				fprintf(stderr, "crc_bench: verify failed\n");
				exit(1);
			}
			if (!verify)
				tcmud_dif_generate(&ctx, &iov, 1, nr, pi);
		}
		bytes += 64 * (uint64_t)BUF_MAX;
		t = now();
	} while (t - t0 < secs);
	return (double)bytes / (t - t0) / 1e9;
}

int main(int argc, char **argv)
{
	static const size_t lens[] = {4096, BUF_MAX};
	double secs = argc > 1 ? atof(argv[1]) : 0.5;
	uint8_t *buf = aligned_alloc(64, BUF_MAX);

	if (!buf || secs <= 0) {
		fprintf(stderr, "usage: crc_bench [seconds per measurement]\n");
		return 2;
	}
	for (size_t i = 0; i < BUF_MAX; i++)
		buf[i] = (uint8_t)(i * 131 + 7);

	printf("CRC-16/T10-DIF, GB/s (10^9 bytes/s)\n");
	printf("%-6s %-36s %10s %10s\n", "impl", "", "4 KiB", "64 KiB");
	for (size_t i = 0; i < tcmud_crc16_t10_nr_impls; i++) {
		const struct tcmud_crc16_t10_impl *impl = &tcmud_crc16_t10_impls[i];

		printf("%-6s %-36s", impl->name, impl->desc);
		for (size_t j = 0; j < 2; j++)
			printf(" %10.2f", bench_crc(impl->fn, buf, lens[j], secs));
		printf("\n");
	}

	printf("\nDIF type 1 over 64 KiB with \"%s\" (TCMUD_CRC), GB/s of data\n",
	       tcmud_crc16_t10_selected()->name);
	printf("%-8s %10s %10s\n", "op", "512 B", "4096 B");
	for (int verify = 0; verify < 2; verify++)
		printf("%-8s %10.2f %10.2f\n", verify ? "verify" : "generate",
		       bench_dif(verify, 512, buf, secs), bench_dif(verify, 4096, buf, secs));
	free(buf);
	return 0;
}
