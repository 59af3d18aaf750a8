"""The event-stream encoder against the shared conformance frames and botocore's decoder."""

import base64
import glob
import json
import os
import unittest

import botocore.eventstream

from simlib import eventstream

TESTDATA_DIR = os.environ.get("EDGEROUTE_TESTDATA_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "testdata")
EVENTSTREAM_DIR = os.path.join(TESTDATA_DIR, "eventstream")


def decode_all(data: bytes) -> list:
    buffer = botocore.eventstream.EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def header_value(entry):
    """A conformance-file header value as the encoder takes it."""
    if entry["type"] in (eventstream.BYTE_ARRAY, eventstream.UUID):
        return base64.b64decode(entry["value"])
    if entry["type"] == eventstream.STRING:
        return base64.b64decode(entry["value"]).decode("utf-8")
    return entry["value"]


class ConformanceFrames(unittest.TestCase):
    def test_every_positive_frame_reencodes_byte_for_byte(self):
        names = sorted(os.listdir(os.path.join(EVENTSTREAM_DIR, "decoded", "positive")))
        self.assertEqual(len(names), 5)
        for name in names:
            with self.subTest(frame=name):
                with open(os.path.join(EVENTSTREAM_DIR, "decoded", "positive", name), encoding="utf-8") as f:
                    decoded = json.load(f)
                with open(os.path.join(EVENTSTREAM_DIR, "encoded", "positive", name), "rb") as f:
                    expected = f.read()
                headers = [eventstream.Header(h["name"], h["type"], header_value(h)) for h in decoded["headers"]]
                frame = eventstream.encode_message(headers, base64.b64decode(decoded["payload"]))
                self.assertEqual(frame, expected)

    def test_negative_frames_are_rejected_by_botocore(self):
        # Guards the check below: botocore's decoder does catch what the encoder must never produce.
        for path in glob.glob(os.path.join(EVENTSTREAM_DIR, "encoded", "negative", "*")):
            if os.path.basename(path) == "corrupted_length":
                continue  # claims more bytes than the file holds: botocore waits for them
            with self.subTest(frame=os.path.basename(path)), open(path, "rb") as f:
                with self.assertRaises(botocore.eventstream.ChecksumMismatch):
                    decode_all(f.read())


class EncoderOutputDecodesWithBotocore(unittest.TestCase):
    def test_event_message(self):
        frame = eventstream.event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "hé"}})
        [message] = decode_all(frame)
        self.assertEqual(message.headers, {":event-type": "contentBlockDelta", ":content-type": "application/json",
                                           ":message-type": "event"})
        self.assertEqual(json.loads(message.payload), {"contentBlockIndex": 0, "delta": {"text": "hé"}})

    def test_exception_message(self):
        [message] = decode_all(eventstream.exception_message("throttlingException", "slow down"))
        self.assertEqual(message.headers[":message-type"], "exception")
        self.assertEqual(message.headers[":exception-type"], "throttlingException")
        self.assertEqual(json.loads(message.payload), {"message": "slow down"})

    def test_every_header_type_round_trips(self):
        headers = [
            eventstream.Header("t", eventstream.BOOL_TRUE, True),
            eventstream.Header("f", eventstream.BOOL_FALSE, False),
            eventstream.Header("b", eventstream.BYTE, -5),
            eventstream.Header("s", eventstream.INT16, -300),
            eventstream.Header("i", eventstream.INT32, 70000),
            eventstream.Header("l", eventstream.INT64, -(2 ** 40)),
            eventstream.Header("a", eventstream.BYTE_ARRAY, b"\x00\xff"),
            eventstream.Header("str", eventstream.STRING, "ütf"),
            eventstream.Header("ts", eventstream.TIMESTAMP, 8675309),
            eventstream.Header("u", eventstream.UUID, bytes(range(16))),
        ]
        [message] = decode_all(eventstream.encode_message(headers, b"x"))
        self.assertEqual(message.headers, {"t": True, "f": False, "b": -5, "s": -300, "i": 70000, "l": -(2 ** 40),
                                           "a": b"\x00\xff", "str": "ütf", "ts": 8675309, "u": bytes(range(16))})

    def test_several_frames_in_one_buffer(self):
        frames = b"".join(eventstream.event_message("e", {"n": n}) for n in range(3))
        self.assertEqual([json.loads(m.payload)["n"] for m in decode_all(frames)], [0, 1, 2])

    def test_corrupted_crc_is_detected(self):
        frame = eventstream.corrupt_message_crc(eventstream.event_message("e", {}))
        with self.assertRaises(botocore.eventstream.ChecksumMismatch):
            decode_all(frame)


if __name__ == "__main__":
    unittest.main()
