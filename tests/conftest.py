"""Shared test set-up: results computed by tests go to a scratch store, never into data/."""
import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _scratch_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("bpcore-data")
    old = os.environ.get("BPCORE_DATA")
    os.environ["BPCORE_DATA"] = str(root)
    os.environ.setdefault("BPCORE_PROGRESS", "0")
    yield root
    if old is None:
        os.environ.pop("BPCORE_DATA", None)
    else:
        os.environ["BPCORE_DATA"] = old
