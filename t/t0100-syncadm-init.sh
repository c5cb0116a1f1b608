#!/bin/sh
# syncadm init, peer and key: site set-up.
. "$SYNCPACK_SRC/t/lib.sh"

test_expect_success 'init creates metadata and a key pair with safe modes' '
	expect_code 0 syncadm init -d shop.db --site BSOC &&
	test -f shop.db.key && test -f shop.db.pub &&
	test "$(stat -c %a shop.db.key)" = 600 &&
	grep -q "BEGIN PRIVATE KEY" shop.db.key &&
	grep -q "BEGIN PUBLIC KEY" shop.db.pub &&
	test "$(sqlite3 shop.db "select site, hub from syncpack_site")" = "BSOC|0" &&
	openssl pkey -in shop.db.key -noout -text | grep -q ED25519
'

test_expect_success 'init leaves existing application tables alone' '
	sqlite3 app.db "create table customer(id integer primary key, name text);
		insert into customer(name) values (\"Dupont\")" &&
	expect_code 0 syncadm init -d app.db --site ASOC --hub &&
	test "$(sqlite3 app.db "select name from customer")" = Dupont &&
	test "$(sqlite3 app.db "select hub from syncpack_site")" = 1
'

test_expect_success 'init refuses to run twice and keeps the first key' '
	syncadm init -d s.db --site BSOC 2>/dev/null &&
	cp s.db.key key.before &&
	rm s.db.pub &&
	expect_code 2 syncadm init -d s.db --site BSOC &&
	expect_err "^syncadm: s.db: already initialised" &&
	cmp s.db.key key.before
'

test_expect_success 'init refuses to overwrite an existing key file' '
	echo precious >other.db.key &&
	expect_code 2 syncadm init -d other.db --site BSOC &&
	expect_err "other.db.key: File exists" &&
	test "$(cat other.db.key)" = precious &&
	test -z "$(sqlite3 other.db "select name from sqlite_master where name = \"syncpack_site\"")"
'

test_expect_success 'init refuses bad site ids' '
	expect_code 2 syncadm init -d x.db --site "B SOC" &&
	expect_err "bad site id" &&
	expect_code 2 syncadm init -d x.db --site ABCDEFGHIJKLMNOPQ &&
	expect_code 2 syncadm init -d x.db --site "" &&
	test ! -f x.db.key
'

test_expect_success 'init with --key and --pub puts the keys there' '
	mkdir keys &&
	expect_code 0 syncadm init -d k.db --site K1 --key keys/k.key --pub keys/k.pub &&
	test -f keys/k.key && test -f keys/k.pub && test ! -f k.db.key
'

test_expect_success 'SYNCPACK_DB is the default database' '
	SYNCPACK_DB=env.db expect_code 0 syncadm init --site ENV &&
	test -f env.db.key &&
	SYNCPACK_DB=env.db expect_code 0 syncadm key &&
	cmp out env.db.pub
'

test_expect_success 'syncadm key prints the public key' '
	syncadm init -d a.db --site ASOC --hub 2>/dev/null &&
	expect_code 0 syncadm key -d a.db &&
	cmp out a.db.pub
'

test_expect_success 'peer add and peer list' '
	make_sites &&
	expect_code 0 syncadm peer list -d hub.db &&
	grep -q "^PEER  *URL  *ADDED  *COMPRESS  *SEAL  *READS  *EXPECT$" out &&
	test "$(sed 1d out | cut -d" " -f1 | tr "\n" " ")" = "BSOC CSOC " &&
	syncadm peer list -d hub.db --json >peers.json &&
	test "$(jq -r ".[].peer" peers.json | tr "\n" " ")" = "BSOC CSOC " &&
	test "$(jq -r ".[] | .compress + \" \" + .seal" peers.json | sort -u)" = "gzip sealed" &&
	expect_code 0 syncadm peer set -d hub.db --site CSOC --compress zstd --no-seal &&
	syncadm peer list -d hub.db --json >peers.json &&
	test "$(jq -r ".[] | select(.peer == \"CSOC\") | .compress + \" \" + .seal" peers.json)" = "zstd off" &&
	expect_code 0 syncadm peer add -d hub.db --site DSOC --key c.db.pub --url sftp://sync@example.org/box/ &&
	expect_code 0 syncadm peer list -d hub.db &&
	grep -q "^DSOC  *sftp://sync@example.org/box/  *20" out
'

test_expect_success 'a spoke has exactly one peer, the hub' '
	make_sites &&
	expect_code 2 syncadm peer add -d b.db --site CSOC --key c.db.pub &&
	expect_err "exactly one peer" &&
	expect_code 0 syncadm peer list -d b.db &&
	test "$(sed 1d out | cut -d" " -f1)" = ASOC
'

test_expect_success 'peer add refuses keys that are not Ed25519 public keys' '
	make_sites &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key 2>/dev/null &&
	openssl pkey -in rsa.key -pubout -out rsa.pub &&
	expect_code 2 syncadm peer add -d hub.db --site DSOC --key rsa.pub &&
	expect_err "^syncadm: rsa.pub: .*not an Ed25519 key" &&
	echo garbage >junk.pub &&
	expect_code 2 syncadm peer add -d hub.db --site DSOC --key junk.pub &&
	expect_err "junk.pub: not a PEM public key" &&
	expect_code 2 syncadm peer add -d hub.db --site DSOC --key missing.pub &&
	expect_err "missing.pub: No such file" &&
	expect_code 2 syncadm peer add -d hub.db --site ASOC --key hub.db.pub &&
	expect_err "is this site"
'

test_expect_success 'peer ids differing only in case are refused (FAT mailboxes)' '
	make_sites &&
	expect_code 2 syncadm peer add -d hub.db --site bsoc --key c.db.pub &&
	expect_err "only in letter case"
'

test_expect_success 'tools refuse a database that is not a site' '
	sqlite3 plain.db "create table t(x)" &&
	expect_code 2 syncadm key -d plain.db &&
	expect_err "^syncadm: plain.db: not a syncpack site" &&
	expect_code 2 syncadm key -d nothere.db &&
	expect_err "nothere.db: No such file" &&
	test ! -f nothere.db &&
	echo "not sqlite" >text.db &&
	expect_code 2 syncadm key -d text.db &&
	expect_err "^syncadm: text.db"
'

test_expect_success 'help, version and usage errors' '
	for tool in syncack syncadm syncdiff syncpack syncunpack; do
		expect_code 0 $tool --help && grep -q "^usage: $tool" out || return 1
		expect_code 0 $tool -V && grep -q "^$tool (syncpack) " out || return 1
		expect_code 2 $tool --no-such-option || return 1
	done &&
	expect_code 2 syncadm frobnicate &&
	grep -q "unknown command frobnicate" err &&
	expect_code 2 syncadm init --site X
'

test_done
