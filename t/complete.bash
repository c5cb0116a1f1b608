#!/bin/bash
# t/complete.bash LINE: prints, one per line, what bash completion offers
# for the word at the end of LINE (an empty word when LINE ends in a
# blank), as bash would call the completion function bound to the command.
# bash-completion's helpers are loaded when installed, unless
# SYNCPACK_BASH_COMPLETION=none; the script is $SYNCPACK_COMPLETION, else
# the source tree's completion/syncpack.
set -u
if [[ ${SYNCPACK_BASH_COMPLETION-} != none &&
	-f /usr/share/bash-completion/bash_completion ]]; then
	# shellcheck disable=SC1091
	. /usr/share/bash-completion/bash_completion
fi
# shellcheck disable=SC1090
. "${SYNCPACK_COMPLETION:-$SYNCPACK_SRC/completion/syncpack}" || exit 2

line=$1
# Split the way bash does for COMP_WORDS: at blanks, and each "=" or ":"
# (in COMP_WORDBREAKS) is a word of its own.
COMP_WORDS=()
for w in $line; do
	while [[ $w =~ ^([^=:]*)([=:])(.*)$ ]]; do
		[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
		COMP_WORDS+=("${BASH_REMATCH[2]}")
		w=${BASH_REMATCH[3]}
	done
	[[ -n $w ]] && COMP_WORDS+=("$w")
done
[[ $line == *[[:blank:]] ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9

cmd=${COMP_WORDS[0]}
spec=$(complete -p "${cmd##*/}" 2>/dev/null) || {
	echo "complete.bash: no completion for ${cmd##*/}" >&2
	exit 2
}
[[ $spec =~ -F\ ([^ ]+) ]] || exit 2
COMPREPLY=()
"${BASH_REMATCH[1]}" "$cmd" "${COMP_WORDS[COMP_CWORD]}" \
	"${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"
