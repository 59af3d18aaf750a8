"""The Bedrock control plane's inference-profile operations, as far as a device
refreshing its catalog uses them: ListInferenceProfiles and GetInferenceProfile.

Paths, query parameter names, limits, enum values and response shapes come from
botocore's ``bedrock`` service model, loaded at run time; every answer is checked
against its output shape before it is sent. The world's profiles are the data: a
profile exists in each of its source regions, and its ``models`` list one
foundation-model ARN per destination region (plus the empty-region ARN AWS lists
for global profiles when the world says ``global_arn``).
"""

import base64
import binascii
import json
import re
import urllib.parse
from dataclasses import dataclass

import botocore.session

from .wire import ApiError

SERVICE_NAME = "bedrock"
OPERATIONS = ("ListInferenceProfiles", "GetInferenceProfile")
#: Page size when the request names none. AWS does not document its own default;
#: a small one makes clients that ignore nextToken visibly miss profiles.
DEFAULT_MAX_RESULTS = 10
#: createdAt/updatedAt of every listed profile (the simulator has no history).
PROFILE_TIMESTAMP = "2025-01-01T00:00:00Z"


@dataclass(frozen=True)
class ControlRoute:
    operation: str
    identifier: str  # GetInferenceProfile's inferenceProfileIdentifier, percent-decoded once; else ""


