#!/bin/sh
# The reader refuses every kind of bad input with one line naming the file
# and the reason, exit 2, and nothing written.
. "$SYNCPACK_SRC/t/lib.sh"

# A valid file f.sxf from BSOC to ASOC, unpacked into x/ (unsealed: the
# cases take it apart; t0460-seal covers sealed files).
setup='make_sites && no_seal_all && syncpack -d b.db --to ASOC -o f.sxf 2>/dev/null &&
	mkdir x && tar -xzf f.sxf -C x'

# retar OUT MEMBER...: a gzip pax tar of members of x/, in that order.
retar() {
	out=$1
	shift
	(cd x && tar --format=pax -P -cf - "$@") | gzip >"$out"
}

# resign MEMBER...: rewrites MANIFEST over these members of x/ and signs
# HEADER+MANIFEST with BSOC's key, as syncpack would.
resign() {
	(cd x && sha256sum "$@" >MANIFEST && cat HEADER MANIFEST >../signed) &&
	openssl pkeyutl -sign -inkey b.db.key -rawin -in signed -out x/SIGNATURE
}

# refused FILE REASON: verifying at the hub exits 2 with exactly one line
# "syncunpack: FILE: REASON", and the hub database is unchanged.
refused() {
	before=$(db_sum hub.db) &&
	expect_code 2 syncunpack --verify -d hub.db "$1" &&
	expect_err "^syncunpack: $1: $2" &&
	test "$(db_sum hub.db)" = "$before" &&
	expect_code 2 syncunpack --list -d hub.db "$1" &&
	grep -Eq "^verdict: bad: $2" out
}

test_expect_success 'a valid file verifies (control)' "$setup"'&&
	expect_code 0 syncunpack --verify -d hub.db f.sxf &&
	retar g.sxf HEADER MANIFEST SIGNATURE schema.json data.jsonl &&
	expect_code 0 syncunpack --verify -d hub.db g.sxf
'

test_expect_success 'unknown signer' "$setup"'&&
	syncadm init -d other.db --site ASOC --hub 2>/dev/null &&
	expect_code 2 syncunpack --verify -d other.db f.sxf &&
	expect_err "^syncunpack: f.sxf: unknown signer BSOC"
'

test_expect_success 'bad signature: header altered after signing' "$setup"'&&
	sed -i "s/^created: .*/created: 2001-01-01T00:00:00Z/" x/HEADER &&
	retar bad.sxf HEADER MANIFEST SIGNATURE schema.json data.jsonl &&
	refused bad.sxf "bad signature"
'

test_expect_success 'bad signature: signed by another key' "$setup"'&&
	(cd x && cat HEADER MANIFEST >../signed) &&
	openssl pkeyutl -sign -inkey c.db.key -rawin -in signed -out x/SIGNATURE &&
	retar bad.sxf HEADER MANIFEST SIGNATURE schema.json data.jsonl &&
	refused bad.sxf "bad signature"
'

test_expect_success 'hash mismatch: payload altered, manifest signed' "$setup"'&&
	echo "{\"injected\":1}" >x/data.jsonl &&
	retar bad.sxf HEADER MANIFEST SIGNATURE schema.json data.jsonl &&
	refused bad.sxf "hash mismatch in member data.jsonl"
'

test_expect_success 'truncated input' "$setup"'&&
	echo "{\"n\":1}" >x/data.jsonl && resign data.jsonl &&
	retar full.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	expect_code 0 syncunpack --verify -d hub.db full.sxf &&
	size=$(stat -c %s full.sxf) &&
	for cut in 10 60 $((size / 2)) $((size - 12)); do
		head -c $cut full.sxf >cut.sxf &&
		refused cut.sxf "truncated gzip stream" || return 1
	done
'

test_expect_success 'garbage, empty and non-gzip input' "$setup"'&&
	head -c 4096 /dev/urandom >garbage.sxf &&
	printf "\037\213" | cat - garbage.sxf >garbage2.sxf &&
	: >empty.sxf &&
	(cd x && tar --format=pax -cf ../plain.sxf HEADER MANIFEST SIGNATURE data.jsonl) &&
	refused empty.sxf "empty input" &&
	refused plain.sxf "not a gzip or zstd file" &&
	refused garbage2.sxf "(corrupt gzip data|truncated gzip stream)" &&
	if [ "$(head -c 2 garbage.sxf | od -An -tx1 | tr -d " ")" != 1f8b ]; then
		refused garbage.sxf "not a gzip or zstd file"
	fi
'

