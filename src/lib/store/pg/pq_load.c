/* pq_load.c: libpq, loaded when the first PostgreSQL site is opened.
 * Linked in, it and the libraries it pulls (Kerberos, LDAP, GnuTLS,
 * SASL) were loaded and initialised at every start of every tool, about
 * 1.8 ms of a run that takes 20 for a one-record file, and most sites are
 * SQLite files that never need it. The backend calls libpq's functions by
 * their own names: each is defined here, and forwards to the library's,
 * looked up on its first call. The tools are not linked with
 * --export-dynamic, so libpq's calls to its own functions stay inside
 * it. */
#include <dlfcn.h>
#include <string.h>

#include "store/pg/pg.h"

/* libpq's soname since PostgreSQL 8.2; the ABI it names is the one
 * libpq-fe.h describes. */
#define PQ_SONAME "libpq.so.5"

static void *lib;

int
pq_load(struct sp_error *err)
{
	const char *why;

	if (lib != NULL)
		return 0;
	/* Kept open until exit: results and connections outlive any call. */
	if ((lib = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL)) != NULL)
		return 0;
	why = dlerror();
	return sp_error_set(err, "cannot load libpq: %s", why ? why :
	    PQ_SONAME);
}

/* The library's function name, or NULL when the library is not loaded or
 * lacks it; the wrapper then returns what libpq returns on failure. */
static void *
pq_symbol(const char *name)
{
	return lib != NULL ? dlsym(lib, name) : NULL;
}

/* POSIX makes a function's address from dlsym usable; memcpy moves it
 * into a function pointer without a cast ISO C leaves undefined. */
