# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
# p2pbuf-nvme.sh: find an NVMe drive's block device by what does not change
# between boots, for shell scripts. Source it; `.` finds it on PATH:
#
#	. p2pbuf-nvme.sh
#	dev=$(p2pbuf_nvme_blockdev 0000:03:00.0) || exit 1	# or a serial
#
# The kernel names NVMe namespaces in probe order, so /dev/nvme0n1 is not
# the same drive on every boot. This is p2pbuf_nvme_blockdev(3) of
# libp2pbuf in shell, with the same answers (its host test runs both).

# _p2pbuf_nvme_bdf STR: STR as "dddd:bb:ss.f" if it is a PCI address
# ("0000:03:00.0" or "03:00.0", hex digits), else status 1
_p2pbuf_nvme_bdf() {
	echo "$1" | grep -Eqx '([0-9A-Fa-f]{1,4}:)?[0-9A-Fa-f]{1,2}:[0-9A-Fa-f]{1,2}\.[0-7]' ||
		return 1
	echo "$1" | awk -F '[:.]' '
		function hex(s,   i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(tolower(s), i, 1)) - 1
			return v
		}
		{
			d = NF == 4 ? hex($1) : 0
			if (hex($(NF - 1)) > 31)
				exit 1
			printf "%04x:%02x:%02x.%x\n", d, hex($(NF - 2)), hex($(NF - 1)), $NF
		}'
}

# _p2pbuf_nvme_attr FILE: a sysfs attribute without its newline and padding
_p2pbuf_nvme_attr() {
	[ -r "$1" ] || return 1
	sed -e 's/ *$//' "$1"
}

# p2pbuf_nvme_blockdev CTRL [SYSFS_ROOT]: print /dev/nvmeXnY, the namespace
# with the lowest namespace ID of the NVMe controller whose PCI address or
# serial is CTRL (the controller with the lowest instance when several share
# a serial, as multipath controllers do). Status 1 when there is none.
p2pbuf_nvme_blockdev() {
	local root=${2:-/sys} key=serial want=$1 n dir="" e disk id
	[ -n "$1" ] || return 2
	if want=$(_p2pbuf_nvme_bdf "$1"); then key=address; else want=$1; fi
	for n in $(ls "$root/class/nvme" 2>/dev/null |
		   sed -n 's/^nvme\([0-9][0-9]*\)$/\1/p' | sort -n); do
		if [ "$(_p2pbuf_nvme_attr "$root/class/nvme/nvme$n/$key")" = "$want" ]; then
			dir=$root/class/nvme/nvme$n
			break
		fi
	done
	[ -n "$dir" ] || return 1
	# its namespaces: child disks nvmeXnY, or multipath paths nvmeScCnY
	# whose block device is nvmeSnY; "nsid disk" lines, lowest first
	disk=$(for e in "$dir"/nvme*; do
		e=${e##*/}
		disk=$(echo "$e" | sed -n 's/^nvme\([0-9][0-9]*\)\(c[0-9][0-9]*\)\{0,1\}n\([0-9][0-9]*\)$/nvme\1n\3/p')
		[ -n "$disk" ] && [ -e "$root/class/block/$disk" ] || continue
		id=$(_p2pbuf_nvme_attr "$dir/$e/nsid")
		case $id in ''|*[!0-9]*) id=4294967296 ;; esac	# unreadable: last
		echo "$id $disk"
	done | LC_ALL=C sort -k1,1n -k2,2 | sed -n '1s/.* //p')
	[ -n "$disk" ] || return 1
	echo "/dev/$disk"
}
