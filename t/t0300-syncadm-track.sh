#!/bin/sh
# syncadm track / untrack / tables: change capture by triggers, from any
# writer, with the shop example's policies.
. "$SYNCPACK_SRC/t/lib.sh"

# shop_schema DB: the shop example's application tables.
shop_schema() {
	sqlite3 "$1" "
	create table customer(id integer primary key, name text not null, city text);
	create table article(id integer primary key, label text, price real);
	create table piece(id integer primary key,
		customer_id integer references customer(id),
		piece_date text, total real);
	create table event(id integer primary key, what text);"
}

# q DB SQL: one statement through the sqlite3 shell; when it looks at the
# metadata, a tool runs first (fold), as it would in real use.
q() {
	case $2 in *syncpack_*) fold "$1" ;; esac
	sqlite3 "$1" "$2"
}

track_shop() {
	syncadm track -d "$1" customer --owner shared &&
	syncadm track -d "$1" article --owner central &&
	syncadm track -d "$1" piece --owner creator --route owner --freeze --window piece_date &&
	syncadm track -d "$1" event --owner creator --route none
}

setup='make_sites && shop_schema b.db && shop_schema hub.db && track_shop b.db && track_shop hub.db'

test_expect_success 'the shop example tracks, and tables lists the policies' "$setup"'&&
	expect_code 0 syncadm tables -d b.db &&
	grep -q "^TABLE  *OWNER  *ROUTE  *CONFLICT  *KEY  *WINDOW  *FLAGS  *STATE$" out &&
	grep -q "^customer  *shared  *all  *lww  *local(id)  *-  *-  *tracked$" out &&
	grep -q "^article  *central  *all  " out &&
	syncadm tables -d b.db --json >tables.json &&
	test "$(jq -r ".[] | select(.table == \"customer\") | [.owner, .route, .key, .window, .state] | @tsv" tables.json)" = "shared	all	local(id)		tracked" &&
	grep -q "^piece  *creator  *owner  *lww  *local(id)  *piece_date  *freeze  *tracked$" out &&
	grep -q "^event  *creator  *none  " out
'

test_expect_success 'an insert from the sqlite3 shell is captured with full metadata' "$setup"'&&
	q b.db "insert into customer(name, city) values (\"Dupont\", \"Lyon\")" &&
	test "$(q b.db "select count(*) from syncpack_record")" = 1 &&
	q b.db "select guid, origin, owner, rowversion, hlc_site, deleted, flags, src is null, lseq > 0, hlc > 0 from syncpack_record" >rec &&
	grep -Eq "^[0-9A-F]{32}\|BSOC\|BSOC\|1\|BSOC\|0\|0\|1\|1\|1$" rec
'

test_expect_success 'updates bump the rowversion, lseq and HLC; deletes leave a tombstone' "$setup"'&&
	q b.db "insert into customer(name) values (\"A\")" &&
	g=$(q b.db "select guid from syncpack_record") &&
	s1=$(q b.db "select lseq || \" \" || hlc from syncpack_record") &&
	q b.db "update customer set city = \"Lyon\"; update customer set city = \"Nice\"" &&
	test "$(q b.db "select rowversion from syncpack_record")" = 3 &&
	s2=$(q b.db "select lseq || \" \" || hlc from syncpack_record") &&
	test "${s2% *}" -gt "${s1% *}" && test "${s2#* }" -gt "${s1#* }" &&
	q b.db "delete from customer" &&
	test "$(q b.db "select guid, rkey is null, deleted, rowversion from syncpack_record")" = "$g|1|1|4"
'

test_expect_success 'the GUID is 128 bits and unique; HLC increases within one statement' "$setup"'&&
	q b.db "with recursive n(i) as (select 1 union all select i + 1 from n where i < 500)
		insert into customer(name) select \"c\" || i from n" &&
	test "$(q b.db "select count(distinct guid), count(distinct hlc), min(length(guid)) from syncpack_record")" = "500|500|32"
'

test_expect_success 'the random half of a GUID is drawn by each run, and shared within one' "$setup"'&&
	unset SYNCPACK_TEST_CLOCK_MS &&
	q b.db "insert into customer(name) values (\"r1\"), (\"r2\")" &&
	fold b.db &&
	q b.db "insert into customer(name) values (\"r3\")" &&
	test "$(q b.db "select count(distinct substr(guid, 17)), count(distinct substr(guid, 1, 16)) from syncpack_record where rkey in (1, 2)")" = "1|2" &&
	test "$(q b.db "select count(distinct substr(guid, 17)) from syncpack_record")" = 2 &&
	test "$(q b.db "select count(*) from syncpack_record where guid glob \"*[^0-9A-F]*\"")" = 0
'

test_expect_success 'an update changing the key moves the record with it' "$setup"'&&
	q b.db "insert into customer(id, name) values (5, \"A\")" &&
	g=$(q b.db "select guid from syncpack_record") &&
	q b.db "update customer set id = 9 where id = 5" &&
	test "$(q b.db "select guid, rkey from syncpack_record")" = "$g|9"
'

