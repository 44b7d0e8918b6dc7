"""pulumi-random's RandomPassword and RandomString emulated: real random values with the same rules."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from fedctl.apiserver import EmulationError

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
RANDOM_STRING = "random:index/randomString:RandomString"
TYPES = (RANDOM_PASSWORD, RANDOM_STRING)
RANDOM_DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"
"""pulumi-random's special characters unless override_special is given."""


def random_text(inputs: Mapping[str, Any]) -> str:
    """A random value as pulumi-random makes it: length, the character classes and their minimums."""
    length = int(inputs.get("length") or 0)
    special = inputs.get("overrideSpecial") or RANDOM_DEFAULT_SPECIAL
    numeric = inputs.get("numeric", True) and inputs.get("number", True)
    classes = [(inputs.get("upper", True), "minUpper", string.ascii_uppercase),
               (inputs.get("lower", True), "minLower", string.ascii_lowercase),
               (numeric, "minNumeric", string.digits),
               (inputs.get("special", True), "minSpecial", special)]
    chosen = [(int(inputs.get(minimum) or 0), alphabet) for enabled, minimum, alphabet in classes if enabled]
    if not chosen:
        raise EmulationError("random: every character class is off (upper, lower, numeric, special)")
    if length < 1 or sum(m for m, _ in chosen) > length:
        raise EmulationError(f"random: length {length} is below 1 or below the sum of the min_* counts")
    rng = secrets.SystemRandom()
    characters = [rng.choice(alphabet) for minimum, alphabet in chosen for _ in range(minimum)]
    everything = "".join(alphabet for _, alphabet in chosen)
    characters += [rng.choice(everything) for _ in range(length - len(characters))]
    rng.shuffle(characters)
    return "".join(characters)
