#!/bin/sh
# t0440-versions: versions of a record stay ordered at every site, whatever
# the number of changes each side made before a conflict.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# make_four: make_shop plus a third spoke DSOC (d.db).
make_four() {
	make_shop &&
	syncadm init -d d.db --site DSOC 2>/dev/null &&
	syncadm peer add -d hub.db --site DSOC --key d.db.pub &&
	syncadm peer add -d d.db --site ASOC --key hub.db.pub &&
	sqlite3 d.db "$shop_schema" &&
	syncadm track -d d.db customer --owner shared &&
	syncadm track -d d.db article --owner central &&
	syncadm track -d d.db piece --owner creator --route owner --freeze --window piece_date &&
	syncadm track -d d.db event --owner creator --route none
}

# cities: the city of every customer at every site, one line per site.
cities() {
	for db in hub.db b.db c.db d.db; do
		echo "$db $(sqlite3 $db "select group_concat(city) from (select city from customer order by name)")"
	done
}

test_expect_success 'a winning change made against fewer versions still reaches every site' '
	make_four &&
	sqlite3 hub.db "insert into customer(name, city) values ('\''Dupont'\'', '\''Lyon'\'')" &&
	syncpack -d hub.db --all -o usb 2>>log && recv b.db && recv c.db && recv d.db &&
	for i in 1 2 3 4 5 6; do
		sqlite3 c.db "update customer set city = '\''C$i'\''" || return 1
	done &&
	send c.db ASOC && recv hub.db &&
	syncpack -d hub.db --to DSOC -o usb 2>>log && recv d.db &&
	test "$(sqlite3 d.db "select city from customer")" = C6 &&
	sleep 0.01 && sqlite3 b.db "update customer set city = '\''B1'\''" &&
	send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select city from customer")" = B1 &&
	syncpack -d hub.db --all -o usb 2>>log && recv b.db && recv c.db && recv d.db &&
	syncpack -d b.db --to ASOC -o usb 2>>log && recv hub.db &&
	cities >got &&
	printf "%s\n" "hub.db B1" "b.db B1" "c.db B1" "d.db B1" >want &&
	diff want got &&
	for db in b.db c.db d.db; do
		test "$(sqlite3 $db "select rowversion from syncpack_record where tbl = (select id from syncpack_table where name = '\''customer'\'')")" = \
		     "$(sqlite3 hub.db "select rowversion from syncpack_record where tbl = (select id from syncpack_table where name = '\''customer'\'')")" || return 1
	done
'

test_expect_success 'a change relayed by the hub is no conflict where the version it grew from is' '
	make_shop &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "create table note(id integer primary key, body text)" &&
		syncadm track -d $db note --owner shared --conflict manual || return 1
	done &&
	sqlite3 b.db "insert into note(body) values ('\''from B'\'')" &&
	round &&
	sqlite3 c.db "update note set body = '\''edited at C'\''" &&
	round &&
	sqlite3 hub.db "update note set body = '\''edited at the hub'\''" &&
	round &&
	sqlite3 b.db "update note set body = '\''edited at B'\''" &&
	round &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select body from note")" = "edited at B" &&
		test "$(sqlite3 $db "select count(*) from syncpack_conflict")" -eq 0 &&
		test "$(sqlite3 $db "select count(*) from syncpack_protocol")" -eq 0 || return 1
	done
'

test_expect_success 'tombstones from a peer are purged though nothing goes back to it (--if-changed)' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''Gone'\'')" &&
	round &&
	sqlite3 b.db "delete from customer" &&
	for i in 1 2 3; do
		syncpack -d b.db --to ASOC -o usb --if-changed 2>>log &&
		syncpack -d c.db --to ASOC -o usb --if-changed 2>>log && recv hub.db &&
		syncpack -d hub.db --all -o usb --if-changed 2>>log &&
		recv b.db && recv c.db &&
		ack b.db ASOC && ack c.db ASOC && recv hub.db &&
		ack hub.db BSOC && ack hub.db CSOC && recv b.db && recv c.db || return 1
	done &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select count(*) from syncpack_record")" -eq 0 ||
			{ echo "$db keeps:"; sqlite3 $db "select * from syncpack_record"; return 1; }
	done
'

test_expect_success 'a change the hub refuses is replaced at its sender by the hub'\''s version' '
	make_shop &&
	sqlite3 b.db "insert into piece(piece_date, total) values ('\''2026-12-01'\'', 10)" &&
	send b.db ASOC && recv hub.db && ack hub.db BSOC && mv usb/ASOC_BSOC_*_ack.sxf . &&
	sqlite3 b.db "update piece set total = 99" &&
	send b.db ASOC && recv hub.db &&
	sqlite3 hub.db "select outcome, reason from syncpack_protocol" | grep -q "rejected|record is frozen" &&
	mv ASOC_BSOC_*_ack.sxf usb/ &&
	round && round &&
	for db in hub.db b.db; do
		test "$(sqlite3 $db "select total from piece")" = 10.0 || return 1
	done &&
	test "$(sqlite3 b.db "select flags & 1 from syncpack_record")" -eq 1
'

# make_notes: make_shop plus a manual-conflict table of notes on customers.
make_notes() {
	make_shop &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "create table note(id integer primary key,
			customer_id integer references customer(id), body text)" &&
		syncadm track -d $db note --owner shared --conflict manual || return 1
	done &&
	sqlite3 hub.db "insert into customer(name) values ('Dupont'), ('Durand');
		insert into note(customer_id, body) values (1, 'first')" &&
	round && round
}

