/* vacuum.c: syncpack_purged (store/vacuum.h). */
#include "store/vacuum.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

int
sqlite_tombstones_purge(struct site *s, long long upto, long long *purged,
    struct sp_error *err)
{
#define PURGEABLE "deleted AND lseq <= %lld AND guid NOT IN (SELECT guid " \
	"FROM syncpack_conflict WHERE resolved IS NULL)"
	if (site_exec_owned(s, sqlite3_mprintf("INSERT OR REPLACE INTO "
	    "syncpack_purged(guid, tbl, origin, owner, rowversion, hlc, "
	    "hlc_site, purged) SELECT guid, tbl, origin, owner, rowversion, "
	    "hlc, hlc_site, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') FROM "
	    "syncpack_record WHERE " PURGEABLE, upto), err) != 0 ||
	    site_exec_owned(s, sqlite3_mprintf("DELETE FROM syncpack_record "
	    "WHERE " PURGEABLE, upto), err) != 0)
		return -1;
#undef PURGEABLE
	if (purged != NULL)
		*purged = sqlite3_changes(s->db);
	return 0;
}

int
sqlite_purged_expire(struct site *s, int days, struct sp_error *err)
{
	return site_exec_owned(s, sqlite3_mprintf("DELETE FROM syncpack_purged "
	    "WHERE purged < strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', "
	    "'-%d days')", days), err);
}
