/*
 * Baseline for bench/btf/parse.ts: parses raw BTF with the system libbpf, repeatedly.
 * Usage: libbpf_parse FILE ITERATIONS MODE   (MODE: file = btf__parse_raw(path), mem = btf__new(buf))
 * Prints one JSON line: the first parse (wall and process CPU ms), the later parses (mean and
 * min wall ms, mean CPU ms), the type count and peak RSS (kB).
 *
 * Peak RSS is VmHWM from /proc/self/status, the high-water mark of this program's own address
 * space: getrusage's ru_maxrss also keeps the parent's resident size from before exec (node's
 * fork), which made a program that parses nothing look like 15 MB.
 */
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* VmHWM from /proc/self/status in kB, or getrusage's ru_maxrss where there is none */
static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  if (kb < 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    kb = ru.ru_maxrss;
  }
  return kb;
}

static double clock_ms(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
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
    buf = malloc(64 << 20);
    size = (long)fread(buf, 1, 64 << 20, f);
    fclose(f);
  }
  double total = 0, totalCpu = 0, min = 1e30, first = 0, firstCpu = 0;
  unsigned types = 0;
  for (int i = 0; i < iters; i++) {
    double t = clock_ms(CLOCK_MONOTONIC), c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    struct btf *btf = mem ? btf__new(buf, size) : btf__parse_raw(path);
    double d = clock_ms(CLOCK_MONOTONIC) - t;
    /* the CPU time of the parse alone, like the wall time (and like tsbpf's side, whose objects
       are freed later by the garbage collector): btf__free is not counted */
    double dc = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c;
    if (!btf) { fprintf(stderr, "libbpf failed to parse %s\n", path); return 1; }
    types = btf__type_cnt(btf);
    btf__free(btf);
    if (i == 0) {
      first = d;
      firstCpu = dc;
      continue;
    }
    total += d;
    totalCpu += dc;
    if (d < min) min = d;
  }
  int warm = iters > 1 ? iters - 1 : 0;
  printf("{\"firstMs\":%.4f,\"firstCpuMs\":%.4f,\"meanMs\":%.4f,\"minMs\":%.4f,\"cpuMs\":%.4f,\"types\":%u,"
         "\"maxRssKb\":%ld}\n",
         first, firstCpu, warm ? total / warm : 0, warm ? min : 0, warm ? totalCpu / warm : 0, types, peak_rss_kb());
  return 0;
}
