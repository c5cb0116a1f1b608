#!/bin/sh
# Sealed exchange files (sxf(5) "Sealed files"): keys, the whole exchange
# sealed, what a receiver refuses, key changes, and zstd.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# same A B TABLE: both sites hold the same records of TABLE.
same() {
	test "$(content "$1" "$3")" = "$(content "$2" "$3")"
}

# state DB: what an apply would change (records and their metadata).
state() {
	sqlite3 "$1" "select count(*) from customer; select count(*) from syncpack_record"
}

# blocks FILE: the PEM blocks of FILE, one "BEGIN ..." line each.
blocks() {
	grep -c "^-----BEGIN" "$1"
}

# first_key PUB OUT: the signing key alone, as files of earlier versions.
first_key() {
	sed "/^-----END/q" "$1" >"$2"
}

# rebuild DIR SENDER_KEY OUT: signs DIR's HEADER and members again with
# the sender's key and packs them as sxf(5) says.
rebuild() {
	(cd "$1" && sha256sum sealed >MANIFEST && cat HEADER MANIFEST >signed) &&
	openssl pkeyutl -sign -inkey "$2" -rawin -in "$1/signed" -out "$1/SIGNATURE" &&
	(cd "$1" && tar --format=pax -cf - HEADER MANIFEST SIGNATURE sealed) | gzip >"$3"
}

# big_file: b.db's data file for the hub, sealed, of several chunks.
big_file() {
	make_shop &&
	sqlite3 b.db "with recursive n(i) as (select 1 union all select i + 1 from n where i < 3000)
		insert into customer(name) select hex(randomblob(60)) from n" &&
	syncpack -d b.db --to ASOC -o big.sxf 2>/dev/null &&
	mkdir x && tar -xzf big.sxf -C x &&
	test "$(stat -c %s x/sealed)" -gt 200000
}

test_expect_success 'init makes a sealing key beside the signing key; key prints both' '
	syncadm init -d a.db --site ASOC 2>/dev/null &&
	test "$(blocks a.db.pub)" = 2 && test "$(blocks a.db.key)" = 2 &&
	test "$(stat -c %a a.db.key)" = 600 &&
	openssl pkey -pubin -in a.db.pub -noout -text | head -1 | grep -q ED25519 &&
	sed "1,/^-----END/d" a.db.pub | openssl pkey -pubin -noout -text | head -1 | grep -q X25519 &&
	syncadm key -d a.db >printed && cmp printed a.db.pub
'

