#!/bin/sh
# A PostgreSQL hub exchanging with SQLite spokes through the tools:
# syncpack at a spoke, syncunpack at the hub, syncpack --all back,
# syncack both ways, status, locks and held records, deletes, a manual
# conflict, a reconciliation; and the spokes end up with what a SQLite
# hub gives them from the same writes.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

# world W HUB: in folder W, a hub ASOC on HUB (a URI or W/hub.db) and
# SQLite spokes W/b.db (BSOC) and W/c.db (CSOC), with note (a local key,
# creator, routed to all) and article (central) tracked everywhere.
world() {
	rm -rf "$1" && mkdir -p "$1/usb" &&
	if [ "$2" = "$1/hub.db" ]; then
		syncadm init -d "$2" --site ASOC --hub 2>/dev/null &&
		sqlite3 "$2" "create table note(id integer primary key, body text);
			create table article(id integer primary key, label text, price real)" &&
		cp "$2.pub" "$1/hub.pub"
	else
		syncadm init -d "$2" --site ASOC --hub --key "$1/hub.key" \
			--pub "$1/hub.pub" 2>/dev/null &&
		pg_sql -c "create table note(id serial primary key, body text)" \
			-c "create table article(id serial primary key, label text,
				price double precision)"
	fi &&
	syncadm track -d "$2" note --owner creator --route all 2>/dev/null &&
	syncadm track -d "$2" article --owner central 2>/dev/null &&
	for x in b c; do
		id=$(echo $x | tr bc BC)SOC &&
		syncadm init -d "$1/$x.db" --site $id 2>/dev/null &&
		syncadm peer add -d "$2" --site $id --key "$1/$x.db.pub" &&
		syncadm peer add -d "$1/$x.db" --site ASOC --key "$1/hub.pub" &&
		sqlite3 "$1/$x.db" "create table note(id integer primary key, body text);
			create table article(id integer primary key, label text, price real)" &&
		syncadm track -d "$1/$x.db" note --owner creator --route all 2>/dev/null &&
		syncadm track -d "$1/$x.db" article --owner central 2>/dev/null || return 1
	done
}

# pgworld NAME: world pg on the fresh PostgreSQL database NAME.
pgworld() {
	pg_newdb "$1" && world pg "$PG_URI"
}

# round W HUB: spokes send, the hub applies and sends to all, spokes apply
# and acknowledge, the hub takes the acks and acknowledges back.
round() {
	syncpack -d "$1/b.db" --to ASOC -o "$1/usb" 2>>log &&
	syncpack -d "$1/c.db" --to ASOC -o "$1/usb" 2>>log &&
	recv "$2" "$1" && syncpack -d "$2" --all -o "$1/usb" 2>>log &&
	recv "$1/b.db" "$1" && recv "$1/c.db" "$1" &&
	syncack -d "$1/b.db" --to ASOC -o "$1/usb" 2>>log &&
	syncack -d "$1/c.db" --to ASOC -o "$1/usb" 2>>log &&
	recv "$2" "$1" &&
	syncack -d "$2" --to BSOC -o "$1/usb" 2>>log &&
	syncack -d "$2" --to CSOC -o "$1/usb" 2>>log &&
	recv "$1/b.db" "$1" && recv "$1/c.db" "$1"
}

# recv DB W: applies W/usb to DB; exit 1 (held, rejected) is normal life.
recv() {
	syncunpack -d "$1" "$2/usb" 2>>log
	test $? -le 1
}

# guids DB: the GUIDs of DB's live records, sorted.
guids() {
	case $1 in
	postgresql:*) pg_sql -c "select guid from syncpack.record where deleted = 0 order by guid" ;;
	*) sqlite3 "$1" "select guid from syncpack_record where not deleted order by guid" ;;
	esac
}

