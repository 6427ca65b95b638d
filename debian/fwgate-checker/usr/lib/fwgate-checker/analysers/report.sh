# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the shell analysers: collect findings, then write the JSON report of checker/ANALYSERS.md and exit
# with the contract's status. Any other failure of an analyser should `fail`, which is "no verdict".

_findings=""

# json_str TEXT: TEXT as a JSON string, control bytes dropped.
json_str() {
	printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# finding RULE OFFSET PATH DETAIL: OFFSET is a byte offset in PATH, or -1 for the file as a whole.
finding() {
	_f="{\"rule\": $(json_str "$1"), \"offset\": $2, \"path\": $(json_str "$3"), \"detail\": $(json_str "$4")}"
	_findings="${_findings:+$_findings, }$_f"
}

# report_finish REPORT_PATH NAME VERSION: writes the report, exits 0 (clean) or 1 (findings).
report_finish() {
	if [ -n "$_findings" ]; then verdict=findings; else verdict=clean; fi
	printf '{"name": %s, "version": %s, "verdict": "%s", "findings": [%s]}\n' \
		"$(json_str "$2")" "$(json_str "$3")" "$verdict" "$_findings" >"$1" || fail "cannot write $1"
	[ -z "$_findings" ]
	exit $?
}

# fail MESSAGE: no verdict.
fail() {
	echo "$0: $*" >&2
	exit 2
}

# relpath ROOT PATH: PATH as shown in findings, relative to the analysed tree.
relpath() {
	case $2 in
	"$1"/*) printf '%s' "${2#"$1"/}" ;;
	*) printf '%s' "$(basename "$2")" ;;
	esac
}
