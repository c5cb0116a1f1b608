/* reconcile.c: request, answer and echo of the reconciliation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/line_buffer.h"
#include "sync/manifest.h"
#include "sync/pack.h"
#include "sync/reconcile.h"
#include "store/store.h"
#include "sync/track.h"
#include "sxf/wire_record.h"
#include "store/moving.h"
#include "store/reconcile.h"

/* Writes one manifest line. GUIDs and checksums are hexadecimal and need
 * no escaping; the table name is encoded by jansson once per table. */
static int
write_entry(struct sxf_writer *w, const struct manifest_entry *e,
    char *table_json, size_t size, char *last_table, struct sp_error *err)
{
	char line[1024];
	int n;

	if (strcmp(last_table, e->table) != 0) {
		json_t *t = json_string(e->table);
		char *enc = t ? json_dumps(t, JSON_ENCODE_ANY) : NULL;
		json_decref(t);
		if (enc == NULL || strlen(enc) >= size) {
			free(enc);
			return sp_error_set(err, "table name too long");
		}
		strcpy(table_json, enc);
		free(enc);
		strcpy(last_table, e->table);
	}
	n = snprintf(line, sizeof(line), "{\"table\":%s,\"guid\":\"%s\","
	    "\"rowversion\":%lld,\"checksum\":\"%s\",\"deleted\":%s}\n",
	    table_json, e->guid, e->rowversion, e->checksum,
	    e->deleted ? "true" : "false");
	return sxf_writer_member_write(w, line, (size_t)n, err);
}

static int
write_json_line(struct sxf_writer *w, json_t *o, struct sp_error *err)
{
	char *text = json_dumps(o, JSON_COMPACT);
	int rc;

	if (text == NULL)
		return sp_error_set(err, "out of memory");
	rc = sxf_writer_member_write(w, text, strlen(text), err);
	if (rc == 0)
		rc = sxf_writer_member_write(w, "\n", 1, err);
	free(text);
	return rc;
}

/* Writes the manifest of f as member name; returns the line count. */
static long long
write_manifest(struct site *s, struct sxf_writer *w, const char *name,
    const struct manifest_filter *f, struct sp_error *err)
{
	struct manifest_iter *it = manifest_open(s, f, err);
	struct manifest_entry e;
	char table_json[600], last_table[256] = "";
	long long n = 0;
	int r;

	if (it == NULL || sxf_writer_member_begin(w, name, err) != 0) {
		manifest_close(it);
		return -1;
	}
	while ((r = manifest_next(it, &e, err)) == 1) {
		if ((r = write_entry(w, &e, table_json, sizeof(table_json),
		    last_table, err)) != 0)
			break;
		n++;
	}
	manifest_close(it);
	if (r != 0 || sxf_writer_member_end(w, err) != 0)
		return -1;
	return n;
}

int
recon_request(struct site *s, const char *spoke, const char *since,
    const char *until, const char *target, struct recon_result *res,
    struct sp_error *err)
{
	struct manifest_filter f = { 0 };
	struct sxf_writer *w;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!s->hub)
		return sp_error_set(err, "only the hub starts a reconciliation");
	if (site_peer_exists(s, spoke, err) != 1)
		return sp_error_set(err, "%s is not a registered peer of %s",
		    spoke, s->id);
	f.owner = spoke;
	f.since = since;
	f.until = until;
	f.reconciled = 1;
	if ((w = sxf_writer_new(err)) == NULL)
		return -1;
	res->manifest = write_manifest(s, w, "request.jsonl", &f, err);
	if (res->manifest >= 0) {
		const char *extra[] = { "step", "1", "since", since, "until",
		    until, NULL };
		struct exchange_meta m = { "request", spoke, 0, 0, extra };
		rc = exchange_file_write(s, w, &m, target, &res->file, err)
		    != 0 || exchange_file_publish(&res->file, err) != 0 ? -1 : 0;
	}
	sxf_writer_free(w);
	return rc;
}

/* Reading an input file (request or answer) while writing the answer. */
struct answer_ctx {
	struct site *site;
	struct store *store;
	struct sxf_writer *w;
	struct recon_result *res;
	struct sxf_header h;
	int step;		/* 2: answering a request, 3: an answer */
	const char *const *aliases;
	int naliases;
	struct tracked_table *tables;	/* this site's policies */
	int ntables;
	int behind;		/* step 3: the spoke lacks the record or holds an
				 * older version of it */
	char member[64];
	struct line_buffer lines;
	/* step 2: this site's own records, merged with the request */
	struct manifest_iter *mine;
	struct manifest_entry cur;
	int have_cur;
	FILE *wants;		/* GUIDs the request lists that are unknown here */
	/* step 3: the hub's records routed to the spoke, merged with the echo */
	struct manifest_iter *theirs;
	struct manifest_entry last;	/* to check the input's order */
	int have_last;
};

