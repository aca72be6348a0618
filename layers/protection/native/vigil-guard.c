/*
 * vigil-guard: the protection layer's exec guard. vigil-wrapper loads it with LD_PRELOAD into the Lambda
 * runtime, and it puts itself back into the environment of every program started, so every descendant
 * carries it. It judges each libc call that starts a program (the exec family, fexecve, execveat,
 * posix_spawn[p], system, popen) against the rule table the layer compiles from the bundle
 * (layers/core/engine/guard-rules.ts), refuses with EACCES where a rule blocks, and appends one line per
 * decision with a violation to the event spool the layer reports from.
 *
 * Constraints, and why:
 *  - Every descendant pays for loading the guard, and most never start a program: the constructor only
 *    copies three environment values and marks the process (no allocation, no formatted output, no file).
 *  - No allocation on the decision path: execve may run in a vfork child, where malloc can deadlock. The
 *    table is a compact binary file mapped read-only and used in place; environments are built on the stack.
 *  - Little written memory on the decision path: it usually runs in a child just forked from a large
 *    process (Node), where every page written is copied first. The table is mapped, not parsed into arrays;
 *    frames stay small; realpath runs only when a rule needs the resolved path.
 *  - Only libc symbols that Amazon Linux 2 (glibc 2.26) provides: stat-family calls are raw syscalls
 *    (glibc 2.33 versioned the stat functions). A test reads the built library's symbol versions.
 *  - Nothing but libc is loaded with it: every object the dynamic loader maps costs every program that starts
 *    (open, mmap of each segment, page faults). dlsym would need libdl.so.2 on glibc before 2.34, so the libc
 *    functions the guard calls on to (posix_spawn[p], system, popen) are found in libc's own dynamic symbol
 *    table (its GNU hash table, or the SysV one, and the default version) on first use instead. execvpe's
 *    PATH search is the guard's own: it may run in a vfork child, where looking a function up (the loader's
 *    lock) could deadlock, and looking it up in every program's constructor instead cost every program.
 *  - No libc code on the path of an allowed exec: a child forked from a large process (Node) does not inherit
 *    the page table entries of libc's code, so every libc page it runs code from is one more page fault before
 *    the program starts. System calls are made directly and the few string functions needed are the guard's
 *    own (a few pages of its own code, mapped in one fault); libc is called on rare paths only (realpath,
 *    formatted event lines, setenv for system and popen, the functions it stands in front of).
 *  - Statically linked programs and raw syscalls never pass through libc: out of reach of any LD_PRELOAD guard.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the rule table is little-endian, as both Lambda architectures are"
#endif

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

#define EXPORT __attribute__((visibility("default")))

/* Bounds shared with GUARD_RULE_LIMITS and the layout of GUARD_TABLE_LAYOUT in layers/core/engine/guard-rules.ts. */
#define MAX_RULES 1024
#define MAX_PATTERNS 16384
#define MAX_TABLE_BYTES (1024 * 1024)
#define TABLE_VERSION 2
#define HEADER_BYTES 56
#define RULE_BYTES 16
#define PATTERN_BYTES 8
/* One event line is written with one write(2) of at most PIPE_BUF bytes, so concurrent lines never interleave. */
#define MAX_EVENT_BYTES 4096
/* The spool stops growing here (the layer rotates it long before). */
#define MAX_SPOOL_BYTES (8 * 1024 * 1024)
/* Room for a pid written in place into VIGIL_GUARD_LOADED (pid_max is at most 2^22; ten digits hold any int). */
#define LOADED_PLACEHOLDER "VIGIL_GUARD_LOADED=----------"

enum control { BLOCKED_EXECUTABLES, DRIFT_PREVENTION, BLOCK_ALL_PROCESSES };
enum state { STATE_NONE, STATE_BUNDLE, STATE_OVERSIZE, STATE_MISSING };

/* The mapped table's header (layout in guard-rules.ts). */
struct table_header {
  char magic[4];
  uint32_t version, length, state, fail_closed, rules, patterns, reserved;
  uint64_t generation, started_ms, revision;
};
struct table_rule {
  uint32_t id;
  uint16_t control, blocks;
  uint32_t first_pattern, patterns;
};
struct table_pattern {
  uint32_t offset;
  uint16_t length, flags;
};
_Static_assert(sizeof(struct table_header) == HEADER_BYTES, "header layout");
_Static_assert(sizeof(struct table_rule) == RULE_BYTES, "rule layout");
_Static_assert(sizeof(struct table_pattern) == PATTERN_BYTES, "pattern layout");