test_expect_success 'a spoke'"'"'s rows reach the PostgreSQL hub, and through it the other spoke' '
	pgworld ex1 &&
	sqlite3 pg/b.db "insert into note(body) values ('"'"'a'"'"'), ('"'"'b'"'"')" &&
	expect_code 0 syncpack -d pg/b.db --to ASOC -o pg/usb &&
	expect_code 0 syncunpack -d "$PG_URI" pg/usb &&
	expect_err "flow 1 from BSOC applied: applied 2, skipped 0, conflicts 0, rejected 0, held 0$" &&
	test "$(pg_sql -c "select body from note order by body" | tr "\n" " ")" = "a b " &&
	test "$(guids "$PG_URI")" = "$(guids pg/b.db)" &&
	test "$(pg_sql -c "select count(*) from syncpack.record where origin = '"'"'BSOC'"'"' and owner = '"'"'BSOC'"'"'")" = 2 &&
	expect_code 0 syncpack -d "$PG_URI" --all -o pg/usb &&
	recv pg/c.db pg &&
	test "$(sqlite3 pg/c.db "select body from note order by body" | tr "\n" " ")" = "a b " &&
	test "$(guids pg/c.db)" = "$(guids "$PG_URI")"
'

test_expect_success 'writes at the hub from psql travel to the spokes: insert, update, delete' '
	pgworld ex2 &&
	pg_sql -c "insert into article(label, price) values ('"'"'Chair'"'"', 12.5), ('"'"'Desk'"'"', 90)" &&
	round pg "$PG_URI" &&
	test "$(sqlite3 pg/b.db "select label, price from article order by label" | tr "\n" " ")" = "Chair|12.5 Desk|90.0 " &&
	pg_sql -c "update article set price = 13 where label = '"'"'Chair'"'"'" \
		-c "delete from article where label = '"'"'Desk'"'"'" &&
	round pg "$PG_URI" &&
	test "$(sqlite3 pg/c.db "select label, price from article order by label" | tr "\n" " ")" = "Chair|13.0 " &&
	test "$(guids pg/c.db)" = "$(guids "$PG_URI")" &&
	test "$(sqlite3 pg/c.db "select count(*) from syncpack_record where deleted")" = 1
'

