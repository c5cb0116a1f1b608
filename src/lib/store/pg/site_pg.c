/* site_pg.c: opens and initialises a site whose database is PostgreSQL:
 * its identity in syncpack.site, its keys in files only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/backend.h"
#include "store/pg/guards_pg.h"
#include "store/pg/pg.h"
#include "store/site_keys.h"
#include "util/clock.h"

/* 1 when syncadm init ran on the database, 0 when not, -1 on error. */
static int
has_schema(struct site *s, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT to_regclass('syncpack.site') IS "
	    "NOT NULL", 0, NULL, err);
	int found;

	if (res == NULL)
		return -1;
	found = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return found;
}

int
pg_fold(struct site *s, struct sp_error *err)
{
	char ms[32];
	const char *param[1] = { NULL };

	if (clock_overridden()) {
		snprintf(ms, sizeof(ms), "%lld", clock_wall_ms());
		param[0] = ms;
	}
	return pg_exec(s, "SELECT syncpack.fold($1::bigint)", 1, param, err);
}

int
pg_site_open(struct site *s, const char *uri, int allow_uninit,
    struct sp_error *err)
{
	PGresult *res = NULL;
	int init, rc = -1;

	if (pg_connect(s, uri, err) != 0)
		goto cleanup;
	if ((init = has_schema(s, err)) < 0)
		goto failed;
	if (!init) {
		if (allow_uninit)
			return 0;
		sp_error_set(err, "%s: not a syncpack site (run syncadm init)",
		    s->path);
		goto cleanup;
	}
	if ((res = pg_query(s, "SELECT site, hub, key_path, schema_version, "
	    "to_regprocedure('syncpack.rkey_of(jsonb, text)') IS NOT NULL "
	    "FROM syncpack.site WHERE id = 1", 0, NULL, err)) == NULL)
		goto failed;
	if (PQntuples(res) != 1) {
		sp_error_set(err, "%s: no row in syncpack.site", s->path);
		goto cleanup;
	}
	if (atoi(PQgetvalue(res, 0, 3)) != PG_SCHEMA_VERSION) {
		sp_error_set(err, "%s: metadata version %s, this syncpack reads "
		    "%d", s->path, PQgetvalue(res, 0, 3), PG_SCHEMA_VERSION);
		goto cleanup;
	}
	snprintf(s->id, sizeof(s->id), "%s", PQgetvalue(res, 0, 0));
	s->hub = atoi(PQgetvalue(res, 0, 1));
	if ((s->key_path = strdup(PQgetvalue(res, 0, 2))) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	/* A site made by an older build gets today's trigger functions
	 * (which the statements of this one call) before anything runs;
	 * whatever the applications changed since the last run gets its
	 * metadata before any tool looks at it. */
	if ((strcmp(PQgetvalue(res, 0, 4), "t") != 0 &&
	    pg_script(s, PG_GUARD_FUNCTIONS, err) != 0) || pg_fold(s, err) != 0)
		goto failed;
	rc = 0;
	goto cleanup;
failed:
	sp_error_prefix(err, "%s", s->path);
cleanup:
	PQclear(res);
	if (rc != 0)
		pg_site_close(s);
	return rc;
}

void
pg_site_close(struct site *s)
{
	if (s->pg != NULL)
		PQfinish(s->pg);
	free(s->path);
	free(s->key_path);
	memset(s, 0, sizeof(*s));
}

/* The rows of a new site: syncpack.site with this site's public keys. */
static int
insert_site(struct site *s, const char *site_id, int hub,
    const struct site_new_keys *k, struct sp_error *err)
{
	char version[16];
	const char *p[6] = { site_id, hub ? "1" : "0", version, k->key_abs,
	    k->sign_pem, k->seal_pem };

	snprintf(version, sizeof(version), "%d", PG_SCHEMA_VERSION);
	return pg_exec(s, "INSERT INTO syncpack.site(id, site, hub, "
	    "schema_version, created, key_path, pubkey, seal_pub) VALUES (1, "
	    "$1, $2::integer, $3::integer, to_char(now() AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), $4, $5, $6)", 6, p, err);
}

int
pg_site_init(const char *uri, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err)
{
	struct site s;
	struct site_new_keys k = { 0 };
	int rc = -1, wrote = 0;

	if (!siteid_valid(site_id))
		return sp_error_set(err, "bad site id \"%s\": 1-16 characters "
		    "of A-Z a-z 0-9 _ -", site_id);
	if (key_path == NULL || pub_path == NULL) {
		char *shown = pg_uri_display(uri);
		sp_error_setk(err, SP_ERR_USAGE, 0, "%s: --key and --pub are "
		    "required for a database that is not a file",
		    shown ? shown : "postgresql://");
		free(shown);
		return -1;
	}
	if (pg_connect(&s, uri, err) != 0)
		goto cleanup;
	if (pg_exec(&s, "BEGIN", 0, NULL, err) != 0)
		goto failed;
	switch (has_schema(&s, err)) {
	case 0:
		break;
	case 1:
		sp_error_set(err, "%s: already initialised as a syncpack site",
		    s.path);
		goto rollback;
	default:
		goto failed;
	}
	if (site_new_keys_make(&k, key_path, err) != 0)
		goto rollback;
	if (pg_script(&s, pg_schema_sql, err) != 0 ||
	    insert_site(&s, site_id, hub, &k, err) != 0)
		goto failed;
	if (site_new_keys_write(&k, key_path, pub_path, err) != 0)
		goto rollback;
	wrote = 1;
	if (pg_exec(&s, "COMMIT", 0, NULL, err) != 0)
		goto failed;
	rc = 0;
	goto cleanup;
failed:
	sp_error_prefix(err, "%s", s.path);
rollback:
	pg_rollback(&s);
	if (wrote)
		site_new_keys_unlink(key_path, pub_path);
cleanup:
	site_new_keys_free(&k);
	pg_site_close(&s);
	return rc;
}

/* The text of column col of syncpack.site's row, or NULL (err set). */
static char *
site_text(struct site *s, const char *col, struct sp_error *err)
{
	const char *p[1] = { col };
	PGresult *res = pg_query(s, "SELECT CASE $1 WHEN 'pubkey' THEN pubkey "
	    "WHEN 'seal_pub' THEN seal_pub END FROM syncpack.site WHERE id = 1",
	    1, p, err);
	char *out = NULL;

	if (res == NULL)
		return NULL;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		sp_error_set(err, "not found");
	else if ((out = strdup(PQgetvalue(res, 0, 0))) == NULL)
		sp_error_set(err, "out of memory");
	PQclear(res);
	return out;
}

char *
pg_site_public_pem(struct site *s, struct sp_error *err)
{
	return site_text(s, "pubkey", err);
}

int
pg_site_seal_pub(struct site *s, char **pem, struct sp_error *err)
{
	/* NULL: none, as store_site_set_seal_pub(NULL) leaves it. */
	int has = pg_exists(s, "SELECT 1 FROM syncpack.site WHERE id = 1 AND "
	    "seal_pub IS NOT NULL", 0, NULL, err);

	*pem = NULL;
	if (has <= 0)
		return has;
	*pem = site_text(s, "seal_pub", err);
	return *pem != NULL ? 1 : -1;
}

int
pg_site_set_seal_pub(struct site *s, const char *pem, struct sp_error *err)
{
	const char *p[1] = { pem };

	return pg_exec(s, "UPDATE syncpack.site SET seal_pub = $1 WHERE id = "
	    "1", 1, p, err);
}
