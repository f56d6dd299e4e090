"""End-to-end tests: real servers on 127.0.0.1, started here. A missing peer fails, never skips."""

from pathlib import Path

import pytest

# Fixture modules of each real peer (Synapse, telegram-test-api). Imported, because pytest
# refuses `pytest_plugins` in a conftest below the rootdir ("non-top-level conftest").
from tests.e2e.synapse_people import alice, bob, bot_account, carol  # noqa: F401
from tests.e2e.synapse_server import *  # noqa: F403
from tests.e2e.telegram_emulator import *  # noqa: F403

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            # One worker runs them all, one after another: each starts its own servers.
            item.add_marker(pytest.mark.xdist_group("e2e"))
