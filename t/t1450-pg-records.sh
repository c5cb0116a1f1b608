#!/bin/sh
# The record store of a PostgreSQL site (store/store.h), driven through
# t/pgstore: every column type travels and comes back unchanged, an
# apply is silent to the capture and guard triggers, lseq order is commit
# order with a writer working meanwhile, a savepoint undoes one record,
# and the lookups, tombstones, restamps and parking of the interface.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

PATH="$SYNCPACK_BUILD/t:$PATH"
trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

# site NAME ID [--hub]: a fresh database NAME initialised as site ID with
# item (every type, a local key), article (a natural text key, central)
# and stamp (a natural timestamptz key).
site() {
	pg_newdb "$1" &&
	pg_sql <<-'EOF' &&
	create table item(id serial primary key, code text unique,
	    price numeric(12,2), qty integer, big bigint, ok boolean, w real,
	    d double precision, data bytea, day date, at timestamp,
	    atz timestamptz, u uuid, j json, jb jsonb, tags text[],
	    nums int[]);
	create table article(code text primary key, label text);
	create table stamp(at timestamptz primary key, note text);
	EOF
	syncadm init -d "$PG_URI" --site "$2" ${3:-} --key "$2.key" --pub "$2.pub" 2>/dev/null &&
	syncadm track -d "$PG_URI" item &&
	syncadm track -d "$PG_URI" article --owner central &&
	syncadm track -d "$PG_URI" stamp
}

# fill: one row of every type, from psql.
fill() {
	pg_sql <<-'EOF'
	insert into item(code, price, qty, big, ok, w, d, data, day, at, atz,
	    u, j, jb, tags, nums) values ('A', 99.90, 3, 9223372036854775807,
	    true, 1.1, 0.30000000000000004, '\x00ff0000'::bytea, '2024-02-29',
	    '2024-01-01 10:00:00.123456', '2024-01-01 10:00:00+02',
	    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1,  "a":2}',
	    '{"b": 1, "a": 2}', '{x,"y z",NULL}', '{1,2}');
	insert into item(code, price) values ('B', 100);
	insert into item(code) values ('C');
	insert into article values ('PEN', 'pen');
	insert into stamp values ('2024-03-01 12:00:00.5+01', 'noon');
	EOF
}

# row_a: the travelling form of fill's first item.
row_a() {
	cat <<-'EOF'
	{"code":"A","price":"99.90","qty":3,"big":9223372036854775807,"ok":1,"w":1.1000000000000001,"d":0.30000000000000004,"data":{"base64":"AP8AAA=="},"day":"2024-02-29","at":"2024-01-01 10:00:00.123456","atz":"2024-01-01 08:00:00+00:00","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","j":"{\"b\": 1,  \"a\":2}","jb":"{\"a\": 2, \"b\": 1}","tags":"[\"x\",\"y z\",null]","nums":"[1,2]"}
	EOF
}

# rows: every application row, as psql prints it (the local id left out).
rows() {
	pg_sql -c "select code, price, qty, big, ok, w, d, data, day, at, atz, u, j, jb, tags, nums from item order by code" \
		-c "select * from article order by code" \
		-c "select * from stamp order by at"
}

# rec GUID TABLE ROW [DELETED]: an incoming version, as pgstore apply
# reads it, from site CSOC.
rec() {
	printf '{"guid":"%s","table":"%s","origin":"CSOC","owner":"CSOC","rowversion":1,"hlc":%s,"hlc_site":"CSOC","deleted":%s,"row":%s}\n' \
		"$1" "$2" "${HLC:-7000000000000000}" "${4:-0}" "$3"
}

test_expect_success 'every type is read as it travels' '
	site types1 ASOC --hub &&
	fill &&
	pgstore "$PG_URI" changes item >c &&
	grep "\"code\":\"A\"" c | sed "s/.*\"row\":{\"id\":[0-9]*,/{/; s/}\$//" >a.json &&
	row_a | diff - a.json &&
	test "$(jq -c "select(.row.code == \"B\") | .row.price" c)" = "\"100.00\"" &&
	test "$(pgstore "$PG_URI" changes stamp | jq -r .row.at)" = "2024-03-01 11:00:00.5+00:00" &&
	test "$(pgstore "$PG_URI" columns item | tr "\n" " ")" = "id code price qty big ok w d data day at atz u j jb tags nums "
