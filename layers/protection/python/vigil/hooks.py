"""Where the Python layer sees what the function does: audit hooks (PEP 578) and two small wrappers.

- programs: the audit events subprocess.Popen, os.exec, os.posix_spawn, os.spawn and os.system; a refusal
  raises PermissionError (EACCES) before anything starts.
- connections: the audit event socket.getaddrinfo (the host as written, before DNS) and socket.connect; the
  addresses a judged lookup returned are not judged again when they are connected to.
- honeypot: the audit event open for the planted credentials file, and os.environ's class for the planted
  environment names.
"""

import errno
import os
import socket
import sys

SHELLS = ("sh", "bash", "dash", "zsh", "ksh", "ash", "busybox")
SEPARATORS = set(";&|()\n")
LEADING_WORDS = ("exec", "command", "nohup")
MAX_COMMAND_CHARS = 65536
MAX_RESOLVED = 4096


def _text(value):
    if isinstance(value, (bytes, os.PathLike)):
        try:
            return os.fsdecode(value)
        except (TypeError, ValueError):
            return None
    return value if isinstance(value, str) else None


def command_programs(command):
    """The first word of every segment of a shell command, after NAME=value and exec/command/nohup."""
    programs, words, word, quote = [], [], [], None
    text = command[:MAX_COMMAND_CHARS]

    def end_word():
        if word:
            words.append("".join(word))
            word.clear()

    def end_segment():
        end_word()
        for candidate in words:
            if "=" in candidate and candidate.split("=", 1)[0].isidentifier():
                continue
            if candidate in LEADING_WORDS:
                continue
            programs.append((candidate, list(words[words.index(candidate):])))
            break
        words.clear()

    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = None
            else:
                word.append(c)
        elif quote == '"':
            if c == '"':
                quote = None
            elif c == "\\" and i + 1 < len(text):
                i += 1
                word.append(text[i])
            else:
                word.append(c)
        elif c in ("'", '"'):
            quote = c
        elif c in SEPARATORS:
            end_segment()
        elif c in " \t":
            end_word()
        else:
            word.append(c)
        i += 1
    end_segment()
    return programs


def launches_of(program, args):
    """The programs a start would run as far as the call shows them: the program, and for `<shell> -c` its command's."""
    args = [a for a in (_text(a) for a in (args or [])) if a is not None] or [program]
    launches = [(program, args)]
    if program.rsplit("/", 1)[-1] in SHELLS and len(args) >= 3 and args[1] == "-c":
        launches.extend(command_programs(args[2]))
    return launches


def _path_of(env):
    if isinstance(env, dict):
        for key, value in env.items():
            if _text(key) == "PATH":
                return _text(value)
        return None
    return os.environ.get("PATH") if env is None else None


def _refuse(message, filename=None):
    return PermissionError(errno.EACCES, "Permission denied (vigil: %s)" % message, filename)


def install(protection):
    resolved = {}

    def judge_programs(program, args, env, cwd=None):
        program = _text(program)
        if program is None:
            return
        message = protection.check_programs(launches_of(program, args), _path_of(env), _text(cwd))
        if message is not None:
            raise _refuse(message, program)

    def judge_lookup(host, port):
        host = _text(host)
        if not host:
            return
        number = port if isinstance(port, int) else int(port) if isinstance(port, str) and port.isdigit() else None
        # Without a port number (a service name or none) the host is judged now and the port at connect.
        message = protection.check_connection(host, number)
        if message is not None:
            raise _refuse(message, host)

    def hook(event, args):
        if event == "socket.getaddrinfo":
            judge_lookup(args[0], args[1])
        elif event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
                host = _text(address[0])
                if host is None:
                    return
                known = resolved.get(host)
                if known is not None and (known[1] == address[1] or known[1] is None and not _ports_restricted()):
                    return
                target = known[0] if known is not None else host
                message = protection.check_connection(target, address[1])
                if message is not None:
                    raise _refuse(message, target)
        elif event == "open":
            planted = protection.planted_file
            if planted is None:
                return
            path = _text(args[0])
            if path is None or os.path.abspath(path) != planted:
                return
            mode, flags = args[1], args[2]
            reading = ("r" in mode or "+" in mode) if isinstance(mode, str) else (flags & os.O_ACCMODE) != os.O_WRONLY
            if reading:
                protection.honeypot_read("file", planted)
        elif event == "subprocess.Popen":
            judge_programs(args[0], args[1], args[3], args[2])
        elif event == "os.system":
            command = _text(args[0])
            if command is not None:
                judge_programs("/bin/sh", ["/bin/sh", "-c", command], None)
        elif event == "os.exec" or event == "os.posix_spawn":
            judge_programs(args[0], args[1], args[2])
        elif event == "os.spawn":
            judge_programs(args[1], args[2], args[3])

    def _ports_restricted():
        table = protection.table
        return table is not None and any(rule.ports for rule in table.network)

    original_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        answers = original_getaddrinfo(host, port, *args, **kwargs)
        # The lookup was judged (and allowed, or only reported) by the audit hook: its addresses stand for the
        # host at connect, so one call is judged and reported once, even when the host is an address itself.
        name = _text(host)
        if name and answers and len(resolved) < MAX_RESOLVED:
            number = port if isinstance(port, int) else int(port) if isinstance(port, str) and port.isdigit() else None
            for answer in answers:
                address = answer[4][0] if answer and len(answer) >= 5 and answer[4] else None
                if isinstance(address, str):
                    resolved[address] = (name, number)
        return answers

    socket.getaddrinfo = getaddrinfo
    sys.addaudithook(hook)


class _Quiet:
    depth = 0


def plant_environment(protection, values):
    """Sets the planted names and reports reads of them through os.environ (and so os.getenv)."""
    environ = os.environ
    base = type(environ)
    if not getattr(base, "__vigil_watched__", False):

        class WatchedEnviron(base):
            __vigil_watched__ = True

            def __getitem__(self, key):
                value = base.__getitem__(self, key)
                if key in values and _Quiet.depth == 0:
                    protection.honeypot_read("environment", key)
                return value

            def copy(self):
                # A copy for a child's environment is not a read of the credentials.
                _Quiet.depth += 1
                try:
                    return base.copy(self)
                finally:
                    _Quiet.depth -= 1

        environ.__class__ = WatchedEnviron
    _Quiet.depth += 1
    try:
        for key, value in values.items():
            environ[key] = value
    finally:
        _Quiet.depth -= 1
