#!/bin/sh
# Every SQLite value round-trips byte for byte: through pack and apply, a
# reconciliation and syncdiff's checksums (sxf(5), "Column values").
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

Q="'"

# v has no declared type, so SQLite stores every value as given.
values_schema='create table val(id integer primary key, name text not null, v);'

# One row per hostile value; $1 prefixes the names (rows of another site).
hostile() {
	p=${1-}
	echo "insert into val(name, v) values
	('${p}null', NULL), ('${p}empty_text', ''), ('${p}empty_blob', x''),
	('${p}text_invalid', cast(x'4361666597' as text)),
	('${p}blob_invalid', x'4361666597'),
	('${p}text_nul', cast(x'610062' as text)), ('${p}text_only_nul', cast(x'00' as text)),
	('${p}text_surrogate', cast(x'EDA080' as text)),
	('${p}text_overlong', cast(x'C0AF' as text)),
	('${p}text_beyond_unicode', cast(x'F4908080' as text)),
	('${p}text_cut', cast(x'41E282' as text)),
	('${p}text_utf8', 'abc'), ('${p}blob_utf8', x'616263'),
	('${p}text_controls', char(1, 9, 10, 13, 31, 34, 92, 127)),
	('${p}text_planes', char(0x41, 0xE9, 0x20AC, 0xFFFD, 0x10000, 0x1F600,
		0x20000, 0x30000, 0xE0001, 0xF0000, 0x10FFFF)),
	('${p}int_min', -9223372036854775808), ('${p}int_max', 9223372036854775807),
	('${p}int_zero', 0), ('${p}int_one', 1),
	('${p}real_17_digits', 0.1 + 0.2), ('${p}real_one_ulp', 1.0000000000000002),
	('${p}real_integral', 2.0), ('${p}real_1e16', 1e16), ('${p}real_neg_zero', -0.0),
	('${p}real_big', 1e300), ('${p}real_tiny', 5e-324),
	('${p}real_max', 1.7976931348623157e308),
	('${p}real_inf', 9e999), ('${p}real_neg_inf', -9e999),
	('${p}blob_1mib', randomblob(1048576)),
	('${p}text_1mib_bytes', cast(randomblob(1048576) as text)),
	('${p}text_1mib_utf8', replace(hex(zeroblob(262144)), '00', char(0x10FFFF)))"
}

# vals DB: every row as name, type and bytes (a real's 8 IEEE bytes, since
# hex() of a real is its rounded decimal text).
vals() {
	sqlite3 "$1" "select name, typeof(v), case typeof(v) when 'real' then
		hex(ieee754_to_blob(v)) else hex(v) end from val order by name"
}

# make_values: the three sites of make_sites with val tracked shared.
make_values() {
	make_sites && mkdir usb usb/done &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "$values_schema" &&
		syncadm track -d $db val --owner shared || return 1
	done
}

# same_values A B: A and B hold the same values, and syncdiff agrees.
same_values() {
	vals "$1" >"$1.vals" && vals "$2" >"$2.vals" &&
	cmp "$1.vals" "$2.vals" &&
	syncdiff "$1" "$2" --table val >diff.out ||
	{ echo "$1 and $2 differ:"; cat diff.out; return 1; }
}

# nothing_refused DB: no record was rejected or held at DB (a conflict the
# incoming version won is not a refusal).
nothing_refused() {
	test "$(sqlite3 "$1" "select count(*) from syncpack_protocol where
		direction = 'in' and outcome <> 'conflict-won'")" = 0 &&
	test "$(sqlite3 "$1" "select count(*) from syncpack_held")" = 0 ||
	{ sqlite3 "$1" "select outcome, reason from syncpack_protocol"; return 1; }
}

# The values as inserted, checked once so that the comparisons compare
# what they should.
check_inserted() {
	vals "$1" >inserted &&
	for want in "text_invalid|text|4361666597" "blob_invalid|blob|4361666597" \
	    "text_nul|text|610062" "text_only_nul|text|00" "empty_text|text|" \
	    "empty_blob|blob|" "null|null|" "real_inf|real|7FF0000000000000" \
	    "real_neg_inf|real|FFF0000000000000" "real_neg_zero|real|8000000000000000" \
	    "real_17_digits|real|3FD3333333333334" "real_integral|real|4000000000000000" \
	    "int_min|integer|2D39323233333732303336383534373735383038"; do
		grep -qx "$2$want" inserted || { echo "not inserted: $want"; return 1; }
	done &&
	test "$(sqlite3 "$1" "select typeof(v), length(v) from val where name = '$2blob_1mib'")" = "blob|1048576"
}

