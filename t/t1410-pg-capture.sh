#!/bin/sh
# Capture on a PostgreSQL site: syncadm track installs PL/pgSQL triggers,
# any client's changes are folded into metadata, and the three traps of
# the port: lseq in commit order, a change log consumed without losing
# rows committed meanwhile, and the applying marker an ordinary role can
# set. Every tool and client runs as sp_app, which is no superuser.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

# site NAME ID [--hub]: a fresh database NAME initialised as site ID with
# a customer (shared) and an article (central) table.
site() {
	pg_newdb "$1" &&
	pg_sql -c "create table customer(id serial primary key, name text)" \
		-c "create table article(code text primary key, label text)" &&
	syncadm init -d "$PG_URI" --site "$2" ${3:-} --key "$2.key" --pub "$2.pub" 2>/dev/null &&
	syncadm track -d "$PG_URI" customer &&
	syncadm track -d "$PG_URI" article --owner central
}

# fold: what every tool does first; syncadm tables is the lightest.
fold() {
	syncadm tables -d "$PG_URI" >/dev/null
}

# session NAME: a psql session as sp_app in the background, fed through
# the fifo NAME.in, its output in NAME.out; sets pid. The caller opens
# the fifo for writing (exec 3>NAME.in) and closes it to end the session.
session() {
	mkfifo "$1.in" &&
	{ psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U sp_app \
		-d "$PG_DB" <"$1.in" >"$1.out" 2>&1 & } &&
	pid=$!
}

test_expect_success 'the tools and clients of this test are no superuser' '
	pg_newdb roles &&
	test "$(pg_sql -c "select rolsuper from pg_roles where rolname = current_user")" = f
'

test_expect_success 'track gives existing rows metadata and tables lists the policies' '
	pg_newdb track1 &&
	pg_sql -c "create table customer(id serial primary key, name text)" \
		-c "insert into customer(name) values ('"'"'Dupont'"'"'), ('"'"'Durand'"'"')" &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key a.key --pub a.pub 2>/dev/null &&
	expect_code 0 syncadm track -d "$PG_URI" customer &&
	test "$(pg_sql -c "select rkey, origin, owner, rowversion, lseq, deleted from syncpack.record order by lseq")" = "1|ASOC|ASOC|1|1|0
2|ASOC|ASOC|1|2|0" &&
	test "$(pg_sql -c "select count(*) from syncpack.record where guid ~ '"'"'^[0-9A-F]{32}$'"'"'")" = 2 &&
	expect_code 0 syncadm tables -d "$PG_URI" &&
	grep -q "^TABLE  *OWNER  *ROUTE  *CONFLICT  *KEY  *WINDOW  *FLAGS  *STATE$" out &&
	grep -q "^customer  *shared  *all  *lww  *local(id)  *-  *-  *tracked$" out &&
	syncadm tables -d "$PG_URI" --json >t.json &&
	test "$(jq -r ".[0] | [.table, .key, .state] | @tsv" t.json)" = "customer	local(id)	tracked"
'

test_expect_success 'inserts, updates and deletes from psql are folded into records' '
	site cap1 ASOC --hub &&
	pg_sql -c "insert into customer(name) values ('"'"'a'"'"'), ('"'"'b'"'"')" \
		-c "update customer set name = '"'"'A'"'"' where id = 1" \
		-c "delete from customer where id = 2" \
		-c "insert into article values ('"'"'PEN'"'"', '"'"'pen'"'"')" &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 5 &&
	fold &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 0 &&
	test "$(pg_sql -c "select coalesce(r.rkey, '"'"'-'"'"'), r.rowversion, r.deleted from syncpack.record r join syncpack.tracked_table t on t.id = r.tbl order by t.name, r.guid")" = "PEN|1|0
1|2|0
-|2|1" &&
	test "$(pg_sql -c "select count(distinct lseq), max(lseq) from syncpack.record")" = "3|5" &&
	test "$(pg_sql -c "select lseq from syncpack.clock")" = 5
'