# open_conflicts: the unresolved conflicts of every site.
open_conflicts() {
	for db in hub.db b.db c.db; do
		sqlite3 $db "select count(*) from syncpack_conflict where resolved is null"
	done | tr '\n' ' '
}

test_expect_success 'two deletes of a record are no conflict' '
	make_notes &&
	sqlite3 b.db "delete from note" && sqlite3 c.db "delete from note" &&
	round && round &&
	test "$(open_conflicts)" = "0 0 0 " &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select count(*) from note")" -eq 0 || return 1
	done
'

test_expect_success 'a conflict the hub resolves is settled at the spokes too' '
	make_notes &&
	sqlite3 b.db "update note set body = '\''from B'\''" &&
	sqlite3 c.db "update note set body = '\''from C'\''" &&
	round && round &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_conflict where resolved is null")" -ge 1 &&
	syncadm conflicts resolve -d hub.db "$(sqlite3 hub.db "select min(id) from syncpack_conflict where resolved is null")" --keep local &&
	round && round && round &&
	test "$(open_conflicts)" = "0 0 0 " &&
	body=$(sqlite3 hub.db "select body from note") &&
	for db in b.db c.db; do
		test "$(sqlite3 $db "select body from note")" = "$body" || return 1
	done
'

test_expect_success 'keeping the remote side brings back a row deleted here, with its parent' '
	make_notes &&
	sqlite3 b.db "update note set body = '\''moved to Durand'\'', customer_id = (select id from customer where name = '\''Durand'\'')" &&
	sqlite3 hub.db "delete from note" &&
	send b.db ASOC && recv hub.db &&
	round && round &&
	id=$(sqlite3 hub.db "select min(id) from syncpack_conflict where resolved is null") &&
	test -n "$id" &&
	syncadm conflicts resolve -d hub.db "$id" --keep remote &&
	test "$(sqlite3 hub.db "select c.name || '\'' '\'' || n.body from note n join customer c on c.id = n.customer_id")" = "Durand moved to Durand" &&
	round && round && round &&
	test "$(open_conflicts)" = "0 0 0 " &&
	for db in b.db c.db; do
		test "$(sqlite3 $db "select c.name || '\'' '\'' || n.body from note n join customer c on c.id = n.customer_id")" = "Durand moved to Durand" || return 1
	done &&
	test "$(sqlite3 hub.db "select count(distinct guid) from syncpack_record where tbl = (select id from syncpack_table where name = '\''note'\'')")" -eq 1
'

test_expect_success 'a conflicting version whose parent is not here yet waits, then keeping it works' '
	make_notes &&
	sqlite3 hub.db "insert into customer(name) values ('\''Martin'\'')" &&
	syncadm lock -d hub.db customer 3 --by desk &&
	sqlite3 hub.db "update note set body = '\''for Martin'\'', customer_id = 3" &&
	sqlite3 b.db "update note set body = '\''from B'\''" &&
	send hub.db BSOC && recv b.db &&
	test "$(sqlite3 b.db "select count(*) from syncpack_conflict")" -eq 0 &&
	syncadm held -d b.db >held &&
	grep "parent customer .* is missing" held &&
	test "$(sqlite3 b.db "select body from note")" = "from B" &&
	syncadm unlock -d hub.db customer 3 &&
	send hub.db BSOC && recv b.db &&
	test -z "$(syncadm held -d b.db)" &&
	id=$(sqlite3 b.db "select id from syncpack_conflict where resolved is null") &&
	test -n "$id" &&
	syncadm conflicts resolve -d b.db "$id" --keep remote &&
	test "$(sqlite3 b.db "select c.name || '\'' '\'' || n.body from note n join customer c on c.id = n.customer_id")" = "Martin for Martin"
'

test_expect_success 'a conflicting version with a column not here yet waits for it' '
	make_notes &&
	sqlite3 hub.db "alter table note add column tag text" &&
	syncadm track -d hub.db note --owner shared --conflict manual &&
	sqlite3 hub.db "update note set body = '\''tagged'\'', tag = '\''T1'\''" &&
	sqlite3 b.db "update note set body = '\''from B'\''" &&
	send hub.db BSOC && recv b.db &&
	test "$(sqlite3 b.db "select count(*) from syncpack_conflict")" -eq 0 &&
	syncadm held -d b.db | grep "no column tag" &&
	sqlite3 b.db "alter table note add column tag text" &&
	syncadm track -d b.db note --owner shared --conflict manual &&
	recv b.db &&
	test -z "$(syncadm held -d b.db)" &&
	id=$(sqlite3 b.db "select id from syncpack_conflict where resolved is null") &&
	syncadm conflicts resolve -d b.db "$id" --keep remote &&
	test "$(sqlite3 b.db "select body, tag from note")" = "tagged|T1"
'

test_expect_success 'a change from a spoke without a new column keeps the value the hub gave it, everywhere' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name, city) values ('\''Dupont'\'', '\''Lyon'\'')" &&
	round &&
	for db in hub.db c.db; do
		sqlite3 $db "alter table customer add column vat text" &&
		syncadm track -d $db customer --owner shared || return 1
	done &&
	sqlite3 hub.db "update customer set vat = '\''FR1'\''" &&
	round &&
	sqlite3 b.db "update customer set city = '\''Nizza'\''" &&
	sqlite3 b.db "update customer set city = '\''Nice'\''" &&
	round && round &&
	sqlite3 b.db "alter table customer add column vat text" &&
	syncadm track -d b.db customer --owner shared &&
	round && round &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select city, vat from customer")" = "Nice|FR1" ||
			{ echo "$db: $(sqlite3 $db "select city, vat from customer")"; return 1; }
	done &&
	test -z "$(syncadm held -d b.db)"
'

test_done
