/* pgstore.c: a test-only driver of the record store (store/store.h) on
 * any site, for t/t1450-pg-records.sh: it reaches store_open and the
 * store_ops of a PostgreSQL site before the tools take one.
 *
 *   pgstore DB changes [TABLE [SINCE]]   one JSON line per changed record
 *   pgstore DB records [TABLE [SINCE]]   the same from changed_records
 *   pgstore DB lookup GUID               the record and its row, or "none"
 *   pgstore DB key TABLE JSON            the record whose key is JSON
 *   pgstore DB columns TABLE             the columns, one a line
 *   pgstore DB apply <LINES              one apply of the JSON lines on
 *                                        stdin (below), then commit
 *
 * A line of apply is a record ({"guid", "table", "origin", "owner",
 * "rowversion", "hlc", "hlc_site", "deleted", "row"}) to upsert (or
 * tombstone when deleted), or a step: {"step": "savepoint"}, "release",
 * "rollback_to", "rollback" (instead of the commit), {"step": "sleep",
 * "ms": N}, {"step": "lookup", "guid": G}, {"step": "park", "guid": G}, {"step": "parked"},
 * {"step": "restamp", "guid": G, "hlc": H}, {"step": "locked", "table": T,
 * "guid": G}, {"step": "purged", "guid": G}, {"step": "referenced",
 * "guid": G}. A write the database refuses prints "refused GUID: reason"
 * ("refused GUID (key taken): ..." when its key is another row's) and
 * goes on. Exit 0, or 2 with the reason on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/site.h"
#include "store/store.h"
#include "sxf/value.h"

/* One JSON line for rec (and its row); -1 when it cannot be made. */
static int
print_record(const struct store_record *rec, json_t *row)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:I, "
	    "s:i, s:i, s:i, s:s}", "guid", rec->guid, "table", rec->table,
	    "origin", rec->origin, "owner", rec->owner, "rowversion",
	    (json_int_t)rec->rowversion, "hlc", (json_int_t)rec->hlc,
	    "hlc_site", rec->hlc_site, "lseq", (json_int_t)rec->lseq,
	    "deleted", rec->deleted, "flags", rec->flags, "locked",
	    rec->locked, "src", rec->src);
	char *text;

	if (o == NULL)
		return -1;
	if (row != NULL && json_object_set(o, "row", row) != 0) {
		json_decref(o);
		return -1;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(o);
	return text != NULL ? 0 : -1;
}

static int
print_change(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	(void)ctx;
	if (print_record(rec, row) != 0)
		return sp_error_set(err, "out of memory");
	return 0;
}

static int
record_of(json_t *j, struct store_record *rec, struct sp_error *err)
{
	json_t *v;

	memset(rec, 0, sizeof(*rec));
#define TEXT(f) do { if ((v = json_object_get(j, #f)) != NULL) \
	snprintf(rec->f, sizeof(rec->f), "%s", json_string_value(v) ? \
	json_string_value(v) : ""); } while (0)
#define NUM(f) do { if ((v = json_object_get(j, #f)) != NULL) \
	rec->f = json_integer_value(v); } while (0)
	TEXT(guid);
	TEXT(table);
	TEXT(origin);
	TEXT(owner);
	TEXT(hlc_site);
	TEXT(src);
	NUM(rowversion);
	NUM(hlc);
	NUM(deleted);
	NUM(flags);
#undef TEXT
#undef NUM
	if (rec->guid[0] == '\0')
		return sp_error_set(err, "a record without a guid");
	return 0;
}

static const char *
str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

/* One step of an apply; -1 ends the apply with err. */
static int
step(struct store *st, json_t *j, int *rolled_back, struct sp_error *err)
{
	const char *what = str(j, "step");
	struct store_record rec;
	char by[256];
	int r;

	if (strcmp(what, "savepoint") == 0)
		return store_record_savepoint(st, err);
	if (strcmp(what, "release") == 0)
		return store_record_release(st, err);
	if (strcmp(what, "rollback_to") == 0)
		return store_record_rollback(st, err);
	if (strcmp(what, "rollback") == 0) {
		*rolled_back = 1;
		return 0;
	}
	if (strcmp(what, "sleep") == 0) {
		long long ms = json_integer_value(json_object_get(j, "ms"));
		struct timespec ts = { (time_t)(ms / 1000),
		    (long)(ms % 1000) * 1000000L };
		/* Interrupted, the pause is shorter: the test only needs
		 * the transaction to stay open a while. */
		(void)nanosleep(&ts, NULL);
		return 0;
	}
	if (strcmp(what, "park") == 0 || strcmp(what, "parked") == 0 ||
	    strcmp(what, "locked") == 0 || strcmp(what, "referenced") == 0) {
		by[0] = '\0';
		r = what[1] == 'a' && what[4] == '\0' ? store_park(st,
		    str(j, "guid"), err) : what[1] == 'a' ? store_parked(st, err)
		    : what[0] == 'l' ? store_locked(st, str(j, "table"),
		    str(j, "guid"), err) : store_referenced(st, str(j, "guid"),
		    by, sizeof(by), err);
		if (r < 0)
			return -1;
		printf("%s %d%s%s\n", what, r, by[0] ? " " : "", by);
		return 0;
	}
	if (strcmp(what, "lookup") == 0) {
		json_t *row = NULL;
		if ((r = store_lookup(st, str(j, "guid"), &rec, &row, err)) < 0)
			return -1;
		printf("lookup %d\n", r);
		json_decref(row);
		return 0;
	}
	if (strcmp(what, "purged") == 0) {
		memset(&rec, 0, sizeof(rec));
		if ((r = store_purged_take(st, str(j, "guid"), &rec, err)) < 0)
			return -1;
		printf("purged %d %s %lld\n", r, rec.origin, rec.rowversion);
		return 0;
	}
	if (strcmp(what, "restamp") == 0) {
		memset(&rec, 0, sizeof(rec));
		rec.hlc = json_integer_value(json_object_get(j, "hlc"));
		return store_restamp(st, str(j, "guid"), &rec, 0, err);
	}
	return sp_error_set(err, "unknown step \"%s\"", what);
}

