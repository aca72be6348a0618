"""The Python layer's one core per process: rule table, audit hooks, reporting and the control plane.

Every verdict comes from the rule table the control plane's core compiled for this function
(GET /v1/enforcers/rules): this module only matches events against it. Fail mode, audit/enforce and the
audit-only group behave as in the Node layer: a violation blocks only when its rule says Block, and while no
table is known, "closed" refuses every program and outbound connection and "open" allows them. A table
embedded at deploy time (VIGIL_RULES, the same table saved by `vigil rules`) is in force from the start
until the first served one arrives.
"""

import atexit
import functools
import json
import os
import socket
import sys
import threading
import time

from vigil.client import MAX_ANSWER_BYTES, ControlPlaneClient, ControlPlaneError
from vigil.guard import NativeGuard
from vigil.rules import RuleTable, RuleTableError, guard_table_without_rules, honeypot_message, resolve_program

LAYER_VERSION = "0.1.0"
HONEYPOT_ENV_NAMES = ("AWS_BACKUP_ACCESS_KEY_ID", "AWS_BACKUP_SECRET_ACCESS_KEY")
HONEYPOT_PROFILE = "backup-admin"
HONEYPOT_REPORT_INTERVAL_S = 60.0
MAX_QUEUED = 1000
BATCH_SIZE = 500
MAX_RESOLVED_ADDRESSES = 4096
SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "ash")

_instance = None
_instance_lock = threading.Lock()
# Set while Vigil's own thread talks to the control plane or a token store: those calls are not judged.
_internal = threading.local()


def log(message):
    sys.stderr.write("vigil: %s\n" % message)
    sys.stderr.flush()


def _uuid4():
    """A random (version 4) UUID; the uuid module is not imported for it (it loads platform, a cold-start cost)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def _positive(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _tags(text):
    tags = {}
    for pair in (text or "").split(","):
        key, eq, value = pair.partition("=")
        if eq and key.strip():
            tags[key.strip()] = value.strip()
    return tags


def _process_start_ms():
    """When this process started (drift: "created after start"), from /proc; now when /proc says nothing."""
    try:
        with open("/proc/self/stat", "rb") as f:
            ticks = int(f.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
        return int((boot + ticks / os.sysconf("SC_CLK_TCK")) * 1000)
    except (OSError, ValueError, IndexError, StopIteration):
        return int(time.time() * 1000)


class Config:
    def __init__(self, env):
        self.problems = []
        self.endpoint = (env.get("VIGIL_ENDPOINT") or "").rstrip("/") or None
        fail_mode = env.get("VIGIL_FAIL_MODE")
        if fail_mode not in (None, "open", "closed"):
            self.problems.append('VIGIL_FAIL_MODE must be "open" or "closed"; using "open"')
        self.fail_mode = "closed" if fail_mode == "closed" else "open"
        parameter = (env.get("VIGIL_TOKEN_PARAMETER") or "").strip() or None
        secret = (env.get("VIGIL_TOKEN_SECRET") or "").strip() or None
        value = env.get("VIGIL_TOKEN") or None
        given = [n for n, v in (("VIGIL_TOKEN_PARAMETER", parameter), ("VIGIL_TOKEN_SECRET", secret), ("VIGIL_TOKEN", value)) if v]
        if len(given) > 1:
            self.problems.append("%s are set: set one; using %s" % (" and ".join(given), given[0]))
        self.token_source = ("ssm", parameter) if parameter else ("secret", secret) if secret else ("value", value) if value else None
        if self.token_source and self.token_source[0] != "value" and len(self.token_source[1]) > 2048:
            self.problems.append("the token parameter or secret name is longer than 2048 characters; ignored")
            self.token_source = None
        self.ttl = _positive(env.get("VIGIL_BUNDLE_TTL_SECONDS"))
        self.flush_interval = (_positive(env.get("VIGIL_FLUSH_INTERVAL_MS")) or 1000) / 1000.0
        self.honeypot_file = env.get("VIGIL_HONEYPOT_FILE") or "/tmp/.aws/credentials"
        execution_env = env.get("AWS_EXECUTION_ENV") or ""
        self.function = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.runtime = execution_env[len("AWS_Lambda_"):] if execution_env.startswith("AWS_Lambda_") else execution_env or None
        self.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        self.account = env.get("VIGIL_AWS_ACCOUNT") or None
        self.tags = _tags(env.get("VIGIL_FUNCTION_TAGS"))
        self.runtime_api = env.get("AWS_LAMBDA_RUNTIME_API")
        self.embedded_rules = (env.get("VIGIL_RULES") or "").strip() or None


def read_embedded_rules(text):
    """The rule table of VIGIL_RULES (inline JSON, or the path of a file holding it), validated exactly as a
    served table is. Raises RuleTableError with a reason that never quotes the table's content."""
    if text.startswith("{"):
        raw = text.encode("utf-8")
    else:
        try:
            with open(text, "rb") as f:
                raw = f.read(MAX_ANSWER_BYTES + 1)
        except OSError as error:
            raise RuleTableError("the file %s could not be read (%s)" % (text, error.strerror or type(error).__name__)) from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise RuleTableError("it is larger than %d bytes" % MAX_ANSWER_BYTES)
    try:
        parsed = json.loads(raw)
    except ValueError as error:
        # The position only: a message quoting the text could carry the honeypot's decoy values into the log.
        raise RuleTableError("it is not JSON (%s at line %d, column %d)" % (type(error).__name__, getattr(error, "lineno", 0), getattr(error, "colno", 0))) from None
    return RuleTable(parsed)


