# SPDX-License-Identifier: GPL-2.0
# Sourced in the guest by fwgated's VM tests (the device scripts of tests/agent/*.sh), after they set C (the
# fwgatectl the device runs). Gives t (one TAP line; on failure it runs diag, which a test may define again),
# wait_for and ctl. n counts the TAP lines, from the n the script had, if any.

n=${n:-0}

# diag: what helps to understand a failed case.
diag() {
	timeout 10 $C agent history 2>&1 | sed 's/^/# history: /'
	tail -n 20 /tmp/fwgated.log 2>/dev/null | sed 's/^/# log: /'
}

# t NAME COMMAND: "ok N - NAME" if COMMAND succeeds, else "not ok N - NAME" and diag.
t() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		diag
	fi
}

# wait_for SECONDS COMMAND: until COMMAND succeeds.
wait_for() {
	i=0
	while [ $i -lt $(($1 * 2)) ]; do
		eval "$2" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

# ctl ARGS: fwgatectl agent ARGS (the running fwgated's view), its errors too; never hangs.
ctl() { timeout 20 $C agent "$@" 2>&1; }
