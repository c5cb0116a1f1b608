#!/bin/sh
# syncunpack --refuse: a site refuses a data file before it is applied;
# nothing of it applies, the next ack tells the sender, whose flow list and
# status show it, and whose next file carries the records again.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# apps DB: the application tables of the shop, row by row.
apps() {
	for t in customer article piece event; do
		sqlite3 "$1" ".dump $t" || return 1
	done
}

# flow_field DB DIRECTION FLOW FIELD: one field of a flow, from the JSON
# flow listing.
flow_field() {
	syncack -d "$1" --flows --json |
		jq -r ".[] | select(.direction == \"$2\" and .flow == $3) | .$4"
}

# hub_file: the hub's changes packed for BSOC as usb/f1.sxf.
hub_file() {
	make_shop &&
	sqlite3 hub.db "insert into article(label, price) values (\"Chair\", 12.5), (\"Table\", 40)" &&
	syncpack -d hub.db --to BSOC -o usb/f1.sxf 2>>log
}

test_expect_success 'a refused file applies nothing and its flow says refused, with the reason' '
	hub_file &&
	before=$(apps b.db) &&
	expect_code 0 syncunpack -d b.db --refuse --reason "prices are wrong" usb/f1.sxf &&
	expect_err "usb/f1.sxf: flow 1 from ASOC refused, nothing applied; the next ack tells ASOC" &&
	test "$(apps b.db)" = "$before" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_record")" = 0 &&
	test "$(flow_field b.db in 1 status)" = refused &&
	test "$(flow_field b.db in 1 reason)" = "prices are wrong" &&
	test "$(flow_field b.db in 1 executions)" = 0 &&
	test "$(flow_field b.db in 1 file)" = usb/f1.sxf &&
	test "$(flow_field b.db in 1 acked)" = no &&
	syncack -d b.db --flows --status refused >list &&
	grep -q "^ASOC  *in  *1 .* refused .* prices are wrong$" list &&
	expect_code 1 syncadm status -d b.db &&
	grep -q "^verdict: attention: 1 incoming files refused or failed$" out
'

test_expect_success 'refusing twice changes nothing; applying a refused file does nothing' '
	hub_file &&
	syncunpack -d b.db --refuse usb/f1.sxf 2>>log &&
	test "$(flow_field b.db in 1 reason)" = null &&
	sum=$(db_sum b.db) &&
	expect_code 0 syncunpack -d b.db --refuse --reason "later words" usb/f1.sxf &&
	expect_err "usb/f1.sxf: flow 1 from ASOC already refused, nothing done" &&
	test "$(db_sum b.db)" = "$sum" &&
	before=$(apps b.db) &&
	expect_code 0 syncunpack -d b.db usb &&
	expect_err "usb/f1.sxf: flow 1 from ASOC was refused here, nothing done" &&
	test -f usb/done/f1.sxf &&
	test "$(apps b.db)" = "$before" &&
	test "$(flow_field b.db in 1 status)" = refused
'

test_expect_success 'a forged, damaged or foreign file is not recorded' '
	hub_file &&
	no_seal_all &&
	syncpack -d hub.db --to BSOC -o plain.sxf 2>>log &&
	syncpack -d hub.db --to CSOC -o csoc.sxf 2>>log &&
	sum=$(db_sum b.db) &&
	expect_code 2 syncunpack -d b.db --refuse csoc.sxf &&
	expect_err "^syncunpack: csoc.sxf: addressed to CSOC, not to this site \(BSOC\)" &&
	mkdir x && tar -xzf plain.sxf -C x &&
	sed -i "s/Chair/Chaise/" x/data.jsonl &&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE schema.json data.jsonl) | gzip >bad.sxf &&
	expect_code 2 syncunpack -d b.db --refuse bad.sxf &&
	expect_err "^syncunpack: bad.sxf: hash mismatch in member data.jsonl$" &&
	sed -i "s/^to: BSOC/to: CSOC/" x/HEADER &&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE schema.json data.jsonl) | gzip >forged.sxf &&
	expect_code 2 syncunpack -d b.db --refuse forged.sxf &&
	expect_err "^syncunpack: forged.sxf: (bad signature|addressed to CSOC)" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_flow")" = 0 &&
	test "$(db_sum b.db)" = "$sum"
'

