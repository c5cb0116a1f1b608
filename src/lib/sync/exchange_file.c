/* exchange_file.c: exchange files as a site writes and reads them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_out.h"
#include "sync/exchange_file.h"
#include "net/input.h"
#include "store/flows.h"
#include "store/peer_keys.h"
#include "sync/seal_policy.h"

static int
log_outgoing(struct site *s, const struct exchange_meta *m, uint64_t flow,
    const char *path, const char *sha256, struct sp_error *err)
{
	struct store_flow_out f = { m->peer, flow, m->kind, m->link, path,
	    sha256, m->covered };

	return store_flow_add_out(s, &f, err) != 0 ||
	    store_peer_sent(s, m->peer, err) != 0 ? -1 : 0;
}

/* seen, seen_sha256: the highest flow received from the recipient and
 * the checksum of its file. A site restored from an old backup learns
 * from them not to reuse flow ids, and that it was restored. */
static int
add_seen(struct site *s, const char *peer, struct sxf_header *h,
    struct sp_error *err)
{
	long long flow;
	char *sha;
	int r = store_flow_last_in(s, peer, &flow, &sha, err);

	if (r == 1) {
		strcpy(h->extra_key[h->nextra], "seen");
		snprintf(h->extra_value[h->nextra], sizeof(h->extra_value[0]),
		    "%lld", flow);
		h->nextra++;
		if (sha != NULL) {
			strcpy(h->extra_key[h->nextra], "seen_sha256");
			snprintf(h->extra_value[h->nextra],
			    sizeof(h->extra_value[0]), "%s", sha);
			h->nextra++;
		}
	}
	free(sha);
	return r < 0 ? -1 : 0;
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
	long long mark;
	int r;

	if (strcmp(h->kind, "answer") != 0)
		return 0;
	r = store_peer_mark(s, peer, &mark, err);
	if (r == 1 && mark < 0) {
		strcpy(h->extra_key[h->nextra], "restored");
		strcpy(h->extra_value[h->nextra], "1");
		h->nextra++;
	}
	return r < 0 ? -1 : 0;
}

int
exchange_format_for(struct site *s, const char *peer, unsigned *version,
    struct sp_error *err)
{
	struct store_peer_settings p;
	int rc;

	if (store_peer_settings(s, peer, &p, err) != 0)
		return -1;
	rc = sxf_format_pick(p.reads, SXF_FORMAT_OLDEST, SXF_FORMAT_NEWEST,
	    version, err);
	if (rc != 0)
		sp_error_prefix(err, "%s", peer);
	store_peer_settings_free(&p);
	return rc;
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
	if (exchange_format_for(s, peer, &h.format, err) != 0 ||
	    add_seen(s, peer, &h, err) != 0 ||
	    add_restored(s, peer, &h, err) != 0)
		goto cleanup;
	/* Every file says which versions this site reads, so that its peers
	 * write it the newest of them (sxf(5), "Format versions"). */
	strcpy(h.extra_key[h.nextra], "reads");
	strcpy(h.extra_value[h.nextra], SXF_FORMATS_READ);
	h.nextra++;
	for (int i = 0; m->extra && m->extra[i] && h.nextra < SXF_EXTRA_MAX;
	    i += 2, h.nextra++) {
		snprintf(h.extra_key[h.nextra], sizeof(h.extra_key[0]), "%s",
		    m->extra[i]);
		snprintf(h.extra_value[h.nextra], sizeof(h.extra_value[0]), "%s",
		    m->extra[i + 1]);
	}
	if (seal_policy_outgoing(s, peer, w, &h, out->unsealed,
	    sizeof(out->unsealed), err) != 0)
		goto cleanup;
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
	out->pending = o;
	out->unpublished = 1;
	rc = log_outgoing(s, m, h.flow, out->path, sha, err);
	if (rc != 0)
		exchange_file_discard(out);
cleanup:
	EVP_PKEY_free(key);
	return rc;
}

int
exchange_file_publish(struct exchange_written *out, struct sp_error *err)
{
	if (!out->unpublished)
		return 0;
	out->unpublished = 0;
	return atomic_out_commit(&out->pending, err);
}

void
exchange_file_discard(struct exchange_written *out)
{
	if (out->unpublished)
		atomic_out_abort(&out->pending);
	out->unpublished = 0;
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
	return store_peer_mark_lower(s, peer, mark, err) != 0 ||
	    store_flows_out_uncover(s, peer, err) != 0 ? -1 : 0;
}

int
exchange_note_restored(struct site *s, const char *peer, struct sp_error *err)
{
	return forget_acks(s, peer, 0, err);
}

/* 1 when the peer that sent h has seen flows of this site that this site
 * has not written yet, or another file under one of its flow ids (a
 * checksum other than that of the file logged, or one logged without a
 * checksum); 0 when not, -1 on error. */
static int
seen_unknown(struct site *s, const struct sxf_header *h, long long seen,
    struct sp_error *err)
{
	const char *seen_sha = sxf_header_extra(h, "seen_sha256");
	long long next;
	char *sha;
	int r;

	if ((r = store_next_flow_peek(s, &next, err)) < 0)
		return -1;
	if (r == 1 && seen >= next)
		return 1;
	if (seen_sha == NULL)
		return 0;
	r = store_flow_out_sha256(s, h->from, seen, &sha, err);
	if (r == 1)
		r = sha == NULL || strcmp(sha, seen_sha) != 0;
	free(sha);
	return r;
}

int
exchange_note_seen(struct site *s, const struct sxf_header *h,
    struct sp_error *err)
{
	const char *seen = sxf_header_extra(h, "seen");
	const char *reads = sxf_header_extra(h, "reads");
	int restored;

	/* A file without reads (the reader checked it) comes from a version
	 * before the field: the peer keeps what it last said, or none, and
	 * is written the oldest version. */
	if (reads != NULL && store_peer_set_reads(s, h->from, reads, err) != 0)
		return -1;
	if (seen == NULL)
		return 0;
	/* The peer has seen flows of this site that this site has not
	 * written yet, or another file under one of its flow ids: this
	 * database was restored from a backup. What the
	 * peer acknowledged no longer counts; this site sends everything
	 * again, and its files say so (since -1, restored) until the peer
	 * acknowledges one. */
	if ((restored = seen_unknown(s, h, atoll(seen), err)) < 0)
		return -1;
	if (restored && forget_acks(s, h->from, -1, err) != 0)
		return -1;
	return store_next_flow_raise(s, atoll(seen), err);
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
		ops->sealing_key = seal_policy_key;
		ops->check_header = seal_policy_check;
	}
	fd = input_open(path, err);
	if (fd < 0) {
		memset(result, 0, sizeof(*result));
		return -1;
	}
	rc = sxf_read_fd(fd, limits, ops, result, err);
	input_close(fd);
	/* What the verified file says of the sender's sealing. */
	if (rc == 0 && s != NULL)
		rc = seal_policy_note(s, &result->header, result->sealed, err);
	return rc;
}
