#!/bin/sh
# bash completion (completion/syncpack): commands, options and their
# arguments for every tool; every option a man page documents is offered,
# every option offered is one the tool takes; installed where
# bash-completion's lazy loader finds it.
. "$SYNCPACK_SRC/t/lib.sh"

man="$SYNCPACK_SRC/man"
helper="$SYNCPACK_SRC/t/complete.bash"

# offers LINE: what completing the end of LINE offers, one per line, in
# ./offered; with helpers=none in the environment, without bash-completion.
offers() {
	SYNCPACK_BASH_COMPLETION=${helpers:-} bash "$helper" "$1" >offered
}

# offered_exactly LINE WORD...: LINE completes to exactly these words.
offered_exactly() {
	line=$1
	shift
	offers "$line" || return 1
	: >want
	test $# -eq 0 || printf "%s\n" "$@" | sort >want
	sort offered >got
	cmp -s want got && return 0
	echo "completing \"$line\": want $(tr "\n" " " <want), got $(tr "\n" " " <got)"
	return 1
}

# takes_transport PAGE: PAGE's SYNOPSIS takes the transport options.
takes_transport() {
	awk '/^\.Sh SYNOPSIS/ { s = 1; next } /^\.Sh/ { s = 0 }
	    s && /transport options/ { t = 1 } END { exit !t }' "$man/$1.1"
}

# man_options PAGE: the options (--long and -s) PAGE documents in its
# SYNOPSIS and on its .It lines, and, when the SYNOPSIS takes transport
# options, those syncpack(7) lists; for syncadm.1, lines "COMMAND<tab>OPT"
# from each command's synopsis, and "*<tab>OPT" for its .It lines.
man_options() {
	transport=
	takes_transport "$1" && transport="$man/syncpack.7"
	awk -v page="$1" '
	function opts(from, cmd,   i, fl) {
		for (i = from; i <= NF; i++) {
			if ($i == "Fl" || $i == ".Fl") fl = 1
			else if ($i ~ /^\.?[A-Z][a-z][a-z]?$/) fl = 0
			else if (fl && $i ~ /^-[a-z][-a-z]*$/) print cmd "-" $i
			else if (fl && $i ~ /^[a-zA-Z]$/) print cmd "-" $i
		}
	}
	/^\.Sh / { sec = $2 }
	FILENAME ~ /syncpack\.7$/ {
		if (/^\.S[hs] /) tr = ($0 == ".Ss Transport options")
		if (tr && /^\.It Fl/) opts(2, "")
		next
	}
	sec == "SYNOPSIS" && page == "syncadm" {
		if ($1 == ".Nm") cmd = ""
		else if ($1 == ".Cm" && cmd == "") {
			cmd = $2; if (NF > 2) cmd = cmd " " $3
		} else opts(1, cmd "\t")
		next
	}
	sec == "SYNOPSIS" { opts(1, ""); next }
	/^\.It / { opts(2, page == "syncadm" ? "*\t" : "") }
	' "$man/$1.1" $transport | sort -u
}

