#!/bin/sh
# make-fixture.sh: how the files of this folder were made, once, with the
# syncpack of format version 1 (2026-12). They are kept as they are, never
# made again: t0230 checks that every later syncpack still reads them and
# opens a site database of that version (sxf(5), "Format versions").
#
#   PATH=BUILD/src:$PATH sh make-fixture.sh OUTDIR
set -eu
out=$1
mkdir -p "$out" && cd "$out"
rm -f central.db* shop.db* ./*.sxf
syncadm init -d central.db --site ASOC --hub 2>/dev/null
syncadm init -d shop.db --site BSOC 2>/dev/null
syncadm peer add -d central.db --site BSOC --key shop.db.pub
syncadm peer add -d shop.db --site ASOC --key central.db.pub
schema="create table customer(id integer primary key, name text, score real,
	photo blob, born text);
create table invoice(id integer primary key, customer_id integer
	references customer(id), total real, lines integer)"
sqlite3 central.db "$schema"
sqlite3 shop.db "$schema"
for db in central.db shop.db; do
	syncadm track -d $db customer --owner central
	syncadm track -d $db invoice --owner central
done
# The shop's ids differ from the hub's: references must be translated.
sqlite3 central.db "insert into customer values
	(40, 'Ève Dupont', 1.5, x'00ff10', '1970-01-01'),
	(41, '', 0.1, x'', null),
	(42, 'tab	and
newline', -0.0, null, 'not a date'),
	(43, 'big', 9007199254740993, randomblob(0), '2026-12-02');
insert into invoice values (7, 40, 99.9, 3), (8, 43, 1e300, -9223372036854775808)"
syncpack -d central.db --to BSOC -o . 2>/dev/null
# Unsealed as well, for the tar + sha256sum + openssl check of sxf(5).
syncadm peer set -d central.db --site BSOC --no-seal
sqlite3 central.db "update customer set score = 2.5 where id = 40"
syncpack -d central.db --to BSOC -o . 2>/dev/null
syncunpack --dump -d shop.db ASOC_BSOC_000001_data.sxf >records-1.jsonl
syncadm peer set -d shop.db --site ASOC --no-seal
syncunpack --dump -d shop.db ASOC_BSOC_000002_data.sxf >records-2.jsonl
syncadm peer set -d shop.db --site ASOC --seal
# The hub is not kept: only the shop, which has applied nothing yet.
rm -f central.db central.db.key
