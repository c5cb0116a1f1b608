#!/bin/sh
# Exchange over SFTP and HTTPS with real servers on loopback, the outbox,
# and a FAT32 stick image.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap servers_stop EXIT
servers_init "$test_root/servers" || { echo "Bail out! server set-up failed"; exit 1; }
sshd_start || { echo "Bail out! sshd did not start"; cat "$SERVERS/logs/sshd.log"; exit 1; }
nginx_start || { echo "Bail out! nginx did not start"; cat "$SERVERS/logs/nginx-error.log"; exit 1; }
export SERVERS SFTP_ROOT HTTPS_ROOT

sftp_opts="--ssh-key $SERVERS/client_key --known-hosts $SERVERS/known_hosts"
https_opts="--cacert $SERVERS/tls.crt --netrc-file $SERVERS/netrc"

# cycle OPTS ROOT: one day through the mailbox at ROOT.
cycle() {
	o=$1 r=$2
	syncpack -d b.db --to ASOC -o "$r" $o 2>>log &&
	syncpack -d c.db --to ASOC -o "$r" $o 2>>log &&
	{ syncunpack -d hub.db "$r" $o --reply -o "$r" 2>>log; test $? -le 1; } &&
	{ syncunpack -d b.db "$r" $o 2>>log; test $? -le 1; } &&
	{ syncunpack -d c.db "$r" $o 2>>log; test $? -le 1; }
}

test_expect_success 'a hub and two spokes exchange over SFTP' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"from B\")" &&
	sqlite3 hub.db "insert into article(label) values (\"pen\")" &&
	root="${SFTP_ROOT}sftp1/" &&
	cycle "$sftp_opts" "$root" &&
	test "$(sqlite3 c.db "select name from customer")" = "from B" &&
	test "$(sqlite3 b.db "select label from article")" = pen &&
	test -n "$(ls "$SERVERS/sftp/sftp1/ASOC/done/")" &&
	test -z "$(ls "$SERVERS/sftp/sftp1/ASOC/" | grep sxf)" &&
	test -z "$(ls -A "$SERVERS/sftp/sftp1/ASOC/" | grep "^\.")"
'

test_expect_success 'a hub and two spokes exchange over HTTPS with basic auth' '
	make_shop &&
	sqlite3 c.db "insert into customer(name) values (\"from C\")" &&
	root="${HTTPS_ROOT}h1/" &&
	cycle "$https_opts" "$root" && cycle "$https_opts" "$root" &&
	test "$(sqlite3 b.db "select name from customer")" = "from C" &&
	test -n "$(ls "$SERVERS/www/box/h1/ASOC/done/")" &&
	syncack -d hub.db --flows | grep -q "  ${root}ASOC/BSOC_ASOC_000001_data.sxf  "
'

test_expect_success 'the peer URL is the default destination; --delete removes processed files' '
	make_shop &&
	root="${HTTPS_ROOT}h2/" &&
	syncadm peer add -d b.db --site ASOC --key hub.db.pub --url "$root" &&
	sqlite3 b.db "insert into customer(name) values (\"X\")" &&
	syncpack -d b.db --to ASOC $https_opts 2>err &&
	grep -q "delivered to ${root}ASOC/" err &&
	syncunpack -d hub.db "$root" $https_opts --delete 2>>log &&
	test "$(sqlite3 hub.db "select name from customer")" = X &&
	test ! -e "$SERVERS/www/box/h2/ASOC/done" &&
	test -z "$(ls "$SERVERS/www/box/h2/ASOC/")"
'

test_expect_success 'server down: files wait in the outbox (exit 1), then catch up' '
	make_shop &&
	root="${SFTP_ROOT}down/" &&
	sshd_stop &&
	sqlite3 b.db "insert into customer(name) values (\"one\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$root" $sftp_opts --retry 0 &&
	grep -q "wait in b.db.outbox" err &&
	sqlite3 b.db "insert into customer(name) values (\"two\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$root" $sftp_opts --retry 0 &&
	test "$(ls b.db.outbox | wc -l)" = 1 &&
	sqlite3 b.db "insert into customer(name) values (\"ack waits too\")" &&
	sshd_start $SSH_PORT &&
	expect_code 0 syncpack -d b.db --to ASOC -o "$root" $sftp_opts &&
	test -z "$(ls b.db.outbox)" &&
	{ syncunpack -d hub.db "$root" $sftp_opts 2>>log; test $? -le 1; } &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 3