'

test_expect_success 'every type comes back unchanged through another site' '
	site types2 ASOC --hub &&
	fill &&
	rows >a.rows &&
	pgstore "$PG_URI" changes >c &&
	site types3 BSOC &&
	expect_code 0 pgstore "$PG_URI" apply <c &&
	test ! -s out &&
	rows >b.rows &&
	diff a.rows b.rows &&
	grep -q "^A|99.90|" b.rows &&
	grep -q "|\\\\x00ff0000|" b.rows &&
	test "$(pg_sql -c "select length(data) from item where code = '"'"'A'"'"'")" = 4 &&
	test "$(pg_sql -c "select atz = '"'"'2024-01-01 08:00:00Z'"'"' from item where code = '"'"'A'"'"'")" = t &&
	pgstore "$PG_URI" changes >c2 &&
	test "$(jq -c "[.guid, .row] | del(.[1].id)" c)" = "$(jq -c "[.guid, .row] | del(.[1].id)" c2)"
'

test_expect_success 'values as a SQLite site stores them go into typed columns' '
	site sqlite1 BSOC &&
	{
		rec 00000000000000000000000000000001 item "{\"code\":\"S\",\"price\":99.9,\"ok\":0,\"w\":2.5,\"data\":{\"text_base64\":\"YQBi\"},\"atz\":\"2024-01-01 10:00:00+02:00\",\"at\":\"2024-01-01 10:00:00\",\"tags\":\"[\\\"a\\\",\\\"b\\\"]\",\"qty\":4.0}"
		rec 00000000000000000000000000000002 item "{\"code\":\"T\",\"ok\":\"true\",\"big\":\"12\"}"
	} >in &&
	expect_code 0 pgstore "$PG_URI" apply <in &&
	test ! -s out &&
	test "$(pg_sql -c "select price, ok, w, encode(data, '"'"'hex'"'"'), atz = '"'"'2024-01-01 08:00Z'"'"', at, tags[2], qty from item where code = '"'"'S'"'"'")" = "99.90|f|2.5|610062|t|2024-01-01 10:00:00|b|4" &&
	test "$(pg_sql -c "select ok, big from item where code = '"'"'T'"'"'")" = "t|12"
'

test_expect_success 'a value a column cannot hold is refused with a reason' '
	site refuse1 BSOC &&
	{
		rec 00000000000000000000000000000003 item "{\"code\":\"N\",\"qty\":\"many\"}"
		rec 00000000000000000000000000000004 article "{\"code\":{\"text_base64\":\"YQBi\"},\"label\":\"x\"}"
		rec 00000000000000000000000000000005 item "{\"code\":\"M\",\"tags\":\"[[\\\"a\\\"]]\"}"
	} >in &&
	for i in 1 2 3; do echo "{\"step\":\"savepoint\"}"; sed -n "${i}p" in; echo "{\"step\":\"rollback_to\"}"; echo "{\"step\":\"release\"}"; done >steps &&
	expect_code 0 pgstore "$PG_URI" apply <steps &&
	grep -q "^refused 00000000000000000000000000000003: .*invalid input syntax for type integer" out &&
	grep -q "^refused 00000000000000000000000000000004: article.code: text holding a NUL byte" out &&
	grep -q "^refused 00000000000000000000000000000005: item.tags: a multi-dimensional array does not travel" out &&
	test "$(pg_sql -c "select count(*) from item")" = 0
'

