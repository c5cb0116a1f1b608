/* conn.c: the site's libpq connection: connecting to a URI, running
 * statements, turning the server's errors into the site's. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_uri_has_password(const char *uri)
{
	PQconninfoOption *opts = PQconninfoParse(uri, NULL);
	int found = 0;

	if (opts == NULL)
		return 0;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			found = 1;
	PQconninfoFree(opts);
	return found;
}

/* Removes from out the password of a URI: the ":secret" of
 * "scheme://user:secret@host" and a "password=" query parameter. */
static void
strip_password(char *out)
{
	char *auth = strstr(out, "://"), *at, *colon, *q;

	if (auth != NULL) {
		auth += 3;
		at = auth + strcspn(auth, "@/?");
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (*at == '@' && colon != NULL)
			memmove(colon, at, strlen(at) + 1);
	}
	/* q: the separator before the parameter looked at. */
	q = strchr(out, '?');
	while (q != NULL) {
		char *p = q + 1, *end = p + strcspn(p, "&");

		if (strncmp(p, "password=", 9) != 0)
			q = *end == '&' ? end : NULL;
		else if (*end == '&')
			/* The parameters after it move up. */
			memmove(p, end + 1, strlen(end + 1) + 1);
		else {
			/* The last one goes with its separator. */
			*q = '\0';
			q = NULL;
		}
	}
}

char *
pg_uri_display(const char *uri)
{
	char *out = strdup(uri);

	if (out != NULL)
		strip_password(out);
	return out;
}

/* The server's notices (NOTICE, WARNING) would go to stderr from inside
 * the library; the tools say what matters themselves. */
static void
quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The first line of libpq's message, which may span several. */
static int
conn_error(struct site *s, struct sp_error *err)
{
	const char *msg = s->pg ? PQerrorMessage(s->pg) : "out of memory";
	int n = (int)strcspn(msg, "\n");

	return sp_error_setk(err, SP_ERR_DATABASE, 0, "%.*s", n, msg);
}

int
pg_connect(struct site *s, const char *uri, struct sp_error *err)
{
	memset(s, 0, sizeof(*s));
	s->backend = SITE_POSTGRESQL;
	if ((s->path = pg_uri_display(uri)) == NULL)
		return sp_error_set(err, "out of memory");
	s->pg = PQconnectdb(uri);
	if (s->pg == NULL || PQstatus(s->pg) != CONNECTION_OK) {
		conn_error(s, err);
		sp_error_prefix(err, "%s", s->path);
		return -1;
	}
	PQsetNoticeProcessor(s->pg, quiet_notices, NULL);
	/* The rkey of a timestamptz key is its text in UTC, as the
	 * capture triggers write it (schema_pg.c). */
	if (pg_exec(s, "SET TimeZone = 'UTC'", 0, NULL, err) != 0) {
		sp_error_prefix(err, "%s", s->path);
		return -1;
	}
	return 0;
}

/* res when its statement succeeded; NULL (res freed) with err set to the
 * server's message otherwise. */
static PGresult *
checked(struct site *s, PGresult *res, struct sp_error *err)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *msg;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg != NULL)
		sp_error_setk(err, SP_ERR_DATABASE, 0, "%s", msg);
	else
		conn_error(s, err);
	PQclear(res);
	return NULL;
}

PGresult *
pg_query(struct site *s, const char *sql, int n, const char *const *params,
    struct sp_error *err)
{
	return checked(s, PQexecParams(s->pg, sql, n, NULL, params, NULL, NULL,
	    0), err);
}

int
pg_exec(struct site *s, const char *sql, int n, const char *const *params,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, params, err);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

int
pg_exists(struct site *s, const char *sql, int n, const char *const *params,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, params, err);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

int
pg_script(struct site *s, const char *sql, struct sp_error *err)
{
	PGresult *res = checked(s, PQexec(s->pg, sql), err);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

void
pg_rollback(struct site *s)
{
	if (s->pg != NULL && PQtransactionStatus(s->pg) != PQTRANS_IDLE)
		PQclear(PQexec(s->pg, "ROLLBACK"));
}
