#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `fwgate audit`: a real 3-member etcd cluster on loopback and one fwgate-node; the test builds a chain through
# the CLI (two manufacturers, three checkers, six devices of two types, three updates, verdicts, acks and nacks
# naming a manufacturer, a device and nobody), then checks that the report's numbers, as JSON and as a table,
# are exactly those of the chain it built, and that the HTML report renders in headless Chromium with a table
# per section and one chart element per update and verdict kind, and loads nothing from outside. The chain
# then goes on with a nack of every reason the format defines, a policy line and its rotation, a checker that
# joins under a name full of markup, a revocation and a rollout planned, advanced, paused, resumed and
# withdrawn: each is named in `fwgate log`, in the audit's text and JSON, and in its HTML, escaped.
# TAP output. Needs `make` first; jq, and chromium for the HTML tests (skipped without it).
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/fwgate-audit.XXXXXX)
BASE=${FWGATE_AUDIT_PORT:-24890}
. "$TOP/tests/chain/cluster.sh"
F=$TOP/build/bin/fwgate
N=$(node_url 1)
n=0
failed=0

cleanup() {
	cluster_stop
	[ $failed -eq 0 ] && rm -rf "$W"
}
trap cleanup EXIT INT TERM

# t NAME CMD...: one TAP line; the command's output goes to the log, its last lines under a failure.
t() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >"$W/t$n.log" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$W/t$n.log" | tail -n 15
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# expect JQ_FILTER: the filter, run on the JSON report, must print true.
expect() {
	r=$(jq -e "$1" "$W/audit.json") && [ "$r" = true ] && return 0
	echo "expected: $1"
	echo "got: $(jq -c "$1" "$W/audit.json" 2>&1 | head -c 2000)"
	return 1
}

# id NAME: the key id of keys/NAME.pub (Documentation/fwgate/formats.rst), computed with openssl alone.
id() {
	if openssl pkey -pubin -in "$W/keys/$1.pub" -noout -text | grep -q '(3072 bit)'; then
		openssl rsa -pubin -in "$W/keys/$1.pub" -RSAPublicKey_out -outform DER 2>/dev/null
	else
		openssl pkey -pubin -in "$W/keys/$1.pub" -outform DER | tail -c 65
	fi | sha256sum | cut -c1-64
}

# ------------------------------------------------------------------ the chain the test builds

keys() {
	mkdir -p "$W/keys" "$W/blobs" && cd "$W/keys" || return 1
	"$F" keygen acme && "$F" keygen --alg p256 globex &&
	"$F" keygen --alg p256 c1 && "$F" keygen c2 && "$F" keygen --alg p256 c3 &&
	for d in r1 r2 r3 r4 cam1 cam2; do "$F" keygen --alg p256 $d || return 1; done &&
	"$F" genesis --name audit-test --manufacturer acme.pub --manufacturer globex.pub --checker c1.pub \
		--checker c2.pub --checker c3.pub --type router --type camera --threshold 2 --out "$W/genesis"
}

start_cluster() {
	keys && for i in 1 2 3; do etcd_start $i; done && etcd_wait && node_start 1 --heartbeat 60
}
t "cluster.three_etcd_members_and_a_node_start" start_cluster