static int
apply(struct store *st, struct sp_error *err)
{
	char line[1 << 16];
	int rolled_back = 0;

	if (store_begin_apply(st, err) != 0)
		return -1;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		json_t *j = json_loads(line, VALUE_JSON_DECODE_FLAGS, NULL);
		struct store_record rec;
		struct sp_error werr;
		int r;

		if (j == NULL) {
			store_rollback(st);
			return sp_error_set(err, "bad line: %s", line);
		}
		if (json_object_get(j, "step") != NULL)
			r = step(st, j, &rolled_back, err);
		else if ((r = record_of(j, &rec, err)) == 0) {
			if ((rec.deleted ? store_tombstone(st, &rec, &werr) :
			    store_upsert(st, &rec, json_object_get(j, "row"),
			    &werr)) != 0)
				printf("refused %s%s: %s\n", rec.guid, werr.kind ==
				    SP_ERR_KEY_TAKEN ? " (key taken)" : "",
				    werr.msg);
		}
		json_decref(j);
		fflush(stdout);
		if (r != 0) {
			store_rollback(st);
			return -1;
		}
	}
	if (rolled_back) {
		store_rollback(st);
		return 0;
	}
	return store_commit(st, err);
}

static int
run(struct store *st, int argc, char **argv, struct sp_error *err)
{
	const char *cmd = argv[2];
	struct store_record rec;
	json_t *row = NULL;
	int r;

	if (strcmp(cmd, "changes") == 0 || strcmp(cmd, "records") == 0) {
		const char *table = argc > 3 && argv[3][0] ? argv[3] : NULL;
		long long since = argc > 4 ? atoll(argv[4]) : 0;
		return cmd[0] == 'c' ? store_changes(st, table, since, 0,
		    print_change, NULL, err) : store_changed_records(st, table,
		    since, 0, print_change, NULL, err);
	}
	if (strcmp(cmd, "lookup") == 0 && argc > 3) {
		if ((r = store_lookup(st, argv[3], &rec, &row, err)) < 0)
			return -1;
		if (r == 0)
			printf("none\n");
		else if (print_record(&rec, row) != 0)
			r = -1;
		json_decref(row);
		return r < 0 ? sp_error_set(err, "out of memory") : 0;
	}
	if (strcmp(cmd, "key") == 0 && argc > 4) {
		json_t *key = json_loads(argv[4], JSON_DECODE_ANY, NULL);
		if (key == NULL)
			return sp_error_set(err, "bad key %s", argv[4]);
		r = store_lookup_key(st, argv[3], key, &rec, err);
		json_decref(key);
		if (r < 0)
			return -1;
		if (r == 0)
			printf("none\n");
		else if (print_record(&rec, NULL) != 0)
			return sp_error_set(err, "out of memory");
		return 0;
	}
	if (strcmp(cmd, "columns") == 0 && argc > 3) {
		char *const *names;
		int n;
		if ((r = store_columns(st, argv[3], &names, &n, err)) < 0)
			return -1;
		for (int i = 0; i < n; i++)
			printf("%s\n", names[i]);
		return r == 1 ? 0 : sp_error_set(err, "%s not tracked", argv[3]);
	}
	if (strcmp(cmd, "apply") == 0)
		return apply(st, err);
	return sp_error_set(err, "unknown command %s", cmd);
}

int
main(int argc, char **argv)
{
	struct sp_error err = { 0 };
	struct site s;
	struct store *st;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: pgstore DB COMMAND [ARG...]\n");
		return 2;
	}
	if (site_open(&s, argv[1], SITE_OPEN_POSTGRESQL, &err) != 0) {
		fprintf(stderr, "pgstore: %s\n", err.msg);
		return 2;
	}
	if ((st = store_open(&s, &err)) == NULL) {
		fprintf(stderr, "pgstore: %s\n", err.msg);
		site_close(&s);
		return 2;
	}
	rc = run(st, argc, argv, &err);
	if (rc != 0)
		fprintf(stderr, "pgstore: %s\n", err.msg);
	store_close(st);
	site_close(&s);
	return rc != 0 ? 2 : 0;
}