test_expect_success 'a key another row holds is told apart from other refusals' '
	site taken1 BSOC &&
	{
		rec 00000000000000000000000000000006 article "{\"code\":\"PEN\",\"label\":\"pen\"}"
		rec 00000000000000000000000000000007 item "{\"code\":\"K\"}"
		rec 00000000000000000000000000000008 article "{\"code\":\"PEN\",\"label\":\"other\"}"
		rec 00000000000000000000000000000009 item "{\"code\":\"K\"}"
	} >in &&
	{ sed -n 1,2p in; echo "{\"step\":\"savepoint\"}"; sed -n 3p in; echo "{\"step\":\"rollback_to\"}"; echo "{\"step\":\"release\"}"; echo "{\"step\":\"savepoint\"}"; sed -n 4p in; echo "{\"step\":\"rollback_to\"}"; echo "{\"step\":\"release\"}"; } >steps &&
	expect_code 0 pgstore "$PG_URI" apply <steps &&
	grep -q "^refused 00000000000000000000000000000008 (key taken): " out &&
	grep -q "^refused 00000000000000000000000000000009: .*duplicate key" out &&
	test "$(pg_sql -c "select label from article")" = pen &&
	test "$(pg_sql -c "select count(*) from item")" = 1
'

test_expect_success 'an apply is silent to capture and guards; local changes in any time zone find the record' '
	site silent1 BSOC &&
	{
		rec 00000000000000000000000000000010 article "{\"code\":\"PEN\",\"label\":\"pen\"}"
		rec 00000000000000000000000000000011 item "{\"id\":77,\"code\":\"I\"}"
		rec 00000000000000000000000000000012 stamp "{\"at\":\"2024-03-01 11:00:00.5+00:00\",\"note\":\"n\"}"
	} >in &&
	expect_code 1 pg_sql -c "insert into article values ('"'"'INK'"'"', '"'"'ink'"'"')" &&
	grep -q "central table" err &&
	PGTZ=America/New_York expect_code 0 pgstore "$PG_URI" apply <in &&
	test ! -s out &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 0 &&
	test "$(pg_sql -c "select label from article")" = pen &&
	test "$(pg_sql -c "select id from item")" != 77 &&
	test "$(pg_sql -c "select src is null, rowversion, lseq from syncpack.record where guid = '"'"'00000000000000000000000000000011'"'"'")" = "t|1|2" &&
	pg_sql -c "update item set qty = 5" -c "set timezone = '"'"'Asia/Tokyo'"'"'" -c "update stamp set note = '"'"'m'"'"'" &&
	fold "$PG_URI" &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 3 &&
	test "$(pg_sql -c "select guid, rowversion, hlc_site from syncpack.record where rowversion = 2 order by guid")" = "00000000000000000000000000000011|2|BSOC
00000000000000000000000000000012|2|BSOC"
'

test_expect_success 'lookups by GUID and by key, a tombstone, a restamp' '
	site look1 ASOC --hub &&
	fill &&
	g=$(pgstore "$PG_URI" changes article | jq -r .guid) &&
	test "$(pgstore "$PG_URI" lookup "$g" | jq -c "[.table, .row]")" = "[\"article\",{\"code\":\"PEN\",\"label\":\"pen\"}]" &&
	test "$(pgstore "$PG_URI" key article "\"PEN\"" | jq -r .guid)" = "$g" &&
	test "$(pgstore "$PG_URI" key stamp "\"2024-03-01 12:00:00.5+01\"" | jq -r .table)" = stamp &&
	test "$(pgstore "$PG_URI" key item 1 | jq -r .table)" = item &&
	test "$(pgstore "$PG_URI" key article "\"INK\"")" = none &&
	test "$(pgstore "$PG_URI" lookup 0000000000000000000000000000FFFF)" = none &&
	HLC=8000000000000000 rec "$g" article null 1 >in &&
	expect_code 0 pgstore "$PG_URI" apply <in &&
	test "$(pg_sql -c "select count(*) from article")" = 0 &&
	test "$(pgstore "$PG_URI" lookup "$g" | jq -c "[.deleted, .origin, .hlc, .row]")" = "[1,\"CSOC\",8000000000000000,null]" &&
	test "$(pgstore "$PG_URI" changes article | jq -c "[.deleted, .row]")" = "[1,null]" &&
	i=$(pgstore "$PG_URI" key item 1 | jq -r .guid) &&
	before=$(pgstore "$PG_URI" lookup "$i" | jq -c "[.rowversion, .lseq]") &&
	echo "{\"step\":\"restamp\",\"guid\":\"$i\",\"hlc\":5}" | pgstore "$PG_URI" apply &&
	test "$before" = "[1,1]" &&
	test "$(pgstore "$PG_URI" lookup "$i" | jq -c "[.rowversion, .lseq, .hlc_site, .row.code]")" = "[2,7,\"ASOC\",\"A\"]" &&
	test "$(pgstore "$PG_URI" changes "" 6 | jq -r .guid)" = "$i"