test_expect_success 'TRUNCATE of a tracked table is refused: its deletes would not travel' '
	site trunc1 ASOC --hub &&
	pg_sql -c "insert into customer(name) values ('"'"'a'"'"')" &&
	expect_code 1 pg_sql -c "truncate customer" &&
	grep -q "syncpack: customer: TRUNCATE is not captured on a tracked table; use DELETE" err &&
	test "$(pg_sql -c "select count(*) from customer")" = 1 &&
	syncadm untrack -d "$PG_URI" customer &&
	pg_sql -c "truncate customer"
'

test_expect_success 'a key changed by an update keeps its record' '
	site cap2 ASOC --hub &&
	pg_sql -c "insert into article values ('"'"'PEN'"'"', '"'"'pen'"'"')" && fold &&
	guid=$(pg_sql -c "select guid from syncpack.record") &&
	pg_sql -c "update article set code = '"'"'PEN2'"'"'" && fold &&
	test "$(pg_sql -c "select guid, rkey, rowversion from syncpack.record")" = "$guid|PEN2|2"
'

test_expect_success 'under the test clock both backends give the same stamps and GUIDs' '
	pg_newdb clock1 &&
	pg_sql -c "create table customer(id integer primary key, name text)" \
		-c "insert into customer values (1, '"'"'a'"'"'), (2, '"'"'b'"'"')" &&
	sqlite3 shop.db "create table customer(id integer primary key, name text);
		insert into customer values (1, '"'"'a'"'"'), (2, '"'"'b'"'"')" &&
	export SYNCPACK_TEST_CLOCK_MS=1767225600000 &&
	syncadm init -d "$PG_URI" --site ASOC --key a.key --pub a.pub 2>/dev/null &&
	syncadm init -d shop.db --site ASOC 2>/dev/null &&
	syncadm track -d "$PG_URI" customer && syncadm track -d shop.db customer &&
	pg_sql -c "update customer set name = '"'"'A'"'"' where id = 1" &&
	sqlite3 shop.db "update customer set name = '"'"'A'"'"' where id = 1" &&
	syncadm tables -d "$PG_URI" >/dev/null && syncadm tables -d shop.db >/dev/null &&
	pg_sql -c "select guid, rkey, rowversion, hlc, lseq from syncpack.record order by guid" >pg.txt &&
	sqlite3 shop.db "select guid, rkey, rowversion, hlc, lseq from syncpack_record order by guid" >lite.txt &&
	cat pg.txt && diff lite.txt pg.txt &&
	test "$(wc -l <pg.txt)" = 2 &&
	test "$(pg_sql -c "select hlc from syncpack.clock")" = "$(sqlite3 shop.db "select hlc from syncpack_clock")"
'

test_expect_success 'trap 1: a writer that takes its change id first and commits last is not skipped' '
	site order1 ASOC --hub &&
	session a && exec 3>a.in &&
	echo "begin; insert into customer(name) values ('"'"'first'"'"');" >&3 &&
	echo "select '"'"'inserted'"'"', max(id) from syncpack.change;" >&3 &&
	for i in $(seq 250); do grep -q inserted a.out && break; sleep 0.02; done &&
	first_id=$(sed -n "s/^inserted|//p" a.out) &&
	pg_sql -c "insert into customer(name) values ('"'"'second'"'"')" &&
	test "$first_id" -lt "$(pg_sql -c "select max(id) from syncpack.change")" &&
	fold &&
	cursor=$(pg_sql -c "select max(lseq) from syncpack.record") &&
	echo "commit;" >&3 && exec 3>&- && wait $pid &&
	fold &&
	test "$(pg_sql -c "select c.name from syncpack.record r join customer c on c.id::text = r.rkey where r.lseq > $cursor")" = first &&
	test "$(pg_sql -c "select c.name from customer c join syncpack.record r on r.rkey = c.id::text order by r.lseq")" = "second
first"
'

