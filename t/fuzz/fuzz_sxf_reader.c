/* fuzz_sxf_reader.c: libFuzzer target for the exchange-file reader.
 *
 * Runs the reader without a signer key (as syncunpack --list does) so the
 * fuzzer reaches every parser behind the signature check: gzip, tar, HEADER,
 * MANIFEST, member order and hashing; with a fixed sealing key, a sealed
 * file's outer checks and the opener (fuzz_sxf_open.c reaches what is
 * inside). Build with `make fuzz`; run as t/fuzz/fuzz_sxf_reader
 * t/fuzz/corpus/. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_read(data, size);
	return 0;
}
