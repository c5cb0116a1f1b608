#!/bin/sh
# Moves between sites and dependency closure: the field-service scenario.
# Hub ASOC holds procedures; technicians W1 (BSOC) and W2 (CSOC) work on
# interventions that live on exactly one site at a time.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

make_field() {
	make_sites && mkdir usb &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "$field_schema" &&
		syncadm track -d $db procedure --owner central &&
		syncadm track -d $db intervention --owner creator --movable &&
		syncadm track -d $db intervention_line --owner creator --movable || return 1
	done
}

# guid_of DB TABLE ID
guid_of() {
	fold "$1" && sqlite3 "$1" "select guid from syncpack_record where rkey = $3 and tbl = (select id from syncpack_table where name = \"$2\")"
}

# writable DB: 0 when the intervention S2 (by GUID $S2) can be changed there.
writable() {
	id=$(sqlite3 "$1" "select rkey from syncpack_record where guid = \"$S2\"")
	test -n "$id" && sqlite3 "$1" "update intervention set status = status where id = $id" 2>/dev/null
}

# present DB: the intervention S2 is in DB.
present() {
	test -n "$(sqlite3 "$1" "select rkey from syncpack_record where guid = \"$S2\" and rkey is not null")"
}

# exactly_one_writable: S2 is writable on at most one site.
exactly_one_writable() {
	n=0
	for db in hub.db b.db c.db; do
		writable $db && n=$((n + 1))
	done
	test $n -le 1
}

# The scenario up to the point where W2 has moved S2 to the hub and the
# hub has applied it; sets S2 (the GUID).
w2_moves_s2_to_hub() {
	sqlite3 hub.db "insert into procedure(code, version, body) values (\"A\", 1, \"v1\")" &&
	round &&
	test "$(sqlite3 b.db "select version from procedure")" = 1 &&
	sqlite3 hub.db "update procedure set version = 2, body = \"v2\"" &&
	syncpack -d hub.db --to CSOC -o usb 2>>log && recv c.db && ack c.db ASOC && recv hub.db &&
	test "$(sqlite3 c.db "select version from procedure")" = 2 &&
	test "$(sqlite3 b.db "select version from procedure")" = 1 &&
	sqlite3 c.db "insert into intervention(procedure_id, tech, status) values (1, \"W2\", \"open\");
		insert into intervention_line(intervention_id, step) values (1, \"check\"), (1, \"fix\")" &&
	S2=$(guid_of c.db intervention 1) && test -n "$S2" &&
	syncpack -d c.db --to ASOC --move intervention:1 -o usb 2>>log &&
	! writable c.db && present c.db &&
	sqlite3 c.db "select status from intervention" | grep -qx open &&
	sqlite3 hub.db "insert into intervention(tech, status) values (\"hub\", \"local\")" &&
	recv hub.db && present hub.db && ! writable c.db && exactly_one_writable
}

test_expect_success 'W2 -> hub -> W1: one writable site, same GUID, history W2>hub>W1' '
	make_field &&
	sqlite3 b.db "insert into intervention(tech, status) values (\"W1\", \"own\")" &&
	w2_moves_s2_to_hub &&
	test "$(sqlite3 hub.db "select count(*) from intervention_line")" = 2 &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db &&
	! present c.db &&
	test -z "$(sqlite3 c.db "select guid from syncpack_record where guid = \"$S2\"")" &&
	test "$(sqlite3 c.db "select count(*) from intervention_line")" = 0 &&
	writable hub.db && exactly_one_writable &&
	syncpack -d b.db --to ASOC --request-move intervention:$S2 -o usb 2>>log &&
	recv hub.db &&
	syncpack -d hub.db --to BSOC -o usb 2>>log &&
	! writable hub.db && present hub.db &&
	recv b.db &&
	present b.db && writable b.db && ! writable hub.db &&
	test "$(sqlite3 b.db "select version, body from procedure")" = "2|v2" &&
	test "$(sqlite3 b.db "select count(*) from intervention_line l join intervention i on i.id = l.intervention_id where i.tech = \"W2\"")" = 2 &&
	ack b.db ASOC && recv hub.db &&
	! present hub.db && present b.db && exactly_one_writable &&
	test "$(sqlite3 hub.db "select count(*) from intervention_line")" = 0 &&
	idb=$(sqlite3 b.db "select rkey from syncpack_record where guid = \"$S2\"") &&
	test "$idb" = 2 &&
	syncack -d hub.db --transfers $S2 >hist &&
	grep -q "  CSOC  *ASOC  *[0-9]*  .*  done$" hist &&
	grep -q "  ASOC  *BSOC  *[0-9]*  .*  done$" hist &&
	syncack -d b.db --transfers $S2 | grep -q "  ASOC  *BSOC  "
'

test_expect_success 'the hub'"'"'s file to W1 is lost once: the next return repeats the move' '
	make_field &&
	w2_moves_s2_to_hub &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db &&
	syncpack -d b.db --to ASOC --request-move intervention:$S2 -o usb 2>>log && recv hub.db &&
	syncpack -d hub.db --to BSOC -o usb 2>>log &&
	rm usb/ASOC_BSOC_*_data.sxf &&
	! present b.db && ! writable hub.db &&
	syncpack -d hub.db --to BSOC -o usb 2>>log && recv b.db &&
	present b.db && writable b.db &&
	ack b.db ASOC && recv hub.db && ! present hub.db && exactly_one_writable
'

