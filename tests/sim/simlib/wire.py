"""Bedrock Runtime on the wire: operations, error statuses and response bodies.

Everything protocol-level comes from botocore's service model for
``bedrock-runtime``, loaded at run time: the operation paths and methods, the
HTTP status of each modelled error, the names of stream events and stream
exceptions, and the shapes the JSON responses are checked against before they
are sent. The simulated model itself is trivial: it answers with one sentence
naming the region that served the request.
"""

import base64
import json
import re
import string
import urllib.parse
import uuid
from dataclasses import dataclass

import botocore.session

from . import eventstream

SERVICE_NAME = "bedrock-runtime"
SIMULATED_OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream", "CountTokens")
STREAMING_OPERATIONS = frozenset({"ConverseStream", "InvokeModelWithResponseStream"})
EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"
AUTH_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.coral.service/"
#: Bedrock pads stream event payloads with a "p" member (not in the model) to hide their length.
PADDING_MEMBER = "p"

MESSAGES = {
    "invalid_model": "The provided model identifier is invalid.",
    "profile_only": ("Invocation of model ID {model} with on-demand throughput isn't supported. Retry your request "
                     "with the ID or ARN of an inference profile that contains this model."),
    "too_many_requests": "Too many requests, please wait before trying again.",
    "too_many_tokens": "Too many tokens, please wait before trying again.",
    "unavailable": "Bedrock is unable to process your request.",
    "internal": "The system encountered an unexpected error during processing. Try your request again.",
    "model_not_ready": "Model is not ready for inference. Wait and try your request again.",
    "model_timeout": "Model has timed out in processing the request. Try your request again.",
    "malformed": "Malformed input request: {detail}, please reformat your input and try again.",
    "no_user_message": ("A conversation must start with a user message. Try again with a conversation that "
                        "starts with a user message."),
}


class ApiError(Exception):
    """A modelled Bedrock error: answered with its status, x-amzn-ErrorType and {"message"}."""

    def __init__(self, error_type: str, message: str, headers=()):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.headers = list(headers)  # extra response headers, e.g. x-amz-retry-after


@dataclass(frozen=True)
class Route:
    operation: str
    identifier: str  # the model ID, profile ID or ARN, percent-decoded once


class ServiceWire:
    """The parts of the bedrock-runtime service model the simulator speaks."""

    def __init__(self):
        self.model = botocore.session.get_session().get_service_model(SERVICE_NAME)
        self._routes = []
        self.error_status = {}
        for name in self.model.operation_names:
            operation = self.model.operation_model(name)
            for error in operation.error_shapes:
                self.error_status[error.name] = error.metadata["error"]["httpStatusCode"]
            if name not in SIMULATED_OPERATIONS:
                continue
            pattern = re.escape(operation.http["requestUri"]).replace(r"\{modelId\}", "(?P<modelId>[^/]+)")
            self._routes.append((operation.http["method"], re.compile(f"^{pattern}$"), name))

    def route(self, method: str, raw_path: str):
        """Match a request to a simulated operation; None when nothing matches."""
        for route_method, pattern, name in self._routes:
            match = pattern.match(raw_path)
            if match and method == route_method:
                return Route(name, urllib.parse.unquote(match.group("modelId")))
        return None

    def status_of(self, error_type: str) -> int:
        return self.error_status[error_type]

    def stream_event_name(self, operation: str, shape_name: str) -> str:
        """The event member of an operation's stream whose shape is ``shape_name``
        (for example ThrottlingException -> throttlingException)."""
        stream = self.model.operation_model(operation).get_event_stream_output()
        return next(member for member, shape in stream.members.items() if shape.name == shape_name)

    def check(self, shape, value, path="$"):
        """Raise ValueError if ``value`` has a member ``shape`` does not model or
        lacks a required one (a guard against drifting from the model)."""
        if shape.type_name == "structure":
            unknown = set(value) - set(shape.members) - {PADDING_MEMBER}
            missing = set(shape.required_members) - set(value)
            if unknown or missing:
                raise ValueError(f"{path}: not {shape.name}: unknown {sorted(unknown)}, missing {sorted(missing)}")
            for name, member_value in value.items():
                if name in shape.members:
                    self.check(shape.members[name], member_value, f"{path}.{name}")
        elif shape.type_name == "list":
            for i, item in enumerate(value):
                self.check(shape.member, item, f"{path}[{i}]")

    def output_shape(self, operation: str):
        return self.model.operation_model(operation).output_shape

    def event_shape(self, operation: str, event: str):
        return self.model.operation_model(operation).get_event_stream_output().members[event]


