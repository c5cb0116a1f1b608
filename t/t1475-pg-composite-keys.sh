#!/bin/sh
# Composite keys through a PostgreSQL hub (t0320's cases with the hub on
# PostgreSQL): a link table whose key columns are references to local
# keys, numbered differently at every site, and an (order, line) table
# whose lines are renumbered and swap their keys. A table without a key,
# and a reference of several columns, are refused with their reason.
. "$SYNCPACK_SRC/t/pg-hub-lib.sh"

links_schema='
create table playlist(id integer primary key, name text);
create table track(id integer primary key, name text);
create table playlist_track(playlist_id integer references playlist(id),
	track_id integer references track(id), primary key (playlist_id, track_id));
create table orders(ord text primary key, who text);
create table order_line(ord text references orders(ord), line integer,
	item text, qty real, primary key (ord, line));'

links_schema_pg='
create table playlist(id serial primary key, name text);
create table track(id serial primary key, name text);
create table playlist_track(playlist_id integer references playlist(id),
	track_id integer references track(id), primary key (playlist_id, track_id));
create table orders(ord text primary key, who text);
create table order_line(ord text references orders(ord), line integer,
	item text, qty double precision, primary key (ord, line));'

# make_links: the hub on PostgreSQL, BSOC and CSOC on SQLite; the hub
# numbers a playlist and a track of its own first, so ids differ.
make_links() {
	make_pg_hub_sites && mkdir usb && pg_sql -c "$links_schema_pg" &&
	pg_sql -c "insert into playlist(name) values ('hub list');
		insert into track(name) values ('hub track')" &&
	sqlite3 b.db "$links_schema" && sqlite3 c.db "$links_schema" &&
	for db in "$HUB" b.db c.db; do
		for t in playlist track playlist_track orders order_line; do
			syncadm track -d "$db" $t || return 1
		done
	done
}

# links DB: each link as its playlist's and track's names, sorted.
links() {
	site_sql "$1" "select p.name || '|' || t.name from playlist_track x
		join playlist p on p.id = x.playlist_id join track t on t.id = x.track_id
		order by 1"
}

# links_alike: the same links at the hub, BSOC and CSOC (and some).
links_alike() {
	links "$HUB" >links.hub && links b.db >links.b && links c.db >links.c &&
	test -s links.hub && cmp links.hub links.b && cmp links.hub links.c
}

# lines DB: the order lines as line and item, in line order.
lines() {
	site_sql "$1" "select line || item from order_line order by line" |
		tr "\n" " "
}

test_expect_success 'composite keys are tracked on a PostgreSQL hub by their columns in key order' '
	make_links &&
	syncadm tables -d "$HUB" >tables &&
	grep -q "^playlist_track .* natural(playlist_id,track_id) .*tracked$" tables &&
	grep -q "^order_line .* natural(ord,line) .*tracked$" tables &&
	pg_sql -c "insert into playlist_track values (1, 1)" &&
	syncadm status -d "$HUB" >/dev/null &&
	test "$(pg_sql -c "select rkey from syncpack.record r join syncpack.tracked_table t on t.id = r.tbl where t.name = '"'"'playlist_track'"'"'")" = "[1, 1]"
'

