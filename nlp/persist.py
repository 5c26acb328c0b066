"""A safe, versioned file format for fitted models: numpy arrays plus JSON metadata.

Nothing is unpickled: ``numpy.load`` runs with ``allow_pickle=False`` and the metadata is
plain JSON, so a model file from an untrusted place cannot run code when loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FORMAT = "consult-nlp"
_META = "__meta__"


class ModelFileError(ValueError):
    """The file is not a model of the expected kind and version."""


def save(
    path: str | Path, kind: str, version: int, arrays: dict[str, np.ndarray], meta: dict
) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` (a .npz file) as a model of ``kind``."""
    header = {"format": FORMAT, "kind": kind, "version": version, "meta": meta}
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    for name, value in payload.items():
        if value.dtype == object:
            raise TypeError(f"array {name!r} holds Python objects; store plain values")
    payload[_META] = np.array(json.dumps(header, ensure_ascii=False))
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **payload)


def load(path: str | Path, kind: str, version: int) -> tuple[dict[str, np.ndarray], dict]:
    """Read a model of ``kind`` written by ``save``; refuse other kinds and newer versions."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data[_META]))
            arrays = {name: data[name] for name in data.files if name != _META}
    except (OSError, KeyError, ValueError) as error:
        raise ModelFileError(f"{path} is not a readable model file: {error}") from error
    if header.get("format") != FORMAT or header.get("kind") != kind:
        raise ModelFileError(f"{path} holds a {header.get('kind')!r} model, not {kind!r}")
    if int(header.get("version", -1)) > version:
        raise ModelFileError(f"{path} was written by a newer version ({header['version']})")
    return arrays, header["meta"]