static const struct tracked_table *
table_named(const struct answer_ctx *ac, const char *name)
{
	for (int i = 0; i < ac->ntables; i++)
		if (strcmp(ac->tables[i].name, name) == 0)
			return &ac->tables[i];
	return NULL;
}

/* Whether this site's answer may carry rec. The receiver applies an answer
 * as it applies any data file, so an answer keeps the rules of regular
 * exchange (syncdiff(1)) whatever the file it answers lists or asks for:
 * that file may come from an older version, or from a spoke asking for
 * what is not its own. */
static int
may_send(const struct answer_ctx *ac, const struct store_record *rec)
{
	const struct tracked_table *t = table_named(ac, rec->table);

	if (t == NULL || t->movable || (rec->flags & 2))
		/* A movable record lives on one site and only a move
		 * relocates it; a copy would live on two, and a later delete
		 * of one would never reach the other. */
		return 0;
	if (ac->step == 2)
		/* Only the hub changes central records. */
		return strcmp(t->owner, "central") != 0;
	if (strcmp(t->route, "none") == 0)
		/* Upload only: the hub's version goes down only to its owner,
		 * and only when the owner lost it or holds an older one (a
		 * restored backup): it is what the owner wrote. */
		return ac->behind && strcmp(rec->owner, ac->h.from) == 0;
	/* Routed owner: to its owner only. */
	return manifest_routed(t, rec->owner, ac->h.from);
}

/* Step 2: whether the spoke asks for a record of table it lacks: never
 * for a movable table, whose records only moves bring. */
static int
may_want(const struct answer_ctx *ac, const char *table)
{
	const struct tracked_table *t = table_named(ac, table);

	return t == NULL || !t->movable;
}

/* Writes guid's record into the answer, unless the rules keep it here. */
static int
add_record(struct answer_ctx *ac, const char *guid, const char *owner,
    struct sp_error *err)
{
	struct store_record rec;
	json_t *o;
	int found, rc;

	found = store_lookup(ac->store, guid, &rec, NULL, err);
	if (found <= 0)
		return found;	/* unknown here: nothing to send */
	/* A merged record's tombstone is no delete (syncpack(7), Keys). */
	if (rec.deleted && rec.merged[0] != '\0')
		return 0;
	if (!may_send(ac, &rec)) {
		ac->res->withheld++;
		return 0;
	}
	if (pack_record_by_guid(ac->site, ac->store, guid, owner, &o, err) != 0)
		return -1;
	if (o == NULL)
		return 0;
	rc = write_json_line(ac->w, o, err);
	json_decref(o);
	ac->res->records++;
	return rc;
}

static int
advance(struct manifest_iter *it, struct manifest_entry *cur, int *have,
    struct sp_error *err)
{
	int r = manifest_next(it, cur, err);

	if (r < 0)
		return -1;
	*have = r;
	return 0;
}

static const char *
alias_owner(struct answer_ctx *ac)
{
	return ac->naliases > 0 ? ac->site->id : NULL;
}

/* Step 2: one line of the request, merged with this site's records. */
static int
request_line(struct answer_ctx *ac, const struct manifest_entry *in,
    struct sp_error *err)
{
	for (;;) {
		int c = ac->have_cur ? manifest_order(&ac->cur, in) : 1;

		if (c < 0) {
			/* Only here: the hub lacks it. */
			if (add_record(ac, ac->cur.guid, alias_owner(ac), err) != 0 ||
			    advance(ac->mine, &ac->cur, &ac->have_cur, err) != 0)
				return -1;
			continue;
		}
		if (c == 0) {
			if ((strcmp(ac->cur.checksum, in->checksum) != 0 ||
			    ac->cur.rowversion != in->rowversion) &&
			    add_record(ac, ac->cur.guid, alias_owner(ac), err) != 0)
				return -1;
			return advance(ac->mine, &ac->cur, &ac->have_cur, err);
		}
		/* Only in the request: known here (with another owner or
		 * outside the window here), this site's version travels;
		 * unknown here, it is wanted back unless only a move brings
		 * it. */
		{
			struct store_record rec;
			int found = store_lookup(ac->store, in->guid, &rec, NULL,
			    err);
			if (found < 0)
				return -1;
			if (found)
				return add_record(ac, in->guid, alias_owner(ac), err);
			if (!may_want(ac, in->table))
				return 0;
			if (fprintf(ac->wants, "%s\n", in->guid) < 0)
				return sp_error_set(err, "cannot write a temporary "
				    "file");
			ac->res->wanted++;
			return 0;
		}
	}
}

