#!/bin/sh
# t0320-keys: every table of a real schema travels: composite primary keys
# (their reference columns translated like any reference), WITHOUT ROWID
# tables, tables without a primary key (rows named by their rowid), and an
# update of a key column as a change of the same record (syncpack(7),
# "Keys").
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

chinook="$SYNCPACK_SRC/t/data/chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite"
chinook_tables="Artist Album Genre MediaType Track Employee Customer Invoice
	InvoiceLine Playlist PlaylistTrack"

# make_pair: hub ASOC (hub.db) and spoke BSOC (b.db) only, so that the
# hub purges what BSOC acknowledged as the spoke does.
make_pair() {
	syncadm init -d hub.db --site ASOC --hub 2>/dev/null &&
	syncadm init -d b.db --site BSOC 2>/dev/null &&
	syncadm peer add -d hub.db --site BSOC --key b.db.pub &&
	syncadm peer add -d b.db --site ASOC --key hub.db.pub &&
	mkdir usb
}

# make_chinook: hub ASOC holds the Chinook database, spoke BSOC the same
# schema, empty, with a playlist and a track of its own made first: its
# AUTOINCREMENT counters start past the hub's, so every id differs.
make_chinook() {
	cp "$chinook" hub.db && chmod 644 hub.db &&
	cp "$chinook" b.db && chmod 644 b.db &&
	sqlite3 b.db "delete from PlaylistTrack; delete from InvoiceLine;
		delete from Invoice; delete from Customer; delete from Employee;
		delete from Track; delete from Album; delete from Artist;
		delete from Genre; delete from MediaType; delete from Playlist;
		insert into Playlist(Name) values ('Spoke mix');
		insert into MediaType(Name) values ('Wax cylinder')" &&
	make_pair &&
	for t in $chinook_tables; do
		syncadm track -d hub.db $t && syncadm track -d b.db $t || return 1
	done
}

# exchange: the spoke sends, the hub applies and answers, both acknowledge.
exchange() {
	send b.db ASOC && recv hub.db &&
	send hub.db BSOC && recv b.db &&
	ack b.db ASOC && recv hub.db && ack hub.db BSOC && recv b.db
}

# tbl_id NAME: the id of a tracked table, for the SQL below.
tbl_id() {
	echo "(select id from syncpack_table where name = '$1')"
}

# playlists DB: every PlaylistTrack record as GUIDs only: the record's,
# its playlist's and its track's. Equal on two sites means the same
# playlists hold the same tracks, whatever the local ids.
playlists() {
	sqlite3 "$1" "select r.guid, rp.guid, rt.guid from PlaylistTrack x
		join syncpack_record r on r.tbl = $(tbl_id PlaylistTrack)
			and r.rkey = x.PlaylistId || ',' || x.TrackId
		join syncpack_record rp on rp.tbl = $(tbl_id Playlist) and rp.rkey = x.PlaylistId
		join syncpack_record rt on rt.tbl = $(tbl_id Track) and rt.rkey = x.TrackId
		order by 1"
}

test_expect_success 'every Chinook table is tracked, PlaylistTrack by its two columns' '
	make_chinook &&
	syncadm tables -d hub.db >tables &&
	test "$(grep -c " tracked$" tables)" = 11 &&
	grep -q "^PlaylistTrack .* natural(PlaylistId,TrackId) " tables &&
	grep -q "^Track .* local(TrackId) " tables &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_record where tbl = $(tbl_id PlaylistTrack)")" = 8715 &&
	test "$(sqlite3 hub.db "select rkey from syncpack_record where tbl = $(tbl_id PlaylistTrack) order by lseq limit 1")" = "1,3402"
'

test_expect_success 'the initial load gives a spoke with other ids the same playlists' '
	make_chinook &&
	exchange &&
	test "$(sqlite3 b.db "select count(*) from PlaylistTrack")" = 8715 &&
	test "$(sqlite3 b.db "select min(PlaylistId) from PlaylistTrack")" -gt 18 &&
	test "$(sqlite3 b.db "select min(TrackId) from PlaylistTrack")" -gt 3503 &&
	playlists hub.db >hub.pl && playlists b.db >b.pl &&
	test "$(wc -l <b.pl)" = 8715 &&
	cmp hub.pl b.pl &&
	syncdiff hub.db b.db
'