/* A mapped rule table and the identity of the file it maps. */
struct mapping {
  const unsigned char *map;
  size_t size;
  unsigned long long dev, ino;
  long long mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

/*
 * What the guard writes while deciding, together (one page to copy in a forked child): the lock, the
 * table mapped by this process, and the last refusal it reported.
 */
static struct {
  /* 0, or the pid of the process whose thread holds the lock. */
  int lock;
  struct mapping table;
  /*
   * Shells and execvp-style searches try the next PATH entry after EACCES (with a merged /usr,
   * /usr/bin/id and then /bin/id): one attempted program is reported once.
   */
  int refusal_pid;
  unsigned long long refusal_fingerprint;
} live;

/*
 * What this process was started with, copied once by the constructor into one small block: the entries
 * re-added to every started program's environment ("NAME=value") and the table's and spool's paths.
 */
static struct {
  int configured, fail_closed;
  const char *preload_entry, *dir_entry, *failmode_entry, *rules_path, *spool_path;
  size_t used;
  char text[4 * PATH_MAX + 128];
} config;

typedef int (*posix_spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                              char *const[], char *const[]);
typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

static posix_spawn_fn real_posix_spawn, real_posix_spawnp;
static system_fn real_system;
static popen_fn real_popen;

/* ------------------------------------------------------------------ system calls and strings, without libc */

/*
 * A system call made directly: the kernel's answer, -errno on failure. Unlike libc's wrappers it leaves errno
 * alone, so a decision that allows needs not save and restore it (errno is reached through a libc call).
 */
#if defined(__x86_64__)
static long direct_syscall(long number, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return result;
}
#elif defined(__aarch64__)
static long direct_syscall(long number, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#error "the exec guard is built for the Lambda architectures, x86_64 and aarch64"
#endif
#define SYSCALL(number, a, b, c, d, e, f) direct_syscall(number, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* A failed direct call's answer, made a libc-style failure: errno set, -1 returned. */
static int failed_with(long result) {
  if (result < 0 && result > -4096) {
    errno = (int)-result;
    return -1;
  }
  return (int)result;
}

static int current_pid(void) { return (int)SYSCALL(SYS_getpid, 0, 0, 0, 0, 0, 0); }

static int open_file(const char *path, int flags, int mode) { return (int)SYSCALL(SYS_openat, AT_FDCWD, path, flags, mode, 0, 0); }

static void close_file(int fd) { (void)SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0); }

static void write_file(int fd, const char *text, size_t length) { (void)SYSCALL(SYS_write, fd, text, length, 0, 0, 0); }

/* A read-only private mapping of a file; NULL on failure. */
static void *map_file(int fd, size_t size) {
  long result = SYSCALL(SYS_mmap, NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  return result < 0 && result > -4096 ? NULL : (void *)result;
}

static void unmap(const void *address, size_t size) { (void)SYSCALL(SYS_munmap, address, size, 0, 0, 0, 0); }

static size_t text_length(const char *text) {
  const char *end = text;
  while (*end) end++;
  return (size_t)(end - text);
}

static int same_bytes(const void *a, const void *b, size_t length) {
  const unsigned char *x = a, *y = b;
  for (size_t i = 0; i < length; i++)
    if (x[i] != y[i]) return 0;
  return 1;
}

static int same_text(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static int starts_with(const char *text, const char *prefix) {
  while (*prefix)
    if (*text++ != *prefix++) return 0;
  return 1;
}

static void copy_bytes(void *to, const void *from, size_t length) {
  unsigned char *out = to;
  const unsigned char *in = from;
  for (size_t i = 0; i < length; i++) out[i] = in[i];
}

static const char *find_byte(const char *text, char byte, size_t length) {
  for (size_t i = 0; i < length; i++)
    if (text[i] == byte) return text + i;
  return NULL;
}

/*
 * The first occurrence of `needle` in `text`; NULL when there is none. A plain scan: the needles are the
 * guard's own short strings (its preload path, "vigil-guard"), so it is linear in the text.
 */
static const char *find_text(const char *haystack, size_t haystack_length, const char *needle, size_t needle_length) {
  if (needle_length == 0) return haystack;
  for (size_t i = 0; i + needle_length <= haystack_length; i++)
    if (haystack[i] == needle[0] && same_bytes(haystack + i, needle, needle_length)) return haystack + i;
  return NULL;
}

/* getenv without libc: the value of the first entry of `environ` named so; NULL when there is none. */
static const char *environment_value(const char *name) {
  size_t length = text_length(name);
  for (char **e = environ; e != NULL && *e != NULL; e++)
    if (starts_with(*e, name) && (*e)[length] == '=') return *e + length + 1;
  return NULL;
}

/*
 * Takes the lock, or answers 0 when a thread of another process holds it: a child forked (or vforked)
 * while a thread of its parent was deciding. Such a child decides without the shared state (it maps the
 * table for itself), so no pthread_atfork handler has to run in every forked child, and a vfork child
 * never touches what its parent's thread is using.
 */
static int lock(int pid) {
  for (;;) {
    int holder = 0;
    if (__atomic_compare_exchange_n(&live.lock, &holder, pid, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 1;
    if (holder != pid) return 0;
  }
}
static void unlock(void) { __atomic_store_n(&live.lock, 0, __ATOMIC_RELEASE); }

/* 0, or -errno (the stat functions are raw syscalls anyway: glibc 2.33 gave them new symbol versions). */
static int stat_path(const char *path, struct stat *st, int follow) {
  return (int)SYSCALL(SYS_newfstatat, AT_FDCWD, path, st, follow ? 0 : AT_SYMLINK_NOFOLLOW, 0, 0);
}

static int stat_fd(int fd, struct stat *st) { return (int)SYSCALL(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH, 0, 0); }

static size_t bounded_copy(char *to, size_t size, const char *from) {
  size_t n = text_length(from);
  if (n >= size) n = size - 1;
  copy_bytes(to, from, n);
  to[n] = 0;
  return n;
}

/* ------------------------------------------------------------------ libc's own functions */

struct symbol_query {
  const char *name;
  void *found;
};

/* A dynamic entry's address: relocated in place by the loader on most architectures, an offset on others. */
static uintptr_t dynamic_address(uintptr_t base, ElfW(Addr) value) { return value < base ? base + value : value; }

static uint32_t gnu_hash(const char *name) {
  uint32_t h = 5381;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = h * 33 + *c;
  return h;
}

static uint32_t sysv_hash(const char *name) {
  uint32_t h = 0;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
    h = (h << 4) + *c;
    uint32_t high = h & 0xf0000000u;
    if (high) h ^= high >> 24;
    h &= ~high;
  }
  return h;
}

/* One object's dynamic symbol table, as found through its dynamic section. */
struct symbols {
  const ElfW(Sym) *table;
  const ElfW(Half) *versions;
  const char *strings;
};

/* Symbol i is a function defined in the object under that name, in its default version (not a hidden older one). */
static int defines(const struct symbols *s, uint32_t i, const char *name) {
  const ElfW(Sym) *sym = &s->table[i];
  return sym->st_shndx != SHN_UNDEF && ELF64_ST_TYPE(sym->st_info) == STT_FUNC && (s->versions == NULL || (s->versions[i] & 0x8000) == 0) &&
         same_text(s->strings + sym->st_name, name);
}

/* Symbol index of `name` through a GNU hash table; 0 when not there. */
static uint32_t gnu_lookup(const uint32_t *table, const struct symbols *s, const char *name) {
  uint32_t buckets = table[0], first_symbol = table[1], bloom_words = table[2];
  if (buckets == 0) return 0;
  const uint32_t *bucket = (const uint32_t *)((const ElfW(Addr) *)(table + 4) + bloom_words);
  const uint32_t *chain = bucket + buckets;
  uint32_t hash = gnu_hash(name);
  for (uint32_t i = bucket[hash % buckets]; i >= first_symbol && i != 0; i++) {
    uint32_t entry = chain[i - first_symbol];
    if ((entry | 1) == (hash | 1) && defines(s, i, name)) return i;
    if (entry & 1) break;
  }
  return 0;
}

/* Symbol index of `name` through a SysV hash table (objects linked without a GNU hash); 0 when not there. */
static uint32_t sysv_lookup(const uint32_t *table, const struct symbols *s, const char *name) {
  uint32_t buckets = table[0], chains = table[1];
  if (buckets == 0) return 0;
  const uint32_t *bucket = table + 2, *chain = bucket + buckets;
  uint32_t steps = 0;
  for (uint32_t i = bucket[sysv_hash(name) % buckets]; i != STN_UNDEF && i < chains && steps++ < chains; i = chain[i])
    if (defines(s, i, name)) return i;
  return 0;
}

/* dl_iterate_phdr callback: in the object whose soname is libc.so.6, the default version of a defined function. */
static int find_in_libc(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct symbol_query *query = data;
  const ElfW(Dyn) *dynamic = NULL;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) dynamic = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (dynamic == NULL) return 0;
  uintptr_t base = info->dlpi_addr, strtab = 0, symtab = 0, gnu_table = 0, sysv_table = 0, versym = 0, soname = 0;
  int has_soname = 0;
  for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
    switch (d->d_tag) {
      case DT_STRTAB: strtab = dynamic_address(base, d->d_un.d_ptr); break;
      case DT_SYMTAB: symtab = dynamic_address(base, d->d_un.d_ptr); break;
      case DT_GNU_HASH: gnu_table = dynamic_address(base, d->d_un.d_ptr); break;
      case DT_HASH: sysv_table = dynamic_address(base, d->d_un.d_ptr); break;
      case DT_VERSYM: versym = dynamic_address(base, d->d_un.d_ptr); break;
      case DT_SONAME: soname = d->d_un.d_val; has_soname = 1; break;
    }
  }
#ifdef VIGIL_GUARD_SYSV_HASH_ONLY
  /* Tests only: look up as in a libc linked without a GNU hash table. */
  gnu_table = 0;
#endif
  if (!has_soname || strtab == 0 || symtab == 0 || (gnu_table == 0 && sysv_table == 0)) return 0;
  if (!same_text((const char *)(strtab + soname), "libc.so.6")) return 0;
  struct symbols s = {(const ElfW(Sym) *)symtab, (const ElfW(Half) *)versym, (const char *)strtab};
  uint32_t index = gnu_table != 0 ? gnu_lookup((const uint32_t *)gnu_table, &s, query->name)
                                  : sysv_lookup((const uint32_t *)sysv_table, &s, query->name);
  if (index != 0) query->found = (void *)(base + s.table[index].st_value);
  return 1;
}

/* The default version of a function defined by libc; NULL when there is none. */
static void *libc_symbol(const char *name) {
  struct symbol_query query = {name, NULL};
  dl_iterate_phdr(find_in_libc, &query);
  return query.found;
}

/* ------------------------------------------------------------------ configuration */

/* Appends "<a><b><c>" to the configuration block; NULL when it does not fit. */
static const char *keep(const char *a, const char *b, size_t b_length, const char *c) {
  size_t la = text_length(a), lc = text_length(c);
  if (config.used + la + b_length + lc + 1 > sizeof config.text) return NULL;
  char *out = config.text + config.used;
  copy_bytes(out, a, la);
  copy_bytes(out + la, b, b_length);
  copy_bytes(out + la + b_length, c, lc + 1);
  config.used += la + b_length + lc + 1;
  return out;
}

static const char *value_of(char *entry, const char *name_eq, size_t length) { return starts_with(entry, name_eq) ? entry + length : NULL; }

/* Says "the guard is loaded in this process" to the layer: in place over the placeholder a guarded parent passed, or setenv. */
static void mark_loaded(char *placeholder) {
  char digits[16];
  int n = 0;
  for (unsigned pid = (unsigned)current_pid(); n == 0 || pid > 0; pid /= 10) digits[n++] = (char)('0' + pid % 10);
  if (placeholder != NULL && (int)text_length(placeholder) >= n) {
    /* The initial environment's strings are the process's own writable memory: no allocation needed. */
    for (int i = 0; i < n; i++) placeholder[i] = digits[n - 1 - i];
    placeholder[n] = 0;
    return;
  }
  char value[16];
  for (int i = 0; i < n; i++) value[i] = digits[n - 1 - i];
  value[n] = 0;
  setenv("VIGIL_GUARD_LOADED", value, 1);
}

__attribute__((constructor)) static void guard_init(void) {
  const char *dir = NULL, *preload = NULL, *failmode = NULL;
  char *loaded = NULL;
  for (char **e = environ; e != NULL && *e != NULL; e++) {
    if ((*e)[0] != 'L' && (*e)[0] != 'V') continue;
    const char *v;
    if ((v = value_of(*e, "LD_PRELOAD=", 11)) != NULL) preload = v;
    else if ((v = value_of(*e, "VIGIL_GUARD_DIR=", 16)) != NULL) dir = v;
    else if ((v = value_of(*e, "VIGIL_FAIL_MODE=", 16)) != NULL) failmode = v;
    else if ((v = value_of(*e, "VIGIL_GUARD_LOADED=", 19)) != NULL) loaded = *e + 19;
  }
  if (dir == NULL || dir[0] != '/' || text_length(dir) > PATH_MAX - 32) dir = "/tmp/vigil-guard";
  config.fail_closed = failmode != NULL && same_text(failmode, "closed");
  config.failmode_entry = config.fail_closed ? "VIGIL_FAIL_MODE=closed" : "VIGIL_FAIL_MODE=open";
  size_t dir_length = text_length(dir);
  config.dir_entry = keep("VIGIL_GUARD_DIR=", dir, dir_length, "");
  config.rules_path = keep("", dir, dir_length, "/rules");
  config.spool_path = keep("", dir, dir_length, "/events");
  /* The guard's own entry of LD_PRELOAD (the loader accepts ':' and ' ' between entries): descendants load it. */
  for (const char *entry = preload; entry != NULL && *entry;) {
    size_t length = 0;
    while (entry[length] && entry[length] != ':' && entry[length] != ' ') length++;
    if (length > 0 && length < PATH_MAX && entry[0] == '/' && find_text(entry, length, "vigil-guard", 11) != NULL) {
      config.preload_entry = keep("LD_PRELOAD=", entry, length, "");
      break;
    }
    entry += length;
    while (*entry == ':' || *entry == ' ') entry++;
  }
  config.configured = config.preload_entry != NULL && config.dir_entry != NULL && config.rules_path != NULL && config.spool_path != NULL;
  /* Tells the layer in this process that the guard is loaded here (and decides what it reports). */
  mark_loaded(loaded);
}

/* The libc function this library stands in front of, looked up on first use (most processes never need it). */
static void *next_symbol(void **slot, const char *name) {
  void *found = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (found == NULL) {
    found = libc_symbol(name);
    __atomic_store_n(slot, found, __ATOMIC_RELEASE);
  }
  return found;
}
#define NEXT(fn, name) ((__typeof__(fn))next_symbol((void **)&(fn), name))

/* ------------------------------------------------------------------ rule table */

static void unmap_table(struct mapping *m) {
  if (m->map != NULL) unmap(m->map, m->size);
  m->map = NULL;
  m->size = 0;
}

static int same_file(const struct mapping *m, const struct stat *st) {
  return m->dev == (unsigned long long)st->st_dev && m->ino == (unsigned long long)st->st_ino && m->size == (size_t)st->st_size &&
         m->mtime_sec == (long long)st->st_mtim.tv_sec && m->mtime_nsec == (long long)st->st_mtim.tv_nsec &&
         m->ctime_sec == (long long)st->st_ctim.tv_sec && m->ctime_nsec == (long long)st->st_ctim.tv_nsec;
}

static int table_sized(const struct stat *st) {
  return S_ISREG(st->st_mode) && st->st_size >= HEADER_BYTES && st->st_size <= MAX_TABLE_BYTES;
}

/*
 * True for a table that is whole: magic, version, its own length, room for every count it gives, and
 * every rule's patterns and every pattern's bytes inside it. Checked once per mapping, so that deciding
 * can trust every entry.
 */
static int valid_table(const unsigned char *map, size_t size) {
  const struct table_header *h = (const struct table_header *)map;
  if (!same_bytes(h->magic, "VGRT", 4) || h->version != TABLE_VERSION || h->length != size) return 0;
  if (h->rules > MAX_RULES || h->patterns > MAX_PATTERNS || h->state > STATE_OVERSIZE) return 0;
  size_t strings = (size_t)HEADER_BYTES + (size_t)h->rules * RULE_BYTES + (size_t)h->patterns * PATTERN_BYTES;
  if (strings > size) return 0;
  const struct table_rule *rules = (const struct table_rule *)(map + HEADER_BYTES);
  for (unsigned r = 0; r < h->rules; r++)
    if (rules[r].control > BLOCK_ALL_PROCESSES || rules[r].blocks > 1 || (uint64_t)rules[r].first_pattern + rules[r].patterns > h->patterns)
      return 0;
  const struct table_pattern *patterns = (const struct table_pattern *)(map + HEADER_BYTES + (size_t)h->rules * RULE_BYTES);
  for (unsigned i = 0; i < h->patterns; i++)
    if (patterns[i].offset < strings || (uint64_t)patterns[i].offset + patterns[i].length > size) return 0;
  return 1;
}

/*
 * The table in force, mapped read-only into `m`: one stat when the file did not change since `m` mapped it.
 * NULL when there is none or it is not whole (the fail mode decides).
 */
static const struct table_header *current_table(struct mapping *m) {
  struct stat st;
  if (stat_path(config.rules_path, &st, 1) != 0 || !table_sized(&st)) {
    unmap_table(m);
    return NULL;
  }
  if (m->map != NULL && same_file(m, &st)) return (const struct table_header *)m->map;
  unmap_table(m);
  int fd = open_file(config.rules_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return NULL;
  void *map = NULL;
  /* The identity of what is mapped: the file may have been replaced since the stat above. */
  if (stat_fd(fd, &st) == 0 && table_sized(&st)) map = map_file(fd, (size_t)st.st_size);
  close_file(fd);
  if (map == NULL) return NULL;
  if (!valid_table(map, (size_t)st.st_size)) {
    unmap(map, (size_t)st.st_size);
    return NULL;
  }
  m->map = map;
  m->size = (size_t)st.st_size;
  m->dev = (unsigned long long)st.st_dev;
  m->ino = (unsigned long long)st.st_ino;
  m->mtime_sec = (long long)st.st_mtim.tv_sec;
  m->mtime_nsec = (long long)st.st_mtim.tv_nsec;
  m->ctime_sec = (long long)st.st_ctim.tv_sec;
  m->ctime_nsec = (long long)st.st_ctim.tv_nsec;
  return (const struct table_header *)m->map;
}

static const struct table_rule *rule_at(const struct table_header *h, unsigned r) {
  return (const struct table_rule *)((const unsigned char *)h + HEADER_BYTES + (size_t)r * RULE_BYTES);
}

/* A rule's pattern i (valid_table checked that it and its bytes are inside the table). */
static const struct table_pattern *pattern_at(const struct table_header *h, const struct table_rule *rule, unsigned i) {
  size_t index = (size_t)rule->first_pattern + i;
  return (const struct table_pattern *)((const unsigned char *)h + HEADER_BYTES + (size_t)h->rules * RULE_BYTES + index * PATTERN_BYTES);
}

/* ------------------------------------------------------------------ matching (as layers/core/scope/glob.ts) */

/* A glob where "*" matches any run of characters (including "/"), everything else itself. */
static int glob_match(const char *glob, size_t glob_length, const char *value, size_t value_length) {
  const char *star = find_byte(glob, '*', glob_length);
  if (star == NULL) return glob_length == value_length && same_bytes(glob, value, value_length);
  size_t prefix = (size_t)(star - glob);
  const char *last_star = glob + glob_length - 1;
  while (*last_star != '*') last_star--;
  size_t suffix = (size_t)(glob + glob_length - last_star - 1);
  if (value_length < prefix + suffix) return 0;
  if (!same_bytes(glob, value, prefix) || !same_bytes(last_star + 1, value + value_length - suffix, suffix)) return 0;
  /* The leftmost occurrence of each middle segment is never worse than a later one: no backtracking. */
  size_t cursor = prefix, end = value_length - suffix;
  const char *segment = star + 1;
  while (segment <= last_star) {
    const char *next = find_byte(segment, '*', (size_t)(last_star - segment + 1));
    size_t length = (size_t)(next - segment);
    if (length > 0) {
      const char *found = memmem(value + cursor, end - cursor, segment, length);
      if (found == NULL) return 0;
      cursor = (size_t)(found - value) + length;
    }
    segment = next + 1;
  }
  return 1;
}

static const char *base_name(const char *path) {
  const char *last = path;
  for (const char *c = path; *c; c++)
    if (*c == '/') last = c + 1;
  return last;
}

/* ------------------------------------------------------------------ programs */

struct program {
  const char *executable; /* as invoked */
  const char *candidate;  /* the file the kernel runs: the path, or the PATH entry found; NULL when not found */
  struct stat st;         /* the candidate's, links followed */
  int final_link;         /* the candidate's last component is a symbolic link */
  int resolution;         /* realpath of the candidate: 0 not tried yet, 1 in `resolved`, -1 failed */
  char *resolved;         /* PATH_MAX bytes of the caller's */
};

/* A path as the kernel runs it (relative to the working directory); `resolved` is the caller's PATH_MAX buffer. */
static void resolve_path(struct program *program, const char *path, char *resolved) {
  program->executable = path;
  program->candidate = NULL;
  program->resolution = 0;
  program->resolved = resolved;
  /* One lstat decides the common case, a regular file that is not a link; a link is followed by a stat. */
  if (stat_path(path, &program->st, 0) != 0) return;
  program->final_link = S_ISLNK(program->st.st_mode);
  if (program->final_link && stat_path(path, &program->st, 1) != 0) return;
  if (S_ISREG(program->st.st_mode)) program->candidate = path;
}

/*
 * A name looked up in PATH as execvp does (the caller's PATH; glibc's default when unset). `candidate`
 * (PATH_MAX bytes) receives the file found; `resolved` is the caller's PATH_MAX buffer.
 */
static void resolve_name(struct program *program, const char *file, char *candidate, char *resolved) {
  if (find_byte(file, '/', text_length(file)) != NULL) {
    resolve_path(program, file, resolved);
    return;
  }
  program->executable = file;
  program->candidate = NULL;
  program->resolution = 0;
  program->resolved = resolved;
  const char *path = environment_value("PATH");
  if (path == NULL) path = "/bin:/usr/bin";
  size_t file_length = text_length(file);
  while (1) {
    size_t dir_length = 0;
    while (path[dir_length] && path[dir_length] != ':') dir_length++;
    const char *colon = path[dir_length] == ':' ? path + dir_length : NULL;
    if (dir_length + file_length + 2 < PATH_MAX) {
      if (dir_length == 0) {
        copy_bytes(candidate, file, file_length + 1); /* an empty entry is the working directory */
      } else {
        copy_bytes(candidate, path, dir_length);
        candidate[dir_length] = '/';
        copy_bytes(candidate + dir_length + 1, file, file_length + 1);
      }
      if (stat_path(candidate, &program->st, 0) == 0) {
        program->final_link = S_ISLNK(program->st.st_mode);
        if ((!program->final_link || stat_path(candidate, &program->st, 1) == 0) && S_ISREG(program->st.st_mode) &&
            SYSCALL(SYS_faccessat, AT_FDCWD, candidate, X_OK, 0, 0, 0) == 0) {
          program->candidate = candidate;
          return;
        }
      }
    }
    if (colon == NULL) return;
    path = colon + 1;
  }
}

/* The path after PATH lookup and realpath, computed when first asked for; NULL when not found. */
static const char *resolved_path(struct program *program) {
  if (program->resolution == 0) {
    /* realpath sets errno even when it succeeds (readlink on every component that is not a link). */
    int saved_errno = errno;
    program->resolution = program->candidate != NULL && realpath(program->candidate, program->resolved) != NULL ? 1 : -1;
    errno = saved_errno;
  }
  return program->resolution == 1 ? program->resolved : NULL;
}

/* Created or changed after the function started: the later of mtime and ctime (ctime cannot be set back, mtime can). */
static int created_after(struct program *program, uint64_t started_ms) {
  if (resolved_path(program) == NULL) return 0;
  long long mtime_ms = (long long)program->st.st_mtim.tv_sec * 1000 + program->st.st_mtim.tv_nsec / 1000000;
  long long ctime_ms = (long long)program->st.st_ctim.tv_sec * 1000 + program->st.st_ctim.tv_nsec / 1000000;
  long long newest = mtime_ms > ctime_ms ? mtime_ms : ctime_ms;
  return newest > (long long)started_ms;
}

/*
 * True when a pattern of the rule matches the program as invoked or after resolution. A pattern with "/"
 * is matched against the whole value, one without against its last segment. The resolved path is asked for
 * only when the invoked one did not match and it can differ: for a pattern with "/", or when the file run is
 * reached through a link as its last component (otherwise both have the same last segment).
 */
static int program_matches(const struct table_header *h, const struct table_rule *rule, struct program *program) {
  const char *invoked = program->executable;
  const char *invoked_base = base_name(invoked);
  size_t invoked_length = text_length(invoked), invoked_base_length = text_length(invoked_base);
  int needs_resolved = 0;
  for (unsigned i = 0; i < rule->patterns; i++) {
    const struct table_pattern *p = pattern_at(h, rule, i);
    const char *glob = (const char *)h + p->offset;
    int has_slash = p->flags & 1;
    if (has_slash ? glob_match(glob, p->length, invoked, invoked_length) : glob_match(glob, p->length, invoked_base, invoked_base_length))
      return 1;
    if (has_slash || program->final_link) needs_resolved = 1;
  }
  const char *resolved = needs_resolved && program->candidate != NULL ? resolved_path(program) : NULL;
  if (resolved == NULL) return 0;
  const char *resolved_base = base_name(resolved);
  size_t resolved_length = text_length(resolved), resolved_base_length = text_length(resolved_base);
  for (unsigned i = 0; i < rule->patterns; i++) {
    const struct table_pattern *p = pattern_at(h, rule, i);
    const char *glob = (const char *)h + p->offset;
    if ((p->flags & 1) ? glob_match(glob, p->length, resolved, resolved_length)
                       : glob_match(glob, p->length, resolved_base, resolved_base_length))
      return 1;
  }
  return 0;
}

/*
 * The working directory, as glibc's getcwd gives it: the kernel's answer, refused when it is not an absolute
 * path (the kernel answers "(unreachable)/..." for a directory outside the process's root).
 */
static int working_directory(char *out, size_t size) {
  long n = SYSCALL(SYS_getcwd, out, size, 0, 0, 0, 0);
  return n > 0 && out[0] == '/' ? 0 : -1;
}

/* A descriptor's path, through /proc (fexecve, execveat). */
static int fd_path(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  long n = SYSCALL(SYS_readlinkat, AT_FDCWD, link, out, size - 1, 0, 0);
  if (n < 0) return -1;
  out[n] = 0;
  return 0;
}

/* ------------------------------------------------------------------ events */

static size_t append_field(char *line, size_t used, const char *text) {
  if (used >= MAX_EVENT_BYTES - 2) return used;
  line[used++] = '\t';
  for (const char *c = text ? text : ""; *c && used < MAX_EVENT_BYTES - 3; c++) {
    char e = *c == '\\' ? '\\' : *c == '\t' ? 't' : *c == '\n' ? 'n' : *c == '\r' ? 'r' : 0;
    if (e) {
      line[used++] = '\\';
      line[used++] = e;
    } else {
      line[used++] = *c;
    }
  }
  return used;
}

/* Which rules objected, one bit per rule. */
struct fired {
  unsigned count;
  unsigned char bits[MAX_RULES / 8];
};

/*
 * G1 <generation> <refused 0|1> <createdAfterStart 0|1> <rule ids,> <executable> <resolved> <argc> <argv...>
 * Fields are tab-separated, \\ \t \n \r escaped; arguments that do not fit the line are left out.
 */
static void report(const struct table_header *h, struct program *program, int refused, const struct fired *fired, char *const argv[]) {
  char line[MAX_EVENT_BYTES];
  size_t used = (size_t)snprintf(line, sizeof line, "G1\t%llu\t%d\t%d\t", (unsigned long long)h->generation, refused,
                                 created_after(program, h->started_ms));
  for (unsigned r = 0, written = 0; r < h->rules && used < 200; r++) {
    if (!(fired->bits[r / 8] & (1u << (r % 8)))) continue;
    used += (size_t)snprintf(line + used, sizeof line - used, written++ ? ",%u" : "%u", (unsigned)rule_at(h, r)->id);
  }
  used = append_field(line, used, program->executable);
  used = append_field(line, used, resolved_path(program));
  int argc = 0;
  while (argv != NULL && argv[argc] != NULL) argc++;
  char count[16];
  snprintf(count, sizeof count, "%d", argc);
  used = append_field(line, used, count);
  for (int i = 0; i < argc && used < MAX_EVENT_BYTES - 3; i++) used = append_field(line, used, argv[i]);
  line[used++] = '\n';
  int fd = open_file(config.spool_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  struct stat st;
  if (stat_fd(fd, &st) == 0 && st.st_size < MAX_SPOOL_BYTES) write_file(fd, line, used);
  close_file(fd);
}

static void say(const char *what, const char *program) {
  char line[512];
  int n = snprintf(line, sizeof line, "vigil-guard: %s refused: %s\n", program, what);
  if (n > 0) write_file(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ------------------------------------------------------------------ decisions */

static unsigned long long fnv1a(unsigned long long hash, const char *text) {
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) hash = (hash ^ *c) * 1099511628211ULL;
  return (hash ^ 0xff) * 1099511628211ULL;
}

/* True when this process refused the same program with the same arguments last time (and remembers this one). */
static int repeated_refusal(int pid, const char *effective, char *const argv[]) {
  unsigned long long fingerprint = fnv1a(14695981039346656037ULL, effective);
  for (int i = 0; argv != NULL && argv[i] != NULL; i++) fingerprint = fnv1a(fingerprint, argv[i]);
  int repeated = live.refusal_pid == pid && live.refusal_fingerprint == fingerprint;
  live.refusal_pid = pid;
  live.refusal_fingerprint = fingerprint;
  return repeated;
}

/* The rules' verdict on a program under table h: -1 refused, 0 allowed. Reports what a rule objects to. */
static int decide(const struct table_header *h, struct program *program, char *const argv[], int pid) {
  if (h == NULL || h->state != STATE_BUNDLE) {
    int closed = h != NULL ? h->fail_closed != 0 : config.fail_closed;
    if (!closed) return 0;
    say("no policy bundle is available and the fail mode is closed", program->executable);
    return -1;
  }
  /* A program that does not exist cannot run: execvp-style searches try paths that are not there. */
  if (h->rules == 0 || program->candidate == NULL) return 0;
  struct fired fired;
  fired.count = 0;
  int refused = 0, under_tmp = -1, created = -1;
  for (unsigned r = 0; r < h->rules; r++) {
    const struct table_rule *rule = rule_at(h, r);
    int objects = 0;
    switch (rule->control) {
      case BLOCKED_EXECUTABLES:
        objects = program_matches(h, rule, program);
        break;
      case DRIFT_PREVENTION:
        if (created < 0) created = created_after(program, h->started_ms);
        if (under_tmp < 0) {
          const char *effective = resolved_path(program);
          if (effective == NULL) effective = program->executable;
          under_tmp = same_text(effective, "/tmp") || starts_with(effective, "/tmp/");
        }
        objects = (under_tmp || created) && !program_matches(h, rule, program);
        break;
      case BLOCK_ALL_PROCESSES:
        objects = !program_matches(h, rule, program);
        break;
    }
    if (!objects) continue;
    if (fired.count++ == 0)
      for (unsigned i = 0; i < (h->rules + 7) / 8; i++) fired.bits[i] = 0;
    fired.bits[r / 8] |= (unsigned char)(1u << (r % 8));
    if (rule->blocks) refused = 1;
  }
  if (fired.count == 0) return 0;
  const char *effective = resolved_path(program);
  if (!(refused && repeated_refusal(pid, effective ? effective : program->executable, argv))) report(h, program, refused, &fired, argv);
  return refused ? -1 : 0;
}

/* 0: allowed; -1: refused (errno EACCES). */
static int judge(struct program *program, char *const argv[]) {
  if (!config.configured) return 0;
  int pid = current_pid();
  int verdict;
  if (lock(pid)) {
    verdict = decide(current_table(&live.table), program, argv, pid);
    unlock();
  } else {
    /* Forked while a thread of the parent was deciding: this child decides on a table of its own. */
    struct mapping own = {0};
    verdict = decide(current_table(&own), program, argv, pid);
    unmap_table(&own);
  }
  /* errno is touched only on a refusal: allowing leaves it as the caller had it, without a libc call. */
  if (verdict != 0) errno = EACCES;
  return verdict;
}

/* ------------------------------------------------------------------ environments */

static int named(const char *entry, const char *name_eq) { return starts_with(entry, name_eq); }

/* Whether an LD_PRELOAD value holds the guard's own entry. */
static int holds_ours(const char *preload_value, const char *ours) {
  return find_text(preload_value, text_length(preload_value), ours, text_length(ours)) != NULL;
}

static int count_env(char *const envp[]) {
  int n = 0;
  while (envp != NULL && envp[n] != NULL) n++;
  return n;
}

/* Bytes needed for an LD_PRELOAD that puts ours before the program's own preloads (0 when the program has none of its own). */
static size_t combined_preload_size(char *const envp[]) {
  if (!config.configured) return 0;
  const char *ours = config.preload_entry + 11; /* after "LD_PRELOAD=" */
  for (int i = 0; envp != NULL && envp[i] != NULL; i++) {
    if (!named(envp[i], "LD_PRELOAD=")) continue;
    const char *theirs = envp[i] + 11;
    if (theirs[0] != 0 && !holds_ours(theirs, ours)) return text_length(config.preload_entry) + text_length(theirs) + 2;
  }
  return 0;
}

/*
 * Fills `out` (room for count_env(envp) + 5 entries) with envp, our LD_PRELOAD first in LD_PRELOAD, the
 * guard's directory and fail mode as this process had them (a descendant that dropped or changed them does
 * not shed the guard), and a placeholder the started program's guard writes its pid into. `preload`
 * (combined_preload_size bytes) receives a combined LD_PRELOAD when the program had preloads of its own.
 */
static char *const *guarded_env(char *const envp[], char **out, char *preload) {
  if (!config.configured) return envp;
  const char *ours = config.preload_entry + 11; /* after "LD_PRELOAD=" */
  int n = 0;
  const char *preload_value = config.preload_entry;
  for (int i = 0; envp != NULL && envp[i] != NULL; i++) {
    const char *entry = envp[i];
    if (named(entry, "VIGIL_GUARD_DIR=") || named(entry, "VIGIL_FAIL_MODE=") || named(entry, "VIGIL_GUARD_LOADED=")) continue;
    if (named(entry, "LD_PRELOAD=")) {
      const char *theirs = entry + 11;
      if (holds_ours(theirs, ours)) {
        preload_value = entry;
      } else if (theirs[0] != 0) {
        size_t head = text_length(config.preload_entry);
        copy_bytes(preload, config.preload_entry, head);
        preload[head] = ':';
        copy_bytes(preload + head + 1, theirs, text_length(theirs) + 1);
        preload_value = preload;
      }
      continue;
    }
    out[n++] = (char *)entry;
  }
  out[n++] = (char *)preload_value;
  out[n++] = (char *)config.dir_entry;
  out[n++] = (char *)config.failmode_entry;
  out[n++] = (char *)LOADED_PLACEHOLDER;
  out[n] = NULL;
  return out;
}

/* Keeps this process's own environment guarded too (system, popen start /bin/sh with `environ`). */
static void guard_own_environment(void) {
  if (!config.configured) return;
  const char *ours = config.preload_entry + strlen("LD_PRELOAD=");
  const char *current = environment_value("LD_PRELOAD");
  if (current == NULL || !holds_ours(current, ours)) setenv("LD_PRELOAD", ours, 1);
  setenv("VIGIL_GUARD_DIR", config.dir_entry + strlen("VIGIL_GUARD_DIR="), 1);
  setenv("VIGIL_FAIL_MODE", config.failmode_entry + strlen("VIGIL_FAIL_MODE="), 1);
}

/* The environment a started program gets, on the caller's stack (no allocation: this may run in a vfork child). */
#define WITH_GUARDED_ENV(envp, name)                                        \
  char *name##_entries[count_env(envp) + 5];                                \
  char name##_preload[combined_preload_size(envp) + 1];                     \
  char *const *name = guarded_env(envp, name##_entries, name##_preload)

/* ------------------------------------------------------------------ the intercepted calls */

static int raw_execve(const char *path, char *const argv[], char *const envp[]) {
  return failed_with(SYSCALL(SYS_execve, path, argv, envp, 0, 0, 0));
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
  struct program program;
  char resolved[PATH_MAX];
  resolve_path(&program, path, resolved);
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  return raw_execve(path, argv, env);
}

EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

/*
 * A file the kernel refused as not executable (ENOEXEC: a script without "#!") is run by /bin/sh, as glibc's
 * execvp does: "/bin/sh file arguments-after-the-first". Returns only when that exec failed (errno set).
 */
static void exec_as_script(const char *file, char *const argv[], char *const envp[]) {
  long argc = 0;
  while (argv[argc] != NULL) {
    if (argc == INT_MAX - 1) {
      errno = E2BIG;
      return;
    }
    argc++;
  }
  char *shell_argv[argc > 1 ? argc + 2 : 3];
  shell_argv[0] = (char *)"/bin/sh";
  shell_argv[1] = (char *)file;
  if (argc > 1) copy_bytes(shell_argv + 2, argv + 1, (size_t)argc * sizeof(char *)); /* argv[1..argc-1] and the NULL */
  else shell_argv[2] = NULL;
  (void)raw_execve(shell_argv[0], shell_argv, envp);
}

/* strnlen without libc. */
static size_t bounded_length(const char *text, size_t limit) {
  size_t n = 0;
  while (n < limit && text[n]) n++;
  return n;
}

/*
 * The PATH search of glibc's execvpe, step for step, with the system calls made here:
 * no libc function to find or call, so nothing is looked up when a program starts. The same order and the
 * same error: an empty name is ENOENT; a name with "/" is run as it is; otherwise each PATH entry (the
 * caller's PATH, "/bin:/usr/bin" when unset; an empty entry is the working directory) is tried in turn, a
 * file the kernel cannot run as a program is run by /bin/sh, EACCES, ENOENT, ESTALE, ENOTDIR, ENODEV and
 * ETIMEDOUT go on to the next entry and any other error ends the search with that error. When every entry
 * failed, the error is EACCES if any attempt was refused so, otherwise the last attempt's.
 * Returns only on failure (errno set).
 */
static int search_and_exec(const char *file, char *const argv[], char *const envp[]) {
  if (file[0] == 0) {
    errno = ENOENT;
    return -1;
  }
  size_t name_length = text_length(file);
  if (find_byte(file, '/', name_length) != NULL) {
    (void)raw_execve(file, argv, envp);
    if (errno == ENOEXEC) exec_as_script(file, argv, envp);
    return -1;
  }
  const char *path = environment_value("PATH");
  if (path == NULL) path = "/bin:/usr/bin";
  /* glibc bounds both to keep its buffer on the stack: a longer name is ENAMETOOLONG, a longer entry skipped. */
  size_t file_size = bounded_length(file, NAME_MAX) + 1;
  size_t path_size = bounded_length(path, PATH_MAX - 1) + 1;
  if (file_size - 1 > NAME_MAX) {
    errno = ENAMETOOLONG;
    return -1;
  }
  char buffer[path_size + file_size + 1];
  int got_eacces = 0;
  for (const char *entry = path;;) {
    const char *end = entry;
    while (*end && *end != ':') end++;
    size_t entry_length = (size_t)(end - entry);
    if (entry_length >= path_size) {
      /* Longer than the bound: skipped (from the ':' on, as glibc does, which then tries the empty entry). */
      if (*end == 0) break;
      entry = end;
      continue;
    }
    copy_bytes(buffer, entry, entry_length);
    buffer[entry_length] = '/';
    copy_bytes(buffer + entry_length + (entry_length > 0 ? 1 : 0), file, file_size);
    (void)raw_execve(buffer, argv, envp);
    if (errno == ENOEXEC) exec_as_script(buffer, argv, envp);
    switch (errno) {
      case EACCES:
        got_eacces = 1;
        break;
      case ENOENT:
      case ESTALE:
      case ENOTDIR:
      case ENODEV:
      case ETIMEDOUT:
        break;
      default:
        return -1; /* found, but it could not be run: that error */
    }
    if (*end == 0) break;
    entry = end + 1;
  }
  if (got_eacces) errno = EACCES;
  return -1;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
  struct program program;
  char candidate[PATH_MAX], resolved[PATH_MAX];
  resolve_name(&program, file, candidate, resolved);
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  return search_and_exec(file, argv, env);
}

EXPORT int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

/* The variadic execl* calls, with their arguments gathered on the stack. */
#define GATHER_ARGS(first, last_named, argv, after)                 \
  va_list count_list;                                               \
  va_start(count_list, last_named);                                 \
  int argc = 1;                                                     \
  while (va_arg(count_list, char *) != NULL) argc++;                \
  va_end(count_list);                                               \
  char *argv[argc + 1];                                             \
  va_list list;                                                     \
  va_start(list, last_named);                                       \
  argv[0] = (char *)(first);                                        \
  for (int i = 1; i <= argc; i++) argv[i] = va_arg(list, char *);   \
  after;                                                            \
  va_end(list)

EXPORT int execl(const char *path, const char *arg, ...) {
  GATHER_ARGS(arg, arg, argv, (void)0);
  return execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...) {
  GATHER_ARGS(arg, arg, argv, (void)0);
  return execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...) {
  char *const *envp;
  GATHER_ARGS(arg, arg, argv, envp = va_arg(list, char *const *));
  return execve(path, argv, envp);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
  struct program program;
  char path[PATH_MAX], resolved[PATH_MAX];
  if (fd_path(fd, path, sizeof path) != 0) bounded_copy(path, sizeof path, "");
  resolve_path(&program, path, resolved);
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  long result = SYSCALL(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH, 0);
  if (result == -ENOSYS) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return raw_execve(proc, argv, env);
  }
  return failed_with(result);
}

EXPORT int execveat(int dirfd, const char *pathname, char *const argv[], char *const envp[], int flags) {
  struct program program;
  char path[PATH_MAX], resolved[PATH_MAX];
  if (pathname[0] == '/') {
    bounded_copy(path, sizeof path, pathname);
  } else if (pathname[0] == 0 && (flags & AT_EMPTY_PATH)) {
    if (fd_path(dirfd, path, sizeof path) != 0) path[0] = 0;
  } else {
    char dir[PATH_MAX];
    int ok = dirfd == AT_FDCWD ? working_directory(dir, sizeof dir) == 0 : fd_path(dirfd, dir, sizeof dir) == 0;
    if (!ok) dir[0] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, pathname);
  }
  resolve_path(&program, path, resolved);
  program.executable = pathname[0] ? pathname : path;
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  long result = SYSCALL(SYS_execveat, dirfd, pathname, argv, env, flags, 0);
  /* Kernels before 3.19 (and some emulators) lack execveat: the resolved path is the same program. */
  if (result == -ENOSYS && path[0] == '/') return raw_execve(path, argv, env);
  return failed_with(result);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr,
                       char *const argv[], char *const envp[]) {
  struct program program;
  char resolved[PATH_MAX];
  resolve_path(&program, path, resolved);
  if (judge(&program, argv) != 0) return EACCES;
  WITH_GUARDED_ENV(envp, env);
  posix_spawn_fn next = NEXT(real_posix_spawn, "posix_spawn");
  return next != NULL ? next(pid, path, actions, attr, argv, env) : ENOSYS;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr,
                        char *const argv[], char *const envp[]) {
  struct program program;
  char candidate[PATH_MAX], resolved[PATH_MAX];
  resolve_name(&program, file, candidate, resolved);
  if (judge(&program, argv) != 0) return EACCES;
  WITH_GUARDED_ENV(envp, env);
  posix_spawn_fn next = NEXT(real_posix_spawnp, "posix_spawnp");
  return next != NULL ? next(pid, file, actions, attr, argv, env) : ENOSYS;
}

/*
 * glibc's system and popen start /bin/sh through internal calls that no preload sees: /bin/sh is judged
 * here, and the shell (which carries the guard) judges what the command starts.
 */
EXPORT int system(const char *command) {
  system_fn next = NEXT(real_system, "system");
  if (next == NULL) {
    errno = ENOSYS;
    return -1;
  }
  if (command == NULL) return next(command);
  struct program program;
  char resolved[PATH_MAX];
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  resolve_path(&program, "/bin/sh", resolved);
  if (judge(&program, argv) != 0) return -1;
  guard_own_environment();
  return next(command);
}

EXPORT FILE *popen(const char *command, const char *type) {
  struct program program;
  char resolved[PATH_MAX];
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  resolve_path(&program, "/bin/sh", resolved);
  if (judge(&program, argv) != 0) return NULL;
  guard_own_environment();
  popen_fn next = NEXT(real_popen, "popen");
  if (next == NULL) {
    errno = ENOSYS;
    return NULL;
  }
  return next(command, type);
}
