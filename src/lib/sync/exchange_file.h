/* exchange_file.h: writing and checking exchange files for a site.
 *
 * Glue between a site database and the container: flow ids, the header,
 * the output file and the flow log on the way out; the signer's key and
 * the recipient check on the way in. */
#ifndef SYNCPACK_EXCHANGE_FILE_H
#define SYNCPACK_EXCHANGE_FILE_H

#include <stdint.h>

#include "util/error.h"
#include "store/site.h"
#include "sxf/sxf_reader.h"
#include "sxf/sxf_writer.h"
#include "util/atomic_out.h"

struct exchange_written {
	uint64_t flow;
	char path[4096];	/* where the file went ("-" for stdout) */
	char unsealed[256];	/* why the file is not sealed, or empty */
	/* The file written but not yet in place (exchange_file_publish). */
	struct atomic_out pending;
	int unpublished;
};

/* What a writer of an exchange file says about it besides the payload. */
struct exchange_meta {
	const char *kind;
	const char *peer;
	uint64_t link;		/* the flow answered, or 0 */
	long long covered;	/* the lseq a data file covers, or 0 */
	/* Extra header lines (key, value pairs), NULL-terminated. */
	const char *const *extra;
};

/* Gives the payload spooled in w a flow id and a header, writes it to a
 * temporary file beside target (file, folder or "-") and logs the
 * outgoing flow; exchange_file_publish then puts it in place, after the
 * caller committed the flow log, and exchange_file_discard removes it when
 * the caller rolls back. The flow id is thus spent before any file under
 * it can be seen: a process killed in between leaves a flow without a
 * file (its content goes again in the next one), never a file whose flow
 * id the next run hands out again, which its peer would take for a site
 * restored from a backup. w is left to the caller to free. */
SP_MUST_CHECK
int exchange_file_write(struct site *s, struct sxf_writer *w,
    const struct exchange_meta *m, const char *target,
    struct exchange_written *out, struct sp_error *err);
SP_MUST_CHECK
int exchange_file_publish(struct exchange_written *out, struct sp_error *err);
void exchange_file_discard(struct exchange_written *out);

/* Moves this site's next flow id past the "seen" header of a verified file
 * from a peer (the peer's highest flow applied from this site). */
/* The format version to write to peer: the newest this syncpack writes
 * among those its files announced, or the oldest it writes until one has
 * (sxf(5), "Format versions"). */
SP_MUST_CHECK
int exchange_format_for(struct site *s, const char *peer, unsigned *version,
    struct sp_error *err);

SP_MUST_CHECK
int exchange_note_seen(struct site *s, const struct sxf_header *h,
    struct sp_error *err);

/* Reads path ("-": stdin) through the container reader. With s non-NULL the
 * signature is checked against the registered peer key and the file must be
 * addressed to s; with s NULL neither is checked (listing). */
SP_MUST_CHECK
int exchange_file_read(struct site *s, const char *path,
    const struct sxf_limits *limits, struct sxf_read_ops *ops,
    struct sxf_read_result *result, struct sp_error *err);

/* Peer was restored from a backup (it reuses flow ids, or says so with
 * since -1 or restored: 1): what it lost of this site's changes, and of
 * those it had received from others, goes to it again. The acknowledged
 * mark drops to 0, acknowledgements of files written to it so far no
 * longer move it, and from 0 a pack sends the peer its own versions too,
 * and the deletes whose tombstones were purged (pack.c). */
SP_MUST_CHECK
int exchange_note_restored(struct site *s, const char *peer,
    struct sp_error *err);

/* The sender of the verified file h says it was restored from a backup:
 * a data file with since -1, an answer with restored: 1. Notes it
 * (exchange_note_restored); 0 when h says nothing of the kind. */
SP_MUST_CHECK
int exchange_sender_restored(struct site *s, const struct sxf_header *h,
    struct sp_error *err);

#endif
