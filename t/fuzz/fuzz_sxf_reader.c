/* fuzz_sxf_reader.c: libFuzzer target for the exchange-file reader.
 *
 * Runs the reader without a signer key (as syncunpack --list does) so the
 * fuzzer reaches every parser behind the signature check: gzip, tar, HEADER,
 * MANIFEST, member order and hashing. Build with `make fuzz`; run as
 * t/fuzz/fuzz_sxf_reader t/fuzz/corpus/. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sxf/sxf_reader.h"

static int
discard(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sxf_limits limits = {
		.max_member = 1 << 20, .max_total = 4 << 20, .max_members = 64,
	};
	struct sxf_read_ops ops = { .on_member_data = discard };
	struct sxf_read_result res;
	struct sp_error err;
	int fd = memfd_create("sxf", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0)
		(void)sxf_read_fd(fd, &limits, &ops, &res, &err);
	close(fd);
	return 0;
}