for helpers in "" none; do
	with="with bash-completion"
	test -n "$helpers" && with="without bash-completion"
	test -f /usr/share/bash-completion/bash_completion ||
		with="without bash-completion (not installed)"

	test_expect_success "syncadm commands, $with" '
		offered_exactly "syncadm pe" peer &&
		offered_exactly "syncadm peer " add list set &&
		offered_exactly "syncadm un" unlock untrack &&
		offered_exactly "syncadm conflicts -d x.db " list resolve &&
		offered_exactly "syncadm -" -h --help -V --version &&
		man_options syncadm | cut -f1 | grep -v "^\*" | cut -d" " -f1 |
			sort -u >want &&
		test "$(wc -l <want)" -ge 13 &&
		offers "syncadm " && sort offered >got && cmp want got
	'

	test_expect_success "options and their values, $with" '
		offered_exactly "syncack --fl" --flows &&
		offered_exactly "syncunpack --max-members" --max-members &&
		offered_exactly "syncadm track -d x.db t --owner " \
			central creator shared &&
		offered_exactly "syncadm track -d x.db t --owner=c" \
			central creator &&
		offered_exactly "syncadm track t --route " all owner none &&
		offered_exactly "syncadm track t --conflict m" manual &&
		offered_exactly "syncadm track t --key " local natural &&
		offered_exactly "syncadm peer set --site BSOC --expect " \
			30s 15m 26h 7d never &&
		offered_exactly "syncadm status --h" --help --html &&
		offered_exactly "syncadm conflicts resolve 3 --keep " \
			local remote &&
		offered_exactly "syncack --status ap" applied &&
		offered_exactly "syncpack-cron --no" --no-return &&
		offered_exactly "syncdiff --s" --since --ssh-key --summary
	'

	test_expect_success "-d completes databases and folders, $with" '
		mkdir box && : >shop.db && : >shop.db.pub && : >notes.txt &&
		offered_exactly "syncpack -d " box shop.db &&
		offered_exactly "syncadm status --database=s" shop.db &&
		offered_exactly "syncpack-cron -d sh" shop.db &&
		offered_exactly "syncpack-cron -m " box &&
		offered_exactly "syncunpack -d shop.db n" notes.txt &&
		offered_exactly "syncadm init -d shop.db --pub shop.db." \
			shop.db.pub
	'

	test_expect_success "peer ids and tables from the database, $with" '
		make_sites &&
		sqlite3 hub.db "create table item(id integer primary key)" &&
		syncadm track -d hub.db item &&
		offered_exactly "syncpack -d hub.db --to " BSOC CSOC &&
		offered_exactly "syncpack --database=hub.db --to=C" CSOC &&
		offered_exactly "syncack -d hub.db --flows --peer B" BSOC &&
		offered_exactly "syncadm peer add -d b.db --site " ASOC &&
		offered_exactly "syncadm untrack -d hub.db " item &&
		offered_exactly "syncdiff -d hub.db --table i" item &&
		(SYNCPACK_DB=hub.db && export SYNCPACK_DB &&
			offered_exactly "syncdiff --request --to " BSOC CSOC) &&
		(HOME=$PWD && export HOME &&
			offered_exactly "syncpack -d ~/hub.db --to " BSOC CSOC) &&
		offered_exactly "syncpack --to " &&
		offered_exactly "syncpack -d missing.db --to " &&
		offered_exactly "syncadm init -d new.db --site " &&
		mkdir nojq && ln -s "$(command -v syncadm)" nojq/syncadm &&
		ln -s "$(command -v bash)" nojq/bash &&
		PATH="$PWD/nojq" bash "$helper" "syncpack -d hub.db --to " \
			>offered 2>err &&
		test ! -s offered && test ! -s err
	'
done

# Every option the man page documents is offered.
for tool in syncack syncdiff syncpack syncpack-cron syncunpack; do
	test_expect_success "$tool: every option in $tool(1) is completed" '
		man_options '$tool' >want &&
		if takes_transport '$tool'; then
			grep -q -- --retry-max-time want || return 1
		fi &&
		offers "'$tool' -" && sort offered >got &&
		missing=$(comm -23 want got) &&
		test -z "$missing" || { echo "not completed: $missing"; false; }
	'
done

test_expect_success 'syncadm: every option in syncadm(1) is completed' '
	man_options syncadm >want && : >all &&
	for cmd in $(cut -f1 want | grep -v "^\*" | sort -u | tr " " +); do
		c=$(echo "$cmd" | tr + " ") &&
		offers "syncadm $c -" && cat offered >>all &&
		grep "^$c	" want | cut -f2 | sort >want.cmd &&
		sort offered >got &&
		missing=$(comm -23 want.cmd got) &&
		if test -n "$missing"; then
			echo "syncadm $c: not completed: $missing"; return 1
		fi || return 1
	done &&
	grep "^\*	" want | cut -f2 | sort -u >want.it &&
	sort -u all >got && missing=$(comm -23 want.it got) &&
	test -z "$missing" || { echo "not completed: $missing"; false; }