/* Step 3: an echoed record the hub does not hold. When the hub deleted it
 * and its tombstone was purged since, the delete goes back: the spoke
 * (restored from an older backup, or one that lost the file) would keep
 * the record otherwise, since its echo is all that tells the hub. */
static int
echo_purged(struct answer_ctx *ac, const struct manifest_entry *in,
    struct sp_error *err)
{
	struct store_record rec;
	json_t *o;
	int found, rc;

	found = store_lookup(ac->store, in->guid, &rec, NULL, err);
	if (found != 0)
		return found < 0 ? -1 : 0;	/* outside the hub's manifest */
	found = pack_purged_lookup(ac->site, in->guid, &rec, err);
	if (found <= 0)
		return found;	/* unknown here: nothing the hub can add */
	if (!may_send(ac, &rec)) {
		ac->res->withheld++;
		return 0;
	}
	if ((o = wire_record_build(&rec, NULL, NULL)) == NULL)
		return sp_error_set(err, "out of memory");
	rc = write_json_line(ac->w, o, err);
	json_decref(o);
	ac->res->records++;
	return rc;
}

/* Step 3: one line of the echo, merged with the hub's records for the
 * spoke: what the spoke lacks or holds differently goes back. */
static int
echo_line(struct answer_ctx *ac, const struct manifest_entry *in,
    struct sp_error *err)
{
	for (;;) {
		int c = ac->have_cur ? manifest_order(&ac->cur, in) : 1;

		if (c < 0) {
			if (add_record(ac, ac->cur.guid, NULL, err) != 0 ||
			    advance(ac->theirs, &ac->cur, &ac->have_cur, err) != 0)
				return -1;
			continue;
		}
		if (c == 0) {
			if ((strcmp(ac->cur.checksum, in->checksum) != 0 ||
			    ac->cur.rowversion != in->rowversion) &&
			    add_record(ac, ac->cur.guid, NULL, err) != 0)
				return -1;
			return advance(ac->theirs, &ac->cur, &ac->have_cur, err);
		}
		return echo_purged(ac, in, err);
	}
}

/* Step 3: a record the spoke sent; the hub's version goes back when it
 * kept another one. */
static int
answered_record(struct answer_ctx *ac, const char *line, size_t len,
    struct sp_error *err)
{
	struct wire_record w;
	struct store_record here;
	int found, rc = 0;

	if (wire_record_parse(line, len, &w, err) != 0)
		return sp_error_prefix(err, "answer record");
	found = store_lookup(ac->store, w.rec.guid, &here, NULL, err);
	if (found < 0)
		rc = -1;
	else if (found && (here.rowversion != w.rec.rowversion ||
	    here.hlc != w.rec.hlc || here.deleted != w.rec.deleted)) {
		/* The hub kept its own version: the later one when the
		 * spoke's restored backup lost a change it had sent, or the
		 * spoke's lost a conflict here; then the spoke is behind. */
		ac->behind = here.hlc > w.rec.hlc || (here.hlc == w.rec.hlc &&
		    strcmp(here.hlc_site, w.rec.hlc_site) > 0);
		rc = add_record(ac, w.rec.guid, NULL, err);
		ac->behind = 0;
	}
	wire_record_free(&w);
	return rc;
}

static int
check_order(struct answer_ctx *ac, const struct manifest_entry *e,
    struct sp_error *err)
{
	if (ac->have_last && manifest_order(&ac->last, e) >= 0)
		return sp_error_set(err, "manifest not in table, GUID order");
	ac->last = *e;
	ac->have_last = 1;
	return 0;
}

