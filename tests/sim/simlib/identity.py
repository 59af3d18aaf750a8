"""The identity side of the simulator: where a device trades its identity for
short-lived credentials that the simulated Bedrock regions then accept.

* AWS IoT Core's credentials provider: HTTPS that *demands* a client certificate
  issued by the world's device CA (others fail the TLS handshake), and answers
  ``GET /role-aliases/ALIAS/credentials`` with
  ``{"credentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}}``
  (AWS IoT Developer Guide, "Authorizing direct calls to AWS services using AWS
  IoT Core credential provider"). An ``x-amzn-iot-thingname`` header must name the
  thing the certificate belongs to (its CN here). Unknown alias: 404.
* Container credentials (ECS, EKS Pod Identity, Greengrass's token exchange
  service): plain HTTP on loopback, ``GET`` any path with ``Authorization: TOKEN``,
  answering ``{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}``.

Every answer mints a new key pair and session token for the alias's account,
valid ``credential_duration_s``; the regions refuse it afterwards with
``ExpiredTokenException``. Each minted secret and token is also appended to
``minted-secrets.jsonl`` in the state directory, so that tests can check that
none of them leaked into any output or log. Device certificates (one per thing, and one from a
rogue CA) are issued into the state directory at start-up, keys mode 0600.
Nothing secret is ever logged.
"""

import datetime
import json
import os
import secrets
import ssl
import string
import threading
import time

from . import tls
from .world import Credential, WorldError

DEVICE_CA_SUBJECT = "/O=edgeroute simulator/CN=edgeroute simulator device CA (not trusted anywhere)"
ROGUE_CA_SUBJECT = "/O=somebody else/CN=a CA the simulator does not know"
IOT_HOSTNAME = "c2sim.credentials.iot.eu-central-1.amazonaws.com"


class IdentityConfig:
    """The world's ``identity`` section."""

    def __init__(self, role_aliases, things, duration_s, container_token, container_account):
        self.role_aliases = role_aliases  # alias -> account id
        self.things = things
        self.duration_s = duration_s
        self.container_token = container_token
        self.container_account = container_account


def parse_identity(data, account_ids) -> IdentityConfig:
    """Validate ``identity``: {"role_aliases": {ALIAS: ACCOUNT}, "things": [NAME],
    "credential_duration_s": N, "container_token": T, "container_account": ACCOUNT}."""
    if not isinstance(data, dict):
        raise WorldError("identity: expected an object")
    known = {"role_aliases", "things", "credential_duration_s", "container_token", "container_account"}
    for key in data:
        if key not in known:
            raise WorldError(f"identity.{key}: unknown field")
    aliases = data.get("role_aliases", {})
    if not isinstance(aliases, dict) or any(a not in account_ids for a in aliases.values()):
        raise WorldError("identity.role_aliases: expected {alias: account id of this world}")
    things = data.get("things", [])
    if not isinstance(things, list) or not all(isinstance(t, str) and t and t.replace("-", "").replace(
            "_", "").replace(":", "").isalnum() for t in things):
        raise WorldError("identity.things: expected a list of thing names")
    duration = data.get("credential_duration_s", 900)
    if not isinstance(duration, (int, float)) or duration <= 0:
        raise WorldError("identity.credential_duration_s: expected a positive number")
    token = data.get("container_token")
    if token is not None and (not isinstance(token, str) or not token):
        raise WorldError("identity.container_token: expected a non-empty string")
    account = data.get("container_account", next(iter(account_ids)) if account_ids else None)
    if account not in account_ids:
        raise WorldError("identity.container_account: expected an account id of this world")
    return IdentityConfig(dict(aliases), list(things), duration, token, account)


