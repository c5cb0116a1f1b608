#!/bin/sh
# The shop example of t0400 with the hub on PostgreSQL and the spokes on
# SQLite (exchange-lib.sh with HUB_BACKEND=postgresql): every site ends
# with the same data.
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
	test "$(hub_sql "select site, hub from syncpack.site")" = "ASOC|1"
'

test_expect_success 'a customer created at BSOC reaches CSOC through the hub' '
	make_shop &&
	sqlite3 b.db "insert into customer(name, city) values (\"Dupont\", \"Lyon\")" &&
	round &&
	test "$(hub_sql "select name, city from customer")" = "Dupont|Lyon" &&
	test "$(sqlite3 c.db "select name, city from customer")" = "Dupont|Lyon" &&
	test "$(hub_sql "select origin, owner from syncpack.record")" = "BSOC|BSOC" &&
	g=$(sqlite3 b.db "select guid from syncpack_record") &&
	test "$(hub_sql "select guid from syncpack.record")" = "$g" &&
	test "$(sqlite3 c.db "select guid from syncpack_record")" = "$g" &&
	shop_alike customer
'

test_expect_success 'articles come from the hub only; a spoke cannot change them' '
	make_shop &&
	hub_sql "insert into article(label, price) values ('"'"'pen'"'"', 1.5)" &&
	round &&
	test "$(sqlite3 b.db "select label, price from article")" = "pen|1.5" &&
	test "$(sqlite3 c.db "select label, price from article")" = "pen|1.5" &&
	! sqlite3 b.db "update article set price = 0" 2>err &&
	grep -q "central table" err &&
	hub_sql "update article set price = 2" && round &&
	test "$(sqlite3 b.db "select price from article")" = 2.0 &&
	shop_alike article
'

test_expect_success 'pieces go up, come back only to their shop, and freeze after the ack' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"D\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-01\", 10)" &&
	round &&
	test "$(hub_sql "select total from piece")" = 10 &&
	test "$(sqlite3 c.db "select count(*) from piece")" = 0 &&
	test "$(hub_sql "select c.name from piece p join customer c on c.id = p.customer_id")" = D &&
	fold b.db &&
	test "$(sqlite3 b.db "select flags & 1 from syncpack_record where tbl = (select id from syncpack_table where name = \"piece\")")" = 1 &&
	! sqlite3 b.db "update piece set total = 11" 2>err &&
	grep -q "frozen" err &&
	hub_sql "update piece set total = 12" && round &&
	test "$(sqlite3 b.db "select total from piece")" = 12.0 &&
	test "$(sqlite3 c.db "select count(*) from piece")" = 0 &&
	shop_alike customer piece
'

test_expect_success 'events reach only the hub' '
	make_shop &&
	sqlite3 b.db "insert into event(what) values (\"till opened\")" &&
	round &&
	test "$(hub_sql "select what from event")" = "till opened" &&
	test "$(sqlite3 c.db "select count(*) from event")" = 0 &&
	shop_alike event
'

test_expect_success 'shared customers edited on both sides: last writer wins everywhere' '
	make_shop &&
	hub_sql "insert into customer(name, city) values ('"'"'A'"'"', '"'"'Paris'"'"')" &&
	round &&
	sqlite3 b.db "update customer set city = \"Lyon\"" &&
	sleep 0.05 &&
	sqlite3 c.db "update customer set city = \"Nice\"" &&
	round && round &&
	test "$(hub_sql "select city from customer")" = Nice &&
	for db in b.db c.db; do
		test "$(sqlite3 $db "select city from customer")" = Nice || return 1
	done &&
	shop_alike customer
'

test_expect_success 'days of changes at every site, deletes included, end alike everywhere' '
	make_shop &&
	hub_sql "insert into article(label, price) values ('"'"'pen'"'"', 1.5), ('"'"'ink'"'"', 0.25);
		insert into customer(name, city, email) values ('"'"'H'"'"', '"'"'Paris'"'"', '"'"'h@x'"'"')" &&
	sqlite3 b.db "insert into customer(name, city) values (\"B1\", \"Lyon\"), (\"B2\", \"Metz\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-01\", 3.5);
		insert into event(what) values (\"b opened\")" &&
	sqlite3 c.db "insert into customer(name) values (\"C1\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-02\", 7)" &&
	round &&
	hub_sql "update article set price = 1.75 where label = '"'"'pen'"'"';
		delete from article where label = '"'"'ink'"'"';
		update customer set city = '"'"'Nantes'"'"' where name = '"'"'B2'"'"'" &&
	sqlite3 b.db "delete from customer where name = \"B1\" and id not in (select customer_id from piece where customer_id is not null);
		update customer set email = \"h@b\" where name = \"H\"" &&
	sqlite3 c.db "insert into customer(name, city) values (\"C2\", \"Brest\"); delete from customer where name = \"C2\"" &&
	round && round &&
	shop_alike customer article piece event &&
	test "$(wc -l <customer.hub)" = 4 &&
	test "$(wc -l <article.hub)" = 1 &&
	test "$(wc -l <piece.hub)" = 2 &&
	test "$(wc -l <event.hub)" = 1 &&
	grep -q "|1.75$" article.hub &&
	grep -q "|H|Paris|h@b$" customer.hub &&
	grep -q "|B2|Nantes|$" customer.hub &&
	test "$(hub_sql "select count(*) from syncpack.record where deleted <> 0")" = 0
'

test_done
