"""How values are read (tests/integration/test_cli_settings.py: how malformed ones are refused)."""

import pytest

from domain.shared.access import Role
from infrastructure.settings import ConfigurationError, Settings

ISSUER = {"RAPPORT_JWT_ISSUER": "https://login.example.com/"}
AUDIENCE = {"RAPPORT_JWT_AUDIENCE": "rapport"}
JWKS = {"RAPPORT_JWT_JWKS_URL": "https://login.example.com/.well-known/jwks.json"}


def test_names_and_booleans_are_read_in_any_case() -> None:
    settings = Settings.from_environment({
        "RAPPORT_ENV": "Production", "RAPPORT_LOG_LEVEL": "warning", "RAPPORT_GRAPHIQL": "True",
        "RAPPORT_ANONYMOUS_ROLE": "analytics", "RAPPORT_LOG_FORMAT": "CONSOLE"})

    assert (settings.environment, settings.log_level, settings.graphiql,
            settings.anonymous_role, settings.log_json) == (
        "production", "WARNING", True, Role.ANALYTICS, False)


def test_unset_or_empty_optional_settings_are_none() -> None:
    settings = Settings.from_environment({"RAPPORT_DATABASE_URL": "", "RAPPORT_JWT_JWKS_URL": ""})

    assert (settings.database_url, settings.jwt_jwks_url, settings.jwt_public_key,
            settings.persisted_queries) == (None, None, None, None)


def test_bearer_tokens_are_on_with_an_issuer_an_audience_and_a_key_source() -> None:
    assert Settings.from_environment(ISSUER | AUDIENCE | JWKS).tokens_enabled


def test_bearer_tokens_are_off_with_none_of_their_settings() -> None:
    assert not Settings.from_environment({}).tokens_enabled


@pytest.mark.parametrize(("given", "first", "missing"), [
    (AUDIENCE | JWKS, "RAPPORT_JWT_AUDIENCE", "RAPPORT_JWT_ISSUER"),
    (ISSUER | AUDIENCE, "RAPPORT_JWT_ISSUER", "RAPPORT_JWT_PUBLIC_KEY"),
    (JWKS, "RAPPORT_JWT_JWKS_URL", "RAPPORT_JWT_AUDIENCE"),
], ids=["no issuer", "no key source", "a key source alone"])
def test_a_token_setting_without_the_others_is_a_configuration_error_naming_them(
    given: dict[str, str], first: str, missing: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_environment(given)

    assert str(refused.value).startswith(f"{first} ")
    assert missing in str(refused.value)
