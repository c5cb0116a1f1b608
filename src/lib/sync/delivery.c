/* delivery.c: outputs, the outbox and uploads to mailboxes; the store
 * keeps the list of waiting files (store/outbox.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/delivery.h"
#include "store/outbox.h"

char *
outbox_default(struct site *s)
{
	char *p;

	return asprintf(&p, "%s.outbox", s->path) < 0 ? NULL : p;
}

int
delivery_prepare(struct site *s, const char *output, const char *peer,
    const char *outbox, struct delivery *d, struct sp_error *err)
{
	char *given = NULL;

	memset(d, 0, sizeof(*d));
	if (output == NULL) {
		int r = store_peer_url(s, peer, &given, err);
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
	/* The outbox must stay where the next run looks for it: a
	 * PostgreSQL site's database is no file to put it next to. */
	if (outbox == NULL && s->backend == SITE_POSTGRESQL)
		return sp_error_set(err, "%s: a PostgreSQL site has no folder "
		    "for its outbox next to the database: give --outbox DIR",
		    s->path);
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
	int found = 0, unreadable;

	memset(&ops, 0, sizeof(ops));
	ops.on_member_begin = on_member;
	ops.ctx = &found;
	/* on_member stops the read at the member it looks for, so only what
	 * it found counts, not the result. */
	unreadable = exchange_file_read(NULL, path, &sxf_default_limits, &ops,
	    &rr, &err);
	(void)unreadable;
	/* A sealed file is not ours to open: its header says. */
	return found || (rr.sealed &&
	    sxf_header_extra(&rr.header, "requests") != NULL);
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
	return store_outbox_forget(s, name, err);
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
	struct store_outbox_file *all;
	size_t n;
	int rc = -1;

	if (outbox == NULL)
		return 0;
	/* Read in full first: carries_requests reads each file, and removing
	 * one forgets it. */
	if (store_outbox_list(s, &all, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned long long f = name_flow(all[i].name);
		char *path;
		int keep;

		if (strcmp(all[i].peer, peer) != 0 ||
		    strcmp(all[i].kind, "data") != 0 ||
		    (url != NULL && strcmp(all[i].url, url) != 0) ||
		    f == 0 || f >= flow)
			continue;
		if (asprintf(&path, "%s/%s", outbox, all[i].name) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		keep = carries_requests(path);
		free(path);
		if (!keep && outbox_remove(s, outbox, all[i].name, err) != 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	store_outbox_files_free(all, n);
	return rc;
}

static int
queue(struct site *s, const char *name, const char *peer, const char *kind,
    const char *url, const char *outbox, struct sp_error *err)
{
	/* A new data file covers every change the ones waiting for the same
	 * mailbox carry; those waiting for another go once this one is
	 * delivered. */
	if (strcmp(kind, "data") == 0 &&
	    supersede(s, outbox, peer, name_flow(name), url, err) != 0)
		return -1;
	return store_outbox_add(s, name, peer, kind, url, err);
}

/* One file of the outbox, listed before any upload: an upload may
 * supersede (forget) files further down the list. */
struct waiting_file {
	const struct store_outbox_file *f;	/* borrowed from the list */
	unsigned long long flow;
	int waits;		/* tried and failed, or behind a failure */
	char *why;		/* owned: why its upload failed */
};

static void
waiting_free(struct waiting_file *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].why);
	free(w);
}

/* Mailbox by mailbox, each in flow order (names sort wrongly once the flow
 * id outgrows its six digits). */
static int
waiting_order(const void *a, const void *b)
{
	const struct waiting_file *x = a, *y = b;
	int c = strcmp(x->f->url, y->f->url);

	if (c != 0)
		return c;
	return x->flow < y->flow ? -1 : x->flow > y->flow ? 1 :
	    strcmp(x->f->name, y->f->name);
}

/* The outbox's rows (*rows, free with store_outbox_files_free) and the
 * files to try, in the order they go. */
static int
waiting_load(struct site *s, struct store_outbox_file **rows,
    struct waiting_file **out, size_t *count, struct sp_error *err)
{
	struct waiting_file *all;
	size_t n;

	*out = NULL;
	*count = 0;
	if (store_outbox_list(s, rows, &n, err) != 0)
		return -1;
	if ((all = calloc(n + 1, sizeof(*all))) == NULL) {
		store_outbox_files_free(*rows, n);
		*rows = NULL;
		return sp_error_set(err, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		all[i].f = &(*rows)[i];
		all[i].flow = name_flow(all[i].f->name);
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), waiting_order);
	*out = all;
	*count = n;
	return 0;
}

long
outbox_deliver(struct site *s, const char *outbox,
    const struct transport_opts *o, struct sp_error *err)
{
	struct store_outbox_file *rows;
	struct waiting_file *all;
	struct sp_error perr;
	const char *failed_url = NULL;
	size_t n;
	const char *why = NULL;
	long waiting = 0;
	int rc = -1;

	if (waiting_load(s, &rows, &all, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct waiting_file *w = &all[i];
		char *path;
		int r = store_outbox_has(s, w->f->name, err);

		if (r < 0)
			goto cleanup;
		if (r == 0)
			continue;	/* superseded by a delivered data file */
		/* Once a mailbox failed, later files for it wait too: they
		 * must arrive in flow order. */
		if (failed_url != NULL && strcmp(failed_url, w->f->url) == 0) {
			w->waits = 1;
			continue;
		}
		if (asprintf(&path, "%s/%s", outbox, w->f->name) < 0) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		if (access(path, R_OK) != 0) {
			free(path);
			if (store_outbox_forget(s, w->f->name, err) != 0)
				goto cleanup;
			continue;
		}
		r = transport_put(o, w->f->url, w->f->name, path, &perr);
		free(path);
		if (r != 0) {
			failed_url = w->f->url;
			w->waits = 1;
			if ((w->why = strdup(perr.msg)) == NULL) {
				sp_error_set(err, "out of memory");
				goto cleanup;
			}
			continue;
		}
		if (outbox_remove(s, outbox, w->f->name, err) != 0 ||
		    (strcmp(w->f->kind, "data") == 0 &&
		    supersede(s, outbox, w->f->peer, w->flow, NULL, err) != 0))
			goto cleanup;
	}
	/* Files that failed may have been superseded by a later upload. */
	for (size_t i = 0; i < n; i++) {
		int r;

		if (!all[i].waits)
			continue;
		if ((r = store_outbox_has(s, all[i].f->name, err)) < 0)
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
	store_outbox_files_free(rows, n);
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
