/* delivery.c: outputs, the outbox and uploads to mailboxes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/delivery.h"
#include "store/sqlite/sql.h"

char *
outbox_default(struct site *s)
{
	char *p;

	return asprintf(&p, "%s.outbox", s->path) < 0 ? NULL : p;
}

/* The peer's default URL: 1 found (*url set, caller frees), 0 none, -1
 * error. */
static int
peer_url(struct site *s, const char *peer, char **url, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	*url = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT url FROM syncpack_peer WHERE "
	    "site = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	    (*url = strdup((const char *)sqlite3_column_text(st, 0))) == NULL) {
		sqlite3_finalize(st);
		return sp_error_set(err, "out of memory");
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return *url != NULL;
}

int
delivery_prepare(struct site *s, const char *output, const char *peer,
    const char *outbox, struct delivery *d, struct sp_error *err)
{
	char *given = NULL;

	memset(d, 0, sizeof(*d));
	if (output == NULL) {
		int r = peer_url(s, peer, &given, err);
		if (r < 0)
			return -1;
		if (r == 0)
			return sp_error_set(err, "no -o and no URL for %s (syncadm "
			    "peer add --url)", peer);
		output = given;
	}
	/* A local destination needs the outbox too: a data file delivered
	 * there supersedes the ones waiting. */
	d->outbox = outbox ? strdup(outbox) : outbox_default(s);
	if (!transport_is_url(output)) {
		d->target = strdup(output);
		free(given);
		return d->target && d->outbox ? 0 : sp_error_set(err,
		    "out of memory");
	}
	d->url = transport_join(output, peer);
	free(given);
	if (d->url == NULL || d->outbox == NULL)
		return sp_error_set(err, "out of memory");
	if (mkdir(d->outbox, 0700) != 0 && errno != EEXIST)
		return sp_error_set(err, "%s: %s", d->outbox, strerror(errno));
	d->target = strdup(d->outbox);
	return d->target ? 0 : sp_error_set(err, "out of memory");
}

