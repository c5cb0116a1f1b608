#!/bin/sh
# t0430-references: references travel as GUIDs, never as local keys; a
# delete racing a new reference loses (syncpack(7), "References").
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

ref_schema='
create table customer(id integer primary key, name text not null);
create table article(id integer primary key, label text);
create table doc(id integer primary key, customer_id integer references customer(id),
	article_id integer references article(id), what text);
create table line(id integer primary key, doc_id integer references doc(id), qty integer);'

# make_refs: hub ASOC, spokes BSOC (b.db) and CSOC (c.db) with the tables
# above tracked, and customers created in a different order at each site
# so that local ids differ.
make_refs() {
	make_sites && mkdir usb &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "$ref_schema" &&
		syncadm track -d $db customer --owner shared &&
		syncadm track -d $db article --owner central &&
		syncadm track -d $db doc --owner creator &&
		syncadm track -d $db line --owner creator || return 1
	done &&
	sqlite3 c.db "insert into customer(name) values ('Martin')" &&
	sqlite3 hub.db "insert into customer(name) values ('Dupont');
		insert into article(label) values ('pen')" &&
	round && round
}

# refs DB: each doc's GUID with its customer's and article's GUIDs.
refs() {
	sqlite3 "$1" "select rd.guid, coalesce(rc.guid, 'none:' || d.customer_id),
		coalesce(ra.guid, 'none:' || d.article_id), d.what from doc d
		join syncpack_record rd on rd.tbl = (select id from syncpack_table where name = 'doc') and rd.rkey = d.id
		left join syncpack_record rc on rc.tbl = (select id from syncpack_table where name = 'customer') and rc.rkey = d.customer_id
		left join syncpack_record ra on ra.tbl = (select id from syncpack_table where name = 'article') and ra.rkey = d.article_id
		order by 1"
}

# names DB TABLE: the GUIDs and a column of every live record of TABLE.
names() {
	sqlite3 "$1" "select r.guid, t.$3 from $2 t join syncpack_record r on
		r.tbl = (select id from syncpack_table where name = '$2') and r.rkey = t.id order by 1"
}

# same_everywhere: every site holds the same records and references, and
# nothing is held.
same_everywhere() {
	for db in b.db c.db; do
		test "$(names hub.db customer name)" = "$(names $db customer name)" &&
		test "$(names hub.db article label)" = "$(names $db article label)" &&
		test "$(refs hub.db)" = "$(refs $db)" || { echo "$db differs from hub.db"; return 1; }
	done &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db 'select count(*) from syncpack_held')" -eq 0 ||
			{ echo "$db holds:"; sqlite3 $db 'select * from syncpack_held'; return 1; }
		! refs $db | grep -q none: || { echo "$db has a dangling reference"; return 1; }
	done
}

test_expect_success 'a delete racing new references loses: the customer stays, both docs keep it' '
	make_refs &&
	dupont_b=$(sqlite3 b.db "select id from customer where name = '\''Dupont'\''") &&
	dupont_c=$(sqlite3 c.db "select id from customer where name = '\''Dupont'\''") &&
	test "$dupont_b" != "$dupont_c" &&
	sqlite3 b.db "delete from customer where name = '\''Dupont'\''" &&
	sqlite3 c.db "insert into doc(customer_id, what) values ($dupont_c, '\''sale at C'\'')" &&
	sqlite3 hub.db "insert into doc(customer_id, what) values ((select id from customer where name = '\''Dupont'\''), '\''sale at hub'\'')" &&
	round && round && round &&
	same_everywhere &&
	test "$(sqlite3 b.db "select count(*) from customer where name = '\''Dupont'\''")" -eq 1 &&
	test "$(refs b.db | wc -l)" -eq 2 &&
	sqlite3 hub.db "select reason from syncpack_protocol where direction = '\''in'\'' and peer = '\''BSOC'\''" >hub_protocol &&
	grep -q "delete lost: doc here still refers to the record" hub_protocol &&
	sqlite3 b.db "select outcome, reason from syncpack_protocol where direction = '\''out'\''" | grep -q "conflict-lost|delete lost" &&
	sqlite3 b.db "select outcome, reason from syncpack_protocol where direction = '\''in'\''" | grep -q "conflict-won|the delete made here lost"
