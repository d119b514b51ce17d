from __future__ import annotations

import stat
from pathlib import Path

import pytest

from clients.server import free_port
from server.app import SIO, create_app
from server.cli import _parser, main
from server.settings import SettingsError, load_settings


def test_missing_secrets_are_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"data_dir": str(tmp_path)}, {}, tmp_path)
    assert set(first.generated) == {"secret", "admin_key"}
    for name in ("secret", "admin_key"):
        mode = (tmp_path / name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
    second = load_settings({"data_dir": str(tmp_path)}, {}, tmp_path)
    assert second.generated == ()
    assert second.settings.secret == first.settings.secret
    assert second.settings.admin_key == first.settings.admin_key
    assert len(first.settings.secret) >= 32


def test_flags_win_over_environment(tmp_path: Path) -> None:
    env = {"TANDEM_PORT": "9000", "TANDEM_HOST": "0.0.0.0", "TANDEM_ADMIN_KEY": "k" * 20,
           "TANDEM_STUN_URLS": "stun:a.example:3478, stun:b.example:3478",
           "TANDEM_DATA_DIR": str(tmp_path)}
    loaded = load_settings({"port": 9100}, env, Path("unused"))
    s = loaded.settings
    assert (s.port, s.host, s.admin_key) == (9100, "0.0.0.0", "k" * 20)
    assert s.ice.stun_urls == ("stun:a.example:3478", "stun:b.example:3478")
    assert s.data_dir == tmp_path.resolve()
    assert "admin_key" not in loaded.generated
    assert s.event_loop == "uvloop"
    assert s.gc_threshold == (50_000, 20, 100)
    assert load_settings({"gc_threshold": "700,10,10"}, env, Path("x")).settings.gc_threshold == (
        700, 10, 10)
    assert load_settings({"event_loop": "asyncio"}, env, Path("unused")).settings.event_loop == (
        "asyncio")
    assert s.commit_interval_ms == 50
    longer = load_settings({"commit_interval_ms": 25}, env, Path("x")).settings
    assert longer.commit_interval_ms == 25
    assert (s.ping_interval, s.ping_timeout) == (10, 10)
    env_ping = env | {"TANDEM_PING_INTERVAL": "25", "TANDEM_PING_TIMEOUT": "20"}
    pinged = load_settings({"ping_timeout": 30}, env_ping, Path("x")).settings
    assert (pinged.ping_interval, pinged.ping_timeout) == (25, 30)  # the flag wins


def test_trusted_proxies_are_addresses_or_networks(tmp_path: Path) -> None:
    env = {"TANDEM_SECRET": "s" * 32, "TANDEM_ADMIN_KEY": "k" * 16}
    assert load_settings({"data_dir": str(tmp_path)}, env, tmp_path).settings.trusted_proxies == ()
    env["TANDEM_TRUSTED_PROXIES"] = "127.0.0.1, 10.0.0.0/8,::1"
    nets = load_settings({"data_dir": str(tmp_path)}, env, tmp_path).settings.trusted_proxies
    assert [str(n) for n in nets] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    flag = {"data_dir": str(tmp_path), "trusted_proxies": "192.168.1.7/24"}
    nets = load_settings(flag, env, tmp_path).settings.trusted_proxies
    assert [str(n) for n in nets] == ["192.168.1.0/24"]


def test_operations_settings(tmp_path: Path) -> None:
    env = {"TANDEM_SECRET": "s" * 32, "TANDEM_ADMIN_KEY": "k" * 16}
    s = load_settings({"data_dir": str(tmp_path)}, env, tmp_path).settings
    assert (s.metrics, s.process_name, s.ops_from) == (True, None, ())
    env |= {"TANDEM_METRICS": "0", "TANDEM_PROCESS_NAME": "worker-2",
            "TANDEM_OPS_FROM": "0.0.0.0/0,::/0"}
    s = load_settings({"data_dir": str(tmp_path)}, env, tmp_path).settings
    assert (s.metrics, s.process_name) == (False, "worker-2")
    assert [str(n) for n in s.ops_from] == ["0.0.0.0/0", "::/0"]
    for argv, metrics in ((["--metrics"], True), (["--no-metrics"], False)):
        flags = {k: v for k, v in vars(_parser().parse_args(["serve", *argv])).items()
                 if k != "command"}
        # the flag wins over TANDEM_METRICS=0
        assert load_settings(flags, env, tmp_path).settings.metrics is metrics


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TANDEM_PORT": "eighty"}, "port"),
        ({"TANDEM_PORT": "70000"}, "port"),
        ({"TANDEM_ADMIN_KEY": "short"}, "admin key"),
        ({"TANDEM_SECRET": "short"}, "secret"),
        ({"TANDEM_STUN_URLS": "http://x"}, "STUN"),
        ({"TANDEM_TURN_URLS": "turn:x:3478"}, "TURN"),
        ({"TANDEM_PUBLIC_URL": "example.org"}, "public URL"),
        ({"TANDEM_EVENT_LOOP": "trio"}, "event loop"),
        ({"TANDEM_GC_THRESHOLD": "700,10"}, "GC threshold"),
        ({"TANDEM_GC_THRESHOLD": "0,10,10"}, "GC threshold"),
        ({"TANDEM_COMMIT_INTERVAL_MS": "-1"}, "commit interval"),
        ({"TANDEM_COMMIT_INTERVAL_MS": "5000"}, "commit interval"),
        ({"TANDEM_COMMIT_INTERVAL_MS": "0.5"}, "commit_interval_ms"),
        ({"TANDEM_PING_INTERVAL": "0"}, "ping interval"),
        ({"TANDEM_PING_TIMEOUT": "301"}, "ping timeout"),
        ({"TANDEM_PING_INTERVAL": "2.5"}, "ping_interval"),
        ({"TANDEM_TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, "trusted proxies"),
        ({"TANDEM_DATABASE": "mysql://u:p@h/db"}, "postgresql://"),
        ({"TANDEM_OPS_FROM": "monitoring.local"}, "trusted proxies"),
        ({"TANDEM_PROCESS_NAME": "worker 1"}, "process name"),
        ({"TANDEM_CONNECTIONS_PER_ADDRESS": "0"}, "connections_per_address"),
        ({"TANDEM_REDIS": "localhost:6379"}, "redis://"),
        ({"TANDEM_WORKERS": "2"}, "--redis"),
        ({"TANDEM_WORKERS": "0", "TANDEM_REDIS": "redis://127.0.0.1:6379/0"}, "workers"),
    ],
)
def test_bad_settings_fail_loudly(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"data_dir": str(tmp_path)}, env, tmp_path)