test_expect_success 'an unsealed file from a site that seals is not recorded either' '
	make_shop &&
	sqlite3 hub.db "insert into article(label) values (\"Chair\")" &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncpack -d hub.db --to BSOC -o plain.sxf 2>>log &&
	expect_code 2 syncunpack -d b.db --refuse plain.sxf &&
	expect_err "plain.sxf: not sealed, but ASOC has a sealing key: refused" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_flow")" = 0
'

test_expect_success 'a file applied here, or an ack, cannot be refused' '
	hub_file &&
	syncunpack -d b.db usb/f1.sxf 2>>log &&
	sum=$(db_sum b.db) &&
	expect_code 2 syncunpack -d b.db --refuse usb/f1.sxf &&
	expect_err "^syncunpack: usb/f1.sxf: flow 1 from ASOC was applied here already: a refusal cannot undo it$" &&
	test "$(db_sum b.db)" = "$sum" &&
	syncack -d b.db --to ASOC -o a.sxf 2>>log &&
	sum=$(db_sum hub.db) &&
	expect_code 2 syncunpack -d hub.db --refuse a.sxf &&
	expect_err "^syncunpack: a.sxf: only data files can be refused; this is a ack file$" &&
	test "$(db_sum hub.db)" = "$sum"
'

test_expect_success 'usage: --reason needs --refuse, one printable line; --refuse applies nothing else' '
	hub_file &&
	expect_code 2 syncunpack -d b.db --reason why usb/f1.sxf &&
	grep -q "reason goes with --refuse" err &&
	expect_code 2 syncunpack -d b.db --refuse --reply usb/f1.sxf &&
	expect_code 2 syncunpack -d b.db --refuse --verify usb/f1.sxf &&
	expect_code 2 syncunpack -d b.db --refuse --refuse-moves usb/f1.sxf &&
	expect_code 2 syncunpack -d b.db --refuse --reason "$(printf "two\nlines")" usb/f1.sxf &&
	expect_err "usb/f1.sxf: the reason must be one line of printable text" &&
	expect_code 2 syncunpack -d b.db --refuse --reason "$(printf "%0501d" 0)" usb/f1.sxf &&
	expect_err "the reason is over 500 bytes" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_flow")" = 0
'

test_expect_success 'held records are not released by a refusal' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"A\")" && round &&
	syncadm lock -d b.db customer 1 &&
	sqlite3 hub.db "update customer set city = \"Metz\"" &&
	syncpack -d hub.db --to BSOC -o usb 2>>log && recv b.db &&
	test "$(sqlite3 b.db "select count(*) from syncpack_held")" = 1 &&
	sqlite3 b.db "delete from syncpack_lock" &&
	sqlite3 hub.db "insert into article(label) values (\"Chair\")" &&
	syncpack -d hub.db --to BSOC -o f.sxf 2>>log &&
	before=$(apps b.db) &&
	syncunpack -d b.db --refuse f.sxf 2>>log &&
	test "$(apps b.db)" = "$before" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_held")" = 1
'