test_expect_success 'links made at a spoke with other ids link the same playlists everywhere' '
	make_links &&
	sqlite3 b.db "insert into playlist(name) values (\"mix\"), (\"road\");
		insert into track(name) values (\"t1\"), (\"t2\"), (\"t3\");
		insert into playlist_track values (1, 1), (1, 2), (2, 2), (2, 3)" &&
	round &&
	test "$(pg_sql -c "select min(id) from playlist where name <> '"'"'hub list'"'"'")" = 2 &&
	links_alike &&
	test "$(wc -l <links.hub)" = 4 &&
	grep -qx "road|t3" links.hub &&
	syncdiff "$HUB" b.db && syncdiff b.db "$HUB"
'

test_expect_success 'changes both ways: links re-pointed and removed at the hub, added at a spoke' '
	make_links &&
	sqlite3 b.db "insert into playlist(name) values (\"mix\");
		insert into track(name) values (\"t1\"), (\"t2\");
		insert into playlist_track values (1, 1), (1, 2)" &&
	round &&
	g=$(pg_sql -c "select r.guid from syncpack.record r join syncpack.tracked_table tt on tt.id = r.tbl
		join playlist_track x on r.rkey = jsonb_build_array(x.playlist_id, x.track_id)::text
		join track t on t.id = x.track_id where tt.name = '"'"'playlist_track'"'"' and t.name = '"'"'t1'"'"'") &&
	test -n "$g" &&
	pg_sql -c "update playlist_track set track_id = 1 where track_id = (select id from track where name = '"'"'t1'"'"');
		delete from playlist_track where track_id = (select id from track where name = '"'"'t2'"'"')" &&
	sqlite3 c.db "insert into track(name) values (\"t3\");
		insert into playlist_track select p.id, t.id from playlist p, track t
		where p.name = \"mix\" and t.name = \"t3\"" &&
	round && round &&
	links_alike &&
	test "$(cat links.hub | tr "\n" " ")" = "mix|hub track mix|t3 " &&
	test "$(pg_sql -c "select rowversion from syncpack.record where guid = '"'"'$g'"'"'")" = 2 &&
	test "$(sqlite3 b.db "select t.name from playlist_track x join track t on t.id = x.track_id
		join syncpack_record r on r.rkey = x.playlist_id || \",\" || x.track_id
		where r.guid = \"$g\"")" = "hub track" &&
	syncdiff "$HUB" c.db
'

test_expect_success 'order lines renumbered, removed and swapped travel as the same records' '
	make_links &&
	sqlite3 b.db "insert into orders values (\"O-1\", \"Dupont\");
		insert into order_line values (\"O-1\", 1, \"pen\", 2), (\"O-1\", 2, \"ink\", 1),
			(\"O-1\", 3, \"pad\", 5), (\"O-1\", 4, \"cap\", 1)" &&
	round &&
	g2=$(pg_sql -c "select guid from syncpack.record where rkey = '"'"'[\"O-1\", 2]'"'"'") &&
	test -n "$g2" &&
	sqlite3 b.db "delete from order_line where line = 1; update order_line set line = line - 1" &&
	round &&
	test "$(lines "$HUB")" = "1ink 2pad 3cap " &&
	test "$(pg_sql -c "select rkey || rowversion from syncpack.record where guid = '"'"'$g2'"'"'")" = "[\"O-1\", 1]2" &&
	sqlite3 b.db "update order_line set line = 99 where line = 1;
		update order_line set line = 1 where line = 3;
		update order_line set line = 3 where line = 2;
		update order_line set line = 2 where line = 99" &&
	send b.db ASOC && recv "$HUB" &&
	grep -q "applied 3, skipped 0, conflicts 0, rejected 0" log &&
	test "$(lines "$HUB")" = "1cap 2ink 3pad " &&
	test "$(pg_sql -c "select count(*) from order_line where line < 0")" = 0 &&
	pg_sql -c "update order_line set qty = 9 where line = 2" &&
	round &&
	test "$(lines c.db)" = "1cap 2ink 3pad " &&
	test "$(sqlite3 c.db "select qty from order_line where line = 2")" = 9.0 &&
	syncdiff "$HUB" b.db && syncdiff "$HUB" c.db
'

test_expect_success 'a lock on a composite key holds its record back at the hub' '
	make_links &&
	sqlite3 b.db "insert into orders values (\"O-1\", \"D\");
		insert into order_line values (\"O-1\", 1, \"pen\", 1)" &&
	round &&
	syncadm lock -d "$HUB" order_line O-1,1 &&
	syncadm locks -d "$HUB" >locks && grep -q "order_line" locks &&
	pg_sql -c "update order_line set qty = 7" &&
	syncpack -d "$HUB" --to BSOC -o usb 2>>log && recv b.db &&
	test "$(sqlite3 b.db "select qty from order_line")" = 1.0 &&
	syncadm unlock -d "$HUB" order_line O-1 1 &&
	syncpack -d "$HUB" --to BSOC -o usb 2>>log && recv b.db &&
	test "$(sqlite3 b.db "select qty from order_line")" = 7.0
'

test_expect_success 'two spokes linking the same playlist and track make one link everywhere' '
	make_links &&
	round &&
	sqlite3 b.db "insert into playlist_track values (1, 1)" &&
	sqlite3 c.db "insert into playlist_track values (1, 1)" &&
	send b.db ASOC && recv "$HUB" &&
	send c.db ASOC && expect_code 1 syncunpack -d "$HUB" usb &&
	grep -q "conflicts 1" err &&
	test "$(pg_sql -c "select count(*) from playlist_track")" = 1 &&
	test "$(pg_sql -c "select count(*) from syncpack.record where merged is not null")" = 1 &&
	round && round && round &&
	links_alike && test "$(wc -l <links.hub)" = 1 &&
	syncdiff "$HUB" b.db && syncdiff c.db "$HUB"
'

test_expect_success 'a site made before composite keys gets their functions when a tool opens it' '
	make_links &&
	pg_sql -c "drop function syncpack.rkey_of(jsonb, text)" &&
	syncadm status -d "$HUB" >/dev/null &&
	test "$(pg_sql -c "select syncpack.rkey_of('"'"'{\"a\": 1, \"b\": \"x\"}'"'"', '"'"'[\"b\", \"a\"]'"'"')")" = "[\"x\", 1]" &&
	pg_sql -c "insert into playlist_track values (1, 1)" &&
	syncadm status -d "$HUB" >/dev/null &&
	test "$(pg_sql -c "select rkey from syncpack.record where rkey like '"'"'[%'"'"'")" = "[1, 1]"
'

test_expect_success 'a table without a key and a reference of several columns are refused, with why' '
	make_links &&
	pg_sql -c "create table note(body text);
		create table line_note(ord text, line integer, body text,
			foreign key (ord, line) references order_line(ord, line))" &&
	expect_code 2 syncadm track -d "$HUB" note &&
	expect_err "note: has no primary key; a PostgreSQL site tracks tables by their key \\(add one\\)$" &&
	pg_sql -c "alter table line_note add column id serial primary key" &&
	expect_code 2 syncadm track -d "$HUB" line_note &&
	expect_err "line_note: foreign key line_note_ord_line_fkey refers to order_line by several columns; such references are not yet available on a PostgreSQL site$" &&
	test "$(pg_sql -c "select count(*) from syncpack.tracked_table where name = '"'"'line_note'"'"'")" = 0
'

test_done
