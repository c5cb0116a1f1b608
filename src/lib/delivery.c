/* delivery.c: outputs, the outbox and uploads to mailboxes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery.h"

char *
outbox_default(struct site *s)
{
	char *p;

	return asprintf(&p, "%s.outbox", s->path) < 0 ? NULL : p;
}

static char *
peer_url(struct site *s, const char *peer)
{
	sqlite3_stmt *st;
	char *url = NULL;

	if (sqlite3_prepare_v2(s->db, "SELECT url FROM syncpack_peer WHERE "
	    "site = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			url = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return url;
}

int
delivery_prepare(struct site *s, const char *output, const char *peer,
    const char *outbox, struct delivery *d, struct sp_error *err)
{
	char *given = NULL;

	memset(d, 0, sizeof(*d));
	if (output == NULL) {
		given = peer_url(s, peer);
		if (given == NULL)
			return sp_error_set(err, "no -o and no URL for %s (syncadm "
			    "peer add --url)", peer);
		output = given;
	}
	if (!transport_is_url(output)) {
		d->target = strdup(output);
		free(given);
		return d->target ? 0 : sp_error_set(err, "out of memory");
	}
	d->url = transport_join(output, peer);
	d->outbox = outbox ? strdup(outbox) : outbox_default(s);
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
		char *path;
		FILE *f;

		if (len < 5 || strcmp(all[i] + len - 4, ".sxf") != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, all[i]) < 0)
			goto cleanup;
		f = fopen(path, "w+b");
		free(path);
		if (f == NULL) {
			sp_error_set(err, "%s: %s", dir, strerror(errno));
			goto cleanup;
		}
		if (transport_get(o, url, all[i], f, err) != 0) {
			fclose(f);
			goto cleanup;
		}
		fclose(f);
		(*names) = realloc(*names, (*count + 1) * sizeof(**names));
		(*names)[(*count)++] = strdup(all[i]);
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

static int
queue(struct site *s, const char *name, const char *peer, const char *kind,
    const char *url, const char *outbox, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	/* A new data file covers every change the waiting ones carry. */
	if (strcmp(kind, "data") == 0 &&
	    sqlite3_prepare_v2(s->db, "DELETE FROM syncpack_outbox WHERE peer "
	    "= ? AND url = ? AND kind = 'data' RETURNING name", -1, &st, NULL)
	    == SQLITE_OK) {
		sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char *path;
			if (asprintf(&path, "%s/%s", outbox,
			    sqlite3_column_text(st, 0)) >= 0) {
				unlink(path);
				free(path);
			}
		}
		sqlite3_finalize(st);
	}
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

long
outbox_deliver(struct site *s, const char *outbox,
    const struct transport_opts *o, struct sp_error *err)
{
	sqlite3_stmt *st;
	long waiting = 0;
	char failed_url[2048] = "";

	if (sqlite3_prepare_v2(s->db, "SELECT name, url FROM syncpack_outbox "
	    "ORDER BY url, name", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *url = (const char *)sqlite3_column_text(st, 1);
		struct sp_error perr;
		char *path;

		/* Once a mailbox failed, later files for it wait too: they
		 * must arrive in flow order. */
		if (strcmp(failed_url, url) == 0) {
			waiting++;
			continue;
		}
		if (asprintf(&path, "%s/%s", outbox, name) < 0)
			break;
		if (access(path, R_OK) != 0) {
			char *sql = sqlite3_mprintf("DELETE FROM syncpack_outbox "
			    "WHERE name = '%q'", name);
			site_exec(s, sql, NULL);
			sqlite3_free(sql);
		} else if (transport_put(o, url, name, path, &perr) != 0) {
			snprintf(failed_url, sizeof(failed_url), "%s", url);
			if (err != NULL)
				*err = perr;
			waiting++;
		} else {
			char *sql = sqlite3_mprintf("DELETE FROM syncpack_outbox "
			    "WHERE name = '%q'", name);
			site_exec(s, sql, NULL);
			sqlite3_free(sql);
			unlink(path);
		}
		free(path);
	}
	sqlite3_finalize(st);
	return waiting;
}

int
delivery_finish(struct site *s, struct delivery *d,
    const struct exchange_written *w, const char *kind, const char *peer,
    const struct transport_opts *o, struct sp_error *err)
{
	const char *name;
	long waiting;

	if (d->url == NULL)
		return 0;
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
