/* siteid.h: site identifiers and the FAT-safe names of exchange files. */
#ifndef SYNCPACK_SITEID_H
#define SYNCPACK_SITEID_H

#include <stddef.h>
#include <stdint.h>

#define SITEID_MAX 16

/* 1 when s is 1-16 characters of A-Z a-z 0-9 _ -, else 0. */
int siteid_valid(const char *s);

/* Writes FROM_TO_FLOW_KIND.sxf into out; the flow is zero-padded to six
 * digits so names sort in flow order. Returns -1 when out is too small. */
int sxf_file_name(char *out, size_t outlen, const char *from, const char *to,
    uint64_t flow, const char *kind);

#endif