def _describe(source):
    return {"ssm": "the SSM parameter %s", "secret": "the secret %s"}[source[0]] % source[1]


def _read_token(source):
    """Reads the token with the boto3 the Lambda Python runtime provides, imported only now (never bundled)."""
    import boto3  # noqa: PLC0415 -- loaded only when a token is kept in a store

    if source[0] == "ssm":
        return boto3.client("ssm").get_parameter(Name=source[1], WithDecryption=True)["Parameter"]["Value"]
    text = boto3.client("secretsmanager").get_secret_value(SecretId=source[1])["SecretString"]
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed["token"] if isinstance(parsed, dict) and isinstance(parsed.get("token"), str) else text


def _store_endpoint(source, region):
    """The host the token read connects to, which networkEgress does not judge."""
    env = os.environ
    override = env.get("AWS_ENDPOINT_URL_SSM" if source[0] == "ssm" else "AWS_ENDPOINT_URL_SECRETS_MANAGER") or env.get("AWS_ENDPOINT_URL")
    if override:
        from urllib.parse import urlsplit  # noqa: PLC0415

        parts = urlsplit(override)
        return (parts.hostname, parts.port or (80 if parts.scheme == "http" else 443))
    return ("%s.%s.amazonaws.com" % ("ssm" if source[0] == "ssm" else "secretsmanager", region or "us-east-1"), 443)


