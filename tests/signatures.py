"""An ed25519 signature check written apart from the bot's code, for tests that verify what
the bot signed (cross-signing)."""

from __future__ import annotations

import base64
from typing import Any

from Crypto.Signature import eddsa
from nio.api import Api


def b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def signed_by(obj: dict[str, Any], user_id: str, public_key: str) -> bool:
    """Whether `obj` carries a valid signature by `public_key` (unpadded base64) for `user_id`."""
    signature = obj.get("signatures", {}).get(user_id, {}).get(f"ed25519:{public_key}")
    if signature is None:
        return False
    unsigned = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    verifier = eddsa.new(eddsa.import_public_key(b64(public_key)), "rfc8032")
    try:
        verifier.verify(Api.to_canonical_json(unsigned).encode(), b64(signature))
    except ValueError:
        return False
    return True
