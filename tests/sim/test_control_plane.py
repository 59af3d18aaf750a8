"""The simulator's control plane (ListInferenceProfiles, GetInferenceProfile)
driven by boto3's `bedrock` client, an independent implementation of the
service model, over HTTPS on worlds/live.json."""

import json
import os
import ssl
import unittest
import urllib.error
import urllib.request

import botocore.exceptions
from botocore.config import Config

import simtest

LIVE_WORLD = os.path.join(simtest.SIM_DIR, "worlds", "live.json")
SONNET = simtest.SONNET
ACCOUNT = "111122223333"


def bedrock_client(ready, region, cred, **kwargs):
    """A `bedrock` (control plane) client for one simulated region."""
    options = dict(
        region_name=region, endpoint_url=ready["regions"][region]["endpoint"], verify=ready["ca_file"],
        aws_access_key_id=cred["access_key_id"], aws_secret_access_key=cred["secret_access_key"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=5))
    options.update(kwargs)
    if simtest.boto3 is not None:
        return simtest.boto3.session.Session().client("bedrock", **options)
    return simtest.botocore.session.get_session().create_client("bedrock", **options)


class ControlPlaneAgainstBoto3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = simtest.SimProcess(LIVE_WORLD)
        cls.addClassCleanup(cls.sim.stop)
        cls.ready = cls.sim.start()
        cls.key = simtest.credential(LIVE_WORLD, "AKIDEXAMPLE")

    def client(self, region, **kwargs):
        client = bedrock_client(self.ready, region, self.key, **kwargs)
        self.addCleanup(client.close)
        return client

    def assertClientError(self, code, status, call, *args, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call(*args, **kwargs)
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], code)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], status)
        return error

    def test_list_shows_the_profiles_of_the_region_with_their_destinations(self):
        answer = self.client("eu-west-1").list_inference_profiles(typeEquals="SYSTEM_DEFINED", maxResults=1000)
        self.assertNotIn("nextToken", answer)
        by_id = {p["inferenceProfileId"]: p for p in answer["inferenceProfileSummaries"]}
        # us. is not callable from eu-west-1; the application profile is filtered out.
        self.assertEqual(sorted(by_id), sorted([f"eu.{SONNET}", "eu.amazon.nova-lite-v1:0",
                                                "eu.anthropic.claude-haiku-4-5-20251001-v1:0", f"global.{SONNET}"]))
        eu = by_id[f"eu.{SONNET}"]
        self.assertEqual(eu["inferenceProfileArn"], f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/eu.{SONNET}")
        self.assertEqual(eu["status"], "ACTIVE")
        self.assertEqual(eu["type"], "SYSTEM_DEFINED")
        self.assertEqual([m["modelArn"] for m in eu["models"]],
                         [f"arn:aws:bedrock:{r}::foundation-model/{SONNET}" for r in ("eu-central-1", "eu-west-1", "eu-west-3")])
        self.assertEqual(eu["createdAt"].year, 2025)  # botocore parsed the timestamp

    def test_a_global_profile_lists_the_empty_region_arn_alongside_regional_ones(self):
        answer = self.client("eu-central-1").get_inference_profile(inferenceProfileIdentifier=f"global.{SONNET}")
        arns = [m["modelArn"] for m in answer["models"]]
        self.assertIn(f"arn:aws:bedrock:::foundation-model/{SONNET}", arns)
        self.assertIn(f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}", arns)
        self.assertEqual(answer["inferenceProfileId"], f"global.{SONNET}")

    def test_get_by_arn_and_a_profile_the_region_lacks(self):
        client = self.client("eu-central-1")
        arn = f"arn:aws:bedrock:eu-central-1:{ACCOUNT}:inference-profile/eu.amazon.nova-lite-v1:0"
        self.assertEqual(client.get_inference_profile(inferenceProfileIdentifier=arn)["inferenceProfileArn"], arn)
        self.assertClientError("ResourceNotFoundException", 404, client.get_inference_profile,
                               inferenceProfileIdentifier=f"us.{SONNET}")

    def test_application_profiles_are_listed_as_such(self):
        answer = self.client("eu-central-1").list_inference_profiles(typeEquals="APPLICATION")
        [profile] = answer["inferenceProfileSummaries"]
        self.assertEqual(profile["type"], "APPLICATION")
        self.assertEqual(profile["inferenceProfileArn"],
                         f"arn:aws:bedrock:eu-central-1:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6")
        every = self.client("eu-central-1").list_inference_profiles(maxResults=100)["inferenceProfileSummaries"]
        self.assertEqual({p["type"] for p in every}, {"SYSTEM_DEFINED", "APPLICATION"})

    def test_pages_follow_next_token_and_the_paginator_sees_every_profile(self):
        client = self.client("eu-central-1")
        first = client.list_inference_profiles(typeEquals="SYSTEM_DEFINED", maxResults=2)
        self.assertEqual(len(first["inferenceProfileSummaries"]), 2)
        self.assertTrue(first["nextToken"])
        second = client.list_inference_profiles(typeEquals="SYSTEM_DEFINED", maxResults=2,
                                                nextToken=first["nextToken"])
        self.assertEqual(len(second["inferenceProfileSummaries"]), 2)
        self.assertNotIn("nextToken", second)  # four SYSTEM_DEFINED profiles in eu-central-1
        ids = [p["inferenceProfileId"] for p in first["inferenceProfileSummaries"] + second["inferenceProfileSummaries"]]
        self.assertEqual(len(set(ids)), 4)
        paged = []
        for page in client.get_paginator("list_inference_profiles").paginate(
                typeEquals="SYSTEM_DEFINED", PaginationConfig={"PageSize": 1}):
            self.assertLessEqual(len(page["inferenceProfileSummaries"]), 1)
            paged += [p["inferenceProfileId"] for p in page["inferenceProfileSummaries"]]
        self.assertEqual(sorted(paged), sorted(ids))

    def test_bad_parameters_and_tokens_are_validation_errors(self):
        client = self.client("eu-central-1")
        error = self.assertClientError("ValidationException", 400, client.list_inference_profiles,
                                       nextToken="not-a-token")
        self.assertIn("pagination token", error["Error"]["Message"])
        # A token is valid only for the listing that issued it.
        token = client.list_inference_profiles(typeEquals="SYSTEM_DEFINED", maxResults=1)["nextToken"]
        self.assertClientError("ValidationException", 400, self.client("eu-west-1").list_inference_profiles,
                               typeEquals="SYSTEM_DEFINED", nextToken=token)
        # Out-of-range values that botocore's own validation would stop client-side.
        unchecked = self.client("eu-central-1", config=Config(parameter_validation=False,
                                                              retries={"max_attempts": 1, "mode": "standard"}))
        error = self.assertClientError("ValidationException", 400, unchecked.list_inference_profiles, maxResults=0)
        self.assertIn("'maxResults' failed to satisfy constraint", error["Error"]["Message"])
        error = self.assertClientError("ValidationException", 400, unchecked.list_inference_profiles,
                                       typeEquals="SYSTEM")
        self.assertIn("enum value set: [SYSTEM_DEFINED, APPLICATION]", error["Error"]["Message"])

    def test_requests_are_sigv4_verified_for_service_bedrock(self):
        bad = self.client("eu-central-1", aws_secret_access_key="wrong" + self.key["secret_access_key"])
        self.assertClientError("InvalidSignatureException", 403, bad.list_inference_profiles)
        # Unsigned: refused before anything is listed.
        context = ssl.create_default_context(cafile=self.ready["ca_file"])
        context.check_hostname = False
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(self.ready["regions"]["eu-central-1"]["endpoint"] + "/inference-profiles",
                                   context=context, timeout=5)
        self.assertEqual(caught.exception.code, 403)
        caught.exception.close()
        records = [r for r in simtest.SimProcess.requests(self.sim) if r["operation"] == "ListInferenceProfiles"]
        self.assertTrue(any(r["signature_verified"] and r["status"] == 200 for r in records))
        self.assertTrue(any(not r["signature_verified"] and r["status"] == 403 for r in records))

    def test_the_certificate_names_the_control_plane_host(self):
        # A client that pins bedrock.REGION.amazonaws.com to the listener (as
        # --connect-to does) verifies the certificate against that name.
        entry = self.ready["regions"]["eu-west-3"]
        self.assertEqual(entry["control_hostname"], "bedrock.eu-west-3.amazonaws.com")
        context = ssl.create_default_context(cafile=self.ready["ca_file"])
        import socket
        with socket.create_connection((entry["host"], entry["port"]), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=entry["control_hostname"]) as tls:
                self.assertTrue(tls.getpeercert())


class ProfilesChangeWhileRunning(unittest.TestCase):
    """POST /profiles on the control endpoint: a profile gains a destination while
    the simulator runs, as AWS's do, and bad requests name the field at fault."""

    @classmethod
    def setUpClass(cls):
        cls.sim = simtest.SimProcess(LIVE_WORLD)
        cls.addClassCleanup(cls.sim.stop)
        cls.ready = cls.sim.start()
        cls.key = simtest.credential(LIVE_WORLD, "AKIDEXAMPLE")

    def post(self, payload):
        request = urllib.request.Request(self.ready["control"]["url"] + "/profiles", data=json.dumps(payload).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            with e:
                return e.code, json.loads(e.read())

    def test_new_destinations_are_listed_from_then_on(self):
        client = bedrock_client(self.ready, "eu-central-1", self.key)
        self.addCleanup(client.close)

        def destinations():
            answer = client.get_inference_profile(inferenceProfileIdentifier=f"eu.{SONNET}")
            return [m["modelArn"].split(":")[3] for m in answer["models"]]
        self.assertEqual(destinations(), ["eu-central-1", "eu-west-1", "eu-west-3"])
        status, answer = self.post({"id": f"eu.{SONNET}",
                                    "destination_regions": ["eu-central-1", "eu-west-1", "eu-west-3", "eu-west-2"]})
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["destination_regions"], ["eu-central-1", "eu-west-1", "eu-west-3", "eu-west-2"])
        self.assertEqual(destinations(), ["eu-central-1", "eu-west-1", "eu-west-3", "eu-west-2"])

    def test_bad_requests_name_the_field(self):
        for payload, message in (
                ({"id": "eu.nothing", "destination_regions": ["eu-west-1"]}, "id: no profile 'eu.nothing' in this world"),
                ({"id": f"eu.{SONNET}", "destination_regions": ["eu-west-1", "Paris"]},
                 "destination_regions[1]: expected an AWS region name"),
                ({"id": f"eu.{SONNET}"}, 'expected {"id": PROFILE_ID, "destination_regions": [REGION, ...]}'),
                ({"id": f"eu.{SONNET}", "destination_regions": []}, "destination_regions")):
            status, answer = self.post(payload)
            self.assertEqual(status, 400, payload)
            self.assertIn(message, answer["message"], payload)


if __name__ == "__main__":
    unittest.main()
