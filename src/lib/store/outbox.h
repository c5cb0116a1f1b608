/* outbox.h: the store's list of exchange files waiting in the outbox
 * folder for a server, and the peers' mailbox URLs.
 *
 * The list only names files; the files themselves and every decision
 * about them (what supersedes what, what goes first) are
 * sync/delivery.c's. */
#ifndef SYNCPACK_STORE_OUTBOX_H
#define SYNCPACK_STORE_OUTBOX_H

#include <stddef.h>
#include <stdlib.h>

#include "util/error.h"
#include "store/site.h"

/* One waiting file, as store_outbox_add recorded it. */
struct store_outbox_file {
	char *name;		/* owned: the file name in the outbox folder */
	char *peer;		/* owned: the site it is for */
	char *kind;		/* owned: data, ack, request, answer */
	char *url;		/* owned: the mailbox it goes to */
};

/* The URL syncadm peer add --url gave for peer: 1 with *url set (the
 * caller frees it), 0 when the peer is unknown or has none (*url NULL), -1
 * on error. */
SP_MUST_CHECK
int store_peer_url(struct site *s, const char *peer, char **url,
    struct sp_error *err);

/* Records that the file name waits for peer's mailbox url; a file of the
 * same name already listed is replaced. */
SP_MUST_CHECK
int store_outbox_add(struct site *s, const char *name, const char *peer,
    const char *kind, const char *url, struct sp_error *err);

/* Forgets name (delivered, superseded or gone); no error when it is not
 * listed. */
SP_MUST_CHECK
int store_outbox_forget(struct site *s, const char *name,
    struct sp_error *err);

/* 1 when name is listed, 0 when not, -1 on error. */
SP_MUST_CHECK
int store_outbox_has(struct site *s, const char *name, struct sp_error *err);

/* 1 when any file is listed, 0 when none is, -1 on error. */
SP_MUST_CHECK
int store_outbox_any(struct site *s, struct sp_error *err);

/* Every listed file, in no particular order, read in full before the call
 * returns so that the caller may forget files while it walks them. Free
 * *files with store_outbox_files_free. */
SP_MUST_CHECK
int store_outbox_list(struct site *s, struct store_outbox_file **files,
    size_t *count, struct sp_error *err);

static inline void
store_outbox_files_free(struct store_outbox_file *files, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(files[i].name);
		free(files[i].peer);
		free(files[i].kind);
		free(files[i].url);
	}
	free(files);
}

#endif
