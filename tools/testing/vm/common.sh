# SPDX-License-Identifier: GPL-2.0
# Shared settings for the p2pbuf VM test bed. Sourced, not run.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$VM_DIR/../../.." && pwd)
CACHE=${P2PBUF_CACHE:-$HOME/.cache/p2pbuf}
BUILD=${P2PBUF_BUILD:-$TOP/build}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$CACHE" "$BUILD"

# The reference VM's NVMe drives: image file in the workdir, serial, and the
# rest of the -device options. `run` makes the drives from this table. The
# kernel names namespaces in probe order, which changes from boot to boot,
# so a guest test names the drive it wrote by serial ("serial:<serial>" in a
# host check) and the host maps the serial back to the image here.
DRIVES=(
	"nvme0.img p2pbuf-nvme0 cmb_size_mb=16,bus=dp0"
	"nvme1.img p2pbuf-nvme1 cmb_size_mb=16,bus=dp1"
	"nvme2.img p2pbuf-nvme2 bus=rp2"
)

# drive_image SERIAL: the image file (in the workdir) of the drive with
# SERIAL; status 1 if the VM has none
drive_image() {
	local d img serial opts
	for d in "${DRIVES[@]}"; do
		read -r img serial opts <<<"$d"
		[ "$serial" = "$1" ] && { echo "$img"; return 0; }
	done
	return 1
}

log() { printf '[vm] %s\n' "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit 1; }

# Newest version of a Debian package visible to apt (no install).
newest_version() {
	apt-cache madison "$1" 2>/dev/null | awk '{print $3}' | sort -V | tail -n 1
}

# Newest linux-image-<series>.*-amd64-unsigned package of a kernel series
# (6.12: linux-image-6.12.57+deb12-amd64-unsigned; 6.1, Debian 12's default:
# linux-image-6.1.0-57-amd64-unsigned), printed as the abi string, e.g.
# 6.12.57+deb12-amd64 or 6.1.0-57-amd64 (not the Debian version).
newest_stock_abi() {
	local series=${1:-6.12} re
	case $series in
	6.12) re='6\.12\.[0-9.+a-z]*-amd64' ;;
	6.1) re='6\.1\.0-[0-9]*-amd64' ;;
	*) die "no stock kernel series $series" ;;
	esac
	apt-cache pkgnames "linux-image-$series" 2>/dev/null |
		sed -n "s/^linux-image-\($re\)-unsigned\$/\1/p" |
		sort -V | tail -n 1
}

# Download one package into $CACHE/debs and unpack it into $2 (once).
fetch_unpack() {
	local pkg=$1 dest=$2 ver deb
	ver=$(newest_version "$pkg")
	[ -n "$ver" ] || die "apt knows no package $pkg (run apt-get update)"
	mkdir -p "$CACHE/debs"
	deb=$(ls "$CACHE/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		log "downloading $pkg $ver"
		(cd "$CACHE/debs" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
			die "apt-get download $pkg=$ver failed"
		deb=$(ls "$CACHE/debs/${pkg}_${ver//:/%3a}_"*.deb | head -n 1)
	fi
	if [ ! -e "$dest/.unpacked-$pkg-$ver" ]; then
		mkdir -p "$dest"
		dpkg -x "$deb" "$dest"
		touch "$dest/.unpacked-$pkg-$ver"
	fi
	echo "$ver"
}