test_expect_success 'changes both ways: links added, removed and re-pointed, by the key' '
	make_chinook &&
	send hub.db BSOC && recv b.db && ack b.db ASOC && recv hub.db &&
	mix=$(sqlite3 b.db "select PlaylistId from Playlist where Name = \"Spoke mix\"") &&
	grunge=$(sqlite3 b.db "select PlaylistId from Playlist where Name = \"Grunge\"") &&
	sqlite3 b.db "insert into PlaylistTrack select $mix, TrackId from PlaylistTrack where PlaylistId = $grunge;
		delete from PlaylistTrack where PlaylistId = $grunge and TrackId % 2 = 0" &&
	sqlite3 hub.db "delete from PlaylistTrack where PlaylistId = 18;
		update PlaylistTrack set TrackId = 3503 where PlaylistId = 17 and TrackId = 1278;
		insert into Playlist(Name) values (\"Hub picks\");
		insert into PlaylistTrack values (last_insert_rowid(), 3503)" &&
	fold hub.db &&
	guid=$(sqlite3 hub.db "select guid from syncpack_record where tbl = $(tbl_id PlaylistTrack) and rkey = \"17,3503\"") &&
	test "$(sqlite3 hub.db "select rowversion from syncpack_record where guid = \"$guid\"")" = 2 &&
	exchange && exchange &&
	playlists hub.db >hub.pl && playlists b.db >b.pl && cmp hub.pl b.pl &&
	test "$(sqlite3 hub.db "select count(*) from PlaylistTrack p join Playlist l using (PlaylistId) where l.Name = \"Spoke mix\"")" = 15 &&
	test "$(sqlite3 b.db "select count(*) from PlaylistTrack p join Playlist l using (PlaylistId) where l.Name = \"Hub picks\"")" = 1 &&
	test "$(sqlite3 b.db "select count(*) from PlaylistTrack where PlaylistId = (select PlaylistId from Playlist where Name = \"On-The-Go 1\")")" = 0 &&
	test "$(sqlite3 b.db "select t.Name from PlaylistTrack p join Track t using (TrackId) join syncpack_record r on r.tbl = $(tbl_id PlaylistTrack) and r.rkey = p.PlaylistId || \",\" || p.TrackId where r.guid = \"$guid\"")" = Koyaanisqatsi &&
	syncdiff hub.db b.db
'

test_expect_success 'a lost file and a restored backup: reconciliation repairs PlaylistTrack' '
	make_chinook &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncadm peer set -d b.db --site ASOC --no-seal &&
	send hub.db BSOC && recv b.db && ack b.db ASOC && recv hub.db &&
	cp b.db backup.db &&
	sqlite3 b.db "delete from PlaylistTrack where TrackId in (select TrackId from Track where Name like \"A%\")" &&
	send b.db ASOC && recv hub.db && ack hub.db BSOC && recv b.db &&
	cp backup.db b.db &&
	expect_code 1 syncdiff hub.db b.db --table PlaylistTrack &&
	reconcile b.db BSOC &&
	syncdiff hub.db b.db &&
	playlists hub.db >hub.pl && playlists b.db >b.pl && cmp hub.pl b.pl
'

# counts DB: each play count's GUID with its PlaylistTrack record's GUID.
counts() {
	sqlite3 "$1" "select rc.guid, coalesce(rp.guid, 'none'), c.n from play_count c
		join syncpack_record rc on rc.tbl = $(tbl_id play_count) and rc.rkey = c.id
		left join syncpack_record rp on rp.tbl = $(tbl_id PlaylistTrack)
			and rp.rkey = c.pl || ',' || c.tr
		order by 1"
}

