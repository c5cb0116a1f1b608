#!/bin/sh
# syncadm status --html: one self-contained page, a row per peer, written
# whole; rendered by headless Chromium, whose DOM is checked and whose
# screenshot is kept in t/artifacts/ of the build tree.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# A day later at the hub: BSOC sent a file and may take a week, CSOC has
# sent nothing and is expected daily.
day_later_shop() {
	make_shop &&
	syncadm peer set -d hub.db --site BSOC --expect 7d &&
	sqlite3 b.db "insert into customer(name) values (\"Ada\")" &&
	send b.db ASOC && recv hub.db
}

# row PAGE PEER: the table row of PEER in PAGE.
row() {
	grep "<td class=\"site\">$2</td>" "$1"
}

test_expect_success 'one row per spoke, the verdict in words, no script and nothing from elsewhere' '
	day_later_shop &&
	expect_code 1 at_hours 27 syncadm status -d hub.db --html -o page.html &&
	test ! -s out &&
	test "$(grep -c "<tr class=\"peer " page.html)" = 2 &&
	row page.html BSOC | grep -q "<td class=\"status\"><span class=\"word\">ok</span></td>" &&
	row page.html BSOC | grep -q "<td class=\"last_received\">$(date -u +%Y-%m-%d)" &&
	row page.html CSOC | grep -q "<span class=\"word\">attention</span>: no file from CSOC since 20" &&
	row page.html CSOC | grep -q "<td class=\"last_sent\">never</td>" &&
	grep -q "<p class=\"verdict attention\" id=\"verdict\">Site ASOC: <span class=\"word\">attention</span>" page.html &&
	! grep -Eiq "<script|<link|src=|href=|url\\(|@import" page.html &&
	test "$(stat -c %a page.html)" = 644 &&
	expect_code 0 syncadm status -d hub.db --html -o - &&
	grep -q "<p class=\"verdict ok\" id=\"verdict\">Site ASOC: <span class=\"word\">ok</span></p>" out &&
	syncadm status -d hub.db --html >stdout.html &&
	cmp out stdout.html
'

test_expect_success '-o writes whole files, into a folder too, and says why it cannot' '
	day_later_shop &&
	mkdir web &&
	echo old >web/status.html &&
	expect_code 0 syncadm status -d hub.db --html -o web &&
	grep -q "^</html>$" web/status.html &&
	expect_code 0 syncadm status -d hub.db --prometheus -o web &&
	grep -q "^syncpack_peer_quiet{site=\"ASOC\",peer=\"CSOC\"} 0$" web/syncpack.prom &&
	expect_code 0 syncadm status -d hub.db --json -o web/s.json &&
	jq -e ".verdict == \"ok\"" web/s.json >/dev/null &&
	test "$(ls -A web)" = "s.json
status.html
syncpack.prom" &&
	expect_code 2 syncadm status -d hub.db --html -o nowhere/page.html &&
	expect_err "^syncadm: nowhere/page.html: " &&
	test ! -e nowhere &&
	expect_code 2 syncadm status -d hub.db --html --json
'

# Three shops a day later at the hub: BSOC sent and is fine, a record from
# CSOC is held (its parent was deleted at the hub), DSOC never sent a file.
three_states() {
	day_later_shop &&
	syncadm init -d d.db --site DSOC 2>/dev/null &&
	syncadm peer add -d hub.db --site DSOC --key d.db.pub &&
	syncadm peer set -d hub.db --site CSOC --expect 7d &&
	sqlite3 hub.db "insert into customer(name) values (\"Dupont\")" &&
	send hub.db CSOC && recv c.db &&
	sqlite3 hub.db "delete from customer where name = \"Dupont\"" &&
	sqlite3 c.db "insert into piece(customer_id, piece_date, total)
		select id, \"2026-12-01\", 5 from customer where name = \"Dupont\"" &&
	send c.db ASOC && recv hub.db
}

# render PAGE: Chromium's DOM of PAGE in dom.html, and a screenshot in
# shot.png. (--dump-dom needs scripts on; the first case shows the page
# has none.)
render() {
	HOME=$PWD chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$PWD/profile" --dump-dom "file://$PWD/$1" >dom.html 2>chromium.err &&
	HOME=$PWD chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$PWD/profile" --window-size=1280,420 \
		--screenshot="$PWD/shot.png" "file://$PWD/$1" >>chromium.err 2>&1
}

if command -v chromium >/dev/null 2>&1; then
	test_expect_success 'Chromium renders the page: a row per spoke with the right words, and a screenshot' '
		three_states &&
		at_hours 27 syncadm status -d hub.db --html -o page.html
		test $? = 1 &&
		start=$(date +%s%N) &&
		render page.html &&
		end=$(date +%s%N) &&
		mkdir -p "$SYNCPACK_BUILD/t/artifacts" &&
		echo $(( (end - start) / 1000000 )) >"$SYNCPACK_BUILD/t/artifacts/t0424-chromium-ms" &&
		test "$(grep -o "<tr class=\"peer [a-z]*\"><td class=\"site\">[A-Z0-9]*</td>" dom.html)" = "<tr class=\"peer ok\"><td class=\"site\">BSOC</td>
<tr class=\"peer attention\"><td class=\"site\">CSOC</td>
<tr class=\"peer attention\"><td class=\"site\">DSOC</td>" &&
		row dom.html BSOC | grep -q "<span class=\"word\">ok</span></td></tr>" &&
		row dom.html CSOC | grep -q "<td class=\"n held\">1</td>.*<span class=\"word\">attention</span>: 1 held records</td></tr>" &&
		row dom.html DSOC | grep -q "<span class=\"word\">attention</span>: no file from DSOC since 20[-0-9T:]*Z</td></tr>" &&
		grep -q "<span class=\"word\">attention</span>: 1 held records, no file from DSOC since " dom.html &&
		grep -q "<title>syncpack status: ASOC</title>" dom.html &&
		test "$(head -c 8 shot.png | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a &&
		test "$(stat -c %s shot.png)" -gt 10000 &&
		cp shot.png "$SYNCPACK_BUILD/t/artifacts/t0424-status-html.png" &&
		cp page.html "$SYNCPACK_BUILD/t/artifacts/t0424-status-html.html"
	' &&
	echo "# chromium took $(cat "$SYNCPACK_BUILD/t/artifacts/t0424-chromium-ms") ms;" \
		"screenshot kept in $SYNCPACK_BUILD/t/artifacts/t0424-status-html.png"
else
	test_skip 'Chromium renders the page' 'chromium is not installed (scripts/install-deps installs it)'
fi

test_done
