"""Matching a rule table of GET /v1/enforcers/rules (compiled by the control plane's core).

Nothing here decides scope, bypass or verdicts: the table lists only the rules that apply to this function,
each with its status (Block or Detect). This module matches events against their patterns exactly as the
core's matchers do (layers/core/scope/glob.ts, engine/control-kit.ts) and words violations as the engine's
messages do, so events read the same whichever layer sent them.
"""

import json
import os
import stat
import struct

FORMAT = "vigil-function-rules 1"
PROCESS_CONTROLS = ("blockedExecutables", "driftPrevention", "blockAllProcesses")
MAX_RULES = 5000
MAX_PATTERNS = 1000
MAX_TEXT = 4096


class RuleTableError(ValueError):
    """A rule table that is not what the control plane serves; the previous table stays in force."""


def glob_match(pattern, value):
    """A star-only glob (``*`` matches any run of characters, "/" included), matched without backtracking."""
    if "*" not in pattern:
        return pattern == value
    parts = pattern.split("*")
    prefix, suffix = parts[0], parts[-1]
    if len(value) < len(prefix) + len(suffix):
        return False
    if not value.startswith(prefix) or not value.endswith(suffix):
        return False
    cursor, end = len(prefix), len(value) - len(suffix)
    for segment in parts[1:-1]:
        if not segment:
            continue
        found = value.find(segment, cursor)
        if found < 0 or found + len(segment) > end:
            return False
        cursor = found + len(segment)
    return True


def any_glob(patterns, value):
    return any(glob_match(pattern, value) for pattern in patterns)


def program_matches(patterns, program):
    """Patterns with "/" match the full path, the others the last segment."""
    base = program.rsplit("/", 1)[-1]
    return any(glob_match(p, program) if "/" in p else glob_match(p, base) for p in patterns)


def quoted(text):
    """A value in a message: JSON-quoted, cut to 200 characters (as the engine's quoted())."""
    if len(text) > 200:
        return json.dumps(text[:200] + "\u2026", ensure_ascii=False)
    return json.dumps(text, ensure_ascii=False)


def _texts(value, path, limit=MAX_PATTERNS):
    if not isinstance(value, list) or len(value) > limit:
        raise RuleTableError("%s must be a list of at most %d texts" % (path, limit))
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_TEXT:
            raise RuleTableError("%s must hold texts of at most %d characters" % (path, MAX_TEXT))
    return tuple(value)


