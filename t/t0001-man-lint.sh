#!/bin/sh
# Every man page passes mandoc -T lint without a message.
. "$SYNCPACK_SRC/t/lib.sh"

for page in syncack.1 syncadm.1 syncdiff.1 syncpack.1 syncpack-cron.1 syncunpack.1 sxf.5 syncpack.7; do
	test_expect_success "mandoc -T lint $page" '
		mandoc -T lint -W warning "$SYNCPACK_SRC/man/'$page'" >lint 2>&1;
		cat lint && test ! -s lint
	'
done

test_expect_success 'every tool has a man page naming its exit codes' '
	for page in syncack.1 syncadm.1 syncdiff.1 syncpack.1 syncunpack.1; do
		grep -q "^\.Sh EXIT STATUS" "$SYNCPACK_SRC/man/$page" || return 1
	done
'

test_done