test_expect_success 'trailing bytes after the gzip stream' "$setup"'&&
	{ cat f.sxf; echo extra; } >trail.sxf &&
	refused trail.sxf "trailing data after the gzip stream" &&
	{ cat f.sxf; cat f.sxf; } >twice.sxf &&
	refused twice.sxf "trailing data after the gzip stream"
'

test_expect_success 'zstd: a valid file verifies; cut, trailing and corrupt ones are refused' "$setup"'&&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE schema.json data.jsonl) | zstd -q >z.sxf &&
	expect_code 0 syncunpack --verify -d hub.db z.sxf &&
	head -c $(($(stat -c %s z.sxf) - 3)) z.sxf >cut.sxf &&
	refused cut.sxf "truncated zstd stream" &&
	{ cat z.sxf; cat z.sxf; } >twice.sxf &&
	refused twice.sxf "trailing data after the zstd stream" &&
	{ printf "\050\265\057\375"; head -c 200 /dev/zero | tr "\000" "\377"; } >bad.sxf &&
	refused bad.sxf "corrupt zstd data"
'

test_expect_success 'a damaged gzip trailer (CRC) is refused' "$setup"'&&
	size=$(stat -c %s f.sxf) &&
	head -c $((size - 8)) f.sxf >crc.sxf &&
	printf "\000\000\000\000" >>crc.sxf && tail -c 4 f.sxf >>crc.sxf &&
	refused crc.sxf "corrupt gzip data"
'

test_expect_success 'gzip that is not a tar' "$setup"'&&
	echo "hello, this is not tar" | gzip >text.sxf &&
	refused text.sxf "not a tar archive"
'

test_expect_success 'members missing' "$setup"'&&
	retar nosig.sxf HEADER MANIFEST schema.json data.jsonl &&
	refused nosig.sxf "member SIGNATURE missing" &&
	retar nopayload.sxf HEADER MANIFEST SIGNATURE schema.json &&
	refused nopayload.sxf "member data.jsonl missing" &&
	retar noheader.sxf MANIFEST SIGNATURE schema.json data.jsonl &&
	refused noheader.sxf "member HEADER missing or out of order \\(found MANIFEST" &&
	retar onlyheader.sxf HEADER &&
	refused onlyheader.sxf "member MANIFEST missing"
'

test_expect_success 'members duplicated' "$setup"'&&
	cp x/data.jsonl x/copy &&
	(cd x && tar --format=pax -cf - --transform="s|^copy\$|data.jsonl|" HEADER MANIFEST SIGNATURE schema.json data.jsonl copy) | gzip >dup.sxf &&
	tar -tzf dup.sxf | grep -c "^data.jsonl\$" | grep -qx 2 &&
	refused dup.sxf "member data.jsonl duplicated" &&
	cp x/HEADER x/copy &&
	(cd x && tar --format=pax -cf - --transform="s|^copy\$|HEADER|" HEADER MANIFEST SIGNATURE copy schema.json data.jsonl) | gzip >duph.sxf &&
	refused duph.sxf "member HEADER duplicated"
'

test_expect_success 'members out of order' "$setup"'&&
	retar order.sxf MANIFEST HEADER SIGNATURE data.jsonl &&
	refused order.sxf "member HEADER missing or out of order \\(found MANIFEST" &&
	echo a >x/a.jsonl && echo b >x/b.jsonl && resign a.jsonl b.jsonl &&
	retar ab.sxf HEADER MANIFEST SIGNATURE a.jsonl b.jsonl &&
	expect_code 0 syncunpack --verify -d hub.db ab.sxf &&
	retar ba.sxf HEADER MANIFEST SIGNATURE b.jsonl a.jsonl &&
	refused ba.sxf "member b.jsonl out of order"
'

test_expect_success 'unknown member' "$setup"'&&
	echo extra >x/extra &&
	retar unk.sxf HEADER MANIFEST SIGNATURE schema.json data.jsonl extra &&
	refused unk.sxf "unknown member extra"
'

test_expect_success 'member names with / or ..' "$setup"'&&
	mkdir x/sub && echo evil >x/sub/evil &&
	retar slash.sxf HEADER MANIFEST SIGNATURE sub/evil &&
	refused slash.sxf "member name \"sub/evil\" contains ./." &&
	echo evil >x/evil &&
	(cd x && tar --format=pax -P --transform="s|^evil\$|../evil|" -cf - HEADER MANIFEST SIGNATURE evil) | gzip >dotdot.sxf &&
	refused dotdot.sxf "member name \"../evil\" contains" &&
	(cd x && tar --format=pax -P --transform="s|^evil\$|..|" -cf - HEADER MANIFEST SIGNATURE evil) | gzip >dots.sxf &&
	refused dots.sxf "member name \"..\" contains .\.\.."
