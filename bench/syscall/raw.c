// Baseline for bench/syscall/bench.ts: map lookups and updates through raw bpf(2) syscalls.
// Usage: raw <map_type> <iterations>; prints wall and CPU (user+sys) ns/op of updates and lookups.
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
static double cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

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
  double t0 = now_ns(), c0 = cpu_ns();
  for (long i = 0; i < n; i++) {
    a.map_fd = fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) != 0) return 2;
  }
  double t1 = now_ns(), c1 = cpu_ns();
  for (long i = 0; i < n; i++) {
    a.map_fd = fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&out;
    a.flags = 0;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) != 0) return 3;
  }
  double t2 = now_ns(), c2 = cpu_ns();
  if (out != 42) return 4;
  printf("update %.1f %.1f\nlookup %.1f %.1f\n", (t1 - t0) / n, (c1 - c0) / n, (t2 - t1) / n, (c2 - c1) / n);
  close(fd);
  return 0;
}
