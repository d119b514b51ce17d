"""Settings, built once at start from command-line flags and a ``TANDEM_*`` environment.

Nothing else in Tandem reads ``os.environ``. Secrets that are not given are generated once and
kept in the data directory (readable by the owner only), so links stay valid across restarts.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from media.ice import IceSettings

ENV_PREFIX = "TANDEM_"
SECRET_FILE = "secret"
ADMIN_KEY_FILE = "admin_key"
DAY = 86400


EVENT_LOOPS = ("uvloop", "asyncio")
COMMIT_INTERVAL_MAX_MS = 1000
# The longest ping interval and ping timeout, in seconds.
PING_MAX_S = 300
WAITING_ROOMS = ("role_links", "everyone", "off")
GC_THRESHOLD = (50_000, 20, 100)
DATABASE_SCHEMES = ("postgresql", "postgres")


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
PROCESS_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class SettingsError(ValueError):
    """A setting is missing or malformed; Tandem refuses to start."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one client can send. PROTOCOL.md documents each and what happens at it."""

    max_message_bytes: int = 256 * 1024
    max_request_bytes: int = 64 * 1024
    # What may wait unsent for one client that does not read; past it the connection is dropped.
    send_buffer_bytes: int = 4 * 1024 * 1024
    # A connection that has not joined this many seconds after connecting is closed.
    join_within: float = 15.0
    # Connections open at once: from one client address (a school behind one NAT shares one),
    # with one role link (shared by a cohort; people waiting count too), and with one personal
    # link (one person: two tabs or devices). More are refused with too_many_connections.
    connections_per_address: int = 100
    connections_per_link: int = 50
    connections_per_person: int = 2
    # New connections per second from one client address (bursts of ``connect_burst``): a
    # client whose connections are closed (a bad packet, a deadline, a slow read) cannot open
    # new ones as fast as it likes. 0: no limit (a load test connecting thousands at once).
    connect_rate: float = 20.0
    connect_burst: float = 100.0
    chat_rate: float = 5.0
    chat_burst: float = 10.0
    signal_rate: float = 50.0
    signal_burst: float = 200.0
    other_rate: float = 20.0
    other_burst: float = 40.0
    # Attendance events (server/attendance_events.py), each per connection.
    checkin_rate: float = 1.0  # check_in and check_out
    checkin_burst: float = 3.0
    speaking_rate: float = 5.0
    speaking_burst: float = 20.0
    reaction_rate: float = 2.0  # reaction and hand
    reaction_burst: float = 10.0
    report_rate: float = 1.0  # attendance (the live overview)
    report_burst: float = 5.0
    # Whiteboard (server/whiteboard_events.py), per connection. A drawing client sends its
    # changes merged every 50 ms or so, and its pointer at most 10 times a second.
    board_update_rate: float = 30.0
    board_update_burst: float = 60.0
    board_cursor_rate: float = 15.0
    board_cursor_burst: float = 30.0
    # Media through the server (server/media/): descriptions per connection.
    media_rate: float = 10.0
    media_burst: float = 20.0
    # Captions typed or recognised by a page (server/captions/), per connection: partials come
    # about twice a second.
    caption_rate: float = 5.0
    caption_burst: float = 20.0
    # The caption switches (captions_view, captions_transcribe, captions_source), per
    # connection: a person's clicks, not a stream. Each may move the room's media between peer
    # to peer and the server (for everyone in it) and end and open the recognition of its
    # speakers.
    caption_switch_rate: float = 0.5
    caption_switch_burst: float = 6.0
    board_update_bytes: int = 64 * 1024  # one update; more is payload_too_large
    board_bytes: int = 2 * 1024 * 1024  # one board's encoded size; more is board_full