class Rule:
    __slots__ = ("id", "action", "control", "control_name", "status", "policy", "patterns", "hosts", "ports", "honeypot")

    def __init__(self, raw, index):
        path = "rules[%d]" % index
        if not isinstance(raw, dict):
            raise RuleTableError("%s must be an object" % path)
        self.id = raw.get("id")
        self.action = raw.get("action")
        self.control = raw.get("control")
        self.control_name = raw.get("controlName")
        self.status = raw.get("status")
        self.policy = raw.get("policy")
        if self.id != index:
            raise RuleTableError("%s.id must be %d" % (path, index))
        if self.status not in ("Block", "Detect"):
            raise RuleTableError("%s.status must be Block or Detect" % path)
        if not isinstance(self.control_name, str) or not isinstance(self.policy, dict):
            raise RuleTableError("%s needs controlName and policy" % path)
        if not isinstance(self.policy.get("name"), str) or not isinstance(self.policy.get("version"), int):
            raise RuleTableError("%s.policy needs name and version" % path)
        self.patterns = ()
        self.hosts = ()
        self.ports = ()
        self.honeypot = None
        if self.action == "process" and self.control in PROCESS_CONTROLS:
            self.patterns = _texts(raw.get("patterns"), path + ".patterns")
        elif self.action == "network" and self.control == "networkEgress":
            self.hosts = _texts(raw.get("allowedHosts"), path + ".allowedHosts")
            ports = raw.get("allowedPorts")
            if not isinstance(ports, list) or not all(isinstance(p, int) for p in ports):
                raise RuleTableError("%s.allowedPorts must be a list of ports" % path)
            self.ports = frozenset(ports)
        elif self.action == "honeypot" and self.control == "honeypot":
            apply_on = _texts(raw.get("applyOn"), path + ".applyOn", 2)
            self.honeypot = {
                "accessKeyId": raw.get("accessKeyId") if isinstance(raw.get("accessKeyId"), str) else None,
                "secretAccessKey": raw.get("secretAccessKey") if isinstance(raw.get("secretAccessKey"), str) else None,
                "environment": "environment" in apply_on,
                "file": "file" in apply_on,
            }
        else:
            raise RuleTableError("%s: %s/%s is not a function control" % (path, self.action, self.control))

    def violation(self, message):
        return {
            "status": self.status,
            "policy": self.policy["name"],
            "policyType": "function",
            "policyVersion": self.policy["version"],
            "control": self.control,
            "controlName": self.control_name,
            "enforcementMode": self.policy.get("enforcementMode", "audit"),
            "action": self.action,
            "message": message,
        }

    # -- process controls (engine/process-controls.ts)

    def judge_process(self, executable, resolved, created_after_start):
        """The engine's message when the program violates this rule, else None."""
        program = resolved or executable

        def listed():
            return program_matches(self.patterns, executable) or (resolved is not None and program_matches(self.patterns, resolved))

        if self.control == "blockedExecutables":
            return "%s is a blocked executable" % quoted(program) if listed() else None
        if self.control == "driftPrevention":
            under_tmp = program == "/tmp" or program.startswith("/tmp/")
            if not under_tmp and not created_after_start:
                return None
            if listed():
                return None
            why = "is located under /tmp" if under_tmp else "was created after the workload started"
            return "%s %s (drift)" % (quoted(program), why)
        if self.control == "blockAllProcesses":
            return None if listed() else "starting %s is not allowed" % quoted(program)
        return None

    # -- networkEgress (engine/network-controls.ts)

    def judge_connection(self, host, port):
        if not any_glob(self.hosts, host):
            return "outbound connection to %s is not allowed" % quoted(host)
        if self.ports and port is not None and port not in self.ports:
            return "outbound connection to %s on port %d is not allowed" % (quoted(host), port)
        return None


def honeypot_message(source, detail):
    return "honeypot credentials were read from the %s%s" % (source, " (%s)" % detail if detail else "")


class RuleTable:
    """A decoded table: rules by action, in configuration order."""

    def __init__(self, raw):
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise RuleTableError("the rule table must be an object of format %r" % FORMAT)
        revision = raw.get("revision")
        if not isinstance(revision, int) or revision < 0:
            raise RuleTableError("revision must be a whole number")
        group = raw.get("group")
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            raise RuleTableError("group must name the enforcer group")
        rules = raw.get("rules")
        if not isinstance(rules, list) or len(rules) > MAX_RULES:
            raise RuleTableError("rules must be a list of at most %d rules" % MAX_RULES)
        self.revision = revision
        self.group = group["name"]
        self.guard_oversize = raw.get("guardOversize") is True
        self.rules = tuple(Rule(rule, i) for i, rule in enumerate(rules))
        self.process = tuple(r for r in self.rules if r.action == "process")
        self.network = tuple(r for r in self.rules if r.action == "network")
        self.honeypots = tuple(r for r in self.rules if r.action == "honeypot")
        poll = raw.get("pollIntervalSeconds")
        self.poll_interval = poll if isinstance(poll, int) and poll > 0 else None

    def process_violations(self, executable, resolved, created_after_start):
        found = []
        for rule in self.process:
            message = rule.judge_process(executable, resolved, created_after_start)
            if message is not None:
                found.append(rule.violation(message))
        return found

    def guard_violations(self, rule_ids, executable, resolved, created_after_start):
        """The violations of a guard event line (rule ids of the guard table, which are these rules' ids)."""
        found = []
        for rule_id in rule_ids:
            if 0 <= rule_id < len(self.rules) and self.rules[rule_id].action == "process":
                rule = self.rules[rule_id]
                message = rule.judge_process(executable, resolved, created_after_start)
                program = resolved or executable
                found.append(rule.violation(message or "%s was refused by the exec guard" % quoted(program)))
        return found

    def connection_violations(self, host, port):
        found = []
        for rule in self.network:
            message = rule.judge_connection(host, port)
            if message is not None:
                found.append(rule.violation(message))
        return found

    def guard_table(self, generation, started_ms, fail_mode):
        """The native guard's binary table (layers/core/engine/guard-rules.ts, encodeGuardTable) for these process rules."""
        revision = self.revision
        if not self.guard_oversize:
            rules = [(r.id, r.control, r.status == "Block", r.patterns) for r in self.process]
            encoded = encode_guard_table(generation, revision, started_ms, fail_mode, "bundle", rules)
            if encoded is not None:
                return encoded
        # The control plane found the rules too large for the guard (or they are): the guard follows the fail mode.
        return encode_guard_table(generation, revision, started_ms, fail_mode, "oversize", [])


