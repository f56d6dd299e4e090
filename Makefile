# make run  — set everything up on a fresh machine and talk to the assistant
# make test — set up, install the real test peers (Synapse, telegram-test-api, matrix-js-sdk), run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PEERS  := .peers

.PHONY: run test unit e2e lint check-faq bench peers clean chat-model

$(BIN)/irlf-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# Synapse in its own virtualenv: its pinned dependencies must not meet ours.
$(PEERS)/synapse/bin/python:
	$(PYTHON) -m venv $(PEERS)/synapse
	$(PEERS)/synapse/bin/pip install -q --disable-pip-version-check 'matrix-synapse>=1.100,<2'

# The Telegram Bot API emulator (npm); tests/e2e start it with node.
$(PEERS)/telegram/node_modules/telegram-test-api/package.json:
	mkdir -p $(PEERS)/telegram
	cd $(PEERS)/telegram && npm install --silent --no-audit --no-fund telegram-test-api@4.2.1

# Element's own crypto stack (matrix-js-sdk with its Rust crypto, as WebAssembly): the
# encryption tests talk to the bot through it (tests/e2e/element_client.mjs).
$(PEERS)/element/node_modules/matrix-js-sdk/package.json:
	mkdir -p $(PEERS)/element
	cd $(PEERS)/element && npm install --silent --no-audit --no-fund matrix-js-sdk@43.0.0

peers: $(PEERS)/synapse/bin/python $(PEERS)/telegram/node_modules/telegram-test-api/package.json \
	$(PEERS)/element/node_modules/matrix-js-sdk/package.json

run: $(BIN)/irlf-bot
	$(BIN)/irlf-bot run

chat: $(BIN)/irlf-bot
	$(BIN)/irlf-bot chat

lint: $(BIN)/irlf-bot
	$(BIN)/ruff check .

check-faq: $(BIN)/irlf-bot
	$(BIN)/irlf-bot check-faq

unit: $(BIN)/irlf-bot
	$(BIN)/pytest -q -m 'not e2e'

e2e: $(BIN)/irlf-bot peers
	$(BIN)/pytest -q -m e2e

# Two workers: one runs the end-to-end tests (mostly waiting on servers), the other the rest.
test: $(BIN)/irlf-bot peers lint check-faq
	$(BIN)/pytest -q -n 2 --dist loadgroup

# Retrain the chat model (faq/classifier.py) after the knowledge base or a studied set changes.
chat-model: $(BIN)/irlf-bot
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,model]'
	$(BIN)/python tools/train_chat_model.py

bench: $(BIN)/irlf-bot peers
	$(BIN)/python bench/matcher.py
	$(BIN)/python bench/markup.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/programme.py
	$(BIN)/python bench/broadcast.py
	$(BIN)/python bench/telegram_roundtrip.py
	$(BIN)/python bench/matrix_roundtrip.py
	$(BIN)/python bench/crowd.py
	$(BIN)/python bench/operations.py

clean:
	rm -rf $(VENV) $(PEERS) .pytest_cache
