/* diff.h: comparing two manifests (of site databases or of request and
 * answer files) by GUID and checksum, in one merge pass. */
#ifndef SYNCPACK_DIFF_H
#define SYNCPACK_DIFF_H

#include "sync/manifest.h"

enum diff_kind { DIFF_ONLY_A, DIFF_ONLY_B, DIFF_DIFFERS };

struct diff_source;

/* A site database, through the manifest filter f. */
SP_MUST_CHECK
struct diff_source *diff_source_db(struct site *s,
    const struct manifest_filter *f, struct sp_error *err);

/* The manifest carried by an exchange file (request.jsonl of a request,
 * echo.jsonl of an answer); with s non-NULL the file is verified against
 * the site's peers first. table limits it to one table. */
SP_MUST_CHECK
struct diff_source *diff_source_file(struct site *s, const char *path,
    const char *table, struct sp_error *err);

void diff_source_close(struct diff_source *src);

typedef int (*diff_cb)(void *ctx, enum diff_kind kind,
    const struct manifest_entry *e, struct sp_error *err);

struct diff_counts {
	long long only_a, only_b, differs, same;
};

/* Calls cb for every difference, in table then GUID order. */
SP_MUST_CHECK
int diff_run(struct diff_source *a, struct diff_source *b, diff_cb cb,
    void *ctx, struct diff_counts *n, struct sp_error *err);

#endif