'

test_expect_success 'a manifest naming a bad member is refused' "$setup"'&&
	(cd x && printf "%064d  ../x\n" 0 >MANIFEST && cat HEADER MANIFEST >../signed) &&
	openssl pkeyutl -sign -inkey b.db.key -rawin -in signed -out x/SIGNATURE &&
	retar m.sxf HEADER MANIFEST SIGNATURE &&
	refused m.sxf "MANIFEST: bad member name"
'

test_expect_success 'a member that is not a regular file' "$setup"'&&
	ln -s data.jsonl x/link &&
	retar link.sxf HEADER MANIFEST SIGNATURE link &&
	refused link.sxf "member link is not a regular file"
'

test_expect_success 'member larger than the limit' "$setup"'&&
	head -c 5000 /dev/zero >x/data.jsonl && resign data.jsonl &&
	retar big.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	expect_code 0 syncunpack --verify -d hub.db big.sxf &&
	expect_code 2 syncunpack --verify -d hub.db --max-member-size 4K big.sxf &&
	expect_err "^syncunpack: big.sxf: member data.jsonl is 5000 bytes, over the limit of 4096"
'

test_expect_success 'decompressed size over the limit' "$setup"'&&
	head -c 300000 /dev/zero >x/a.jsonl && head -c 300000 /dev/zero >x/b.jsonl &&
	resign a.jsonl b.jsonl &&
	retar big.sxf HEADER MANIFEST SIGNATURE a.jsonl b.jsonl &&
	test "$(stat -c %s big.sxf)" -lt 10000 &&
	expect_code 2 syncunpack --verify -d hub.db --max-total-size 500K big.sxf &&
	expect_err "^syncunpack: big.sxf: decompressed size over the limit"
'

test_expect_success 'member count over the limit' "$setup"'&&
	for i in 1 2 3; do echo $i >x/m$i; done && resign m1 m2 m3 &&
	retar many.sxf HEADER MANIFEST SIGNATURE m1 m2 m3 &&
	expect_code 0 syncunpack --verify -d hub.db many.sxf &&
	expect_code 2 syncunpack --verify -d hub.db --max-members 2 many.sxf &&
	expect_err "^syncunpack: many.sxf: MANIFEST: more than 2 members"
'

test_expect_success 'a file addressed to another site' "$setup"'&&
	syncadm init -d hub2.db --site ASOC2 --hub 2>/dev/null &&
	syncadm peer add -d hub2.db --site BSOC --key b.db.pub &&
	expect_code 2 syncunpack --verify -d hub2.db f.sxf &&
	expect_err "^syncunpack: f.sxf: addressed to ASOC, not to this site \(ASOC2\)"
'

test_expect_success 'an unsupported format version' "$setup"'&&
	sed -i "s/^format: sxf 1/format: sxf 2/" x/HEADER && resign data.jsonl &&
	retar v2.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	refused v2.sxf "unsupported format version \"sxf 2\""
'

test_expect_success 'a bad list of the format versions the sender reads' "$setup"'&&
	grep -qx "reads: 1" x/HEADER &&
	sed -i "s/^reads: 1$/reads: 2 1/" x/HEADER && resign data.jsonl &&
	retar r.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	refused r.sxf "HEADER: bad reads \"2 1\""
'

test_expect_success 'malformed headers' "$setup"'&&
	cp x/HEADER good.h &&
	grep -v "^flow:" good.h >x/HEADER && resign data.jsonl &&
	retar noflow.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	refused noflow.sxf "HEADER: missing key flow" &&
	sed "s/^from: .*/from: B SOC/" good.h >x/HEADER && resign data.jsonl &&
	retar badfrom.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	refused badfrom.sxf "HEADER: bad site id in from" &&
	{ cat good.h; echo "flow: 9"; } >x/HEADER && resign data.jsonl &&
	retar twice.sxf HEADER MANIFEST SIGNATURE data.jsonl &&
	refused twice.sxf "HEADER: duplicate key flow"
'

test_expect_success 'a wrong-size signature' "$setup"'&&
	head -c 63 x/SIGNATURE >s && mv s x/SIGNATURE &&
	retar short.sxf HEADER MANIFEST SIGNATURE schema.json data.jsonl &&
	refused short.sxf "SIGNATURE is 63 bytes"
'

test_expect_success 'stdin is named "stdin" in messages' "$setup"'&&
	echo junk >junk &&
	syncunpack --verify -d hub.db - <junk >out 2>err; test $? = 2 &&
	expect_err "^syncunpack: stdin: not a gzip or zstd file"
'

test_done
