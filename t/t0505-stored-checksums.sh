#!/bin/sh
# The checksums a SQLite site keeps with its records (syncdiff(1),
# "Stored checksums"): made at fold and apply, read by manifests instead of
# the rows, and never trusted once something made them stale.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# one_site DB: a site with a parent table p and a child table c referring
# to it, tracked, with two parents and three children.
one_site() {
	syncadm init -d "$1" --site ASOC --hub 2>/dev/null &&
	sqlite3 "$1" "create table p(id integer primary key, name text);
		create table c(id integer primary key,
			pid integer references p(id), v text);
		create table n(code text primary key, label text);
		create table nc(id integer primary key,
			code text references n(code), v text)" &&
	for t in p c n nc; do
		syncadm track -d "$1" $t --owner shared || return 1
	done &&
	sqlite3 "$1" "insert into p(name) values ('x'), ('y');
		insert into c(pid, v) values (1, 'a'), (2, 'b'), (2, 'c');
		insert into n values ('K1', 'one'), ('K2', 'two');
		insert into nc(code, v) values ('K1', 'a'), ('K2', 'b')" &&
	fold "$1"
}

# from_rows DB COPY: COPY is DB with every stored checksum dropped and
# every record changed since they were made, so that its next manifest
# checksums the rows again.
from_rows() {
	cp "$1" "$2" &&
	sqlite3 "$2" "update syncpack_record set checksum = null;
		update syncpack_site set checksum_lseq = 0"
}

# kept DB: how many records have a checksum stored.
kept() {
	sqlite3 "$1" "select count(*) from syncpack_record where checksum is not null"
}

test_expect_success 'fold stores every record checksum, the same as the rows give' '
	one_site a.db &&
	test "$(kept a.db)" = 9 &&
	test "$(sqlite3 a.db "select checksum_lseq = (select lseq from syncpack_clock) from syncpack_site")" = 1 &&
	from_rows a.db rows.db &&
	syncdiff --summary a.db rows.db >out &&
	grep -qx "same 9" out &&
	test "$(kept rows.db)" = 9 &&
	test "$(sqlite3 a.db "select hex(checksum) from syncpack_record order by guid")" = \
	    "$(sqlite3 rows.db "select hex(checksum) from syncpack_record order by guid")"
'

# The application writes through its own connection; the triggers catch
# it and the next tool folds it, checksum included.
test_expect_success 'a row the application changed is compared as it is now' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db "update c set v = '\''changed'\'' where id = 2" &&
	expect_code 1 syncdiff a.db before.db &&
	test "$(cut -f1,2 out)" = "differs	c" &&
	test "$(kept a.db)" = 9 &&
	from_rows a.db rows.db && syncdiff a.db rows.db
'

# A write that goes round the capture triggers is never sent either; a
# comparison that does not see it proves that it read no row.
test_expect_success 'a comparison reads the stored checksums, not the rows' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db ".dbconfig enable_trigger off" \
	    "update p set name = '\''unseen'\''" &&
	syncdiff --summary a.db before.db >out &&
	grep -qx "same 9" out &&
	from_rows a.db rows.db &&
	expect_code 1 syncdiff --summary rows.db before.db &&
	grep -qx "differs 2" out
'

test_expect_success 'a schema change makes every checksum of the table stale' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db "alter table c add column extra text default '\''d'\''" &&
	expect_code 1 syncdiff --summary --table c a.db before.db &&
	grep -qx "differs 3" out &&
	test "$(kept a.db)" = 9 &&
	sqlite3 before.db "alter table c add column extra text default '\''d'\''" &&
	syncdiff --summary a.db before.db >out &&
	grep -qx "same 9" out &&
	sqlite3 a.db "alter table c drop column extra" &&
	expect_code 1 syncdiff --table c a.db before.db
'

test_expect_success 'a parent deleted or given another key makes its children stale' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db "delete from p where id = 1" &&
	expect_code 1 syncdiff --summary a.db before.db &&
	grep -qx "differs 2" out &&
	test -z "$(sqlite3 a.db "select * from syncpack_unmapped")" &&
	test "$(sqlite3 a.db "select count(*) from syncpack_record r join syncpack_table t on t.id = r.tbl where t.name = '\''c'\'' and r.checksum is null")" = 1 &&
	cp before.db b.db &&
	sqlite3 b.db "update n set code = '\''K9'\'' where code = '\''K1'\''" &&
	expect_code 1 syncdiff --summary --table nc b.db before.db &&
	grep -qx "differs 1" out &&
	from_rows b.db rows.db && syncdiff b.db rows.db
