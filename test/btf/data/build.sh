#!/bin/sh
# Builds the BTF test inputs: kinds.c for both byte orders, then the .BTF and .BTF.ext sections.
set -e
cd "$(dirname "$0")"
for t in bpfel bpfeb; do
  clang -target $t -O2 -g -c kinds.c -o kinds.$t.o
  llvm-objcopy --dump-section .BTF=kinds.$t.btf --dump-section .BTF.ext=kinds.$t.btf.ext kinds.$t.o /dev/null
done