test_expect_success 'a reference to a composite key travels as its GUID, translated at the spoke' '
	make_chinook &&
	for db in hub.db b.db; do
		sqlite3 $db "create table play_count(id integer primary key, pl integer, tr integer,
			n integer, foreign key (tr, pl) references PlaylistTrack(TrackId, PlaylistId))" &&
		syncadm track -d $db play_count || return 1
	done &&
	test "$(sqlite3 hub.db "select group_concat(col || \">\" || parent_col, \" \") from (select * from syncpack_fk where tbl = $(tbl_id play_count) order by col)")" = "pl>PlaylistId tr>TrackId" &&
	sqlite3 hub.db "insert into play_count(pl, tr, n) values (1, 3402, 7), (17, 1278, 2), (null, 1, 0)" &&
	exchange &&
	counts hub.db >hub.c && counts b.db >b.c && cmp hub.c b.c &&
	test "$(grep -c none b.c)" = 1 &&
	test "$(sqlite3 b.db "select count(*) from play_count c join PlaylistTrack p on p.PlaylistId = c.pl and p.TrackId = c.tr")" = 2 &&
	test "$(sqlite3 b.db "select min(pl) from play_count")" -gt 18 &&
	pl=$(sqlite3 b.db "select pl from play_count where n = 2") &&
	sqlite3 b.db "update play_count set n = 3 where n = 2; insert into play_count(pl, tr, n)
		select PlaylistId, TrackId, 9 from PlaylistTrack where PlaylistId = $pl and TrackId <> (select tr from play_count where n = 3) limit 1" &&
	exchange &&
	counts hub.db >hub.c && counts b.db >b.c && cmp hub.c b.c &&
	test "$(sqlite3 hub.db "select count(*) from play_count c join PlaylistTrack p on p.PlaylistId = c.pl and p.TrackId = c.tr where c.pl = 17")" = 2 &&
	syncdiff hub.db b.db &&
	sqlite3 b.db "delete from PlaylistTrack where (PlaylistId, TrackId) in (select pl, tr from play_count where n = 3)" &&
	sqlite3 hub.db "insert into play_count(pl, tr, n) values (17, 1278, 4)" &&
	exchange && exchange &&
	test "$(sqlite3 b.db "select count(*) from play_count c join PlaylistTrack p on p.PlaylistId = c.pl and p.TrackId = c.tr where c.n in (3, 4)")" = 2 &&
	counts hub.db >hub.c && counts b.db >b.c && cmp hub.c b.c &&
	syncdiff hub.db b.db
'

ol_schema='
create table orders(ord text primary key, customer text);
create table order_line(ord text not null references orders(ord), line integer not null,
	item text, qty real, primary key (ord, line)) without rowid;
create table odd_key(k1, k2, v, primary key (k1, k2)) without rowid;
create table event(what text, at text);'

# make_lines: hub and spoke with orders, their (order, line) lines, a
# table keyed by values of every type, and an event table without a key.
make_lines() {
	make_pair &&
	for db in hub.db b.db; do
		sqlite3 $db "$ol_schema" &&
		for t in orders order_line odd_key event; do
			syncadm track -d $db $t || return 1
		done
	done
}

test_expect_success 'an (order, line) table: lines renumbered and removed travel as the same records' '
	make_lines &&
	sqlite3 b.db "insert into orders values (\"O-1\", \"Dupont\");
		insert into order_line values (\"O-1\", 1, \"pen\", 2), (\"O-1\", 2, \"ink\", 1), (\"O-1\", 3, \"pad\", 5)" &&
	exchange &&
	g2=$(sqlite3 hub.db "select guid from syncpack_record where rkey = quote(\"O-1\") || \",2\"") && test -n "$g2" &&
	sqlite3 b.db "delete from order_line where line = 1; update order_line set line = line - 1" &&
	exchange &&
	test "$(sqlite3 hub.db "select line, item from order_line order by line" | tr "\n" " ")" = "1|ink 2|pad " &&
	test "$(sqlite3 hub.db "select rkey = quote(\"O-1\") || \",1\" and rowversion = 2 from syncpack_record where guid = \"$g2\"")" = 1 &&
	sqlite3 hub.db "update order_line set qty = 9 where ord = \"O-1\" and line = 2" &&
	exchange &&
	test "$(sqlite3 b.db "select qty from order_line where line = 2")" = 9.0 &&
	syncdiff hub.db b.db
'

test_expect_success 'key values of every type, quotes, commas and NUL bytes among them, keep their identity' '
	make_lines &&
	sqlite3 b.db "insert into odd_key values (1, \"a,b\", 1), (\"it'"'"'s\", 0.1, 2),
		(x'"'"'00ff'"'"', -9223372036854775808, 3), (cast(x'"'"'610062'"'"' as text), 1e300, 4),
		(2.0/3, \"\", 5), (\"1\", 1, 6)" &&
	exchange &&
	test "$(sqlite3 hub.db "select count(*) from odd_key")" = 6 &&
	sqlite3 b.db "select quote(k1), quote(k2), typeof(k1), typeof(k2), v from odd_key order by v" >b.rows &&
	sqlite3 hub.db "select quote(k1), quote(k2), typeof(k1), typeof(k2), v from odd_key order by v" >hub.rows &&
	cmp b.rows hub.rows &&
	test "$(sqlite3 hub.db "select hex(k1) from odd_key where v = 4")" = 610062 &&
	sqlite3 hub.db "update odd_key set v = v * 10" &&
	exchange &&
	test "$(sqlite3 b.db "select group_concat(v, \" \") from (select v from odd_key order by v)")" = "10 20 30 40 50 60" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_record where tbl = $(tbl_id odd_key) and rowversion = 2")" = 6 &&
	syncdiff hub.db b.db
'

test_expect_success 'a table without a primary key: rows named by rowid, renumbered per site' '
	make_lines &&
	sqlite3 hub.db "insert into event values (\"boot\", \"08:00\"), (\"boot\", \"08:00\")" &&
	sqlite3 b.db "insert into event values (\"spoke\", \"07:00\")" &&
	exchange &&
	test "$(sqlite3 b.db "select rowid || what from event order by rowid" | tr "\n" " ")" = "1spoke 2boot 3boot " &&
	test "$(sqlite3 hub.db "select rowid || what from event order by rowid" | tr "\n" " ")" = "1boot 2boot 3spoke " &&
	syncadm tables -d hub.db | grep -q "^event .* local(rowid) " &&
	sqlite3 b.db "update event set at = \"09:00\" where rowid = 2; delete from event where rowid = 3" &&
	exchange &&
	test "$(sqlite3 hub.db "select rowid || \"|\" || at from event order by rowid" | tr "\n" " ")" = "1|09:00 3|07:00 " &&
	syncdiff hub.db b.db
