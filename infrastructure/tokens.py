"""OIDC/JWT bearer tokens from the brand's identity provider, verified with PyJWT: the
signature against the provider's JWKS (or one configured public key), the issuer, the
audience and the expiry. What the claims mean for Rapport is decided by the authenticator."""

import asyncio
from dataclasses import dataclass
from typing import Any

import jwt


class InvalidToken(Exception):
    """The token is malformed, forged, expired, or for another issuer or audience."""


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    jwks_url: str | None = None
    public_key: str | None = None
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_seconds: int = 30


class TokenVerifier:
    def __init__(self, settings: TokenSettings) -> None:
        if not (settings.jwks_url or settings.public_key):
            raise ValueError("token verification needs RAPPORT_JWT_JWKS_URL or _PUBLIC_KEY")
        self._settings = settings
        # PyJWKClient caches the key set and refetches it when a token names an unknown key
        # id, so a provider's key rotation needs no restart.
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    async def claims(self, token: str) -> dict[str, Any]:
        try:
            key = await self._signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=list(self._settings.algorithms),
                audience=self._settings.audience, issuer=self._settings.issuer,
                leeway=self._settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(_reason(error)) from error
        return claims

    async def _signing_key(self, token: str) -> Any:
        if self._jwks is None:
            return self._settings.public_key
        # A cache miss fetches over HTTP with urllib: off the event loop.
        return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(error, jwt.InvalidAudienceError):
        return "the token is for another audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "the token is from another issuer"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the token has no {error.claim!r} claim"
    if isinstance(error, jwt.PyJWKClientError):
        return "the token's signing key is unknown"
    return "the token is not valid"
