/*
 * vigil-guard: the protection layer's exec guard. vigil-wrapper loads it with LD_PRELOAD into the Lambda
 * runtime, and it puts itself back into the environment of every program started, so every descendant
 * carries it. It judges each libc call that starts a program (the exec family, fexecve, execveat,
 * posix_spawn[p], system, popen) against the rule table the layer compiles from the bundle
 * (layers/core/engine/guard-rules.ts), refuses with EACCES where a rule blocks, and appends one line per
 * decision with a violation to the event spool the layer reports from.
 *
 * Constraints, and why:
 *  - No allocation on the decision path: execve may run in a vfork child, where malloc can deadlock. The
 *    table is read into an mmap-ed buffer, indexed in static arrays, and environments are built on the stack.
 *  - Only libc symbols that Amazon Linux 2 (glibc 2.26) provides: stat-family calls are raw syscalls
 *    (glibc 2.33 versioned the stat functions), dlsym is bound to its original version (glibc 2.34 moved it
 *    into libc under a new one). A test reads the built library's symbol versions.
 *  - Statically linked programs and raw syscalls never pass through libc: out of reach of any LD_PRELOAD guard.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver dlsym,dlsym@GLIBC_2.17");
#endif

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

#define EXPORT __attribute__((visibility("default")))

/* Bounds shared with GUARD_RULE_LIMITS in layers/core/engine/guard-rules.ts. */
#define MAX_RULES 1024
#define MAX_PATTERNS 16384
#define MAX_TABLE_BYTES (1024 * 1024)
/* One event line is written with one write(2) of at most PIPE_BUF bytes, so concurrent lines never interleave. */
#define MAX_EVENT_BYTES 4096
/* The spool stops growing here (the layer rotates it long before). */
#define MAX_SPOOL_BYTES (8 * 1024 * 1024)

enum control { BLOCKED_EXECUTABLES, DRIFT_PREVENTION, BLOCK_ALL_PROCESSES };
enum state { STATE_MISSING, STATE_NONE, STATE_BUNDLE };

struct pattern {
  unsigned offset; /* into the table buffer, unescaped in place */
  unsigned length;
  int has_slash;
};

struct rule {
  unsigned id;
  enum control control;
  int blocks;
  unsigned first_pattern;
  unsigned patterns;
};

/* The table in force, and what identifies the file it was read from. */
static struct {
  enum state state;
  int fail_closed;
  long long started_ms;
  unsigned long long generation;
  unsigned rules;
  struct rule rule[MAX_RULES];
  unsigned patterns;
  struct pattern pattern[MAX_PATTERNS];
  char *buffer;
  unsigned long long dev, ino, size;
  long long mtime_sec, mtime_nsec;
} table;

static volatile int table_lock;

static char rules_path[PATH_MAX];
static char spool_path[PATH_MAX];
/* Entries re-added to every started program's environment: "NAME=value". */
static char preload_entry[PATH_MAX + 16];
static char dir_entry[PATH_MAX + 32];
static char failmode_entry[64];
static int env_fail_closed;
/*
 * The last refusal this process reported. Shells and execvp-style searches try the next PATH entry after
 * EACCES (with a merged /usr, /usr/bin/id and then /bin/id): one attempted program is reported once.
 */
static struct {
  int pid;
  unsigned long long fingerprint;
} last_refusal;
static int configured;

typedef int (*posix_spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                              char *const[], char *const[]);
typedef int (*execvpe_fn)(const char *, char *const[], char *const[]);
typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

static posix_spawn_fn real_posix_spawn, real_posix_spawnp;
static execvpe_fn real_execvpe;
static system_fn real_system;
static popen_fn real_popen;

static void lock(void) {
  while (__atomic_exchange_n(&table_lock, 1, __ATOMIC_ACQUIRE)) {
  }
}
static void unlock(void) { __atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE); }

