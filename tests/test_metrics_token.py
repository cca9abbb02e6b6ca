"""The scrape token is what MinIO's metrics authentication accepts (cmd/jwt.go metricsRequestAuthenticate,
cmd/metrics.go AuthMiddleware), made as mc's getPrometheusToken makes it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from components.model.metrics_token import EXPIRES_AT, prometheus_token


def decode(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def minio_accepts(token: str, users: dict[str, str], now: int) -> bool:
    """MinIO's checks in order: sub names a known key, HMAC over everything before the last dot with the header's
    algorithm, exp in the future, issuer prometheus."""
    header, claims, signature = token.split(".")
    payload = decode(claims)
    secret = users.get(payload.get("accessKey", payload.get("sub")))
    if secret is None or decode(header)["alg"] != "HS512":
        return False
    expected = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha512).digest()
    given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return hmac.compare_digest(expected, given) and payload["exp"] > now and payload["iss"] == "prometheus"


def test_token_has_mcs_header_and_claims_in_jwt_gos_order():
    token = prometheus_token("matih-metrics", "s3cret")
    header, claims, _ = token.split(".")
    assert base64.urlsafe_b64decode(header + "==") == b'{"alg":"HS512","typ":"JWT"}'
    assert decode(claims) == {"iss": "prometheus", "sub": "matih-metrics", "exp": 4891363200}
    assert list(decode(claims)) == ["iss", "sub", "exp"]
    assert "=" not in token


def test_minio_accepts_it_and_refuses_a_wrong_secret_or_user():
    token = prometheus_token("matih-metrics", "s3cret")
    now = 1_800_000_000
    assert minio_accepts(token, {"matih-metrics": "s3cret"}, now)
    assert not minio_accepts(token, {"matih-metrics": "other"}, now)
    assert not minio_accepts(token, {"someone-else": "s3cret"}, now)
    assert not minio_accepts(
        prometheus_token("matih-metrics", "s3cret", expires_at=now), {"matih-metrics": "s3cret"}, now
    )


def test_the_token_is_stable_across_runs_and_changes_with_the_secret():
    assert prometheus_token("a", "b") == prometheus_token("a", "b")
    assert prometheus_token("a", "b") != prometheus_token("a", "c")
    assert EXPIRES_AT > 4_000_000_000  # beyond 2096: the scrape never expires in the cluster's life


@pytest.mark.parametrize(("access", "secret"), [("", "x"), ("x", "")])
def test_empty_credentials_are_refused(access, secret):
    with pytest.raises(ValueError, match="access key and its secret key"):
        prometheus_token(access, secret)
