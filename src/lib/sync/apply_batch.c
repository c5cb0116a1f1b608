/* apply_batch.c: a data file's records in batches (store_batch_begin):
 * each record decided as alone, the store reading and writing a batch's
 * records together (PostgreSQL, whose every statement is a round trip)
 * or under one savepoint (SQLite, whose savepoint per record copied the
 * pages it touched). A batch the store had to undo is applied again, one
 * record at a time, with the same outcomes. */
#include <stdlib.h>
#include <string.h>

#include "sync/apply.h"

/* Enough to make a record's share of a batch's round trips small, and
 * little memory: at most this many records, of at most this much text
 * (a record longer than that is a batch of its own). */
#define BATCH_RECORDS 1000
#define BATCH_BYTES (1u << 20)

int
apply_batching(const struct apply_ctx *ac)
{
	return store_batches(ac->store);
}

void
apply_batch_free(struct apply_batch *b)
{
	free(b->text);
	free(b->starts);
	memset(b, 0, sizeof(*b));
}

/* The length of line i (its NUL is the batch's, not the line's). */
static size_t
line_len(const struct apply_batch *b, int i)
{
	return (i + 1 < b->n ? b->starts[i + 1] : b->len) - b->starts[i] - 1;
}

/* Applies the lines one by one, outside a batch. */
static int
apply_each(struct apply_ctx *ac, struct apply_batch *b, struct sp_error *err)
{
	enum apply_outcome o;

	for (int i = 0; i < b->n; i++)
		if (apply_record(ac, b->text + b->starts[i], line_len(b, i), &o,
		    err) != 0)
			return -1;
	return 0;
}

/* The batch's records parsed (parsed[i] 0 where a line is malformed:
 * apply_record reports it); *guids their GUIDs and those of the parents
 * they name, which their decisions look up too (*n of them). */
static int
parse_all(struct apply_batch *b, struct wire_record *w, int *parsed,
    const char ***guids, int *n, struct sp_error *err)
{
	struct sp_error perr;
	size_t cap = (size_t)b->n;

	*n = 0;
	for (int i = 0; i < b->n; i++) {
		parsed[i] = wire_record_parse(b->text + b->starts[i],
		    line_len(b, i), &w[i], &perr) == 0;
		if (parsed[i] && w[i].fk != NULL)
			cap += json_object_size(w[i].fk);
	}
	if ((*guids = calloc(cap + 1, sizeof(**guids))) == NULL)
		return sp_error_set(err, "out of memory");
	for (int i = 0; i < b->n; i++) {
		const char *col;
		json_t *ref, *g;

		if (!parsed[i])
			continue;
		(*guids)[(*n)++] = w[i].rec.guid;
		if (w[i].fk == NULL)
			continue;
		json_object_foreach(w[i].fk, col, ref)
			if (json_is_string(g = json_object_get(ref, "guid")))
				(*guids)[(*n)++] = json_string_value(g);
	}
	return 0;
}

int
apply_batch_run(struct apply_ctx *ac, struct apply_batch *b,
    struct sp_error *err)
{
	struct wire_record *w = NULL;
	struct apply_counts saved = ac->n;
	long long saved_deferred = ac->ndeferred;
	const char **guids = NULL;
	int *parsed = NULL, nguids, batched, i = 0, rc = -1;
	struct sp_error eerr;
	enum apply_outcome o;

	if (b->n == 0)
		return 0;
	w = calloc((size_t)b->n, sizeof(*w));
	parsed = calloc((size_t)b->n, sizeof(*parsed));
	if (w == NULL || parsed == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	if (parse_all(b, w, parsed, &guids, &nguids, err) != 0 ||
	    (batched = store_batch_begin(ac->store, guids, nguids, err)) < 0)
		goto done;
	if (!batched) {
		rc = apply_each(ac, b, err);
		goto done;
	}
	for (i = 0, rc = 0; i < b->n && rc == 0; i++) {
		const char *line = b->text + b->starts[i];
		rc = parsed[i] ? apply_record_parsed(ac, &w[i], line,
		    line_len(b, i), &o, err) : apply_record(ac, line,
		    line_len(b, i), &o, err);
	}
	if (rc == 0)
		rc = store_batch_end(ac->store, 1, err);
	else if (store_batch_end(ac->store, 0, &eerr) != 0) {
		*err = eerr;	/* the transaction cannot go on */
		goto done;
	}
	if (rc != 0 && err->kind == SP_ERR_BATCH) {
		/* Undone whole (a write refused): the same records again,
		 * each written on its own, decide the outcome of each. */
		ac->n = saved;
		ac->ndeferred = saved_deferred;
		rc = apply_each(ac, b, err);
	}
done:
	for (int j = 0; w != NULL && j < b->n; j++)
		if (parsed != NULL && parsed[j])
			wire_record_free(&w[j]);
	free(w);
	free(parsed);
	free(guids);
	b->n = 0;
	b->len = 0;
	return rc;
}

int
apply_batch_add(struct apply_ctx *ac, struct apply_batch *b,
    const char *line, size_t len, struct sp_error *err)
{
	if (b->n > 0 && (b->n == BATCH_RECORDS || b->len + len + 1 >
	    BATCH_BYTES) && apply_batch_run(ac, b, err) != 0)
		return -1;
	if (b->n == b->cap_n) {
		int cap = b->cap_n ? b->cap_n * 2 : 64;
		size_t *grown = realloc(b->starts, (size_t)cap * sizeof(*grown));
		if (grown == NULL)
			return sp_error_set(err, "out of memory");
		b->starts = grown;
		b->cap_n = cap;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *grown;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((grown = realloc(b->text, cap)) == NULL)
			return sp_error_set(err, "out of memory");
		b->text = grown;
		b->cap = cap;
	}
	b->starts[b->n++] = b->len;
	memcpy(b->text + b->len, line, len);
	b->len += len;
	b->text[b->len++] = '\0';
	return 0;
}
