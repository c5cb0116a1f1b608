#!/bin/sh
# The Debian package: dpkg-buildpackage builds it from the distribution
# tree (make distdir); it installs the tools, whose syncadm -V runs from
# the unpacked package, the man pages, syncpack-cron, the bash completion
# and the contrib examples.
. "$SYNCPACK_SRC/t/lib.sh"

command -v dpkg-buildpackage >/dev/null 2>&1 ||
	test_skip_all "dpkg-buildpackage is not installed (scripts/install-deps)"
# The package is built from the sources with its own flags: a sanitizer
# build of the tree would only build the same package a second time.
grep -q '^SANITIZER_CFLAGS = .*-fsanitize' "$SYNCPACK_BUILD/Makefile" &&
	test_skip_all "the package builds its own binaries; checked in the plain build"

version=$(syncadm -V | sed -n 's/^syncadm (syncpack) //p')
arch=$(dpkg --print-architecture)
deb="$test_root/build/syncpack_${version}_$arch.deb"
tree="$test_root/build/syncpack-$version"
root="$test_root/root"
# The builds below are make runs of their own, not part of make check's.
unset MAKEFLAGS MFLAGS MAKELEVEL

test_expect_success 'the distribution holds every file git tracks' '
	test -n "$version" && mkdir -p "${tree%/*}" &&
	{ make -s -C "$SYNCPACK_BUILD" distdir distdir="$tree" >make.log 2>&1 ||
		{ cat make.log; false; }; } &&
	if git -C "$SYNCPACK_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$SYNCPACK_SRC" ls-files | grep -vx .gitignore >tracked &&
		missing=$(while read -r f; do
			test -e "$tree/$f" || echo "$f"; done <tracked) &&
		test -z "$missing" || { echo "not in make dist: $missing"; false; }
	fi
'

test_expect_success 'Build-Depends names every library configure.ac needs' '
	sed -n "s/^SP_NEED(\[[A-Z]*\], \[[^]]*\], \[\([^]]*\)\]).*/\1/p" \
		"$SYNCPACK_SRC/configure.ac" >needed &&
	test "$(wc -l <needed)" -ge 6 &&
	sed -n "/^Build-Depends:/,/^[A-Z]/p" "$SYNCPACK_SRC/debian/control" \
		>build-depends &&
	while read -r p; do
		grep -Eq "[ ,]$p( |,|\$)" build-depends ||
			{ echo "not in Build-Depends: $p"; return 1; }
	done <needed
'

test_expect_success 'dpkg-buildpackage -us -uc -b builds the package' '
	{ (cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=2 noautodbgsym" \
		dpkg-buildpackage -us -uc -b >../build.log 2>&1) ||
		{ tail -40 "$test_root/build/build.log"; false; }; } &&
	test -f "$deb" &&
	test "$(dpkg-deb -f "$deb" Package Version)" = "Package: syncpack
Version: $version" &&
	dpkg-deb -f "$deb" Depends | grep -q "sqlite3\$"
'

test_expect_success 'the unpacked tools run and print the version' '
	dpkg-deb -x "$deb" "$root" &&
	for tool in syncack syncadm syncdiff syncpack syncunpack; do
		test "$("$root/usr/bin/$tool" -V)" = "$tool (syncpack) $version" ||
			return 1
	done &&
	! ldd "$root/usr/bin/syncadm" | grep "not found" &&
	"$root/usr/bin/syncadm" init -d site.db --site ASOC --hub 2>/dev/null &&
	test "$("$root/usr/bin/syncadm" key -d site.db | head -1)" = \
		"-----BEGIN PUBLIC KEY-----" &&
	test -x "$root/usr/bin/syncpack-cron" &&
	cmp "$SYNCPACK_SRC/scripts/syncpack-cron" "$root/usr/bin/syncpack-cron"
'

test_expect_success 'every man page, the completion and the examples are in it' '
	dpkg-deb -c "$deb" | awk "{ print \$6 }" | sed "s,^\./,," >contents &&
	for page in "$SYNCPACK_SRC"/man/*.[0-9]; do
		name=${page##*/} &&
		grep -qx "usr/share/man/man${name##*.}/$name.gz" contents ||
			{ echo "not packaged: $name"; return 1; }
	done &&
	completions=usr/share/bash-completion/completions &&
	cmp "$SYNCPACK_SRC/completion/syncpack" "$root/$completions/syncpack" &&
	for tool in syncack syncadm syncdiff syncpack-cron syncunpack; do
		test "$(readlink "$root/$completions/$tool")" = syncpack ||
			{ echo "no completion link: $tool"; return 1; }
	done &&
	for f in "$SYNCPACK_SRC"/contrib/*; do
		cmp "$f" "$root/usr/share/doc/syncpack/examples/${f##*/}" ||
			return 1
	done &&
	grep -qx "usr/share/doc/syncpack/copyright" contents
'

test_done