'

# Every option offered is one the tool takes (getopt_long knows it).
# knows TOOL ARGS...: no "unrecognized option" for each offered option.
knows() {
	for opt in $(cat offered); do
		"$@" "$opt" </dev/null >/dev/null 2>err
		if grep -Eq "unrecognized option|invalid option" err; then
			echo "$* $opt: $(head -1 err)"
			return 1
		fi
	done
}

for tool in syncack syncdiff syncpack syncunpack; do
	test_expect_success "$tool: every option completed is one it takes" '
		offers "'$tool' -" && test -s offered && knows '$tool'
	'
done

test_expect_success 'syncadm: every option completed is one its command takes' '
	offers "syncadm -" && knows syncadm &&
	for c in conflicts held init key lock locks status tables track \
	    unlock untrack vacuum "peer add" "peer list" "peer set"; do
		offers "syncadm $c -" && test -s offered &&
		knows syncadm $c || return 1
	done
'

test_expect_success 'syncpack-cron: every option completed is in its man page' '
	man_options syncpack-cron >want &&
	offers "syncpack-cron -" && sort offered >got &&
	extra=$(comm -13 want got) &&
	test -z "$extra" || { echo "not documented: $extra"; false; }
'

test_expect_success 'make install puts the script and its links where configured, uninstall removes them' '
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$SYNCPACK_BUILD" install DESTDIR="$PWD/root" >/dev/null &&
	dir="$PWD/root$SYNCPACK_COMPLETIONSDIR" &&
	cmp "$SYNCPACK_SRC/completion/syncpack" "$dir/syncpack" &&
	for tool in syncack syncadm syncdiff syncpack-cron syncunpack; do
		test "$(readlink "$dir/$tool")" = syncpack || return 1
	done &&
	(SYNCPACK_COMPLETION="$dir/syncack" && export SYNCPACK_COMPLETION &&
		offered_exactly "syncack --tr" --transfers) &&
	if test -f /usr/share/bash-completion/bash_completion &&
	    test "${dir##*/}" = completions; then
		BASH_COMPLETION_USER_DIR=${dir%/completions} bash -c "
			. /usr/share/bash-completion/bash_completion &&
			__load_completion syncdiff && complete -p syncdiff" >spec &&
		grep -q -- "-F _syncdiff syncdiff" spec
	fi &&
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$SYNCPACK_BUILD" uninstall DESTDIR="$PWD/root" &&
	test -z "$(ls -A "$dir")"
'

# configure: the completions folder pkg-config names, else our own datadir.
# (configure refuses to run elsewhere when the source is configured in it.)
configure_title='configure: pkg-config names the folder, else DATADIR'
if test -f "$SYNCPACK_SRC/config.status"; then
	test_skip "$configure_title" "the source folder is configured in place"
else test_expect_success "$configure_title" '
	mkdir real fallback &&
	(cd real && "$SYNCPACK_SRC/configure" -q >/dev/null) &&
	if pkg-config --exists bash-completion; then
		want=$(pkg-config --variable=completionsdir bash-completion)
	else
		want="\${datadir}/bash-completion/completions"
	fi &&
	grep -qx "bashcompletiondir = $want" real/Makefile &&
	real=$(command -v pkg-config) &&
	printf "#!/bin/sh\ncase \"\$*\" in *bash-completion*) exit 1;; esac\nexec %s \"\$@\"\n" \
		"$real" >fallback/pkg-config && chmod +x fallback/pkg-config &&
	(cd fallback && PKG_CONFIG="$PWD/pkg-config" \
		"$SYNCPACK_SRC/configure" -q >/dev/null) &&
	grep -qx "bashcompletiondir = \${datadir}/bash-completion/completions" \
		fallback/Makefile &&
	(cd fallback && "$SYNCPACK_SRC/configure" -q \
		--with-bash-completion-dir=/opt/bc >/dev/null) &&
	grep -qx "bashcompletiondir = /opt/bc" fallback/Makefile
'
fi

test_done