'

test_expect_success 'a NULL in a composite key is refused, at track and at the insert' '
	make_sites &&
	sqlite3 b.db "create table pair(a, b, v, primary key (a, b)); insert into pair values (1, null, 1)" &&
	expect_code 2 syncadm track -d b.db pair &&
	expect_err "pair: a row has NULL in a column of its primary key" &&
	sqlite3 b.db "delete from pair" && syncadm track -d b.db pair &&
	! sqlite3 b.db "insert into pair values (null, 2, 2)" 2>err &&
	grep -q "pair: a column of the primary key is NULL" err &&
	test "$(sqlite3 b.db "select count(*) from pair")" = 0
'

test_expect_success 'locks take the key columns, comma-separated or one argument each' '
	make_lines &&
	sqlite3 b.db "insert into orders values (\"O,2\", \"x\"), (\"O-1\", \"y\");
		insert into order_line values (\"O-1\", 1, \"pen\", 1), (\"O,2\", 7, \"ink\", 1)" &&
	expect_code 0 syncadm lock -d b.db order_line O-1,1 --by till &&
	expect_code 0 syncadm lock -d b.db order_line "O,2" 7 &&
	expect_code 1 syncadm lock -d b.db order_line O-1 1 &&
	expect_err "order_line O-1,1 is already locked" &&
	expect_code 2 syncadm lock -d b.db order_line O-1 &&
	expect_err "order_line: the key has 2 columns, 1 value given" &&
	expect_code 2 syncadm lock -d b.db order_line O-9,1 &&
	expect_err "order_line: no row with that key" &&
	expect_code 2 syncadm lock -d b.db orders O-1 extra &&
	expect_err "orders: the key has one column, 2 values given" &&
	syncadm locks -d b.db >locks &&
	grep -q "^order_line  *'"'"'O-1'"'"',1  *till " locks &&
	send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from order_line")" = 0 &&
	expect_code 0 syncadm unlock -d b.db order_line O-1 1 &&
	expect_code 0 syncadm unlock -d b.db order_line "O,2" 7 &&
	send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from order_line")" = 2
'

test_expect_success 'a record with a composite key moves by its GUID, the whole record' '
	make_pair &&
	for db in hub.db b.db; do
		sqlite3 $db "create table job_step(job text, step integer, what text,
			primary key (job, step)) without rowid" &&
		syncadm track -d $db job_step --owner creator --movable || return 1
	done &&
	sqlite3 b.db "insert into job_step values (\"J1\", 1, \"drill\"), (\"J1\", 2, \"seal\")" &&
	fold b.db &&
	g=$(sqlite3 b.db "select guid from syncpack_record where rkey = quote(\"J1\") || \",2\"") &&
	expect_code 2 syncpack -d b.db --to ASOC --move job_step:J1,2 -o usb &&
	expect_err "job_step: its key has several columns: name the record by its GUID" &&
	syncpack -d b.db --to ASOC --move job_step:$g -o usb 2>>log &&
	! sqlite3 b.db "update job_step set what = \"x\" where step = 2" 2>/dev/null &&
	recv hub.db && ack hub.db BSOC && recv b.db &&
	test "$(sqlite3 hub.db "select job || step || what from job_step")" = J12seal &&
	test "$(sqlite3 b.db "select job || step || what from job_step")" = J11drill &&
	test "$(sqlite3 hub.db "select rkey = quote(\"J1\") || \",2\" from syncpack_record where guid = \"$g\"")" = 1
