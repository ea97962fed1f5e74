"""No setting, present or future, prints a secret: every variable in .env.example is tried with a token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

pytestmark = pytest.mark.reliability

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"
VARIABLES = sorted(set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.M)))
PASTED_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.pasted-secret-token-part"
# Where the value is the setting (a token, a path), it is kept; what matters is that errors and repr() hide it.
SHOWN_AS_IS = {"DATABASE_PATH"}


def test_env_example_lists_the_settings():
    assert {"DISCORD_TOKEN", "DATABASE_PATH", "LOG_LEVEL"} <= set(VARIABLES)


@pytest.mark.parametrize("variable", VARIABLES)
def test_a_token_pasted_into_any_setting_is_never_printed(variable, tmp_path):
    try:
        settings = load_settings({variable: PASTED_TOKEN, "HOME": str(tmp_path)})
    except ConfigError as error:
        assert "pasted-secret" not in str(error)
        assert variable in str(error)  # and it still says which variable is wrong
        return
    if variable not in SHOWN_AS_IS:
        assert "pasted-secret" not in repr(settings)
