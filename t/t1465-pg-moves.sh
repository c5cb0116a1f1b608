#!/bin/sh
# Moves through a PostgreSQL hub (t0700's field service with the hub on
# PostgreSQL): interventions and their lines live on one site at a time;
# the hub takes one from a spoke and hands it to another, refuses local
# changes and new references to it while it is in transit, and forgets
# it once the receiver acknowledged it.
. "$SYNCPACK_SRC/t/pg-hub-lib.sh"

make_field() {
	make_pg_hub_sites && mkdir usb && pg_sql -c "$field_schema_pg" &&
	for db in "$HUB" b.db c.db; do
		case $db in b.db | c.db) sqlite3 "$db" "$field_schema" ;; esac &&
		syncadm track -d "$db" procedure --owner central &&
		syncadm track -d "$db" intervention --owner creator --movable &&
		syncadm track -d "$db" intervention_line --owner creator --movable || return 1
	done
}

# rkey_of DB GUID: the local key of GUID's row at DB ("" when none).
rkey_of() {
	syncadm status -d "$1" >/dev/null 2>&1	# folds the change log
	case $1 in
	postgres*) pg_sql -c "select coalesce(rkey, '') from syncpack.record where guid = '$2'" ;;
	*) sqlite3 "$1" "select coalesce(rkey, '') from syncpack_record where guid = '$2'" ;;
	esac
}

# present DB: the intervention S2 has a row at DB.
present() {
	test -n "$(rkey_of "$1" "$S2")"
}

# writable DB: an update of S2's row at DB is let through.
writable() {
	id=$(rkey_of "$1" "$S2") && test -n "$id" &&
	site_sql "$1" "update intervention set status = status where id = $id" \
		>/dev/null 2>&1
}

test_expect_success 'W2 -> hub -> W1 through a PostgreSQL hub: one writable site, same GUID' '
	make_field &&
	pg_sql -c "insert into procedure(code, version, body) values ('"'"'A'"'"', 1, '"'"'v1'"'"')" &&
	round &&
	test "$(sqlite3 c.db "select version from procedure")" = 1 &&
	sqlite3 c.db "insert into intervention(procedure_id, tech, status) values (1, '"'"'W2'"'"', '"'"'open'"'"');
		insert into intervention_line(intervention_id, step) values (1, '"'"'check'"'"'), (1, '"'"'fix'"'"')" &&
	syncadm status -d c.db >/dev/null &&
	S2=$(sqlite3 c.db "select guid from syncpack_record r join syncpack_table t on t.id = r.tbl where t.name = '"'"'intervention'"'"'") &&
	test -n "$S2" &&
	syncpack -d c.db --to ASOC --move intervention:1 -o usb 2>>log &&
	! writable c.db && present c.db &&
	recv "$HUB" && present "$HUB" && writable "$HUB" &&
	test "$(pg_sql -c "select count(*) from intervention_line l join intervention i on i.id = l.intervention_id where i.tech = '"'"'W2'"'"'")" = 2 &&
	ack "$HUB" CSOC && recv c.db && ! present c.db &&
	test "$(sqlite3 c.db "select count(*) from intervention_line")" = 0 &&
	syncpack -d b.db --to ASOC --request-move intervention:$S2 -o usb 2>>log &&
	recv "$HUB" &&
	syncpack -d "$HUB" --to BSOC -o usb 2>>log &&
	present "$HUB" && ! writable "$HUB" &&
	recv b.db && present b.db && writable b.db &&
	test "$(sqlite3 b.db "select count(*) from intervention_line l join intervention i on i.id = l.intervention_id where i.tech = '"'"'W2'"'"'")" = 2 &&
	ack b.db ASOC && recv "$HUB" &&
	! present "$HUB" && present b.db &&
	test "$(pg_sql -c "select count(*) from intervention_line")" = 0 &&
	syncack -d "$HUB" --transfers $S2 >hist &&
	grep -q "  CSOC  *ASOC  *[0-9]*  .*  done$" hist &&
	grep -q "  ASOC  *BSOC  *[0-9]*  .*  done$" hist
'

test_expect_success 'in transit at the hub: changes and new references are refused' '
	make_field &&
	pg_sql -c "insert into intervention(tech, status) values ('"'"'hub'"'"', '"'"'open'"'"')" &&
	syncadm status -d "$HUB" >/dev/null &&
	S2=$(pg_sql -c "select r.guid from syncpack.record r join syncpack.tracked_table t on t.id = r.tbl where t.name = '"'"'intervention'"'"'") &&
	syncpack -d "$HUB" --to BSOC --move intervention:1 -o usb 2>>log &&
	! writable "$HUB" &&
	! pg_sql -c "update intervention set status = '"'"'x'"'"'" 2>err &&
	grep -q "syncpack: intervention: record is in transit to another site and cannot be changed" err &&
	! pg_sql -c "delete from intervention" 2>err &&
	grep -q "in transit" err &&
	! pg_sql -c "insert into intervention_line(intervention_id, step) values (1, '"'"'late'"'"')" 2>err &&
	grep -q "syncpack: intervention_line: intervention_id refers to a record of intervention in transit to another site; it would be left behind" err &&
	recv b.db && present b.db && writable b.db &&
	ack b.db ASOC && recv "$HUB" && ! present "$HUB" &&
	test "$(pg_sql -c "select count(*) from intervention")" = 0
'

test_expect_success 'the hub'"'"'s file to W1 is lost once: the next return repeats the move' '
	make_field &&
	pg_sql -c "insert into intervention(tech, status) values ('"'"'hub'"'"', '"'"'open'"'"')" &&
	syncadm status -d "$HUB" >/dev/null &&
	S2=$(pg_sql -c "select r.guid from syncpack.record r join syncpack.tracked_table t on t.id = r.tbl where t.name = '"'"'intervention'"'"'") &&
	syncpack -d "$HUB" --to BSOC --move intervention:1 -o usb 2>>log &&
	rm usb/ASOC_BSOC_*_data.sxf &&
	syncpack -d "$HUB" --to BSOC -o usb 2>>log && recv b.db &&
	present b.db && writable b.db &&
	ack b.db ASOC && recv "$HUB" && ! present "$HUB"
'

test_expect_success 'a site made before moves were ported gets today'"'"'s guards at track' '
	pg_newdb oldsite &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key old.key --pub old.pub \
		2>/dev/null &&
	pg_sql -c "drop function syncpack.guard_references()" &&
	pg_sql -c "$field_schema_pg" &&
	syncadm track -d "$PG_URI" intervention --owner creator --movable &&
	syncadm track -d "$PG_URI" intervention_line --owner creator --movable &&
	test "$(pg_sql -c "select count(*) from pg_proc where proname = '"'"'guard_references'"'"'")" = 1 &&
	pg_sql -c "insert into intervention_line(step) values ('"'"'x'"'"')"
'

test_done