'

test_expect_success 'a savepoint undoes one record and keeps the others' '
	site save1 BSOC &&
	{
		echo "{\"step\":\"savepoint\"}"
		rec 00000000000000000000000000000020 article "{\"code\":\"PEN\",\"label\":\"pen\"}"
		echo "{\"step\":\"rollback_to\"}"
		echo "{\"step\":\"release\"}"
		echo "{\"step\":\"savepoint\"}"
		rec 00000000000000000000000000000021 article "{\"code\":\"INK\",\"label\":\"ink\"}"
		echo "{\"step\":\"release\"}"
	} >in &&
	expect_code 0 pgstore "$PG_URI" apply <in &&
	test "$(pg_sql -c "select code from article")" = INK &&
	test "$(pg_sql -c "select guid from syncpack.record")" = 00000000000000000000000000000021 &&
	test "$(pgstore "$PG_URI" lookup 00000000000000000000000000000020)" = none &&
	echo "{\"step\":\"rollback\"}" | cat in - | pgstore "$PG_URI" apply &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 1
'

test_expect_success 'lseq order is commit order: a fold meanwhile waits for the apply' '
	site order1 ASOC --hub &&
	{
		echo "{\"step\":\"sleep\",\"ms\":1000}"
		rec 00000000000000000000000000000030 article "{\"code\":\"PEN\",\"label\":\"pen\"}"
		echo "{\"step\":\"sleep\",\"ms\":1000}"
		rec 00000000000000000000000000000031 article "{\"code\":\"INK\",\"label\":\"ink\"}"
	} >in || exit 1
	{ pgstore "$PG_URI" apply <in >apply.out 2>&1; echo "$?" >apply.rc; } &
	sleep 0.5 &&
	pg_sql -c "insert into item(code) values ('"'"'W'"'"')" &&
	fold "$PG_URI" &&
	wait &&
	test "$(cat apply.rc)" = 0 &&
	test "$(pg_sql -c "select r.guid, r.lseq from syncpack.record r order by r.lseq" | cut -d"|" -f2 | tr "\n" " ")" = "1 2 3 " &&
	test "$(pg_sql -c "select t.name from syncpack.record r join syncpack.tracked_table t on t.id = r.tbl order by r.lseq" | tr "\n" " ")" = "article article item " &&
	test "$(pg_sql -c "select lseq from syncpack.clock")" = 3 &&
	test "$(pgstore "$PG_URI" changes "" 2 | jq -r .table)" = item
'

test_expect_success 'a parked row leaves its key free until it is written again' '
	site park1 ASOC --hub &&
	fill &&
	g=$(pgstore "$PG_URI" changes article | jq -r .guid) &&
	{
		echo "{\"step\":\"parked\"}"
		echo "{\"step\":\"lookup\",\"guid\":\"$g\"}"
		echo "{\"step\":\"park\",\"guid\":\"$g\"}"
		echo "{\"step\":\"parked\"}"
		rec "$g" article "{\"code\":\"OLD\",\"label\":\"pen\"}"
		echo "{\"step\":\"lookup\",\"guid\":\"00000000000000000000000000000040\"}"
		rec 00000000000000000000000000000040 article "{\"code\":\"PEN\",\"label\":\"new pen\"}"
		echo "{\"step\":\"parked\"}"
		echo "{\"step\":\"park\",\"guid\":\"$(pgstore "$PG_URI" key item 1 | jq -r .guid)\"}"
	} >in &&
	expect_code 0 pgstore "$PG_URI" apply <in &&
	test "$(cat out)" = "parked 0
lookup 1
park 1
parked 1
lookup 0
parked 0
park 0" &&
	test "$(pg_sql -c "select code, label from article order by code")" = "OLD|pen
PEN|new pen" &&
	test "$(pg_sql -c "select rkey from syncpack.record where guid = '"'"'$g'"'"'")" = OLD
