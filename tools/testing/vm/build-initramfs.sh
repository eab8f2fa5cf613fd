#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pack the guest initramfs for one kernel kind:
#   build-initramfs.sh test  KDIR           -> $BUILD/vm/test/initramfs.cpio.gz
#   build-initramfs.sh stock STOCK_ROOT ABI -> $BUILD/vm/stock/initramfs.cpio.gz
#   build-initramfs.sh stock61 STOCK61_ROOT ABI61 -> $BUILD/vm/stock61/...
# Contents: busybox, guest-init, our modules built against that kernel,
# the userspace from build/user with every shared library it needs,
# rdma-core's rxe provider, p2pbuf as `make install` puts it (test), and
# (stock, stock61) Debian's nvme/rxe/vgem/veth
# modules.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kind=$1
out="$BUILD/vm/$kind"
root="$out/root"
rm -rf "$root" && mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,results,p2pbuf/modules,p2pbuf/bin,p2pbuf/lib,p2pbuf/tests}

# --- our modules, built in a private copy so two kernels never share objects
kmod="$out/kmod-src"
mkdir -p "$kmod"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='Module.symvers' --exclude='modules.order' \
	--include='/Kbuild' --include='/drivers/***' --include='/include/***' \
	--include='/tests/' --include='/tests/kmod/***' --include='/tests/kunit/***' \
	--exclude='*' "$TOP/" "$kmod/"
case $kind in
test)	kdir=$2 ;;
stock|stock61) stock=$2 abi=$3 kdir="$stock/usr/src/linux-headers-$abi" ;;
*)	die "kind must be test, stock or stock61" ;;
esac
if [ -n "${P2PBUF_NO_KMOD:-}" ]; then
	log "P2PBUF_NO_KMOD set: not building our modules (test-bed debugging only)"
else
	log "building modules for $kind kernel"
	make -s -C "$kdir" M="$kmod" modules >"$out/kmod-build.log" 2>&1 ||
		{ cat "$out/kmod-build.log" >&2; die "module build failed for $kind kernel"; }
fi
# Modules load in this order (dependencies first); the list is read by guest-init.
: >"$root/p2pbuf/modules/order"
add_mod() {	# add_mod FILE.ko[.xz]
	local f=$1 b
	b=$(basename "${f%.xz}")
	[ -e "$root/p2pbuf/modules/$b" ] && return 0
	case $f in *.xz) xz -dc "$f" >"$root/p2pbuf/modules/$b" ;; *) cp "$f" "$root/p2pbuf/modules/$b" ;; esac
	echo "$b" >>"$root/p2pbuf/modules/order"
}
if [ "$kind" != test ]; then
	mdir="$stock/lib/modules/$abi/kernel"
	stock_mod() {	# stock_mod NAME: add NAME and what it depends on, deps first
		local n=$1 f d
		# 6.12 ships .ko.xz, 6.1 plain .ko
		f=$(find "$mdir" -name "$n.ko.xz" -o -name "${n//_/-}.ko.xz" \
			-o -name "$n.ko" -o -name "${n//_/-}.ko" | head -n 1)
		[ -n "$f" ] || die "stock module $n not found"
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do stock_mod "$d"; done
		add_mod "$f"
	}
	# rxe asks the crypto API for "crc32" at link time: load the provider up front.
	# aer_inject: p2pbuf_safety injects a fatal error to test AER recovery.
	for m in nvme veth crc32_generic rdma_rxe ib_uverbs vgem aer_inject; do stock_mod "$m"; done
fi
for m in p2pbuf p2pbuf_test_importer p2pbuf_kunit; do
	f=$(find "$kmod" -name "$m.ko" | head -n 1)
	if [ -n "$f" ]; then
		cp "$f" "$root/p2pbuf/modules/"
		[ $m = p2pbuf_kunit ] || echo "$m.ko" >>"$root/p2pbuf/modules/order"
	fi
done

# --- busybox and the init scripts
cp /bin/busybox "$root/bin/busybox"
cp "$VM_DIR/guest-init" "$root/init"
cp "$VM_DIR/run-suites" "$root/p2pbuf/bin/run-suites"
chmod +x "$root/init" "$root/p2pbuf/bin/run-suites"

# --- userspace from build/user
U=$BUILD/user
[ -d "$U/bin" ] && cp -a "$U/bin/." "$root/p2pbuf/bin/"
[ -d "$U/lib" ] && cp -a "$U/lib/." "$root/p2pbuf/lib/"
[ -d "$U/tests" ] && cp -a "$U/tests/." "$root/p2pbuf/tests/"
rm -rf "$root/p2pbuf/tests/host"
cp -a "$TOP/tests/vm/." "$root/p2pbuf/tests/"
mkdir -p "$root/p2pbuf/examples"
cp -a "$TOP/examples/." "$root/p2pbuf/examples/"

# --- install-from-destdir (test kernel): `make install DESTDIR=` into this root
if [ "$kind" = test ]; then
	"$TOP/tests/install-from-destdir/stage.sh" "$out/install" "$root" ||
		log "install-from-destdir: staging failed; the suite reports it"
fi

# --- host tools the tests call, rdma-core for rxe, and all their libraries
extra_bins="/usr/bin/rdma /usr/sbin/ip /usr/bin/ibv_devices /usr/bin/ibv_devinfo"
for b in $extra_bins; do [ -x "$b" ] && cp "$b" "$root/sbin/"; done
mkdir -p "$root/etc/libibverbs.d" "$root/usr/lib/x86_64-linux-gnu/libibverbs"
cp /etc/libibverbs.d/rxe.driver "$root/etc/libibverbs.d/" 2>/dev/null || true
cp /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so "$root/usr/lib/x86_64-linux-gnu/libibverbs/" 2>/dev/null || true
copy_libs() {	# copy the shared libraries an ELF file needs, at their host paths
	local lib
	for lib in $(LD_LIBRARY_PATH="$U/lib" ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
		case $lib in "$U"/*) continue ;; esac
		[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
	done
}
while IFS= read -r f; do
	head -c 4 "$f" 2>/dev/null | grep -q ELF && copy_libs "$f"
done < <(find "$root/p2pbuf" "$root/sbin" "$root/usr" -type f)

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initramfs.cpio.gz"
echo "INITRAMFS=$out/initramfs.cpio.gz"
