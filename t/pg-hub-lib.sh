# t/pg-hub-lib.sh: what an exchange test with the hub on PostgreSQL and
# the spokes on SQLite sources first: t/lib.sh, the test's own server
# (t/servers.sh), started now and stopped at exit, and t/exchange-lib.sh
# with HUB_BACKEND=postgresql.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"
HUB_BACKEND=postgresql
. "$SYNCPACK_SRC/t/exchange-lib.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