# Two tools fold at once while a client commits: the clock row's lock
# keeps their lseq apart.
test_expect_success 'trap 2: folds while clients commit lose no change' '
	site busy1 ASOC --hub &&
	for i in $(seq 1500); do
		echo "insert into customer(name) values ('"'"'c$i'"'"');"
		[ $((i % 3)) = 0 ] && echo "update customer set name = name || '"'"'+'"'"' where id = $((i - 1));"
	done >writes.sql &&
	{ pg_sql -f writes.sql >writer.log 2>&1 & } && pid=$! &&
	{ while kill -0 $pid 2>/dev/null; do fold || echo failed >fold2; done & } &&
	pid2=$! &&
	n=0 && while kill -0 $pid 2>/dev/null; do fold || exit 1; n=$((n + 1)); done &&
	wait $pid && wait $pid2 && test ! -e fold2 && fold &&
	echo "folds during the writes: $n" &&
	test "$n" -ge 2 &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 0 &&
	test "$(pg_sql -c "select count(*) from customer c join syncpack.record r on r.rkey = c.id::text")" = 1500 &&
	test "$(pg_sql -c "select count(*) from syncpack.record where rowversion = 2")" = 500 &&
	test "$(pg_sql -c "select count(distinct lseq) from syncpack.record")" = 1500 &&
	test "$(pg_sql -c "select max(lseq) from syncpack.record")" = \
		"$(pg_sql -c "select lseq from syncpack.clock")"
'

test_expect_success 'trap 3: a central table refuses a spoke'"'"'s writes, except while applying' '
	site apply1 BSOC &&
	expect_code 1 pg_sql -c "insert into article values ('"'"'PEN'"'"', '"'"'pen'"'"')" &&
	grep -q "syncpack: article is a central table: only the hub may change it" err &&
	pg_sql -c "begin" -c "set local syncpack.applying = '"'"'on'"'"'" \
		-c "insert into article values ('"'"'PEN'"'"', '"'"'pen'"'"')" \
		-c "insert into customer(name) values ('"'"'applied'"'"')" -c "commit" &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 0 &&
	test "$(pg_sql -c "select label from article")" = pen &&
	expect_code 1 pg_sql -c "begin" -c "set local syncpack.applying = '"'"'on'"'"'" -c "commit" \
		-c "update article set label = '"'"'x'"'"'" &&
	grep -q "central table" err &&
	pg_sql -c "insert into customer(name) values ('"'"'local'"'"')" &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 1 &&
	expect_code 1 pg_sql -c "set session_replication_role = replica" &&
	grep -q "permission denied" err
'

test_expect_success 'a creator table at a spoke refuses changes to records another site owns' '
	site own1 BSOC &&
	pg_sql -c "create table piece(id integer primary key, total numeric(12,2))" \
		-c "insert into piece values (1, 99.90), (2, 5)" &&
	syncadm track -d "$PG_URI" piece --owner creator --freeze &&
	pg_sql -c "update syncpack.record set owner = '"'"'ASOC'"'"' where rkey = '"'"'1'"'"' and tbl = (select id from syncpack.tracked_table where name = '"'"'piece'"'"')" &&
	expect_code 1 pg_sql -c "update piece set total = 1 where id = 1" &&
	grep -q "syncpack: piece: record is owned by another site; only its creator or the hub may change it" err &&
	pg_sql -c "update piece set total = 6 where id = 2" &&
	pg_sql -c "update syncpack.record set flags = 1 where rkey = '"'"'2'"'"' and tbl = (select id from syncpack.tracked_table where name = '"'"'piece'"'"')" &&
	expect_code 1 pg_sql -c "delete from piece where id = 2" &&
	grep -q "syncpack: piece: record is frozen" err &&
	test "$(pg_sql -c "select total from piece order by id")" = "99.90
6.00"
'

test_expect_success 'a writer with rights on its table only is captured; untrack stops capture' '
	site grant1 ASOC --hub &&
	psql $PG_ADMIN -d "$PG_DB" -c "drop role if exists sp_clerk" \
		-c "create role sp_clerk login" \
		-c "grant select, insert, update, delete on customer to sp_clerk" \
		-c "grant usage on sequence customer_id_seq to sp_clerk" &&
	psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U sp_clerk -d "$PG_DB" \
		-c "insert into customer(name) values ('"'"'clerk'"'"')" &&
	expect_code 1 psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U sp_clerk -d "$PG_DB" \
		-c "select count(*) from syncpack.record" &&
	fold &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 1 &&
	expect_code 0 syncadm untrack -d "$PG_URI" customer &&
	pg_sql -c "insert into customer(name) values ('"'"'later'"'"')" &&
	test "$(pg_sql -c "select count(*) from syncpack.change")" = 0 &&
	syncadm tables -d "$PG_URI" >out && grep -q "^customer .*untracked$" out &&
	syncadm track -d "$PG_URI" customer && fold &&
	test "$(pg_sql -c "select count(*) from syncpack.record where rkey is not null")" = 2
