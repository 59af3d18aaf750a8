"""The simulator driven by a real AWS client (boto3/botocore) over HTTPS.

One simulator runs for the whole class on worlds/test.json, where each region
carries one kind of fault (see that file).
"""

import datetime
import http.client
import json
import socket
import ssl
import time
import unittest
import urllib.request
from unittest import mock

import botocore.eventstream
import botocore.exceptions
import urllib3.exceptions

import simtest
from simtest import HAIKU, MESSAGES, SONNET

INVOKE_BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                          "messages": [{"role": "user", "content": "Which region are you in?"}]})

#: What a client sees when a response is cut off: botocore's wrappers or urllib3's own
#: error (the event-stream iterator reads the raw urllib3 response).
BROKEN_RESPONSE = (botocore.exceptions.BotoCoreError, urllib3.exceptions.HTTPError)


class Boto3AgainstSimulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = simtest.SimProcess()
        cls.addClassCleanup(cls.sim.stop)
        cls.ready = cls.sim.start()
        cls.key = simtest.credential(simtest.TEST_WORLD, "AKIDEXAMPLE")
        cls.temp_key = simtest.credential(simtest.TEST_WORLD, "ASIAEXAMPLETEMPKEY01")
        cls.api_key = simtest.load_json(simtest.TEST_WORLD)["accounts"][0]["api_keys"][0]

    def client(self, region, **kwargs):
        client = simtest.client(self.ready, region, kwargs.pop("cred", self.key), **kwargs)
        self.addCleanup(client.close)
        return client

    def _closing(self, client):
        self.addCleanup(client.close)
        return client

    def assertClientError(self, code, status, call, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(*args, **kwargs)
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertTrue(error["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid"))
        return error

    # -- the four operations ------------------------------------------------

    def test_converse_names_the_region_that_served(self):
        started = time.monotonic()
        response = self.client("eu-west-1").converse(modelId=HAIKU, messages=MESSAGES)
        self.assertGreaterEqual(time.monotonic() - started, 0.010)  # eu-west-1 latency_ms is 10
        self.assertEqual(response["output"]["message"]["role"], "assistant")
        self.assertIn("Hello from eu-west-1", response["output"]["message"]["content"][0]["text"])
        self.assertEqual(response["stopReason"], "end_turn")
        usage = response["usage"]
        self.assertEqual(usage["totalTokens"], usage["inputTokens"] + usage["outputTokens"])
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        self.assertEqual(headers["x-edgeroute-sim-region"], "eu-west-1")
        self.assertRegex(headers["x-amzn-requestid"], r"^[0-9a-f-]{36}$")

    def test_geography_profile_is_served_in_a_destination_region(self):
        destinations = {"eu-central-1", "eu-west-1", "eu-west-3"}
        for _ in range(4):
            response = self.client("eu-central-1").converse(modelId=f"eu.{SONNET}", messages=MESSAGES)
            served = response["ResponseMetadata"]["HTTPHeaders"]["x-edgeroute-sim-region"]
            self.assertIn(served, destinations)
            self.assertIn(f"Hello from {served}", response["output"]["message"]["content"][0]["text"])

    def test_profile_arn_is_accepted_by_its_own_region(self):
        arn = f"arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.{SONNET}"
        response = self.client("eu-west-1").converse(modelId=arn, messages=MESSAGES)
        self.assertIn(f"via eu.{SONNET}", response["output"]["message"]["content"][0]["text"])

    def test_converse_stream_yields_deltas_then_metadata(self):
        response = self.client("eu-central-1").converse_stream(modelId=HAIKU, messages=MESSAGES)
        self.assertEqual(response["ResponseMetadata"]["HTTPHeaders"]["content-type"],
                         "application/vnd.amazon.eventstream")
        events = list(response["stream"])
        names = [next(iter(e)) for e in events]
        self.assertEqual(names[0], "messageStart")
        self.assertEqual(names[-3:], ["contentBlockStop", "messageStop", "metadata"])
        deltas = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
        self.assertGreaterEqual(len(deltas), 3)
        self.assertTrue("".join(deltas).startswith("Hello from eu-central-1"))
        self.assertGreater(events[-1]["metadata"]["usage"]["outputTokens"], 0)

    def test_invoke_model_returns_an_anthropic_message(self):
        response = self.client("eu-central-1").invoke_model(modelId=HAIKU, body=INVOKE_BODY)
        self.assertEqual(response["contentType"], "application/json")
        body = json.loads(response["body"].read())
        self.assertEqual(body["type"], "message")
        self.assertIn("Hello from eu-central-1", body["content"][0]["text"])

    def test_invoke_model_with_response_stream_sends_chunks(self):
        response = self.client("eu-central-1").invoke_model_with_response_stream(modelId=HAIKU, body=INVOKE_BODY)
        parts = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
        self.assertEqual(parts[0]["type"], "message_start")
        self.assertEqual(parts[-1]["type"], "message_stop")
        text = "".join(p["delta"]["text"] for p in parts if p["type"] == "content_block_delta")
        self.assertTrue(text.startswith("Hello from eu-central-1"))

    def test_count_tokens(self):
        response = self.client("eu-central-1").count_tokens(modelId=HAIKU, input={"converse": {"messages": MESSAGES}})
        self.assertGreater(response["inputTokens"], 0)

    def test_invoke_model_body_is_checked(self):
        error = self.assertClientError("ValidationException", 400, self.client("eu-central-1").invoke_model,
                                       modelId=HAIKU, body=json.dumps({"messages": []}))
        self.assertIn("required key [anthropic_version] not found", error["Error"]["Message"])

    # -- identifiers --------------------------------------------------------

    def test_profile_only_model_by_bare_id_is_refused(self):
        error = self.assertClientError("ValidationException", 400, self.client("eu-central-1").converse,
                                       modelId=SONNET, messages=MESSAGES)
        self.assertIn("on-demand throughput isn't supported", error["Error"]["Message"])

    def test_identifier_the_region_does_not_serve_is_invalid(self):
        for model in (f"us.{SONNET}", "anthropic.claude-v2", f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"):
            error = self.assertClientError("ValidationException", 400, self.client("eu-central-1").converse,
                                           modelId=model, messages=MESSAGES)
            self.assertEqual(error["Error"]["Message"], "The provided model identifier is invalid.")

    # -- authentication -----------------------------------------------------

    def test_wrong_secret_is_an_invalid_signature(self):
        error = self.assertClientError("InvalidSignatureException", 403, self.client("eu-central-1", secret="x" * 40)
                                       .converse, modelId=HAIKU, messages=MESSAGES)
        self.assertTrue(error["Error"]["Message"].startswith("The request signature we calculated does not match"))
        self.assertTrue(error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"]
                        .startswith("InvalidSignatureException:"))

    def test_unknown_access_key_is_unrecognized(self):
        cred = {"access_key_id": "AKIDUNKNOWNEXAMPLE", "secret_access_key": "x" * 40}
        error = self.assertClientError("UnrecognizedClientException", 403,
                                       self.client("eu-central-1", cred=cred).converse, modelId=HAIKU,
                                       messages=MESSAGES)
        self.assertEqual(error["Error"]["Message"], "The security token included in the request is invalid.")

    def test_session_token_is_required_when_configured(self):
        response = self.client("eu-central-1", cred=self.temp_key).converse(modelId=HAIKU, messages=MESSAGES)
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 200)
        for token in ("", "FwoGZXIvYXdzEXAMPLEwrongTOKEN"):  # "" leaves the token out
            self.assertClientError("UnrecognizedClientException", 403,
                                   self.client("eu-central-1", cred=self.temp_key, session_token=token).converse,
                                   modelId=HAIKU, messages=MESSAGES)

    def test_signature_more_than_five_minutes_old_has_expired(self):
        old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=6)
        with mock.patch("botocore.auth.get_current_datetime", return_value=old):
            error = self.assertClientError("InvalidSignatureException", 403, self.client("eu-central-1").converse,
                                           modelId=HAIKU, messages=MESSAGES)
        self.assertRegex(error["Error"]["Message"],
                         r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                         r"\(\d{8}T\d{6}Z - 5 min\.\)$")

    def test_credential_scoped_to_another_region_is_refused(self):
        # Signed for eu-west-1, sent to eu-central-1's endpoint.
        misdirected = dict(self.ready, regions={"eu-west-1": self.ready["regions"]["eu-central-1"]})
        error = self.assertClientError("InvalidSignatureException", 403,
                                       self._closing(simtest.client(misdirected, "eu-west-1", self.key)).converse,
                                       modelId=HAIKU, messages=MESSAGES)
        self.assertIn("Credential should be scoped to a valid region", error["Error"]["Message"])

    def test_bearer_api_key_is_accepted_when_listed(self):
        status, _ = self._raw_converse("eu-central-1", f"Bearer {self.api_key}")
        self.assertEqual(status, 200)
        status, headers = self._raw_converse("eu-central-1", "Bearer ABSKbm90LWEtbGlzdGVkLWtleQ==")
        self.assertEqual(status, 403)
        self.assertTrue(headers["x-amzn-ErrorType"].startswith("AccessDeniedException:"))

    def _raw_converse(self, region, authorization):
        endpoint = self.ready["regions"][region]
        context = ssl.create_default_context(cafile=self.ready["ca_file"])
        connection = http.client.HTTPSConnection(endpoint["host"], endpoint["port"], context=context, timeout=5)
        try:
            connection.request("POST", f"/model/{HAIKU.replace(':', '%3A')}/converse",
                               body=json.dumps({"messages": MESSAGES}),
                               headers={"Authorization": authorization, "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            return response.status, response.headers
        finally:
            connection.close()

    def test_certificate_names_the_real_host_name(self):
        endpoint = self.ready["regions"]["eu-west-1"]
        context = ssl.create_default_context(cafile=self.ready["ca_file"])
        with socket.create_connection((endpoint["host"], endpoint["port"]), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="bedrock-runtime.eu-west-1.amazonaws.com") as tls:
                names = [value for kind, value in tls.getpeercert()["subjectAltName"]]
        self.assertIn("bedrock-runtime.eu-west-1.amazonaws.com", names)
        self.assertIn("127.0.0.1", names)

    # -- faults and quotas --------------------------------------------------

    def test_throttled_region_raises_throttling_exception(self):
        client = self.client("eu-west-3")
        with self.assertRaises(client.exceptions.ThrottlingException) as caught:
            client.converse(modelId=HAIKU, messages=MESSAGES)
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 429)

    def test_requests_per_minute_quota_throttles(self):
        client = self.client("us-west-2")  # quotas.rpm is 2
        client.converse(modelId=HAIKU, messages=MESSAGES)
        client.converse(modelId=HAIKU, messages=MESSAGES)
        self.assertClientError("ThrottlingException", 429, client.converse, modelId=HAIKU, messages=MESSAGES)

    def test_corrupted_stream_fails_botocore_checksum(self):
        response = self.client("us-east-1").converse_stream(modelId=HAIKU, messages=MESSAGES)
        with self.assertRaises(botocore.eventstream.ChecksumMismatch):
            list(response["stream"])

    def test_throttling_event_mid_stream(self):
        response = self.client("us-east-2").converse_stream(modelId=HAIKU, messages=MESSAGES)
        received = []
        with self.assertRaises(botocore.exceptions.EventStreamError) as caught:
            for event in response["stream"]:
                received.append(event)
        self.assertEqual(caught.exception.response["Error"]["Code"], "throttlingException")
        self.assertEqual(sum("contentBlockDelta" in e for e in received), 2)

    def test_truncated_stream_and_reset_fail_the_read(self):
        for region in ("ap-northeast-1", "ap-southeast-2"):  # truncated_stream, reset
            with self.subTest(region=region), self.assertRaises(BROKEN_RESPONSE):
                response = self.client(region).converse_stream(modelId=HAIKU, messages=MESSAGES)
                list(response["stream"])
        with self.assertRaises(BROKEN_RESPONSE):  # reset also cuts a plain response in half
            self.client("ap-southeast-2").converse(modelId=HAIKU, messages=MESSAGES)

    def test_control_endpoint_takes_a_region_down_and_back(self):
        control = self.ready["control"]["url"]
        self._post_faults(control, "ca-central-1", [{"kind": "down"}])
        with self.assertRaises(botocore.exceptions.EndpointConnectionError):
            self.client("ca-central-1").converse(modelId=HAIKU, messages=MESSAGES)
        status = json.loads(urllib.request.urlopen(f"{control}/status", timeout=5).read())
        self.assertFalse(status["regions"]["ca-central-1"]["listening"])
        self._post_faults(control, "ca-central-1", [])
        response = self.client("ca-central-1").converse(modelId=HAIKU, messages=MESSAGES)
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_control_endpoint_rejects_a_bad_fault(self):
        with self.assertRaises(urllib.error.HTTPError) as caught:
            self._post_faults(self.ready["control"]["url"], "ca-central-1", [{"kind": "meteor"}])
        self.assertEqual(caught.exception.code, 400)
        self.assertIn("faults[0].kind", json.loads(caught.exception.read())["message"])

    @staticmethod
    def _post_faults(control, region, faults):
        request = urllib.request.Request(f"{control}/faults", method="POST",
                                         data=json.dumps({"region": region, "faults": faults}).encode())
        return json.loads(urllib.request.urlopen(request, timeout=5).read())

    # -- the request log ----------------------------------------------------

    def test_request_log_records_verification_and_no_secrets(self):
        accepted = self.client("eu-west-1").converse(modelId=HAIKU, messages=MESSAGES)
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            self.client("eu-west-1", secret="y" * 40).converse(modelId=HAIKU, messages=MESSAGES)
        records = {r["request_id"]: r for r in self.sim.requests()}
        good = records[accepted["ResponseMetadata"]["RequestId"]]
        bad = records[caught.exception.response["ResponseMetadata"]["RequestId"]]
        self.assertEqual((good["status"], good["signature_verified"], good["access_key_id"]), (200, True, "AKIDEXAMPLE"))
        self.assertEqual((bad["status"], bad["signature_verified"], bad["error_type"]),
                         (403, False, "InvalidSignatureException"))
        for record in (good, bad):
            self.assertEqual((record["region"], record["operation"], record["identifier"]),
                             ("eu-west-1", "Converse", HAIKU))
        with open(f"{self.sim.state_dir}/requests.jsonl", encoding="utf-8") as f:
            log = f.read()
        for secret in (self.key["secret_access_key"], self.temp_key["secret_access_key"],
                       self.temp_key["session_token"], self.api_key, "Signature="):
            self.assertNotIn(secret, log)
        with open(self.sim.ready_file, encoding="utf-8") as f:
            self.assertNotIn(self.key["secret_access_key"], f.read())


if __name__ == "__main__":
    unittest.main()
