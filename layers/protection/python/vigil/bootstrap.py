"""The handler vigil-wrapper gives the Lambda Python runtime (_HANDLER=vigil.bootstrap.handler).

Imported by the runtime at init, before the function's code: it installs the protection (audit hooks,
rule table, reporting), then loads the function's own handler, named by VIGIL_ORIGINAL_HANDLER as the
runtime names handlers ("path/to/module.function", relative to LAMBDA_TASK_ROOT). Every invocation goes
through `handler`, which gives Vigil the invocation's boundaries: the account of the invoked ARN before it,
the flush of its events after it.
"""

import importlib
import os
import sys

from vigil.protection import Protection

protection = Protection.shared()


def _load(name):
    module_name, dot, function_name = name.rpartition(".")
    if not dot or not module_name or not function_name:
        raise ValueError("VIGIL_ORIGINAL_HANDLER %r is not module.function" % name)
    task_root = os.environ.get("LAMBDA_TASK_ROOT")
    if task_root and task_root not in sys.path:
        sys.path.insert(0, task_root)
    module = importlib.import_module(module_name.replace("/", "."))
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError("handler %r is not a function of module %r" % (function_name, module_name))
    return function


_original = os.environ.get("VIGIL_ORIGINAL_HANDLER", "")
if not _original or _original == "vigil.bootstrap.handler":
    raise RuntimeError("vigil: VIGIL_ORIGINAL_HANDLER must name the function's handler (vigil-wrapper sets it from _HANDLER)")
_handler = _load(_original)
# An already decorated handler (from vigil import protect) is called as it is: one protection per process.
_decorated = getattr(_handler, "__vigil_protected__", False)


def handler(event, context):
    if _decorated:
        return _handler(event, context)
    protection.before_invocation(context)
    try:
        return _handler(event, context)
    finally:
        protection.after_invocation()
