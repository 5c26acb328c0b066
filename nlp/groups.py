"""Which texts make each group (a theme, or the texts of no theme), as a sparse 0/1 matrix:
a group's sum of anything per text is one product with it."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def membership(labels: np.ndarray, k: int, dtype=np.float32) -> sp.csr_matrix:
    """Return the k × texts 0/1 matrix of which group each text is in (a text labelled -1
    is in none)."""
    kept = np.flatnonzero(labels >= 0)
    ones = np.ones(len(kept), dtype=dtype)
    return sp.csr_matrix((ones, (labels[kept], kept)), shape=(k, len(labels)))
