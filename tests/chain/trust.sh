#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The trust anchor on the ledger (issue 12), through the CLI against a real 3-member etcd cluster and two
# fwgate-node processes: a device type's policy line published, a checker joining the consortium by majority,
# a rotation that removes a checker and adds the new one, a revocation; each bad variant (no quorum, a new
# key's signature missing, a fork from an older epoch, a minority membership change, a stranger's revocation,
# a revoked device's ack, a removed checker's verdict) refused with the field named and no transaction
# appended; the other node verifies the whole chain and `fwgate audit` shows the policy history.
# TAP output. Needs `make` first; jq.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/fwgate-trust.XXXXXX)
BASE=${FWGATE_TRUST_PORT:-25890}
. "$TOP/tests/chain/cluster.sh"
# Loopback clients take ephemeral ports in this range too: the first base whose ports are all free, and the
# cluster's addresses computed again from it.
BASE=$(free_base "$BASE" 200 10 11 20 21 30 31 101 102 103)
. "$TOP/tests/chain/cluster.sh"
F=$TOP/build/bin/fwgate
n1=$(node_url 1)
n2=$(node_url 2)
n=0
failed=0

cleanup() {
	cluster_stop
	[ $failed -eq 0 ] && rm -rf "$W"
}
trap cleanup EXIT INT TERM

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

# Transactions in the chain, as the verifying reader counts them.
tx_count() {
	"$F" log --node "$1" --quiet | sed -n 's/^chain verifies: [0-9]* blocks, \([0-9]*\) transactions.*/\1/p'
}

# refused STATUS MESSAGE TX: the node answers STATUS naming the field, and the chain holds no more
# transactions than before (on the other node too, which verifies every block).
refused() {
	before=$(tx_count "$n1")
	code=$(curl -s -o "$W/answer" -w '%{http_code}' --data-binary @"$3" "$n1/tx")
	echo "HTTP $code: $(cat "$W/answer")"
	after=$(tx_count "$n2")
	echo "transactions before $before, after $after"
	[ "$code" = "$1" ] && grep -q -- "$2" "$W/answer" && [ -n "$before" ] && [ "$before" = "$after" ]
}

start() {
	keys_and_genesis &&
	(cd "$W/keys" && "$F" keygen --alg p256 c4 && "$F" keygen --alg p256 acme2) &&
	for i in 1 2 3; do etcd_start $i; done &&
	etcd_wait &&
	node_start 1 && node_start 2
}
t "cluster.three_etcd_members_and_two_nodes_start" start

cd "$W" || exit 1
K=$W/keys

line() {
	"$F" policy create --manufacturer "$K/acme.pub" --checker "$K/c1.pub" --checker "$K/c2.pub" \
		--checker "$K/c3.pub" --threshold 2 --out p1.enc &&
	"$F" policy publish --type router --key "$K/acme.key" --out line.tx p1.enc &&
	"$F" policy sign --key "$K/c1.key" line.tx &&
	"$F" policy sign --key "$K/c2.key" line.tx &&
	cp line.tx line-3sigs.tx &&
	refused 403 "policy.sigs.count: 3, the policy's 4 keys each sign once" line-3sigs.tx &&
	"$F" policy sign --key - line.tx <"$K/c3.key" &&
	"$F" policy submit --node "$n1" line.tx &&
	"$F" policy show --node "$n2" --type router --json >line.json &&
	[ "$(jq -r .epoch line.json)" = 1 ] &&
	[ "$(jq -r .digest line.json)" = "$("$F" policy show --json p1.enc | jq -r .digest)" ] &&
	[ "$(jq -r .digest line.json)" = "$(sha256sum p1.enc | cut -c1-64)" ] &&
	# A device's policy file (what fwgate provision writes) encodes to the same bytes.
	"$F" keygen --alg p256 devp &&
	"$F" provision --manufacturer "$K/acme.pub" --checker "$K/c3.pub" --checker "$K/c1.pub" \
		--checker "$K/c2.pub" --threshold 2 --type router --device-key devp.pub --out devpolicy &&
	"$F" policy create --from devpolicy --out pf.enc && cmp pf.enc p1.enc
}
t "policy.line_published_signed_by_all_its_keys" line

