#!/bin/sh
# Ownership, freezing, transit, stale rowversions and locks, enforced in the
# database whatever client writes; and the marker that keeps applied
# changes from being re-stamped as local ones.
. "$SYNCPACK_SRC/t/lib.sh"

# q DB SQL: as in t0300, folding first when the metadata is read.
q() {
	case $2 in *syncpack_*) fold "$1" ;; esac
	sqlite3 "$1" "$2"
}

# fails DB SQL REASON: the statement fails with REASON from a trigger and
# changes nothing.
fails() {
	before=$(sqlite3 "$1" ".dump")
	if sqlite3 "$1" "$2" 2>err; then
		echo "unexpectedly succeeded: $2" >&2
		return 1
	fi
	grep -q -- "$3" err || { echo "wrong error for $2:" >&2; cat err >&2; return 1; }
	test "$(sqlite3 "$1" ".dump")" = "$before"
}

schema='create table customer(id integer primary key, name text, city text);
	create table article(id integer primary key, label text);
	create table piece(id integer primary key, total real, piece_date text)'

setup='make_sites && q b.db "$schema" && q hub.db "$schema" &&
	for db in b.db hub.db; do
		syncadm track -d $db customer --owner shared --rowversion-column &&
		syncadm track -d $db article --owner central &&
		syncadm track -d $db piece --owner creator --freeze --window piece_date || return 1
	done'

# as_applied DB SQL: runs SQL the way syncunpack applies changes: marker
# set inside the transaction, the change log of the transaction dropped
# and the marker cleared before commit (see store_sqlite.c).
as_applied() {
	q "$1" "begin; update syncpack_clock set applying = 1; $2;
		delete from syncpack_change;
		update syncpack_clock set applying = 0; commit"
}

test_expect_success 'a spoke cannot write a central table, from any client' "$setup"'&&
	fails b.db "insert into article(label) values (\"x\")" "article is a central table: only the hub may change it" &&
	as_applied b.db "insert into article(id, label) values (1, \"from hub\")" &&
	fails b.db "update article set label = \"y\"" "central table" &&
	fails b.db "delete from article" "central table" &&
	q hub.db "insert into article(label) values (\"x\"); update article set label = \"y\"; delete from article"
'

test_expect_success 'a spoke cannot change a creator record owned by another site' "$setup"'&&
	as_applied b.db "insert into piece(id, total) values (1, 10);
		insert into syncpack_record(guid, tbl, rkey, origin, owner, rowversion, hlc, hlc_site, lseq)
		select \"00000000000000000000000000000001\", id, 1, \"CSOC\", \"CSOC\", 1, 1, \"CSOC\", 1 from syncpack_table where name = \"piece\"" &&
	fails b.db "update piece set total = 11" "record is owned by another site; only its creator or the hub may change it" &&
	fails b.db "delete from piece" "owned by another site" &&
	fails b.db "insert or replace into piece(id, total) values (1, 12)" "owned by another site" &&
	q b.db "insert into piece(total) values (5); update piece set total = 6 where id = 2; delete from piece where id = 2"
'

test_expect_success 'the hub may change anything' "$setup"'&&
	q hub.db "insert into piece(total) values (10)" &&
	q hub.db "update syncpack_record set owner = \"BSOC\", origin = \"BSOC\", flags = 1" &&
	test "$(q hub.db "select count(*) from syncpack_record where owner = \"BSOC\"")" = 1 &&
	q hub.db "update piece set total = 11; delete from piece" &&
	test "$(q hub.db "select deleted from syncpack_record")" = 1
'

test_expect_success 'a frozen record is refused at the spoke' "$setup"'&&
	q b.db "insert into piece(total) values (10)" &&
	q b.db "update syncpack_record set flags = 1" &&
	fails b.db "update piece set total = 11" "record is frozen (the hub has acknowledged it)" &&
	fails b.db "delete from piece" "frozen"
'

test_expect_success 'a record in transit is refused everywhere, hub included' "$setup"'&&
	for db in hub.db b.db; do
		q $db "create table job(id integer primary key, what text)" &&
		syncadm track -d $db job --owner shared --movable &&
		q $db "insert into job(what) values (\"A\")" &&
		q $db "update syncpack_record set flags = 2" &&
		fails $db "update job set what = \"x\"" "job: record is in transit to another site and cannot be changed" &&
		fails $db "delete from job" "in transit" &&
		fails $db "insert or replace into job(id, what) values (1, \"y\")" "in transit" &&
		q $db "select what from job" | grep -qx A || return 1
	done
'

