"""The shape of the house, checked: the domain is free of I/O and of the libraries of the edge;
only media/ and clients/ (the test clients) may import aiortc; only speech/ imports the speech
recognition libraries, and it imports nothing of the others; nothing imports server/ but the
server, and the server does not import the test clients; features sit above the core and never
import each other; no import circles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rooms", "server", "media", "speech")
SPEECH_LIBRARIES = {"faster_whisper", "ctranslate2", "webrtcvad"}
FORBIDDEN_IN_DOMAIN = {
    "asyncio", "aiohttp", "socketio", "engineio", "aiortc", "av", "redis", "logging", "time",
    "random", "secrets", "os", "socket", "threading", "sqlite3", "msgpack", "pydantic", "pycrdt",
    "server", "media", "clients",
}
# Subpackages of server/ that are features (each installs itself); everything else in server/ is
# the core or a family of backends (store/, ledger/).
FEATURES = tuple(sorted(p.parent.name for p in (ROOT / "server").glob("*/install.py")))
BACKENDS = ("store", "ledger")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, relative imports resolved to absolute names."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module
            # "from pkg import mod" imports the submodule when there is one
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                if (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                        ROOT / Path(*candidate.split(".")) / "__init__.py").exists():
                    yield candidate


def modules(package: str) -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        found[module_name(path)] = set(imports(path))
    assert found, f"{package}/ has no modules"
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def test_domain_imports_no_io_and_no_edge_library() -> None:
    for name, imported in modules("rooms").items():
        bad = {top(m) for m in imported} & FORBIDDEN_IN_DOMAIN
        assert not bad, f"{name} imports {sorted(bad)}"


def test_relative_imports_are_checked_too(tmp_path: Path) -> None:
    fake = ROOT / "rooms" / "_architecture_probe.py"
    try:
        fake.write_text("from .session import Session\nfrom . import snapshot\n")
        assert {"rooms.session", "rooms", "rooms.snapshot"} <= set(imports(fake))
    finally:
        fake.unlink()


def test_only_media_and_clients_import_aiortc_and_nothing_imports_server() -> None:
    # clients/ may: its headless participant is a real WebRTC peer, as a browser would be.
    for package in ("rooms", "server"):
        for name, imported in modules(package).items():
            assert not {top(m) for m in imported} & {"aiortc", "av"}, f"{name} imports aiortc"
    for package in ("rooms", "media", "clients"):
        for name, imported in modules(package).items():
            assert "server" not in {top(m) for m in imported}, f"{name} imports server"


def test_only_speech_imports_the_recognisers_and_it_stands_alone() -> None:
    for package in ("rooms", "server", "media", "clients"):
        for name, imported in modules(package).items():
            bad = {top(m) for m in imported} & SPEECH_LIBRARIES
            assert not bad, f"{name} imports {sorted(bad)}"
    for name, imported in modules("speech").items():
        bad = {top(m) for m in imported} & {"rooms", "server", "media", "clients", "aiortc"}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_the_server_does_not_import_the_test_clients() -> None:
    for package in ("rooms", "server", "media"):
        for name, imported in modules(package).items():
            assert "clients" not in {top(m) for m in imported}, f"{name} imports clients"


def _layer(module: str) -> tuple[str, str | None]:
    parts = module.split(".")
    if parts[0] != "server" or len(parts) < 2:
        return ("other", None)
    if parts[1] in FEATURES:
        return ("feature", parts[1])
    return ("core", parts[1] if parts[1] in BACKENDS else None)


def test_features_sit_above_the_core_and_never_import_each_other() -> None:
    for name, imported in modules("server").items():
        layer, feature = _layer(name)
        for other in imported:
            other_layer, other_feature = _layer(other)
            if other_layer != "feature":
                continue
            if layer == "core":
                # the application factory is the one place that knows every feature
                assert name == "server.app" and other.endswith(".install"), (
                    f"core module {name} imports feature module {other}")
            else:
                assert other_feature == feature, f"{name} imports another feature: {other}"


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for name, imported in modules(package).items():
            graph[name] = {m for m in imported if top(m) in PACKAGES}
    known = set(graph)
    for name in graph:
        graph[name] = {m for m in graph[name] if m in known and m != name}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            # a package's __init__ imported by its own submodules is not a circle of modules
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