# The same line under another threshold is not the genesis policy: refused, named.
not_genesis() {
	"$F" policy create --manufacturer "$K/globex.pub" --checker "$K/c1.pub" --checker "$K/c2.pub" \
		--checker "$K/c3.pub" --threshold 3 --out g3.enc &&
	"$F" policy publish --type router --key "$K/globex.key" --out g3.tx g3.enc &&
	for c in c1 c2 c3; do "$F" policy sign --key "$K/$c.key" g3.tx || return 1; done &&
	refused 400 "not the genesis policy of device type \"router\"" g3.tx
}
t "policy.line_other_than_the_genesis_policy_refused" not_genesis

join() {
	"$F" member add --role checker --name c4 --member-key "$K/c4.pub" --key "$K/acme.key" --out join.tx &&
	"$F" member sign --key "$K/c4.key" join.tx &&
	"$F" member sign --key "$K/c1.key" join.tx &&
	cp join.tx join-minority.tx &&
	refused 403 "member.sigs: 2 of the 5 current members signed; more than half must" join-minority.tx &&
	"$F" member sign --key "$K/c2.key" join.tx &&
	"$F" member submit --node "$n2" join.tx
}
t "member.checker_joins_by_majority_minority_refused" join

rotate() {
	"$F" policy create --manufacturer "$K/acme.pub" --checker "$K/c2.pub" --checker "$K/c3.pub" \
		--checker "$K/c4.pub" --threshold 2 --epoch 2 --out p2.enc &&
	"$F" rotate propose --node "$n1" --type router --next p2.enc --key "$K/acme.key" --out rot.tx &&
	"$F" rotate sign --key "$K/c1.key" rot.tx &&
	cp rot.tx rot-noquorum.tx &&
	refused 403 "rotate.sigs: 1 of the policy in force's checkers signed, its threshold is 2" rot-noquorum.tx &&
	"$F" rotate sign --key "$K/c2.key" rot.tx &&
	cp rot.tx rot-nonew.tx &&
	refused 403 "the next policy's new checkers\[[0-9]\] did not sign" rot-nonew.tx &&
	"$F" rotate sign --key "$K/c4.key" rot.tx &&
	"$F" rotate show --current p1.enc rot.tx | grep -q "complete" &&
	"$F" rotate submit --node "$n1" rot.tx &&
	"$F" policy show --node "$n2" --type router --json >line2.json &&
	[ "$(jq -r .epoch line2.json)" = 2 ] &&
	[ "$(jq -r .digest line2.json)" = "$(sha256sum p2.enc | cut -c1-64)" ]
}
t "rotate.checker_out_new_one_in_quorum_and_new_key_required" rotate

# A second rotation from epoch 1, to another policy: a fork, refused.
fork() {
	"$F" policy create --manufacturer "$K/acme.pub" --checker "$K/c1.pub" --checker "$K/c2.pub" \
		--checker "$K/c3.pub" --threshold 3 --epoch 2 --out p2b.enc &&
	"$F" rotate propose --current p1.enc --next p2b.enc --key "$K/acme.key" --out fork.tx &&
	for c in c1 c2 c3; do "$F" rotate sign --key "$K/$c.key" fork.tx || return 1; done &&
	refused 409 "epoch 1 of device type \"router\"'s line was rotated already; its newest policy is at epoch 2" fork.tx
}
t "rotate.fork_from_an_older_epoch_refused" fork

# An encoding at an older epoch than the policy in force: the CLI will not even propose it.
older() {
	! "$F" rotate propose --node "$n1" --type router --next p2b.enc --key "$K/acme.key" --out old.tx 2>err &&
	cat err && grep -q "policy.epoch: 2, the policy in force is at 2 and the next one must be at 3" err
}
t "rotate.older_epoch_not_proposed" older

verdicts() {
	head -c 5000 /dev/urandom >img &&
	"$F" publish --key "$K/acme.key" --image img --version 3 --type router --target fw --node "$n1" --out u.stmt &&
	"$F" approve --key "$K/c1.key" --out c1.verdict u.stmt &&
	"$F" approve --key "$K/c4.key" --node "$n1" --out c4.verdict u.stmt &&
	! "$F" approve --key "$K/c1.key" --node "$n1" --out c1.verdict u.stmt 2>err && cat err &&
	grep -q "approve.checker_id: not among the checkers of device type \"router\"'s policy in force (epoch 2)" err
}
t "rotate.removed_checkers_verdict_refused_new_ones_accepted" verdicts

