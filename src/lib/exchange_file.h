/* exchange_file.h: writing and checking exchange files for a site.
 *
 * Glue between a site database and the container: flow ids, the header,
 * the output file and the flow log on the way out; the signer's key and
 * the recipient check on the way in. */
#ifndef SYNCPACK_EXCHANGE_FILE_H
#define SYNCPACK_EXCHANGE_FILE_H

#include <stdint.h>

#include "error.h"
#include "site.h"
#include "sxf_reader.h"
#include "sxf_writer.h"

struct exchange_written {
	uint64_t flow;
	char path[4096];	/* where the file went ("-" for stdout) */
};

/* Gives the payload spooled in w a flow id and a header of kind for peer,
 * writes it to target (file, folder or "-"), and logs the outgoing flow.
 * w is left to the caller to free. */
int exchange_file_write(struct site *s, struct sxf_writer *w,
    const char *kind, const char *peer, uint64_t link, const char *target,
    struct exchange_written *out, struct sp_error *err);

/* Reads path ("-": stdin) through the container reader. With s non-NULL the
 * signature is checked against the registered peer key and the file must be
 * addressed to s; with s NULL neither is checked (listing). */
int exchange_file_read(struct site *s, const char *path,
    const struct sxf_limits *limits, struct sxf_read_ops *ops,
    struct sxf_read_result *result, struct sp_error *err);

/* Writes a data file for peer: every change peer has not acknowledged. */
int exchange_pack_data(struct site *s, const char *peer, const char *target,
    struct exchange_written *out, struct sp_error *err);

#endif
