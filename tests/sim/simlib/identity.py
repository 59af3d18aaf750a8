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
* IAM Roles Anywhere's ``CreateSession``: HTTPS (server certificate only),
  ``POST /sessions`` with ``{"durationSeconds", "profileArn", "roleArn",
  "trustAnchorArn"}``, authenticated by a signature made with an X.509
  certificate's key (IAM Roles Anywhere User Guide, "The IAM Roles Anywhere
  authentication signing process"): SigV4's canonical request with ``X-Amz-X509``
  (the leaf's DER, base64) and optionally ``X-Amz-X509-Chain`` among the signed
  headers, ``Authorization: AWS4-X509-{RSA,ECDSA}-SHA256
  Credential=SERIAL/DATE/REGION/rolesanywhere/aws4_request, SignedHeaders=...,
  Signature=HEX`` over the string to sign. Verified here: the signature with the
  certificate's public key, the chain up to the trust anchor's CA (the device CA),
  the serial, date, region and service of the scope, and the trust anchor, profile
  and role ARNs against the world. Refusals are 403 ``AccessDeniedException``
  (400 ``ValidationException`` for a malformed body), ``{"message"}`` only.
  The answer is ``{"credentialSet": [{"credentials": {"accessKeyId",
  "secretAccessKey", "sessionToken", "expiration"}, ...}], "subjectArn"}``.

Every answer mints a new key pair and session token for the alias's account,
valid ``credential_duration_s``; the regions refuse it afterwards with
``ExpiredTokenException``. Each minted secret and token is also appended to
``minted-secrets.jsonl`` in the state directory, so that tests can check that
none of them leaked into any output or log. Device certificates (one per thing, and one from a
rogue CA) are issued into the state directory at start-up, keys mode 0600.
Nothing secret is ever logged.
"""

import base64
import binascii
import datetime
import hashlib
import json
import os
import re
import secrets
import ssl
import string
import threading
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import tls
from .auth import MAX_SKEW, received_canonical_request
from .world import Credential, WorldError

DEVICE_CA_SUBJECT = "/O=edgeroute simulator/CN=edgeroute simulator device CA (not trusted anywhere)"
ROGUE_CA_SUBJECT = "/O=somebody else/CN=a CA the simulator does not know"
IOT_HOSTNAME = "c2sim.credentials.iot.eu-central-1.amazonaws.com"
RA_SERVICE = "rolesanywhere"
RA_ALGORITHMS = {"AWS4-X509-RSA-SHA256": rsa.RSAPublicKey, "AWS4-X509-ECDSA-SHA256": ec.EllipticCurvePublicKey}
RA_MIN_DURATION_S, RA_MAX_DURATION_S = 900, 43200


class IdentityConfig:
    """The world's ``identity`` section."""

    def __init__(self, role_aliases, things, duration_s, container_token, container_account, rolesanywhere=None):
        self.role_aliases = role_aliases  # alias -> account id
        self.things = things
        self.duration_s = duration_s
        self.container_token = container_token
        self.container_account = container_account
        self.rolesanywhere = rolesanywhere  # RolesAnywhereConfig or None


class RolesAnywhereConfig:
    """``identity.rolesanywhere``: one trust anchor (the device CA) and one profile
    in one region, and the roles the profile may hand out."""

    def __init__(self, region, trust_anchor_arn, profile_arn, role_arns):
        self.region = region
        self.trust_anchor_arn = trust_anchor_arn
        self.profile_arn = profile_arn
        self.role_arns = role_arns  # role ARN -> account id


_RA_ARN = re.compile(r"^arn:aws:rolesanywhere:([a-z0-9-]+):(\d{12}):(trust-anchor|profile)/[0-9a-f-]{1,64}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/[A-Za-z0-9+=,.@_/-]{1,64}$")


def parse_rolesanywhere(data, account_ids) -> RolesAnywhereConfig:
    """{"trust_anchor_arn": ARN, "profile_arn": ARN, "role_arns": [ARN]}; the trust
    anchor and profile in one region and account, each role in an account of this world."""
    path = "identity.rolesanywhere"
    if not isinstance(data, dict):
        raise WorldError(f"{path}: expected an object")
    for key in data:
        if key not in ("trust_anchor_arn", "profile_arn", "role_arns"):
            raise WorldError(f"{path}.{key}: unknown field")
    found = {}
    for key, kind in (("trust_anchor_arn", "trust-anchor"), ("profile_arn", "profile")):
        m = _RA_ARN.match(data.get(key) or "") if isinstance(data.get(key), str) else None
        if m is None or m.group(3) != kind:
            raise WorldError(f"{path}.{key}: expected arn:aws:rolesanywhere:REGION:ACCOUNT:{kind}/ID")
        found[key] = m
    ta, profile = found["trust_anchor_arn"], found["profile_arn"]
    if ta.group(1, 2) != profile.group(1, 2):
        raise WorldError(f"{path}: the trust anchor and the profile must be in one region and account")
    roles = data.get("role_arns")
    if not isinstance(roles, list) or not roles:
        raise WorldError(f"{path}.role_arns: expected a non-empty list of role ARNs")
    role_arns = {}
    for i, role in enumerate(roles):
        m = _ROLE_ARN.match(role) if isinstance(role, str) else None
        if m is None or m.group(1) not in account_ids:
            raise WorldError(f"{path}.role_arns[{i}]: expected arn:aws:iam::ACCOUNT:role/NAME, "
                             "ACCOUNT an account of this world")
        role_arns[role] = m.group(1)
    return RolesAnywhereConfig(ta.group(1), data["trust_anchor_arn"], data["profile_arn"], role_arns)


def parse_identity(data, account_ids) -> IdentityConfig:
    """Validate ``identity``: {"role_aliases": {ALIAS: ACCOUNT}, "things": [NAME],
    "credential_duration_s": N, "container_token": T, "container_account": ACCOUNT,
    "rolesanywhere": {...}}."""
    if not isinstance(data, dict):
        raise WorldError("identity: expected an object")
    known = {"role_aliases", "things", "credential_duration_s", "container_token", "container_account",
             "rolesanywhere"}
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
    rolesanywhere = None
    if "rolesanywhere" in data:
        rolesanywhere = parse_rolesanywhere(data["rolesanywhere"], account_ids)
        if not things:
            raise WorldError("identity.rolesanywhere: needs at least one thing (its certificates sign the requests)")
    return IdentityConfig(dict(aliases), list(things), duration, token, account, rolesanywhere)


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
        self.rolesanywhere_down = False
        self.refuse_certificates = False
        self.device_files = {}
        self.rogue_files = None
        self.device_ca = None
        self.rogue_ca = None

    def setup_pki(self, server_ca) -> dict:
        """Device CA, one certificate per thing and a rogue one; returns the server
        contexts {"normal": ctx, "refusing": ctx} for the IoT endpoint."""
        d = self.state_dir
        ca_file, ca_key = os.path.join(d, "device-ca.pem"), os.path.join(d, "device-ca.key")
        _make_ca(ca_file, ca_key, DEVICE_CA_SUBJECT)
        rogue_ca, rogue_key = os.path.join(d, "rogue-ca.pem"), os.path.join(d, "rogue-ca.key")
        _make_ca(rogue_ca, rogue_key, ROGUE_CA_SUBJECT)
        self.device_ca, self.rogue_ca = ca_file, rogue_ca
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

    def mint(self, account_id: str, max_duration_s=None) -> dict:
        """A fresh key pair and token, valid duration_s (at most max_duration_s) from now."""
        alphabet = string.ascii_uppercase + string.digits
        key_id = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        secret = secrets.token_urlsafe(30)
        token = "IQoJsim" + secrets.token_urlsafe(96)
        with self._lock:
            expires = time.time() + min(self.duration_s, max_duration_s or self.duration_s)
        self.world.credentials[key_id] = Credential(account_id, key_id, secret, token, expires_at=expires)
        # For tests only: what they grep every output and log for (never requests.jsonl).
        with self._lock, open(os.path.join(self.state_dir, "minted-secrets.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps({"access_key_id": key_id, "secret": secret, "token": token}) + "\n")
        return {"key_id": key_id, "secret": secret, "token": token, "expiration": _iso(expires)}

    def control(self, request) -> dict:
        """POST /identity {"iot_down": B, "container_down": B, "rolesanywhere_down": B,
        "refuse_certificates": B, "credential_duration_s": N}, each optional."""
        if not isinstance(request, dict):
            raise WorldError("expected an object")
        for key, value in request.items():
            if key in ("iot_down", "container_down", "rolesanywhere_down", "refuse_certificates"):
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
                "rolesanywhere_down": self.rolesanywhere_down, "refuse_certificates": self.refuse_certificates, "credential_duration_s": self.duration_s}


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


class _Refusal(Exception):
    """A CreateSession refusal: (status, error type, message); never key material."""

    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def _denied(message: str) -> _Refusal:
    return _Refusal(403, "AccessDeniedException", message)


def _load_der(text: str, what: str):
    try:
        return x509.load_der_x509_certificate(base64.b64decode(text.strip(), validate=True))
    except (ValueError, binascii.Error):
        raise _denied(f"{what} is not a base64 DER X.509 certificate") from None


def _is_ca(cert) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _issued_by(cert, issuer) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def _chains_to_anchor(leaf, chain, anchor, now) -> bool:
    """The leaf (not a CA) reaches the anchor through CA certificates of the chain,
    every certificate on the way valid now."""
    def valid(cert):
        return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
    if _is_ca(leaf) or not valid(anchor):
        return False
    current, unused = leaf, list(chain)
    for _ in range(len(chain) + 1):
        if not valid(current):
            return False
        if _issued_by(current, anchor):
            return True
        issuer = next((c for c in unused if _is_ca(c) and _issued_by(current, c)), None)
        if issuer is None:
            return False
        unused.remove(issuer)
        current = issuer
    return False


def _common_name(cert) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _verify_x509_signature(headers, method, raw_target, body, now):
    """Check CreateSession's signature as the IAM Roles Anywhere User Guide describes
    it; returns (leaf certificate, chain, the scope's region); raises _Refusal."""
    authorization = headers.get("Authorization")
    if authorization is None:
        raise _denied("Missing Authentication Token")
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm not in RA_ALGORITHMS:
        raise _denied("Authorization header must use AWS4-X509-RSA-SHA256 or AWS4-X509-ECDSA-SHA256")
    params = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        params[key] = value
    for required in ("Credential", "SignedHeaders", "Signature"):
        if not params.get(required):
            raise _denied(f"Authorization header requires '{required}' parameter")
    x509_header = headers.get("X-Amz-X509")
    if x509_header is None:
        raise _denied("Missing X-Amz-X509 header (the signing certificate)")
    leaf = _load_der(x509_header, "X-Amz-X509")
    chain_header = headers.get("X-Amz-X509-Chain")
    chain = [_load_der(c, "X-Amz-X509-Chain") for c in chain_header.split(",")] if chain_header else []
    if not isinstance(leaf.public_key(), RA_ALGORITHMS[algorithm]):
        raise _denied(f"{algorithm} does not match the signing certificate's key type")

    scope = params["Credential"].split("/")
    if len(scope) != 5:
        raise _denied("Credential must be SERIAL/DATE/REGION/rolesanywhere/aws4_request")
    serial, scope_date, scope_region, scope_service, terminator = scope
    if serial != str(leaf.serial_number):
        raise _denied("Credential does not name the signing certificate's serial number (in decimal)")
    amz_date = headers.get("X-Amz-Date")
    try:
        signed_at = datetime.datetime.strptime(amz_date or "", "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise _denied("X-Amz-Date is missing or not in ISO-8601 basic format") from None
    if abs(signed_at - now) > MAX_SKEW:
        raise _denied("Signature expired or not yet current (X-Amz-Date more than 5 minutes off)")
    if scope_date != amz_date[:8] or scope_service != RA_SERVICE or terminator != "aws4_request":
        raise _denied("Credential scope must be X-Amz-Date's date/REGION/rolesanywhere/aws4_request")
    signed_headers = params["SignedHeaders"].split(";")
    needed = {"host", "x-amz-date", "x-amz-x509"} | ({"x-amz-x509-chain"} if chain_header is not None else set())
    if not needed <= set(signed_headers):
        raise _denied(f"SignedHeaders must include {', '.join(sorted(needed))}")
    declared_hash = headers.get("X-Amz-Content-SHA256")
    if declared_hash is not None and declared_hash != hashlib.sha256(body).hexdigest():
        raise _denied("The request signature does not match")

    canonical = received_canonical_request(method, raw_target, headers, body, signed_headers)
    string_to_sign = "\n".join([algorithm, amz_date, "/".join(scope[1:]),
                                 hashlib.sha256(canonical.encode()).hexdigest()]).encode()
    try:
        signature = bytes.fromhex(params["Signature"])
        key = leaf.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, string_to_sign, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, string_to_sign, ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        raise _denied("The request signature does not match the signing certificate's public key") from None
    return leaf, chain, scope_region


def rolesanywhere_answer(identity: Identity, method: str, raw_target: str, headers, body: bytes):
    """(status, payload, log fields) for CreateSession (POST /sessions)."""
    config = identity.config.rolesanywhere
    fields = {"signature_verified": False}
    try:
        if method != "POST" or raw_target.split("?")[0] != "/sessions":
            raise _Refusal(404, "UnknownOperationException", "Not Found")
        now = datetime.datetime.now(datetime.timezone.utc)
        leaf, chain, scope_region = _verify_x509_signature(headers, method, raw_target, body, now)
        fields.update(signature_verified=True, certificate=_common_name(leaf))
        anchor_file = identity.rogue_ca if identity.refuse_certificates else identity.device_ca
        with open(anchor_file, "rb") as f:
            anchor = x509.load_pem_x509_certificate(f.read())
        if not _chains_to_anchor(leaf, chain, anchor, now):
            raise _denied("Untrusted signing certificate: no valid chain to the trust anchor")
        try:
            request = json.loads(body or b"null")
        except ValueError:
            raise _Refusal(400, "ValidationException", "The request body is not JSON") from None
        if not isinstance(request, dict):
            raise _Refusal(400, "ValidationException", "The request body must be a JSON object")
        for key in ("profileArn", "roleArn", "trustAnchorArn"):
            if not isinstance(request.get(key), str) or not request[key]:
                raise _Refusal(400, "ValidationException", f"{key} is required")
        duration = request.get("durationSeconds", 3600)
        if not isinstance(duration, int) or isinstance(duration, bool) or not (
                RA_MIN_DURATION_S <= duration <= RA_MAX_DURATION_S):
            raise _Refusal(400, "ValidationException",
                           f"durationSeconds must be a whole number of {RA_MIN_DURATION_S}..{RA_MAX_DURATION_S}")
        fields.update(trust_anchor_arn=request["trustAnchorArn"], profile_arn=request["profileArn"],
                      role_arn=request["roleArn"])
        if scope_region != config.region:
            raise _denied(f"Credential should be scoped to the trust anchor's region, not '{scope_region}'")
        if request["trustAnchorArn"] != config.trust_anchor_arn:
            raise _denied("Unable to find the trust anchor, or it is not enabled")
        if request["profileArn"] != config.profile_arn:
            raise _denied("Unable to find the profile, or it is not enabled")
        account = config.role_arns.get(request["roleArn"])
        if account is None:
            raise _denied("The profile does not allow the role")
    except _Refusal as e:
        fields["error_type"] = e.error_type
        return e.status, {"message": e.message}, fields, [("x-amzn-ErrorType", e.error_type)]
    minted = identity.mint(account, duration)
    role_name = request["roleArn"].rsplit("/", 1)[-1]
    serial = str(leaf.serial_number)
    payload = {"credentialSet": [{
        "assumedRoleUser": {"arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{serial}",
                            "assumedRoleId": f"AROASIM{account}:{serial}"},
        "credentials": {"accessKeyId": minted["key_id"], "secretAccessKey": minted["secret"],
                        "sessionToken": minted["token"], "expiration": minted["expiration"]},
        "packedPolicySize": 0, "roleArn": request["roleArn"], "sourceIdentity": f"CN={fields['certificate']}"}],
        "subjectArn": f"arn:aws:rolesanywhere:{config.region}:{config.trust_anchor_arn.split(':')[4]}:subject/"
                      f"{hashlib.sha256(leaf.subject.rfc4514_string().encode()).hexdigest()[:32]}"}
    fields.update(access_key_id=minted["key_id"], account_id=account, expiration=minted["expiration"])
    return 200, payload, fields, []


def dump(payload) -> bytes:
    return json.dumps(payload).encode()