revoke() {
	"$F" keygen --alg p256 dev1 &&
	"$F" certify --key "$K/acme.key" --type router --device-key dev1.pub --node "$n1" --out dev1.cert &&
	"$F" ack --key dev1.key --update u.stmt --node "$n1" --out ack1 &&
	"$F" revoke --key "$K/globex.key" --device dev1.pub --reason 2 --out rev-globex.tx &&
	refused 403 "revoke.m_id: not the manufacturer that certified this device" rev-globex.tx &&
	"$F" revoke --key "$K/acme.key" --device dev1.pub --reason 2 --node "$n2" --out rev.tx &&
	"$F" ack --key dev1.key --update u.stmt --culprit "$K/acme.pub" --out nack1 &&
	refused 403 "nack.o_id: this device was revoked by its manufacturer" nack1 &&
	sleep 1 && "$F" ack --key dev1.key --update u.stmt --out ack2 &&
	refused 403 "ack.o_id: this device was revoked by its manufacturer" ack2 &&
	"$F" revoke --key "$K/acme.key" --device dev1.pub --reason 3 --out rev2.tx &&
	refused 409 "revoke.o_id: this device was revoked already" rev2.tx
}
t "revoke.device_revoked_its_ack_and_nack_refused_stranger_refused" revoke

manufacturer() {
	"$F" member add --role manufacturer --name acme2 --member-key "$K/acme2.pub" --key "$K/acme.key" --out j2.tx &&
	for k in acme2 c2 c3 c4; do "$F" member sign --key "$K/$k.key" j2.tx || return 1; done &&
	"$F" member submit --node "$n1" j2.tx &&
	"$F" policy create --manufacturer "$K/acme2.pub" --checker "$K/c2.pub" --checker "$K/c3.pub" \
		--checker "$K/c4.pub" --threshold 2 --epoch 3 --out p3.enc &&
	"$F" rotate propose --current p2.enc --next p3.enc --key "$K/acme.key" --out rot3.tx &&
	"$F" rotate sign --key "$K/c3.key" rot3.tx && "$F" rotate sign --key "$K/c4.key" rot3.tx &&
	cp rot3.tx rot3-nonew.tx &&
	refused 403 "new manufacturer key did not sign" rot3-nonew.tx &&
	"$F" rotate sign --key "$K/acme2.key" rot3.tx &&
	"$F" rotate submit --node "$n2" rot3.tx &&
	"$F" publish --key "$K/acme.key" --image img --version 4 --type router --target fw --out u4.stmt &&
	! "$F" publish --key "$K/acme.key" --image img --version 4 --type router --target fw --node "$n1" \
		--out u4.stmt 2>err && cat err &&
	grep -q "update.m_id: this manufacturer key was rotated out of the policy of device type \"router\"" err &&
	"$F" publish --key "$K/acme2.key" --image img --version 4 --type router --target fw --node "$n1" --out u5.stmt
}
t "rotate.manufacturer_key_rotated_old_key_refused" manufacturer

leave() {
	"$F" member remove --role checker --member-key "$K/c2.pub" --key "$K/acme2.key" --out l2.tx &&
	for k in c3 c4; do "$F" member sign --key "$K/$k.key" l2.tx || return 1; done &&
	refused 422 "member.key_id: still in the policy of device type \"router\" (epoch 3); rotate it out first" l2.tx &&
	"$F" member remove --role checker --member-key "$K/c1.pub" --key "$K/acme2.key" --out l1.tx &&
	for k in c3 c4 c2 globex; do "$F" member sign --key "$K/$k.key" l1.tx || return 1; done &&
	"$F" member submit --node "$n1" l1.tx &&
	"$F" approve --key "$K/c1.key" --out c1b.verdict u5.stmt &&
	! "$F" approve --key "$K/c1.key" --node "$n1" --out c1b.verdict u5.stmt 2>err && cat err &&
	grep -q "approve.checker_id: not a checker of the consortium" err
}
t "member.leaves_by_majority_only_once_out_of_every_policy" leave

end_to_end() {
	"$F" log --node "$n2" >log && grep -c "^  \(policy\|rotate\|revoke\|member\) " log &&
	[ "$(grep -c '^  rotate ' log)" = 2 ] && [ "$(grep -c '^  policy ' log)" = 1 ] &&
	[ "$(grep -c '^  revoke ' log)" = 1 ] && [ "$(grep -c '^  member ' log)" = 3 ]
}
t "chain.other_node_verifies_every_trust_transaction" end_to_end

