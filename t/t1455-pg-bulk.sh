#!/bin/sh
# A PostgreSQL hub applies a data file in batches (syncpack(7), A HUB ON
# POSTGRESQL): thousands of records across batch boundaries, children
# whose parents came in the same batch or an earlier one, awkward values,
# updates of known rows, and a record the hub refuses in the middle of a
# batch: every record has the outcome it would have alone.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

n=2500

# world: a PostgreSQL hub ASOC (database bulk) and a SQLite spoke BSOC,
# customer and orders (a child of customer) tracked shared at both; the
# hub holds one customer of its own whose email is unique.
world() {
	syncadm init -d "$PG_URI" --site ASOC --hub --key hub.key \
		--pub hub.pub 2>/dev/null &&
	pg_sql -c "create table customer(id serial primary key, name text,
			email text unique, photo bytea, balance numeric(12,2))" \
		-c "create table orders(id serial primary key, customer_id integer
			references customer(id), note text)" &&
	syncadm init -d b.db --site BSOC 2>/dev/null &&
	sqlite3 b.db "create table customer(id integer primary key, name text,
			email text unique, photo blob, balance numeric);
		create table orders(id integer primary key, customer_id integer
			references customer(id), note text)" &&
	for db in "$PG_URI" b.db; do
		syncadm track -d "$db" customer --owner shared 2>/dev/null &&
		syncadm track -d "$db" orders --owner shared 2>/dev/null || return 1
	done &&
	syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub &&
	syncadm peer add -d b.db --site ASOC --key hub.pub &&
	pg_sql -c "insert into customer(name, email) values ('hub own',
		'taken@example.org')"
}

# The spoke's n customers (awkward text, bytes with NUL, exact decimals;
# customer 1501 has the email the hub's own customer holds) and an order
# of each, in one file.
fill() {
	sqlite3 b.db "begin;
	with recursive i(k) as (select 1 union all select k + 1 from i where k < $n)
	insert into customer(name, email, photo, balance)
	select case k % 4 when 0 then 'tab' || char(9) || 'nl' || char(10) || k
		when 1 then 'q\"u{o,t}e\\' || k when 2 then 'NULL'
		else 'Zoë ' || k end,
		case k when 1501 then 'taken@example.org'
		else 'c' || k || '@example.org' end,
		case when k % 3 = 0 then x'00ff0041' end,
		cast(k % 1000 as text) || '.90' from i;
	insert into orders(customer_id, note)
	select id, 'order of ' || email from customer;
	commit" &&
	syncpack -d b.db --to ASOC -o file.sxf 2>/dev/null
}

# customers DB: each customer as "email|name|hex(photo)|balance", sorted.
customers() {
	if [ "$1" = hub ]; then
		pg_sql -F '|' -c "select email, name, coalesce(upper(encode(photo,
			'hex')), ''), balance from customer where email <> 'taken@example.org'
			order by email"
	else
		sqlite3 -separator '|' "$W/b.db" "select email, name,
			coalesce(hex(photo), ''), printf('%.2f', balance) from customer
			where email <> 'taken@example.org' order by email"
	fi
}

# One network for every case, made once (a case runs in a folder of its
# own).
W=$(mktemp -d "${TMPDIR:-/tmp}/t1455.XXXXXX") &&
trap 'pg_stop; rm -rf "$W"' EXIT &&
pg_newdb bulk && (cd "$W" && world && fill) ||
	{ echo "Bail out! the network could not be made"; exit 1; }

test_expect_success 'thousands of records across batches: each has its own outcome' '
	syncunpack -d "$PG_URI" "$W/file.sxf" 2>err; test $? -eq 1 &&
	grep -q "applied $((2 * n - 2)), skipped 0, conflicts 0, rejected 1, held 1" err &&
	test "$(pg_sql -c "select count(*) from customer")" -eq $n &&
	test "$(pg_sql -c "select count(*) from orders o join customer c on
		c.id = o.customer_id where o.note = '"'"'order of '"'"' || c.email")" \
		-eq $((n - 1)) &&
	pg_sql -c "select reason from syncpack.protocol where outcome =
		'"'"'rejected'"'"'" >reason &&
	grep -q "customer_email_key" reason
'

test_expect_success 'values and references land as single writes land them' '
	customers hub >hub.txt && customers spoke | grep -v "^c1501@" >spoke.txt &&
	cmp spoke.txt hub.txt &&
	test "$(pg_sql -c "select count(*) from syncpack.record r join customer c
		on r.rkey = c.id::text where r.tbl = (select id from
		syncpack.tracked_table where name = '"'"'customer'"'"')")" -eq $n
'

test_expect_success 'updates of known rows, with a record the hub took meanwhile' '
	sqlite3 "$W/b.db" "update customer set balance = balance + 1000,
		name = name || '"'"' v2'"'"' where id % 2 = 0" &&
	pg_sql -c "update customer set name = '"'"'hub changed'"'"' where email =
		'"'"'c6@example.org'"'"'" &&
	syncpack -d "$W/b.db" --to ASOC -o file2.sxf 2>/dev/null &&
	syncunpack -d "$PG_URI" file2.sxf 2>err; test $? -le 1 &&
	customers hub | grep -v "^c6@" >hub.txt &&
	customers spoke | grep -v "^c1501@\|^c6@" >spoke.txt &&
	cmp spoke.txt hub.txt &&
	test "$(pg_sql -c "select count(*) from customer")" -eq $n
'

test_done
