"""The simulator's IAM Roles Anywhere endpoint: CreateSession requests signed here
as the IAM Roles Anywhere User Guide describes ("The IAM Roles Anywhere
authentication signing process"), written out independently of the simulator's
verifier, are answered with credentials the regions accept; a certificate from
another CA, a wrong profile, trust anchor or role ARN, a changed body, a wrong
serial in the scope and an unsigned X-Amz-X509 are refused with 403
AccessDeniedException, naming no key material."""

import base64
import datetime
import hashlib
import json
import os
import ssl
import tempfile
import unittest
import http.client

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import simtest

THING = "line-7"
ACCOUNT = "111122223333"
TRUST_ANCHOR = f"arn:aws:rolesanywhere:eu-central-1:{ACCOUNT}:trust-anchor/0f1e2d3c-aaaa-4bbb-8ccc-1234567890ab"
PROFILE = f"arn:aws:rolesanywhere:eu-central-1:{ACCOUNT}:profile/9a8b7c6d-aaaa-4bbb-8ccc-1234567890ab"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/edge-bedrock"


def create_session(ready, device, body=None, tamper=None, region="eu-central-1"):
    """Sign and send CreateSession; returns (status, headers, JSON answer)."""
    ra = ready["identity"]["rolesanywhere"]
    with open(device["certificate"], "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(device["key"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    payload = json.dumps(body if body is not None else {
        "durationSeconds": 900, "profileArn": PROFILE, "roleArn": ROLE, "trustAnchorArn": TRUST_ANCHOR}).encode()
    host = f"127.0.0.1:{ra['endpoint'].rsplit(':', 1)[1]}"
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": "application/json", "host": host, "x-amz-date": amz_date,
               "x-amz-x509": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()}
    signed = sorted(headers)
    canonical = "\n".join(["POST", "/sessions", "", *(f"{n}:{headers[n]}" for n in signed), "",
                           ";".join(signed), hashlib.sha256(payload).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/rolesanywhere/aws4_request"
    algorithm = "AWS4-X509-ECDSA-SHA256"
    to_sign = "\n".join([algorithm, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = key.sign(to_sign.encode(), ec.ECDSA(hashes.SHA256())).hex()
    serial = str(cert.serial_number)
    if tamper == "serial":
        serial = str(cert.serial_number + 1)
    headers["authorization"] = (f"{algorithm} Credential={serial}/{scope}, SignedHeaders={';'.join(signed)}, "
                                f"Signature={signature}")
    if tamper == "body":
        payload = payload.replace(b"900", b"901")
    if tamper == "unsigned-x509":
        headers["authorization"] = headers["authorization"].replace(";x-amz-x509", "")
    context = ssl.create_default_context(cafile=ready["ca_file"])
    connection = http.client.HTTPSConnection("127.0.0.1", int(host.split(":")[1]), context=context, timeout=10)
    try:
        connection.request("POST", "/sessions", body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
    finally:
        connection.close()


class RolesAnywhere(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        world = simtest.load_json(simtest.TEST_WORLD)
        world["identity"] = {"things": [THING], "credential_duration_s": 30,
                             "rolesanywhere": {"trust_anchor_arn": TRUST_ANCHOR, "profile_arn": PROFILE,
                                               "role_arns": [ROLE]}}
        cls.tmp = tempfile.TemporaryDirectory(prefix="edgeroute-sim-ra-")
        cls.world_path = os.path.join(cls.tmp.name, "world.json")
        with open(cls.world_path, "w") as f:
            json.dump(world, f)
        cls.sim = simtest.SimProcess(cls.world_path)
        try:
            cls.ready = cls.sim.start(max_seconds=80)
        except Exception:
            cls.sim.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def device(self):
        return self.ready["identity"]["rolesanywhere"]["devices"][THING]

    def test_signed_request_gets_credentials_the_regions_accept(self):
        status, _, answer = create_session(self.ready, self.device())
        self.assertEqual(status, 200, answer)
        creds = answer["credentialSet"][0]["credentials"]
        self.assertEqual(set(creds), {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"})
        self.assertTrue(answer["subjectArn"].startswith("arn:aws:rolesanywhere:eu-central-1:"))
        expires = datetime.datetime.strptime(creds["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        self.assertLessEqual(expires - datetime.datetime.now(datetime.timezone.utc), datetime.timedelta(seconds=31))
        client = simtest.client(self.ready, "eu-central-1",
                                {"access_key_id": creds["accessKeyId"], "secret_access_key": creds["secretAccessKey"],
                                 "session_token": creds["sessionToken"]})
        reply = client.converse(modelId=simtest.HAIKU, messages=simtest.MESSAGES)
        self.assertIn("output", reply)
        record = [r for r in self.sim.requests() if r["region"] == "identity:rolesanywhere"][-1]
        self.assertEqual((record["status"], record["signature_verified"], record["certificate"]), (200, True, THING))
        self.assertEqual(record["access_key_id"], creds["accessKeyId"])
        self.assertNotIn(creds["secretAccessKey"], json.dumps(self.sim.requests()))

    def assert_denied(self, status, headers, answer):
        self.assertEqual(status, 403, answer)
        self.assertEqual(headers.get("x-amzn-ErrorType"), "AccessDeniedException")
        self.assertEqual(set(answer), {"message"})
        self.assertNotIn("PRIVATE", answer["message"])

    def test_certificate_from_another_ca_is_refused(self):
        rogue = self.ready["identity"]["rolesanywhere"]["rogue_device"]
        status, headers, answer = create_session(self.ready, rogue)
        self.assert_denied(status, headers, answer)
        self.assertIn("trust anchor", answer["message"])

    def test_wrong_arns_are_refused(self):
        for field, value in (("profileArn", PROFILE.replace("9a8b", "0000")),
                             ("trustAnchorArn", TRUST_ANCHOR.replace("0f1e", "0000")),
                             ("roleArn", ROLE.replace("edge-bedrock", "admin"))):
            body = {"durationSeconds": 900, "profileArn": PROFILE, "roleArn": ROLE, "trustAnchorArn": TRUST_ANCHOR}
            body[field] = value
            with self.subTest(field=field):
                self.assert_denied(*create_session(self.ready, self.device(), body=body))

    def test_tampered_requests_are_refused(self):
        for tamper in ("body", "serial", "unsigned-x509"):
            with self.subTest(tamper=tamper):
                self.assert_denied(*create_session(self.ready, self.device(), tamper=tamper))
        with self.subTest(tamper="region"):
            self.assert_denied(*create_session(self.ready, self.device(), region="eu-west-1"))

    def test_duration_outside_bounds_is_a_validation_error(self):
        body = {"durationSeconds": 60, "profileArn": PROFILE, "roleArn": ROLE, "trustAnchorArn": TRUST_ANCHOR}
        status, headers, answer = create_session(self.ready, self.device(), body=body)
        self.assertEqual((status, headers.get("x-amzn-ErrorType")), (400, "ValidationException"), answer)


if __name__ == "__main__":
    unittest.main()