test_expect_success 'hostile values reach the hub and another spoke byte for byte' '
	make_values &&
	sqlite3 b.db "$(hostile)" && check_inserted b.db "" &&
	round &&
	nothing_refused hub.db && nothing_refused c.db &&
	same_values b.db hub.db && same_values b.db c.db
'

test_expect_success 'hostile values written by an update travel back unchanged' '
	make_values &&
	sqlite3 b.db "$(hostile)" && vals b.db >inserted && round &&
	n=$(sqlite3 c.db "select count(*) from val") &&
	sqlite3 c.db "create temp table old as select id, v from val;
		update val set v = (select v from old where old.id = val.id % $n + 1)" &&
	round &&
	nothing_refused hub.db && nothing_refused b.db &&
	same_values c.db hub.db && same_values c.db b.db &&
	! cmp -s c.db.vals inserted
'

test_expect_success 'after an exchange both sides compute the same checksums' '
	make_values &&
	sqlite3 b.db "$(hostile)" && sqlite3 hub.db "$(hostile h_)" && round &&
	n=$(sqlite3 b.db "select count(*) from val where substr(name, 1, 2) <> \"h_\"") &&
	test "$n" -gt 30 &&
	syncdiff -d hub.db --request --to BSOC -o usb 2>err &&
	grep -q ": $n records" err &&
	syncdiff -d b.db --answer usb/ASOC_BSOC_*_request.sxf -o usb 2>err &&
	grep -q "answer flow [0-9]*: 0 records, 0 wanted, $n echoed" err
'

test_expect_success 'a reconciliation repairs lost hostile values both ways' '
	make_values &&
	sqlite3 b.db "$(hostile)" && sqlite3 hub.db "$(hostile h_)" &&
	send b.db ASOC && rm usb/BSOC_ASOC_*_data.sxf &&
	syncpack -d hub.db --to BSOC -o lost.sxf 2>>log &&
	n=$(sqlite3 b.db "select count(*) from val") && test "$n" -gt 30 &&
	test "$(sqlite3 hub.db "select count(*) from val")" = "$n" &&
	reconcile b.db BSOC &&
	nothing_refused hub.db && nothing_refused b.db &&
	test "$(sqlite3 hub.db "select count(*) from val")" = $((2 * n)) &&
	same_values hub.db b.db &&
	round && nothing_refused c.db && same_values hub.db c.db
'

test_expect_success 'syncdiff tells apart values that differ in type or one byte' '
	make_values &&
	sqlite3 b.db "$(hostile)" && round && same_values b.db hub.db &&
	while read name expr; do
		cp hub.db x.db &&
		sqlite3 x.db "update val set v = $expr where name = \"$name\"" &&
		g=$(sqlite3 x.db "select guid from syncpack_record r join val on
			val.id = r.rkey where name = \"$name\"") &&
		expect_code 1 syncdiff hub.db x.db --table val &&
		test "$(cat out)" = "$(printf "differs\tval\t%s" "$g")" ||
		{ echo "not told apart: $name = $expr"; return 1; }
	done <<-EOF
	text_invalid cast(x${Q}4361666598${Q} as text)
	text_invalid x${Q}4361666597${Q}
	blob_invalid cast(v as text)
	text_nul cast(x${Q}610063${Q} as text)
	text_nul cast(x${Q}6100${Q} as text)
	text_only_nul ${Q}${Q}
	empty_text NULL
	empty_blob NULL
	empty_blob ${Q}${Q}
	real_neg_zero 0.0
	real_integral 2
	int_one 1.0
	real_one_ulp 1.0
	real_inf 1.7976931348623157e308
	int_min -9223372036854775807
	text_planes char(0x41, 0xE9, 0x20AC, 0xFFFD, 0x10000, 0x1F600, 0x20000, 0x30000, 0xE0001, 0xF0000, 0x10FFFE)
	EOF
'

test_expect_success 'a data file in the encoding of earlier versions still reads' '
	syncadm init -d hub.db --site ASOC --hub 2>/dev/null &&
	syncadm peer add -d hub.db --site BSOC --key "$SYNCPACK_SRC/t/t0410/BSOC.pub" &&
	sqlite3 hub.db "$values_schema" && syncadm track -d hub.db val --owner shared &&
	expect_code 0 syncunpack -d hub.db "$SYNCPACK_SRC/t/t0410/old-encoding.sxf" &&
	nothing_refused hub.db &&
	vals hub.db >got &&
	cmp "$SYNCPACK_SRC/t/t0410/old-encoding.expected" got
'

test_done
