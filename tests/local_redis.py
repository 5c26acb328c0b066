"""The local Redis (127.0.0.1:6379) of the tests that need one.

Each test file that uses it has a database number of its own: under pytest-xdist, files run
side by side (see the Makefile).
"""

from __future__ import annotations

import os

import pytest


def connect_or_skip(url: str):
    """Return a connection to the Redis at ``url``. Where none answers the test is skipped,
    and in CI, where Redis must be there, it fails."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis must be reachable in CI: {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    return connection
