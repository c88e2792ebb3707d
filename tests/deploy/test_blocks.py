"""Secrets from Prefect blocks (``betterstack_etl.settings``, ``betterstack_etl.gcp.credentials``) against a real ``prefect
server``: a Secret block saved on the server gives the token, a prefect-gcp GcpCredentials
block gives the Google credentials (directly and through ``gcp.load_credentials``), and the
environment variable stays the default."""

from __future__ import annotations

import json
import secrets
import sys
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import service_account
from pydantic import SecretStr

from betterstack_etl.errors import ConfigError
from betterstack_etl.gcp.credentials import (
    GCP_CREDENTIALS_BLOCK_ENV,
    GcpConfig,
    gcp_credentials_from_block,
    load_credentials,
)
from betterstack_etl.settings import knob, read_token

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import PrefectServer  # tests/deploy/conftest.py

pytestmark = pytest.mark.slow

TOKEN_ENV = knob("token").variable
TOKEN_SECRET_BLOCK_ENV = knob("token_secret_block").variable


@pytest.fixture
def on_server(prefect_server: PrefectServer) -> Iterator[PrefectServer]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        yield prefect_server


def block_name() -> str:
    return f"bs-{secrets.token_hex(6)}"


def test_the_token_comes_from_a_secret_block_when_named(on_server: PrefectServer) -> None:
    from prefect.blocks.system import Secret as SecretBlock

    token, name = "tok-" + secrets.token_hex(12), block_name()
    SecretBlock(value=SecretStr(token)).save(name)
    resolved = read_token({TOKEN_SECRET_BLOCK_ENV: name})
    assert resolved.reveal() == token
    assert token not in repr(resolved)
    assert token not in str(resolved)
    with on_server.client() as api:  # the server shows the block obfuscated by default
        listed = api.post("/block_documents/filter", json={}).text
    assert name in listed
    assert token not in listed


def test_the_environment_variable_stays_the_default(on_server: PrefectServer) -> None:
    assert read_token({TOKEN_ENV: " env-token "}).reveal() == "env-token"
    with pytest.raises(ConfigError, match="both"):
        read_token({TOKEN_ENV: "env-token", TOKEN_SECRET_BLOCK_ENV: "some-block"})
    with pytest.raises(ConfigError, match="BETTERSTACK_TOKEN is not set"):
        read_token({})


def test_a_missing_or_empty_secret_block_is_a_config_error(on_server: PrefectServer) -> None:
    from prefect.blocks.system import Secret as SecretBlock

    with pytest.raises(ConfigError, match="no Prefect Secret block named"):
        read_token({TOKEN_SECRET_BLOCK_ENV: block_name()})
    empty = block_name()
    SecretBlock(value=SecretStr(" ")).save(empty)
    with pytest.raises(ConfigError, match="is empty"):
        read_token({TOKEN_SECRET_BLOCK_ENV: empty})


def service_account_info() -> dict[str, Any]:
    """A well-formed service-account key (fresh RSA key, made-up account)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "rj-iplanrio",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": "betterstack-etl@rj-iplanrio.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def test_google_credentials_come_from_a_gcp_credentials_block(on_server: PrefectServer) -> None:
    from prefect_gcp import GcpCredentials

    info, name = service_account_info(), block_name()
    GcpCredentials(service_account_info=info, project="rj-iplanrio").save(name)
    direct = gcp_credentials_from_block(name)
    assert isinstance(direct, service_account.Credentials)
    assert direct.service_account_email == info["client_email"]

    config = GcpConfig.from_env({GCP_CREDENTIALS_BLOCK_ENV: name})
    assert config.credentials_block == name
    via_gcp = load_credentials(config)
    assert isinstance(via_gcp, service_account.Credentials)
    assert via_gcp.service_account_email == info["client_email"]
    with on_server.client() as api:
        listed = api.post("/block_documents/filter", json={}).text
    assert info["private_key"].splitlines()[1] not in listed  # stored, shown obfuscated
    assert json.dumps(info["private_key"])[1:40] not in listed


def test_a_missing_gcp_credentials_block_is_a_config_error(on_server: PrefectServer) -> None:
    with pytest.raises(ConfigError, match="no Prefect GcpCredentials block named"):
        load_credentials(GcpConfig.from_env({GCP_CREDENTIALS_BLOCK_ENV: block_name()}))


def test_a_credentials_block_without_prefect_gcp_installed_says_which_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """prefect-gcp is an extra (it would not install beside prefect 3.4.9 at its newest): a
    block named without it is one line naming the extra, not an ImportError traceback."""
    monkeypatch.setitem(sys.modules, "prefect_gcp", None)  # what `import` sees when absent
    with pytest.raises(ConfigError) as caught:
        load_credentials(GcpConfig.from_env({GCP_CREDENTIALS_BLOCK_ENV: "betterstack-gcp"}))
    text = str(caught.value)
    assert "prefect-gcp" in text
    assert "betterstack-etl[gcp]" in text
    assert "\n" not in text
