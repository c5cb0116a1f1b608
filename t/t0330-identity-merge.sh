#!/bin/sh
# t0330-identity-merge: two sites that create a record with the same
# natural key before they exchange end with one record everywhere: the
# GUID that sorts first, the values of the later write, children of the
# other found under it (syncpack(7), "Keys").
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

schema='
create table customer(id integer primary key, name text);
create table article(id integer primary key, label text);
create table basket(customer_id integer not null references customer(id),
	article_id integer not null references article(id), qty integer,
	primary key (customer_id, article_id));
create table basket_note(id integer primary key, customer_id integer,
	article_id integer, note text, foreign key (customer_id, article_id)
	references basket(customer_id, article_id));
create table tag(code text primary key, label text);'

# make_baskets: hub and two spokes with the tables tracked, a customer and
# an article from the hub everywhere, under other local ids at CSOC.
make_baskets() {
	make_sites && mkdir usb out_b out_c &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "$schema" &&
		for t in customer article basket basket_note tag; do
			syncadm track -d $db $t || return 1
		done
	done &&
	sqlite3 c.db "insert into customer(name) values ('C walk-in');
		insert into article(label) values ('C own')" &&
	sqlite3 hub.db "insert into customer(name) values ('Dupont');
		insert into article(label) values ('pen')" &&
	round
}

tbl() {
	echo "(select id from syncpack_table where name = '$1')"
}

# ids DB: "customer, article" of Dupont's pen at DB.
ids() {
	sqlite3 "$1" "select (select id from customer where name = 'Dupont') ||
		', ' || (select id from article where label = 'pen')"
}

# baskets DB: every basket row by GUIDs: its own, its customer's, its
# article's, and its quantity; the same at two sites means the same
# record with the same values.
baskets() {
	sqlite3 "$1" "select r.guid, rc.guid, ra.guid, b.qty from basket b
		join syncpack_record r on r.tbl = $(tbl basket)
			and r.rkey = b.customer_id || ',' || b.article_id
		join syncpack_record rc on rc.tbl = $(tbl customer) and rc.rkey = b.customer_id
		join syncpack_record ra on ra.tbl = $(tbl article) and ra.rkey = b.article_id
		order by 1"
}

# notes DB: every note and the GUID of the basket row it refers to.
notes() {
	sqlite3 "$1" "select n.note, r.guid from basket_note n
		join syncpack_record r on r.tbl = $(tbl basket)
			and r.rkey = n.customer_id || ',' || n.article_id order by 1"
}

# basket_guid DB: the GUID of the live basket record at DB.
basket_guid() {
	sqlite3 "$1" "select guid from syncpack_record where tbl = $(tbl basket)
		and not deleted"
}

# same_everywhere FUNCTION EXPECTED: FUNCTION prints EXPECTED at all three.
same_everywhere() {
	for db in hub.db b.db c.db; do
		got=$($1 $db)
		if [ "$got" != "$2" ]; then
			echo "$db: $1 gives '$got', not '$2'" >&2
			return 1
		fi
	done
}

# rivals: BSOC, then CSOC, each create Dupont's pen in the basket (1,
# then 2), CSOC a note on it too; each packs its file for the hub into
# its own folder. Sets gb, gc, and winner (the GUID that sorts first).
rivals() {
	sqlite3 b.db "insert into basket values ($(ids b.db), 1)" &&
	syncpack -d b.db --to ASOC -o out_b 2>>log &&
	sqlite3 c.db "insert into basket values ($(ids c.db), 2);
		insert into basket_note(customer_id, article_id, note)
			values ($(ids c.db), 'gift')" &&
	syncpack -d c.db --to ASOC -o out_c 2>>log &&
	gb=$(basket_guid b.db) && gc=$(basket_guid c.db) &&
	test -n "$gb" && test -n "$gc" && test "$gb" != "$gc" &&
	winner=$(printf '%s\n%s\n' "$gb" "$gc" | sort | head -1)
}