'

# A reference naming no record is checksummed as NULL; stored, that would
# outlive the parent arriving later, which changes nothing of the child.
test_expect_success 'a reference to a record that comes later is never stored' '
	one_site a.db &&
	sqlite3 a.db "insert into c(pid, v) values (7, '\''early'\'')" && fold a.db &&
	test "$(kept a.db)" = 9 &&
	cp a.db before.db &&
	sqlite3 a.db "insert into p(id, name) values (7, '\''late'\'')" &&
	expect_code 1 syncdiff --summary a.db before.db &&
	grep -qx "differs 1" out && grep -qx "only-in-A 1" out &&
	test "$(kept a.db)" = 11
'

test_expect_success 'an applied file stores the receiver'\''s checksums, capture silent' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"B1\"), (\"B2\");
		insert into piece(customer_id, piece_date, total) values (1, date(\"now\"), 5)" &&
	send b.db ASOC && recv hub.db &&
	test "$(kept hub.db)" = 3 &&
	syncdiff hub.db b.db &&
	cp hub.db before.db &&
	sqlite3 b.db "update customer set city = \"Lyon\"; delete from piece" &&
	send b.db ASOC && recv hub.db &&
	test "$(kept hub.db)" = 3 &&
	syncdiff hub.db b.db &&
	expect_code 1 syncdiff --summary hub.db before.db &&
	grep -qx "differs 3" out &&
	from_rows hub.db rows.db && syncdiff hub.db rows.db
'

# An earlier version's site has no checksum column: opening it adds one,
# empty, and only a manifest reads every row to fill it.
test_expect_success 'a site made before checksums were kept fills them at its first manifest' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db "drop index syncpack_record_stale; drop table syncpack_unmapped;
		alter table syncpack_record drop column checksum;
		alter table syncpack_table drop column checksum_shape;
		alter table syncpack_site drop column checksum_lseq" &&
	sqlite3 a.db "update c set v = '\''old'\'' where id = 1" &&
	fold a.db &&
	test "$(kept a.db)" = 0 &&
	test -z "$(sqlite3 a.db "select checksum_lseq from syncpack_site")" &&
	sqlite3 a.db "delete from p where id = 2" && fold a.db &&
	test -z "$(sqlite3 a.db "select * from syncpack_unmapped")" &&
	expect_code 1 syncdiff --summary a.db before.db &&
	grep -qx "differs 4" out &&
	test "$(kept a.db)" = 7 &&
	from_rows a.db rows.db && syncdiff a.db rows.db
'

# The application drops a tracked table: the other tables' records still
# get their checksums, and every tool still opens the site.
test_expect_success 'a tracked table dropped by the application stops no tool' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db "drop table nc; update c set v = '\''after'\'' where id = 1" &&
	syncadm tables -d a.db >/dev/null &&
	expect_code 1 syncdiff --table c a.db before.db &&
	test "$(cut -f1,2 out)" = "differs	c" &&
	from_rows a.db rows.db && syncdiff --table c a.db rows.db
'

# Another writer holds the site: the manifest cannot refresh the stale
# checksums (nothing is written: the stored shape stays) and reads the
# rows instead of trusting them.
test_expect_success 'a site another writer holds is compared from its rows' '
	one_site a.db && cp a.db before.db &&
	sqlite3 a.db "alter table p add column extra text default '\''d'\''" &&
	shape=$(sqlite3 a.db "select checksum_shape from syncpack_table where name = '\''p'\''") &&
	{ (echo "begin immediate;"; while [ ! -f done ]; do sleep 0.1; done;
	    echo "commit;") | sqlite3 a.db & } &&
	until ! sqlite3 -cmd ".timeout 0" a.db "begin immediate; rollback" 2>/dev/null; do
		sleep 0.1
	done &&
	SYNCPACK_BUSY_TIMEOUT=0 syncdiff --summary --table p a.db before.db >out;
	rc=$? && touch done && wait && test $rc = 1 &&
	grep -qx "differs 2" out &&
	test "$(sqlite3 a.db "select checksum_shape from syncpack_table where name = '\''p'\''")" = "$shape"
'

test_done
