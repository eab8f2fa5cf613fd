#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# TEST: install-from-destdir
# Description: p2pbuf installed the way a user installs it. The host half
#   (tests/install-from-destdir/stage.sh) ran `make install DESTDIR=...
#   PREFIX=/usr` into this guest's root, built examples/ against the
#   installed pkg-config files, checked `man p2pbuf_close` and `make
#   uninstall`; its TAP lines come first. Here the installed /usr/bin/p2pbuf
#   and the examples run against the installed libraries in /usr/lib alone
#   (LD_LIBRARY_PATH=/usr/lib, and the loader's log must say so):
#   the pipeline example's three processes verify every byte, and
#   rdma-write on rxe refuses a p2pbuf buffer and a udmabuf with its
#   "cannot register a dma-buf" exit code and message, while an RDMA write
#   into system memory on the same queue pairs lands.
G=/p2pbuf/install-from-destdir
LIB=/usr/lib
IP=ip; [ -x /sbin/ip ] && IP=/sbin/ip
n=0 fail=0
ok() {	# STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
note() { sed 's/^/# /'; }
# run NAME CMD...: CMD against the installed libraries only; output in
# /tmp/NAME.out, the loader's log in /tmp/NAME.ld.*, exit code in $rc
run() {
	name=$1; shift
	LD_LIBRARY_PATH=$LIB LD_DEBUG=libs LD_DEBUG_OUTPUT=/tmp/$name.ld \
		"$@" >/tmp/$name.out 2>&1
	rc=$?
	note </tmp/$name.out
}
# from_installed NAME LIB...: every process loaded each LIB from $LIB
from_installed() {
	name=$1; shift
	for l in "$@"; do
		cat /tmp/$name.ld.* 2>/dev/null | grep -q "calling init: $LIB/$l\$" || return 1
		! cat /tmp/$name.ld.* 2>/dev/null | grep -q "calling init: /p2pbuf/lib/$l" || return 1
	done
}

echo "TAP version 13"
if [ ! -f $G/host.tap ]; then
	echo "not ok 1 - the host half did not run (no $G/host.tap)"
	echo "1..1"
	exit 1
fi
grep -v '^TAP version\|^1\.\.' $G/host.tap
n=$(grep -c '^ok \|^not ok ' $G/host.tap)
grep -q '^not ok ' $G/host.tap && fail=1

# --- the installed command
missing=
for f in /usr/bin/p2pbuf $LIB/libp2pbuf.so.1 $LIB/libp2pbuf-verbs.so.1; do
	[ -e $f ] || missing="$missing $f"
done
[ -z "$missing" ]; ok $? "guest: the installed files are in the guest root${missing:+; missing:$missing}"
run p2pbuf-list /usr/bin/p2pbuf list
[ $rc = 0 ] && grep -q '0000:05:00.0' /tmp/p2pbuf-list.out && from_installed p2pbuf-list libp2pbuf.so.1
ok $? "guest: /usr/bin/p2pbuf list (exit $rc) lists the ivshmem BAR provider, libp2pbuf.so.1 from $LIB"
run p2pbuf-version /usr/bin/p2pbuf --version
[ $rc = 0 ] && from_installed p2pbuf-version libp2pbuf.so.1
ok $? "guest: /usr/bin/p2pbuf --version (exit $rc): $(head -n 1 /tmp/p2pbuf-version.out)"

# --- the pipeline example: three processes, every byte checked
run pipeline $G/pipeline
[ $rc = 0 ] && grep -q '^pipeline: every byte verified by every stage' /tmp/pipeline.out &&
	[ "$(grep -c 'of [0-9]* bytes verified$' /tmp/pipeline.out)" = 2 ] &&
	from_installed pipeline libp2pbuf.so.1 &&
	[ "$(ls /tmp/pipeline.ld.* | wc -l)" -ge 3 ]
ok $? "guest: examples/pipeline (exit $rc): producer, transform and checker processes verify every byte, with the installed libp2pbuf"

# --- rdma-write on rxe (a veth pair, as the p2pbuf_lib suite does)
rxe=0
if $IP link add veth8 type veth peer name veth9 2>/dev/null && $IP link set veth8 up &&
   $IP link set veth9 up && $IP addr add 10.88.0.1/24 dev veth8 &&
   rdma link add rxe8 type rxe netdev veth8 2>/tmp/rxe.err; then
	rxe=1
	sleep 1
fi
if [ $rxe = 0 ]; then
	note </tmp/rxe.err
	echo "ok $((n + 1)) - guest: rdma-write --sysmem # SKIP no rxe here: rdma link add failed"
	echo "ok $((n + 2)) - guest: rdma-write into a p2pbuf buffer # SKIP no rxe here"
	echo "ok $((n + 3)) - guest: rdma-write --udmabuf # SKIP no rxe here"
	n=$((n + 3))
else
	run rdma-sysmem $G/rdma-write --device rxe8 --sysmem
	[ $rc = 0 ] && grep -q 'landed, every byte verified' /tmp/rdma-sysmem.out &&
		from_installed rdma-sysmem libp2pbuf.so.1 libp2pbuf-verbs.so.1
	ok $? "guest: rdma-write --sysmem (exit $rc): a loopback RC write into system memory on rxe8 lands, every byte verified"
	for tgt in p2pbuf udmabuf; do
		arg=; [ $tgt = udmabuf ] && arg=--udmabuf
		run rdma-$tgt $G/rdma-write --device rxe8 $arg
		o=/tmp/rdma-$tgt.out
		[ $rc = 3 ] && grep -q 'RDMA device rxe8 cannot register a dma-buf as a memory region (errno [0-9]*, ' $o &&
			grep -q 'mlx5, efa, irdma' $o && from_installed rdma-$tgt libp2pbuf-verbs.so.1
		ok $? "guest: rdma-write into a ${tgt} dma-buf on rxe8: exit $rc (3: no dma-buf MRs), the message names the device, the errno and what would do it"
	done
	rdma link delete rxe8 2>/dev/null
fi
$IP link del veth8 2>/dev/null
echo "1..$n"
exit $fail