test_expect_success 'the ack tells the sender: flow list, --status refused, status; the next file carries it all' '
	hub_file &&
	syncunpack -d b.db --refuse --reason "prices are wrong" usb/f1.sxf 2>>log &&
	expect_code 0 syncack -d b.db --to ASOC -o usb &&
	expect_err "flow 1 acknowledges 0 flows from ASOC, 1 refused here" &&
	test "$(flow_field b.db in 1 acked)" = yes &&
	syncack -d hub.db usb 2>>log &&
	test "$(flow_field hub.db out 1 status)" = refused &&
	test "$(flow_field hub.db out 1 reason)" = "prices are wrong" &&
	test "$(flow_field hub.db out 1 acked)" = yes &&
	test "$(syncack -d hub.db --flows --status refused --json | jq -r ".[] | \"\(.peer) \(.direction) \(.flow)\"")" = "BSOC out 1" &&
	test "$(sqlite3 hub.db "select acked_lseq from syncpack_peer where site = \"BSOC\"")" = 0 &&
	expect_code 1 syncadm status -d hub.db &&
	grep -q "^peer BSOC: .*, rejections 0, refused 1, expect 26h$" out &&
	grep -q "^peer CSOC: .*, refused 0, expect 26h$" out &&
	grep -q "^verdict: attention: 1 file refused by BSOC$" out &&
	expect_code 1 syncadm status -d hub.db --json &&
	test "$(jq -r ".peers[] | select(.peer == \"BSOC\") | .refused" out)" = 1 &&
	test "$(jq -r .reason out)" = "1 file refused by BSOC" &&
	expect_code 1 syncadm status -d hub.db --prometheus &&
	grep -q "^syncpack_files_refused{site=\"ASOC\",peer=\"BSOC\"} 1$" out &&
	grep -q "^syncpack_files_refused{site=\"ASOC\",peer=\"CSOC\"} 0$" out &&
	grep -q "^syncpack_verdict_ok{site=\"ASOC\"} 0$" out &&
	sqlite3 hub.db "update article set price = 13 where label = \"Chair\"" &&
	syncpack -d hub.db --to BSOC -o usb/f2.sxf 2>pack.err &&
	grep -q "for BSOC, 2 records" pack.err &&
	syncunpack -d b.db usb/f2.sxf 2>>log &&
	test "$(sqlite3 b.db "select label || \"=\" || price from article order by label")" = "$(printf "Chair=13.0\nTable=40.0")" &&
	same_articles() { test "$(content hub.db article)" = "$(content b.db article)"; } &&
	same_articles &&
	ack b.db ASOC && syncack -d hub.db usb 2>>log &&
	expect_code 0 syncadm status -d hub.db &&
	grep -q "^verdict: ok$" out &&
	expect_code 0 syncadm status -d b.db &&
	test "$(flow_field hub.db out 1 status)" = refused &&
	test "$(flow_field hub.db out 2 status)" = sent &&
	test "$(flow_field hub.db out 2 acked)" = yes &&
	test "$(flow_field b.db in 1 status)" = refused &&
	test "$(flow_field b.db in 2 status)" = applied
'

test_expect_success 'the hub refuses a spoke file the same way; the spoke sends it again' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"Dupont\")" &&
	syncpack -d b.db --to ASOC -o s1.sxf 2>>log &&
	before=$(apps hub.db) &&
	syncunpack -d hub.db --refuse s1.sxf 2>>log &&
	test "$(apps hub.db)" = "$before" &&
	syncack -d hub.db --to BSOC -o usb 2>>log && syncack -d b.db usb 2>>log &&
	test "$(flow_field b.db out 1 status)" = refused &&
	expect_code 1 syncadm status -d b.db &&
	grep -q "^verdict: attention: 1 file refused by ASOC$" out &&
	sqlite3 b.db "insert into customer(name) values (\"Durand\")" &&
	syncpack -d b.db --to ASOC -o s2.sxf 2>>log &&
	syncunpack -d hub.db s2.sxf 2>>log &&
	test "$(sqlite3 hub.db "select group_concat(name) from (select name from customer order by name)")" = Dupont,Durand
'

test_expect_success 'refusals travel in refused.jsonl, not as acknowledgements' '
	hub_file &&
	no_seal_all &&
	syncpack -d hub.db --to BSOC -o plain.sxf 2>>log &&
	syncunpack -d b.db --refuse --reason "prices are wrong" plain.sxf 2>>log &&
	syncack -d b.db --to ASOC -o a.sxf 2>>log &&
	test -z "$(tar -xzOf a.sxf ack.jsonl)" &&
	tar -xzOf a.sxf refused.jsonl >refused &&
	test "$(jq -r "\"\(.flow) \(.reason)\"" refused)" = "2 prices are wrong" &&
	test "$(jq -r .sha256 refused)" = "$(sha256sum plain.sxf | cut -d" " -f1)"
'

test_expect_success 'a site made before refusals existed gets their columns on first open' '
	hub_file &&
	sqlite3 b.db "alter table syncpack_flow drop column reason;
		alter table syncpack_flow drop column refused" &&
	syncunpack -d b.db --refuse --reason "prices are wrong" usb/f1.sxf 2>>log &&
	test "$(flow_field b.db in 1 reason)" = "prices are wrong" &&
	sqlite3 hub.db "alter table syncpack_flow drop column reason;
		alter table syncpack_flow drop column refused" &&
	ack b.db ASOC && syncack -d hub.db usb 2>>log &&
	test "$(flow_field hub.db out 1 status)" = refused
'

test_done