test_expect_success 'stale rowversion: the save pattern and its refusal' "$setup"'&&
	q b.db "insert into customer(name) values (\"A\")" &&
	test "$(q b.db "select customer_rowversion from customer")" = 1 &&
	q b.db "update customer set city = \"Lyon\", customer_rowversion = 1 where id = 1" &&
	test "$(q b.db "select customer_rowversion from customer")" = 2 &&
	test "$(q b.db "select rowversion from syncpack_record")" = 2 &&
	fails b.db "update customer set city = \"Nice\", customer_rowversion = 1 where id = 1" "customer: stale rowversion: the record changed since it was read" &&
	q b.db "update customer set city = \"Nice\" where id = 1" &&
	test "$(q b.db "select customer_rowversion || \" \" || (select rowversion from syncpack_record) from customer")" = "3 3"
'

test_expect_success 'without --rowversion-column the table is not altered' "$setup"'&&
	test "$(q b.db "select count(*) from pragma_table_info(\"piece\")")" = 3 &&
	test "$(q b.db "select count(*) from pragma_table_info(\"customer\") where name = \"customer_rowversion\"")" = 1
'

test_expect_success 'applied changes are not re-stamped as local changes' "$setup"'&&
	q b.db "insert into customer(name) values (\"local\")" &&
	before=$(q b.db "select lseq || \" \" || hlc from syncpack_clock") &&
	as_applied b.db "insert into customer(id, name) values (50, \"remote\");
		update customer set city = \"x\" where id = 1;
		delete from customer where id = 50" &&
	test "$(q b.db "select count(*), max(rowversion) from syncpack_record")" = "1|1" &&
	test "$(q b.db "select lseq || \" \" || hlc from syncpack_clock")" = "$before" &&
	test "$(q b.db "select applying from syncpack_clock")" = 0 &&
	q b.db "update customer set city = \"y\" where id = 1" &&
	test "$(q b.db "select rowversion from syncpack_record")" = 2
'

test_expect_success 'the marker is never seen set by another connection' "$setup"'&&
	q b.db "begin; update syncpack_clock set applying = 1; select 1 from syncpack_clock" &&
	test "$(q b.db "select applying from syncpack_clock")" = 0 &&
	q b.db "insert into customer(name) values (\"A\")" &&
	test "$(q b.db "select count(*) from syncpack_record")" = 1
'

test_expect_success 'lock, locks and unlock; unlocking makes the record pending again' "$setup"'&&
	q b.db "insert into piece(total) values (1), (2)" &&
	expect_code 0 syncadm lock -d b.db piece 1 --by "till 3" &&
	expect_code 1 syncadm lock -d b.db piece 1 &&
	expect_err "piece 1 is already locked" &&
	expect_code 0 syncadm locks -d b.db &&
	grep -q "^piece  *1  *till 3  " out &&
	lseq=$(q b.db "select lseq from syncpack_record where rkey = 1") &&
	expect_code 0 syncadm unlock -d b.db piece 1 &&
	test "$(q b.db "select lseq from syncpack_record where rkey = 1")" -gt "$lseq" &&
	expect_code 1 syncadm unlock -d b.db piece 1 &&
	expect_err "piece 1 is not locked" &&
	expect_code 2 syncadm lock -d b.db piece 99 &&
	expect_err "piece: no record with key 99" &&
	expect_code 2 syncadm lock -d b.db piece abc &&
	expect_err "not an integer" &&
	expect_code 2 syncadm lock -d b.db nosuch 1 &&
	expect_err "nosuch: not a tracked table" &&
	expect_code 0 syncadm locks -d b.db && test ! -s out
'

test_expect_success 'applications may lock and unlock by writing syncpack_lock' "$setup"'&&
	q b.db "insert into piece(total) values (1)" &&
	q b.db "insert into syncpack_lock(tbl, rkey, locked_by) values (\"piece\", 1, \"app\")" &&
	syncadm locks -d b.db | grep -q "^piece  *1  *app  " &&
	lseq=$(q b.db "select lseq from syncpack_record") &&
	q b.db "delete from syncpack_lock where tbl = \"piece\" and rkey = 1" &&
	test "$(q b.db "select lseq from syncpack_record")" -gt "$lseq"
'

test_expect_success 'deleting a locked row removes its lock' "$setup"'&&
	q b.db "insert into piece(total) values (1)" &&
	syncadm lock -d b.db piece 1 &&
	q b.db "delete from piece" &&
	test "$(q b.db "select count(*) from syncpack_lock")" = 0
'

test_expect_success 'trigger bodies use no application-defined functions' "$setup"'&&
	q b.db "select sql from sqlite_master where type = \"trigger\"" >triggers &&
	test -s triggers &&
	! grep -Eio "[a-z_]+\(" triggers | tr A-Z a-z | sort -u |
		grep -Ev "^(raise|cast|julianday|syncpack_change)\($"
'

test_done