'

test_expect_success 'manual conflicts on composite-key and keyless tables resolve either way' '
	make_lines &&
	for db in hub.db b.db; do
		syncadm track -d $db order_line --conflict manual &&
		syncadm track -d $db event --conflict manual || return 1
	done &&
	sqlite3 hub.db "insert into orders values (\"O-1\", \"D\");
		insert into order_line values (\"O-1\", 1, \"pen\", 1);
		insert into event values (\"boot\", \"08:00\")" &&
	exchange &&
	sqlite3 b.db "update order_line set qty = 2; update event set at = \"09:00\"" &&
	sqlite3 hub.db "update order_line set qty = 3; update event set at = \"10:00\"" &&
	send b.db ASOC && recv hub.db &&
	test "$(syncadm conflicts -d hub.db | grep -c unresolved)" = 2 &&
	expect_code 0 syncadm conflicts -d hub.db resolve 1 --keep remote &&
	expect_code 0 syncadm conflicts -d hub.db resolve 2 --keep remote &&
	test "$(sqlite3 hub.db "select qty from order_line")" = 2.0 &&
	test "$(sqlite3 hub.db "select at from event")" = 09:00 &&
	exchange &&
	test "$(sqlite3 b.db "select qty || at from order_line, event")" = 2.009:00 &&
	sqlite3 b.db "update order_line set qty = 4; update event set at = \"11:00\"" &&
	sqlite3 hub.db "update order_line set qty = 5; update event set at = \"12:00\"" &&
	send b.db ASOC && recv hub.db &&
	expect_code 0 syncadm conflicts -d hub.db resolve 3 --keep local &&
	expect_code 0 syncadm conflicts -d hub.db resolve 4 --keep local &&
	exchange &&
	test "$(sqlite3 b.db "select qty || at from order_line, event")" = 5.012:00 &&
	syncdiff hub.db b.db
'

test_expect_success 'ownership, freeze and central rules hold on composite-key and keyless tables' '
	make_pair &&
	for db in hub.db b.db; do
		sqlite3 $db "create table line(doc text, n integer, qty real, primary key (doc, n)) without rowid;
			create table price(shop text, item text, amount real, primary key (shop, item));
			create table log(what text)" &&
		syncadm track -d $db line --owner creator --freeze &&
		syncadm track -d $db price --owner central &&
		syncadm track -d $db log --owner creator || return 1
	done &&
	sqlite3 hub.db "insert into line values (\"H\", 1, 1); insert into price values (\"B\", \"pen\", 2);
		insert into log values (\"hub\")" &&
	sqlite3 b.db "insert into line values (\"B\", 1, 1); insert into log values (\"spoke\")" &&
	exchange &&
	! sqlite3 b.db "update line set qty = 9 where doc = \"H\"" 2>err &&
	grep -q "line: record is owned by another site" err &&
	! sqlite3 b.db "update log set what = \"x\" where what = \"hub\"" 2>err &&
	grep -q "log: record is owned by another site" err &&
	! sqlite3 b.db "update price set amount = 1" 2>err &&
	grep -q "price is a central table" err &&
	! sqlite3 b.db "update line set n = 2 where doc = \"B\"" 2>err &&
	grep -q "line: record is frozen" err &&
	sqlite3 b.db "update log set what = \"spoke!\" where what = \"spoke\"" &&
	test "$(sqlite3 b.db "select qty from line where doc = \"H\"")" = 1.0
'

test_expect_success 'records exchanging their keys in one file take each other'"'"'s, a taken key is still refused' '
	make_lines &&
	sqlite3 b.db "insert into orders values (\"O-1\", \"D\");
		insert into order_line values (\"O-1\", 1, \"pen\", 1), (\"O-1\", 2, \"ink\", 2),
			(\"O-1\", 3, \"pad\", 3)" &&
	exchange &&
	sqlite3 b.db "update order_line set line = 99 where line = 1;
		update order_line set line = 1 where line = 3;
		update order_line set line = 3 where line = 2;
		update order_line set line = 2 where line = 99" &&
	send b.db ASOC && recv hub.db &&
	grep -q "applied 3, skipped 0, conflicts 0, rejected 0" log &&
	test "$(sqlite3 hub.db "select line || item from order_line order by line" | tr "\n" " ")" = "1pad 2pen 3ink " &&
	syncdiff hub.db b.db &&
	test "$(sqlite3 hub.db "select count(*) from order_line where typeof(ord) = \"blob\"")" = 0 &&
	sqlite3 hub.db "insert into order_line values (\"O-1\", 5, \"hub\", 0)" &&
	sqlite3 b.db "update order_line set line = 5 where line = 2" &&
	send b.db ASOC && expect_code 1 syncunpack -d hub.db usb &&
	grep -q "rejected 1" err &&
	test "$(sqlite3 hub.db "select line || item from order_line order by line" | tr "\n" " ")" = "1pad 2pen 3ink 5hub " &&
	test "$(sqlite3 hub.db "select count(*) from order_line where typeof(ord) = \"blob\"")" = 0
'

test_expect_success 'two sites creating one natural key: one record at both, the later values' '
	make_lines &&
	sqlite3 hub.db "insert into orders values (\"O-1\", \"D\");
		insert into order_line values (\"O-1\", 1, \"hub pen\", 1)" &&
	exchange &&
	sqlite3 hub.db "insert into order_line values (\"O-1\", 2, \"hub ink\", 1)" &&
	sqlite3 b.db "insert into order_line values (\"O-1\", 2, \"spoke ink\", 1)" &&
	exchange && exchange &&
	! grep -q "rejected [1-9]" log &&
	for db in hub.db b.db; do
		test "$(sqlite3 $db "select item from order_line where line = 2")" = "spoke ink" &&
		sqlite3 $db "select r.guid from syncpack_record r where r.tbl = $(tbl_id order_line)
			and not r.deleted and r.rkey = quote(\"O-1\") || \",2\"" >>guids || return 1
	done &&
	test "$(sort -u guids | wc -l)" = 1 &&
	test "$(sort guids | head -1)" = "$(sqlite3 hub.db "select min(guid) from syncpack_record
		where tbl = $(tbl_id order_line) and (merged is not null or rkey = quote(\"O-1\") || \",2\")")" &&
	syncdiff hub.db b.db
'

test_expect_success 'a swapping write refused for another reason leaves no parked row' '
	make_pair &&
	for db in hub.db b.db; do
		sqlite3 $db "create table t(a int, b int, u text unique, primary key (a, b))" &&
		syncadm track -d $db t || return 1
	done &&
	sqlite3 b.db "insert into t values (1, 1, \"r1\"), (1, 2, \"r2\")" &&
	exchange &&
	sqlite3 hub.db "insert into t values (9, 9, \"x\")" &&
	sqlite3 b.db "update t set b = 99 where b = 1; update t set b = 1 where b = 2;
		update t set b = 2, u = \"x\" where b = 99" &&
	send b.db ASOC && expect_code 1 syncunpack -d hub.db usb &&
	grep -q "rejected 2" err &&
	test "$(sqlite3 hub.db "select count(*) from t where typeof(a) = \"blob\" or typeof(b) = \"blob\"")" = 0 &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_record where typeof(rkey) = \"blob\" or rkey like \"%X%\"")" = 0 &&
	test "$(sqlite3 hub.db "select b || u from t order by b" | tr "\n" " ")" = "1r1 2r2 9x "
'

test_expect_success 'a lock follows its record through a key change; overlapping references travel' '
	make_lines &&
	sqlite3 b.db "insert into orders values (\"O-1\", \"D\");
		insert into order_line values (\"O-1\", 1, \"pen\", 1)" &&
	syncadm lock -d b.db order_line O-1,1 &&
	sqlite3 b.db "update order_line set line = 7; insert into order_line values (\"O-1\", 1, \"new\", 1)" &&
	syncadm locks -d b.db | grep -q "^order_line  *'"'"'O-1'"'"',7 " &&
	send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select line || item from order_line")" = 1new &&
	for db in hub.db b.db; do
		sqlite3 $db "create table line_note(ord text references orders(ord), line integer,
			note text, foreign key (ord, line) references order_line(ord, line))" &&
		syncadm track -d $db line_note || return 1
	done &&
	sqlite3 hub.db "insert into line_note values (\"O-1\", 1, \"fragile\")" &&
	send hub.db BSOC && recv b.db &&
	test "$(sqlite3 b.db "select note from line_note")" = fragile &&
	syncadm tables -d b.db >/dev/null &&
	sqlite3 b.db "create table odd(\"[k]\" text primary key)" &&
	expect_code 2 syncadm track -d b.db odd &&
	expect_err "odd: a key column whose name starts with \[ is not supported"
'

test_done