def _iso(epoch_s: float) -> str:
    return datetime.datetime.fromtimestamp(int(epoch_s), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Identity:
    """Mints credentials into the world's credential table; issues the device PKI."""

    def __init__(self, world, config: IdentityConfig, state_dir: str):
        self.world = world
        self.config = config
        self.state_dir = state_dir
        self._lock = threading.Lock()
        self.duration_s = config.duration_s
        # Switched through the control endpoint (POST /identity).
        self.iot_down = False
        self.container_down = False
        self.refuse_certificates = False
        self.device_files = {}
        self.rogue_files = None
        self.device_ca = None

    def setup_pki(self, server_ca) -> dict:
        """Device CA, one certificate per thing and a rogue one; returns the server
        contexts {"normal": ctx, "refusing": ctx} for the IoT endpoint."""
        d = self.state_dir
        ca_file, ca_key = os.path.join(d, "device-ca.pem"), os.path.join(d, "device-ca.key")
        _make_ca(ca_file, ca_key, DEVICE_CA_SUBJECT)
        rogue_ca, rogue_key = os.path.join(d, "rogue-ca.pem"), os.path.join(d, "rogue-ca.key")
        _make_ca(rogue_ca, rogue_key, ROGUE_CA_SUBJECT)
        self.device_ca = ca_file
        for thing in self.config.things:
            self.device_files[thing] = _issue_device(d, f"device-{thing}", thing, ca_file, ca_key)
        self.rogue_files = _issue_device(d, "device-rogue", self.config.things[0] if self.config.things else "rogue",
                                         rogue_ca, rogue_key)
        contexts = {}
        for name, trusted in (("normal", ca_file), ("refusing", rogue_ca)):
            context = tls.create_server_context(d, server_ca, IOT_HOSTNAME, "127.0.0.1")
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(trusted)
            contexts[name] = context
        return contexts

    def mint(self, account_id: str) -> dict:
        """A fresh key pair and token, valid duration_s from now."""
        alphabet = string.ascii_uppercase + string.digits
        key_id = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        secret = secrets.token_urlsafe(30)
        token = "IQoJsim" + secrets.token_urlsafe(96)
        with self._lock:
            expires = time.time() + self.duration_s
        self.world.credentials[key_id] = Credential(account_id, key_id, secret, token, expires_at=expires)
        # For tests only: what they grep every output and log for (never requests.jsonl).
        with self._lock, open(os.path.join(self.state_dir, "minted-secrets.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps({"access_key_id": key_id, "secret": secret, "token": token}) + "\n")
        return {"key_id": key_id, "secret": secret, "token": token, "expiration": _iso(expires)}

    def control(self, request) -> dict:
        """POST /identity {"iot_down": B, "container_down": B, "refuse_certificates": B,
        "credential_duration_s": N}, each optional."""
        if not isinstance(request, dict):
            raise WorldError("expected an object")
        for key, value in request.items():
            if key in ("iot_down", "container_down", "refuse_certificates"):
                if not isinstance(value, bool):
                    raise WorldError(f"{key}: expected true or false")
                setattr(self, key, value)
            elif key == "credential_duration_s":
                if not isinstance(value, (int, float)) or value <= 0:
                    raise WorldError(f"{key}: expected a positive number")
                with self._lock:
                    self.duration_s = value
            else:
                raise WorldError(f"{key}: unknown field")
        return self.snapshot()

    def snapshot(self) -> dict:
        return {"iot_down": self.iot_down, "container_down": self.container_down,
                "refuse_certificates": self.refuse_certificates, "credential_duration_s": self.duration_s}


def _make_ca(cert, key, subject):
    tls._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                 "-out", cert, "-days", tls.VALID_DAYS, "-subj", subject,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    os.chmod(key, 0o600)


def _issue_device(directory, stem, thing, ca_file, ca_key) -> dict:
    cert, key = os.path.join(directory, f"{stem}.pem"), os.path.join(directory, f"{stem}.key")
    tls._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                 "-CA", ca_file, "-CAkey", ca_key, "-out", cert, "-days", tls.VALID_DAYS, "-subj", f"/CN={thing}",
                 "-addext", "basicConstraints=critical,CA:FALSE",
                 "-addext", "keyUsage=critical,digitalSignature",
                 "-addext", "extendedKeyUsage=clientAuth")
    os.chmod(key, 0o600)
    return {"certificate": cert, "key": key, "thing_name": thing}


def peer_common_name(connection) -> str:
    """The CN of the client certificate of a TLS connection, or ""."""
    getpeercert = getattr(connection, "getpeercert", None)
    cert = getpeercert() if getpeercert else None
    for rdn in (cert or {}).get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return value
    return ""


def iot_answer(identity: Identity, alias: str, thing_header, client_cn: str):
    """(status, payload, log fields) for GET /role-aliases/ALIAS/credentials."""
    account = identity.config.role_aliases.get(alias)
    if account is None:
        return 404, {"message": "Role alias does not exist"}, {}
    if thing_header is not None and (thing_header not in identity.config.things or thing_header != client_cn):
        return 403, {"message": "Access Denied"}, {}
    minted = identity.mint(account)
    payload = {"credentials": {"accessKeyId": minted["key_id"], "secretAccessKey": minted["secret"],
                               "sessionToken": minted["token"], "expiration": minted["expiration"]}}
    return 200, payload, {"access_key_id": minted["key_id"], "account_id": account, "expiration": minted["expiration"]}


def container_answer(identity: Identity, authorization):
    """(status, payload, log fields) for the container credentials endpoint."""
    expected = identity.config.container_token
    if expected is not None:
        if authorization is None or not secrets.compare_digest(authorization.encode(), expected.encode()):
            return 401, {"code": "Unauthorized", "message": "invalid authorization token"}, {}
    account = identity.config.container_account
    minted = identity.mint(account)
    payload = {"AccessKeyId": minted["key_id"], "SecretAccessKey": minted["secret"], "Token": minted["token"],
               "Expiration": minted["expiration"], "RoleArn": f"arn:aws:iam::{account}:role/edge-bedrock"}
    return 200, payload, {"access_key_id": minted["key_id"], "account_id": account, "expiration": minted["expiration"]}


def dump(payload) -> bytes:
    return json.dumps(payload).encode()