test_expect_success 'a move repeated after the receiver changed the record does not undo the change' '
	make_field &&
	w2_moves_s2_to_hub &&
	hid=$(sqlite3 hub.db "select rkey from syncpack_record where guid = \"$S2\"") &&
	sqlite3 hub.db "update intervention set status = \"at hub\" where id = $hid" &&
	syncpack -d c.db --to ASOC -o usb 2>>log && recv hub.db &&
	test "$(sqlite3 hub.db "select status from intervention where id = $hid")" = "at hub" &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db &&
	! present c.db && writable hub.db && exactly_one_writable &&
	test "$(sqlite3 hub.db "select status from intervention where id = $hid")" = "at hub"
'

test_expect_success 'W1 refuses the move: the record goes back to the hub, writable there' '
	make_field &&
	w2_moves_s2_to_hub &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db &&
	syncpack -d hub.db --to BSOC --move intervention:$S2 -o usb 2>>log &&
	! writable hub.db &&
	{ syncunpack -d b.db usb --refuse-moves 2>>log; test $? = 1; } &&
	! present b.db &&
	ack b.db ASOC && recv hub.db &&
	present hub.db && writable hub.db && exactly_one_writable &&
	syncack -d hub.db --transfers $S2 | grep -q "  ASOC  *BSOC  *[0-9]*  .*  refused$"
'

test_expect_success 'moves and procedures in any order: a move never lands before A.2' '
	make_field && no_seal_all &&
	w2_moves_s2_to_hub &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db &&
	syncpack -d hub.db --to BSOC --move intervention:$S2 -o usb 2>>log &&
	f=$(ls usb/ASOC_BSOC_*_data.sxf) &&
	mkdir x && tar -xzf $f -C x &&
	grep -n "^{\"table\":\"procedure\"" x/data.jsonl | head -1 | cut -d: -f1 >p &&
	grep -n "\"op\":\"move\"" x/data.jsonl | head -1 | cut -d: -f1 >m &&
	test "$(cat p)" -lt "$(cat m)" &&
	recv b.db &&
	test "$(sqlite3 b.db "select version from procedure")" = 2 &&
	present b.db
'

test_expect_success 'an older procedure at the receiver holds the move until A.2 arrives' '
	make_field && no_seal_all &&
	w2_moves_s2_to_hub &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db &&
	syncpack -d hub.db --to BSOC --move intervention:$S2 -o usb 2>>log &&
	f=$(ls usb/ASOC_BSOC_*_data.sxf) &&
	mkdir x && tar -xzf $f -C x &&
	grep -v "^{\"table\":\"procedure\"" x/data.jsonl >x/d && mv x/d x/data.jsonl &&
	sed -i "s/^flow: .*/flow: 77/" x/HEADER &&
	(cd x && sha256sum schema.json data.jsonl >MANIFEST && cat HEADER MANIFEST >../signed) &&
	openssl pkeyutl -sign -inkey hub.db.key -rawin -in signed -out x/SIGNATURE &&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE schema.json data.jsonl) | gzip >moveonly.sxf &&
	expect_code 1 syncunpack -d b.db moveonly.sxf &&
	! present b.db &&
	syncadm held -d b.db | grep -q "procedure .* is at rowversion 1, the record needs 2" &&
	expect_code 0 syncunpack -d b.db "$f" &&
	present b.db && writable b.db &&
	test "$(sqlite3 b.db "select version from procedure")" = 2 &&
	test -z "$(syncadm held -d b.db)"
'

test_expect_success 'no new reference to a record in transit: it would be left behind' '
	make_field &&
	w2_moves_s2_to_hub &&
	sqlite3 c.db "insert into intervention(tech, status) values (\"W2\", \"next\");
		insert into intervention_line(intervention_id, step) values (2, \"plan\")" &&
	! sqlite3 c.db "insert into intervention_line(intervention_id, step) values (1, \"late\")" 2>err &&
	grep -q "intervention_line: intervention_id refers to a record of intervention in transit" err &&
	! sqlite3 c.db "update intervention_line set intervention_id = 1 where intervention_id = 2" 2>err &&
	grep -q "in transit" err &&
	sqlite3 c.db "update intervention_line set step = \"plan B\" where intervention_id = 2" &&
	syncack -d hub.db --to CSOC -o usb 2>>log && recv c.db && ! present c.db &&
	test "$(sqlite3 c.db "select count(*) from intervention_line where intervention_id not in (select id from intervention)")" = 0 &&
	test "$(sqlite3 c.db "select step from intervention_line")" = "plan B" &&
	test "$(sqlite3 hub.db "select count(*) from intervention_line")" = 2 &&
	sqlite3 c.db "insert into intervention_line(intervention_id, step) values (2, \"more\")"
'

test_expect_success 'the guard holds whichever table was tracked first' '
	make_sites && mkdir usb &&
	for db in hub.db c.db; do
		sqlite3 $db "$field_schema" &&
		syncadm track -d $db intervention_line --owner creator --movable &&
		syncadm track -d $db intervention --owner creator --movable &&
		syncadm track -d $db procedure --owner central || return 1
	done &&
	sqlite3 c.db "insert into intervention(tech) values (\"W2\")" &&
	syncpack -d c.db --to ASOC --move intervention:1 -o usb 2>>log &&
	! sqlite3 c.db "insert into intervention_line(intervention_id, step) values (1, \"late\")" 2>err &&
	grep -q "in transit" err
'

test_expect_success 'moves are refused for tables not tracked --movable' '
	make_field &&
	sqlite3 hub.db "insert into procedure(code) values (\"A\")" &&
	expect_code 2 syncpack -d hub.db --to BSOC --move procedure:1 -o usb &&
	expect_err "procedure: not a table tracked --movable" &&
	expect_code 2 syncpack -d c.db --to ASOC --move intervention:99 -o usb &&
	expect_err "intervention: no record 99 here"
'

test_done
