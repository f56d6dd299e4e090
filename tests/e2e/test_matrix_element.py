"""The bot against Element's own crypto stack: matrix-js-sdk with its Rust crypto, excluding
insecure devices (tests/e2e/element_client.mjs; `make peers` installs it into .peers/element)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.synapse_server import REPO, Account, SynapseServer
from tests.e2e.test_matrix import running_bot

ELEMENT_MODULES = REPO / ".peers" / "element" / "node_modules"
ELEMENT_CLIENT = Path(__file__).with_name("element_client.mjs")
RUN_TIMEOUT = 90.0


@pytest.fixture(scope="session")
def element_modules() -> Path:
    """matrix-js-sdk installed by `make peers`; missing, the run fails (never skips)."""
    if not (ELEMENT_MODULES / "matrix-js-sdk" / "package.json").exists() or not shutil.which("node"):
        pytest.fail(
            f"matrix-js-sdk is not installed ({ELEMENT_MODULES}) or node is missing: run `make peers`",
            pytrace=False,
        )
    return ELEMENT_MODULES


async def ask_as_element(modules: Path, synapse: SynapseServer, partner: Account, bot: Account) -> dict:
    """Run the Element partner's scenario; what it saw of the bot's reply."""
    scenario = {
        "homeserver": synapse.url,
        "user_id": partner.user_id,
        "password": partner.password,
        "access_token": partner.access_token,
        "device_id": partner.device_id,
        "bot_user_id": bot.user_id,
        "question": "gdzie jest forum",
    }
    process = await asyncio.create_subprocess_exec(
        "node", str(ELEMENT_CLIENT), str(modules),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(json.dumps(scenario).encode()), RUN_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]
    [result] = [line for line in out.decode().splitlines() if line.startswith("RESULT ")]
    return json.loads(result.removeprefix("RESULT "))


async def test_element_partner_excluding_insecure_devices_reads_the_answer_without_a_warning(
    synapse: SynapseServer, bot_account: Account, tmp_path: Path, element_modules: Path
) -> None:
    partner = synapse.register("element")
    async with running_bot(synapse, bot_account, tmp_path / "bot.db"):
        seen = await ask_as_element(element_modules, synapse, partner, bot_account)
    assert seen["decrypted"], seen  # the bot read the question and Element read the answer
    assert seen["msgtype"] == "m.notice"
    assert "Kielce" in seen["body"]
    assert seen["shield"] == "NONE", seen  # no red or grey shield next to it