static int
process_line(void *ctx, const char *line, size_t len, struct sp_error *err)
{
	struct answer_ctx *ac = ctx;
	struct manifest_entry e;

	if (ac->step == 2 && strcmp(ac->member, "request.jsonl") == 0) {
		if (manifest_entry_parse(line, len, &e, err) != 0 ||
		    check_order(ac, &e, err) != 0)
			return -1;
		return request_line(ac, &e, err);
	}
	if (ac->step == 3 && strcmp(ac->member, "data.jsonl") == 0)
		return answered_record(ac, line, len, err);
	if (ac->step == 3 && strcmp(ac->member, "want.jsonl") == 0) {
		char guid[33];
		int rc;

		snprintf(guid, sizeof(guid), "%.*s", (int)len, line);
		if (!guid_valid(guid))
			return sp_error_set(err, "malformed want line");
		ac->behind = 1;	/* it lacks the record */
		rc = add_record(ac, guid, NULL, err);
		ac->behind = 0;
		return rc;
	}
	if (ac->step == 3 && strcmp(ac->member, "echo.jsonl") == 0) {
		if (manifest_entry_parse(line, len, &e, err) != 0 ||
		    check_order(ac, &e, err) != 0)
			return -1;
		return echo_line(ac, &e, err);
	}
	return 0;
}

static int
on_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	struct answer_ctx *ac = ctx;
	struct manifest_filter f = { 0 };
	const char *since, *until;

	/* The manifests keep the window: from ac's copy of the header. */
	ac->h = *h;
	since = sxf_header_extra(&ac->h, "since");
	until = sxf_header_extra(&ac->h, "until");
	if (strcmp(h->kind, "request") == 0 && !ac->site->hub)
		ac->step = 2;
	else if (strcmp(h->kind, "answer") == 0 && ac->site->hub)
		ac->step = 3;
	else
		return sp_error_set(err, "a %s file cannot be answered at %s %s",
		    h->kind, ac->site->hub ? "the hub" : "spoke", ac->site->id);
	if (exchange_note_seen(ac->site, h, err) != 0)
		return -1;
	/* An error reads as answered: nothing is answered twice. */
	if (store_recon_answered(ac->site, h->from, h->flow, err) != 0)
		return sp_error_set(err, "flow %llu from %s was already answered",
		    (unsigned long long)h->flow, h->from);
	f.since = since;
	f.until = until;
	f.aliases = ac->aliases;
	f.naliases = ac->naliases;
	f.reconciled = 1;
	if (ac->step == 2) {
		f.owner = ac->site->id;
		ac->mine = manifest_open(ac->site, &f, err);
		if (ac->mine == NULL ||
		    advance(ac->mine, &ac->cur, &ac->have_cur, err) != 0)
			return -1;
		ac->wants = tmpfile();
		if (ac->wants == NULL)
			return sp_error_set(err, "cannot create a temporary file");
	} else {
		/* The echo is answered with the state after the spoke's records
		 * were applied here; an error reads as not applied. */
		if (store_recon_applied(ac->site, h->from, h->flow, err) != 1)
			return sp_error_set(err, "apply it with syncunpack first "
			    "(step 3 answers the state after applying)");
		f.not_owner = ac->h.from;
		f.route_to = ac->h.from;
		ac->theirs = manifest_open(ac->site, &f, err);
		if (ac->theirs == NULL ||
		    advance(ac->theirs, &ac->cur, &ac->have_cur, err) != 0)
			return -1;
	}
	return sxf_writer_member_begin(ac->w, "data.jsonl", err);
}

static int
on_member_begin(void *ctx, const char *name, uint64_t size,
    struct sp_error *err)
{
	struct answer_ctx *ac = ctx;

	(void)size;
	(void)err;
	snprintf(ac->member, sizeof(ac->member), "%s", name);
	ac->lines.len = 0;
	ac->have_last = 0;
	return 0;
}

static int
on_member_data(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	struct answer_ctx *ac = ctx;

	return line_buffer_feed(&ac->lines, buf, len, process_line, ac, err);
}

static int
on_member_end(void *ctx, const char *name, struct sp_error *err)
{
	struct answer_ctx *ac = ctx;

	(void)name;
	return line_buffer_flush(&ac->lines, process_line, ac, err);
}

/* The records in transit from this site to the answer's receiver, as
 * moves. The receiver acknowledges an answer as it does a data file, and
 * the acknowledgement of a file completes every move to it that an earlier
 * file carried (each data file repeats them): an answer without them would
 * end a move whose file was lost, and the record would live nowhere.
 * Tables come parents first, and the moves after the records, so that a
 * moved record follows what it refers to. */
