# SPDX-License-Identifier: GPL-2.0
# Sourced by the command's shell tests: a scratch directory removed at exit,
# and ok STATUS DESCRIPTION printing one TAP line (fail=1 on a non-zero STATUS).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() {	# cond-exit-status description
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
