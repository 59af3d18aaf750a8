"""Which identifier a region accepts, and which region then serves it."""

import random
import threading

from .wire import MESSAGES, ApiError


class Catalog:
    """Resolves model IDs, inference-profile IDs and their ARNs per region.

    A profile request is served in one of the profile's destination regions,
    drawn with the world's seed.
    """

    def __init__(self, world):
        self._models = {r.name: frozenset(r.models) for r in world.regions}
        self._profiles = world.profiles
        self._profile_only = world.profile_only_models
        self._lock = threading.Lock()
        self._random = random.Random(world.seed)

    def resolve(self, region: str, identifier: str) -> tuple:
        """Return (model_id, served_region, profile_id or None), or raise the
        ValidationException Bedrock gives."""
        kind, name = _split_arn(region, identifier)
        profile = self._profiles.get(name)
        if kind in ("id", "inference-profile") and profile is not None and region in profile.source_regions:
            with self._lock:
                return profile.model_id, self._random.choice(profile.destination_regions), profile.id
        if kind in ("id", "foundation-model") and name in self._models[region]:
            return name, region, None
        if kind == "id" and name in self._profile_only:
            raise ApiError("ValidationException", MESSAGES["profile_only"].format(model=name))
        raise ApiError("ValidationException", MESSAGES["invalid_model"])


def _split_arn(region: str, identifier: str) -> tuple:
    """("id", identifier) for a bare ID, (resource type, name) for an ARN of this
    region, ("foreign", identifier) for any other ARN."""
    if not identifier.startswith("arn:"):
        return "id", identifier
    parts = identifier.split(":", 5)
    if len(parts) == 6 and parts[1] == "aws" and parts[2] == "bedrock" and parts[3] == region:
        resource_type, _, name = parts[5].partition("/")
        return resource_type, name
    return "foreign", identifier
