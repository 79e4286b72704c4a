#!/bin/sh
# Compiles the BPF C fixtures in test/fixtures/ for both byte orders:
#   test/fixtures/<name>.bpfel.o and test/fixtures/<name>.bpfeb.o
# The objects are committed so tests need no clang. vmlinux.h (for CO-RE) is generated from this
# machine's kernel BTF and not committed.
# Usage: scripts/build-fixtures.sh [name ...]   (default: every test/fixtures/*.c)
set -eu
cd "$(dirname "$0")/../test/fixtures"
CLANG=${CLANG:-clang}
VMLINUX_BTF=${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}
if [ ! -s vmlinux.h ]; then
	bpftool btf dump file "$VMLINUX_BTF" format c > vmlinux.h.tmp
	mv vmlinux.h.tmp vmlinux.h
fi
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
if [ $# -eq 0 ]; then
	set -- $(ls *.c | sed 's/\.c$//')
fi
for name in "$@"; do
	for target in bpfel bpfeb; do
		"$CLANG" -target "$target" -O2 -g -Wall -Wno-unused-function -fdebug-prefix-map="$PWD"=. \
			-I. -I/usr/include/bpf -I"/usr/include/$MULTIARCH" \
			-c "$name.c" -o "$name.$target.o"
		echo "built $name.$target.o"
	done
done