class Protection:
    @staticmethod
    def shared():
        global _instance
        with _instance_lock:
            if _instance is None:
                _instance = Protection(Config(os.environ)).install()
            return _instance

    def __init__(self, config):
        self.config = config
        for problem in config.problems:
            log(problem)
        self.table = None
        # Whether the table in force came from the control plane (not from VIGIL_RULES).
        self.served = False
        self.etag = None
        self.enforcer_id = None
        self.account = config.account
        self.token = config.token_source[1] if config.token_source and config.token_source[0] == "value" else None
        self.started_ms = _process_start_ms()
        self.queue = []
        self.dropped = 0
        self.delivered = 0
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.flushed = threading.Condition(self.lock)
        self.flush_rounds = 0
        self.ready = threading.Event()
        self.refresh_due = 0.0
        self.installed = False
        self.last_honeypot = {}
        self.planted_file = None
        self.honeypot_values = {}
        self.resolved = {}
        # (host, port) pairs never judged: the control plane, the Lambda Runtime API, the token store.
        self.exempt = set()
        self.pid = os.getpid()
        self.client = None
        if config.endpoint:
            try:
                self.client = ControlPlaneClient(config.endpoint, lambda: self.token)
                self.exempt.add(self.client.address)
            except ValueError as error:
                log(str(error))
        if config.runtime_api and ":" in config.runtime_api:
            host, _, port = config.runtime_api.rpartition(":")
            if port.isdigit():
                self.exempt.add((host, int(port)))
        if config.token_source and config.token_source[0] != "value" and not self.client:
            log("%s is not read: VIGIL_ENDPOINT is not set" % _describe(config.token_source))
        try:
            self.guard = NativeGuard.attach(os.environ)
        except OSError as error:
            log("the exec guard's directory could not be prepared: %s" % error)
            self.guard = None
        if config.embedded_rules:
            try:
                embedded = read_embedded_rules(config.embedded_rules)
            except RuleTableError as error:
                log("VIGIL_RULES is not used: %s; the fail mode %s applies until the first rule table arrives" % (error, config.fail_mode))
            else:
                # Whole or not at all: RuleTable validated every rule before anything is applied.
                self._apply(embedded)
                return
        self._write_guard_rules()

    # ------------------------------------------------------------------ lifecycle

    def install(self):
        if self.installed:
            return self
        self.installed = True
        from vigil import hooks  # noqa: PLC0415

        hooks.install(self)
        if self.client:
            threading.Thread(target=self._worker, name="vigil", daemon=True).start()
            # A last chance for queued events when the process ends on its own (not when Lambda freezes or kills it).
            atexit.register(self.flush, 2.0)
        else:
            self.ready.set()
        return self

    def before_invocation(self, context=None):
        arn = getattr(context, "invoked_function_arn", None)
        account = arn.split(":")[4] if isinstance(arn, str) and arn.count(":") >= 5 else None
        if account and account != self.account:
            self.account = account
            self.etag = None
            if self.client:
                # The table depends on the account: fetch it for the new facts before this invocation.
                self.ready.clear()
                self.refresh_due = 0.0
                self.wake.set()
        if self.client and (self.table is None or (self.served and not self.ready.is_set())):
            # Nothing known yet (or the facts of a served table changed): wait for the fetch, bounded by the
            # client's timeouts. An embedded table stays in force meanwhile instead: nothing waits for the network.
            self.ready.wait(self.client.timeout * 3)

    def after_invocation(self, deadline_s=0.3):
        self.collect_guard_events()
        with self.lock:
            if not self.queue or not self.client:
                return
            target = self.flush_rounds + 1
            self.wake.set()
            end = time.monotonic() + deadline_s
            while self.flush_rounds < target and self.queue:
                left = end - time.monotonic()
                if left <= 0:
                    return
                self.flushed.wait(left)

    def flush(self, timeout_s=10.0):
        self.after_invocation(timeout_s)

    # ------------------------------------------------------------------ background work

    def _worker(self):
        _internal.active = True
        first = True
        next_flush = time.monotonic() + self.config.flush_interval
        while True:
            now = time.monotonic()
            if now >= self.refresh_due:
                self._refresh(first)
                first = False
                self.ready.set()
                ttl = self.config.ttl or (self.table.poll_interval if self.table else None) or 60
                self.refresh_due = time.monotonic() + ttl
            if now >= next_flush or self.wake.is_set():
                self.wake.clear()
                self.collect_guard_events()
                self._drain()
                next_flush = time.monotonic() + self.config.flush_interval
            self.wake.wait(max(0.0, min(next_flush, self.refresh_due) - time.monotonic()))

    def _resolve_token(self):
        source = self.config.token_source
        if self.token is not None or source is None or source[0] == "value":
            return True
        self.exempt.add(_store_endpoint(source, self.config.region))
        try:
            self.token = _read_token(source)
            return True
        except Exception as error:  # noqa: BLE001 -- any failure of the store read is logged, never raised into the function
            keeping = "keeping revision %d" % self.table.revision if self.table else "fail mode %s" % self.config.fail_mode
            log("the enforcer-group token could not be read from %s: %s; %s until it can" % (_describe(source), type(error).__name__, keeping))
            return False

    def _forget_on(self, error):
        if not isinstance(error, ControlPlaneError):
            return
        if error.status == 404:
            self.enforcer_id = None
        if error.status == 401 and self.config.token_source and self.config.token_source[0] != "value":
            self.token = None

    def facts(self):
        return {
            "function": self.config.function or socket.gethostname(),
            "runtime": self.config.runtime,
            "region": self.config.region,
            "account": self.account,
            "tags": ",".join("%s=%s" % kv for kv in sorted(self.config.tags.items())),
        }

    def _refresh(self, first):
        try:
            if not self._resolve_token():
                return
            if self.enforcer_id is None:
                metadata = {k: v for k, v in (("functionName", self.config.function), ("runtime", self.config.runtime), ("region", self.config.region)) if v}
                answer = self.client.register(
                    {
                        "name": self.config.function or socket.gethostname(),
                        "type": "nano_enforcer",
                        "version": LAYER_VERSION,
                        "hostname": socket.gethostname(),
                        "metadata": metadata,
                    }
                )
                self.enforcer_id = answer["enforcerId"]
            answer = self.client.rules(self.enforcer_id, self.facts(), self.etag)
            if answer is not None:
                body, etag = answer
                self._apply(RuleTable(body))
                self.served = True
                self.etag = etag
        except (ControlPlaneError, RuleTableError, KeyError, TypeError) as error:
            self._forget_on(error)
            keeping = " (keeping revision %d)" % self.table.revision if self.table else ""
            log("%s rule table fetch failed: %s%s" % ("the first" if first else "a", error, keeping))
            return
        try:
            self.client.heartbeat(self.enforcer_id)
        except ControlPlaneError as error:
            self._forget_on(error)
            log("a heartbeat failed: %s" % error)

    def _apply(self, table):
        self.table = table
        self._write_guard_rules()
        self._apply_honeypot()

    def _write_guard_rules(self):
        guard = self.guard
        if guard is None or not guard.owner:
            return
        table = self.table
        fail_mode = self.config.fail_mode
        try:
            if table is None:
                guard.write(lambda generation: guard_table_without_rules(generation, self.started_ms, fail_mode), None)
            else:
                guard.write(lambda generation: table.guard_table(generation, self.started_ms, fail_mode), table)
                if table.guard_oversize:
                    log("the rule table's process rules exceed the exec guard's bounds: descendants follow the fail mode %s" % fail_mode)
        except OSError as error:
            log("the exec guard's rule table could not be written: %s" % error)

    # ------------------------------------------------------------------ reporting

    def report(self, violations, command):
        table = self.table
        if not violations or table is None:
            return
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % int(now % 1 * 1000)
        events = []
        for violation in violations:
            event = {
                # Made with the event, so a batch that failed is re-sent with the same ids and stored once.
                "id": _uuid4(),
                "time": stamp,
                **violation,
                "workload": {"cluster": None, "namespace": None, "pod": None, "container": None, "image": None, "function": self.config.function, "host": None},
                "user": None,
                "command": list(command) if command is not None else None,
                "enforcer": {"group": table.group, "type": "nano_enforcer", "id": self.enforcer_id},
            }
            events.append(event)
        with self.lock:
            for event in events:
                if len(self.queue) >= MAX_QUEUED:
                    self.dropped += 1
                else:
                    self.queue.append(event)

    def _drain(self):
        while True:
            with self.lock:
                batch = self.queue[:BATCH_SIZE]
                if not batch or self.enforcer_id is None:
                    self._flush_done()
                    return
                enforcer_id = self.enforcer_id
            for event in batch:
                if event["enforcer"]["id"] is None:
                    event["enforcer"]["id"] = enforcer_id
            try:
                self.client.events(batch, enforcer_id)
                with self.lock:
                    del self.queue[: len(batch)]
                    self.delivered += len(batch)
            except ControlPlaneError as error:
                self._forget_on(error)
                with self.lock:
                    if not error.retryable:
                        del self.queue[: len(batch)]
                        self.dropped += len(batch)
                        continue
                    self._flush_done()
                log("sending %d events failed: %s (kept for the next flush)" % (len(batch), error))
                return

    def _flush_done(self):
        self.flush_rounds += 1
        self.flushed.notify_all()

    def collect_guard_events(self):
        guard = self.guard
        if guard is None or not guard.owner:
            return
        try:
            decisions = guard.collect()
        except OSError as error:
            log("the exec guard's events could not be read: %s" % error)
            return
        for table, seen in decisions:
            violations = table.guard_violations(seen["rule_ids"], seen["executable"], seen["resolved"], seen["created_after_start"])
            self.report(violations, seen["command"])

    # ------------------------------------------------------------------ verdicts (called by the audit hooks)

    def _fail_closed(self, what):
        if self.config.fail_mode == "open":
            return None
        log("%s refused: no rule table is available and the fail mode is closed" % what)
        return "no rule table is available and the fail mode is closed"

    @staticmethod
    def _refusal(violations):
        blocking = [v for v in violations if v["status"] == "Block"]
        if not blocking:
            return None
        v = blocking[0]
        return 'blocked by policy "%s" (%s): %s' % (v["policy"], v["controlName"], v["message"])

    def check_programs(self, launches, path_variable, cwd):
        """The refusal message for starting these programs ((program, command) pairs), or None to allow."""
        if self.guard is not None and os.getpid() != self.pid:
            # A forked child (os.fork, then exec): its events would die with it; the guard decides and reports.
            return None
        table = self.table
        if table is None:
            return self._fail_closed("starting %s" % launches[0][0])
        if not table.process:
            return None
        # With the guard loaded, what is allowed here is reported by the guard when the program really starts.
        report_now = self.guard is None
        held, blocked = [], []
        for program, command in launches:
            resolved, newest = resolve_program(program, path_variable, cwd)
            created_after = newest is not None and newest > self.started_ms
            violations = table.process_violations(program, resolved, created_after)
            if violations:
                held.append((violations, command))
                if any(v["status"] == "Block" for v in violations):
                    blocked.extend(violations)
        if report_now or blocked:
            for violations, command in held:
                self.report(violations, command)
        return self._refusal(blocked) if blocked else None

    def check_connection(self, host, port):
        if getattr(_internal, "active", False) or (host, port) in self.exempt:
            return None
        if port is None and any(host == exempt_host for exempt_host, _ in self.exempt):
            return None
        table = self.table
        if table is None:
            return self._fail_closed("connecting to %s:%s" % (host, port))
        if not table.network:
            return None
        violations = table.connection_violations(host, port)
        self.report(violations, None)
        return self._refusal(violations)

    def honeypot_read(self, source, detail):
        table = self.table
        if table is None or getattr(_internal, "active", False):
            return
        key = (source, detail)
        now = time.monotonic()
        last = self.last_honeypot.get(key)
        if last is not None and now - last < HONEYPOT_REPORT_INTERVAL_S:
            return
        self.last_honeypot[key] = now
        rules = [r for r in table.honeypots if r.honeypot[source]]
        if rules:
            self.report([rules[0].violation(honeypot_message(source, detail))], None)

    # ------------------------------------------------------------------ honeypot

    def _apply_honeypot(self):
        table = self.table
        rule = table.honeypots[0] if table and table.honeypots else None
        if rule is None:
            return
        plan = rule.honeypot
        key_id = plan["accessKeyId"] or "AKIA" + os.urandom(8).hex().upper()
        secret = plan["secretAccessKey"] or os.urandom(20).hex()
        from vigil import hooks  # noqa: PLC0415

        if plan["environment"]:
            self.honeypot_values = {HONEYPOT_ENV_NAMES[0]: key_id, HONEYPOT_ENV_NAMES[1]: secret}
            hooks.plant_environment(self, self.honeypot_values)
        if plan["file"] and self.planted_file is None:
            path = os.path.abspath(self.config.honeypot_file)
            if not os.path.exists(path):
                try:
                    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as f:
                        f.write("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (HONEYPOT_PROFILE, key_id, secret))
                    self.planted_file = path
                except OSError as error:
                    log("the honeypot credentials file could not be planted: %s" % error)


def protect(handler):
    """Decorates a Lambda handler: protection before it runs, events flushed after each invocation."""
    protection = Protection.shared()

    @functools.wraps(handler)
    def protected(event, context):
        protection.before_invocation(context)
        try:
            return handler(event, context)
        finally:
            protection.after_invocation()

    protected.__vigil_protected__ = True
    return protected
