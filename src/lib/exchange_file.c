/* exchange_file.c: exchange files as a site writes and reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_out.h"
#include "exchange_file.h"
#include "input.h"

static int
log_outgoing(struct site *s, const char *peer, const char *kind,
    uint64_t flow, uint64_t link, const char *path, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_flow(peer, "
	    "direction, flow, kind, link, file, ready, status) VALUES (?, "
	    "'out', ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'sent')",
	    -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)flow);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)link);
	sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_peer SET last_sent = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE site = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
exchange_file_write(struct site *s, struct sxf_writer *w,
    const char *kind, const char *peer, uint64_t link, const char *target,
    struct exchange_written *out, struct sp_error *err)
{
	struct sxf_header h;
	struct atomic_out o;
	EVP_PKEY *key = NULL;
	char name[128];
	int known, rc = -1;

	memset(&h, 0, sizeof(h));
	known = site_peer_exists(s, peer, err);
	if (known < 0)
		return -1;
	if (!known)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    peer, s->id);
	if ((key = site_private_key(s, err)) == NULL)
		return -1;
	if (site_next_flow(s, &h.flow, err) != 0)
		goto cleanup;
	snprintf(h.kind, sizeof(h.kind), "%s", kind);
	snprintf(h.from, sizeof(h.from), "%s", s->id);
	snprintf(h.to, sizeof(h.to), "%s", peer);
	h.link = link;
	sxf_header_stamp_now(&h);
	if (sxf_file_name(name, sizeof(name), s->id, peer, h.flow, kind) != 0) {
		sp_error_set(err, "file name too long");
		goto cleanup;
	}
	if (atomic_out_open(&o, target, name, err) != 0)
		goto cleanup;
	snprintf(out->path, sizeof(out->path), "%s", o.final_path);
	out->flow = h.flow;
	if (sxf_writer_finish(w, &h, key, o.fd, err) != 0) {
		atomic_out_abort(&o);
		goto cleanup;
	}
	if (atomic_out_commit(&o, err) != 0)
		goto cleanup;
	rc = log_outgoing(s, peer, kind, h.flow, link, out->path, err);
cleanup:
	EVP_PKEY_free(key);
	return rc;
}

static EVP_PKEY *
site_signer_key(void *ctx, const char *site, struct sp_error *err)
{
	return site_peer_key(ctx, site, err);
}

int
exchange_file_read(struct site *s, const char *path,
    const struct sxf_limits *limits, struct sxf_read_ops *ops,
    struct sxf_read_result *result, struct sp_error *err)
{
	int fd, rc;

	if (s != NULL) {
		ops->signer_key = site_signer_key;
		ops->key_ctx = s;
		ops->expect_to = s->id;
	}
	fd = input_open(path, err);
	if (fd < 0) {
		memset(result, 0, sizeof(*result));
		return -1;
	}
	rc = sxf_read_fd(fd, limits, ops, result, err);
	input_close(fd);
	return rc;
}

int
exchange_pack_data(struct site *s, const char *peer, const char *target,
    struct exchange_written *out, struct sp_error *err)
{
	struct sxf_writer *w = sxf_writer_new(err);
	int rc = -1;

	if (w == NULL)
		return -1;
	/* Records join this member once change capture is packed; until then
	 * an empty data file serves as a signed heartbeat. */
	if (sxf_writer_member_begin(w, "data.jsonl", err) == 0 &&
	    sxf_writer_member_end(w, err) == 0)
		rc = exchange_file_write(s, w, "data", peer, 0, target, out, err);
	sxf_writer_free(w);
	return rc;
}
