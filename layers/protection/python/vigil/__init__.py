"""Vigil protection for Python Lambda functions (standard library only).

With AWS_LAMBDA_EXEC_WRAPPER=/opt/vigil/vigil-wrapper nothing else is needed: the wrapper points the
runtime's handler setting at vigil.bootstrap.handler, which protects the process and calls the original
handler. For explicit code, decorate the handler instead::

    from vigil import protect

    @protect
    def handler(event, context): ...
"""

from vigil.protection import protect

__all__ = ["protect"]