# The guard's table layout (layers/core/engine/guard-rules.ts): little-endian, every field naturally aligned.
GUARD_TABLE_MAGIC = b"VGRT"
GUARD_TABLE_VERSION = 2
GUARD_HEADER_BYTES, GUARD_RULE_BYTES, GUARD_PATTERN_BYTES = 56, 16, 8
GUARD_LIMITS = {"rules": 1024, "patterns": 16384, "patternBytes": 4096, "tableBytes": 1024 * 1024}
_GUARD_STATES = {"none": 0, "bundle": 1, "oversize": 2}
_GUARD_CONTROLS = {"blockedExecutables": 0, "driftPrevention": 1, "blockAllProcesses": 2}
_NO_REVISION = 0xFFFFFFFFFFFFFFFF


def encode_guard_table(generation, revision, started_ms, fail_mode, state, rules):
    """The table's bytes, or None when they would exceed the guard's bounds. rules: (id, control, blocks, patterns)."""
    patterns = [p.encode("utf-8") for rule in rules for p in rule[3]]
    if len(rules) > GUARD_LIMITS["rules"] or len(patterns) > GUARD_LIMITS["patterns"]:
        return None
    if any(len(p) > GUARD_LIMITS["patternBytes"] for p in patterns):
        return None
    strings_at = GUARD_HEADER_BYTES + len(rules) * GUARD_RULE_BYTES + len(patterns) * GUARD_PATTERN_BYTES
    length = strings_at + sum(len(p) for p in patterns)
    if length > GUARD_LIMITS["tableBytes"]:
        return None
    out = bytearray(
        struct.pack(
            "<4sIIIIIIIQQQ",
            GUARD_TABLE_MAGIC,
            GUARD_TABLE_VERSION,
            length,
            _GUARD_STATES[state],
            1 if fail_mode == "closed" else 0,
            len(rules),
            len(patterns),
            0,
            generation,
            max(0, int(started_ms)),
            _NO_REVISION if revision is None else revision,
        )
    )
    entries, string_at, index = bytearray(), strings_at, 0
    for rule_id, control, blocks, texts in rules:
        out += struct.pack("<IHHII", rule_id, _GUARD_CONTROLS[control], 1 if blocks else 0, index, len(texts))
        for text in texts:
            encoded = patterns[index]
            entries += struct.pack("<IHH", string_at, len(encoded), 1 if "/" in text else 0)
            string_at += len(encoded)
            index += 1
    out += entries
    for encoded in patterns:
        out += encoded
    return bytes(out)


def guard_table_without_rules(generation, started_ms, fail_mode):
    return encode_guard_table(generation, None, started_ms, fail_mode, "none", [])


def resolve_program(program, path_variable, cwd=None):
    """(resolved path or None, newest change in ms or None): PATH lookup as execvp, then realpath."""
    candidates = []
    if "/" in program:
        candidates.append(program if os.path.isabs(program) else os.path.join(cwd or os.getcwd(), program))
    else:
        for directory in (path_variable if path_variable is not None else "/bin:/usr/bin").split(":"):
            candidates.append(os.path.join(directory or (cwd or os.getcwd()), program))
    for candidate in candidates:
        try:
            st = os.stat(candidate)
        except (OSError, ValueError):
            continue
        if not stat.S_ISREG(st.st_mode) or ("/" not in program and not os.access(candidate, os.X_OK)):
            continue
        newest = max(st.st_mtime_ns, st.st_ctime_ns) // 1_000_000
        return os.path.realpath(candidate), newest
    return None, None