static int
write_moves(struct answer_ctx *ac, struct sp_error *err)
{
	const char *peer = ac->h.from;

	for (int i = 0; i < ac->ntables; i++) {
		struct store_guids g;
		int rc = 0;

		if (!ac->tables[i].movable)
			continue;
		if (store_moves_outgoing(ac->site, peer, ac->tables[i].id, &g,
		    err) != 0)
			return -1;
		for (int k = 0; rc == 0 && k < g.count; k++) {
			json_t *o;

			/* The receiver owns it once it lands, as in a pack. */
			rc = pack_record_by_guid(ac->site, ac->store, g.guid[k],
			    peer, &o, err);
			if (rc != 0 || o == NULL)
				continue;
			if (json_object_set_new(o, "op", json_string("move")) != 0)
				rc = sp_error_set(err, "out of memory");
			else
				rc = write_json_line(ac->w, o, err);
			json_decref(o);
			ac->res->moved++;
		}
		store_guids_free(&g);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The rest of the merge once the input has ended, then the moves. */
static int
finish_merge(struct answer_ctx *ac, struct sp_error *err)
{
	struct manifest_iter *it = ac->step == 2 ? ac->mine : ac->theirs;

	while (ac->have_cur) {
		if (add_record(ac, ac->cur.guid, ac->step == 2 ? alias_owner(ac)
		    : NULL, err) != 0 ||
		    advance(it, &ac->cur, &ac->have_cur, err) != 0)
			return -1;
	}
	if (write_moves(ac, err) != 0)
		return -1;
	return sxf_writer_member_end(ac->w, err);
}

static int
write_wants_and_echo(struct answer_ctx *ac, struct sp_error *err)
{
	struct manifest_filter f = { 0 };
	char buf[65536];
	size_t n;

	if (sxf_writer_member_begin(ac->w, "want.jsonl", err) != 0)
		return -1;
	rewind(ac->wants);
	while ((n = fread(buf, 1, sizeof(buf), ac->wants)) > 0)
		if (sxf_writer_member_write(ac->w, buf, n, err) != 0)
			return -1;
	if (sxf_writer_member_end(ac->w, err) != 0)
		return -1;
	f.not_owner = ac->site->id;
	f.aliases = ac->aliases;
	f.naliases = ac->naliases;
	f.reconciled = 1;
	f.since = sxf_header_extra(&ac->h, "since");
	f.until = sxf_header_extra(&ac->h, "until");
	ac->res->echoed = write_manifest(ac->site, ac->w, "echo.jsonl", &f, err);
	return ac->res->echoed < 0 ? -1 : 0;
}

int
recon_answer(struct site *s, const char *input, const char *const *aliases,
    int naliases, const char *target, struct recon_result *res,
    struct sp_error *err)
{
	struct answer_ctx ac;
	struct sxf_read_ops ops = { .on_header = on_header,
	    .on_member_begin = on_member_begin, .on_member_data = on_member_data,
	    .on_member_end = on_member_end };
	struct sxf_read_result rr;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&ac, 0, sizeof(ac));
	ac.site = s;
	ac.res = res;
	ac.aliases = aliases;
	ac.naliases = naliases;
	if (tracked_tables_load(s, &ac.tables, &ac.ntables, err) != 0 ||
	    (ac.store = store_open(s, err)) == NULL ||
	    (ac.w = sxf_writer_new(err)) == NULL)
		goto cleanup;
	ops.ctx = &ac;
	if (exchange_file_read(s, input, NULL, &ops, &rr, err) != 0 ||
	    finish_merge(&ac, err) != 0 ||
	    (ac.step == 2 && write_wants_and_echo(&ac, err) != 0))
		goto cleanup;
	{
		char step[2] = { (char)('0' + ac.step), '\0' };
		const char *since = sxf_header_extra(&ac.h, "since");
		const char *until = sxf_header_extra(&ac.h, "until");
		const char *extra[] = { "step", step, "since", since ? since : "",
		    "until", until ? until : "", NULL };
		struct exchange_meta m = { "answer", ac.h.from, ac.h.flow, 0,
		    extra };
		if (ac.step == 2 && store_recon_log_request(s, &ac.h, input,
		    rr.file_sha256, err) != 0)
			goto cleanup;
		if (exchange_file_write(s, ac.w, &m, target, &res->file, err)
		    != 0 || exchange_file_publish(&res->file, err) != 0)
			goto cleanup;
	}
	/* The moves carried by the answer just written count from its flow,
	 * as pack_data does for the moves it carries first. On failure the
	 * file is out all the same: its moves repeat in the next file to that
	 * peer. */
	if (res->moved > 0 && store_moves_set_flow(s, ac.h.from,
	    res->file.flow, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	manifest_close(ac.mine);
	manifest_close(ac.theirs);
	if (ac.wants != NULL)
		fclose(ac.wants);
	sxf_writer_free(ac.w);
	if (ac.store != NULL)
		store_close(ac.store);
	line_buffer_free(&ac.lines);
	tracked_tables_free(ac.tables, ac.ntables);
	return rc;
}
