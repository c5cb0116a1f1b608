#!/bin/sh
# A site on PostgreSQL: the test's own server (t/servers.sh).
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

# pg_dump_all: every row of the test database, as sp_app can read it.
pg_dump_all() {
	pg_dump -h "$PG_DIR" -p "$PG_PORT" -U sp_app -d "$PG_DB" --data-only
}

test_expect_success 'the server listens on its socket only; the tools run as an ordinary role' '
	pg_newdb harness &&
	test -S "$PG_DIR/.s.PGSQL.$PG_PORT" &&
	test "$(pg_sql -c "show listen_addresses")" = "" &&
	test "$(pg_sql -c "select rolsuper or rolcreaterole from pg_roles where rolname = current_user")" = f
'

test_done