# The story; each step is its own block, which the coverage series relies on.
build_chain() {
	cd "$W/keys" || return 1
	head -c 5000 /dev/urandom >img1 && head -c 6000 /dev/urandom >img2 && head -c 7000 /dev/urandom >img3 &&
	echo "c2 report on U1" >rep2 && echo "c3 report on U1" >rep3 &&
	for d in r1 r2 r3; do
		"$F" certify --key acme.key --type router --device-key $d.pub --node "$N" || return 1
	done &&
	for d in cam1 cam2; do
		"$F" certify --key globex.key --type camera --device-key $d.pub --node "$N" || return 1
	done &&
	"$F" publish --key acme.key --image img1 --version 1 --type router --target fw --node "$N" --out u1.stmt &&
	"$F" approve --key c1.key --node "$N" --out v --report rep2 u1.stmt &&
	"$F" approve --key c2.key --node "$N" --out v --report rep2 u1.stmt &&
	"$F" reject --key c3.key --node "$N" --out v --report rep3 u1.stmt &&
	"$F" ack --key r1.key --update u1.stmt --node "$N" &&
	# The router fleet grows while U1 rolls out.
	"$F" certify --key acme.key --type router --device-key r4.pub --node "$N" &&
	"$F" ack --key r2.key --update u1.stmt --node "$N" &&
	"$F" ack --key r3.key --update u1.stmt --node "$N" &&
	# A camera acks a router update: an ack, an acking device, but no router coverage.
	"$F" ack --key cam1.key --update u1.stmt --node "$N" &&
	"$F" publish --key acme.key --image img2 --version 2 --type router --target fw --node "$N" --out u2.stmt &&
	for c in c1 c2 c3; do "$F" reject --key $c.key --node "$N" --out v u2.stmt || return 1; done &&
	"$F" publish --key globex.key --image img3 --version 1 --type camera --target cam --node "$N" --out u3.stmt &&
	"$F" approve --key c3.key --node "$N" --out v u3.stmt &&
	"$F" ack --key cam1.key --update u3.stmt --node "$N" &&
	"$F" ack --key cam2.key --update u3.stmt --node "$N" &&
	"$F" ack --key r4.key --update u2.stmt --culprit acme.pub --reason digest-mismatch --node "$N" &&
	"$F" ack --key r3.key --update u2.stmt --culprit acme.pub --node "$N" &&
	"$F" ack --key cam2.key --update u3.stmt --culprit r2.pub --reason bad-signature --node "$N" &&
	"$F" ack --key r1.key --update u1.stmt --culprit "$(id r4)" --node "$N" &&
	"$F" ack --key cam1.key --update u3.stmt --reason rollback --node "$N" \
		--culprit abababababababababababababababababababababababababababababababab &&
	# r1 acks U1 again, a second later so that it is not a replay: two acks, one device.
	sleep 1 && "$F" ack --key r1.key --update u1.stmt --node "$N"
}
t "chain.built_through_the_cli" build_chain

audit_json() {
	"$F" audit --node "$N" --json >"$W/audit.json" && jq . "$W/audit.json" >/dev/null
}
t "audit.json_report_of_the_verified_chain" audit_json

# ------------------------------------------------------------------ the numbers

U1=$(sha256sum "$W/keys/img1" | cut -c1-64)
U2=$(sha256sum "$W/keys/img2" | cut -c1-64)
U3=$(sha256sum "$W/keys/img3" | cut -c1-64)

totals() {
	"$F" log --node "$N" --quiet >"$W/log" && tail -n 1 "$W/log" &&
	logtx=$(sed -n 's/^chain verifies: [0-9]* blocks, \([0-9]*\) transactions.*/\1/p' "$W/log") &&
	# genesis, 6 devcerts, 3 updates, 7 verdicts, 7 acks, 5 nacks
	expect ".transactions == 29 and .transactions == $logtx and .consortium == \"audit-test\"" &&
	expect '(.updates | length) == 3 and (.devices | length) == 6 and (.nacks | length) == 5' &&
	expect '[.members[] | .name + ":" + .role] == ["acme:manufacturer", "globex:manufacturer",
		"c1:checker", "c2:checker", "c3:checker"]'
}
t "audit.counts_every_transaction_of_the_chain" totals

verdicts_per_update() {
	expect ".updates | map(.u_id) == [\"$U1\", \"$U2\", \"$U3\"]" &&
	expect '.updates | map([.version, .manufacturer, .o_type, .target]) ==
		[[1, "acme", "router", "fw"], [2, "acme", "router", "fw"], [1, "globex", "camera", "cam"]]' &&
	expect '.updates | map(.status) == ["approved", "rejected", "pending"]' &&
	expect '.updates | map(.approved_by) == [["c1", "c2"], [], ["c3"]]' &&
	expect '.updates | map(.rejected_by) == [["c3"], ["c1", "c2", "c3"], []]'
}
t "audit.update_approvals_and_rejections_by_checker" verdicts_per_update

acks_per_update() {
	expect '.updates | map(.acks) == [5, 0, 2]' &&
	expect '.updates | map(.acked_devices) == [4, 0, 2]' &&
	expect '.updates | map(.covered_devices) == [3, 0, 2]' &&
	expect '.updates | map(.fleet) == [4, 4, 2]' &&
	expect '.updates | map(.coverage) == [0.75, 0, 1]' &&
	expect '.updates | map(.nacks) == [1, 2, 2]'
}
t "audit.update_acks_count_distinct_devices_and_fleet_coverage" acks_per_update

