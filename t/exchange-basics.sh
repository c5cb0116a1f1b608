# t/exchange-basics.sh: the basic days of the shop example (exchange-lib.sh),
# written for a hub on either backend ($HUB, hub_sql, sp): sourced by
# t0400 (a SQLite hub) and t1460 (HUB_BACKEND=postgresql). Every case ends
# with the sites alike (shop_alike).

test_expect_success 'a customer created at BSOC reaches CSOC through the hub' '
	make_shop &&
	sqlite3 b.db "insert into customer(name, city) values (\"Dupont\", \"Lyon\")" &&
	round &&
	test "$(sqlite3 c.db "select name, city from customer")" = "Dupont|Lyon" &&
	test "$(hub_sql "select name, city from customer")" = "Dupont|Lyon" &&
	test "$(sqlite3 c.db "select origin, owner from syncpack_record")" = "BSOC|BSOC" &&
	test "$(hub_sql "select origin, owner from $(sp record)")" = "BSOC|BSOC" &&
	g=$(sqlite3 b.db "select guid from syncpack_record") &&
	test "$(sqlite3 c.db "select guid from syncpack_record")" = "$g" &&
	test "$(hub_sql "select guid from $(sp record)")" = "$g" &&
	shop_alike customer
'

test_expect_success 'articles come from the hub only; a spoke cannot change them' '
	make_shop &&
	hub_sql "insert into article(label, price) values ('"'pen'"', 1.5)" &&
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
	test "$(hub_sql "select count(*) from piece where total = 10")" = 1 &&
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

test_expect_success 'a change of a piece held at the hub when it acknowledges is applied, not refused as frozen' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"D\");
		insert into customer(name) values (\"E\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-01\", 10)" &&
	syncadm lock -d b.db customer 2 &&
	send b.db ASOC &&
	sqlite3 b.db "update piece set customer_id = 2, total = 11" &&
	send b.db ASOC && recv "$HUB" &&
	test "$(hub_sql "select count(*) from $(sp held)")" = 1 &&
	ack "$HUB" BSOC && recv b.db &&
	test "$(sqlite3 b.db "select flags & 1 from syncpack_record where tbl = (select id from syncpack_table where name = \"piece\")")" = 0 &&
	syncadm unlock -d b.db customer 2 &&
	round && round &&
	test "$(hub_sql "select count(*) from $(sp held)")" = 0 &&
	test "$(hub_sql "select c.name || '"'|'"' || cast(p.total as integer) from piece p join customer c on c.id = p.customer_id")" = "E|11" &&
	test "$(sqlite3 b.db "select c.name || '"'|'"' || cast(p.total as integer) from piece p join customer c on c.id = p.customer_id")" = "E|11" &&
	! hub_sql "select reason from $(sp protocol)" | grep -q frozen &&
	test "$(sqlite3 b.db "select flags & 1 from syncpack_record where tbl = (select id from syncpack_table where name = \"piece\")")" = 1 &&
	shop_alike customer piece
'

test_expect_success 'a reference the hub changes reaches the shop as its own id of that customer' '
	make_shop &&
	hub_sql "insert into customer(name) values ('"'H'"')" &&
	sqlite3 b.db "insert into customer(name) values (\"B\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-03\", 4)" &&
	round &&
	test "$(hub_sql "select c.name from piece p join customer c on c.id = p.customer_id")" = B &&
	test "$(sqlite3 b.db "select id from customer where name = \"H\"")" = 2 &&
	hub_sql "update piece set customer_id = (select id from customer where name = '"'H'"')" &&
	round &&
	test "$(sqlite3 b.db "select c.name from piece p join customer c on c.id = p.customer_id")" = H &&
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
	hub_sql "insert into customer(name, city) values ('"'A'"', '"'Paris'"')" &&
	round &&
	sqlite3 b.db "update customer set city = \"Lyon\"" &&
	sleep 0.05 &&
	sqlite3 c.db "update customer set city = \"Nice\"" &&
	round && round &&
	test "$(hub_sql "select city from customer")" = Nice &&
	for db in b.db c.db; do
		test "$(sqlite3 $db "select city from customer")" = Nice || return 1
	done &&
	shop_alike customer &&
	for db in "$HUB" b.db c.db; do
		syncack -d "$db" --flows --json | jq "[.[] | select(.direction == \"in\" and .kind == \"data\" and .conflicts == 1)] | length" || return 1
	done | tr "\n" " " >conflicted &&
	test "$(cat conflicted)" = "1 1 0 " &&
	for db in "$HUB" b.db c.db; do
		expect_code 0 syncadm status -d "$db" || return 1
	done
'

test_expect_success 'days of changes at every site, deletes included, end alike everywhere' '
	make_shop &&
	hub_sql "insert into article(label, price) values ('"'pen'"', 1.5), ('"'ink'"', 0.25);
		insert into customer(name, city, email) values ('"'H'"', '"'Paris'"', '"'h@x'"')" &&
	sqlite3 b.db "insert into customer(name, city) values (\"B1\", \"Lyon\"), (\"B2\", \"Metz\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-01\", 3.5);
		insert into event(what) values (\"b opened\")" &&
	sqlite3 c.db "insert into customer(name) values (\"C1\");
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-02\", 7)" &&
	round &&
	hub_sql "update article set price = 1.75 where label = '"'pen'"';
		delete from article where label = '"'ink'"';
		update customer set city = '"'Nantes'"' where name = '"'B2'"'" &&
	fold "$HUB" &&
	sqlite3 b.db "delete from customer where name = \"B2\";
		update customer set email = \"h@b\" where name = \"H\"" &&
	sqlite3 c.db "insert into customer(name, city) values (\"C2\", \"Brest\")" &&
	round &&
	sqlite3 c.db "delete from customer where name = \"C2\"" &&
	round && round &&
	shop_alike customer article piece event &&
	test "$(wc -l <customer.hub)" = 3 &&
	test "$(wc -l <article.hub)" = 1 &&
	test "$(wc -l <piece.hub)" = 2 &&
	test "$(wc -l <event.hub)" = 1 &&
	grep -q "|pen|1.75$" article.hub &&
	grep -q "|H|Paris|h@b$" customer.hub &&
	! grep -q "|B2|\\||C2|" customer.hub &&
	test "$(hub_sql "select count(*) from $(sp record) where deleted <> 0")" = 0
'
