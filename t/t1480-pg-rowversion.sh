#!/bin/sh
# --rowversion-column on a PostgreSQL hub (t0310's save pattern there):
# the column TABLE_rowversion follows the record's rowversion through
# local saves from any client, applied changes and restamps; a save that
# writes back a stale value is refused.
. "$SYNCPACK_SRC/t/pg-hub-lib.sh"

# make_rv: the shop, customer tracked with its rowversion column at every
# site (the hub on PostgreSQL, the spokes on SQLite).
make_rv() {
	make_pg_hub_sites && mkdir usb && pg_sql -c "$shop_schema_pg" &&
	sqlite3 b.db "$shop_schema" && sqlite3 c.db "$shop_schema" &&
	for db in "$HUB" b.db c.db; do
		syncadm track -d "$db" customer --owner shared --rowversion-column ||
			return 1
	done
}

# rv DB NAME: the customer NAME's rowversion column and its record's
# rowversion, as "column record".
rv() {
	syncadm status -d "$1" >/dev/null 2>&1	# folds the change log
	case $1 in
	postgres*) site_sql "$1" "select c.customer_rowversion || ' ' || r.rowversion
		from customer c join syncpack.record r on r.rkey = c.id::text
		and r.tbl = (select id from syncpack.tracked_table where name = 'customer')
		where c.name = '$2'" ;;
	*) site_sql "$1" "select c.customer_rowversion || ' ' || r.rowversion
		from customer c join syncpack_record r on r.rkey = c.id
		and r.tbl = (select id from syncpack_table where name = 'customer')
		where c.name = '$2'" ;;
	esac
}

test_expect_success 'track adds the column, holding what the records say' '
	make_pg_hub_sites && mkdir usb && pg_sql -c "$shop_schema_pg" &&
	pg_sql -c "insert into customer(name) values ('"'"'A'"'"'), ('"'"'B'"'"');
		update customer set city = '"'"'Lyon'"'"' where name = '"'"'B'"'"'" &&
	syncadm track -d "$HUB" customer --rowversion-column &&
	test "$(rv "$HUB" A)" = "1 1" && test "$(rv "$HUB" B)" = "1 1" &&
	pg_sql -c "update customer set city = '"'"'Nice'"'"' where name = '"'"'B'"'"'" &&
	test "$(rv "$HUB" B)" = "2 2" &&
	syncadm tables -d "$HUB" >out && grep -q "^customer .* rowversion-column  *tracked$" out &&
	syncadm track -d "$HUB" customer --rowversion-column &&
	test "$(rv "$HUB" B)" = "2 2"
'

test_expect_success 'the save pattern from psql, and a stale save refused' '
	make_rv &&
	pg_sql -c "insert into customer(name) values ('"'"'A'"'"')" &&
	test "$(rv "$HUB" A)" = "1 1" &&
	pg_sql -c "update customer set city = '"'"'Lyon'"'"', customer_rowversion = 1 where name = '"'"'A'"'"'" &&
	test "$(rv "$HUB" A)" = "2 2" &&
	! pg_sql -c "update customer set city = '"'"'Nice'"'"', customer_rowversion = 1 where name = '"'"'A'"'"'" 2>err &&
	grep -q "customer: stale rowversion: the record changed since it was read" err &&
	test "$(pg_sql -c "select city from customer")" = Lyon &&
	pg_sql -c "insert into customer(name, customer_rowversion) values ('"'"'B'"'"', 9)" &&
	test "$(rv "$HUB" B)" = "1 1"
'

test_expect_success 'applied changes move the column on both ways, and saves go on' '
	make_rv &&
	sqlite3 b.db "insert into customer(name) values (\"A\");
		update customer set city = \"Lyon\", customer_rowversion = 1" &&
	round &&
	test "$(rv "$HUB" A)" = "2 2" && test "$(rv c.db A)" = "2 2" &&
	pg_sql -c "update customer set city = '"'"'Nice'"'"', customer_rowversion = 2" &&
	round &&
	test "$(rv b.db A)" = "3 3" && test "$(rv c.db A)" = "3 3" &&
	test "$(sqlite3 b.db "select city from customer")" = Nice &&
	sqlite3 b.db "update customer set email = \"a@x\", customer_rowversion = 3" &&
	round &&
	test "$(rv "$HUB" A)" = "4 4" &&
	test "$(pg_sql -c "select email from customer")" = a@x &&
	syncdiff "$HUB" b.db && syncdiff "$HUB" c.db
'

# Two spokes change the same customer at the same rowversion: the later
# wins at the hub, which moves its copy on past both (a rowversion neither
# spoke wrote), in the batch of a data file.
test_expect_success 'a concurrent change the hub moves on past both moves the column too' '
	make_rv &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	round && round &&
	sqlite3 b.db "update customer set city = \"Lyon\", customer_rowversion = 1" &&
	sqlite3 c.db "update customer set city = \"Nice\", customer_rowversion = 1" &&
	send b.db ASOC && recv "$HUB" && send c.db ASOC && recv "$HUB" &&
	test "$(pg_sql -c "select city from customer")" = Nice &&
	test "$(rv "$HUB" A)" = "3 3" &&
	round && round &&
	test "$(rv b.db A)" = "3 3" && test "$(rv c.db A)" = "3 3" &&
	syncdiff "$HUB" b.db && syncdiff "$HUB" c.db
'

test_expect_success 'untrack keeps the column and drops its trigger' '
	make_rv &&
	pg_sql -c "insert into customer(name) values ('"'"'A'"'"')" &&
	syncadm untrack -d "$HUB" customer &&
	pg_sql -c "update customer set customer_rowversion = 7" &&
	test "$(pg_sql -c "select customer_rowversion from customer")" = 7
'

test_done
