"""Theme models and taggers to and from bytes for the database, in nlp's safe file format
(numpy arrays and JSON, never pickle), through a temporary file."""

from __future__ import annotations

import os
import tempfile
from typing import Protocol, TypeVar


class Saveable(Protocol):
    def save(self, path: str) -> None: ...


Loaded = TypeVar("Loaded")


def to_bytes(thing: Saveable) -> bytes:
    """Return what ``thing.save`` writes."""
    handle, path = tempfile.mkstemp(suffix=".npz")
    os.close(handle)
    try:
        thing.save(path)
        with open(path, "rb") as saved:
            return saved.read()
    finally:
        os.unlink(path)


def from_bytes(kind: type[Loaded], data: bytes) -> Loaded:
    """Return ``kind.load`` of bytes written by ``to_bytes`` (no pickle is ever loaded)."""
    handle, path = tempfile.mkstemp(suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return kind.load(path)
    finally:
        os.unlink(path)
