/* exchange_file.c: exchange files as a site writes and reads them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_out.h"
#include "sync/exchange_file.h"
#include "net/input.h"
#include "store/sqlite/sql.h"

static int
log_outgoing(struct site *s, const struct exchange_meta *m, uint64_t flow,
    const char *path, const char *sha256, struct sp_error *err)
{
	const char *peer = m->peer;
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_flow(peer, "
	    "direction, flow, kind, link, file, sha256, ready, status, covered)"
	    " VALUES (?, 'out', ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', "
	    "'now'), 'sent', ?)", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)flow);
	sqlite3_bind_text(st, 3, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)m->link);
	sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, m->covered);
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

/* seen, seen_sha256: the highest flow received from the recipient and
 * the checksum of its file. A site restored from an old backup learns
 * from them not to reuse flow ids, and that it was restored. */
static int
add_seen(struct site *s, const char *peer, struct sxf_header *h,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT flow, sha256 FROM syncpack_flow "
	    "WHERE peer = ? AND direction = 'in' ORDER BY flow DESC LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		strcpy(h->extra_key[h->nextra], "seen");
		snprintf(h->extra_value[h->nextra], sizeof(h->extra_value[0]),
		    "%lld", (long long)sqlite3_column_int64(st, 0));
		h->nextra++;
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT) {
			strcpy(h->extra_key[h->nextra], "seen_sha256");
			snprintf(h->extra_value[h->nextra],
			    sizeof(h->extra_value[0]), "%s",
			    sqlite3_column_text(st, 1));
			h->nextra++;
		}
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 :
	    site_sqlite_error(s, err, s->path);
}

/* restored: 1 on the answers of a site that found it was restored from a
 * backup and has no acknowledgement of a later file from peer yet
 * (acked_lseq -1): what a data file says with since -1. A reconciliation
 * may be the first exchange after a restore, its answer given under a new
 * flow id, so the peer would see no reused id and keep sending from its
 * old mark; and the acknowledgement of the answer, as of any file written
 * since the restore was found, ends the -1: the file must have said so. */
static int
add_restored(struct site *s, const char *peer, struct sxf_header *h,
    struct sp_error *err)
{
	int r;

	if (strcmp(h->kind, "answer") != 0)
		return 0;
	r = site_step_text(s, "SELECT 1 FROM syncpack_peer WHERE site = ? AND "
	    "acked_lseq < 0", peer, err);
	if (r == 1) {
		strcpy(h->extra_key[h->nextra], "restored");
		strcpy(h->extra_value[h->nextra], "1");
		h->nextra++;
	}
	return r < 0 ? -1 : 0;
}

int
exchange_file_write(struct site *s, struct sxf_writer *w,
    const struct exchange_meta *m, const char *target,
    struct exchange_written *out, struct sp_error *err)
{
	const char *kind = m->kind, *peer = m->peer;
	char sha[65];
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
	h.link = m->link;
	if (add_seen(s, peer, &h, err) != 0 ||
	    add_restored(s, peer, &h, err) != 0)
		goto cleanup;
	for (int i = 0; m->extra && m->extra[i] && h.nextra < SXF_EXTRA_MAX;
	    i += 2, h.nextra++) {
		snprintf(h.extra_key[h.nextra], sizeof(h.extra_key[0]), "%s",
		    m->extra[i]);
		snprintf(h.extra_value[h.nextra], sizeof(h.extra_value[0]), "%s",
		    m->extra[i + 1]);
	}
	sxf_header_stamp_now(&h);
	if (sxf_file_name(name, sizeof(name), s->id, peer, h.flow, kind) != 0) {
		sp_error_set(err, "file name too long");
		goto cleanup;
	}
	if (atomic_out_open(&o, target, name, err) != 0)
		goto cleanup;
	snprintf(out->path, sizeof(out->path), "%s", o.final_path);
	out->flow = h.flow;
	if (sxf_writer_finish(w, &h, key, o.fd, sha, err) != 0) {
		/* FAT stops a file at 4 GiB - 1 with EFBIG: say why. */
		if (o.on_fat && err->kind == SP_ERR_IO &&
		    err->sys_errno == EFBIG)
			sp_error_set(err, "%s", ATOMIC_OUT_FAT_MESSAGE);
		atomic_out_abort(&o);
		goto cleanup;
	}
	if (atomic_out_commit(&o, err) != 0)
		goto cleanup;
	rc = log_outgoing(s, m, h.flow, out->path, sha, err);
cleanup:
	EVP_PKEY_free(key);
	return rc;
}

/* The acknowledged mark for peer drops to mark (-1 stays: this site was
 * restored itself and must still say so), and no acknowledgement of a
 * file written to peer so far moves it again: a restored site applies and
 * acknowledges files written from the mark its peer had before, but lacks
 * what earlier files brought it, so those acknowledgements prove nothing
 * (covered -1 is below any mark). Only files written from the new mark on
 * count. */
static int
forget_acks(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	char *sql = sqlite3_mprintf("UPDATE syncpack_peer SET acked_lseq = "
	    "min(acked_lseq, %lld) WHERE site = '%q'; UPDATE syncpack_flow SET "
	    "covered = -1 WHERE peer = '%q' AND direction = 'out'", mark, peer,
	    peer);
	int r = sql ? site_exec(s, sql, err) : sp_error_set(err,
	    "out of memory");

	sqlite3_free(sql);
	return r;
}

int
exchange_note_restored(struct site *s, const char *peer, struct sp_error *err)
{
	return forget_acks(s, peer, 0, err);
}

int
exchange_note_seen(struct site *s, const struct sxf_header *h,
    struct sp_error *err)
{
	const char *seen = sxf_header_extra(h, "seen");
	sqlite3_stmt *st;
	int r, restored = 0;

	if (seen == NULL)
		return 0;
	/* The peer has seen flows of this site that this site has not
	 * written yet, or another file under one of its flow ids: this
	 * database was restored from a backup. What the
	 * peer acknowledged no longer counts; this site sends everything
	 * again, and its files say so (since -1, restored) until the peer
	 * acknowledges one. */
	if (sqlite3_prepare_v2(s->db, "SELECT ?2 >= (SELECT next_flow FROM "
	    "syncpack_site WHERE id = 1) OR EXISTS (SELECT 1 FROM syncpack_flow"
	    " WHERE peer = ?1 AND direction = 'out' AND flow = ?2 AND sha256 IS "
	    "NOT ?3 AND ?3 IS NOT NULL)", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, h->from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, atoll(seen));
	if (sxf_header_extra(h, "seen_sha256") != NULL)
		sqlite3_bind_text(st, 3, sxf_header_extra(h, "seen_sha256"), -1,
		    SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		restored = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (r != SQLITE_ROW)
		return site_sqlite_error(s, err, s->path);
	if (restored && forget_acks(s, h->from, -1, err) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_site SET next_flow = "
	    "max(next_flow, ? + 1) WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_int64(st, 1, atoll(seen));
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
exchange_sender_restored(struct site *s, const struct sxf_header *h,
    struct sp_error *err)
{
	const char *v;

	if (strcmp(h->kind, "data") == 0)
		v = sxf_header_extra(h, "since");
	else if (strcmp(h->kind, "answer") == 0)
		v = sxf_header_extra(h, "restored");
	else
		return 0;
	if (v == NULL || strcmp(v, strcmp(h->kind, "data") == 0 ? "-1" : "1")
	    != 0)
		return 0;
	return exchange_note_restored(s, h->from, err);
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
