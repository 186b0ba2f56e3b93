"""Shared test configuration: Hypothesis profiles, chosen by the ``HYPOTHESIS_PROFILE`` environment variable.

``ci`` is small and reproducible, ``dev`` (the default) is Hypothesis's usual size, ``thorough`` searches hard.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Oclgrind reads its settings when the OpenCL platforms are first loaded: set them before any test runs.
# Every problem it finds (data races, barrier divergence, out-of-bounds accesses) is appended to this log,
# one file per process (pytest-xdist workers inherit the controller's environment, so the name is set, not
# defaulted); tests/ocl/conftest.py checks it after each kernel run.
os.environ.setdefault("OCLGRIND_DATA_RACES", "1")
os.environ.setdefault("OCLGRIND_UNINITIALIZED", "0")
# Oclgrind stops reporting after 1000 errors in a process; tests that remove barriers on purpose make many
os.environ.setdefault("OCLGRIND_MAX_ERRORS", str(10**9))
os.environ["OCLGRIND_LOG"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"lift-oclgrind-{os.getpid()}.log")
