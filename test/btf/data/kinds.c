/* BTF kinds fixture for test/btf: every kind clang emits for BPF. Build: ./build.sh */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))

struct fwd_only;
union fwd_union;

enum color { RED, GREEN = 5, BLUE };
enum neg { NEG_A = -3, NEG_B = 7 };
enum big64 { BIG_A = 0x100000000ULL, BIG_B = 0xffffffffffffffffULL };
enum sbig64 { SB_A = -0x100000000LL, SB_B = 1 };
enum { ANON_X = 1, ANON_Y = 2 };

struct bits {
  unsigned int a : 3;
  unsigned int b : 5;
  int c : 7;
  u64 d : 40;
  char e;
  _Bool f;
  long long g;
} __tag("bits_struct");

struct __attribute__((packed)) packed_one {
  char x;
  int y;
  short z;
};

struct aligned_one {
  char x;
  int y __attribute__((aligned(16)));
};

union u {
  int i;
  float f;
  double d;
  struct { char c1, c2; } pair;
  struct bits b;
};

struct node {
  struct node *next;
  const volatile int *cv;
  int *restrict r;
  int __user *up;
  struct fwd_only *fo;
  union fwd_union *fu;
  int arr[4][2];
  char *names[3];
  int (*cb)(int, struct node *);
  void (*cbs[2])(void);
  enum color col;
  enum { INNER_A, INNER_B } inner;
  struct { int x; union { int y; char z; }; } anon;
  unsigned char flex[];
};

struct node global_node;
static volatile int static_counter;
char LICENSE[] __attribute__((section("license"))) = "GPL";
int data_var = 3;
int bss_var;
enum big64 e64_var;
enum sbig64 se64_var;
enum neg neg_var;
struct packed_one packed_var;
struct aligned_one aligned_var;
union u u_var;
s8 s8_var;
extern int ext_func(int x, ...);
extern int ext_var __attribute__((weak));

__attribute__((noinline)) static int helper(struct bits *b __tag("param_tag"), u32 n) {
  return b->a + b->c + n;
}

int __tag("func_tag") entry(void *ctx) {
  struct bits b = {.a = 1, .c = -2};
  static_counter++;
  return helper(&b, bss_var) + data_var + ext_var;
}
