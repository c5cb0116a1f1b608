/* moves.c: which records start moving to a peer (moves.h). */
#include <stdio.h>
#include <string.h>

#include "sync/moves.h"
#include "sync/track.h"
#include "store/moving.h"
#include "store/tx.h"
#include "sxf/wire_record.h"

/* Resolves TABLE:KEY (a local key or a GUID) of a movable table. */
static int
resolve_move(struct site *s, const struct pack_ref *ref, char guid[33],
    struct sp_error *err)
{
	struct tracked_table t;
	int found = tracked_table_load(s, ref->table, &t, err);

	if (found < 0)
		return -1;
	if (found == 0 || !t.tracked || !t.movable) {
		if (found)
			tracked_table_free(&t);
		return sp_error_set(err, "%s: not a table tracked --movable",
		    ref->table);
	}
	/* A GUID names the record everywhere; anything else is a local key,
	 * of one column: the commas of --move separate records. */
	if (!guid_valid(ref->key) && tracked_key_composite(&t)) {
		sp_error_set(err, "%s: its key has several columns: name the "
		    "record by its GUID", ref->table);
		tracked_table_free(&t);
		return -1;
	}
	found = store_move_find(s, t.id, t.pk_integer, ref->key,
	    guid_valid(ref->key), guid, err);
	tracked_table_free(&t);
	if (found < 0)
		return -1;
	if (found == 0)
		return sp_error_set(err, "%s: no record %s here", ref->table,
		    ref->key);
	return 0;
}

/* Puts guid, and the records of movable tables that refer to it (an
 * intervention's lines), in transit to peer. */
static int
start_move(struct site *s, const char *guid, const char *peer, int depth,
    struct sp_error *err)
{
	struct store_guids kids;
	char to[SITEID_MAX + 1];
	int flags, rc = 0;

	if (depth > 16)
		return 0;
	if (store_move_state(s, guid, &flags, to, sizeof(to), err) != 0)
		return -1;
	if (flags & 2) {
		if (strcmp(to, peer) == 0)
			return 0;	/* already on its way there */
		return sp_error_set(err, "record %s is already in transit to %s",
		    guid, to);
	}
	if (store_move_start(s, guid, peer, err) != 0 ||
	    store_move_children(s, guid, &kids, err) != 0)
		return -1;
	for (int i = 0; rc == 0 && i < kids.count; i++)
		rc = start_move(s, kids.guid[i], peer, depth + 1, err);
	store_guids_free(&kids);
	return rc;
}

/* The hub answers the peer's requests for records that are here. */
static int
answer_requests(struct site *s, const char *peer, struct sp_error *err)
{
	struct store_guids asked;
	int rc = 0;

	if (store_move_requests(s, peer, &asked, err) != 0)
		return -1;
	for (int i = 0; rc == 0 && i < asked.count; i++) {
		char to[SITEID_MAX + 1];
		int flags;

		/* A record asked for that started moving along with an earlier
		 * one is not answered: its request stands. */
		rc = store_move_state(s, asked.guid[i], &flags, to, sizeof(to),
		    err);
		if (rc != 0 || (flags & 2))
			continue;
		rc = start_move(s, asked.guid[i], peer, 0, err);
		if (rc == 0)
			rc = store_move_request_answered(s, asked.guid[i], peer,
			    err);
	}
	store_guids_free(&asked);
	return rc;
}

int
moves_mark(struct site *s, const char *peer, const struct pack_ref *moves,
    int nmoves, struct sp_error *err)
{
	int rc = -1;

	if (store_tx_begin(s, err) != 0)
		return -1;
	for (int i = 0; i < nmoves; i++) {
		char guid[33];
		if (resolve_move(s, &moves[i], guid, err) != 0 ||
		    start_move(s, guid, peer, 0, err) != 0)
			goto done;
	}
	if (s->hub && answer_requests(s, peer, err) != 0)
		goto done;
	rc = store_tx_commit(s, err);
done:
	if (rc != 0)
		store_tx_rollback(s);
	return rc;
}
