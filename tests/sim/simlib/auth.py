"""Request authentication as Bedrock does it: SigV4 (service ``bedrock``) or a
Bedrock API key (``Authorization: Bearer``).

SigV4 signatures are recomputed with botocore's own signer from the request as
received (method, raw path and query, exactly the headers listed in
SignedHeaders, body) and compared in constant time. Failures raise ``AuthError``
carrying the error type and message AWS sends for the same mistake. No secret,
token or signature is ever put into an error text.
"""

import datetime
import hashlib
import hmac
from dataclasses import dataclass
from typing import Optional

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNING_SERVICE = "bedrock"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = datetime.timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"

BAD_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
BAD_TOKEN_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
BAD_API_KEY_MESSAGE = "Authentication failed: Please make sure your API Key is valid."


@dataclass
class Identity:
    """Who sent a request, as far as authentication got. ``verified`` is True only
    when a SigV4 signature matched or a listed API key was presented."""

    scheme: str = "none"  # "sigv4", "bearer" or "none"
    access_key_id: Optional[str] = None
    account_id: Optional[str] = None
    verified: bool = False


class AuthError(Exception):
    """Authentication failed; ``error_type`` and ``message`` are what AWS answers
    (always HTTP 403). ``identity`` is what was learnt before it failed."""

    status = 403

    def __init__(self, error_type: str, message: str, identity: Identity):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.identity = identity


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's SigV4 signer, told to sign exactly the headers the client listed.

    botocore's own header selection drops some names (user-agent, ...) that a
    client may legitimately sign; AWS verifies whatever SignedHeaders lists.
    """

    def __init__(self, credentials, region, signed_headers):
        super().__init__(credentials, SIGNING_SERVICE, region)
        self._signed_headers = signed_headers

    def headers_to_sign(self, request):
        selected = type(request.headers)()
        for name in self._signed_headers:
            for value in request.headers.get_all(name) or []:
                selected[name] = value
        return selected


class Authenticator:
    """Checks requests against the credentials and API keys of a World."""

    def __init__(self, world, clock=lambda: datetime.datetime.now(datetime.timezone.utc)):
        self._credentials = world.credentials
        self._api_keys = world.api_keys
        self._clock = clock

    def authenticate(self, region: str, method: str, raw_target: str, headers, body: bytes) -> Identity:
        """Return the caller's Identity or raise AuthError.

        ``raw_target`` is the request target exactly as received (path and query,
        still percent-encoded); ``headers`` an email.message.Message-like object.
        """
        authorization = headers.get("Authorization")
        if authorization is None:
            raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token", Identity())
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme == "Bearer":
            return self._check_api_key(rest.strip())
        if scheme != ALGORITHM:
            raise AuthError("IncompleteSignatureException",
                            f"Authorization header requires 'Credential' parameter. Authorization header "
                            f"must use the {ALGORITHM} algorithm.", Identity())
        return self._check_sigv4(region, method, raw_target, headers, body, rest)

    def _check_api_key(self, presented: str) -> Identity:
        identity = Identity(scheme="bearer")
        for key, account_id in self._api_keys.items():
            if hmac.compare_digest(key.encode(), presented.encode()):
                identity.account_id, identity.verified = account_id, True
                return identity
        raise AuthError("AccessDeniedException", BAD_API_KEY_MESSAGE, identity)

    def _check_sigv4(self, region, method, raw_target, headers, body, params_text) -> Identity:
        identity = Identity(scheme="sigv4")
        params = {}
        for part in params_text.split(","):
            key, _, value = part.strip().partition("=")
            params[key] = value
        for required in ("Credential", "SignedHeaders", "Signature"):
            if not params.get(required):
                raise AuthError("IncompleteSignatureException",
                                f"Authorization header requires '{required}' parameter.", identity)
        scope = params["Credential"].split("/")
        if len(scope) != 5:
            raise AuthError("IncompleteSignatureException",
                            "Credential must have exactly 5 slash-delimited elements, e.g. "
                            "keyid/date/region/service/term.", identity)
        key_id, scope_date, scope_region, scope_service, terminator = scope
        identity.access_key_id = key_id
        credential = self._credentials.get(key_id)
        if credential is None:
            raise AuthError("UnrecognizedClientException", BAD_TOKEN_MESSAGE, identity)
        identity.account_id = credential.account_id
        presented_token = headers.get("X-Amz-Security-Token")
        if (presented_token is None) != (credential.session_token is None) or (
                presented_token is not None
                and not hmac.compare_digest(presented_token.encode(), credential.session_token.encode())):
            raise AuthError("UnrecognizedClientException", BAD_TOKEN_MESSAGE, identity)
        if credential.expires_at is not None and self._clock().timestamp() >= credential.expires_at:
            raise AuthError("ExpiredTokenException", EXPIRED_TOKEN_MESSAGE, identity)

        amz_date = headers.get("X-Amz-Date")
        if amz_date is None:
            raise AuthError("IncompleteSignatureException",
                            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                            identity)
        try:
            signed_at = datetime.datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise AuthError("IncompleteSignatureException",
                            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.", identity) from None
        self._check_clock_skew(signed_at, identity)
        if scope_date != amz_date[:8]:
            raise AuthError("InvalidSignatureException",
                            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                            f"from HTTP: '{scope_date}' != '{amz_date[:8]}', from '{amz_date}'.", identity)
        if scope_region != region:
            raise AuthError("InvalidSignatureException",
                            f"Credential should be scoped to a valid region, not '{scope_region}'. ", identity)
        if scope_service != SIGNING_SERVICE:
            raise AuthError("InvalidSignatureException",
                            f"Credential should be scoped to correct service: '{SIGNING_SERVICE}'. ", identity)
        if terminator != "aws4_request":
            raise AuthError("InvalidSignatureException",
                            f"Credential should be scoped with a valid terminator: 'aws4_request', "
                            f"not '{terminator}'. ", identity)
        signed_headers = params["SignedHeaders"].split(";")
        if "host" not in signed_headers:
            raise AuthError("InvalidSignatureException",
                            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", identity)

        declared_hash = headers.get("X-Amz-Content-SHA256")
        if declared_hash is not None and declared_hash != hashlib.sha256(body).hexdigest():
            raise AuthError("InvalidSignatureException", BAD_SIGNATURE_MESSAGE, identity)

        request = AWSRequest(method=method, url=f"https://{headers.get('Host', '')}{raw_target}", data=body)
        for name, value in headers.items():
            request.headers.add_header(name, value)
        request.context["timestamp"] = amz_date
        signer = _ReceivedRequestSigner(
            Credentials(key_id, credential.secret_access_key, credential.session_token), region, signed_headers)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected.encode(), params["Signature"].encode()):
            raise AuthError("InvalidSignatureException", BAD_SIGNATURE_MESSAGE, identity)
        identity.verified = True
        return identity

    def _check_clock_skew(self, signed_at, identity):
        now = self._clock().replace(microsecond=0)
        fmt = _format_amz_date
        if signed_at < now - MAX_SKEW:
            raise AuthError("InvalidSignatureException",
                            f"Signature expired: {fmt(signed_at)} is now earlier than {fmt(now - MAX_SKEW)} "
                            f"({fmt(now)} - 5 min.)", identity)
        if signed_at > now + MAX_SKEW:
            raise AuthError("InvalidSignatureException",
                            f"Signature not yet current: {fmt(signed_at)} is still later than "
                            f"{fmt(now + MAX_SKEW)} ({fmt(now)} + 5 min.)", identity)


def _format_amz_date(moment: datetime.datetime) -> str:
    return moment.strftime(_AMZ_DATE)


def received_canonical_request(method: str, raw_target: str, headers, body: bytes, signed_headers) -> str:
    """SigV4's canonical request for a request as received, over exactly the headers
    listed in ``signed_headers`` (botocore's canonicalization; no key involved).
    IAM Roles Anywhere's CreateSession is signed over this same canonical request."""
    request = AWSRequest(method=method, url=f"https://{headers.get('Host', '')}{raw_target}", data=body)
    for name, value in headers.items():
        request.headers.add_header(name, value)
    canonicalizer = _ReceivedRequestSigner(Credentials("unused", "unused"), "unused", signed_headers)
    return canonicalizer.canonical_request(request)