def parse_json_body(body: bytes) -> dict:
    """Decode a JSON object body or raise the ValidationException Bedrock gives."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError("ValidationException", MESSAGES["malformed"].format(detail="invalid JSON")) from None
    if not isinstance(value, dict):
        raise ApiError("ValidationException", MESSAGES["malformed"].format(detail="expected type: JSONObject"))
    return value


def check_converse_request(wire: ServiceWire, operation: str, request: dict) -> None:
    """The checks Bedrock makes that a simulator can reasonably repeat."""
    members = wire.model.operation_model(operation).input_shape.members
    for key in request:
        if key not in members or members[key].serialization.get("location"):
            raise ApiError("ValidationException",
                           MESSAGES["malformed"].format(detail=f"extraneous key [{key}] is not permitted"))
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict) \
            or messages[0].get("role") != "user":
        raise ApiError("ValidationException", MESSAGES["no_user_message"])


def check_invoke_request(request: dict) -> None:
    """InvokeModel bodies are the model's own format; every simulated model
    speaks the Anthropic Messages API."""
    for key in ("anthropic_version", "max_tokens", "messages"):
        if key not in request:
            raise ApiError("ValidationException",
                           MESSAGES["malformed"].format(detail=f"#: required key [{key}] not found"))


def check_count_tokens_request(request: dict) -> dict:
    """Return the Converse-shaped or InvokeModel-shaped input being counted."""
    source = request.get("input")
    if not isinstance(source, dict) or len(source) != 1:
        raise ApiError("ValidationException", MESSAGES["malformed"].format(
            detail="input must contain exactly one of [converse, invokeModel]"))
    if "converse" in source:
        return source["converse"]
    if "invokeModel" in source:
        try:
            return parse_json_body(base64.b64decode(source["invokeModel"].get("body", ""), validate=True))
        except (ValueError, AttributeError):
            raise ApiError("ValidationException",
                           MESSAGES["malformed"].format(detail="invokeModel.body is not base64")) from None
    raise ApiError("ValidationException", MESSAGES["malformed"].format(detail="unknown input member"))


def count_input_tokens(request: dict) -> int:
    """A rough token count (4 characters per token) of the prompt text in a
    Converse or Anthropic Messages request."""
    def texts(value, key=None):
        if isinstance(value, str):
            if key in ("text", "content", "system"):
                yield value
        elif isinstance(value, dict):
            for member, item in value.items():
                yield from texts(item, member)
        elif isinstance(value, list):
            for item in value:
                yield from texts(item, key)
    return max(1, sum(len(t) for t in texts(request)) // 4)


@dataclass(frozen=True)
class Answer:
    """What the simulated model says, and the accounting around it."""

    text: str
    served_region: str
    model_id: str
    input_tokens: int
    latency_ms: int

    @property
    def output_tokens(self) -> int:
        return len(self.text.split())

    @property
    def deltas(self) -> list:
        """The text in several pieces (two words each) for streaming."""
        words = self.text.split(" ")
        return [" ".join(words[i:i + 2]) + (" " if i + 2 < len(words) else "") for i in range(0, len(words), 2)]

    def usage(self) -> dict:
        return {"inputTokens": self.input_tokens, "outputTokens": self.output_tokens,
                "totalTokens": self.input_tokens + self.output_tokens}


def make_answer(served_region: str, source_region: str, profile_id, model_id: str,
                input_tokens: int, latency_ms: int) -> Answer:
    via = f" via {profile_id} from {source_region}" if profile_id else ""
    text = f"Hello from {served_region} (simulated {model_id}{via})."
    return Answer(text, served_region, model_id, input_tokens, latency_ms)


def converse_body(wire: ServiceWire, answer: Answer) -> dict:
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": answer.text}]}},
        "stopReason": "end_turn",
        "usage": answer.usage(),
        "metrics": {"latencyMs": answer.latency_ms},
    }
    wire.check(wire.output_shape("Converse"), body)
    return body


def count_tokens_body(wire: ServiceWire, input_tokens: int) -> dict:
    body = {"inputTokens": input_tokens}
    wire.check(wire.output_shape("CountTokens"), body)
    return body


def _padding(payload: dict) -> str:
    """Bedrock-style padding: a run of letters whose length varies with the payload."""
    return string.ascii_letters[:len(json.dumps(payload)) % 40 + 4]


@dataclass(frozen=True)
class StreamEvent:
    """One event of a response stream; ``is_delta`` marks the text pieces, which
    is where mid-stream faults are placed."""

    frame: bytes
    is_delta: bool = False


def converse_stream_events(wire: ServiceWire, answer: Answer) -> list:
    """The events of a ConverseStream answer, in order."""
    events = [("messageStart", {"role": "assistant"})]
    events += [("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}) for piece in answer.deltas]
    events += [("contentBlockStop", {"contentBlockIndex": 0}),
               ("messageStop", {"stopReason": "end_turn"}),
               ("metadata", {"usage": answer.usage(), "metrics": {"latencyMs": answer.latency_ms}})]
    out = []
    for name, payload in events:
        wire.check(wire.event_shape("ConverseStream", name), payload)
        if name != "metadata":
            payload[PADDING_MEMBER] = _padding(payload)
        out.append(StreamEvent(eventstream.event_message(name, payload), name == "contentBlockDelta"))
    return out


def anthropic_message(answer: Answer) -> dict:
    """An InvokeModel response body in the Anthropic Messages format."""
    return {
        "id": f"msg_bdrk_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": answer.model_id.split(".", 1)[-1],
        "content": [{"type": "text", "text": answer.text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
    }


def invoke_stream_events(wire: ServiceWire, answer: Answer) -> list:
    """The ``chunk`` events of InvokeModelWithResponseStream: Anthropic streaming
    events, each base64-encoded in {"bytes": ...}."""
    message = anthropic_message(answer)
    start = dict(message, content=[], stop_reason=None, usage={"input_tokens": answer.input_tokens,
                                                                "output_tokens": 1})
    parts = [{"type": "message_start", "message": start},
             {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}]
    parts += [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
              for piece in answer.deltas]
    parts += [{"type": "content_block_stop", "index": 0},
              {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
               "usage": {"output_tokens": answer.output_tokens}},
              {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
                  "inputTokenCount": answer.input_tokens, "outputTokenCount": answer.output_tokens,
                  "invocationLatency": answer.latency_ms, "firstByteLatency": answer.latency_ms}}]
    events = []
    for part in parts:
        payload = {"bytes": base64.b64encode(json.dumps(part).encode()).decode()}
        wire.check(wire.event_shape("InvokeModelWithResponseStream", "chunk"), payload)
        payload[PADDING_MEMBER] = _padding(payload)
        events.append(StreamEvent(eventstream.event_message("chunk", payload), part["type"] == "content_block_delta"))
    return events
