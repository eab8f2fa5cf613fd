#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of the source layout (TAP):
#  - the objects of drivers/dma-buf/p2p/ call each other in one direction:
#    the file -> file graph built from nm (undefined symbols of one object
#    that another defines) has no cycle, 2-cycles included;
#  - bar_driver.c uses only the API of include/linux/p2pbuf.h;
#  - no .c file of the module, lib/libp2pbuf/ or tools/p2pbuf/ is over
#    600 lines.
# The module is built against the test kernel (the cached one from
# tools/testing/vm/build-kernel.sh, or P2PBUF_LAYOUT_KDIR) in
# $P2PBUF_BUILD/layout; no kernel, no pass.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=${P2PBUF_BUILD:-$top/build}/layout
max_lines=600
mkdir -p "$out"
n=0 fail=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; fail=1; }
diag() { sed 's/^/# /'; }

# find_cycle: reads "from to" edges, prints the first cycle found as
# "a -> b -> ... -> a" and exits 1, or prints nothing and exits 0.
find_cycle() {
	awk '
	function dfs(u,    i, v, j, path) {
		state[u] = 1; stack[++depth] = u
		for (i = 1; i <= nout[u]; i++) {
			v = out[u, i]
			if (state[v] == 1) {
				path = v
				for (j = depth; stack[j] != v; j--)
					;
				for (j++; j <= depth; j++)
					path = path " -> " stack[j]
				print path " -> " v
				return 1
			}
			if (!state[v] && dfs(v))
				return 1
		}
		depth--; state[u] = 2
		return 0
	}
	$1 != $2 && !seen[$1, $2]++ {
		out[$1, ++nout[$1]] = $2
		if (!($1 in node)) { node[$1]; order[++nn] = $1 }
		if (!($2 in node)) { node[$2]; order[++nn] = $2 }
	}
	END {
		for (k = 1; k <= nn; k++)
			if (!state[order[k]] && dfs(order[k]))
				exit 1
	}'
}

# edges_from_nm DIR: "a.o b.o" for each symbol a.o uses and b.o defines
edges_from_nm() {
	local o
	for o in "$1"/*.o; do
		case $o in */p2pbuf.o | *.mod.o) continue ;; esac
		nm --defined-only -g "$o" | awk -v f="${o##*/}" 'NF == 3 { print "D", f, $3 }'
		nm -u "$o" | awk -v f="${o##*/}" '{ print "U", f, $NF }'
	done | awk '
	$1 == "D" { def[$3] = $2; next }
	{ use[++nu] = $2 " " $3 }
	END {
		for (i = 1; i <= nu; i++) {
			split(use[i], a, " ")
			if ((a[2] in def) && def[a[2]] != a[1])
				print a[1], def[a[2]], a[2]
		}
	}'
}

echo "TAP version 13"
echo "1..7"

# 1: build
kdir=${P2PBUF_LAYOUT_KDIR:-}
if [ -z "$kdir" ]; then
	kenv=$("$top/tools/testing/vm/build-kernel.sh" 2>"$out.kernel.log") &&
		eval "$kenv" && kdir=$KDIR
fi
mod=$out/src
built=0
if [ -z "$kdir" ] || [ ! -d "$kdir" ]; then
	not_ok "module-builds (no test kernel: $(tail -n 3 "$out.kernel.log" 2>/dev/null | tr '\n' ' '))"
else
	mkdir -p "$mod"
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='Module.symvers' \
		--exclude='modules.order' --exclude='/Kbuild' \
		--include='/drivers/***' --include='/include/***' --exclude='*' \
		"$top/" "$mod/"
	cat >"$mod/Kbuild.new" <<-'EOF'
	# SPDX-License-Identifier: GPL-2.0
	# written by tests/host/layout/test.sh: the module only
	export CONFIG_DMABUF_P2P := m
	subdir-ccflags-y += -I$(KBUILD_EXTMOD)/include
	obj-m += drivers/dma-buf/p2p/
	EOF
	cmp -s "$mod/Kbuild.new" "$mod/Kbuild" || mv "$mod/Kbuild.new" "$mod/Kbuild"
	rm -f "$mod/Kbuild.new"
	if make -s -C "$kdir" M="$mod" -j"${JOBS:-2}" modules >"$out/build.log" 2>&1; then
		built=1
		ok "module-builds against $kdir"
	else
		not_ok "module-builds against $kdir"
		tail -n 20 "$out/build.log" | diag
	fi