'

test_expect_success 'schema-qualified tables, and what cannot be tracked' '
	site q1 ASOC --hub &&
	pg_sql -c "create schema shop" -c "create table shop.item(sku text primary key)" \
		-c "create table nokey(a int)" -c "create view v as select 1 as id" \
		-c "create table pair(a int, b int, primary key (a, b))" &&
	expect_code 0 syncadm track -d "$PG_URI" shop.item &&
	pg_sql -c "insert into shop.item values ('"'"'X1'"'"')" &&
	syncadm tables -d "$PG_URI" >out && grep -q "^shop.item  *shared  *all  *lww  *natural(sku) " out &&
	test "$(pg_sql -c "select rkey from syncpack.record r join syncpack.tracked_table t on t.id = r.tbl where t.name = '"'"'shop.item'"'"'")" = X1 &&
	expect_code 2 syncadm track -d "$PG_URI" nosuch &&
	expect_err "^syncadm: postgresql:///q1\?.*: nosuch: no such table$" &&
	expect_code 2 syncadm track -d "$PG_URI" nokey &&
	expect_err "nokey: has no primary key; a PostgreSQL site tracks tables by their key \\(add one\\)$" &&
	syncadm track -d "$PG_URI" pair &&
	syncadm tables -d "$PG_URI" >out && grep -q "^pair  *shared  *all  *lww  *natural(a,b) " out &&
	expect_code 2 syncadm track -d "$PG_URI" v &&
	expect_err ": v: not a table$" &&
	expect_code 2 syncadm track -d "$PG_URI" syncpack.record &&
	expect_err "syncpack.record: internal tables cannot be tracked$" &&
	psql $PG_ADMIN -d "$PG_DB" -c "create table theirs(id int primary key)" &&
	expect_code 2 syncadm track -d "$PG_URI" theirs &&
	expect_err "^syncadm: postgresql:///q1\?.*: permission denied for table theirs$" &&
	test "$(pg_sql -c "select count(*) from syncpack.tracked_table where name = '"'"'theirs'"'"'")" = 0 &&
	expect_code 2 syncadm track -d "$PG_URI" shop.item --rowversion-column &&
	expect_err "shop.item: --rowversion-column needs a table found through the search_path by a plain name$" &&
	syncadm tables -d "$PG_URI" >out && grep -q "^customer  *shared  *all  *lww  *local(id)  *-  *-  *tracked$" out
'

test_expect_success 'an integer key is local only when the database numbers it' '
	pg_newdb numbering &&
	pg_sql -c "create table given(id bigint primary key, name text)" \
		-c "create table counted(id bigint generated by default as identity primary key, name text)" &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key n.key --pub n.pub 2>/dev/null &&
	expect_code 2 syncadm track -d "$PG_URI" given --key local &&
	expect_err "given: --key local needs an INTEGER primary key that the database numbers .*serial or identity in PostgreSQL.*; id is not one: use --key natural$" &&
	syncadm track -d "$PG_URI" given &&
	syncadm track -d "$PG_URI" counted &&
	syncadm tables -d "$PG_URI" >out &&
	grep -q "^given  *shared  *all  *lww  *natural(id) " out &&
	grep -q "^counted  *shared  *all  *lww  *local(id) " out
'

test_expect_success 'the random half of a GUID is drawn by each fold, and shared within one' '
	site guids ASOC --hub && unset SYNCPACK_TEST_CLOCK_MS &&
	pg_sql -c "insert into customer(name) values (\$\$r1\$\$), (\$\$r2\$\$)" && fold &&
	pg_sql -c "insert into customer(name) values (\$\$r3\$\$)" && fold &&
	test "$(pg_sql -c "select count(distinct substr(guid, 17)), count(distinct substr(guid, 1, 16)) from syncpack.record where rkey in (\$\$1\$\$, \$\$2\$\$)")" = "1|2" &&
	test "$(pg_sql -c "select count(distinct substr(guid, 17)) from syncpack.record")" = 2
'

test_done