static int stat_path(const char *path, struct stat *st, int follow) {
  return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

static int stat_fd(int fd, struct stat *st) { return (int)syscall(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH); }

static size_t bounded_copy(char *to, size_t size, const char *from) {
  size_t n = strlen(from);
  if (n >= size) n = size - 1;
  memcpy(to, from, n);
  to[n] = 0;
  return n;
}

/* ------------------------------------------------------------------ configuration */

__attribute__((constructor)) static void guard_init(void) {
  const char *dir = getenv("VIGIL_GUARD_DIR");
  const char *preload = getenv("LD_PRELOAD");
  const char *failmode = getenv("VIGIL_FAIL_MODE");
  real_posix_spawn = (posix_spawn_fn)dlsym(RTLD_NEXT, "posix_spawn");
  real_posix_spawnp = (posix_spawn_fn)dlsym(RTLD_NEXT, "posix_spawnp");
  real_execvpe = (execvpe_fn)dlsym(RTLD_NEXT, "execvpe");
  real_system = (system_fn)dlsym(RTLD_NEXT, "system");
  real_popen = (popen_fn)dlsym(RTLD_NEXT, "popen");
  if (dir == NULL || dir[0] != '/' || strlen(dir) > PATH_MAX - 32) dir = "/tmp/vigil-guard";
  snprintf(rules_path, sizeof rules_path, "%s/rules", dir);
  snprintf(spool_path, sizeof spool_path, "%s/events", dir);
  snprintf(dir_entry, sizeof dir_entry, "VIGIL_GUARD_DIR=%s", dir);
  env_fail_closed = failmode != NULL && strcmp(failmode, "closed") == 0;
  snprintf(failmode_entry, sizeof failmode_entry, "VIGIL_FAIL_MODE=%s", env_fail_closed ? "closed" : "open");
  /* The guard's own entry of LD_PRELOAD (the loader accepts ':' and ' ' between entries): descendants load it. */
  for (const char *entry = preload; entry != NULL && *entry;) {
    size_t length = strcspn(entry, ": ");
    if (length > 0 && length < PATH_MAX && entry[0] == '/' && memmem(entry, length, "vigil-guard", 11) != NULL) {
      snprintf(preload_entry, sizeof preload_entry, "LD_PRELOAD=%.*s", (int)length, entry);
      break;
    }
    entry += length;
    entry += strspn(entry, ": ");
  }
  configured = preload_entry[0] != 0;
  /* A fork while another thread held the table lock: that thread does not exist in the child. */
  pthread_atfork(NULL, NULL, unlock);
  /* Tells the layer in this process that the guard is loaded here (and decides what it reports). */
  char pid[32];
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  setenv("VIGIL_GUARD_LOADED", pid, 1);
}

/* ------------------------------------------------------------------ rule table */

static int unescape(char *text, unsigned length) {
  unsigned out = 0;
  for (unsigned i = 0; i < length; i++) {
    char c = text[i];
    if (c == '\\' && i + 1 < length) {
      char n = text[++i];
      c = n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n == '0' ? 0 : n;
    }
    text[out++] = c;
  }
  return (int)out;
}

static char *next_line(char **cursor, char *end, unsigned *length) {
  char *line = *cursor;
  if (line >= end) return NULL;
  char *newline = memchr(line, '\n', (size_t)(end - line));
  if (newline == NULL) return NULL; /* a line without its end: the file is cut */
  *length = (unsigned)(newline - line);
  *cursor = newline + 1;
  return line;
}

static int starts(const char *line, unsigned length, const char *word) {
  size_t n = strlen(word);
  return length >= n && memcmp(line, word, n) == 0;
}

/* Parses the buffer; 0 when the table is well formed (state set), -1 otherwise. */
static int parse_table(char *buffer, size_t size) {
  char *cursor = buffer, *end = buffer + size, *line;
  unsigned length;
  int saw_end = 0;
  table.rules = 0;
  table.patterns = 0;
  table.state = STATE_MISSING;
  line = next_line(&cursor, end, &length);
  if (line == NULL || length != 13 || memcmp(line, "vigil-guard 1", 13) != 0) return -1;
  while ((line = next_line(&cursor, end, &length)) != NULL) {
    line[length] = 0;
    if (starts(line, length, "p ")) {
      if (table.rules == 0 || table.patterns >= MAX_PATTERNS) return -1;
      struct rule *rule = &table.rule[table.rules - 1];
      struct pattern *pattern = &table.pattern[table.patterns++];
      pattern->offset = (unsigned)(line + 2 - buffer);
      pattern->length = (unsigned)unescape(line + 2, length - 2);
      pattern->has_slash = memchr(line + 2, '/', pattern->length) != NULL;
      rule->patterns++;
    } else if (starts(line, length, "rule ")) {
      char control[64], mode[16];
      unsigned id, count;
      if (table.rules >= MAX_RULES || sscanf(line, "rule %u %63s %15s %u", &id, control, mode, &count) != 4) return -1;
      struct rule *rule = &table.rule[table.rules++];
      rule->id = id;
      if (strcmp(control, "blockedExecutables") == 0) rule->control = BLOCKED_EXECUTABLES;
      else if (strcmp(control, "driftPrevention") == 0) rule->control = DRIFT_PREVENTION;
      else if (strcmp(control, "blockAllProcesses") == 0) rule->control = BLOCK_ALL_PROCESSES;
      else return -1;
      rule->blocks = strcmp(mode, "block") == 0;
      rule->first_pattern = table.patterns;
      rule->patterns = 0;
    } else if (starts(line, length, "generation ")) {
      table.generation = strtoull(line + 11, NULL, 10);
    } else if (starts(line, length, "started ")) {
      table.started_ms = strtoll(line + 8, NULL, 10);
    } else if (starts(line, length, "failmode ")) {
      table.fail_closed = strcmp(line + 9, "closed") == 0;
    } else if (starts(line, length, "state ")) {
      /* "oversize" (and anything unknown) is a table without a usable bundle: the fail mode decides. */
      table.state = strcmp(line + 6, "bundle") == 0 ? STATE_BUNDLE : STATE_NONE;
    } else if (length == 3 && memcmp(line, "end", 3) == 0) {
      saw_end = 1;
      break;
    }
  }
  if (!saw_end || table.state == STATE_MISSING) {
    table.state = STATE_MISSING;
    return -1;
  }
  return 0;
}

/* Brings the table up to date with the file: one stat when nothing changed. Called with the lock held. */
static void refresh_table(void) {
  struct stat st;
  if (stat_path(rules_path, &st, 1) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_TABLE_BYTES) {
    table.state = STATE_MISSING;
    table.ino = 0;
    return;
  }
  if (table.state != STATE_MISSING && table.ino == (unsigned long long)st.st_ino && table.dev == (unsigned long long)st.st_dev &&
      table.size == (unsigned long long)st.st_size && table.mtime_sec == (long long)st.st_mtim.tv_sec &&
      table.mtime_nsec == (long long)st.st_mtim.tv_nsec)
    return;
  if (table.buffer == NULL) {
    void *buffer = mmap(NULL, MAX_TABLE_BYTES + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buffer == MAP_FAILED) {
      table.state = STATE_MISSING;
      return;
    }
    table.buffer = buffer;
  }
  int fd = open(rules_path, O_RDONLY | O_CLOEXEC);
  size_t size = 0;
  if (fd >= 0) {
    if (stat_fd(fd, &st) == 0) {
      ssize_t n;
      while (size < MAX_TABLE_BYTES && (n = read(fd, table.buffer + size, MAX_TABLE_BYTES - size)) > 0) size += (size_t)n;
    }
    close(fd);
  }
  if (fd < 0 || parse_table(table.buffer, size) != 0) {
    table.state = STATE_MISSING;
    table.ino = 0;
    return;
  }
  table.dev = (unsigned long long)st.st_dev;
  table.ino = (unsigned long long)st.st_ino;
  table.size = (unsigned long long)st.st_size;
  table.mtime_sec = (long long)st.st_mtim.tv_sec;
  table.mtime_nsec = (long long)st.st_mtim.tv_nsec;
}

/* ------------------------------------------------------------------ matching (as layers/core/scope/glob.ts) */

/* A glob where "*" matches any run of characters (including "/"), everything else itself. */
static int glob_match(const char *glob, size_t glob_length, const char *value, size_t value_length) {
  const char *star = memchr(glob, '*', glob_length);
  if (star == NULL) return glob_length == value_length && memcmp(glob, value, value_length) == 0;
  size_t prefix = (size_t)(star - glob);
  const char *last_star = glob + glob_length - 1;
  while (*last_star != '*') last_star--;
  size_t suffix = (size_t)(glob + glob_length - last_star - 1);
  if (value_length < prefix + suffix) return 0;
  if (memcmp(glob, value, prefix) != 0 || memcmp(last_star + 1, value + value_length - suffix, suffix) != 0) return 0;
  /* The leftmost occurrence of each middle segment is never worse than a later one: no backtracking. */
  size_t cursor = prefix, end = value_length - suffix;
  const char *segment = star + 1;
  while (segment <= last_star) {
    const char *next = memchr(segment, '*', (size_t)(last_star - segment + 1));
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
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* A pattern with "/" is matched against the whole value, one without against its last segment. */
static int program_matches(const struct rule *rule, const char *value) {
  if (value == NULL) return 0;
  const char *base = base_name(value);
  size_t value_length = strlen(value), base_length = strlen(base);
  for (unsigned i = 0; i < rule->patterns; i++) {
    const struct pattern *p = &table.pattern[rule->first_pattern + i];
    const char *glob = table.buffer + p->offset;
    if (p->has_slash ? glob_match(glob, p->length, value, value_length) : glob_match(glob, p->length, base, base_length)) return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ programs */

struct program {
  const char *executable; /* as invoked */
  char resolved[PATH_MAX]; /* after PATH lookup and realpath; empty when not found */
  long long newest_change_ms; /* the later of mtime and ctime */
  int created_after_start; /* set by judge, against the table's start time */
  int exists;
};

static int regular_file(const char *path, struct stat *st) { return stat_path(path, st, 1) == 0 && S_ISREG(st->st_mode); }

static void finish_resolution(struct program *program, const char *candidate, const struct stat *st) {
  program->exists = 1;
  if (realpath(candidate, program->resolved) == NULL) {
    program->resolved[0] = 0;
    return;
  }
  /* ctime cannot be set back by the function (unlike mtime), so a copied or chmod-ed file counts. */
  long long mtime_ms = (long long)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
  long long ctime_ms = (long long)st->st_ctim.tv_sec * 1000 + st->st_ctim.tv_nsec / 1000000;
  program->newest_change_ms = mtime_ms > ctime_ms ? mtime_ms : ctime_ms;
}

/* A path as the kernel runs it (relative to the working directory). */
static void resolve_path(struct program *program, const char *path) {
  struct stat st;
  program->executable = path;
  program->resolved[0] = 0;
  program->created_after_start = 0;
  program->exists = 0;
  if (regular_file(path, &st)) finish_resolution(program, path, &st);
}

/* A name looked up in PATH as execvp does (the caller's PATH; glibc's default when unset). */
static void resolve_name(struct program *program, const char *file) {
  if (strchr(file, '/') != NULL) {
    resolve_path(program, file);
    return;
  }
  program->executable = file;
  program->resolved[0] = 0;
  program->created_after_start = 0;
  program->exists = 0;
  const char *path = getenv("PATH");
  if (path == NULL) path = "/bin:/usr/bin";
  size_t file_length = strlen(file);
  char candidate[PATH_MAX];
  while (1) {
    const char *colon = strchr(path, ':');
    size_t dir_length = colon ? (size_t)(colon - path) : strlen(path);
    if (dir_length + file_length + 2 < sizeof candidate) {
      if (dir_length == 0) {
        memcpy(candidate, file, file_length + 1); /* an empty entry is the working directory */
      } else {
        memcpy(candidate, path, dir_length);
        candidate[dir_length] = '/';
        memcpy(candidate + dir_length + 1, file, file_length + 1);
      }
      struct stat st;
      if (regular_file(candidate, &st) && access(candidate, X_OK) == 0) {
        finish_resolution(program, candidate, &st);
        return;
      }
    }
    if (colon == NULL) return;
    path = colon + 1;
  }
}

/* A descriptor's path, through /proc (fexecve, execveat). */
static int fd_path(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, size - 1);
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

/*
 * G1 <generation> <refused 0|1> <createdAfterStart 0|1> <rule ids,> <executable> <resolved> <argc> <argv...>
 * Fields are tab-separated, \\ \t \n \r escaped; arguments that do not fit the line are left out.
 */
static void report(const struct program *program, int refused, const unsigned *fired, unsigned fired_count, char *const argv[]) {
  char line[MAX_EVENT_BYTES];
  size_t used = (size_t)snprintf(line, sizeof line, "G1\t%llu\t%d\t%d\t", table.generation, refused, program->created_after_start);
  for (unsigned i = 0; i < fired_count && used < 200; i++)
    used += (size_t)snprintf(line + used, sizeof line - used, i ? ",%u" : "%u", fired[i]);
  used = append_field(line, used, program->executable);
  used = append_field(line, used, program->resolved);
  int argc = 0;
  while (argv != NULL && argv[argc] != NULL) argc++;
  char count[16];
  snprintf(count, sizeof count, "%d", argc);
  used = append_field(line, used, count);
  for (int i = 0; i < argc && used < MAX_EVENT_BYTES - 3; i++) used = append_field(line, used, argv[i]);
  line[used++] = '\n';
  int fd = open(spool_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  struct stat st;
  if (stat_fd(fd, &st) == 0 && st.st_size < MAX_SPOOL_BYTES) {
    ssize_t ignored = write(fd, line, used);
    (void)ignored;
  }
  close(fd);
}

static void say(const char *what, const char *program) {
  char line[512];
  int n = snprintf(line, sizeof line, "vigil-guard: %s refused: %s\n", program, what);
  if (n > 0) {
    ssize_t ignored = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)ignored;
  }
}

/* ------------------------------------------------------------------ decisions */

static unsigned long long fnv1a(unsigned long long hash, const char *text) {
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) hash = (hash ^ *c) * 1099511628211ULL;
  return (hash ^ 0xff) * 1099511628211ULL;
}

/* True when this process refused the same program with the same arguments last time (and remembers this one). */
static int repeated_refusal(const char *effective, char *const argv[]) {
  unsigned long long fingerprint = fnv1a(14695981039346656037ULL, effective);
  for (int i = 0; argv != NULL && argv[i] != NULL; i++) fingerprint = fnv1a(fingerprint, argv[i]);
  int pid = (int)syscall(SYS_getpid);
  int repeated = last_refusal.pid == pid && last_refusal.fingerprint == fingerprint;
  last_refusal.pid = pid;
  last_refusal.fingerprint = fingerprint;
  return repeated;
}

/* 0: allowed; -1: refused (errno EACCES). Reports what a rule objects to. */
static int judge(struct program *program, char *const argv[]) {
  if (!configured) return 0;
  int saved_errno = errno;
  lock();
  refresh_table();
  if (table.state != STATE_BUNDLE) {
    int closed = table.state == STATE_NONE ? table.fail_closed : env_fail_closed;
    unlock();
    errno = saved_errno;
    if (!closed) return 0;
    say("no policy bundle is available and the fail mode is closed", program->executable);
    errno = EACCES;
    return -1;
  }
  if (table.rules == 0 || !program->exists) {
    /* A program that does not exist cannot run: execvp-style searches try paths that are not there. */
    unlock();
    errno = saved_errno;
    return 0;
  }
  const char *resolved = program->resolved[0] ? program->resolved : NULL;
  program->created_after_start = resolved != NULL && program->newest_change_ms > table.started_ms;
  const char *effective = resolved ? resolved : program->executable;
  int under_tmp = strcmp(effective, "/tmp") == 0 || strncmp(effective, "/tmp/", 5) == 0;
  unsigned fired[MAX_RULES];
  unsigned fired_count = 0;
  int refused = 0;
  for (unsigned r = 0; r < table.rules; r++) {
    const struct rule *rule = &table.rule[r];
    int matches = program_matches(rule, program->executable) || program_matches(rule, resolved);
    int objects = 0;
    switch (rule->control) {
      case BLOCKED_EXECUTABLES:
        objects = matches;
        break;
      case DRIFT_PREVENTION:
        objects = (under_tmp || program->created_after_start) && !matches;
        break;
      case BLOCK_ALL_PROCESSES:
        objects = !matches;
        break;
    }
    if (objects) {
      fired[fired_count++] = rule->id;
      if (rule->blocks) refused = 1;
    }
  }
  if (fired_count > 0 && !(refused && repeated_refusal(effective, argv))) report(program, refused, fired, fired_count, argv);
  unlock();
  errno = refused ? EACCES : saved_errno;
  return refused ? -1 : 0;
}

/* ------------------------------------------------------------------ environments */

static int named(const char *entry, const char *name_eq) { return strncmp(entry, name_eq, strlen(name_eq)) == 0; }

static int count_env(char *const envp[]) {
  int n = 0;
  while (envp != NULL && envp[n] != NULL) n++;
  return n;
}

/*
 * Fills `out` (room for count_env(envp) + 4 entries) with envp, our LD_PRELOAD first in LD_PRELOAD, and the
 * guard's directory and fail mode as this process had them: a descendant that dropped or changed them does
 * not shed the guard. `preload` receives a combined LD_PRELOAD when the program had preloads of its own.
 */
static char *const *guarded_env(char *const envp[], char **out, char *preload, size_t preload_size) {
  if (!configured) return envp;
  const char *ours = preload_entry + strlen("LD_PRELOAD=");
  int n = 0;
  const char *preload_value = preload_entry;
  for (int i = 0; envp != NULL && envp[i] != NULL; i++) {
    const char *entry = envp[i];
    if (named(entry, "VIGIL_GUARD_DIR=") || named(entry, "VIGIL_FAIL_MODE=")) continue;
    if (named(entry, "LD_PRELOAD=")) {
      const char *theirs = entry + strlen("LD_PRELOAD=");
      if (strstr(theirs, ours) == NULL && theirs[0] != 0 && strlen(theirs) + strlen(preload_entry) + 2 < preload_size) {
        size_t head = strlen(preload_entry), tail = strlen(theirs);
        memcpy(preload, preload_entry, head);
        preload[head] = ':';
        memcpy(preload + head + 1, theirs, tail + 1);
        preload_value = preload;
      } else if (strstr(theirs, ours) != NULL) {
        preload_value = entry;
      }
      continue;
    }
    out[n++] = (char *)entry;
  }
  out[n++] = (char *)preload_value;
  out[n++] = dir_entry;
  out[n++] = failmode_entry;
  out[n] = NULL;
  return out;
}

/* Keeps this process's own environment guarded too (system, popen start /bin/sh with `environ`). */
static void guard_own_environment(void) {
  if (!configured) return;
  const char *ours = preload_entry + strlen("LD_PRELOAD=");
  const char *current = getenv("LD_PRELOAD");
  if (current == NULL || strstr(current, ours) == NULL) setenv("LD_PRELOAD", ours, 1);
  setenv("VIGIL_GUARD_DIR", dir_entry + strlen("VIGIL_GUARD_DIR="), 1);
  setenv("VIGIL_FAIL_MODE", failmode_entry + strlen("VIGIL_FAIL_MODE="), 1);
}

#define WITH_GUARDED_ENV(envp, name)                                    \
  char *name##_entries[count_env(envp) + 4];                            \
  char name##_preload[PATH_MAX * 2];                                    \
  char *const *name = guarded_env(envp, name##_entries, name##_preload, sizeof name##_preload)

/* ------------------------------------------------------------------ the intercepted calls */

static int raw_execve(const char *path, char *const argv[], char *const envp[]) {
  return (int)syscall(SYS_execve, path, argv, envp);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
  struct program program;
  resolve_path(&program, path);
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  return raw_execve(path, argv, env);
}

EXPORT int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
  struct program program;
  resolve_name(&program, file);
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  if (real_execvpe == NULL) return raw_execve(program.exists ? program.resolved : file, argv, env);
  /* glibc's own search (and its /bin/sh fallback for scripts without "#!") runs below the interception. */
  return real_execvpe(file, argv, env);
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
  char path[PATH_MAX];
  if (fd_path(fd, path, sizeof path) != 0) bounded_copy(path, sizeof path, "");
  resolve_path(&program, path);
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  int result = (int)syscall(SYS_execveat, fd, "", argv, env, AT_EMPTY_PATH);
  if (result != 0 && errno == ENOSYS) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return raw_execve(proc, argv, env);
  }
  return result;
}

EXPORT int execveat(int dirfd, const char *pathname, char *const argv[], char *const envp[], int flags) {
  struct program program;
  char path[PATH_MAX];
  if (pathname[0] == '/') {
    bounded_copy(path, sizeof path, pathname);
  } else if (pathname[0] == 0 && (flags & AT_EMPTY_PATH)) {
    if (fd_path(dirfd, path, sizeof path) != 0) path[0] = 0;
  } else {
    char dir[PATH_MAX];
    int ok = dirfd == AT_FDCWD ? getcwd(dir, sizeof dir) != NULL : fd_path(dirfd, dir, sizeof dir) == 0;
    if (!ok) dir[0] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, pathname);
  }
  resolve_path(&program, path);
  program.executable = pathname[0] ? pathname : path;
  if (judge(&program, argv) != 0) return -1;
  WITH_GUARDED_ENV(envp, env);
  int result = (int)syscall(SYS_execveat, dirfd, pathname, argv, env, flags);
  /* Kernels before 3.19 (and some emulators) lack execveat: the resolved path is the same program. */
  if (result != 0 && errno == ENOSYS && path[0] == '/') return raw_execve(path, argv, env);
  return result;
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr,
                       char *const argv[], char *const envp[]) {
  struct program program;
  resolve_path(&program, path);
  if (judge(&program, argv) != 0) return EACCES;
  WITH_GUARDED_ENV(envp, env);
  return real_posix_spawn(pid, path, actions, attr, argv, env);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr,
                        char *const argv[], char *const envp[]) {
  struct program program;
  resolve_name(&program, file);
  if (judge(&program, argv) != 0) return EACCES;
  WITH_GUARDED_ENV(envp, env);
  return real_posix_spawnp(pid, file, actions, attr, argv, env);
}

/*
 * glibc's system and popen start /bin/sh through internal calls that no preload sees: /bin/sh is judged
 * here, and the shell (which carries the guard) judges what the command starts.
 */
EXPORT int system(const char *command) {
  if (command == NULL) return real_system(command);
  struct program program;
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  resolve_path(&program, "/bin/sh");
  if (judge(&program, argv) != 0) return -1;
  guard_own_environment();
  return real_system(command);
}

EXPORT FILE *popen(const char *command, const char *type) {
  struct program program;
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  resolve_path(&program, "/bin/sh");
  if (judge(&program, argv) != 0) return NULL;
  guard_own_environment();
  return real_popen(command, type);
}
