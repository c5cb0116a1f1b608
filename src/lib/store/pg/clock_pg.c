/* clock_pg.c: the lseq and HLC clock of an apply on a PostgreSQL site:
 * its row read once under the lock begin_apply holds, advanced in memory
 * per record written, written back at commit. */
#include <stdlib.h>

#include "store/pg/store_pg.h"
#include "util/clock.h"

int
pg_rec_clock_load(struct store_pg *sp, struct sp_error *err)
{
	PGresult *res;

	if (sp->clock_loaded)
		return 0;
	/* begin_apply holds the row's lock already: nobody else gives out
	 * lseq values until this transaction ends, so lseq order is commit
	 * order. */
	res = pg_stmt_run(sp, NULL, "SELECT lseq, hlc FROM syncpack.clock "
	    "WHERE id = 1 FOR UPDATE", NULL, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return sp_error_set(err, "%s: no row in syncpack.clock",
		    sp->site->path);
	}
	sp->clock_lseq = atoll(PQgetvalue(res, 0, 0));
	sp->clock_hlc = atoll(PQgetvalue(res, 0, 1));
	PQclear(res);
	sp->clock_loaded = 1;
	return 0;
}

int
pg_rec_clock_tick(struct store_pg *sp, long long seen_hlc, long long *lseq,
    struct sp_error *err)
{
	if (pg_rec_clock_load(sp, err) != 0)
		return -1;
	sp->clock_hlc = clock_observe_hlc(sp->clock_hlc, seen_hlc);
	*lseq = ++sp->clock_lseq;
	return 0;
}

int
pg_rec_clock_write_back(struct store_pg *sp, struct sp_error *err)
{
	struct pg_params p;
	int rc = -1;

	if (!sp->clock_loaded)
		return 0;
	if (pg_params_init(&p, 2, err) != 0)
		return -1;
	if (pg_param_ll(&p, 0, sp->clock_lseq, err) == 0 &&
	    pg_param_ll(&p, 1, sp->clock_hlc, err) == 0)
		rc = pg_stmt_exec(sp, "UPDATE syncpack.clock SET lseq = "
		    "greatest(lseq, $1::bigint), hlc = greatest(hlc, $2::bigint)"
		    " WHERE id = 1", &p, err);
	pg_params_free(&p);
	sp->clock_loaded = 0;
	return rc;
}