'

# A mailbox nobody serves any more: the connection is refused at once.
dead="sftp://127.0.0.1:1/abandoned/"

test_expect_success 'a delivered data file supersedes the data files waiting for another mailbox' '
	make_shop &&
	root="${SFTP_ROOT}moved/" &&
	sqlite3 b.db "insert into customer(name) values (\"one\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$dead" $sftp_opts --retry 0 &&
	test "$(ls b.db.outbox)" = BSOC_ASOC_000001_data.sxf &&
	sqlite3 b.db "insert into customer(name) values (\"two\")" &&
	expect_code 0 syncpack -d b.db --to ASOC -o "$root" $sftp_opts --retry 0 &&
	grep -q "delivered to ${root}ASOC/" err &&
	test -z "$(ls b.db.outbox)" &&
	test "$(sqlite3 b.db "select count(*) from syncpack_outbox")" = 0 &&
	expect_code 0 syncpack -d b.db --to ASOC -o "$root" $sftp_opts --retry 0 --if-changed &&
	! grep -q wait err &&
	{ syncunpack -d hub.db "$root" $sftp_opts 2>>log; test $? -le 1; } &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 2
'

test_expect_success 'acks and newer data files are not superseded' '
	make_shop &&
	root="${SFTP_ROOT}keep/" &&
	sqlite3 hub.db "insert into article(label) values (\"pen\")" &&
	send hub.db BSOC && recv b.db &&
	sqlite3 b.db "insert into customer(name) values (\"one\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$dead" $sftp_opts --retry 0 &&
	expect_code 1 syncack -d b.db --to ASOC -o "$dead" $sftp_opts --retry 0 &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$root" $sftp_opts --retry 0 &&
	grep -q "1 files wait in b.db.outbox" err &&
	test "$(ls b.db.outbox)" = BSOC_ASOC_000002_ack.sxf &&
	sshd_stop_all &&
	sqlite3 b.db "insert into customer(name) values (\"two\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$root" $sftp_opts --retry 0 &&
	sqlite3 b.db "insert into customer(name) values (\"three\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "${dead}other/" $sftp_opts --retry 0 &&
	test "$(ls b.db.outbox | tr "\n" " ")" = "BSOC_ASOC_000002_ack.sxf BSOC_ASOC_000004_data.sxf BSOC_ASOC_000005_data.sxf " &&
	sshd_start $SSH_PORT &&
	expect_code 0 syncack -d b.db --to ASOC -o "$dead" $sftp_opts --retry 0 &&
	grep -q "nothing to acknowledge" err &&
	grep -q "2 files still wait" err &&
	test -e "$SERVERS/sftp/keep/ASOC/BSOC_ASOC_000004_data.sxf" &&
	test "$(ls b.db.outbox | tr "\n" " ")" = "BSOC_ASOC_000002_ack.sxf BSOC_ASOC_000005_data.sxf "
'

test_expect_success 'a data file with move requests keeps waiting; a local delivery supersedes the rest' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"one\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "$dead" $sftp_opts --retry 0 \
		--request-move customer:0123456789ABCDEF0123456789ABCDEF &&
	sqlite3 b.db "insert into customer(name) values (\"two\")" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "${dead}other/" $sftp_opts --retry 0 &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb $sftp_opts --retry 0 &&
	test "$(ls b.db.outbox)" = BSOC_ASOC_000001_data.sxf &&
	test "$(sqlite3 b.db "select name from syncpack_outbox")" = BSOC_ASOC_000001_data.sxf
'