test_expect_success 'INSERT OR REPLACE is a change of the same record' "$setup"'&&
	q b.db "insert into customer(id, name) values (5, \"A\")" &&
	g=$(q b.db "select guid from syncpack_record") &&
	q b.db "insert or replace into customer(id, name) values (5, \"B\")" &&
	test "$(q b.db "select guid, rowversion from syncpack_record")" = "$g|2" &&
	q b.db "insert into customer(id, name) values (5, \"C\") on conflict(id) do update set name = excluded.name" &&
	test "$(q b.db "select count(*), max(rowversion) from syncpack_record")" = "1|3"
'

test_expect_success '100,000 inserts in one transaction are all captured' "$setup"'&&
	q b.db "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000)
		insert into event(what) select \"e\" || i from n" &&
	test "$(q b.db "select count(*), count(distinct guid), count(distinct lseq) from syncpack_record r join event e on r.rkey = e.id where r.tbl = (select id from syncpack_table where name = \"event\")")" = "100000|100000|100000"
'

test_expect_success 'tracking a table with rows gives each row its metadata' '
	make_sites && shop_schema b.db &&
	q b.db "insert into customer(name) values (\"a\"), (\"b\"), (\"c\")" &&
	expect_code 0 syncadm track -d b.db customer &&
	test "$(q b.db "select count(*), min(owner), max(owner), min(rowversion), max(rowversion), count(distinct guid) from syncpack_record")" = "3|BSOC|BSOC|1|1|3"
'

test_expect_success 'a failed track changes nothing (one transaction)' '
	make_sites && shop_schema b.db &&
	q b.db "insert into customer(name) values (\"a\")" &&
	before=$(q b.db ".dump") &&
	expect_code 2 syncadm track -d b.db customer --window nosuchcolumn &&
	expect_err "customer: --window: no column nosuchcolumn" &&
	test "$(q b.db ".dump")" = "$before"
'

test_expect_success 'untrack removes the triggers and keeps data; track again keeps GUIDs' "$setup"'&&
	q b.db "insert into customer(name) values (\"a\"), (\"b\"), (\"c\")" &&
	q b.db "select rkey, guid from syncpack_record order by rkey" >before &&
	expect_code 0 syncadm untrack -d b.db customer &&
	test -z "$(q b.db "select name from sqlite_master where type = \"trigger\" and tbl_name = \"customer\"")" &&
	q b.db "insert into customer(name) values (\"d\"); delete from customer where name = \"b\"" &&
	test "$(q b.db "select count(*) from customer")" = 3 &&
	syncadm tables -d b.db | grep -q "^customer .* untracked$" &&
	expect_code 0 syncadm track -d b.db customer &&
	q b.db "select rkey, guid from syncpack_record where rkey in (1, 3) order by rkey" >after &&
	grep -v "^2|" before >expected && cmp expected after &&
	test "$(q b.db "select count(*) from syncpack_record where deleted")" = 1 &&
	test "$(q b.db "select count(*) from syncpack_record where rkey = 4")" = 1 &&
	expect_code 2 syncadm untrack -d b.db nosuch &&
	expect_err "nosuch: not a tracked table"
'

test_expect_success 'tables it cannot track are refused with a reason' '
	make_sites &&
	q b.db "create table nokey(a, b);
		create table twokeys(a, b, primary key (a, b));
		create table textkey(code text primary key, label text);
		create table wr(code text primary key, v) without rowid;
		create table wi(id integer primary key, v) without rowid;" &&
	expect_code 2 syncadm track -d b.db nokey --key natural &&
	expect_err "^syncadm: b.db: nokey: has no primary key: its rows are told apart by their rowid" &&
	expect_code 2 syncadm track -d b.db twokeys --key local &&
	expect_err "twokeys: --key local needs a single INTEGER primary key" &&
	expect_code 2 syncadm track -d b.db wi --key local &&
	expect_err "wi: --key local needs an INTEGER primary key that the database numbers" &&
	expect_code 2 syncadm track -d b.db textkey --key local &&
	expect_err "textkey: --key local needs an INTEGER primary key" &&
	expect_code 2 syncadm track -d b.db wr --key local &&
	expect_err "wr: --key local needs an INTEGER primary key" &&
	expect_code 2 syncadm track -d b.db nosuch &&
	expect_err "nosuch: no such table" &&
	expect_code 2 syncadm track -d b.db syncpack_record &&
	expect_err "internal tables cannot be tracked" &&
	expect_code 2 syncadm track -d b.db textkey --owner everybody &&
	expect_err "owner must be" &&
	expect_code 2 syncadm track -d b.db textkey --freeze &&
	expect_err "--freeze applies to --owner creator" &&
	expect_code 0 syncadm track -d b.db textkey &&
	expect_code 0 syncadm track -d b.db wr &&
	expect_code 0 syncadm track -d b.db wi &&
	syncadm tables -d b.db | grep -q "^textkey .* natural(code) " &&
	syncadm tables -d b.db | grep -q "^wi .* natural(id) " &&
	test -z "$(q b.db "select name from sqlite_master where type = \"trigger\" and tbl_name in (\"nokey\", \"twokeys\")")"
