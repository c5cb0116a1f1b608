#!/bin/sh
# The basic days of the shop example (t/exchange-basics.sh, as t0400 runs
# them) with the hub on PostgreSQL and the spokes on SQLite: every site
# ends with the same data.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"
HUB_BACKEND=postgresql
. "$SYNCPACK_SRC/t/exchange-lib.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

test_expect_success 'the hub is a PostgreSQL database with the shop tracked' '
	make_shop &&
	test ! -e hub.db &&
	case $HUB in postgresql://*) ;; *) false ;; esac &&
	test "$(hub_sql "select name from syncpack.tracked_table order by id" | tr "\n" " ")" = "customer article piece event " &&
	test "$(hub_sql "select site, hub from syncpack.site")" = "ASOC|1" &&
	test "$(pg_sql -c "select data_type from information_schema.columns where table_name = '"'piece'"' and column_name = '"'total'"'")" = "double precision"
'

. "$SYNCPACK_SRC/t/exchange-basics.sh"

test_done
