# t/lib.sh: helpers for syncpack's end-to-end tests; prints TAP.
#
# A test file sources this, calls test_expect_success 'title' 'body' for each
# case, and ends with test_done. Each body runs in a fresh scratch folder
# (kept when the case fails, removed otherwise) and chains with &&. The tools
# come from the build tree named by $SYNCPACK_BUILD (set by make check).

set -u
: "${SYNCPACK_BUILD:?run the tests through make check}"
: "${SYNCPACK_SRC:?run the tests through make check}"
PATH="$SYNCPACK_BUILD/src:$SYNCPACK_SRC/scripts:$PATH"
export PATH
unset SYNCPACK_DB
LC_ALL=C
export LC_ALL

test_name=$(basename "$0" .sh)
test_root=$(mktemp -d "${TMPDIR:-/tmp}/$test_name.XXXXXX") || exit 99
test_count=0
test_failed=0

# expect_code N cmd...: runs cmd and fails (showing its stderr) unless it
# exits with N. Its stdout and stderr are kept in ./out and ./err.
expect_code() {
	want=$1
	shift
	"$@" >out 2>err
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "expected exit $want, got $got from: $*" >&2
		sed 's/^/stderr: /' err >&2
		return 1
	fi
	return 0
}

# expect_err PATTERN: the last command's stderr (./err) matches PATTERN
# (grep -E) and is exactly one line.
expect_err() {
	if ! grep -Eq -- "$1" err; then
		echo "stderr does not match /$1/:" >&2
		sed 's/^/stderr: /' err >&2
		return 1
	fi
	if [ "$(wc -l <err)" -ne 1 ]; then
		echo "stderr is not one line:" >&2
		sed 's/^/stderr: /' err >&2
		return 1
	fi
}

# make_sites: a hub ASOC (hub.db) and spokes BSOC (b.db) and CSOC (c.db)
# that know each other's keys, in the current folder.
make_sites() {
	syncadm init -d hub.db --site ASOC --hub 2>/dev/null &&
	syncadm init -d b.db --site BSOC 2>/dev/null &&
	syncadm init -d c.db --site CSOC 2>/dev/null &&
	syncadm peer add -d hub.db --site BSOC --key b.db.pub &&
	syncadm peer add -d hub.db --site CSOC --key c.db.pub &&
	syncadm peer add -d b.db --site ASOC --key hub.db.pub &&
	syncadm peer add -d c.db --site ASOC --key hub.db.pub
}

# no_seal_all: files between the sites of make_sites travel unsealed, for
# tests that take files apart with tar and build them again by hand.
no_seal_all() {
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncadm peer set -d hub.db --site CSOC --no-seal &&
	syncadm peer set -d b.db --site ASOC --no-seal &&
	syncadm peer set -d c.db --site ASOC --no-seal
}

# at_hours H CMD...: runs CMD with the clock H hours from now (the testing
# override of syncpack(7)), to see what syncadm status will say then.
at_hours() {
	h=$1
	shift
	SYNCPACK_TEST_CLOCK_MS=$(( ($(date +%s) + h * 3600) * 1000 )) "$@"
}

# fold DB: what every tool does first, turning the change log the triggers
# wrote into record metadata (GUIDs, rowversions, tombstones).
fold() {
	syncadm tables -d "$1" >/dev/null
}

# db_sum FILE: a checksum of a database file's bytes (to prove that nothing
# was written).
db_sum() {
	sha256sum "$1" | cut -d' ' -f1
}

test_expect_success() {
	test_count=$((test_count + 1))
	dir="$test_root/$test_count"
	mkdir -p "$dir"
	if (cd "$dir" && eval "$2") >"$dir/.log" 2>&1; then
		echo "ok $test_count - $1"
		rm -rf "$dir"
	else
		echo "not ok $test_count - $1"
		sed 's/^/# /' "$dir/.log"
		echo "# scratch folder kept: $dir"
		test_failed=$((test_failed + 1))
	fi
}

# test_skip TITLE REASON: counts case TITLE as skipped (TAP "# SKIP").
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_skip_all REASON: skips the whole file, before any case ran (TAP's
# "1..0 # SKIP"), when something it needs is not on this machine.
test_skip_all() {
	echo "1..0 # SKIP $1"
	rm -rf "$test_root"
	exit 0
}

test_done() {
	echo "1..$test_count"
	if [ "$test_failed" -eq 0 ]; then
		rm -rf "$test_root"
		exit 0
	fi
	exit 1
}
