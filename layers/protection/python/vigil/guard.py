"""The Python side of the native exec guard (layers/protection/native, ADR 0013).

The process that owns the guard's directory writes the rule table there atomically and reads back the
guard's event lines, exactly as the Node layer's nativeGuard.ts does: one table format, one spool format.
"""

import os
import time

KEPT_TABLES = 8
ROTATE_AFTER_BYTES = 1024 * 1024
READ_CHUNK_BYTES = 256 * 1024


def _unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_guard_line(line):
    """`G1 generation refused createdAfterStart ids executable resolved argc argv...` or None."""
    fields = line.split("\t")
    if len(fields) < 8 or fields[0] != "G1":
        return None
    try:
        generation = int(fields[1])
    except ValueError:
        return None
    ids = [int(i) for i in fields[4].split(",") if i.isdigit()]
    resolved = _unescape(fields[6])
    return {
        "generation": generation,
        "refused": fields[2] == "1",
        "created_after_start": fields[3] == "1",
        "rule_ids": ids,
        "executable": _unescape(fields[5]),
        "resolved": resolved or None,
        "command": [_unescape(f) for f in fields[8:]],
    }


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


class NativeGuard:
    @staticmethod
    def attach(env, pid=None):
        """The guard as vigil-wrapper loaded it into this process, or None."""
        pid = os.getpid() if pid is None else pid
        if env.get("VIGIL_GUARD_LOADED") != str(pid):
            return None
        directory = env.get("VIGIL_GUARD_DIR") or ""
        return NativeGuard(directory if directory.startswith("/") else "/tmp/vigil-guard", pid)

    def __init__(self, directory, pid):
        self.dir = directory
        self.rules_path = os.path.join(directory, "rules")
        self.spool_path = os.path.join(directory, "events")
        # Generations of different owners (a restarted runtime) must not collide: start at the clock.
        self.generation = int(time.time() * 1000)
        self.tables = []
        self.offset = 0
        self.retired = None
        self.owner = self._claim(pid)

    def _claim(self, pid):
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        owner_file = os.path.join(self.dir, "owner")
        try:
            fd = os.open(owner_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("%d\n" % pid)
            return True
        except FileExistsError:
            pass
        try:
            with open(owner_file) as f:
                current = int(f.read().strip())
        except (OSError, ValueError):
            current = None
        if current is not None and current != pid and current > 0 and _alive(current):
            return False
        temp = "%s.%d" % (owner_file, pid)
        with open(temp, "w") as f:
            f.write("%d\n" % pid)
        os.replace(temp, owner_file)
        return True

    def write(self, make_table, table):
        """Writes the bytes make_table(generation) makes (temp file, then rename: the guard never maps half a
        table) and keeps `table` to explain the events of that generation."""
        if not self.owner:
            return
        self.generation += 1
        data = make_table(self.generation)
        temp = "%s.%d.tmp" % (self.rules_path, os.getpid())
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, self.rules_path)
        self.tables.append((self.generation, table))
        del self.tables[:-KEPT_TABLES]

    def collect(self):
        """(table, decision) of every guard event line written since the last call."""
        if not self.owner:
            return []
        lines = []
        if self.retired is not None:
            path, offset = self.retired
            while True:
                got, offset = self._read_lines(path, offset)
                if not got:
                    break
                lines.extend(got)
            try:
                os.unlink(path)
            except OSError:
                pass
            self.retired = None
        got, self.offset = self._read_lines(self.spool_path, self.offset)
        lines.extend(got)
        if self.offset >= ROTATE_AFTER_BYTES:
            path = "%s.%d.old" % (self.spool_path, self.generation)
            os.replace(self.spool_path, path)
            self.retired = (path, self.offset)
            self.offset = 0
        decisions = []
        for line in lines:
            parsed = parse_guard_line(line)
            if parsed is None:
                continue
            for generation, table in self.tables:
                if generation == parsed["generation"]:
                    if table is not None:
                        decisions.append((table, parsed))
                    break
        return decisions

    @staticmethod
    def _read_lines(path, offset):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return [], offset
        try:
            size = os.fstat(fd).st_size
            if size < offset:
                offset = 0
            length = min(size - offset, READ_CHUNK_BYTES)
            if length <= 0:
                return [], offset
            data = os.pread(fd, length, offset)
            end = data.rfind(b"\n")
            if end < 0:
                return [], offset
            return data[:end].decode("utf-8", "replace").split("\n"), offset + end + 1
        finally:
            os.close(fd)