# converged: after three rounds every site holds the winner with the
# later write's quantity (CSOC's 2) and CSOC's note, under the same GUIDs.
converged() {
	round && round && round &&
	cust=$(sqlite3 hub.db "select guid from syncpack_record where tbl = $(tbl customer)
		and rkey = (select id from customer where name = 'Dupont')") &&
	art=$(sqlite3 hub.db "select guid from syncpack_record where tbl = $(tbl article)
		and rkey = (select id from article where label = 'pen')") &&
	same_everywhere baskets "$winner|$cust|$art|${1:-2}" &&
	same_everywhere notes "gift|$winner"
}

for order in "b c" "c b"; do
	test_expect_success "two spokes create one basket line, the hub gets $order first: one record everywhere" '
		make_baskets && rivals &&
		for s in $order; do
			mv out_$s/* usb/ && recv hub.db || return 1
		done &&
		grep -q "conflicts 1" log &&
		test "$(baskets hub.db | cut -d"|" -f1,4)" = "$winner|2" &&
		loser=$(printf "%s\n%s\n" "$gb" "$gc" | sort | tail -1) &&
		test "$(sqlite3 hub.db "select deleted, merged, lseq from syncpack_record
			where guid = \"$loser\"")" = "1|$winner|0" &&
		converged &&
		test "$(sqlite3 b.db "select merged from syncpack_record where guid = \"$gb\"")" = \
			"$(test "$gb" = "$winner" || echo "$winner")" &&
		test "$(sqlite3 c.db "select merged from syncpack_record where guid = \"$gc\"")" = \
			"$(test "$gc" = "$winner" || echo "$winner")" &&
		syncdiff hub.db b.db && syncdiff c.db hub.db
	'
done

test_expect_success 'a change made at the losing site before and after it learns of the merge lands' '
	make_baskets && rivals &&
	mv out_b/* out_c/* usb/ && recv hub.db &&
	syncpack -d hub.db --all -o usb 2>>log &&
	# The site whose GUID lost changes its row before it applies the
	# hub'"'"'s file: a version of a record the hub merged away.
	if test "$gb" = "$winner"; then l=c.db; else l=b.db; fi &&
	sqlite3 $l "update basket set qty = 5" &&
	syncpack -d $l --to ASOC -o usb 2>>log && recv hub.db &&
	test "$(sqlite3 hub.db "select qty from basket")" = 5 &&
	converged 5 &&
	sqlite3 $l "update basket set qty = 6" &&
	round && round &&
	same_everywhere baskets "$winner|$cust|$art|6"
'

test_expect_success 'a delete made at the losing site before it learns of the merge deletes the record' '
	make_baskets && rivals &&
	sqlite3 c.db "delete from basket_note" &&
	syncpack -d c.db --to ASOC -o out_c 2>>log &&
	mv out_b/* out_c/* usb/ && recv hub.db &&
	syncpack -d hub.db --all -o usb 2>>log &&
	if test "$gb" = "$winner"; then l=c.db; else l=b.db; fi &&
	sqlite3 $l "delete from basket" &&
	syncpack -d $l --to ASOC -o usb 2>>log && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from basket")" = 0 &&
	round && round &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select count(*) from basket")" = 0 || return 1
	done
'

test_expect_success 'a reconciliation sends no merged tombstone: the losing site merges when the winner comes' '
	make_baskets && rivals &&
	mv out_b/* out_c/* usb/ && recv hub.db &&
	if test "$gb" = "$winner"; then l=c.db s=CSOC g=$gc; else l=b.db s=BSOC g=$gb; fi &&
	mkdir -p usb/done && reconcile $l $s &&
	test "$(sqlite3 $l "select group_concat(guid || \" \" || outcome) from syncpack_protocol
		where tbl = \"basket\" and direction = \"in\"")" = "$winner conflict-won" &&
	test "$(sqlite3 $l "select count(*) from basket")" = 1 &&
	test "$(basket_guid $l)" = "$winner" &&
	test "$(sqlite3 $l "select merged from syncpack_record where guid = \"$g\"")" = "$winner" &&
	converged
'

test_expect_success 'a single-column natural key: the hub and a spoke create one tag' '
	make_baskets &&
	sqlite3 hub.db "insert into tag values (\"red\", \"hub red\")" &&
	sqlite3 b.db "insert into tag values (\"red\", \"spoke red\")" &&
	round && round && round &&
	g=$(sqlite3 hub.db "select group_concat(guid) from syncpack_record where
		tbl = $(tbl tag) and not deleted") && test -n "$g" &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select r.guid || \" \" || t.label from tag t
			join syncpack_record r on r.tbl = $(tbl tag) and r.rkey = t.code")" = \
			"$g spoke red" || return 1
	done &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_record where tbl = $(tbl tag)
		and merged = \"$g\"")" = 1
'

test_expect_success 'a local key never merges: the same values make two records' '
	make_baskets &&
	sqlite3 b.db "insert into customer(name) values (\"Martin\")" &&
	sqlite3 c.db "insert into customer(name) values (\"Martin\")" &&
	round && round &&
	for db in hub.db b.db c.db; do
		test "$(sqlite3 $db "select count(*) from customer where name = \"Martin\"")" = 2 &&
		test "$(sqlite3 $db "select count(*) from syncpack_record where merged is not null")" = 0 ||
		return 1
	done
'

test_expect_success 'a site made before merges existed gains the column at open' '
	syncadm init -d old.db --site OSOC 2>/dev/null &&
	sqlite3 old.db "alter table syncpack_record drop column merged" &&
	syncadm status -d old.db >/dev/null 2>&1 &&
	test "$(sqlite3 old.db "select count(*) from pragma_table_info(\"syncpack_record\")
		where name = \"merged\"")" = 1
'

test_done
