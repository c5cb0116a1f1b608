#!/bin/sh
# The basic days of the shop example (t/exchange-basics.sh, as t0400 runs
# them) with the hub on PostgreSQL and the spokes on SQLite: every site
# ends with the same data.
. "$SYNCPACK_SRC/t/pg-hub-lib.sh"

test_expect_success 'the hub is a PostgreSQL database with the shop tracked' '
	make_shop &&
	test ! -e hub.db &&
	case $HUB in postgresql://*) ;; *) false ;; esac &&
	test "$(hub_sql "select name from syncpack.tracked_table order by id" | tr "\n" " ")" = "customer article piece event " &&
	test "$(hub_sql "select site, hub from syncpack.site")" = "ASOC|1" &&
	test "$(pg_sql -c "select data_type from information_schema.columns where table_name = '"'piece'"' and column_name = '"'total'"'")" = "double precision"
'

. "$SYNCPACK_SRC/t/exchange-basics.sh"

test_expect_success 'with CSOC on PostgreSQL too, days of changes end alike everywhere' '
	CSOC_BACKEND=postgresql &&
	make_shop &&
	case $C in postgresql://*) ;; *) false ;; esac && test ! -e c.db &&
	hub_sql "insert into article(label, price) values ('"'pen'"', 1.5)" &&
	sqlite3 b.db "insert into customer(name, city) values (\"B1\", \"Lyon\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-01\", 3.5)" &&
	site_sql "$C" "insert into customer(name, city) values ('"'C1'"', '"'Brest'"');
		insert into piece(customer_id, piece_date, total) values (1, '"'2026-11-02'"', 7);
		insert into event(what) values ('"'c opened'"')" &&
	round &&
	site_sql "$C" "update customer set city = '"'Nice'"' where name = '"'B1'"'" &&
	fold "$C" &&
	hub_sql "update article set price = 2.25" &&
	round && round &&
	shop_alike customer article piece event &&
	test "$(wc -l <customer.hub)" = 2 && test "$(wc -l <piece.hub)" = 2 &&
	grep -q "|B1|Nice|$" customer.hub && grep -q "|pen|2.25$" article.hub &&
	test "$(site_sql "$C" "select count(*) from piece")" = 1 &&
	test "$(site_sql "$C" "select count(*) from event")" = 1 &&
	test "$(hub_sql "select what from event")" = "c opened"
'

# A hub takes thousands of files a night, in sessions side by side: a file
# that raises none of the hub's counters leaves the site row alone, so no
# new row version and no row lock for the next session to wait on.
test_expect_success 'a file from a peer in step leaves the hub'"'"'s site row as it was' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	round && round &&
	sqlite3 b.db "insert into customer(name) values (\"B\")" &&
	syncpack -d b.db --to ASOC -o g.sxf 2>/dev/null &&
	before=$(hub_sql "select xmin from syncpack.site") &&
	expect_code 0 syncunpack -d "$HUB" g.sxf &&
	test "$(hub_sql "select xmin from syncpack.site")" = "$before" &&
	test "$(hub_sql "select count(*) from customer")" = 2
'

test_done
