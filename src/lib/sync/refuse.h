/* refuse.h: an operator refusing an incoming data file before it is
 * applied (the remote's "refused" tick): the file is checked as an apply
 * would check it, nothing of it is applied, its flow is recorded refused,
 * and the next ack tells the sender, whose next file carries the records
 * again (files are cumulative). */
#ifndef SYNCPACK_REFUSE_H
#define SYNCPACK_REFUSE_H

#include "store/site.h"
#include "sxf/sxf_reader.h"

struct refuse_result {
	struct sxf_header header;
	int already;		/* refused here before: nothing done */
};

/* Verifies the data file at path ("-": stdin) as apply_file does
 * (signature, every checksum, addressee, sealing) and records its flow
 * as refused, with reason (NULL: none; one line of printable text of at
 * most STORE_REFUSAL_REASON_MAX bytes), in one transaction; label (NULL:
 * path) is the name the flow records. Returns 0 when the refusal is
 * recorded (or was before); -1 when nothing was recorded: a bad, forged
 * or foreign file, a file other than data, or a flow applied here already
 * (err says why). */
SP_MUST_CHECK
int refuse_file(struct site *s, const char *path, const char *label,
    const char *reason, const struct sxf_limits *limits,
    struct refuse_result *res, struct sp_error *err);

#endif
