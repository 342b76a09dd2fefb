"""How values are read (tests/integration/test_cli_settings.py: how malformed ones are refused)."""

from domain.shared.access import Role
from infrastructure.settings import Settings


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
