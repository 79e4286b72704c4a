// Baseline for bench/syscall/bench.ts: map lookups and updates through raw bpf(2) syscalls.
// Usage: raw <map_type> <iterations>. Creates one map (key 4, value 8, 16 entries) and sets key 3,
// then reads commands from stdin, one a line: `update` runs <iterations> updates of key 3 (BPF_ANY),
// `lookup` runs <iterations> lookups of key 3; after each it prints "<wall ns/op> <cpu ns/op>" (CPU:
// user+system time of the thread, CLOCK_THREAD_CPUTIME_ID; the program has no other thread). Ends at
// end of input. No work between calls but the attr stores the kernel needs.
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned int size) {
  return syscall(__NR_bpf, cmd, attr, size);
}

static double clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}
static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static double cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

int main(int argc, char **argv) {
  int type = argc > 1 ? atoi(argv[1]) : BPF_MAP_TYPE_ARRAY;
  long n = argc > 2 ? atol(argv[2]) : 1000000;
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = type;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = 16;
  int fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
  if (fd < 0) {
    perror("BPF_MAP_CREATE");
    return 1;
  }
  uint32_t key = 3;
  uint64_t value = 42, out = 0;
  memset(&a, 0, sizeof(a));
  a.map_fd = fd;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)&value;
  a.flags = BPF_ANY;
  if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) != 0) {
    perror("BPF_MAP_UPDATE_ELEM");
    return 1;
  }
  char line[32];
  while (fgets(line, sizeof(line), stdin) != NULL) {
    double t0 = now_ns(), c0 = cpu_ns();
    if (strcmp(line, "update\n") == 0) {
      for (long i = 0; i < n; i++) {
        a.map_fd = fd;
        a.key = (uint64_t)(uintptr_t)&key;
        a.value = (uint64_t)(uintptr_t)&value;
        a.flags = BPF_ANY;
        if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) != 0) return 2;
      }
    } else if (strcmp(line, "lookup\n") == 0) {
      out = 0;
      for (long i = 0; i < n; i++) {
        a.map_fd = fd;
        a.key = (uint64_t)(uintptr_t)&key;
        a.value = (uint64_t)(uintptr_t)&out;
        a.flags = 0;
        if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) != 0) return 3;
      }
      if (out != 42) return 4;
    } else {
      fprintf(stderr, "raw: unknown command %s", line);
      return 5;
    }
    double t1 = now_ns(), c1 = cpu_ns();
    printf("%.1f %.1f\n", (t1 - t0) / n, (c1 - c0) / n);
    fflush(stdout);
  }
  close(fd);
  return 0;
}
