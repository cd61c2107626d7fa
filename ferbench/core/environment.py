"""Facts about the software and machine that produced a result, for the report header."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

PACKAGES = ("ferbench", "numpy", "scikit-learn", "scikit-image", "xgboost", "torch",
            "torchvision", "dlib-bin", "opencv-python-headless", "onnxruntime", "skl2onnx")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages results depend on (without importing them)."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


CHECKOUT = Path(__file__).resolve().parents[2]
GENERATED = "reports"
"""The checkout's folder of generated reports: changes there are a run's output, not code that
makes results differ, so they do not make a checkout dirty (the parts of ``make real`` write
there one after another)."""


def git_commit(root: Path = CHECKOUT) -> str | None:
    """The commit of the ferbench checkout, with '+dirty' for local changes outside
    ``reports/``; None outside git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
             ".", f":(exclude){GENERATED}"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


VECTOR_EXTENSIONS = ("avx512f", "avx2", "avx", "neon", "asimd")
"""Widest first: the one a processor has picks torch's and numpy's math kernels, so networks
trained on processors with different ones can differ in their last digits, and then more."""


def hardware(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """A one-line description of the machine: architecture, processor, CPU count, system."""
    return (f"{platform.machine()}, {processor(cpuinfo)}, {os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.release()}")


def processor(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The processor's name and its widest vector extension, from Linux's ``cpuinfo``; the
    platform's own name elsewhere."""
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        return platform.processor() or "processor unknown"
    fields = {key.strip(): value.strip()
              for key, value in (line.split(":", 1) for line in lines if ":" in line)}
    name = fields.get("model name") or fields.get("Hardware") or platform.processor() or \
        "processor unknown"
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    widest = next((flag for flag in VECTOR_EXTENSIONS if flag in flags), None)
    return f"{name} ({widest})" if widest else name
