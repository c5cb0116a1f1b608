/* diff.c: sorted-merge comparison of manifests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sync/diff.h"
#include "sync/exchange_file.h"
#include "sxf/wire_record.h"

struct diff_source {
	struct manifest_iter *it;	/* a database, or */
	FILE *spool;			/* a file's manifest, one JSON per line */
	char *line;
	size_t cap;
	const char *table;
	struct manifest_entry last;
	int have_last;
};

struct diff_source *
diff_source_db(struct site *s, const struct manifest_filter *f,
    struct sp_error *err)
{
	struct diff_source *src = calloc(1, sizeof(*src));

	if (src == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	src->it = manifest_open(s, f, err);
	if (src->it == NULL) {
		free(src);
		return NULL;
	}
	return src;
}

struct spool_ctx {
	FILE *spool;
	int wanted;		/* the current member is the manifest */
	int found;
};

static int
spool_begin(void *ctx, const char *name, uint64_t size, struct sp_error *err)
{
	struct spool_ctx *sc = ctx;

	(void)size;
	(void)err;
	sc->wanted = strcmp(name, "request.jsonl") == 0 ||
	    strcmp(name, "echo.jsonl") == 0;
	sc->found |= sc->wanted;
	return 0;
}

static int
spool_data(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	struct spool_ctx *sc = ctx;

	if (sc->wanted && fwrite(buf, 1, len, sc->spool) != len)
		return sp_error_set(err, "temporary file: write error");
	return 0;
}

struct diff_source *
diff_source_file(struct site *s, const char *path, const char *table,
    struct sp_error *err)
{
	struct diff_source *src = calloc(1, sizeof(*src));
	struct spool_ctx sc = { NULL, 0, 0 };
	struct sxf_read_ops ops;
	struct sxf_read_result rr;

	if (src == NULL || (sc.spool = tmpfile()) == NULL) {
		free(src);
		sp_error_set(err, "cannot create a temporary file");
		return NULL;
	}
	memset(&ops, 0, sizeof(ops));
	ops.on_member_begin = spool_begin;
	ops.on_member_data = spool_data;
	ops.ctx = &sc;
	if (exchange_file_read(s, path, NULL, &ops, &rr, err) != 0) {
		fclose(sc.spool);
		free(src);
		return NULL;
	}
	if (!sc.found) {
		fclose(sc.spool);
		free(src);
		if (rr.sealed && s == NULL)
			sp_error_setk(err, SP_ERR_USAGE, 0, "sealed to %s: only "
			    "its recipient's database opens it (-d)",
			    rr.header.to);
		else
			sp_error_set(err, "a %s file carries no manifest",
			    rr.header.kind);
		return NULL;
	}
	rewind(sc.spool);
	src->spool = sc.spool;
	src->table = table;
	return src;
}

void
diff_source_close(struct diff_source *src)
{
	if (src == NULL)
		return;
	manifest_close(src->it);
	if (src->spool != NULL)
		fclose(src->spool);
	free(src->line);
	free(src);
}

static int
source_next(struct diff_source *src, struct manifest_entry *e,
    struct sp_error *err)
{
	if (src->it != NULL)
		return manifest_next(src->it, e, err);
	for (;;) {
		ssize_t n = getline(&src->line, &src->cap, src->spool);

		if (n < 0)
			return 0;
		if (manifest_entry_parse(src->line, (size_t)n, e, err) != 0)
			return -1;
		if (src->have_last && manifest_order(&src->last, e) >= 0)
			return sp_error_set(err, "manifest not in table, GUID order");
		src->last = *e;
		src->have_last = 1;
		if (src->table != NULL && strcmp(src->table, e->table) != 0)
			continue;
		return 1;
	}
}

int
diff_run(struct diff_source *a, struct diff_source *b, diff_cb cb,
    void *ctx, struct diff_counts *n, struct sp_error *err)
{
	struct manifest_entry ea, eb;
	int ha, hb;

	memset(n, 0, sizeof(*n));
	if ((ha = source_next(a, &ea, err)) < 0 ||
	    (hb = source_next(b, &eb, err)) < 0)
		return -1;
	while (ha || hb) {
		int c = !ha ? 1 : !hb ? -1 : manifest_order(&ea, &eb);

		if (c < 0) {
			n->only_a++;
			if (cb(ctx, DIFF_ONLY_A, &ea, err) != 0 ||
			    (ha = source_next(a, &ea, err)) < 0)
				return -1;
		} else if (c > 0) {
			n->only_b++;
			if (cb(ctx, DIFF_ONLY_B, &eb, err) != 0 ||
			    (hb = source_next(b, &eb, err)) < 0)
				return -1;
		} else {
			if (strcmp(ea.checksum, eb.checksum) != 0 ||
			    ea.deleted != eb.deleted) {
				n->differs++;
				if (cb(ctx, DIFF_DIFFERS, &ea, err) != 0)
					return -1;
			} else
				n->same++;
			if ((ha = source_next(a, &ea, err)) < 0 ||
			    (hb = source_next(b, &eb, err)) < 0)
				return -1;
		}
	}
	return 0;
}