def test_cluster_settings(tmp_path: Path) -> None:
    env = {"TANDEM_REDIS": "redis://127.0.0.1:6379/0", "TANDEM_WORKERS": "3",
           "TANDEM_CONNECTIONS_PER_ADDRESS": "400"}
    s = load_settings({"data_dir": str(tmp_path)}, env, tmp_path).settings
    assert (s.redis_url, s.workers, s.limits.connections_per_address) == (
        "redis://127.0.0.1:6379/0", 3, 400)
    assert "redis://" not in repr(s)  # a Redis URL may hold a password
    alone = load_settings({"data_dir": str(tmp_path)}, {}, tmp_path).settings
    assert (alone.redis_url, alone.workers) == (None, 1)


def test_empty_secret_file_is_an_error_not_an_empty_secret(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("")
    with pytest.raises(SettingsError, match="empty"):
        load_settings({"data_dir": str(tmp_path)}, {}, tmp_path)


def test_cli_refuses_to_start_with_bad_settings(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", "--data-dir", str(tmp_path), "--port", "0"], environ={})
    assert code == 2
    assert "cannot start" in capsys.readouterr().err


def test_the_database_is_sqlite_unless_a_postgresql_url_is_given(tmp_path: Path) -> None:
    base = {"data_dir": str(tmp_path)}
    default = load_settings(base, {}, tmp_path).settings
    assert default.database_url is None and default.database_shown == f"SQLite in {tmp_path}"
    url = "postgresql://tandem:pa55-w0rd@db.internal:5433/tandem"
    from_env = load_settings(base, {"TANDEM_DATABASE": url}, tmp_path).settings
    assert from_env.database_url == url
    flag = load_settings({**base, "database": url}, {"TANDEM_DATABASE": "postgres://x/y"},
                         tmp_path).settings
    assert flag.database_url == url  # the flag wins
    # Shown (and logged) without its password; not in the settings' repr either.
    assert flag.database_shown == "postgresql://tandem:***@db.internal:5433/tandem"
    assert "pa55-w0rd" not in repr(flag)
    with pytest.raises(SettingsError) as refused:
        load_settings({**base, "database": "mysql://tandem:pa55-w0rd@db/x"}, {}, tmp_path)
    assert "pa55-w0rd" not in str(refused.value)


def test_cli_refuses_to_start_when_the_database_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://tandem:pa55-w0rd@127.0.0.1:{free_port()}/tandem"
    code = main(["serve", "--data-dir", str(tmp_path), "--port", str(free_port()),
                 "--event-loop", "asyncio", "--database", url],
                environ={"TANDEM_ADMIN_KEY": "k" * 20, "TANDEM_SPEECH_PRELOAD": "0"})
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot start: Cannot reach the attendance ledger at postgresql://tandem:***@" in err
    assert "pa55-w0rd" not in err


def test_the_speech_model_is_preloaded_by_one_process_and_on_first_use_by_several(
    tmp_path: Path,
) -> None:
    one = load_settings({"data_dir": str(tmp_path)}, {}, tmp_path)
    several = load_settings({"data_dir": str(tmp_path), "redis": "redis://127.0.0.1:6379/0"}, {},
                            tmp_path)
    asked = load_settings({"data_dir": str(tmp_path), "redis": "redis://127.0.0.1:6379/0"},
                          {"TANDEM_SPEECH_PRELOAD": "1"}, tmp_path)
    assert (one.settings.speech_preload, several.settings.speech_preload,
            asked.settings.speech_preload) == (
        True, False, True)


def test_the_ping_flags_reach_engine_io(tmp_path: Path) -> None:
    args = vars(_parser().parse_args(["serve", "--ping-interval", "25", "--ping-timeout", "20"]))
    flags = {k: v for k, v in args.items() if k != "command"} | {"data_dir": str(tmp_path)}
    settings = load_settings(flags, {}, tmp_path).settings
    eio = create_app(settings)[SIO].eio
    # what the Engine.IO open packet tells every client, and what the ping check goes by
    assert (eio.ping_interval, eio.ping_timeout) == (25, 20)
