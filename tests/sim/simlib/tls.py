"""A throw-away certificate authority and per-region server certificates.

Everything is generated with the ``openssl`` command into the state directory
at start-up. Each region certificate names the region's real host names
(``bedrock-runtime.REGION.amazonaws.com``, and ``bedrock.REGION.amazonaws.com``
for the control plane) and, because clients reach the
simulator without DNS, the loopback address it listens on.
"""

import os
import ssl
import subprocess

CA_SUBJECT = "/O=edgeroute simulator/CN=edgeroute simulator CA (not trusted anywhere)"
VALID_DAYS = "30"


class TlsSetupError(RuntimeError):
    """openssl is missing or failed; the text is one line."""


def _openssl(*args: str) -> None:
    try:
        result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise TlsSetupError("the openssl command is not installed") from None
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise TlsSetupError(f"openssl {args[0]} failed: {last_line}")


def create_ca(directory: str) -> tuple:
    """Create ca.pem/ca.key and the key shared by all region certificates.

    Returns (ca_file, ca_key, server_key)."""
    ca_file, ca_key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
    server_key = os.path.join(directory, "server.key")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_file,
             "-days", VALID_DAYS, "-subj", CA_SUBJECT,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", server_key)
    for key in (ca_key, server_key):
        os.chmod(key, 0o600)
    return ca_file, ca_key, server_key


def create_server_context(directory: str, ca: tuple, hostname: str, ip: str, other_names=()) -> ssl.SSLContext:
    """Issue a certificate for ``hostname``, ``other_names`` and ``ip`` and return a server context."""
    ca_file, ca_key, server_key = ca
    cert_file = os.path.join(directory, f"{hostname}.pem")
    _openssl("req", "-new", "-x509", "-key", server_key, "-CA", ca_file, "-CAkey", ca_key,
             "-out", cert_file, "-days", VALID_DAYS, "-subj", f"/CN={hostname}",
             "-addext", f"subjectAltName={','.join(f'DNS:{n}' for n in (hostname, *other_names))},IP:{ip}",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
             "-addext", "extendedKeyUsage=serverAuth")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    context.load_cert_chain(cert_file, server_key)
    return context
