"""What each test's new app would otherwise compile again: URL builders and templates.

Every test gets an app of its own (``conftest.app``). Building one took about 190 ms, 140
of them werkzeug compiling two URL-building functions for each of the app's routes, and
each template was compiled again on its first use in every app. Both depend only on the
code, so a test process compiles them once and every later app reuses them.
"""

from __future__ import annotations

from typing import Any

import flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


class SharedBuilderRule(Rule):
    """A URL rule whose building functions are compiled once per process.

    Werkzeug generates them from the rule's parsed parts and defaults alone (the function
    is bound to each rule afterwards), so rules alike in those share them.
    """

    _builders: dict[Any, Any] = {}

    def _compile_builder(self, append_unknown: bool = True):
        key = (tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


class SharedTemplates(BytecodeCache):
    """Compiled templates kept in memory for every app of the test process (Jinja checks
    each against its source's checksum before using it)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self.compiled.get(bucket.key)
        if found is not None:
            bucket.bytecode_from_string(found)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedTemplates()


def share_with(app: flask.Flask) -> None:
    """Let ``app`` use the process's compiled templates (before it renders any)."""
    app.jinja_env.bytecode_cache = TEMPLATES


flask.Flask.url_rule_class = SharedBuilderRule
