#!/bin/sh
# syncunpack --dump: the records of an exchange file as JSON Lines, printed
# only once the whole file has been verified; sealed files only for their
# recipient. Nothing is applied.
. "$SYNCPACK_SRC/t/lib.sh"

# A hub with three customers, one of each awkward kind, packed for BSOC.
make_file() {
	make_sites &&
	sqlite3 hub.db "create table customer(id integer primary key, name text,
		score real, photo blob);
		insert into customer values (1, 'Ève', 1.5, x'00ff'),
			(2, null, 0.1, null), (3, 'plain', -2, x'')" &&
	syncadm track -d hub.db customer --owner central &&
	sqlite3 b.db "create table customer(id integer primary key, name text,
		score real, photo blob)" &&
	syncadm track -d b.db customer --owner central &&
	syncpack -d hub.db --to BSOC -o f.sxf 2>/dev/null
}

test_expect_success 'a sealed file dumps for its recipient: one JSON object per record, jq reads it' '
	make_file &&
	expect_code 0 syncunpack --dump -d b.db f.sxf &&
	test "$(wc -l <out)" = 3 &&
	test "$(jq -r "select(.columns.id == 1) | .columns.name" out)" = "Ève" &&
	test "$(jq -r "select(.columns.id == 1) | .columns.photo.base64" out)" = "AP8=" &&
	test "$(jq -r "select(.columns.id == 2) | .columns.name" out)" = null &&
	test "$(jq -r ".table" out | sort -u)" = customer &&
	test "$(jq -r ".guid" out | sort -u | wc -l)" = 3 &&
	test "$(sqlite3 b.db "select count(*) from customer")" = 0 &&
	test "$(sqlite3 b.db "select count(*) from syncpack_flow")" = 0
'

test_expect_success 'from stdin as from a file' '
	make_file &&
	syncunpack --dump -d b.db f.sxf >want &&
	expect_code 0 syncunpack --dump -d b.db - <f.sxf &&
	cmp want out &&
	cat f.sxf | syncunpack --dump -d b.db - >piped &&
	cmp want piped
'

test_expect_success 'a sealed file without the recipient database: exit 2, nothing printed' '
	make_file &&
	expect_code 2 syncunpack --dump f.sxf &&
	test ! -s out &&
	expect_err "^syncunpack: f.sxf: sealed: only its recipient can read it" &&
	expect_code 2 syncunpack --dump -d c.db f.sxf &&
	test ! -s out
'

test_expect_success 'an unsealed file dumps without a database (signature not checked)' '
	make_file &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncpack -d hub.db --to BSOC -o plain.sxf 2>/dev/null &&
	expect_code 0 syncunpack --dump plain.sxf &&
	test "$(wc -l <out)" = 3
'

test_expect_success 'a damaged file prints nothing at all: exit 2' '
	make_file &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncadm peer set -d b.db --site ASOC --no-seal &&
	sqlite3 hub.db "update customer set name = \"Zoë\" where id = 3" &&
	syncpack -d hub.db --to BSOC -o plain.sxf 2>/dev/null &&
	mkdir x && (cd x && tar -xzf ../plain.sxf) &&
	sed -i "s/Zo/Zx/" x/data.jsonl && grep -q Zx x/data.jsonl &&
	(cd x && tar --format=pax -czf ../bad.sxf $(tar -tzf ../plain.sxf)) &&
	expect_code 2 syncunpack --dump -d b.db bad.sxf &&
	test ! -s out &&
	expect_err "^syncunpack: bad.sxf: hash mismatch in member data.jsonl$" &&
	expect_code 2 syncunpack --dump -d b.db - <bad.sxf &&
	test ! -s out
'

test_expect_success 'an ack file has no records: nothing printed, exit 0' '
	make_file &&
	syncunpack -d b.db f.sxf 2>/dev/null &&
	mkdir ack && syncack -d b.db --to ASOC -o ack 2>/dev/null &&
	expect_code 0 syncunpack --dump -d hub.db ack/BSOC_ASOC_*_ack.sxf &&
	test ! -s out
'

test_expect_success '--dump takes one file and excludes --list and --verify' '
	make_file &&
	expect_code 2 syncunpack --dump --list -d b.db f.sxf &&
	grep -q "^syncunpack: --list, --verify and --dump exclude each other$" err &&
	expect_code 2 syncunpack --dump -d b.db f.sxf f.sxf &&
	expect_code 2 syncunpack --dump -d b.db nosuch.sxf &&
	expect_err "nosuch.sxf"
'

test_done