@dataclass(frozen=True, slots=True)
class HistoryBounds:
    """How much of each room's replayable events is kept for clients that reconnect
    (``server/history.py``): per room at most ``events`` entries, none older than ``seconds``;
    in all at most ``bytes`` (payloads and overheads) and ``rooms`` rooms."""

    events: int = 1000
    seconds: float = 600.0
    bytes: int = 32 * 1024 * 1024
    rooms: int = 10_000


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """How webhooks are delivered (``server/webhooks/``). ``backoff``: the waits before each
    retry, so a delivery is tried ``len(backoff) + 1`` times at most (each wait lengthened by up
    to a quarter at random, so that retries after an outage do not arrive all at once).
    ``allow_private``: post to private, loopback and link-local addresses too (a receiver on
    the same machine or network; off by default, as a webhook URL must not reach inside)."""

    allow_private: bool = False
    backoff: tuple[float, ...] = (10.0, 30.0, 120.0, 600.0, 3600.0)
    timeout: float = 5.0  # one attempt, connecting included
    concurrency: int = 8  # attempts in flight at once, one per webhook at most
    queue: int = 10_000  # announcements waiting to be written; more are dropped and counted
    rescan: float = 60.0  # seconds between looks for due deliveries another process left
    max_hooks: int = 20
    kept: int = 200  # finished deliveries kept per webhook for its log
    pending: int = 1000  # deliveries waiting per webhook; more are dropped and counted

    def __post_init__(self) -> None:
        if not self.backoff or min(self.backoff) < 0:
            raise SettingsError("the webhook backoff is one or more waits of 0 seconds or more")
        if self.timeout <= 0 or self.concurrency < 1 or self.queue < 1 or self.rescan <= 0:
            raise SettingsError("the webhook timeout, concurrency, queue and rescan must be "
                                "positive")
        if self.max_hooks < 1 or self.kept < 1 or self.pending < 1:
            raise SettingsError("the webhook bounds (hooks, kept, pending) must be positive")


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    secret: bytes = field(repr=False)
    admin_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    ice: IceSettings = field(default_factory=IceSettings)
    max_session_size: int = 25
    default_max_participants: int = 8
    default_link_ttl: int = 7 * DAY
    max_link_ttl: int = 90 * DAY
    # Engine.IO's liveness: a client is pinged this many seconds after its last pong, and
    # dropped if its pong has not come this many seconds after the ping. A client sees a
    # connection gone within their sum; each ping costs the server a write and a read.
    ping_interval: float = 10.0
    ping_timeout: float = 10.0
    limits: Limits = field(default_factory=Limits)
    history: HistoryBounds = field(default_factory=HistoryBounds)
    log_level: str = "INFO"
    # "uvloop" (the default) or "asyncio": the event loop ``tandem serve`` runs on.
    event_loop: str = "uvloop"
    # The garbage collector's generation thresholds once serving (``gc.set_threshold``). At
    # Python's default (700, 10, 10) a busy server collects hundreds of times a second and
    # its full collections over every connection's objects stall the loop for milliseconds;
    # load_tests/RESULTS.md measures both.
    gc_threshold: tuple[int, int, int] = GC_THRESHOLD
    # Milliseconds between the starts of two commits of the database's writer: the writes of
    # that moment share one commit, acknowledged together once it is durable. It makes a write
    # wait only while commits follow each other (under load), and not when its connection's next
    # event already waits as it is read (the writer is hurried then); longer costs less CPU per
    # write and makes those acknowledgements wait longer: 50 against 20 took about a sixth less
    # CPU per delivery at full load, acknowledgements 16 ms later on average
    # (load_tests/RESULTS.md).
    commit_interval_ms: int = 50
    # Attendance: a drop shorter than this is not a leave; records are kept this many days
    # (0: forever).
    attendance_grace: float = 60.0
    retention_days: int = 365
    # Media through the server: the host addresses its peers offer (None: every interface but
    # loopback, as aioice chooses), how many recent speakers' camera video each person receives,
    # and how many server peer connections this process holds at most.
    media_addresses: tuple[str, ...] | None = None
    media_last_n: int = 6
    media_max_peers: int = 200
    # Engine.IO long-polling besides websockets (for networks that block websockets): off unless
    # asked for, as a polling client is bounded less tightly than a websocket one.
    long_polling: bool = False
    # Live captions recognised by the server (``speech/``): the faster-whisper model folder (None:
    # Whisper base from the pinned model packages), how many decodes run at once, and whether
    # the model is loaded when the server starts (else when a room first needs it).
    speech_model: Path | None = None
    speech_workers: int = 2
    speech_preload: bool = False
    # Who waits for a mentor to let them in, in sessions created without saying
    # (``rooms.roster.WaitingRoom``): "role_links", "everyone" or "off".
    waiting_room: str = "role_links"
    # Reverse proxies whose X-Forwarded-Proto and X-Forwarded-Host are believed (the scheme and
    # host of join links); from any other peer those headers are ignored. None by default.
    trusted_proxies: tuple[IpNetwork, ...] = ()
    # Where the attendance ledger and the session journal are kept: None for the embedded
    # default (SQLite in the data directory), or a ``postgresql://`` URL. It may hold a password:
    # never printed (``database_shown`` is the URL without it).
    database_url: str | None = field(default=None, repr=False)
    # Several processes sharing sessions (``server.cluster``): the Redis they share (None: this
    # process alone, everything embedded), the prefix of every key and channel they use there,
    # how many processes ``tandem serve`` starts on its port, and whether this one shares the
    # port with others (SO_REUSEPORT).
    redis_url: str | None = field(default=None, repr=False)
    redis_prefix: str = "tandem:"
    workers: int = 1
    reuse_port: bool = False
    # Seconds after which a session nobody here uses, and no feature here holds, is dropped from
    # this process's memory (several processes only; ``server.replicas``).
    replica_idle: int = 600
    # A board's updates stored since its snapshot, in bytes, past which a new snapshot is made
    # (``server.whiteboard.boards``).
    board_compact_bytes: int = 256 * 1024
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @property
    def database_shown(self) -> str:
        """Where the ledger is kept, as it may be printed (no password)."""
        if self.database_url is None:
            return f"SQLite in {self.data_dir}"
        return redact_url(self.database_url)
    # /metrics and /readyz (server/operations.py) answer loopback, the trusted proxies and
    # these addresses or networks, and nobody else; ``0.0.0.0/0,::/0`` opens them to all.
    ops_from: tuple[IpNetwork, ...] = ()
    # Whether the server counts its traffic and serves /metrics (--no-metrics: neither).
    metrics: bool = True
    # This process's ``process`` label in /metrics (None: its pid); a worker index when
    # several Tandem processes share a machine.
    process_name: str | None = None

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise SettingsError("the signing secret must be at least 32 bytes")
        if len(self.admin_key) < 16:
            raise SettingsError("the admin key must be at least 16 characters")
        if not 0 < self.port < 65536:
            raise SettingsError(f"port {self.port} is not a TCP port")
        if self.max_session_size < 2:
            raise SettingsError("max session size must be at least 2")
        if not 2 <= self.default_max_participants <= self.max_session_size:
            raise SettingsError("default participants must be between 2 and the max session size")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError("the public URL must start with http:// or https://")
        if not 0 <= self.attendance_grace <= 3600:
            raise SettingsError("the attendance grace period must be 0 to 3600 seconds")
        if self.retention_days < 0:
            raise SettingsError("the retention period cannot be negative (0 keeps records)")
        if not 0 <= self.commit_interval_ms <= COMMIT_INTERVAL_MAX_MS:
            raise SettingsError(f"the commit interval is 0 to {COMMIT_INTERVAL_MAX_MS} ms, "
                                f"not {self.commit_interval_ms}")
        if not (0 < self.ping_interval <= PING_MAX_S and 0 < self.ping_timeout <= PING_MAX_S):
            raise SettingsError(f"the ping interval and ping timeout are 1 to {PING_MAX_S} "
                                f"seconds, not {self.ping_interval:g} and {self.ping_timeout:g}")
        if len(self.gc_threshold) != 3 or min(self.gc_threshold) < 1:
            raise SettingsError("the GC threshold is three positive whole numbers, like 700,10,10")
        if not 1 <= self.media_last_n <= 25:
            raise SettingsError("media_last_n (camera videos forwarded) must be 1 to 25")
        if self.replica_idle < 1:
            raise SettingsError("replica_idle must be at least 1 second")
        if self.media_max_peers < 2:
            raise SettingsError("media_max_peers must be at least 2")
        if not 1 <= self.speech_workers <= 16:
            raise SettingsError("speech_workers (caption decodes at once) must be 1 to 16")
        if not 1 <= self.workers <= 64:
            raise SettingsError("workers (server processes) must be 1 to 64")
        if self.speech_model is not None and not self.speech_model.is_dir():
            raise SettingsError(f"the speech model folder {self.speech_model} does not exist")
        if self.board_compact_bytes < 1024:
            raise SettingsError("board_compact_bytes must be at least 1024")
        if self.limits.connections_per_address < 1:
            raise SettingsError("connections_per_address (open at once from one client address) "
                                "must be at least 1")
        if self.limits.connect_rate < 0:
            raise SettingsError("connect_rate (new connections a second per address) cannot be "
                                "negative (0: no limit)")
        h = self.history
        if h.events < 1 or h.seconds <= 0 or h.bytes < 1024 or h.rooms < 1:
            raise SettingsError("the history bounds (events, seconds, bytes, rooms) must be "
                                "positive, and bytes at least 1024")
        if self.waiting_room not in WAITING_ROOMS:
            raise SettingsError(f"the waiting room must be one of {', '.join(WAITING_ROOMS)}, "
                                f"not {self.waiting_room!r}")
        if self.database_url is not None:
            scheme = self.database_url.split("://", 1)[0] if "://" in self.database_url else ""
            if scheme not in DATABASE_SCHEMES:
                raise SettingsError("the database is a postgresql://user:password@host:port/name "
                                    f"URL (got one starting {scheme or 'without a scheme'!r}); "
                                    "without it, the ledger is kept in the data directory")
        if self.process_name is not None and not PROCESS_NAME.fullmatch(self.process_name):
            raise SettingsError("the process name is 1 to 64 letters, digits, '.', '_' or '-', "
                                f"not {self.process_name!r}")
        if self.event_loop not in EVENT_LOOPS:
            raise SettingsError(f"the event loop must be one of {', '.join(EVENT_LOOPS)}, "
                                f"not {self.event_loop!r}")


