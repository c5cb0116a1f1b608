#!/bin/sh
# Identity merge through a PostgreSQL hub (t0330's cases with the hub on
# PostgreSQL): two spokes that create a record with the same natural key
# before they exchange end with one record everywhere, the GUID that sorts
# first with the values of the later write (syncpack(7), Keys).
. "$SYNCPACK_SRC/t/pg-hub-lib.sh"

schema='
create table customer(id integer primary key, name text);
create table article(id integer primary key, label text);
create table basket(customer_id integer not null references customer(id),
	article_id integer not null references article(id), qty integer,
	primary key (customer_id, article_id));
create table tag(code text primary key, label text);'

# PostgreSQL numbers the local keys by a sequence, as SQLite a rowid.
schema_pg=$(echo "$schema" | sed "s/id integer primary key/id serial primary key/")

# make_baskets: the hub on PostgreSQL, BSOC and CSOC on SQLite, with the
# tables tracked; a customer and an article from the hub everywhere, under
# other local ids at CSOC.
make_baskets() {
	make_pg_hub_sites && mkdir usb out_b out_c && pg_sql -c "$schema_pg" &&
	sqlite3 b.db "$schema" && sqlite3 c.db "$schema" &&
	for db in "$HUB" b.db c.db; do
		for t in customer article basket tag; do
			syncadm track -d "$db" $t || return 1
		done
	done &&
	sqlite3 c.db "insert into customer(name) values ('C walk-in');
		insert into article(label) values ('C own')" &&
	pg_sql -c "insert into customer(name) values ('Dupont');
		insert into article(label) values ('pen')" &&
	round
}

# ids DB: "customer, article" of Dupont's pen at the SQLite site DB.
ids() {
	sqlite3 "$1" "select (select id from customer where name = 'Dupont') ||
		', ' || (select id from article where label = 'pen')"
}

# basket_guid DB: the GUID of the live basket record at DB.
basket_guid() {
	site_sql "$1" "select r.guid from $(sp_of "$1" record) r join
		$(sp_of "$1" table) t on t.id = r.tbl where t.name = 'basket'
		and r.deleted = 0"
}

# basket_line DB: the live basket record's GUID and its quantity.
basket_line() {
	echo "$(basket_guid "$1")|$(site_sql "$1" "select qty from basket")"
}

# same_everywhere EXPECTED: basket_line prints EXPECTED at all three, and
# each holds one basket row.
same_everywhere() {
	for db in "$HUB" b.db c.db; do
		got=$(basket_line "$db")
		if [ "$got" != "$1" ] ||
		    [ "$(site_sql "$db" "select count(*) from basket")" != 1 ]; then
			echo "$db: basket_line gives '$got', not '$1'" >&2
			return 1
		fi
	done
}

# rivals: BSOC, then CSOC, each create Dupont's pen in the basket (1,
# then 2); each packs its file for the hub into its own folder. Sets gb,
# gc, winner (the GUID that sorts first), loser, and l (the site whose
# GUID lost).
rivals() {
	sqlite3 b.db "insert into basket values ($(ids b.db), 1)" &&
	syncpack -d b.db --to ASOC -o out_b 2>>log &&
	sqlite3 c.db "insert into basket values ($(ids c.db), 2)" &&
	syncpack -d c.db --to ASOC -o out_c 2>>log &&
	gb=$(basket_guid b.db) && gc=$(basket_guid c.db) &&
	test -n "$gb" && test -n "$gc" && test "$gb" != "$gc" &&
	winner=$(printf '%s\n%s\n' "$gb" "$gc" | sort | head -1) &&
	loser=$(printf '%s\n%s\n' "$gb" "$gc" | sort | tail -1) &&
	if test "$gb" = "$winner"; then l=c.db; else l=b.db; fi
}

# merged_at_hub: the hub takes both rivals' files, merges, and packs its
# return for every spoke, which the losing site has not applied yet.
merged_at_hub() {
	mv out_b/* out_c/* usb/ && recv "$HUB" &&
	syncpack -d "$HUB" --all -o usb 2>>log
}

# merged_mark DB GUID: deleted, merged and lseq of GUID's record at DB.
merged_mark() {
	site_sql "$1" "select deleted || '|' || coalesce(merged, '') || '|' ||
		lseq from $(sp_of "$1" record) where guid = '$2'"
}

for order in "b c" "c b"; do
	test_expect_success "two spokes create one basket line, the hub gets $order first: one record everywhere" '
		make_baskets && rivals &&
		for s in $order; do
			mv out_$s/* usb/ && recv "$HUB" || return 1
		done &&
		grep -q "conflicts 1" log &&
		test "$(basket_line "$HUB")" = "$winner|2" &&
		test "$(merged_mark "$HUB" "$loser")" = "1|$winner|0" &&
		round && round && round &&
		same_everywhere "$winner|2" &&
		test "$(merged_mark b.db "$gb" | cut -d"|" -f2)" = \
			"$(test "$gb" = "$winner" || echo "$winner")" &&
		test "$(merged_mark c.db "$gc" | cut -d"|" -f2)" = \
			"$(test "$gc" = "$winner" || echo "$winner")" &&
		syncdiff "$HUB" b.db && syncdiff c.db "$HUB"
	'
done

test_expect_success 'a change made at the losing site before and after it learns of the merge lands' '
	make_baskets && rivals && merged_at_hub &&
	sqlite3 $l "update basket set qty = 5" &&
	syncpack -d $l --to ASOC -o usb 2>>log && recv "$HUB" &&
	test "$(pg_sql -c "select qty from basket")" = 5 &&
	round && round && round &&
	same_everywhere "$winner|5" &&
	sqlite3 $l "update basket set qty = 6" &&
	round && round &&
	same_everywhere "$winner|6"
'

test_expect_success 'a delete made at the losing site before it learns of the merge deletes the record' '
	make_baskets && rivals && merged_at_hub &&
	sqlite3 $l "delete from basket" &&
	syncpack -d $l --to ASOC -o usb 2>>log && recv "$HUB" &&
	test "$(pg_sql -c "select count(*) from basket")" = 0 &&
	round && round &&
	for db in "$HUB" b.db c.db; do
		test "$(site_sql "$db" "select count(*) from basket")" = 0 || return 1
	done
'

test_expect_success 'a single-column natural key: the hub and a spoke create one tag' '
	make_baskets &&
	pg_sql -c "insert into tag values ('"'red'"', '"'hub red'"')" &&
	sqlite3 b.db "insert into tag values (\"red\", \"spoke red\")" &&
	round && round && round &&
	g=$(pg_sql -c "select string_agg(r.guid, '"','"') from syncpack.record r
		join syncpack.tracked_table t on t.id = r.tbl where t.name = '"'tag'"'
		and r.deleted = 0") && test -n "$g" &&
	for db in "$HUB" b.db c.db; do
		test "$(site_sql "$db" "select label from tag")" = "spoke red" || return 1
	done &&
	test "$(pg_sql -c "select count(*) from syncpack.record where merged = '"'"'$g'"'"'")" = 1 &&
	syncdiff "$HUB" b.db && syncdiff c.db "$HUB"
'

test_expect_success 'the vacuum keeps the tombstone of a merged record' '
	make_baskets && rivals &&
	mv out_b/* out_c/* usb/ && recv "$HUB" &&
	round && round && round &&
	syncadm vacuum -d "$HUB" 2>>log &&
	test "$(merged_mark "$HUB" "$loser")" = "1|$winner|0"
'

test_done