audit() {
	# A device's id: the SHA-256 of its 65-byte point, the end of its public key's DER.
	dev1_id=$(openssl pkey -pubin -in dev1.pub -outform DER | tail -c 65 | sha256sum | cut -c1-64) &&
	"$F" audit --node "$n2" >audit.txt && cat audit.txt &&
	[ "$(awk '/^[A-Z]/ { s = ($0 == "Policy history") } s && $1 == "router" && $2 == 3 { print $6, $7, $8 }' \
		audit.txt)" = "rotation acme2 2/3" ] &&
	[ "$(awk -v d="$dev1_id" '/^[A-Z]/ { s = ($0 == "Revoked devices") } s && $1 == d { print $2, $3 }' \
		audit.txt)" = "acme lost-or-stolen" ] &&
	"$F" audit --node "$n2" --json >audit.json &&
	[ "$(jq '.policy_history | length' audit.json)" = 3 ] &&
	[ "$(jq -r '.policy_history[1].epoch' audit.json)" = 2 ] &&
	[ "$(jq -r '.policy_history[1].digest' audit.json)" = "$(sha256sum p2.enc | cut -c1-64)" ] &&
	[ "$(jq -r '.policy_history[1].signed_by | sort | join(",")' audit.json)" = "acme,c1,c2,c4" ] &&
	[ "$(jq -r '.policy_history[2].manufacturer' audit.json)" = acme2 ] &&
	[ "$(jq -r '.revoked_devices[0].device' audit.json)" = "$dev1_id" ] &&
	[ "$(jq -r '.revoked_devices[0].reason' audit.json)" = lost-or-stolen ] &&
	[ "$(jq -r '[.membership_changes[] | .name + ":" + .change] | join(",")' audit.json)" = "c4:join,acme2:join,c1:leave" ] &&
	[ "$(jq -r '.members[] | select(.name == "c1") | .current' audit.json)" = false ]
}
t "audit.shows_policy_history_revocations_and_membership" audit

# A revocation and the device's acks and nacks reach a node within one batch: the node appends the
# revocation in a block of its own, so whichever order the batch has, no block holds an ack that its own
# revocation refuses (the other nodes would refuse that block and halt).
barrier() {
	node_start 3 --batch-ms 1500 && n3=$(node_url 3) &&
	"$F" keygen --alg p256 dev2 &&
	"$F" certify --key "$K/acme2.key" --type router --device-key dev2.pub --node "$n1" --out dev2.cert &&
	"$F" ack --key dev2.key --update u5.stmt --out d2.ack1 &&
	"$F" ack --key dev2.key --update u.stmt --out d2.ack2 &&
	"$F" ack --key dev2.key --update u5.stmt --culprit "$K/acme2.pub" --out d2.nack1 &&
	"$F" ack --key dev2.key --update u.stmt --culprit "$K/acme.pub" --out d2.nack2 &&
	"$F" revoke --key "$K/acme2.key" --device dev2.pub --out d2.rev &&
	before=$(tx_count "$n1") &&
	pids=""
	for f in d2.rev d2.ack1 d2.ack2 d2.nack1 d2.nack2; do
		curl -s -o "$f.answer" -w '%{http_code}' --data-binary @"$f" "$n3/tx" >"$f.code" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	ok=0
	for f in d2.rev d2.ack1 d2.ack2 d2.nack1 d2.nack2; do
		echo "$f: HTTP $(cat "$f.code") $(cat "$f.answer")"
		case $(cat "$f.code") in
		200) ok=$((ok + 1)) ;;
		403) [ "$f" != d2.rev ] && grep -q "o_id: this device was revoked" "$f.answer" || return 1 ;;
		*) return 1 ;;
		esac
	done
	[ "$(cat d2.rev.code)" = 200 ] &&
	sleep 1 && after1=$(tx_count "$n1") && after2=$(tx_count "$n2") &&
	echo "transactions before $before, after $after1 (node 1) and $after2 (node 2), $ok accepted" &&
	[ "$after1" = $((before + ok)) ] && [ "$after2" = "$after1" ] &&
	curl -sf "$n1/head" && curl -sf "$n3/head"
}
t "node.revocation_and_the_devices_acks_in_one_batch_never_make_a_bad_block" barrier

echo "1..$n"
[ $failed -eq 0 ]