@dataclass(frozen=True, slots=True)
class LoadedSettings:
    settings: Settings
    generated: tuple[str, ...]  # names of secrets generated just now, for the start-up message


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname or ''}" + (
        f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _read_or_create(path: Path, make: str) -> tuple[str, bool]:
    if path.exists():
        value = path.read_text().strip()
        if not value:
            raise SettingsError(f"{path} is empty: delete it to have a new value generated")
        return value, False
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(make + "\n")
    return make, True


def _urls(value: str | None) -> tuple[str, ...]:
    return tuple(u.strip() for u in (value or "").split(",") if u.strip())


def _networks(value: str | None) -> tuple[IpNetwork, ...]:
    """Addresses or networks, comma-separated: ``127.0.0.1, 10.0.0.0/8, ::1``."""
    nets = []
    for part in _urls(value):
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"trusted proxies are addresses or networks like 10.0.0.0/8, "
                                f"not {part!r}") from None
    return tuple(nets)


def _gc_threshold(raw: str | None) -> tuple[int, int, int]:
    if raw is None:
        return GC_THRESHOLD
    try:
        a, b, c = (int(x) for x in raw.split(","))
    except ValueError:
        raise SettingsError(
            f"the GC threshold is three whole numbers like 700,10,10, not {raw!r}") from None
    return a, b, c