class ControlPlane:
    """Answers the two operations for one world."""

    def __init__(self, world):
        self.model = botocore.session.get_session().get_service_model(SERVICE_NAME)
        self._profiles = world.profiles
        self._routes = []
        self.error_status = {}
        for name in OPERATIONS:
            operation = self.model.operation_model(name)
            for error in operation.error_shapes:
                self.error_status[error.name] = error.metadata["error"]["httpStatusCode"]
            pattern = re.escape(operation.http["requestUri"]).replace(
                r"\{inferenceProfileIdentifier\}", "(?P<id>[^/]+)")
            self._routes.append((operation.http["method"], re.compile(f"^{pattern}$"), name))
        list_input = self.model.operation_model("ListInferenceProfiles").input_shape
        # query parameter name -> (member name, shape): maxResults, nextToken, type (typeEquals)
        self._query = {m.serialization["name"]: (name, m) for name, m in list_input.members.items()}
        get_input = self.model.operation_model("GetInferenceProfile").input_shape
        self._identifier_shape = get_input.members["inferenceProfileIdentifier"]

    def route(self, method: str, raw_path: str):
        """The control-plane operation of a request, or None (then it is not one)."""
        for route_method, pattern, name in self._routes:
            match = pattern.match(raw_path)
            if match and method == route_method:
                identifier = urllib.parse.unquote(match.group("id")) if "id" in pattern.groupindex else ""
                return ControlRoute(name, identifier)
        return None

    def errors_of(self, operation: str) -> frozenset:
        return frozenset(e.name for e in self.model.operation_model(operation).error_shapes)

    def answer(self, route: ControlRoute, region: str, account_id: str, raw_query: str) -> dict:
        """The response body of one call, or raise the ApiError Bedrock gives."""
        if route.operation == "ListInferenceProfiles":
            payload = self._list(region, account_id, raw_query)
        else:
            if raw_query:
                raise ApiError("ValidationException", "GetInferenceProfile takes no query parameters.")
            payload = self._get(region, account_id, route.identifier)
        _check(self.model.operation_model(route.operation).output_shape, payload)
        return payload

    # -- the two operations -------------------------------------------------

    def _list(self, region, account_id, raw_query):
        params = {}
        for name, values in urllib.parse.parse_qs(raw_query, keep_blank_values=True).items():
            if name not in self._query:
                continue  # AWS ignores query parameters it does not model
            member, shape = self._query[name]
            if len(values) != 1:
                raise ApiError("ValidationException", f"{member}: expected one value")
            params[member] = (values[0], shape)
        max_results = DEFAULT_MAX_RESULTS
        if "maxResults" in params:
            text, shape = params["maxResults"]
            if not re.fullmatch(r"-?[0-9]{1,10}", text):
                raise ApiError("ValidationException", _constraint(text, "maxResults", "Member must be a number"))
            max_results = int(text)
            low, high = shape.metadata["min"], shape.metadata["max"]
            if not low <= max_results <= high:
                raise ApiError("ValidationException", _constraint(
                    text, "maxResults", f"Member must have value {'greater' if max_results < low else 'less'} "
                                        f"than or equal to {low if max_results < low else high}"))
        type_equals = None
        if "typeEquals" in params:
            text, shape = params["typeEquals"]
            if text not in shape.enum:
                raise ApiError("ValidationException", _constraint(
                    text, "typeEquals", f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
            type_equals = text
        listed = sorted((p for p in self._profiles.values()
                         if region in p.source_regions and type_equals in (None, p.type)),
                        key=lambda p: p.id)
        offset = 0
        if "nextToken" in params:
            offset = _read_token(params["nextToken"][0], region, type_equals, len(listed))
        page = listed[offset:offset + max_results]
        payload = {"inferenceProfileSummaries": [self._summary(p, region, account_id) for p in page]}
        if offset + max_results < len(listed):
            payload["nextToken"] = _make_token(region, type_equals, offset + max_results)
        return payload

    def _get(self, region, account_id, identifier):
        pattern = self._identifier_shape.metadata.get("pattern")
        if not identifier or (pattern and not re.fullmatch(pattern, identifier)):
            raise ApiError("ValidationException", _constraint(
                identifier[:64], "inferenceProfileIdentifier", f"Member must satisfy regular expression pattern: "
                                                               f"{pattern}"))
        name = identifier
        if identifier.startswith("arn:"):
            parts = identifier.split(":", 5)
            if len(parts) != 6 or parts[3] != region or parts[4] != account_id:
                raise ApiError("ResourceNotFoundException", "The specified inference profile does not exist.")
            name = parts[5].partition("/")[2]
        profile = self._profiles.get(name)
        if profile is None or region not in profile.source_regions:
            raise ApiError("ResourceNotFoundException", "The specified inference profile does not exist.")
        return self._summary(profile, region, account_id)

    @staticmethod
    def _summary(profile, region, account_id) -> dict:
        resource = "application-inference-profile" if profile.type == "APPLICATION" else "inference-profile"
        models = [{"modelArn": f"arn:aws:bedrock:{d}::foundation-model/{profile.model_id}"}
                  for d in profile.destination_regions]
        if profile.global_arn:
            models.append({"modelArn": f"arn:aws:bedrock:::foundation-model/{profile.model_id}"})
        geography = profile.id.split(".", 1)[0].upper() if profile.type == "SYSTEM_DEFINED" else "Application"
        return {
            "inferenceProfileName": profile.name or f"{geography} {profile.model_id}",
            "description": f"Routes requests to {profile.model_id} in {', '.join(profile.destination_regions)}.",
            "createdAt": PROFILE_TIMESTAMP,
            "updatedAt": PROFILE_TIMESTAMP,
            "inferenceProfileArn": f"arn:aws:bedrock:{region}:{account_id}:{resource}/{profile.id}",
            "models": models,
            "inferenceProfileId": profile.id,
            "status": profile.status,
            "type": profile.type,
        }


def _constraint(value: str, member: str, rule: str) -> str:
    # The wording of AWS's request validation errors.
    return f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"


def _make_token(region, type_equals, offset) -> str:
    raw = json.dumps({"r": region, "t": type_equals, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token, region, type_equals, count) -> int:
    """The offset a nextToken stands for; a token of another region, filter or
    a forged one is refused, as AWS refuses tokens it did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = data["o"]
        if data["r"] != region or data["t"] != type_equals or not isinstance(offset, int) or not 0 < offset <= count:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiError("ValidationException", "The provided pagination token is invalid.") from None
    return offset


def _check(shape, value, path="$"):
    """Raise ValueError if ``value`` has a member ``shape`` does not model, lacks a
    required one, or breaks an enum (a guard against drifting from the model)."""
    if shape.type_name == "structure":
        unknown = set(value) - set(shape.members)
        missing = set(shape.required_members) - set(value)
        if unknown or missing:
            raise ValueError(f"{path}: not {shape.name}: unknown {sorted(unknown)}, missing {sorted(missing)}")
        for name, member_value in value.items():
            _check(shape.members[name], member_value, f"{path}.{name}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]")
    elif shape.type_name == "string" and getattr(shape, "enum", None) and value not in shape.enum:
        raise ValueError(f"{path}: {value!r} is not one of {shape.enum}")