test_expect_success 'the whole exchange runs sealed, and converges' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"Dupont\")" &&
	sqlite3 hub.db "insert into article(label, price) values (\"Chair\", 12.5)" &&
	round && round &&
	same hub.db b.db customer && same hub.db c.db customer &&
	same hub.db b.db article &&
	test "$(sqlite3 c.db "select name from customer")" = Dupont &&
	! grep -q "not sealed" log &&
	for f in usb/done/*.sxf; do
		tar -tzf "$f" | tail -1 | grep -qx sealed &&
		tar -xzOf "$f" HEADER | grep -q "^seal: " &&
		! zcat "$f" | grep -aq "Dupont\|Chair" || return 1
	done &&
	test "$(sqlite3 hub.db "select group_concat(sealed_seen) from syncpack_peer")" = 1,1
'

test_expect_success 'a file for another site, or sealed to a replaced key, is refused by name' '
	make_shop &&
	syncpack -d hub.db --to CSOC -o usb 2>/dev/null &&
	f=$(ls usb/ASOC_CSOC_*.sxf) &&
	expect_code 2 syncunpack -d b.db "$f" &&
	expect_err "$f: addressed to CSOC, not to this site \(BSOC\)" &&
	syncpack -d hub.db --to BSOC -o old.sxf 2>/dev/null &&
	openssl genpkey -algorithm X25519 -out new.key 2>/dev/null &&
	sed "/^-----END/q" b.db.key >k && cat new.key >>k && cat k >b.db.key &&
	sqlite3 b.db "update syncpack_site set seal_pub = \"$(openssl pkey -in new.key -pubout)\"" &&
	before=$(state b.db) &&
	expect_code 2 syncunpack -d b.db old.sxf &&
	expect_err "old.sxf: sealed to another key .*not this site.s sealing key" &&
	test "$(state b.db)" = "$before"
'

test_expect_success 'a flipped byte in any chunk is refused, nothing applied' '
	big_file &&
	before=$(state hub.db) &&
	size=$(stat -c %s x/sealed) &&
	for at in 40 70000 140000 $((size - 3)); do
		rm -rf y && cp -r x y &&
		python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,\"rb\").read()); b[int(sys.argv[2])]^=1; open(p,\"wb\").write(b)" y/sealed $at &&
		rebuild y b.db.key t.sxf &&
		expect_code 2 syncunpack -d hub.db t.sxf &&
		grep -q "t.sxf: sealed chunk [0-9]* does not authenticate" err &&
		test "$(state hub.db)" = "$before" || return 1
	done &&
	expect_code 0 syncunpack -d hub.db big.sxf
'

test_expect_success 'a sealed stream cut at a chunk boundary or with chunks swapped is refused' '
	big_file &&
	before=$(state hub.db) &&
	rm -rf y && cp -r x y && truncate -s $((32 + 2 * 65552)) y/sealed &&
	rebuild y b.db.key t.sxf &&
	expect_code 2 syncunpack -d hub.db t.sxf &&
	expect_err "t.sxf: sealed stream truncated: its last chunk is missing" &&
	rm -rf y && cp -r x y &&
	python3 -c "import sys; p=sys.argv[1]; b=open(p,\"rb\").read(); c=65552; open(p,\"wb\").write(b[:32]+b[32+c:32+2*c]+b[32:32+c]+b[32+2*c:])" y/sealed &&
	rebuild y b.db.key t.sxf &&
	expect_code 2 syncunpack -d hub.db t.sxf &&
	expect_err "t.sxf: sealed chunk 0 does not authenticate" &&
	test "$(state hub.db)" = "$before"
'

test_expect_success 'an unsealed file from a site that seals is refused: no silent downgrade' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"Dupont\")" &&
	syncadm peer set -d b.db --site ASOC --no-seal &&
	syncpack -d b.db --to ASOC -o plain.sxf 2>err &&
	grep -q "plain.sxf: not sealed: ASOC is set --no-seal" err &&
	tar -xzOf plain.sxf HEADER | grep -qx "unsealed: no-seal" &&
	before=$(state hub.db) &&
	expect_code 2 syncunpack -d hub.db plain.sxf &&
	expect_err "plain.sxf: not sealed, but BSOC has a sealing key: refused" &&
	test "$(state hub.db)" = "$before" &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncunpack -d hub.db plain.sxf 2>/dev/null &&
	test "$(sqlite3 hub.db "select name from customer")" = Dupont &&
	syncadm peer set -d hub.db --site BSOC --seal &&
	syncadm peer set -d b.db --site ASOC --seal &&
	syncpack -d b.db --to ASOC -o sealed.sxf 2>/dev/null &&
	syncunpack -d hub.db sealed.sxf 2>/dev/null &&
	syncadm peer set -d b.db --site ASOC --no-seal &&
	syncpack -d b.db --to ASOC -o again.sxf 2>/dev/null &&
	expect_code 2 syncunpack -d hub.db again.sxf &&
	expect_err "again.sxf: not sealed, but BSOC sealed its files to this site before"
'

test_expect_success 'a one-key public file: files stay unsealed and the tools say so; --add-sealing, announced, seals' '
	make_shop &&
	syncadm init -d d.db --site DSOC 2>/dev/null &&
	sqlite3 d.db "$shop_schema" && syncadm track -d d.db customer --owner shared &&
	first_key d.db.pub d1.pub && first_key d.db.key d1.key && cat d1.key >d.db.key &&
	sqlite3 d.db "update syncpack_site set seal_pub = null" &&
	syncadm key -d d.db >printed && test "$(blocks printed)" = 1 &&
	syncadm peer add -d hub.db --site DSOC --key d1.pub 2>err &&
	grep -q "d1.pub: no sealing key .*files to DSOC will not be sealed" err &&
	syncadm peer list -d hub.db --json >peers.json &&
	test "$(jq -r ".[] | select(.peer == \"DSOC\") | .seal" peers.json)" = no-key &&
	syncadm peer add -d d.db --site ASOC --key hub.db.pub &&
	sqlite3 hub.db "insert into customer(name) values (\"Dupont\")" &&
	syncpack -d hub.db --to DSOC -o one.sxf 2>err &&
	grep -q "one.sxf: not sealed: no sealing key is known for DSOC" err &&
	zcat one.sxf | grep -aq Dupont &&
	tar -xzOf one.sxf HEADER | grep -qx "unsealed: no-key" &&
	syncunpack -d d.db one.sxf 2>/dev/null &&
	test "$(sqlite3 d.db "select name from customer")" = Dupont &&
	syncadm key -d d.db --add-sealing >printed 2>/dev/null &&
	test "$(blocks printed)" = 2 && test "$(blocks d.db.key)" = 2 &&
	test "$(stat -c %a d.db.key)" = 600 &&
	expect_code 2 syncadm key -d d.db --add-sealing &&
	expect_err "already has a sealing key" &&
	syncpack -d d.db --to ASOC -o announce.sxf 2>/dev/null &&
	syncunpack -d hub.db announce.sxf 2>/dev/null &&
	syncadm peer list -d hub.db --json >peers.json &&
	test "$(jq -r ".[] | select(.peer == \"DSOC\") | .seal" peers.json)" = sealed &&
	sqlite3 hub.db "update customer set name = \"Durand\"" &&
	syncpack -d hub.db --to DSOC -o two.sxf 2>err &&
	! grep -q "not sealed" err && ! zcat two.sxf | grep -aq Durand &&
	syncunpack -d d.db two.sxf 2>/dev/null &&
	test "$(sqlite3 d.db "select name from customer")" = Durand
'

test_expect_success 'peer set --key replaces the keys: files signed with the old key are refused' '
	make_shop &&
	mkdir new && syncadm init -d new/b.db --site BSOC 2>/dev/null &&
	syncpack -d b.db --to ASOC -o old.sxf 2>/dev/null &&
	syncadm peer set -d hub.db --site BSOC --key new/b.db.pub &&
	expect_code 2 syncunpack -d hub.db old.sxf &&
	expect_err "old.sxf: bad signature" &&
	syncadm peer add -d new/b.db --site ASOC --key hub.db.pub &&
	syncpack -d new/b.db --to ASOC -o new.sxf 2>/dev/null &&
	syncunpack -d hub.db new.sxf 2>/dev/null &&
	expect_code 2 syncadm peer set -d hub.db --site NOSUCH --no-seal &&
	expect_err "NOSUCH: no such peer|not a registered peer"
'

test_expect_success 'zstd per peer; gzip by default; the reader tells them by their magic' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"Dupont\")" &&
	syncadm peer set -d hub.db --site BSOC --compress zstd &&
	syncpack -d hub.db --to BSOC -o z.sxf 2>/dev/null &&
	syncpack -d hub.db --to CSOC -o g.sxf 2>/dev/null &&
	test "$(head -c 4 z.sxf | od -An -tx1 | tr -d " ")" = 28b52ffd &&
	test "$(head -c 2 g.sxf | od -An -tx1 | tr -d " ")" = 1f8b &&
	zstd -dc z.sxf | tar -tf - | grep -qx sealed &&
	syncunpack -d b.db z.sxf 2>/dev/null && syncunpack -d c.db g.sxf 2>/dev/null &&
	test "$(sqlite3 b.db "select name from customer")" = Dupont &&
	syncadm peer set -d b.db --site ASOC --no-seal --compress zstd &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncpack -d b.db --to ASOC -o pz.sxf 2>/dev/null &&
	zstd -dc pz.sxf | tar -xOf - HEADER | grep -qx "unsealed: no-seal" &&
	syncunpack -d hub.db pz.sxf 2>/dev/null &&
	syncadm init -d e.db --site ESOC 2>/dev/null &&
	syncadm peer add -d hub.db --site ESOC --key e.db.pub --compress zstd &&
	test "$(sqlite3 hub.db "select compress from syncpack_peer where site = \"ESOC\"")" = zstd &&
	expect_code 2 syncadm peer set -d hub.db --site BSOC --compress lz4 &&
	expect_err "want gzip or zstd"
'

test_done