'

test_expect_success 'the hub applied the delete first: a spoke holding a reference brings it back' '
	make_refs &&
	dupont_c=$(sqlite3 c.db "select id from customer where name = '\''Dupont'\''") &&
	sqlite3 b.db "delete from customer where name = '\''Dupont'\''" &&
	sqlite3 c.db "insert into doc(customer_id, what) values ($dupont_c, '\''sale at C'\'')" &&
	send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from customer where name = '\''Dupont'\''")" -eq 0 &&
	send c.db ASOC && recv hub.db &&
	sqlite3 hub.db "select reason from syncpack_held" | grep -q "is deleted" &&
	round && round && round &&
	same_everywhere &&
	test "$(sqlite3 hub.db "select count(*) from customer where name = '\''Dupont'\''")" -eq 1 &&
	sqlite3 c.db "select reason from syncpack_protocol where direction = '\''in'\''" | grep -q "delete lost: doc here"
'

test_expect_success 'a delete of children and their parent in one file is not undone' '
	make_refs &&
	sqlite3 b.db "insert into doc(customer_id, what) values ((select id from customer where name = '\''Dupont'\''), '\''d'\'');
		insert into line(doc_id, qty) values (last_insert_rowid(), 3)" &&
	round && round &&
	test "$(sqlite3 hub.db "select count(*) from line")" -eq 1 &&
	sqlite3 b.db "delete from line; delete from doc; delete from customer where name = '\''Dupont'\''" &&
	round && round &&
	same_everywhere &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select count(*) from customer where name = '\''Dupont'\''") $(sqlite3 $db "select count(*) from doc") $(sqlite3 $db "select count(*) from line")" = "0 0 0" || return 1
	done &&
	! grep -q "delete lost" log
'

test_expect_success 'a central record the hub deleted comes back while a spoke refers to it' '
	make_refs &&
	sqlite3 b.db "insert into doc(article_id, what) values ((select id from article), '\''uses the pen'\'')" &&
	sqlite3 hub.db "delete from article" &&
	round && round && round &&
	same_everywhere &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select count(*) from article where label = '\''pen'\''")" -eq 1 || return 1
	done
'

test_expect_success 'a reference to a row that is no record is never sent as a local key' '
	make_refs &&
	sqlite3 b.db "insert into doc(customer_id, what) values (999, '\''dangling'\'');
		insert into customer(name) values ('\''Durand'\'')" &&
	expect_code 1 syncpack -d b.db --to ASOC -o usb &&
	grep -q "b.db: doc [0-9A-F]*: customer_id = 999 names no record of customer here; not sent until it does" err &&
	recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from doc")" -eq 0 &&
	test "$(sqlite3 hub.db "select count(*) from customer where name = '\''Durand'\''")" -eq 1 &&
	syncpack -d hub.db --all -o usb 2>>log && recv b.db && ack b.db ASOC && recv hub.db &&
	ack hub.db BSOC && recv b.db &&
	sqlite3 b.db "update doc set customer_id = (select id from customer where name = '\''Durand'\'')" &&
	round && round &&
	same_everywhere &&
	test "$(refs hub.db | cut -d"|" -f4)" = dangling &&
	test "$(sqlite3 hub.db "select c.name from doc d join customer c on c.id = d.customer_id")" = Durand
'

# make_four: make_refs plus a third spoke DSOC (d.db), everyone holding
# the customers.
make_four() {
	make_refs &&
	syncadm init -d d.db --site DSOC 2>/dev/null &&
	syncadm peer add -d hub.db --site DSOC --key d.db.pub &&
	syncadm peer add -d d.db --site ASOC --key hub.db.pub &&
	sqlite3 d.db "$ref_schema" &&
	syncadm track -d d.db customer --owner shared &&
	syncadm track -d d.db article --owner central &&
	syncadm track -d d.db doc --owner creator &&
	syncadm track -d d.db line --owner creator &&
	round4 && round4
}

