#!/bin/sh
# Format versions and rolling upgrades (sxf(5), "Format versions"): every
# file says which versions its sender reads; a writer writes each peer the
# newest version both know; a reader reads every version ever written,
# checked against files of version 1 kept in t/data/format1.
. "$SYNCPACK_SRC/t/lib.sh"

fixture="$SYNCPACK_SRC/t/data/format1"

# The kept site of version 1, in the scratch folder (the key stays 0600).
copy_fixture() {
	cp "$fixture"/shop.db "$fixture"/shop.db.pub "$fixture"/*.sxf \
		"$fixture"/records-*.jsonl . &&
	install -m 600 "$fixture"/shop.db.key shop.db.key
}

test_expect_success 'a site database of version 1 opens; its files verify and dump as they did' '
	copy_fixture &&
	expect_code 0 syncunpack --verify -d shop.db ASOC_BSOC_000001_data.sxf &&
	syncunpack --dump -d shop.db ASOC_BSOC_000001_data.sxf >dump-1 &&
	jq -cS . records-1.jsonl >want && jq -cS . dump-1 >got &&
	cmp want got &&
	syncadm peer set -d shop.db --site ASOC --no-seal &&
	syncunpack --dump -d shop.db ASOC_BSOC_000002_data.sxf >dump-2 &&
	jq -cS . records-2.jsonl >want && jq -cS . dump-2 >got &&
	cmp want got
'

test_expect_success 'files of version 1 apply with every value intact and references translated' '
	copy_fixture &&
	expect_code 0 syncunpack -d shop.db ASOC_BSOC_000001_data.sxf &&
	test "$(sqlite3 shop.db "select count(*) from customer")" = 4 &&
	test "$(sqlite3 shop.db "select hex(photo), score, typeof(score)
		from customer where name = \"Ève Dupont\"")" = "00FF10|1.5|real" &&
	test "$(sqlite3 shop.db "select typeof(photo), length(photo),
		typeof(born) from customer where name = \"\"")" = "blob|0|null" &&
	test "$(sqlite3 shop.db "select count(*) from customer
		where name = \"tab\"||char(9)||\"and\"||char(10)||\"newline\"")" = 1 &&
	test "$(sqlite3 shop.db "select c.name from invoice i join customer c
		on c.id = i.customer_id where i.lines = -9223372036854775808
		and i.total = 1e300")" = big &&
	test "$(sqlite3 shop.db "select c.name, i.total, i.lines from invoice i
		join customer c on c.id = i.customer_id where i.total < 100")" = "Ève Dupont|99.9|3" &&
	syncadm peer set -d shop.db --site ASOC --no-seal &&
	expect_code 0 syncunpack -d shop.db ASOC_BSOC_000002_data.sxf &&
	test "$(sqlite3 shop.db "select score from customer
		where name = \"Ève Dupont\"")" = 2.5
'

test_expect_success 'every file names its format and the versions its sender reads' '
	make_sites &&
	syncpack -d hub.db --to BSOC -o f.sxf 2>/dev/null &&
	tar -xzOf f.sxf HEADER | grep -qx "format: sxf 1" &&
	expect_code 0 syncunpack --list -d b.db f.sxf &&
	grep -qx "format: sxf 1" out && grep -qx "reads: 1" out &&
	syncunpack -d b.db f.sxf 2>/dev/null &&
	mkdir f2 && syncack -d b.db --to ASOC -o f2 2>/dev/null &&
	syncunpack --list -d hub.db f2/BSOC_ASOC_*_ack.sxf >out2 &&
	grep -qx "kind: ack" out2 && grep -qx "reads: 1" out2
'

test_expect_success 'a receiver keeps what each peer reads, for peer list and its next files' '
	make_sites &&
	syncadm peer list -d b.db --json >peers.json &&
	test "$(jq -r ".[0].reads" peers.json)" = null &&
	syncpack -d hub.db --to BSOC -o f.sxf 2>/dev/null &&
	syncunpack -d b.db f.sxf 2>/dev/null &&
	syncadm peer list -d b.db --json >peers.json &&
	test "$(jq -r ".[0].reads" peers.json)" = 1
'

test_expect_success 'a peer that reads only versions this syncpack does not write gets no file' '
	make_sites &&
	sqlite3 hub.db "update syncpack_peer set reads = \"7 8\" where site = \"BSOC\"" &&
	mkdir out.d &&
	expect_code 2 syncpack -d hub.db --to BSOC -o out.d &&
	expect_err "BSOC: it reads format versions 7 8 only, and this syncpack writes 1 to 1: upgrade one of the two" &&
	test -z "$(ls out.d)" &&
	sqlite3 hub.db "update syncpack_peer set reads = \"1 7\" where site = \"BSOC\"" &&
	expect_code 0 syncpack -d hub.db --to BSOC -o out.d
'

test_done