fi

# 2: the file graph has no cycle
objdir=$mod/drivers/dma-buf/p2p
if [ $built = 1 ]; then
	edges=$(edges_from_nm "$objdir")
	nobj=$(ls "$objdir"/*.o | grep -cv -e '/p2pbuf\.o$' -e '\.mod\.o$')
	nsrc=$(ls "$top"/drivers/dma-buf/p2p/*.c | grep -vc "\.mod\.c$")
	if [ "$nobj" != "$nsrc" ] || [ -z "$edges" ]; then
		not_ok "file-graph-acyclic (found $nobj objects for $nsrc sources, $(wc -l <<<"$edges") edges)"
	elif cycle=$(cut -d' ' -f1,2 <<<"$edges" | find_cycle); then
		ok "file-graph-acyclic ($nobj files, $(cut -d' ' -f1,2 <<<"$edges" | sort -u | wc -l) file->file edges)"
	else
		not_ok "file-graph-acyclic: cycle $cycle"
		awk '{ print $1 " -> " $2 " (" $3 ")" }' <<<"$edges" | sort | diag
	fi
else
	not_ok "file-graph-acyclic (module did not build)"
fi

# 3: the cycle finder finds 2-cycles and longer ones, and passes a DAG
if printf 'a b\nb a\n' | find_cycle >/dev/null ||
   printf 'a b\nb c\nc d\nd b\n' | find_cycle >/dev/null ||
   [ "$(printf 'x y\ny x\n' | find_cycle)" != "x -> y -> x" ] ||
   ! printf 'a b\na c\nb c\nc d\nd d\n' | find_cycle >/dev/null; then
	not_ok "cycle-finder-self-test"
else
	ok "cycle-finder-self-test"
fi

# 4: bar_driver uses only <linux/p2pbuf.h>
if [ $built = 1 ]; then
	api=$(grep -o 'p2pbuf_[a-z_]*(' "$top/include/linux/p2pbuf.h" | tr -d '(' | sort -u)
	used=$(awk '$1 == "bar_driver.o" { print $3 }' <<<"$edges" | sort -u)
	extra=$(comm -23 <(echo "$used") <(echo "$api") | grep . | tr '\n' ' ')
	incl=$(grep -h '^#include "' "$top/drivers/dma-buf/p2p/bar_driver.c" | grep -v '"bar_driver.h"')
	if [ -z "$used" ] || [ -n "$extra" ] || [ -n "$incl" ]; then
		not_ok "bar-driver-uses-only-public-api (outside <linux/p2pbuf.h>: ${extra}${incl})"
	else
		ok "bar-driver-uses-only-public-api ($(echo $used))"
	fi
else
	not_ok "bar-driver-uses-only-public-api (module did not build)"
fi

# 5..7: no .c file over $max_lines lines
for d in drivers/dma-buf/p2p lib/libp2pbuf tools/p2pbuf; do
	long=$(cd "$top" && find "$d" -name '*.c' -exec wc -l {} + |
	       awk -v m=$max_lines '$2 != "total" && $1 > m { print $2 " (" $1 ")" }')
	nfiles=$(cd "$top" && find "$d" -name '*.c' | wc -l)
	if [ "$nfiles" = 0 ]; then
		not_ok "max-$max_lines-lines $d (no .c files)"
	elif [ -n "$long" ]; then
		not_ok "max-$max_lines-lines $d: $(echo $long)"
	else
		ok "max-$max_lines-lines $d ($nfiles files)"
	fi
done
exit $fail
