# t/exchange-lib.sh: the shop example of syncpack(7) for exchange tests:
# hub ASOC, spokes BSOC and CSOC, each a real SQLite file, and a folder
# standing in for a USB stick. Sourced after t/lib.sh.

shop_schema='
create table customer(id integer primary key, name text not null, city text,
	email text unique);
create table article(id integer primary key, label text, price real);
create table piece(id integer primary key,
	customer_id integer references customer(id), piece_date text, total real);
create table event(id integer primary key, what text);'

# make_shop: three sites with the shop's tables tracked.
make_shop() {
	make_sites && mkdir usb &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "$shop_schema" &&
		syncadm track -d $db customer --owner shared &&
		syncadm track -d $db article --owner central &&
		syncadm track -d $db piece --owner creator --route owner --freeze --window piece_date &&
		syncadm track -d $db event --owner creator --route none || return 1
	done
}

# send DB PEER: pack for PEER into usb/ (quietly).
send() {
	syncpack -d "$1" --to "$2" -o usb 2>>log
}

# recv DB: apply every file in usb/ addressed to DB's site; exit 1
# (conflicts settled, records held or rejected) is part of normal life.
recv() {
	syncunpack -d "$1" usb 2>>log
	test $? -le 1
}

# ack DB PEER: acknowledge to PEER through usb/, then let PEER ingest.
ack() {
	syncack -d "$1" --to "$2" -o usb 2>>log
}

# round: one full day: spokes send, the hub applies and returns to every
# spoke, spokes apply and acknowledge, the hub ingests the acks and
# acknowledges back.
round() {
	send b.db ASOC && send c.db ASOC && recv hub.db &&
	syncpack -d hub.db --all -o usb 2>>log &&
	recv b.db && recv c.db &&
	ack b.db ASOC && ack c.db ASOC && recv hub.db &&
	ack hub.db BSOC && ack hub.db CSOC && recv b.db && recv c.db
}

# content DB TABLE: the records of TABLE as every site must agree on them:
# GUID, rowversion, owner, and the row's columns without the local key.
content() {
	sqlite3 "$1" "select r.guid, r.rowversion, r.owner, json_remove(json_object($(
		sqlite3 "$1" "select group_concat('''' || name || ''', t.' || name, ', ')
			from pragma_table_info('$2')")), '\$.id', '\$.customer_id')
		from syncpack_record r join $2 t on t.id = r.rkey
		where r.tbl = (select id from syncpack_table where name = '$2')
		order by r.guid"
}

# reconcile SPOKE_DB SPOKE: the four steps through usb/, as operators run
# them; step files are kept in usb/done/.
reconcile() {
	syncdiff -d hub.db --request --to "$2" -o usb 2>>log &&
	syncdiff -d "$1" --answer usb/ASOC_"$2"_*_request.sxf -o usb 2>>log &&
	mv usb/ASOC_"$2"_*_request.sxf usb/done/ &&
	recv hub.db &&
	a=$(ls -t usb/done/"$2"_ASOC_*_answer.sxf | head -1) &&
	syncdiff -d hub.db --answer "$a" -o usb 2>>log &&
	recv "$1" && ack "$1" ASOC && recv hub.db
}
