"""Shared fixtures. `torch` is optional locally and required in CI:
with LSTM_REQUIRE_TORCH=1 a missing torch fails the live tests instead of skipping them."""

import importlib
import os

import pytest


@pytest.fixture(scope="session")
def torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        if os.environ.get("LSTM_REQUIRE_TORCH") == "1":
            pytest.fail("LSTM_REQUIRE_TORCH=1 but torch is not installed "
                        "(pip install torch==2.13.0, the CPU build)")
        pytest.skip("torch is not installed: the live PyTorch comparison is skipped "
                    "(the committed fixtures still check the numbers)")