# round4: round with DSOC too.
round4() {
	send b.db ASOC && send c.db ASOC && send d.db ASOC && recv hub.db &&
	syncpack -d hub.db --all -o usb 2>>log &&
	recv b.db && recv c.db && recv d.db &&
	ack b.db ASOC && ack c.db ASOC && ack d.db ASOC && recv hub.db &&
	ack hub.db BSOC && ack hub.db CSOC && ack hub.db DSOC &&
	recv b.db && recv c.db && recv d.db
}

# race: BSOC deletes Dupont, CSOC sells to it from its copy, DSOC renames
# it after that copy and before the delete.
race() {
	sqlite3 c.db "insert into doc(customer_id, what) values ((select id from customer where name = 'Dupont'), 'sale at C')" &&
	sqlite3 d.db "update customer set name = 'Dupont SA' where name = 'Dupont'" &&
	sleep 1 &&
	sqlite3 b.db "delete from customer where name = 'Dupont'"
}

# renamed_everywhere: after the drain every site holds Dupont with DSOC's
# name, the doc refers to it and nothing is held.
renamed_everywhere() {
	round4 && round4 && round4 &&
	for db in hub.db b.db c.db d.db; do
		test "$(names $db customer name | cut -d"|" -f2 | sort | tr "\n" ,)" = "Dupont SA,Martin," ||
			{ echo "$db:"; names $db customer name; return 1; }
		test "$(refs $db | cut -d"|" -f4)" = "sale at C" &&
		! refs $db | grep -q none: &&
		test "$(refs $db | cut -d"|" -f2)" = "$(names hub.db customer name | grep "|Dupont SA" | cut -d"|" -f1)" &&
		test "$(sqlite3 $db "select count(*) from syncpack_held")" -eq 0 ||
			{ echo "$db: bad reference or held"; refs $db; return 1; }
	done
}

test_expect_success 'a delete that lost: a later update made elsewhere reaching the hub afterwards still wins' '
	make_four && race &&
	send b.db ASOC && recv hub.db &&
	send c.db ASOC && recv hub.db &&
	sqlite3 hub.db "select reason from syncpack_held" | grep -q "is deleted" &&
	send hub.db CSOC && recv c.db &&
	sqlite3 c.db "select reason from syncpack_protocol where direction = '\''in'\''" | grep -q "delete lost: doc here" &&
	send c.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from customer where name = '\''Dupont'\''")" -eq 1 &&
	send d.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from customer where name = '\''Dupont SA'\''")" -eq 1 &&
	renamed_everywhere
'

test_expect_success 'a delete that lost: the updating site keeps its later update against the brought-back copy' '
	make_four && race &&
	send b.db ASOC && recv hub.db &&
	send c.db ASOC && recv hub.db &&
	send hub.db CSOC && recv c.db &&
	send c.db ASOC && recv hub.db &&
	send hub.db DSOC && recv d.db &&
	test "$(sqlite3 d.db "select name from customer where id = (select id from customer where name like '\''Dupont%'\'')")" = "Dupont SA" &&
	sqlite3 d.db "select reason from syncpack_protocol where direction = '\''in'\''" | grep -q "the local version won (lww); stamped past the incoming one" &&
	renamed_everywhere
'

test_expect_success 'a delete that lost at the hub: a later update from a spoke still wins' '
	make_four && race &&
	send c.db ASOC && recv hub.db &&
	send b.db ASOC && recv hub.db &&
	sqlite3 hub.db "select reason from syncpack_protocol where direction = '\''in'\''" | grep -q "delete lost: doc here" &&
	send hub.db DSOC && recv d.db &&
	renamed_everywhere
'

test_expect_success 'a delete that lost: the update reaching the hub first wins too' '
	make_four && race &&
	send d.db ASOC && recv hub.db &&
	send c.db ASOC && recv hub.db &&
	send b.db ASOC && recv hub.db &&
	renamed_everywhere
'

test_done