test_expect_success 'syncdiff delivers its steps to a mailbox, and exits 1 when one waits' '
	make_shop &&
	root="${SFTP_ROOT}recon/" &&
	box="$SERVERS/sftp/recon" &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	send b.db ASOC && recv hub.db &&
	expect_code 1 syncdiff -d hub.db --request --to BSOC -o "$dead" $sftp_opts --retry 0 &&
	grep -q "1 files wait in hub.db.outbox" err &&
	rm -rf hub.db.outbox && sqlite3 hub.db "delete from syncpack_outbox" &&
	expect_code 0 syncdiff -d hub.db --request --to BSOC -o "$root" $sftp_opts --retry 0 &&
	grep -q "delivered to ${root}BSOC/" err &&
	req=$(ls "$box/BSOC/" | grep _request.sxf) &&
	expect_code 0 syncdiff -d b.db --answer "$box/BSOC/$req" -o "$root" $sftp_opts --retry 0 &&
	grep -q "delivered to ${root}ASOC/" err &&
	test -z "$(ls b.db.outbox)" &&
	ls "$box/ASOC/" | grep -q "^BSOC_ASOC_[0-9]*_answer.sxf$" &&
	mkdir done && mv "$box/BSOC/$req" done/ &&
	expect_code 0 syncdiff -d hub.db --request --to BSOC -o "$root" $sftp_opts --retry 0 &&
	req=$(ls "$box/BSOC/" | grep _request.sxf) &&
	expect_code 1 syncdiff -d b.db --answer "$box/BSOC/$req" -o "$dead" $sftp_opts --retry 0 &&
	grep -q "1 files wait in b.db.outbox" err &&
	test "$(sqlite3 b.db "select kind from syncpack_outbox")" = answer
'

test_expect_success 'a wrong SFTP host key and a wrong HTTPS certificate are refused' '
	make_shop &&
	ssh-keygen -q -t ed25519 -N "" -f other &&
	echo "[127.0.0.1]:$SSH_PORT $(cut -d" " -f1,2 other.pub)" >bad_known_hosts &&
	expect_code 1 syncpack -d b.db --to ASOC -o "${SFTP_ROOT}bad/" --ssh-key "$SERVERS/client_key" --known-hosts bad_known_hosts --retry 0 &&
	test ! -e "$SERVERS/sftp/bad" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "${SFTP_ROOT}bad/" --ssh-key "$SERVERS/client_key" --known-hosts nosuch --retry 0 &&
	grep -q "no known_hosts file" err &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout o.key -out o.crt 2>/dev/null &&
	rm -rf b.db.outbox && sqlite3 b.db "delete from syncpack_outbox" &&
	expect_code 1 syncpack -d b.db --to ASOC -o "${HTTPS_ROOT}bad/" --cacert o.crt --netrc-file "$SERVERS/netrc" --retry 0 &&
	grep -qi "certificate" err &&
	test ! -e "$SERVERS/www/box/bad"
'

test_expect_success 'a partial upload is never picked up' '
	make_shop &&
	mkdir -p "$SERVERS/sftp/part/ASOC" &&
	sqlite3 b.db "insert into customer(name) values (\"whole\")" &&
	syncpack -d b.db --to ASOC -o f.sxf 2>/dev/null &&
	head -c 100 f.sxf >"$SERVERS/sftp/part/ASOC/.BSOC_ASOC_000001_data.sxf.part" &&
	expect_code 0 syncunpack -d hub.db "${SFTP_ROOT}part/" $sftp_opts &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 0 &&
	test -e "$SERVERS/sftp/part/ASOC/.BSOC_ASOC_000001_data.sxf.part"
'

test_expect_success 'files carried on a FAT32 image (mtools) arrive intact' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"on the stick\")" &&
	mkdir written && syncpack -d b.db --to ASOC -o written 2>/dev/null &&
	f=$(ls written) &&
	! echo "$f" | grep -q "[:*?\"<>|\\\\]" &&
	dd if=/dev/zero of=stick.img bs=1M count=40 2>/dev/null &&
	mformat -i stick.img -F :: &&
	mcopy -i stick.img "written/$f" ::/ &&
	mkdir back && mcopy -i stick.img "::/$f" back/ &&
	cmp "written/$f" "back/$f" &&
	expect_code 0 syncunpack -d hub.db back &&
	test "$(sqlite3 hub.db "select name from customer")" = "on the stick"
'

# libcurl and what it pulls are loaded by the first transfer only, so
# that the many runs that move no file start fast.
test_expect_success 'libcurl is loaded by a transfer, not at every start' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"local\")" &&
	mkdir local &&
	LD_DEBUG=libs syncpack -d b.db --to ASOC -o local 2>ld.local &&
	LD_DEBUG=libs syncunpack -d hub.db local 2>>ld.local &&
	grep -q "find library=libsqlite3" ld.local &&
	! grep -q "libcurl" ld.local &&
	sqlite3 b.db "insert into customer(name) values (\"sent\")" &&
	LD_DEBUG=libs syncpack -d b.db --to ASOC -o "${SFTP_ROOT}ld/" \
	    $sftp_opts 2>ld.sent &&
	grep -q "find library=libcurl.so.4" ld.sent
'

servers_stop
test_done
