#!/bin/sh
# t/unit/run-pg.sh PROGRAM [ARGS...]: runs a store conformance program
# built with store_fixture_pg.c against a throwaway PostgreSQL server of
# its own (t/servers.sh: initdb and pg_ctl, a Unix socket in a scratch
# folder, a random port, the ordinary role sp_app), named to the program
# in SYNCPACK_TEST_PG_HOST and SYNCPACK_TEST_PG_PORT, and stopped
# afterwards. The program's exit status; 99 (a hard error, never a skip)
# when no server can be started.
here=$(cd "$(dirname "$0")" && pwd) || exit 99
# shellcheck source=t/servers.sh
. "$here/../servers.sh"
trap pg_stop EXIT
trap 'exit 99' HUP INT TERM
pg_start || { echo "run-pg.sh: no PostgreSQL server could be started" >&2; exit 99; }
SYNCPACK_TEST_PG_HOST=$PG_DIR SYNCPACK_TEST_PG_PORT=$PG_PORT "$@"
rc=$?
pg_stop
trap - EXIT
exit "$rc"