test_expect_success 'acknowledgements both ways: marks move, status is ok, a tombstone all acknowledged is purged' '
	pgworld ex3 &&
	sqlite3 pg/b.db "insert into note(body) values ('"'"'x'"'"')" &&
	pg_sql -c "insert into article(label) values ('"'"'Pen'"'"')" &&
	round pg "$PG_URI" &&
	expect_code 0 syncadm status -d "$PG_URI" &&
	grep -q "^peer BSOC: .*, acked 20[0-9-]*T[0-9:]*Z, waiting 0, held 0" out &&
	grep -q "^verdict: ok$" out &&
	test "$(pg_sql -c "select count(*) from syncpack.peer where acked_lseq > 0")" = 2 &&
	expect_code 0 syncadm status -d pg/b.db &&
	grep -q "^verdict: ok$" out &&
	test "$(syncack -d "$PG_URI" --flows --json | jq "[.[] | select(.acked == \"no\" and .kind == \"data\")] | length")" = 0 &&
	sqlite3 pg/b.db "delete from note" &&
	round pg "$PG_URI" && round pg "$PG_URI" &&
	test "$(pg_sql -c "select count(*) from note")" = 0 &&
	test "$(pg_sql -c "select count(*) from syncpack.record where deleted = 1")" = 0 &&
	test "$(pg_sql -c "select count(*) from syncpack.purged")" = 1 &&
	expect_code 0 syncadm vacuum -d "$PG_URI" &&
	expect_err ": 0 acknowledged tombstones purged$"
'

test_expect_success 'a lock at the hub holds an incoming change; unlocking lets it land' '
	pgworld ex4 &&
	sqlite3 pg/b.db "insert into note(body) values ('"'"'v1'"'"')" &&
	round pg "$PG_URI" &&
	id=$(pg_sql -c "select id from note") &&
	expect_code 0 syncadm lock -d "$PG_URI" note "$id" --by ops &&
	expect_code 0 syncadm locks -d "$PG_URI" --json &&
	test "$(jq -r ".[0].locked_by" out)" = ops &&
	sqlite3 pg/b.db "update note set body = '"'"'v2'"'"'" &&
	syncpack -d pg/b.db --to ASOC -o pg/usb 2>>log &&
	expect_code 1 syncunpack -d "$PG_URI" pg/usb &&
	test "$(pg_sql -c "select body from note")" = v1 &&
	expect_code 0 syncadm held -d "$PG_URI" --json &&
	test "$(jq -r ".[0].peer" out)" = BSOC &&
	flow=$(jq -r ".[0].flow" out) &&
	expect_code 0 syncack -d "$PG_URI" --protocol "$flow" --json &&
	test "$(jq -r ".[0].outcome" out)" = held &&
	expect_code 0 syncadm unlock -d "$PG_URI" note "$id" &&
	recv "$PG_URI" pg &&
	test "$(pg_sql -c "select body from note")" = v2 &&
	test "$(pg_sql -c "select count(*) from syncpack.held")" = 0 &&
	test "$(pg_sql -c "select outcome from syncpack.protocol where direction = '"'"'in'"'"'")" = released
'

test_expect_success 'a manual conflict at the hub waits for its operator, who resolves it' '
	pgworld ex7 &&
	pg_sql -c "create table customer(id serial primary key, name text, city text)" &&
	syncadm track -d "$PG_URI" customer --owner shared --conflict manual 2>/dev/null &&
	for x in b c; do
		sqlite3 pg/$x.db "create table customer(id integer primary key, name text, city text)" &&
		syncadm track -d pg/$x.db customer --owner shared --conflict manual 2>/dev/null ||
		return 1
	done &&
	pg_sql -c "insert into customer(name, city) values ('"'"'A'"'"', '"'"'Paris'"'"')" &&
	round pg "$PG_URI" &&
	sqlite3 pg/b.db "update customer set city = '"'"'Lyon'"'"'" &&
	pg_sql -c "update customer set city = '"'"'Metz'"'"'" &&
	syncpack -d pg/b.db --to ASOC -o pg/usb 2>>log &&
	expect_code 1 syncunpack -d "$PG_URI" pg/usb &&
	test "$(pg_sql -c "select city from customer")" = Metz &&
	expect_code 1 syncadm status -d "$PG_URI" &&
	grep -q "1 unresolved conflicts" out &&
	expect_code 0 syncadm conflicts -d "$PG_URI" --json &&
	id=$(jq -r ".[0].id" out) &&
	test "$(jq -r ".[0].resolved" out)" = unresolved &&
	expect_code 0 syncadm conflicts -d "$PG_URI" resolve "$id" --keep remote &&
	test "$(pg_sql -c "select city from customer")" = Lyon &&
	test "$(pg_sql -c "select count(*) from syncpack.conflict where resolved is null")" = 0 &&
	expect_code 0 syncadm status -d "$PG_URI" &&
	round pg "$PG_URI" &&
	test "$(sqlite3 pg/b.db "select city from customer")" = Lyon &&
	test "$(sqlite3 pg/c.db "select city from customer")" = Lyon &&
	test "$(sqlite3 pg/c.db "select count(*) from syncpack_conflict")" = 0
'

test_expect_success 'the spokes of a PostgreSQL hub end up as those of a SQLite hub' '
	pgworld ex5 && world sq sq/hub.db &&
	for w in pg sq; do
		hub=sq/hub.db && [ $w = sq ] || hub=$PG_URI
		sqlite3 $w/b.db "insert into note(body) values ('"'"'from b'"'"')" &&
		sqlite3 $w/c.db "insert into note(body) values ('"'"'from c'"'"')" &&
		round $w "$hub" &&
		sqlite3 $w/c.db "update note set body = '"'"'c again'"'"' where body = '"'"'from c'"'"'" &&
		sqlite3 $w/b.db "delete from note where body = '"'"'from b'"'"'" &&
		round $w "$hub" && round $w "$hub" || return 1
	done &&
	for x in b c; do
		test "$(sqlite3 pg/$x.db "select body from note order by body")" = \
			"$(sqlite3 sq/$x.db "select body from note order by body")" &&
		test "$(sqlite3 pg/$x.db "select rowversion, owner, deleted from syncpack_record order by owner, rowversion")" = \
			"$(sqlite3 sq/$x.db "select rowversion, owner, deleted from syncpack_record order by owner, rowversion")" ||
		return 1
	done &&
	test "$(sqlite3 pg/b.db "select body from note")" = "c again"
'

test_expect_success 'a reconciliation started by the PostgreSQL hub repairs a lost file, and syncdiff compares' '
	pgworld ex6 &&
	sqlite3 pg/b.db "insert into note(body) values ('"'"'a'"'"'), ('"'"'b'"'"')" &&
	pg_sql -c "insert into article(label, price) values ('"'"'Chair'"'"', 12.5), ('"'"'Tenth'"'"', 0.1)" &&
	round pg "$PG_URI" &&
	expect_code 0 syncdiff "$PG_URI" pg/b.db --table note &&
	expect_code 0 syncdiff "$PG_URI" pg/b.db --table article &&
	sqlite3 pg/b.db "update note set body = '"'"'changed'"'"' where body = '"'"'a'"'"'" &&
	syncpack -d pg/b.db --to ASOC -o lost.sxf 2>>log &&
	expect_code 1 syncdiff "$PG_URI" pg/b.db --table note &&
	grep -q "^differs	note	" out &&
	mkdir -p pg/usb/done &&
	expect_code 0 syncdiff -d "$PG_URI" --request --to BSOC -o pg/usb &&
	expect_err "request flow [0-9]* to BSOC: 2 records from" &&
	syncdiff -d pg/b.db --answer pg/usb/ASOC_BSOC_*_request.sxf -o pg/usb 2>>log &&
	mv pg/usb/ASOC_BSOC_*_request.sxf pg/usb/done/ &&
	recv "$PG_URI" pg &&
	test "$(pg_sql -c "select body from note order by body" | tr "\n" " ")" = "b changed " &&
	a=$(ls -t pg/usb/done/BSOC_ASOC_*_answer.sxf | head -1) &&
	expect_code 0 syncdiff -d "$PG_URI" --answer "$a" -o pg/usb &&
	recv pg/b.db pg &&
	expect_code 0 syncdiff "$PG_URI" pg/b.db --table note &&
	syncack -d pg/b.db --to ASOC -o pg/usb 2>>log && recv "$PG_URI" pg &&
	test "$(syncack -d "$PG_URI" --flows --json | jq -r "[.[] | select(.kind == \"request\") | .status] | join(\" \")")" = complete
'

test_expect_success 'two records of one natural key made at two spokes merge on a PostgreSQL hub, with the reason' '
	pg_newdb natural && mkdir -p nat/usb &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key nat/hub.key --pub nat/hub.pub 2>/dev/null &&
	pg_sql -c "create table tag(code text primary key, label text)" &&
	syncadm track -d "$PG_URI" tag --owner shared &&
	for x in b c; do
		id=$(echo $x | tr bc BC)SOC &&
		syncadm init -d nat/$x.db --site $id 2>/dev/null &&
		syncadm peer add -d "$PG_URI" --site $id --key nat/$x.db.pub &&
		syncadm peer add -d nat/$x.db --site ASOC --key nat/hub.pub &&
		sqlite3 nat/$x.db "create table tag(code text primary key, label text);
			insert into tag values ('\''red'\'', '\''from $x'\'')" &&
		syncadm track -d nat/$x.db tag --owner shared &&
		syncpack -d nat/$x.db --to ASOC -o nat/usb 2>>log || return 1
	done &&
	expect_code 1 syncunpack -d "$PG_URI" nat/usb &&
	test "$(pg_sql -c "select count(*) from tag")" = 1 &&
	test "$(pg_sql -c "select label from tag")" = "from c" &&
	pg_sql -c "select outcome || '\'': '\'' || reason from syncpack.protocol where peer = '\''CSOC'\''" >why &&
	grep -q "^conflict-\(won\|lost\): the same key as .* merged into " why &&
	test "$(pg_sql -c "select count(*) from syncpack.record where merged is not null")" = 1
'

test_done
