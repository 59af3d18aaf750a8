"""The world file: which accounts, regions, models, profiles and faults exist.

``load_world(path)`` reads and validates a world file and returns a ``World``.
Every problem raises ``WorldError`` whose text names the field, for example
``regions[2].latency_ms: expected a non-negative number``. Unknown fields are
errors too, so a typo never silently turns a fault off. The schema is described
in tests/sim/README.md.
"""

import dataclasses
import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from typing import Optional

#: Fault kinds and the extra fields each accepts.
FAULT_KINDS = {
    "throttling": ("retry_after_ms",),
    "unavailable": (),
    "internal": (),
    "model_not_ready": (),
    "model_timeout": (),
    "down": (),
    "reset": ("after_deltas",),
    "stall": ("stall_s", "after_deltas"),
    "truncated_stream": ("after_deltas",),
    "corrupt_crc": ("after_deltas",),
    "midstream_throttle": ("after_deltas",),
}
#: Faults that only make sense inside an event stream; other operations ignore them.
STREAM_ONLY_FAULTS = frozenset({"truncated_stream", "corrupt_crc", "midstream_throttle"})

DEFAULT_STALL_S = 10.0
DEFAULT_AFTER_DELTAS = 2

_REGION_NAME = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$")
_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{8,128}$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


class WorldError(ValueError):
    """A world file (or a control request) is invalid; the text names the field."""


@dataclass(frozen=True)
class Credential:
    """An access key pair of one account; ``session_token`` makes it temporary."""

    account_id: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: Optional[str] = field(default=None, repr=False)
    #: Epoch seconds after which requests signed with it are refused (minted ones).
    expires_at: Optional[float] = None


@dataclass(frozen=True)
class Fault:
    """A fault active from ``from_s`` to ``to_s`` (seconds since the simulator was
    ready; ``to_s`` None means forever), hitting each request with probability
    ``rate``."""

    kind: str
    from_s: float = 0.0
    to_s: Optional[float] = None
    rate: float = 1.0
    stall_s: float = DEFAULT_STALL_S
    after_deltas: int = DEFAULT_AFTER_DELTAS
    retry_after_ms: Optional[int] = None  # throttling: sent as x-amz-retry-after when set

    def active(self, now_s: float) -> bool:
        return self.from_s <= now_s and (self.to_s is None or now_s < self.to_s)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "from_s": self.from_s, "to_s": self.to_s, "rate": self.rate}
        for extra in FAULT_KINDS[self.kind]:
            out[extra] = getattr(self, extra)
        return out


@dataclass(frozen=True)
class Quota:
    """Per-account token buckets of one region; None means unlimited."""

    rpm: Optional[int] = None
    tpm: Optional[int] = None


@dataclass(frozen=True)
class Region:
    name: str
    host: str
    port: int
    latency_ms: float
    jitter_ms: float
    delta_interval_ms: float
    models: tuple
    quotas: Quota
    faults: tuple

    @property
    def hostname(self) -> str:
        return f"bedrock-runtime.{self.name}.amazonaws.com"

    @property
    def control_hostname(self) -> str:
        """The control plane's host (ListInferenceProfiles, GetInferenceProfile)."""
        return f"bedrock.{self.name}.amazonaws.com"


#: The control plane's InferenceProfileType and InferenceProfileStatus values
#: (botocore's ``bedrock`` service model).
PROFILE_TYPES = ("SYSTEM_DEFINED", "APPLICATION")
PROFILE_STATUSES = ("ACTIVE",)


@dataclass(frozen=True)
class Profile:
    """A cross-region inference profile: callable in ``source_regions``, served
    in one of ``destination_regions``. The control plane lists it in each source
    region; ``global_arn`` adds the empty-region model ARN
    (``arn:aws:bedrock:::foundation-model/M``) that AWS lists for global profiles."""

    id: str
    model_id: str
    source_regions: tuple
    destination_regions: tuple
    type: str = "SYSTEM_DEFINED"
    status: str = "ACTIVE"
    name: Optional[str] = None
    global_arn: bool = False


