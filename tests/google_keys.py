"""A Google service-account key for the end-to-end suites: the router signs with it, the fake verifies with it."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT = "aigw-test"
"""The project the key names: the fake refuses Vertex calls on any other project's path."""


def write_service_account(directory: Path) -> Path:
    """A fresh key of `PROJECT`, in Google's JSON key format, written to `service-account.json` in directory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "e2e-key",
        "private_key": pem,
        "client_email": f"gateway@{PROJECT}.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = directory / "service-account.json"
    path.write_text(json.dumps(info))
    return path
