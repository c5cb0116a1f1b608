/* delivery.h: where an exchange file goes: a file, a folder (USB stick),
 * stdout, or a mailbox on a server through the local outbox.
 *
 * Mailbox layout on a server: <root>/<recipient>/ holds the files for that
 * site. A file for a server is written into the outbox folder (default
 * DB.outbox/) first and leaves it once uploaded; what cannot be uploaded
 * waits there and goes first on the next run of any sending tool. Data
 * files are cumulative: a new one supersedes the older data files waiting
 * for the same mailbox, and once delivered (uploaded, or written to a local
 * destination) every older data file waiting for the same peer, whatever
 * mailbox it waits for. Acks, requests, answers and data files carrying
 * move requests all wait until uploaded. */
#ifndef SYNCPACK_DELIVERY_H
#define SYNCPACK_DELIVERY_H

#include "sync/exchange_file.h"
#include "net/transport.h"

struct delivery {
	char *target;		/* owned: what exchange_file_write gets */
	char *url;		/* owned: the peer's mailbox; NULL when local */
	char *outbox;		/* owned: the outbox folder */
};

/* output: -o as given (NULL: the peer's URL from syncadm peer add). */
SP_MUST_CHECK
int delivery_prepare(struct site *s, const char *output, const char *peer,
    const char *outbox, struct delivery *d, struct sp_error *err);

/* After the file was written: queue and upload it (and anything waiting);
 * a data file for a local destination supersedes the waiting ones.
 * Returns 0 when nothing waits, 1 when files wait in the outbox (err says
 * why), -1 on error. */
SP_MUST_CHECK
int delivery_finish(struct site *s, struct delivery *d,
    const struct exchange_written *w, const char *kind, const char *peer,
    const struct transport_opts *o, struct sp_error *err);

void delivery_free(struct delivery *d);

/* Uploads what waits in the outbox, in name (flow) order. Returns the
 * number of files still waiting, or -1; err says why some wait. */
long outbox_deliver(struct site *s, const char *outbox,
    const struct transport_opts *o, struct sp_error *err);

/* Downloads every .sxf of this site's mailbox under root (root/<site>/)
 * into the local folder dir; box receives the mailbox URL, names the file
 * names (free with transport_names_free). Nothing is removed from the
 * server: transport_done does that once a file has been processed. */
SP_MUST_CHECK
int mailbox_download(struct site *s, const char *root,
    const struct transport_opts *o, const char *dir, char *box,
    size_t boxlen, char ***names, size_t *count, struct sp_error *err);

/* The default outbox folder: DB.outbox (a PostgreSQL site has none:
 * delivery_prepare wants its outbox given); caller frees. */
char *outbox_default(struct site *s);

#endif
