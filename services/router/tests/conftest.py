"""Fixtures of the router's tests: the Vertex service account's key and Google's token endpoint.

Only fixtures live here; the plain helpers they use are in vertex_samples.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vertex_samples import EMAIL, KEY_TOKEN_URI, TokenEndpoint


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """The Vertex service account's private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    """The Vertex service account's JSON key file, as Google issues it."""
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "aigw-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": EMAIL,
        "token_uri": KEY_TOKEN_URI,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path


@pytest.fixture
def endpoint(rsa_key: rsa.RSAPrivateKey) -> TokenEndpoint:
    """Google's token endpoint, trusting the service account's key."""
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return TokenEndpoint(public)