def _redis_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("--redis is a URL starting redis://, rediss:// or unix://")
    return raw


def load_settings(
    flags: Mapping[str, object | None], environ: Mapping[str, str], default_data_dir: Path
) -> LoadedSettings:
    """Build settings: a flag wins over ``TANDEM_<NAME>``, which wins over the default."""

    def pick(name: str) -> str | None:
        flag = flags.get(name)
        if flag is not None and flag != []:
            return ",".join(str(v) for v in flag) if isinstance(flag, list) else str(flag)
        return environ.get(ENV_PREFIX + name.upper()) or None

    def number(name: str, default: int) -> int:
        raw = pick(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None

    data_dir = Path(pick("data_dir") or default_data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    generated: list[str] = []

    secret_text = pick("secret")
    if secret_text is None:
        secret_text, made = _read_or_create(data_dir / SECRET_FILE, secrets.token_hex(32))
        if made:
            generated.append("secret")
    admin_key = pick("admin_key")
    if admin_key is None:
        admin_key, made = _read_or_create(data_dir / ADMIN_KEY_FILE, secrets.token_urlsafe(24))
        if made:
            generated.append("admin_key")

    try:
        ice = IceSettings(
            stun_urls=_urls(pick("stun_urls")),
            turn_urls=_urls(pick("turn_urls")),
            turn_username=pick("turn_username"),
            turn_credential=pick("turn_credential"),
            turn_secret=pick("turn_secret"),
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None

    max_session_size = number("max_session_size", 25)
    model = pick("speech_model")
    settings = Settings(
        data_dir=data_dir,
        secret=secret_text.encode(),
        admin_key=admin_key,
        host=pick("host") or "127.0.0.1",
        port=number("port", 8080),
        public_url=(pick("public_url") or "").rstrip("/") or None,
        ice=ice,
        max_session_size=max_session_size,
        default_max_participants=min(8, max_session_size),
        log_level=(pick("log_level") or "INFO").upper(),
        event_loop=(pick("event_loop") or "uvloop").lower(),
        gc_threshold=_gc_threshold(pick("gc_threshold")),
        commit_interval_ms=number("commit_interval_ms", 50),
        ping_interval=float(number("ping_interval", 10)),
        ping_timeout=float(number("ping_timeout", 10)),
        attendance_grace=number("attendance_grace", 60),
        retention_days=number("retention_days", 365),
        media_addresses=_urls(pick("media_addresses")) or None,
        media_last_n=number("media_last_n", 6),
        media_max_peers=number("media_max_peers", 200),
        speech_model=Path(model).expanduser().resolve() if model else None,
        speech_workers=number("speech_workers", 2),
        # One process preloads; with several (Redis) only a session's media owner hears its
        # audio, so each loads the model when it first has speech to recognise.
        speech_preload=(pick("speech_preload") or ("0" if pick("redis") else "1"))
        not in ("0", "false", "no"),
        long_polling=(pick("long_polling") or "0") in ("1", "true", "yes"),
        waiting_room=(pick("waiting_room") or "role_links").lower(),
        limits=Limits(connect_rate=float(number("connect_rate", 20)),
                      connections_per_address=number("connections_per_address", 100)),
        trusted_proxies=_networks(pick("trusted_proxies")),
        database_url=pick("database"),
        redis_url=_redis_url(pick("redis")),
        replica_idle=number("replica_idle", 600),
        redis_prefix=pick("redis_prefix") or "tandem:",
        workers=number("workers", 1),
        reuse_port=(pick("reuse_port") or "0") in ("1", "true", "yes"),
        history=HistoryBounds(events=number("history_events", 1000),
                              seconds=float(number("history_seconds", 600)),
                              bytes=number("history_bytes", 32 * 1024 * 1024)),
        ops_from=_networks(pick("ops_from")),
        metrics=(pick("metrics") or "1").lower() not in ("0", "false", "no"),
        process_name=pick("process_name"),
        board_compact_bytes=number("board_compact_bytes", 256 * 1024),
        webhooks=WebhookSettings(
            allow_private=(pick("webhooks_allow_private") or "0").lower() in ("1", "true",
                                                                              "yes")),
    )
    if settings.workers > 1 and settings.redis_url is None:
        raise SettingsError("several workers share their sessions through Redis: give --redis "
                            "as well as --workers")
    return LoadedSettings(settings, tuple(generated))