#define PQ_FORWARD(ret, name, params, args, failed)			\
ret									\
name params								\
{									\
	static ret (*fn) params;					\
	if (fn == NULL) {						\
		void *p = pq_symbol(#name);				\
		if (p == NULL)						\
			return failed;					\
		memcpy(&fn, &p, sizeof(fn));				\
	}								\
	return fn args;							\
}

#define PQ_FORWARD_VOID(name, params, args)				\
void									\
name params								\
{									\
	static void (*fn) params;					\
	if (fn == NULL) {						\
		void *p = pq_symbol(#name);				\
		if (p == NULL)						\
			return;						\
		memcpy(&fn, &p, sizeof(fn));				\
	}								\
	fn args;							\
}

PQ_FORWARD(PGconn *, PQconnectdb, (const char *conninfo), (conninfo), NULL)
PQ_FORWARD_VOID(PQfinish, (PGconn *conn), (conn))
PQ_FORWARD(PQconninfoOption *, PQconninfoParse, (const char *conninfo,
    char **errmsg), (conninfo, errmsg), NULL)
PQ_FORWARD_VOID(PQconninfoFree, (PQconninfoOption *connOptions),
    (connOptions))
PQ_FORWARD(ConnStatusType, PQstatus, (const PGconn *conn), (conn),
    CONNECTION_BAD)
PQ_FORWARD(PGTransactionStatusType, PQtransactionStatus,
    (const PGconn *conn), (conn), PQTRANS_UNKNOWN)
PQ_FORWARD(const char *, PQparameterStatus, (const PGconn *conn,
    const char *paramName), (conn, paramName), NULL)
PQ_FORWARD(int, PQserverVersion, (const PGconn *conn), (conn), 0)
PQ_FORWARD(char *, PQerrorMessage, (const PGconn *conn), (conn),
    (char *)"libpq is not loaded")
PQ_FORWARD(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn *conn,
    PQnoticeProcessor proc, void *arg), (conn, proc, arg), NULL)
PQ_FORWARD(PGresult *, PQexec, (PGconn *conn, const char *query),
    (conn, query), NULL)
PQ_FORWARD(PGresult *, PQexecParams, (PGconn *conn, const char *command,
    int nParams, const Oid *paramTypes, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat),
    (conn, command, nParams, paramTypes, paramValues, paramLengths,
    paramFormats, resultFormat), NULL)
PQ_FORWARD(PGresult *, PQprepare, (PGconn *conn, const char *stmtName,
    const char *query, int nParams, const Oid *paramTypes),
    (conn, stmtName, query, nParams, paramTypes), NULL)
PQ_FORWARD(PGresult *, PQexecPrepared, (PGconn *conn, const char *stmtName,
    int nParams, const char *const *paramValues, const int *paramLengths,
    const int *paramFormats, int resultFormat), (conn, stmtName, nParams,
    paramValues, paramLengths, paramFormats, resultFormat), NULL)
PQ_FORWARD(int, PQsendQuery, (PGconn *conn, const char *query),
    (conn, query), 0)
PQ_FORWARD(int, PQsendQueryParams, (PGconn *conn, const char *command,
    int nParams, const Oid *paramTypes, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat),
    (conn, command, nParams, paramTypes, paramValues, paramLengths,
    paramFormats, resultFormat), 0)
PQ_FORWARD(int, PQsetSingleRowMode, (PGconn *conn), (conn), 0)
PQ_FORWARD(PGresult *, PQgetResult, (PGconn *conn), (conn), NULL)
PQ_FORWARD(int, PQputCopyData, (PGconn *conn, const char *buffer,
    int nbytes), (conn, buffer, nbytes), -1)
PQ_FORWARD(int, PQputCopyEnd, (PGconn *conn, const char *errormsg),
    (conn, errormsg), -1)
PQ_FORWARD(int, PQgetCopyData, (PGconn *conn, char **buffer, int async),
    (conn, buffer, async), -2)
PQ_FORWARD(ExecStatusType, PQresultStatus, (const PGresult *res), (res),
    PGRES_FATAL_ERROR)
PQ_FORWARD(char *, PQresultErrorMessage, (const PGresult *res), (res),
    (char *)"libpq is not loaded")
PQ_FORWARD(char *, PQresultErrorField, (const PGresult *res,
    int fieldcode), (res, fieldcode), NULL)
PQ_FORWARD(int, PQntuples, (const PGresult *res), (res), 0)
PQ_FORWARD(int, PQnfields, (const PGresult *res), (res), 0)
PQ_FORWARD(char *, PQfname, (const PGresult *res, int field_num),
    (res, field_num), NULL)
PQ_FORWARD(int, PQfnumber, (const PGresult *res, const char *field_name),
    (res, field_name), -1)
PQ_FORWARD(Oid, PQftype, (const PGresult *res, int field_num),
    (res, field_num), 0)
PQ_FORWARD(int, PQfmod, (const PGresult *res, int field_num),
    (res, field_num), -1)
PQ_FORWARD(char *, PQcmdTuples, (PGresult *res), (res), (char *)"")
PQ_FORWARD(char *, PQgetvalue, (const PGresult *res, int tup_num,
    int field_num), (res, tup_num, field_num), NULL)
PQ_FORWARD(int, PQgetlength, (const PGresult *res, int tup_num,
    int field_num), (res, tup_num, field_num), 0)
PQ_FORWARD(int, PQgetisnull, (const PGresult *res, int tup_num,
    int field_num), (res, tup_num, field_num), 1)
PQ_FORWARD_VOID(PQclear, (PGresult *res), (res))
PQ_FORWARD_VOID(PQfreemem, (void *ptr), (ptr))
PQ_FORWARD(char *, PQescapeLiteral, (PGconn *conn, const char *str,
    size_t len), (conn, str, len), NULL)
PQ_FORWARD(char *, PQescapeIdentifier, (PGconn *conn, const char *str,
    size_t len), (conn, str, len), NULL)
PQ_FORWARD(unsigned char *, PQescapeByteaConn, (PGconn *conn,
    const unsigned char *from, size_t from_length, size_t *to_length),
    (conn, from, from_length, to_length), NULL)
PQ_FORWARD(unsigned char *, PQunescapeBytea, (const unsigned char *strtext,
    size_t *retbuflen), (strtext, retbuflen), NULL)
