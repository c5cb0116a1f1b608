/* facets_apply.c: the calls of store/held.h, deferred.h, protocol.h and
 * conflicts.h that an apply makes on its record store, each to the
 * backend of that store. One of the files above the backends that name
 * them (scripts/check-layers). */
#include "store/backend_via.h"
#include "store/conflicts.h"
#include "store/deferred.h"
#include "store/held.h"
#include "store/protocol.h"

int
store_held_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, long long rowversion, const char *reason,
    const char *line, size_t len, struct sp_error *err)
{
	return VIA_STORE(st, held_put)(st, guid, table, peer, flow, rowversion,
	    reason, line, len, err);
}

int
store_held_drop(struct store *st, const char *guid, long long rowversion,
    struct sp_error *err)
{
	return VIA_STORE(st, held_drop)(st, guid, rowversion, err);
}

int
store_held_each(struct store *st, store_held_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA_STORE(st, held_each)(st, cb, ctx, err);
}

int
store_held_release(struct store *st, const char *guid, struct sp_error *err)
{
	return VIA_STORE(st, held_release)(st, guid, err);
}

int
store_deferred_put(struct store *st, const char *line, size_t len,
    struct sp_error *err)
{
	return VIA_STORE(st, deferred_put)(st, line, len, err);
}

int
store_deferred_each(struct store *st, store_deferred_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA_STORE(st, deferred_each)(st, cb, ctx, err);
}

int
store_deferred_drop(struct store *st, long long id, struct sp_error *err)
{
	return VIA_STORE(st, deferred_drop)(st, id, err);
}

int
store_protocol_note(struct store *st, const char *peer, long long flow,
    const char *guid, const char *table, const char *outcome,
    const char *reason, struct sp_error *err)
{
	return VIA_STORE(st, protocol_note)(st, peer, flow, guid, table,
	    outcome, reason, err);
}

int
store_transfer_done(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, struct sp_error *err)
{
	return VIA_STORE(st, transfer_done)(st, guid, table, peer, flow, err);
}

int
store_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err)
{
	return VIA_STORE(st, conflict_put)(st, guid, table, peer, flow, local,
	    remote, len, err);
}

int
store_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err)
{
	return VIA_STORE(st, conflicts_resolve)(st, guid, err);
}