'

test_expect_success 'text keys and WITHOUT ROWID tables capture by their key' '
	make_sites &&
	q b.db "create table wr(code text primary key, v) without rowid;
		create table tk(code text primary key, v)" &&
	syncadm track -d b.db wr && syncadm track -d b.db tk &&
	q b.db "insert into wr values (\"007\", 1); insert into tk values (\"007\", 1);
		update wr set v = 2 where code = \"007\"; delete from tk" &&
	test "$(q b.db "select typeof(rkey), rkey, rowversion from syncpack_record where rkey is not null")" = "text|007|2" &&
	test "$(q b.db "select count(*) from syncpack_record where deleted")" = 1
'

test_expect_success 'identifiers that need quoting are handled' '
	make_sites &&
	q b.db "create table \"order line\"(\"the id\" integer primary key, \"it\"\"s\" text, \"x'"'"'y\" text)" &&
	expect_code 0 syncadm track -d b.db "order line" --owner central &&
	q hub.db "create table \"order line\"(\"the id\" integer primary key, \"it\"\"s\" text, \"x'"'"'y\" text)" &&
	expect_code 0 syncadm track -d hub.db "order line" --owner central &&
	q hub.db "insert into \"order line\"(\"it\"\"s\") values (\"v\"); update \"order line\" set \"x'"'"'y\" = 1; delete from \"order line\"" &&
	test "$(q hub.db "select rowversion, deleted from syncpack_record")" = "3|1" &&
	! q b.db "insert into \"order line\"(\"it\"\"s\") values (\"v\")" 2>err &&
	grep -q "order line is a central table" err
'

test_expect_success 'foreign keys between tracked tables are recorded' "$setup"'&&
	test "$(q b.db "select c.name, f.col, p.name, f.parent_col from syncpack_fk f join syncpack_table c on c.id = f.tbl join syncpack_table p on p.id = f.parent")" = "piece|customer_id|customer|id" &&
	syncadm untrack -d b.db customer &&
	test "$(q b.db "select count(*) from syncpack_fk")" = 0 &&
	syncadm track -d b.db customer &&
	test "$(q b.db "select count(*) from syncpack_fk")" = 1
'

test_expect_success 'the test clock fixes HLC stamps and GUIDs' '
	for n in 1 2; do
		syncadm init -d s$n.db --site BSOC 2>/dev/null &&
		sqlite3 s$n.db "create table customer(id integer primary key, name text)" &&
		syncadm track -d s$n.db customer --owner shared &&
		sqlite3 s$n.db "insert into customer(name) values ('\''a'\''), ('\''b'\'')" &&
		SYNCPACK_TEST_CLOCK_MS=1700000000000 syncadm tables -d s$n.db >/dev/null &&
		sqlite3 s$n.db "select guid, hlc from syncpack_record order by hlc" >rec$n || return 1
	done &&
	cmp rec1 rec2 &&
	test "$(sed -n 1p rec1)" = "$(printf "%016X" $((1700000000000 * 65536)))$(sed -n 1p rec1 | cut -c17-32)|$((1700000000000 * 65536))" &&
	test "$(sed -n 2p rec1 | cut -d"|" -f2)" = "$((1700000000000 * 65536 + 1))" &&
	test "$(cut -c1-32 rec1 | sort -u | wc -l)" -eq 2 &&
	sqlite3 s1.db "insert into customer(name) values ('\''c'\'')" &&
	SYNCPACK_TEST_CLOCK_MS=1600000000000 syncadm tables -d s1.db >/dev/null &&
	test "$(sqlite3 s1.db "select max(hlc) from syncpack_record")" = "$((1700000000000 * 65536 + 2))"
'

# triggers DB: the capture triggers' names and SQL, sorted.
triggers() {
	sqlite3 "$1" "select name, sql from sqlite_master where type = 'trigger' order by name"
}

test_expect_success 'a site whose triggers an older version made gets them rebuilt when opened' "$setup"'&&
	triggers b.db >before && test -s before &&
	test "$(sqlite3 b.db "select capture_version from syncpack_site")" -gt 1 &&
	old=$(sqlite3 b.db "select capture_version from syncpack_site") &&
	sqlite3 b.db "select '\''drop trigger \"'\'' || name || '\''\";'\'' from sqlite_master where type = '\''trigger'\'' and name glob '\''syncpack_[0-9]*'\''" >drop.sql &&
	sqlite3 b.db <drop.sql && test "$(triggers b.db | wc -l)" -eq 1 &&
	sqlite3 b.db "update syncpack_site set capture_version = 1" &&
	sqlite3 b.db "insert into customer(name) values ('\''lost'\'')" &&
	expect_code 0 syncadm tables -d b.db &&
	triggers b.db >after && cmp before after &&
	test "$(sqlite3 b.db "select capture_version from syncpack_site")" = "$old" &&
	sqlite3 b.db "insert into customer(name) values ('\''seen'\'')" &&
	fold b.db &&
	test "$(q b.db "select count(*) from syncpack_record r join customer c on c.id = r.rkey where c.name = '\''seen'\''")" -eq 1
'

test_done