int
mailbox_download(struct site *s, const char *root,
    const struct transport_opts *o, const char *dir, char *box,
    size_t boxlen, char ***names, size_t *count, struct sp_error *err)
{
	char *url = transport_join(root, s->id);
	char **all = NULL;
	size_t n = 0;
	int rc = -1;

	*names = NULL;
	*count = 0;
	if (url == NULL)
		return sp_error_set(err, "out of memory");
	snprintf(box, boxlen, "%s", url);
	if (transport_list(o, url, &all, &n, err) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(all[i]);
		char *path, **grown;
		FILE *f;

		if (len < 5 || strcmp(all[i] + len - 4, ".sxf") != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, all[i]) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		f = fopen(path, "w+b");
		free(path);
		if (f == NULL) {
			sp_error_set(err, "%s: %s", dir, strerror(errno));
			goto cleanup;
		}
		/* Listed before the download, so that the caller removes a
		 * partial file too. */
		grown = realloc(*names, (*count + 1) * sizeof(**names));
		if (grown == NULL || (grown[*count] = strdup(all[i])) == NULL) {
			if (grown != NULL)
				*names = grown;
			fclose(f);
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		*names = grown;
		(*count)++;
		if (transport_get(o, url, all[i], f, err) != 0) {
			fclose(f);
			goto cleanup;
		}
		if (fclose(f) != 0) {
			sp_error_set(err, "%s/%s: %s", dir, all[i], strerror(errno));
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	transport_names_free(all, n);
	free(url);
	return rc;
}

void
delivery_free(struct delivery *d)
{
	free(d->target);
	free(d->url);
	free(d->outbox);
	memset(d, 0, sizeof(*d));
}

/* The flow id in an exchange file name, FROM_TO_FLOW_KIND.sxf; 0 when
 * the name has another shape. Site ids may hold "_", so the name is read
 * from its end. */
static unsigned long long
name_flow(const char *name)
{
	const char *end = strrchr(name, '_'), *start;
	unsigned long long flow = 0;

	if (end == NULL)
		return 0;
	for (start = end; start > name && start[-1] >= '0' && start[-1] <= '9';
	    start--)
		;
	if (start == end || start == name || start[-1] != '_')
		return 0;
	for (const char *p = start; p < end; p++)
		flow = flow * 10 + (unsigned long long)(*p - '0');
	return flow;
}

static int
on_member(void *ctx, const char *name, uint64_t size, struct sp_error *err)
{
	(void)size;
	(void)err;
	if (strcmp(name, "requests.jsonl") == 0)
		*(int *)ctx = 1;
	return 0;
}

/* Whether a waiting data file asks the hub to move records here: those
 * requests travel in that file only, so a newer data file does not cover
 * them. A file that cannot be read carries nothing the peer could use. */
static int
carries_requests(const char *path)
{
	struct sxf_read_ops ops;
	struct sxf_read_result rr;
	struct sp_error err;
	int found = 0;

	memset(&ops, 0, sizeof(ops));
	ops.on_member_begin = on_member;
	ops.ctx = &found;
	(void)exchange_file_read(NULL, path, &sxf_default_limits, &ops, &rr,
	    &err);
	return found;
}

static int
outbox_forget(struct site *s, const char *name, struct sp_error *err)
{
	return site_step_text(s, "DELETE FROM syncpack_outbox WHERE name = ?",
	    name, err) < 0 ? -1 : 0;
}

/* Removes a file from the outbox: the file first, so that a failure in
 * between leaves a row without a file, which the next delivery drops. */
static int
outbox_remove(struct site *s, const char *outbox, const char *name,
    struct sp_error *err)
{
	char *path;

	if (asprintf(&path, "%s/%s", outbox, name) < 0)
		return sp_error_set(err, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT) {
		sp_error_set(err, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return outbox_forget(s, name, err);
}

/* Data files are cumulative: every change a waiting data file for peer
 * carries is in the newer flow too, whatever mailbox it waits for. Only
 * older data files go (acks, answers and requests each carry their own
 * content), and not those with move requests. With url set, only the
 * files waiting for that mailbox. */
static int
supersede(struct site *s, const char *outbox, const char *peer,
    unsigned long long flow, const char *url, struct sp_error *err)
{
	sqlite3_stmt *st;
	char **names = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (outbox == NULL)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM syncpack_outbox WHERE "
	    "peer = ?1 AND kind = 'data' AND (?2 IS NULL OR url = ?2)", -1, &st,
	    NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	if (url != NULL)
		sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char **grown;
		unsigned long long f = name ? name_flow(name) : 0;

		if (f == 0 || f >= flow)
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL || (grown[n] = strdup(name)) == NULL) {
			if (grown != NULL)
				names = grown;
			sqlite3_finalize(st);
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		names = grown;
		n++;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		char *path;
		int keep;

		if (asprintf(&path, "%s/%s", outbox, names[i]) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		keep = carries_requests(path);
		free(path);
		if (!keep && outbox_remove(s, outbox, names[i], err) != 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
queue(struct site *s, const char *name, const char *peer, const char *kind,
    const char *url, const char *outbox, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	/* A new data file covers every change the ones waiting for the same
	 * mailbox carry; those waiting for another go once this one is
	 * delivered. */
	if (strcmp(kind, "data") == 0 &&
	    supersede(s, outbox, peer, name_flow(name), url, err) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO syncpack_outbox("
	    "name, peer, kind, url, added) VALUES (?, ?, ?, ?, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, url, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

/* One row of the outbox, read before any upload: superseding deletes
 * rows, which must not happen under a running SELECT. */
struct waiting_file {
	char *name, *peer, *kind, *url;
	unsigned long long flow;
	int waits;		/* tried and failed, or behind a failure */
	char *why;		/* owned: why its upload failed */
};

static void
waiting_free(struct waiting_file *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].name);
		free(w[i].peer);
		free(w[i].kind);
		free(w[i].url);
		free(w[i].why);
	}
	free(w);
}

/* Mailbox by mailbox, each in flow order (names sort wrongly once the flow
 * id outgrows its six digits). */
static int
waiting_order(const void *a, const void *b)
{
	const struct waiting_file *x = a, *y = b;
	int c = strcmp(x->url, y->url);

	if (c != 0)
		return c;
	return x->flow < y->flow ? -1 : x->flow > y->flow ? 1 :
	    strcmp(x->name, y->name);
}

static int
waiting_load(struct site *s, struct waiting_file **out, size_t *count,
    struct sp_error *err)
{
	struct waiting_file *all = NULL;
	sqlite3_stmt *st;
	size_t n = 0;
	int r;

	*out = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name, peer, kind, url FROM "
	    "syncpack_outbox", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct waiting_file *grown = realloc(all, (n + 1) * sizeof(*all));
		struct waiting_file *w;

		if (grown == NULL)
			break;
		all = grown;
		w = &all[n++];
		memset(w, 0, sizeof(*w));
		w->name = strdup((const char *)sqlite3_column_text(st, 0));
		w->peer = strdup((const char *)sqlite3_column_text(st, 1));
		w->kind = strdup((const char *)sqlite3_column_text(st, 2));
		w->url = strdup((const char *)sqlite3_column_text(st, 3));
		if (w->name == NULL || w->peer == NULL || w->kind == NULL ||
		    w->url == NULL)
			break;
		w->flow = name_flow(w->name);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		waiting_free(all, n);
		return r == SQLITE_ROW ? sp_error_set(err, "out of memory")
		    : site_sqlite_error(s, err, s->path);
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), waiting_order);
	*out = all;
	*count = n;
	return 0;
}

/* 1 when the outbox still lists name, 0 when superseded meanwhile. */
static int
still_waiting(struct site *s, const char *name, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM syncpack_outbox WHERE name = ?",
	    name, err);
}

long
outbox_deliver(struct site *s, const char *outbox,
    const struct transport_opts *o, struct sp_error *err)
{
	struct waiting_file *all;
	struct sp_error perr;
	const char *failed_url = NULL;
	size_t n;
	const char *why = NULL;
	long waiting = 0;
	int rc = -1;

	if (waiting_load(s, &all, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct waiting_file *w = &all[i];
		char *path;
		int r = still_waiting(s, w->name, err);

		if (r < 0)
			goto cleanup;
		if (r == 0)
			continue;	/* superseded by a delivered data file */
		/* Once a mailbox failed, later files for it wait too: they
		 * must arrive in flow order. */
		if (failed_url != NULL && strcmp(failed_url, w->url) == 0) {
			w->waits = 1;
			continue;
		}
		if (asprintf(&path, "%s/%s", outbox, w->name) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		if (access(path, R_OK) != 0) {
			free(path);
			if (outbox_forget(s, w->name, err) != 0)
				goto cleanup;
			continue;
		}
		r = transport_put(o, w->url, w->name, path, &perr);
		free(path);
		if (r != 0) {
			failed_url = w->url;
			w->waits = 1;
			if ((w->why = strdup(perr.msg)) == NULL) {
				sp_error_set(err, "out of memory");
				goto cleanup;
			}
			continue;
		}
		if (outbox_remove(s, outbox, w->name, err) != 0 ||
		    (strcmp(w->kind, "data") == 0 &&
		    supersede(s, outbox, w->peer, w->flow, NULL, err) != 0))
			goto cleanup;
	}
	/* Files that failed may have been superseded by a later upload. */
	for (size_t i = 0; i < n; i++) {
		int r;

		if (!all[i].waits)
			continue;
		if ((r = still_waiting(s, all[i].name, err)) < 0)
			goto cleanup;
		waiting += r;
		/* The first failure still standing says why the rest wait. */
		if (r && all[i].why != NULL && why == NULL)
			why = all[i].why;
	}
	if (why != NULL)
		sp_error_set(err, "%s", why);
	rc = 0;
cleanup:
	waiting_free(all, n);
	return rc == 0 ? waiting : -1;
}

int
delivery_finish(struct site *s, struct delivery *d,
    const struct exchange_written *w, const char *kind, const char *peer,
    const struct transport_opts *o, struct sp_error *err)
{
	const char *name;
	long waiting;

	if (d->url == NULL)
		return strcmp(kind, "data") == 0 ? supersede(s, d->outbox, peer,
		    w->flow, NULL, err) : 0;
	name = strrchr(w->path, '/');
	name = name ? name + 1 : w->path;
	if (queue(s, name, peer, kind, d->url, d->outbox, err) != 0)
		return -1;
	waiting = outbox_deliver(s, d->outbox, o, err);
	if (waiting < 0)
		return -1;
	if (waiting > 0) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		sp_error_set(err, "%ld files wait in %.200s: %.700s", waiting,
		    d->outbox, why);
		return 1;
	}
	return 0;
}
