/* fuzz_wire_record.c: libFuzzer target for the record parser
 * (sxf/wire_record.c): one line of data.jsonl, as an apply reads it after
 * the file is verified. A signed file can still carry any line, so the
 * parser must refuse what is not a record without crashing or leaking.
 * Build with `make fuzz`; run as t/fuzz/fuzz_wire_record CORPUS/. */
#include <stddef.h>
#include <stdint.h>

#include "sxf/wire_record.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_record w;
	struct sp_error err;

	if (wire_record_parse((const char *)data, size, &w, &err) == 0)
		wire_record_free(&w);
	return 0;
}