'

test_expect_success 'a lock, a purged tombstone and references are read' '
	site misc1 ASOC --hub &&
	fill &&
	g=$(pgstore "$PG_URI" changes article | jq -r .guid) &&
	pg_sql -c "insert into syncpack.lock(tbl, rkey) values ('"'"'article'"'"', '"'"'PEN'"'"')" \
		-c "insert into syncpack.purged values ('"'"'00000000000000000000000000000050'"'"', 1, '"'"'CSOC'"'"', '"'"'CSOC'"'"', 4, 5, '"'"'CSOC'"'"', '"'"'2024-01-01'"'"')" &&
	test "$(pgstore "$PG_URI" changes article | jq -r .locked)" = 1 &&
	{
		echo "{\"step\":\"locked\",\"table\":\"article\",\"guid\":\"$g\"}"
		echo "{\"step\":\"locked\",\"table\":\"item\",\"guid\":\"$g\"}"
		echo "{\"step\":\"lookup\",\"guid\":\"00000000000000000000000000000050\"}"
		echo "{\"step\":\"purged\",\"guid\":\"00000000000000000000000000000050\"}"
		echo "{\"step\":\"purged\",\"guid\":\"00000000000000000000000000000050\"}"
		echo "{\"step\":\"lookup\",\"guid\":\"00000000000000000000000000000051\"}"
		echo "{\"step\":\"purged\",\"guid\":\"00000000000000000000000000000051\"}"
		echo "{\"step\":\"referenced\",\"guid\":\"$g\"}"
	} >in &&
	expect_code 0 pgstore "$PG_URI" apply <in &&
	test "$(cat out)" = "locked 1
locked 0
lookup 0
purged 1 CSOC 4
purged 0  0
lookup 0
purged 0  0
referenced 0"
'

# spokes DB: SQLite spokes b.db (BSOC) and c.db (CSOC) of the hub ASOC
# on DB (a URI), with thing tracked everywhere: typed at the hub, as a
# SQLite application would declare it at the spokes.
spokes() {
	mkdir -p usb &&
	syncadm init -d "$1" --site ASOC --hub --key hub.key --pub hub.pub 2>/dev/null &&
	pg_sql -c "create table thing(code text primary key, price numeric(12,2),
		ok boolean, data bytea, at timestamptz, tags text[])" &&
	syncadm track -d "$1" thing &&
	for x in b c; do
		id=$(echo $x | tr bc BC)SOC &&
		syncadm init -d $x.db --site $id 2>/dev/null &&
		syncadm peer add -d "$1" --site $id --key $x.db.pub &&
		syncadm peer add -d $x.db --site ASOC --key hub.pub &&
		sqlite3 $x.db "create table thing(code text primary key, price text,
			ok integer, data blob, at text, tags text)" &&
		syncadm track -d $x.db thing 2>/dev/null || return 1
	done
}

test_expect_success 'through the tools: typed values go from a SQLite spoke to the hub and out unchanged' '
	pg_newdb tools1 &&
	spokes "$PG_URI" &&
	sqlite3 b.db "insert into thing values ('"'"'A'"'"', '"'"'99.90'"'"', 1, x'"'"'00ff00'"'"',
		'"'"'2024-01-01 10:00:00+02:00'"'"', '"'"'[\"x\",\"y\"]'"'"')" &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb &&
	expect_code 0 syncunpack -d "$PG_URI" usb &&
	test "$(pg_sql -c "select price, ok, encode(data, '"'"'hex'"'"'), at = '"'"'2024-01-01 08:00Z'"'"', tags[2] from thing")" = "99.90|t|00ff00|t|y" &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 0 &&
	pg_sql -c "update thing set price = price + 0.10" &&
	expect_code 0 syncpack -d "$PG_URI" --all -o usb &&
	syncunpack -d c.db usb 2>/dev/null; test $? -le 1 &&
	test "$(sqlite3 c.db "select price, typeof(price), ok, hex(data), at, tags from thing")" = "100.00|text|1|00FF00|2024-01-01 08:00:00+00:00|[\"x\",\"y\"]"
'

test_done