coverage_series() {
	expect '.updates[0].coverage_series | map("\(.acked)/\(.fleet)") == ["0/3", "1/3", "1/4", "2/4", "3/4"]' &&
	expect '.updates[1].coverage_series | map("\(.acked)/\(.fleet)") == ["0/4"]' &&
	expect '.updates[2].coverage_series | map("\(.acked)/\(.fleet)") == ["0/2", "1/2", "2/2"]' &&
	expect '[.updates[].coverage_series | (map(.time_ms) | . == sort) and (map(.height) | . == unique)] | all' &&
	expect '.updates | all(.coverage_series[0].height == .height)'
}
t "audit.coverage_series_steps_with_acks_and_certificates_by_block_time" coverage_series

manufacturers() {
	expect ".manufacturers | map([.name, .id, .updates, .devices, .nacks_naming_it]) ==
		[[\"acme\", \"$(id acme)\", 2, 4, 2], [\"globex\", \"$(id globex)\", 1, 2, 0]]"
}
t "audit.manufacturer_updates_and_nacks_naming_it" manufacturers

devices() {
	expect ".devices | map(.o_id) == [\"$(id r1)\", \"$(id r2)\", \"$(id r3)\", \"$(id cam1)\", \"$(id cam2)\",
		\"$(id r4)\"]" &&
	expect '.devices | map([.o_type, .manufacturer, .acks, .nacks_sent, .nacks_naming_it]) ==
		[["router", "acme", 2, 1, 0], ["router", "acme", 1, 0, 1], ["router", "acme", 1, 1, 0],
		 ["camera", "globex", 2, 1, 0], ["camera", "globex", 1, 1, 0], ["router", "acme", 0, 1, 1]]' &&
	expect ".devices[1].nacks_by_peers | map([.by, .u_id, .reason]) == [[\"$(id cam2)\", \"$U3\", \"bad-signature\"]]" &&
	expect ".devices[5].nacks_by_peers | map([.by, .u_id, .reason]) == [[\"$(id r1)\", \"$U1\", \"refused\"]]" &&
	expect '[.devices[0, 2, 3, 4].nacks_by_peers | length == 0] | all'
}
t "audit.device_acks_nacks_and_the_nacks_its_peers_posted" devices

checkers() {
	expect '.checkers | map([.name, .approvals, .rejections]) == [["c1", 1, 1], ["c2", 1, 1], ["c3", 1, 2]]' &&
	expect ".checkers[2].verdicts | map([.verdict, .u_id]) ==
		[[\"reject\", \"$U1\"], [\"reject\", \"$U2\"], [\"approve\", \"$U3\"]]" &&
	expect ".checkers[1].verdicts[0].report == \"$(sha256sum "$W/keys/rep2" | cut -c1-64)\"" &&
	expect ".checkers[2].verdicts[0].report == \"$(sha256sum "$W/keys/rep3" | cut -c1-64)\"" &&
	expect '[.checkers[].verdicts[] | .time_ms > 0 and .height > 0] | all'
}
t "audit.checker_verdict_history_with_report_digests" checkers

nacks() {
	expect '.nacks | map([.culprit, .reason]) == [["acme", "digest-mismatch"], ["acme", "refused"],
		["device \(.[2].culprit_id[:16])", "bad-signature"], ["device \(.[3].culprit_id[:16])", "refused"],
		["unknown abababababababab", "rollback"]]' &&
	expect '.nacks_naming_unknown == 1'
}
t "audit.nacks_name_a_manufacturer_a_device_or_nobody" nacks

# The inventory: each device and target group the chain has an ack for, at the version acked and the block of
# its last ack; an update's outcomes: each device of its fleet by its last word (r1's nack of U1 is followed by
# a second ack; cam1's ack of U3 by a rollback nack).
inventory() {
	expect '[.inventory[] | .target + ":" + (.version | tostring) + ":" + .state] ==
		["fw:1:installed", "fw:1:installed", "fw:1:installed", "fw:1:installed", "cam:1:installed",
		 "cam:1:installed"]' &&
	expect "[.inventory[] | .o_id] == [\"$(id r1)\", \"$(id r2)\", \"$(id r3)\", \"$(id cam1)\", \"$(id cam1)\",
		\"$(id cam2)\"]" &&
	expect '.inventory[0].since == (.transactions as $t | [.inventory[].since] | max) and .inventory[1].since < .inventory[0].since' &&
	expect '[.updates[].outcomes | [.devices, .installed, .running, .fell_back, .refused, .silent]] ==
		[[4, 3, 0, 0, 0, 1], [4, 0, 0, 0, 2, 2], [2, 0, 0, 0, 2, 0]]' &&
	expect '[.updates[] | has("rollout")] == [false, false, false]'
}
t "audit.inventory_and_outcomes_by_device" inventory

# ------------------------------------------------------------------ the table

# row SECTION FIRST_FIELD: the row of that section whose first field is FIRST_FIELD.
row() {
	awk -v s="$1" -v k="$2" '/^[A-Z]/ { in_s = ($0 == s) } in_s && $1 == k' "$W/audit.txt"
}

table() {
	"$F" audit --node "$N" >"$W/audit.txt" && cat "$W/audit.txt" &&
	head -n 1 "$W/audit.txt" | grep -q '^fwgate audit of "audit-test": [0-9]* blocks, 29 transactions' &&
	for s in Updates "Fleet coverage over time" Manufacturers Devices "Negative acks" Checkers "Verdict history" \
		Inventory "Coverage by outcome and stage" "Policy history" "Revoked devices" "Membership changes" \
		"Rollout plans and controls"; do
		grep -qx "$s" "$W/audit.txt" || { echo "no section $s"; return 1; }
	done &&
	u1=$(echo "$U1" | cut -c1-16) && u2=$(echo "$U2" | cut -c1-16) &&
	[ "$(row Updates "$u1" | awk '{ print $2, $3, $7, $8, $9, $10, $11, $12, $13, $14 }')" = \
		"1 acme approved c1,c2 c3 5 4 1 3/4 (75%)" ] &&
	[ "$(row Updates "$u2" | awk '{ print $7, $8, $9, $13 }')" = "rejected - c1,c2,c3 0/4" ] &&
	[ "$(row "Fleet coverage over time" "$u1" | awk '{ print $5 "/" $6 }' | tr '\n' ' ')" = "0/3 1/3 1/4 2/4 3/4 " ] &&
	[ "$(row Manufacturers acme | awk '{ print $3, $4, $5 }')" = "2 4 2" ] &&
	[ "$(row Manufacturers globex | awk '{ print $3, $4, $5 }')" = "1 2 0" ] &&
	[ "$(row Devices "$(id r4 | cut -c1-16)" | awk '{ print $2, $3, $5, $6, $7 }')" = "router acme 0 1 1" ] &&
	[ "$(row Checkers c3 | awk '{ print $3, $4 }')" = "1 2" ] &&
	[ "$(row "Verdict history" c3 | awk '{ print $4 }' | tr '\n' ' ')" = "reject reject approve " ] &&
	[ "$(awk '/^Negative acks$/ { s = 1; next } /^[A-Z]/ { s = 0 } s && /^  [0-9]/' "$W/audit.txt" | wc -l)" -eq 5 ]
}
t "audit.table_shows_every_section_with_the_json_numbers" table

# ------------------------------------------------------------------ the HTML report

html() {
	"$F" audit --node "$N" --html "$W/audit.html" && [ -s "$W/audit.html" ]
}
t "audit.html_report_written" html

# The DOM as headless Chromium built it, summed up as "name value" lines.
dom_summary() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$W/chromium" --dump-dom "file://$W/audit.html" 2>"$W/chromium.log" >"$W/dom.html" &&
	python3 - "$W/dom.html" <<'EOF'
import html.parser, sys

class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.count, self.title, self.text = [], {}, "", None

    def add(self, key):
        self.count[key] = self.count.get(key, 0) + 1

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        self.add(tag)
        if tag == "table":
            self.add("table#" + a.get("id", ""))
        if tag == "svg":
            self.add("svg." + ".".join(cls))
        if tag in ("polyline", "rect") and cls:
            self.add(tag + "." + ".".join(cls))
        if tag == "tr" and self.stack and self.stack[-1] == "tbody":
            self.add("rows#" + self.table)
        if tag == "table":
            self.table = a.get("id", "")
        if tag == "title" and "svg" not in self.stack:
            self.text = ""
        if tag not in ("meta", "line", "br", "rect", "polyline"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "title" and self.text is not None:
            self.title, self.text = self.text, None
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.text is not None:
            self.text += data

d = Dom()
d.feed(open(sys.argv[1]).read())
print("title", d.title)
for k in sorted(d.count):
    print(k, d.count[k])
EOF
}

# has "NAME VALUE": the DOM summary holds that line.
has() {
	grep -qx "$1" "$W/dom" || { echo "DOM: no \"$1\""; return 1; }
}

html_dom() {
	dom_summary >"$W/dom" && cat "$W/dom" &&
	has "title fwgate audit: audit-test" &&
	has "table 13" &&
	for id in updates coverage manufacturers devices nacks checkers verdicts inventory rollouts controls policies \
		revocations membership; do
		has "table#$id 1" || return 1
	done &&
	has "rows#updates 3" && has "rows#manufacturers 2" && has "rows#devices 6" && has "rows#nacks 5" &&
	has "rows#checkers 3" && has "rows#verdicts 7" && has "rows#coverage 9" &&
	has "section 6" && has "svg 2" && has "svg.chart.coverage 1" && has "svg.chart.verdicts 1" &&
	# One polyline per update, two bars per checker.
	has "polyline.coverage-line 3" && has "rect.bar.approve 3" && has "rect.bar.reject 3"
}

html_offline() {
	# No URL, no src or href, no script, no @import: the file is the whole report.
	! grep -Eio 'https?://|ftp://|//[a-z0-9.-]+\.[a-z]{2,}/|src=|href=|<script|@import|url\(' "$W/audit.html" &&
	! grep -Eio 'https?://|src=|href=|<script' "$W/dom.html"
}

if command -v chromium >/dev/null; then
	t "audit.html_renders_in_headless_chromium_with_tables_and_charts" html_dom
	t "audit.html_loads_no_external_resource" html_offline
else
	skip "audit.html_renders_in_headless_chromium_with_tables_and_charts" "chromium is not installed"
	skip "audit.html_loads_no_external_resource" "chromium is not installed"
fi

# ------------------------------------------------------------------ refusals

usage() {
	! "$F" audit --json 2>"$W/e1" && grep -q "usage: fwgate audit --node URL" "$W/e1" &&
	! "$F" audit --node "$N" --json --html "$W/x.html" 2>"$W/e2" && grep -q "usage: fwgate audit" "$W/e2" &&
	{ "$F" audit --node "http://127.0.0.1:$((BASE + 199))" >"$W/o3" 2>"$W/e3"; [ $? -eq 69 ]; } &&
	cat "$W/e3" && grep -q "chain could not be read: .*127.0.0.1:$((BASE + 199))/blocks" "$W/e3" &&
	[ ! -s "$W/o3" ] &&
	! "$F" audit --node "$N" --html "$W/no/such/dir/a.html" 2>"$W/e4" && cat "$W/e4" &&
	grep -q -- "--html: $W/no/such/dir/a.html" "$W/e4"
}
t "audit.refuses_bad_usage_an_unreachable_node_and_an_unwritable_file" usage

# --genesis pins block 0 as devices pin it: its hash passes, any other is a chain that does not verify (65).
pinned() {
	g=$("$F" log --node "$N" --json | jq -r '.chain[0].hash') && [ ${#g} -eq 64 ] &&
	"$F" audit --node "$N" --genesis "$g" --json >"$W/pinned.json" && jq -e '.updates | length == 3' "$W/pinned.json" &&
	"$F" log --node "$N" --genesis "$g" --json | jq -e '.verified and .pinned' &&
	other=$(printf '%s' "$g" | tr '0-9a-f' '1-9a-f0') &&
	{ "$F" audit --node "$N" --genesis "$other" >/dev/null 2>"$W/e7"; [ $? -eq 65 ]; } &&
	grep -q "not the pinned genesis" "$W/e7" &&
	{ "$F" log --node "$N" --genesis "$other" >/dev/null 2>&1; [ $? -eq 65 ]; } &&
	tx=$("$F" log --node "$N" --json | jq -r '.chain[1].tx[0].id') &&
	"$F" proof --node "$N" --genesis "$g" --json "$tx" | jq -e ".verified and .tx == \"$tx\"" &&
	{ "$F" proof --node "$N" --genesis "$other" "$tx" >/dev/null 2>&1; [ $? -eq 65 ]; }
}
t "cli.genesis_pins_log_audit_and_proof_json_parses" pinned

# Progress as machine-readable lines when standard error is not a terminal; the last one at 100%.
progress() {
	cd "$W/keys" || return 1
	"$F" upload --key acme.key --image img1 --node "$N" --progress lines >"$W/up.out" 2>"$W/up.err" &&
	cat "$W/up.out" "$W/up.err" && grep -q "^image .* 5000 bytes in 1 chunks" "$W/up.out" &&
	tail -n 1 "$W/up.err" | grep -Eq '^progress upload done=5000 total=5000 percent=100 rate=[0-9]+ eta=0$' &&
	{ "$F" upload --key acme.key --image img1 --node "$N" --progress sideways 2>"$W/up2.err"; [ $? -eq 64 ]; } &&
	grep -q 'sideways' "$W/up2.err"
}
t "cli.upload_shows_progress_lines" progress

REASONS="unspecified digest-mismatch bad-signature refused rollback health boot withdrawn"

bad_reason() {
	cd "$W/keys" || return 1
	before=$("$F" log --node "$N" --quiet) &&
	! "$F" ack --key r1.key --update u1.stmt --culprit acme.pub --reason lazy --node "$N" 2>"$W/e5" &&
	cat "$W/e5" &&
	grep -q -- "--reason: \"lazy\" is none of $(echo $REASONS | sed 's/ /, /g')\$" "$W/e5" &&
	# A reason without a culprit would have signed an ack: refused.
	! "$F" ack --key r1.key --update u1.stmt --reason health --node "$N" 2>"$W/e8" && cat "$W/e8" &&
	grep -q -- "--reason: only a nack has one" "$W/e8" &&
	! "$F" nack --key r1.key --update u1.stmt --reason health --node "$N" 2>"$W/e9" && cat "$W/e9" &&
	grep -q -- "missing --culprit" "$W/e9" &&
	[ "$("$F" log --node "$N" --quiet)" = "$before" ] &&
	! "$F" ack --key r1.key --update u1.stmt --culprit nosuch.pub --node "$N" 2>"$W/e6" &&
	cat "$W/e6" && grep -q -- '--culprit: "nosuch.pub" is neither 64 hex digits nor a public key file' "$W/e6"
}
t "cli.nack_refuses_an_unknown_reason_or_culprit_naming_the_option" bad_reason

# ------------------------------------------------------------------ the chain goes on

# r2 nacks U1 once with every reason the format defines, by name (fwgate nack: ack --culprit by its name).
all_reasons() {
	cd "$W/keys" || return 1
	for r in $REASONS; do
		"$F" nack --key r2.key --update u1.stmt --culprit acme.pub --reason $r --node "$N" || return 1
	done &&
	"$F" log --node "$N" --json >"$W/log.json" &&
	[ "$(jq -r '[.chain[].tx[] | select(.type == "nack") | .reason] | .[-8:] | join(" ")' "$W/log.json")" = \
		"$REASONS" ] &&
	"$F" log --node "$N" >"$W/log.txt" &&
	[ "$(sed -n 's/^  nack     [0-9a-f]\{64\} reason \(.*\)$/\1/p' "$W/log.txt" | tail -n 8 | tr '\n' ' ')" = \
		"$REASONS " ] &&
	[ "$(grep -c '^  nack ' "$W/log.txt")" = 13 ] && [ "$(grep -c '^  nack .* reason ' "$W/log.txt")" = 13 ] &&
	"$F" audit --node "$N" --json >"$W/audit2.json" &&
	[ "$(jq -r '.nacks | .[-8:] | map(.reason) | join(" ")' "$W/audit2.json")" = "$REASONS" ] &&
	"$F" audit --node "$N" >"$W/audit2.txt" &&
	r2=$(id r2 | cut -c1-16) &&
	[ "$(awk -v d="$r2" '/^Negative acks$/ { s = 1; next } /^[A-Z]/ { s = 0 } s && $3 == d { print $6 }' \
		"$W/audit2.txt" | tr '\n' ' ')" = "$REASONS " ]
}
t "cli.nack_takes_every_reason_by_name_log_and_audit_name_it" all_reasons

# The hostile name: printable ASCII, so the nodes take it, and markup in HTML unless escaped.
EVIL="<script>c5&\"'"

governance() {
	cd "$W/keys" || return 1
	"$F" keygen --alg p256 c5 &&
	"$F" policy create --manufacturer acme.pub --checker c1.pub --checker c2.pub --checker c3.pub --threshold 2 \
		--out p1.enc &&
	"$F" policy publish --type router --key acme.key --out line.tx p1.enc &&
	for k in c1 c2 c3; do "$F" policy sign --key $k.key line.tx || return 1; done &&
	"$F" policy submit --node "$N" line.tx &&
	"$F" member add --role checker --name "$EVIL" --member-key c5.pub --key acme.key --out join.tx &&
	for k in c5 c1 c2; do "$F" member sign --key $k.key join.tx || return 1; done &&
	"$F" member submit --node "$N" join.tx &&
	"$F" policy create --manufacturer acme.pub --checker c1.pub --checker c2.pub --checker c5.pub --threshold 2 \
		--epoch 2 --out p2.enc &&
	"$F" rotate propose --node "$N" --type router --next p2.enc --key acme.key --out rot.tx &&
	for k in c1 c2 c5; do "$F" rotate sign --key $k.key rot.tx || return 1; done &&
	"$F" rotate submit --node "$N" rot.tx &&
	"$F" revoke --key acme.key --device r4.pub --reason 3 --node "$N" &&
	head -c 4000 /dev/urandom >img4 && echo "CVE-2026-0001" >advisory &&
	"$F" publish --key acme.key --image img4 --version 4 --type router --target fw --node "$N" --out u4.stmt &&
	"$F" approve --key c1.key --node "$N" --out v u4.stmt && "$F" approve --key c2.key --node "$N" --out v u4.stmt &&
	"$F" rollout plan --key acme.key --update u4.stmt --stage 50% --stage 100% --node "$N" &&
	"$F" rollout advance --key acme.key --update u4.stmt --stage 1 --node "$N" &&
	"$F" rollout pause --key acme.key --update u4.stmt --seq 1 --node "$N" &&
	"$F" rollout resume --key acme.key --update u4.stmt --seq 2 --node "$N" &&
	"$F" rollout withdraw --key c1.key --key c2.key --update u4.stmt --reason advisory --node "$N"
}
t "chain.policy_rotation_member_revocation_and_rollout_controls" governance

U4=$(sha256sum "$W/keys/img4" 2>/dev/null | cut -c1-64)

governance_json() {
	"$F" audit --node "$N" --json >"$W/audit3.json" && jq . "$W/audit3.json" >/dev/null &&
	expect3() { r=$(jq -e "$1" "$W/audit3.json") && [ "$r" = true ] || { echo "expected: $1"; return 1; }; } &&
	expect3 "[.policy_history[] | [.type, .epoch, .by, .manufacturer, .threshold, .digest]] ==
		[[\"router\", 1, \"line\", \"acme\", 2, \"$(sha256sum "$W/keys/p1.enc" | cut -c1-64)\"],
		 [\"router\", 2, \"rotation\", \"acme\", 2, \"$(sha256sum "$W/keys/p2.enc" | cut -c1-64)\"]]" &&
	expect3 '.policy_history[1].checkers | sort == (["c1", "c2", "<script>c5&\"'"'"'"] | sort)' &&
	expect3 '.membership_changes | map([.name, .change, .role]) == [["<script>c5&\"'"'"'", "join", "checker"]]' &&
	expect3 "[.revoked_devices[] | [.device, .by, .reason]] == [[\"$(id r4)\", \"acme\", \"decommissioned\"]]" &&
	expect3 "[.rollout_controls[] | [.u_id, .action, .stages // .stage // .seq // \"-\"]] ==
		[[\"$U4\", \"plan\", 2], [\"$U4\", \"advance\", 1], [\"$U4\", \"pause\", 1], [\"$U4\", \"resume\", 2],
		 [\"$U4\", \"withdraw\", \"-\"]]" &&
	expect3 '[.rollout_controls[] | .signed_by | sort] == [["acme"], ["acme"], ["acme"], ["acme"], ["c1", "c2"]]' &&
	expect3 "[.rollout_controls[] | .note] == [null, null, null, null,
		\"$(sha256sum "$W/keys/advisory" | cut -c1-64)\"]"
}
t "audit.json_policy_history_membership_revocations_and_rollout_controls" governance_json

governance_text() {
	"$F" audit --node "$N" >"$W/audit.txt" && sed -n '/^Policy history$/,$p' "$W/audit.txt" &&
	u4=$(echo "$U4" | cut -c1-16) &&
	[ "$(row "Policy history" router | awk '{ print $2, $3, $6, $7, $8 }' | tr '\n' ';')" = \
		"1 $(sha256sum "$W/keys/p1.enc" | cut -c1-16) line acme 2/3;2 $(sha256sum "$W/keys/p2.enc" | cut -c1-16) rotation acme 2/3;" ] &&
	[ "$(row "Revoked devices" "$(id r4)" | awk '{ print $2, $3 }')" = "acme decommissioned" ] &&
	[ "$(row "Membership changes" "$EVIL" | awk '{ print $3, $4 }')" = "join checker" ] &&
	note=$(sha256sum "$W/keys/advisory" | cut -c1-16) &&
	[ "$(row "Rollout plans and controls" "$u4" | awk '{ print $2 ":" $3 ":" $4 }' | tr '\n' ' ')" = \
		"plan:2:stages advance:stage:1 pause:seq:1 resume:seq:2 withdraw:final:$note " ]
}
t "audit.table_policy_history_membership_revocations_and_rollout_controls" governance_text

# The HTML holds the four tables with their rows, the nack reasons as classes, and the hostile name only
# escaped: no "<script" anywhere, the entity form once per place it is shown.
governance_html() {
	"$F" audit --node "$N" --html "$W/audit3.html" &&
	python3 - "$W/audit3.html" "$(id r4)" "$U4" <<'PY'
import re, sys
html, r4, u4 = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]

def rows(tid):
    m = re.search(r'<table id="%s">(.*?)</table>' % tid, html, re.S)
    assert m, "no table " + tid
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", m.group(1).split("<tbody>")[1])]

evil = "&lt;script&gt;c5&amp;&quot;&#39;"
assert "<script" not in html.lower(), "unescaped markup"
pol = rows("policies")
assert [(r[0], r[1], r[5], r[6], r[7]) for r in pol] == [("router", "1", "line", "acme", "2/3"),
    ("router", "2", "rotation", "acme", "2/3")], pol
assert evil in pol[1][8] and evil in pol[1][9], pol[1]
mem = rows("membership")
assert [(r[0], r[2], r[3]) for r in mem] == [(evil, "join", "checker")], mem
rev = rows("revocations")
assert [(r[0], r[1], r[2]) for r in rev] == [(r4, "acme", "decommissioned")], rev
ctl = rows("controls")
assert [(r[0], r[1], r[2]) for r in ctl] == [(u4[:16], "plan", "2 stages"), (u4[:16], "advance", "stage 1"),
    (u4[:16], "pause", "seq 1"), (u4[:16], "resume", "seq 2"), (u4[:16], "withdraw", "final")], ctl
assert sorted(ctl[4][6].split(",")) == ["c1", "c2"] and ctl[4][3] != "-", ctl[4]
for a in ("plan", "advance", "pause", "resume", "withdraw"):
    assert '<td class="st st-%s">%s</td>' % (a, a) in html, a
for r in ("unspecified", "digest-mismatch", "bad-signature", "refused", "rollback", "health", "boot", "withdrawn"):
    assert '<td class="st st-%s">%s</td>' % (r, r) in html, r
# The name is shown in the membership, the policy's checkers and signers, the checkers table and chart.
assert html.count(evil) >= 5, html.count(evil)
print("policies", len(pol), "membership", len(mem), "revocations", len(rev), "controls", len(ctl),
      "escaped name", html.count(evil))
PY
}
t "audit.html_trust_and_rollout_tables_with_names_escaped" governance_html

echo "1..$n"
[ $failed -eq 0 ]
