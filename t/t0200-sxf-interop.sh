#!/bin/sh
# An exchange file written by syncpack verifies with tar, sha256sum and
# openssl alone, using the check sxf(5) documents, run verbatim.
. "$SYNCPACK_SRC/t/lib.sh"

test_expect_success 'sxf(5) documents the check this test runs' '
	grep -Fq "tar -xzf F -C dir && cd dir && sha256sum -c MANIFEST && cat HEADER MANIFEST > signed && openssl pkeyutl -verify -pubin -inkey sender.pub -rawin -in signed -sigfile SIGNATURE" "$SYNCPACK_SRC/man/sxf.5"
'

test_expect_success 'tar, sha256sum and openssl verify a syncpack file' '
	make_sites &&
	syncpack -d b.db --to ASOC -o out.sxf 2>/dev/null &&
	cp b.db.pub sender.pub && F=$PWD/out.sxf && mkdir dir &&
	tar -xzf $F -C dir && cd dir && sha256sum -c MANIFEST && cat HEADER MANIFEST > signed && openssl pkeyutl -verify -pubin -inkey ../sender.pub -rawin -in signed -sigfile SIGNATURE
'

test_expect_success 'the check passes on an unsealed data file carrying records too' '
	make_sites &&
	sqlite3 b.db "create table customer(id integer primary key, name text, photo blob)" &&
	syncadm track -d b.db customer &&
	sqlite3 b.db "insert into customer(name, photo) values (\"Dupont\", x'"'"'00ff'"'"')" &&
	syncadm peer set -d b.db --site ASOC --no-seal &&
	syncpack -d b.db --to ASOC -o out.sxf 2>err &&
	grep -q "out.sxf: not sealed: ASOC is set --no-seal" err &&
	cp b.db.pub sender.pub && F=$PWD/out.sxf && mkdir dir &&
	tar -xzf $F -C dir && cd dir && sha256sum -c MANIFEST && cat HEADER MANIFEST > signed && openssl pkeyutl -verify -pubin -inkey ../sender.pub -rawin -in signed -sigfile SIGNATURE &&
	grep -q "\"name\":\"Dupont\"" data.jsonl &&
	grep -q "\"photo\":{\"base64\":\"AP8=\"}" data.jsonl
'

test_expect_success 'a sealed file verifies the same way, and shows nothing of its records' '
	make_sites &&
	sqlite3 b.db "create table customer(id integer primary key, name text)" &&
	syncadm track -d b.db customer &&
	sqlite3 b.db "insert into customer(name) values (\"Dupont\")" &&
	syncpack -d b.db --to ASOC -o out.sxf 2>err &&
	! grep -q "not sealed" err &&
	cp b.db.pub sender.pub && F=$PWD/out.sxf && mkdir dir &&
	tar -xzf $F -C dir && cd dir && sha256sum -c MANIFEST && cat HEADER MANIFEST > signed && openssl pkeyutl -verify -pubin -inkey ../sender.pub -rawin -in signed -sigfile SIGNATURE &&
	test "$(ls | sort | tr "\n" " ")" = "HEADER MANIFEST SIGNATURE sealed signed " &&
	grep -qx "seal: x25519-hkdf-sha256-chacha20poly1305-64k" HEADER &&
	grep -Eqx "sealed_to: [0-9a-f]{64}" HEADER &&
	test "$(wc -l <HEADER)" = 9 &&
	! grep -q "records\|lseq\|since\|seen" HEADER &&
	! grep -aq Dupont sealed && ! zcat -f sealed 2>/dev/null | grep -aq Dupont
'

test_expect_success 'the same check fails against another site key' '
	make_sites &&
	syncpack -d b.db --to ASOC -o out.sxf 2>/dev/null &&
	mkdir dir && tar -xzf out.sxf -C dir && cd dir &&
	cat HEADER MANIFEST >signed &&
	! openssl pkeyutl -verify -pubin -inkey ../c.db.pub -rawin -in signed -sigfile SIGNATURE
'

test_expect_success 'members come in the documented order, as a pax tar in gzip' '
	make_sites &&
	syncpack -d b.db --to ASOC -o out.sxf 2>/dev/null &&
	test "$(head -c 2 out.sxf | od -An -tx1 | tr -d " ")" = 1f8b &&
	tar -tzf out.sxf >members &&
	test "$(head -3 members | tr "\n" " ")" = "HEADER MANIFEST SIGNATURE " &&
	mkdir dir && tar -xzf out.sxf -C dir &&
	test "$(stat -c %s dir/SIGNATURE)" = 64 &&
	grep -qx "format: sxf 1" dir/HEADER &&
	grep -qx "kind: data" dir/HEADER &&
	grep -qx "from: BSOC" dir/HEADER &&
	grep -qx "to: ASOC" dir/HEADER &&
	grep -qx "flow: 1" dir/HEADER &&
	grep -qx "link: 0" dir/HEADER &&
	grep -Eqx "created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z" dir/HEADER
'

test_done
