"""The bearer token Prometheus scrapes MinIO's metrics with, made as `mc admin prometheus generate` makes it. Pure.

mc RELEASE.2024-11-21T17-21-54Z (the chart's mc image; cmd/utils.go `getPrometheusToken`): a JWT signed HS512 with
the access key's secret key, claims `exp` (now + 100 years, `defaultPrometheusJWTExpiry`), `sub` (the access key)
and `iss` "prometheus", encoded by golang-jwt/jwt v4.5.1 (header `{"alg":"HS512","typ":"JWT"}`, RegisteredClaims in
field order iss, sub, exp; unpadded URL-safe base64).

MinIO checks it in cmd/jwt.go `metricsRequestAuthenticate` (the key is looked up from `sub`, the HMAC verified
against its secret key, `exp` validated) and cmd/metrics.go `AuthMiddleware` (issuer must be "prometheus", then the
identity's policy must allow `admin:Prometheus`), the same at RELEASE.2024-12-18T13-15-44Z and
RELEASE.2025-10-15T17-29-55Z.

One difference, on purpose: `exp` is a fixed date instead of "now", so that the second and tenth `up` compute the
same token and the Secret does not change; the token changes when the metrics user's secret does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

ISSUER = "prometheus"
# 2125-01-01T00:00:00Z: about mc's 100 years, but stable.
EXPIRES_AT = 4_891_363_200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def prometheus_token(access_key: str, secret_key: str, expires_at: int = EXPIRES_AT) -> str:
    if not access_key or not secret_key:
        raise ValueError("a metrics token needs an access key and its secret key")
    header = _b64(_json({"alg": "HS512", "typ": "JWT"}))
    claims = _b64(_json({"iss": ISSUER, "sub": access_key, "exp": expires_at}))
    signing_input = f"{header}.{claims}"
    signature = hmac.new(secret_key.encode(), signing_input.encode(), hashlib.sha512).digest()
    return f"{signing_input}.{_b64(signature)}"
