/*
 * Baseline for bench/btf/parse.ts: parses raw BTF with the system libbpf, repeatedly.
 * Usage: libbpf_parse FILE ITERATIONS MODE   (MODE: file = btf__parse_raw(path), mem = btf__new(buf))
 * Prints one JSON line: mean/min ms per parse, type count, peak RSS (kB).
 */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s FILE ITERATIONS file|mem\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  int iters = atoi(argv[2]);
  int mem = strcmp(argv[3], "mem") == 0;
  void *buf = NULL;
  long size = 0;
  if (mem) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    buf = malloc(8 << 20);
    size = (long)fread(buf, 1, 8 << 20, f);
    fclose(f);
  }
  double total = 0, min = 1e30, first = 0;
  unsigned types = 0;
  for (int i = 0; i < iters; i++) {
    double t = now_ms();
    struct btf *btf = mem ? btf__new(buf, size) : btf__parse_raw(path);
    double d = now_ms() - t;
    if (!btf) { fprintf(stderr, "libbpf failed to parse %s\n", path); return 1; }
    types = btf__type_cnt(btf);
    btf__free(btf);
    if (i == 0) first = d;
    total += d;
    if (d < min) min = d;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"meanMs\":%.4f,\"minMs\":%.4f,\"firstMs\":%.4f,\"types\":%u,\"maxRssKb\":%ld}\n", iters ? total / iters : 0,
         iters ? min : 0, first, types, ru.ru_maxrss);
  return 0;
}