@dataclass(frozen=True)
class World:
    seed: int
    credentials: dict  # access_key_id -> Credential
    api_keys: dict = field(repr=False)  # bearer key -> account id
    regions: tuple
    profiles: dict  # profile id -> Profile
    profile_only_models: frozenset
    identity: object = None  # identity.IdentityConfig, or None: no identity endpoints

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)


def _refuse_duplicate_keys(pairs):
    # json keeps the last of a repeated key; a world file that says a thing twice
    # is a mistake, not a choice between its answers.
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise WorldError(f"key {key!r} given twice in one object")
        seen[key] = value
    return seen


def load_world(path: str) -> World:
    """Read and validate a world file; raises WorldError (text without the path)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise WorldError(f"cannot read: {e.strerror}") from None
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as e:
        raise WorldError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    return parse_world(data)


def parse_world(data) -> World:
    """Validate the decoded JSON of a world file."""
    _object(data, "world", required=("accounts", "regions"),
            optional=("seed", "profiles", "profile_only_models", "description", "identity"))
    seed = _integer(data.get("seed", 0), "seed")
    if "description" in data:
        _string(data["description"], "description")

    credentials, api_keys = {}, {}
    for i, account in enumerate(_list(data["accounts"], "accounts", non_empty=True)):
        path = f"accounts[{i}]"
        _object(account, path, required=("id",), optional=("credentials", "api_keys"))
        account_id = _string(account["id"], f"{path}.id")
        if not _ACCOUNT_ID.match(account_id):
            raise WorldError(f"{path}.id: expected a 12-digit account ID")
        for j, cred in enumerate(_list(account.get("credentials", []), f"{path}.credentials")):
            cpath = f"{path}.credentials[{j}]"
            _object(cred, cpath, required=("access_key_id", "secret_access_key"),
                    optional=("session_token",))
            key_id = _string(cred["access_key_id"], f"{cpath}.access_key_id")
            if not _ACCESS_KEY_ID.match(key_id):
                raise WorldError(f"{cpath}.access_key_id: expected 8-128 characters A-Z and 0-9")
            if key_id in credentials:
                raise WorldError(f"{cpath}.access_key_id: duplicate access key ID {key_id}")
            token = cred.get("session_token")
            credentials[key_id] = Credential(
                account_id, key_id, _string(cred["secret_access_key"], f"{cpath}.secret_access_key"),
                None if token is None else _string(token, f"{cpath}.session_token"))
        for j, key in enumerate(_list(account.get("api_keys", []), f"{path}.api_keys")):
            key = _string(key, f"{path}.api_keys[{j}]")
            if key in api_keys:
                raise WorldError(f"{path}.api_keys[{j}]: duplicate API key")
            api_keys[key] = account_id

    regions = []
    endpoints = set()
    for i, region in enumerate(_list(data["regions"], "regions", non_empty=True)):
        parsed = parse_region(region, f"regions[{i}]")
        if any(r.name == parsed.name for r in regions):
            raise WorldError(f"regions[{i}].name: duplicate region {parsed.name}")
        if parsed.port and (parsed.host, parsed.port) in endpoints:
            raise WorldError(f"regions[{i}].port: {parsed.host}:{parsed.port} is used twice")
        endpoints.add((parsed.host, parsed.port))
        regions.append(parsed)

    profiles = {}
    for i, profile in enumerate(_list(data.get("profiles", []), "profiles")):
        path = f"profiles[{i}]"
        _object(profile, path, required=("id", "source_regions", "destination_regions"),
                optional=("model_id", "type", "status", "name", "global_arn"))
        profile_id = _string(profile["id"], f"{path}.id")
        profile_type = profile.get("type", "SYSTEM_DEFINED")
        if profile_type not in PROFILE_TYPES:
            raise WorldError(f"{path}.type: expected one of {', '.join(PROFILE_TYPES)}")
        status = profile.get("status", "ACTIVE")
        if status not in PROFILE_STATUSES:
            raise WorldError(f"{path}.status: expected one of {', '.join(PROFILE_STATUSES)}")
        if profile_type == "SYSTEM_DEFINED" and "." not in profile_id:
            raise WorldError(f"{path}.id: expected a prefixed ID such as eu.<model id>")
        if profile_type == "APPLICATION" and not re.match(r"^[a-z0-9]{12}$", profile_id):
            raise WorldError(f"{path}.id: expected 12 characters a-z 0-9 (an application profile ID)")
        if profile_type == "APPLICATION" and "model_id" not in profile:
            raise WorldError(f"{path}.model_id: missing (required for an application profile)")
        if profile_id in profiles:
            raise WorldError(f"{path}.id: duplicate profile {profile_id}")
        model_id = _string(profile.get("model_id", profile_id.split(".", 1)[-1]), f"{path}.model_id")
        global_arn = profile.get("global_arn", False)
        if not isinstance(global_arn, bool):
            raise WorldError(f"{path}.global_arn: expected true or false")
        profiles[profile_id] = Profile(
            profile_id, model_id,
            _region_names(profile["source_regions"], f"{path}.source_regions"),
            _region_names(profile["destination_regions"], f"{path}.destination_regions"),
            type=profile_type, status=status,
            name=None if "name" not in profile else _string(profile["name"], f"{path}.name"),
            global_arn=global_arn)

    profile_only = frozenset(
        _string(m, f"profile_only_models[{i}]")
        for i, m in enumerate(_list(data.get("profile_only_models", []), "profile_only_models")))
    identity = None
    if "identity" in data:
        from .identity import parse_identity  # identity imports this module
        identity = parse_identity(data["identity"], {c.account_id for c in credentials.values()} |
                                  set(api_keys.values()) | {a["id"] for a in data["accounts"]})
    return World(seed, credentials, api_keys, tuple(regions), profiles, profile_only, identity)


def parse_region(data, path: str) -> Region:
    _object(data, path, required=("name",),
            optional=("host", "port", "latency_ms", "jitter_ms", "delta_interval_ms",
                      "models", "quotas", "faults"))
    name = _string(data["name"], f"{path}.name")
    if not _REGION_NAME.match(name):
        raise WorldError(f"{path}.name: expected an AWS region name such as eu-central-1")
    host = _string(data.get("host", "127.0.0.1"), f"{path}.host")
    try:
        if not ipaddress.IPv4Address(host).is_loopback:
            raise ValueError
    except ValueError:
        raise WorldError(f"{path}.host: expected a loopback IPv4 address (127.x.y.z)") from None
    port = _integer(data.get("port", 0), f"{path}.port")
    if not 0 <= port <= 65535:
        raise WorldError(f"{path}.port: expected 0 (any free port) to 65535")
    quotas = data.get("quotas", {})
    _object(quotas, f"{path}.quotas", optional=("rpm", "tpm"))
    models = tuple(_string(m, f"{path}.models[{i}]")
                   for i, m in enumerate(_list(data.get("models", []), f"{path}.models")))
    return Region(
        name=name, host=host, port=port,
        latency_ms=_number(data.get("latency_ms", 0), f"{path}.latency_ms"),
        jitter_ms=_number(data.get("jitter_ms", 0), f"{path}.jitter_ms"),
        delta_interval_ms=_number(data.get("delta_interval_ms", 0), f"{path}.delta_interval_ms"),
        models=models,
        quotas=Quota(*(None if quotas.get(k) is None else _positive_int(quotas[k], f"{path}.quotas.{k}")
                       for k in ("rpm", "tpm"))),
        faults=parse_faults(data.get("faults", []), f"{path}.faults"))


def parse_faults(data, path: str) -> tuple:
    """Validate a list of faults (also used for control-endpoint updates)."""
    faults = []
    for i, fault in enumerate(_list(data, path)):
        fpath = f"{path}[{i}]"
        if not isinstance(fault, dict):
            raise WorldError(f"{fpath}: expected an object")
        kind = fault.get("kind")
        if kind not in FAULT_KINDS:
            raise WorldError(f"{fpath}.kind: expected one of {', '.join(FAULT_KINDS)}")
        _object(fault, fpath, required=("kind",),
                optional=("from_s", "to_s", "rate") + FAULT_KINDS[kind])
        from_s = _number(fault.get("from_s", 0), f"{fpath}.from_s")
        to_s = fault.get("to_s")
        if to_s is not None and _number(to_s, f"{fpath}.to_s") <= from_s:
            raise WorldError(f"{fpath}.to_s: expected a number greater than from_s")
        rate = _number(fault.get("rate", 1), f"{fpath}.rate")
        if rate > 1:
            raise WorldError(f"{fpath}.rate: expected a number from 0 to 1")
        faults.append(Fault(
            kind, from_s, to_s, rate,
            stall_s=_number(fault.get("stall_s", DEFAULT_STALL_S), f"{fpath}.stall_s"),
            after_deltas=_integer(fault.get("after_deltas", DEFAULT_AFTER_DELTAS), f"{fpath}.after_deltas",
                                  minimum=0),
            retry_after_ms=(None if fault.get("retry_after_ms") is None else
                            _integer(fault["retry_after_ms"], f"{fpath}.retry_after_ms", minimum=0))))
    return tuple(faults)


def parse_latency(data, region_names) -> tuple:
    """Validate a control-endpoint latency change ``{"region": R, "latency_ms": N,
    "jitter_ms": M}`` (jitter optional); returns (region, latency_ms, jitter_ms or None)."""
    if not isinstance(data, dict):
        raise WorldError('expected {"region": NAME, "latency_ms": N, "jitter_ms": M (optional)}')
    for key in ("region", "latency_ms"):
        if key not in data:
            raise WorldError(f"{key}: missing")
    for key in data:
        if key not in ("region", "latency_ms", "jitter_ms"):
            raise WorldError(f"{key}: unknown field")
    region = _string(data["region"], "region")
    if region not in region_names:
        raise WorldError(f"region: no region {region!r} in this world")
    latency_ms = _number(data["latency_ms"], "latency_ms")
    jitter_ms = _number(data["jitter_ms"], "jitter_ms") if "jitter_ms" in data else None
    return region, latency_ms, jitter_ms


def _object(value, path, required=(), optional=()):
    if not isinstance(value, dict):
        raise WorldError(f"{path}: expected an object")
    for key in required:
        if key not in value:
            raise WorldError(f"{path}.{key}: missing")
    for key in value:
        if key not in required and key not in optional:
            raise WorldError(f"{path}.{key}: unknown field")


def _list(value, path, non_empty=False):
    if not isinstance(value, list) or (non_empty and not value):
        raise WorldError(f"{path}: expected a {'non-empty ' if non_empty else ''}list")
    return value


def _string(value, path):
    if not isinstance(value, str) or not value:
        raise WorldError(f"{path}: expected a non-empty string")
    return value


def _number(value, path):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
        raise WorldError(f"{path}: expected a non-negative number")
    return float(value)


def _integer(value, path, minimum=None):
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        raise WorldError(f"{path}: expected {'a non-negative ' if minimum == 0 else 'an '}integer")
    return value


def _positive_int(value, path):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise WorldError(f"{path}: expected a positive integer")
    return value


def parse_profile_destinations(request, profiles):
    """The control endpoint's ``{"id": P, "destination_regions": [...]}``: profile P
    with those destinations (the world's profiles change while it runs, as AWS's
    do). WorldError names the field at fault."""
    if not isinstance(request, dict) or set(request) != {"id", "destination_regions"}:
        raise WorldError('expected {"id": PROFILE_ID, "destination_regions": [REGION, ...]}')
    profile_id = _string(request["id"], "id")
    if profile_id not in profiles:
        raise WorldError(f"id: no profile {profile_id!r} in this world")
    return dataclasses.replace(profiles[profile_id],
                               destination_regions=_region_names(request["destination_regions"],
                                                                 "destination_regions"))


def _region_names(value, path):
    names = tuple(_string(v, f"{path}[{i}]") for i, v in enumerate(_list(value, path, non_empty=True)))
    for i, name in enumerate(names):
        if not _REGION_NAME.match(name):
            raise WorldError(f"{path}[{i}]: expected an AWS region name such as eu-central-1")
    return names
