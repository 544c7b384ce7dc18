"""Paths, profiles file, keyring-only secrets and log redaction."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import keyring
import pytest

from app.settings.logs import RedactingFilter, install, redact
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore, SettingsError
from app.settings.secrets import KeyringSecrets, KeyringUnavailable, Secrets
from tests.support.keyrings import BrokenKeyring, MemoryKeyring


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_paths_follow_the_home_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEEDLY_DESK_HOME", str(tmp_path))
    paths = AppPaths.default().ensure()
    assert paths.config_dir == tmp_path / "config" and paths.config_dir.is_dir()
    assert paths.cache_db.parent == tmp_path / "data"
    assert paths.demo_dir == tmp_path / "data" / "demo"


def test_profiles_round_trip_and_demo_profiles_are_never_saved(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.load()
    real = Profile(name="Acme", deployment_url="https://crm.example.com", key_kind="agency")
    store.upsert(real)
    store.upsert(Profile(name="Demo", deployment_url="http://127.0.0.1:1", demo=True))
    store.data.active_profile_id = real.id
    store.save()
    text = (tmp_path / "profiles.json").read_text()
    assert "Demo" not in text and "sk_" not in text
    again = ProfileStore(tmp_path / "profiles.json")
    loaded = again.load()
    assert [p.name for p in loaded.profiles] == ["Acme"] and loaded.active_profile_id == real.id


def test_unreadable_profiles_file_is_kept_aside_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text("{not json")
    store = ProfileStore(path)
    with pytest.raises(SettingsError) as info:
        store.load()
    assert "profiles.json.bad" in str(info.value)
    assert (tmp_path / "profiles.json.bad").read_text() == "{not json"
    assert store.data.profiles == []
    path.write_text(json.dumps({"profiles": [{"name": 3}]}))
    with pytest.raises(SettingsError):
        ProfileStore(path).load()


def test_keys_go_to_the_keyring(memory_keyring: MemoryKeyring) -> None:
    secrets = Secrets(KeyringSecrets())
    secrets.save("profile:a:seedly", "sk_test_abc")
    assert memory_keyring.store[("seedly-desk", "profile:a:seedly")] == "sk_test_abc"
    assert secrets.get("profile:a:seedly") == "sk_test_abc"
    secrets.delete("profile:a:seedly")
    assert secrets.get("profile:a:seedly") is None


def test_without_a_keyring_there_is_no_plaintext_fallback(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        secrets = Secrets(KeyringSecrets())
        with pytest.raises(KeyringUnavailable) as info:
            secrets.save("profile:a:seedly", "sk_test_abc")
        assert "this session only" in str(info.value)
        with pytest.raises(KeyringUnavailable):
            secrets.get("profile:a:seedly")
        secrets.use_for_session("profile:a:seedly", "sk_test_abc")
        assert secrets.get("profile:a:seedly") == "sk_test_abc"
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize(
    "secret",
    [
        "sk_live_abcdef123456",
        "sk_agency_test_Zz9-xx_yy",
        "whsec_0123456789",
        "Bearer eyJhbGciOiJIUzI1NiJ9.x.y",
    ],
)
def test_redaction(secret: str) -> None:
    out = redact(f"calling with {secret} now")
    assert secret not in out and "[REDACTED]" in out and out.startswith("calling with")


def test_log_filter_redacts_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("key %s failed", "sk_test_SECRETVALUE1")
        try:
            raise RuntimeError("bad key sk_live_SECRETVALUE2")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "SECRETVALUE" not in text and text.count("[REDACTED]") >= 2 and "RuntimeError" in text


def test_install_puts_the_filter_on_every_handler() -> None:
    logger = logging.getLogger("test.install")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        install(logger)
        install(logger)
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)
