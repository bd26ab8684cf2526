"""The credentials the tests' fake provider knows: one of each kind the providers use.

The session's fake (see `conftest.py`) requires the API key on every surface
that takes a key, checks Bedrock's SigV4 signatures against the AWS identity,
and issues Vertex AI tokens for assertions the service account's key signed.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

API_KEY = "sk-fake-0123456789abcdefghijklmnopqrstuvwxyz"

# The AWS identity Bedrock requests are signed as.
KEY_ID = "AKIDBEDROCKTESTS0001"
SECRET = "bedrock-test-secret-access-key"
REGION = "eu-central-1"

# The Google service account (its key is the `account_key` fixture).
EMAIL = "gateway@aigw-test.iam.gserviceaccount.com"


def pem(key: rsa.RSAPrivateKey) -> str:
    """The private key as a service-account key file holds it."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
