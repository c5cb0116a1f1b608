/* transport.h: moving exchange files to and from mailboxes on servers,
 * through libcurl: SFTP (key authentication, known_hosts required) and
 * HTTP(S) WebDAV (PUT, PROPFIND, MOVE, DELETE; netrc credentials).
 *
 * A mailbox is a folder URL ending in "/". Uploads go under a temporary
 * name starting with a dot and are renamed into place, so a reader never
 * sees a partial file. */
#ifndef SYNCPACK_TRANSPORT_H
#define SYNCPACK_TRANSPORT_H

#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

struct transport_opts {
	const char *cacert;	/* HTTPS: CA bundle, or NULL for the system's */
	const char *netrc;	/* HTTP(S): credentials, or NULL */
	const char *ssh_key;	/* SFTP: private key (default ~/.ssh/id_ed25519) */
	const char *known_hosts;	/* SFTP: default ~/.ssh/known_hosts */
	int insecure;		/* tests only: no host key or certificate check */
	int retries;		/* extra attempts after a failure */
	long retry_max_time;	/* seconds all attempts may take together */
	long connect_timeout;	/* seconds */
	long stall_timeout;	/* seconds without a byte */
};

extern const struct transport_opts transport_default_opts;

/* 1 when s is an sftp://, http:// or https:// URL. */
int transport_is_url(const char *s);

/* Returns "url/sub/" (one slash between, one at the end); caller frees. */
char *transport_join(const char *url, const char *sub);

SP_MUST_CHECK
int transport_put(const struct transport_opts *o, const char *dir_url,
    const char *name, const char *local_path, struct sp_error *err);

/* Lists the file names in dir_url (no folders, no hidden files). Free
 * with transport_names_free. */
SP_MUST_CHECK
int transport_list(const struct transport_opts *o, const char *dir_url,
    char ***names, size_t *count, struct sp_error *err);
void transport_names_free(char **names, size_t count);

/* Downloads dir_url/name into out (truncated first). */
SP_MUST_CHECK
int transport_get(const struct transport_opts *o, const char *dir_url,
    const char *name, FILE *out, struct sp_error *err);

/* Moves dir_url/name into dir_url/done/ (created when missing), or deletes
 * it. */
SP_MUST_CHECK
int transport_done(const struct transport_opts *o, const char *dir_url,
    const char *name, int delete_it, struct sp_error *err);

#endif
