# SPDX-License-Identifier: GPL-2.0
# Sourced by host tests (tests/host/*/test.sh) that print TAP:
#   ok STATUS DESCRIPTION   one line, "not ok" (and fail=1) when STATUS != 0;
#                           returns STATUS
#   note                    stdin as TAP comments
# It prints the "TAP version 13" header; the test prints its plan.
n=0 fail=0
ok() {	# exit-status description
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
	return "$1"
}
note() { sed 's/^/# /'; }
echo "TAP version 13"
