// Launcher for telegram-test-api 4.2.1 (the npm package has none), with a small route shim
// in front of it that closes the gaps python-telegram-bot 22 trips over (docs/DESIGN.md, "Real
// peers in tests"). Started by tests/e2e/telegram_emulator.py:
//
//   node telegram_emulator.js NODE_MODULES_DIR [--port PORT] [--journal FILE]
//
// listens on 127.0.0.1 (a free port unless --port) and prints "listening PORT" when ready.
// --journal FILE keeps the record of delivered messages (/_shim/sent) in FILE, so it
// survives a stop and a restart on the same port (a test that takes the Bot API away).
'use strict';

const fs = require('fs');
const path = require('path');
const http = require('http');
const { createRequire } = require('module');

const modules = process.argv[2];
const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const journal = option('--journal');
const requireFromPeers = createRequire(path.join(path.resolve(modules), 'noop.js'));
const express = requireFromPeers('express');
const TelegramServer = requireFromPeers('telegram-test-api');

// Its express app is mounted below; its own start() (port, clean-up timer) is not used.
const emulator = new TelegramServer();
const shim = express();
shim.use(express.json({ limit: '10mb' })); // a benchmark's crowd comes in one request
shim.use(express.urlencoded({ extended: true }));

// Bot API methods the emulator answers itself (getUpdates is served by the shim below);
// every other method is absorbed.
const EMULATED = new Set([
  'getMe', 'sendMessage', 'editMessageText', 'editMessageReplyMarkup',
  'answerCallbackQuery', 'deleteMessage', 'deleteWebhook',
]);
const absorbed = []; // {token, method, params} of each absorbed call, for the tests to assert
const blocked = new Set(); // "token chat_id" pairs that answer 403, as a user who blocked the bot
const failing = new Map(); // token -> {status, until, methods}: the Bot API answers 5xx a while
// Every sendMessage the emulator accepted, in order: {token, seq, chat_id, text, message_id}.
// The emulator's own store hands each message to the test user once; this record lets a
// test count deliveries (duplicates, order) without consuming them.
const sent = journal && fs.existsSync(journal)
  ? fs.readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
  : [];

const params = (req) => {
  const all = { ...req.query, ...req.body };
  for (const [key, value] of Object.entries(all)) {
    if (typeof value === 'string' && /^[[{]/.test(value)) {
      try { all[key] = JSON.parse(value); } catch (_) { /* a plain string after all */ }
    }
  }
  return all;
};

// Test controls: what was absorbed, and which chat has blocked the bot (who is a group's
// admin: see getChatMember below).
shim.get('/_shim/absorbed', (req, res) => {
  res.json(absorbed.filter((call) => call.token === req.query.token));
});
shim.post('/_shim/block', (req, res) => {
  blocked.add(`${req.body.token} ${req.body.chat_id}`);
  res.json({ ok: true });
});
shim.get('/_shim/sent', (req, res) => {
  res.json(sent.filter((message) => message.token === req.query.token));
});
// {token, status, seconds, methods?}: for `seconds` the Bot API answers `status` (e.g. 502,
// as Telegram's front end does in a hiccup) to those methods (default: all) of that bot.
shim.post('/_shim/fail', (req, res) => {
  const { token, status = 502, seconds, methods } = req.body;
  failing.set(token, { status: Number(status), until: Date.now() + Number(seconds) * 1000, methods });
  res.json({ ok: true });
});

// Switch: a run of 5xx answers, as a Bot API in trouble gives (see /_shim/fail).
shim.all('/bot:token/:method', (req, res, next) => {
  const trouble = failing.get(req.params.token);
  if (trouble && Date.now() < trouble.until
      && (!trouble.methods || trouble.methods.includes(req.params.method))) {
    res.status(trouble.status).json({
      ok: false, error_code: trouble.status, description: 'Bad Gateway',
    });
    return;
  }
  next();
});

// Benchmarks: many users' messages in one request, queued in order as if each had been sent
// on its own (bench/crowd.py: a thousand chats asking at once, without the cost of a
// thousand client requests). Answers the emulator's time stamp (ms) of their arrival.
shim.post('/_shim/crowd', async (req, res) => {
  const time = Date.now();
  for (const message of req.body.messages) {
    await (message.entities && message.entities.length
      ? emulator.addUserCommand(message) : emulator.addUserMessage(message));
  }
  res.json({ ok: true, time });
});

// Gap: no getChatMember. Members answer with the status a test gave them through
// /_shim/member ("creator", "administrator", ...), anyone else as a plain "member". Each call
// is recorded with the absorbed ones, so a test can count the lookups.
const members = new Map(); // "token chat_id user_id" -> status
shim.post('/_shim/member', (req, res) => {
  const { token, chat_id: chatId, user_id: userId, status } = req.body;
  members.set(`${token} ${chatId} ${userId}`, status);
  res.json({ ok: true });
});
const ADMIN_RIGHTS = {
  can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
  can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false,
  can_change_info: true, can_invite_users: true, can_post_stories: false,
  can_edit_stories: false, can_delete_stories: false,
};
shim.all('/bot:token/getChatMember', (req, res) => {
  const { token } = req.params;
  const call = params(req);
  absorbed.push({ token, method: 'getChatMember', params: call });
  const status = members.get(`${token} ${call.chat_id} ${call.user_id}`) || 'member';
  const user = { id: Number(call.user_id), is_bot: false, first_name: 'Member' };
  const result = { status, user };
  if (status === 'creator') result.is_anonymous = false;
  if (status === 'administrator') Object.assign(result, ADMIN_RIGHTS);
  res.json({ ok: true, result });
});

// Gap: no 403 at all. A blocked chat answers like Telegram does for a user who blocked the bot.
shim.all('/bot:token/:method', (req, res, next) => {
  const chatId = params(req).chat_id;
  if (chatId !== undefined && blocked.has(`${req.params.token} ${chatId}`)) {
    res.status(403).json({
      ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user',
    });
    return;
  }
  next();
});

// Gap: getUpdates ignores offset and timeout (no long polling), and callback queries lack
// chat_instance. Served here from the emulator's queue with Bot API semantics: updates below
// `offset` are confirmed and dropped, the rest are returned, and an empty queue is held for
// up to `timeout` seconds.
const pending = (token, offset) => emulator.storage.userMessages.filter(
  (update) => update.botToken === token && update.updateId >= offset,
);
const nextUserUpdate = (timeoutMs, res) => new Promise((resolve) => {
  const events = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];
  const done = () => {
    clearTimeout(timer);
    events.forEach((event) => emulator.off(event, done));
    res.off('close', done);
    resolve();
  };
  const timer = setTimeout(done, timeoutMs);
  events.forEach((event) => emulator.on(event, done));
  res.on('close', done); // the bot hung up (stopped polling)
});
shim.all('/bot:token/getUpdates', async (req, res) => {
  const { token } = req.params;
  const { offset = 0, limit = 100, timeout = 0 } = params(req);
  emulator.storage.userMessages = emulator.storage.userMessages.filter(
    (update) => update.botToken !== token || update.updateId >= Number(offset),
  );
  const deadline = Date.now() + Number(timeout) * 1000;
  while (!pending(token, Number(offset)).length && Date.now() < deadline && !res.closed) {
    await nextUserUpdate(deadline - Date.now(), res);
  }
  const result = pending(token, Number(offset)).slice(0, Number(limit)).map((stored) => {
    const update = TelegramServer.formatUpdate(stored);
    const query = update.callback_query;
    if (query && !query.chat_instance) query.chat_instance = String(query.message.chat.id);
    // The client API stores the bot token inside each user message; Telegram never sends it.
    if (update.message) delete update.message.botToken;
    return update;
  });
  res.json({ ok: true, result });
});

// Gap: editing a message that is gone (the user deleted it) succeeds silently; Telegram
// answers 400 "message to edit not found".
shim.post('/bot:token/editMessageText', (req, res, next) => {
  const { chat_id: chatId, message_id: messageId } = params(req);
  const exists = emulator.storage.botMessages.some((update) => update.botToken === req.params.token
    && String(update.message.chat_id) === String(chatId)
    && String(update.messageId) === String(messageId));
  if (exists) {
    next();
    return;
  }
  res.status(400).json({
    ok: false, error_code: 400, description: 'Bad Request: message to edit not found',
  });
});

// Gaps in the emulator's own answers, fixed on the way out.
const record = (token, result) => {
  const message = {
    token, seq: sent.length + 1, chat_id: String(result.chat.id), text: result.text,
    message_id: result.message_id,
  };
  if (journal) fs.appendFileSync(journal, `${JSON.stringify(message)}\n`); // before the answer
  sent.push(message);
};
const fixAnswer = (method, result) => {
  if (method === 'getMe') return { ...result, is_bot: true }; // is_bot missing
  if (method === 'sendMessage') return { ...result, date: Math.floor(result.date / 1000) }; // ms
  if (method === 'editMessageText' && result === null) return true; // null is no Bot API answer
  return result;
};
shim.all('/bot:token/:method', (req, res, next) => {
  const { method } = req.params;
  if (!EMULATED.has(method)) {
    next('route');
    return;
  }
  const json = res.json.bind(res);
  res.json = (body) => {
    if (method === 'sendMessage' && body && body.ok) record(req.params.token, body.result);
    return json(body && body.ok ? { ...body, result: fixAnswer(method, body.result) } : body);
  };
  emulator.webServer(req, res, next);
});

// Gap: every other method (sendVenue, sendDocument, sendPhoto, setMyCommands, sendChatAction, setWebhook,
// ...) answers HTTP 500. Absorb it: record the call and answer success, a Message for send*.
// setWebhook is absorbed too, because a webhook left set in the emulator crashes it; the
// webhook tests post updates to the bot themselves.
const readBody = (req) => new Promise((resolve) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => resolve(Buffer.concat(chunks)));
});
// Multipart (sendDocument, sendPhoto): text fields as strings, files as {filename, content
// (as UTF-8 text), base64 (the exact bytes, for binary files such as a PNG photo)}.
const parseMultipart = (body, contentType) => {
  const boundary = `--${/boundary="?([^";]+)"?/.exec(contentType)[1]}`;
  const fields = {};
  for (const part of body.toString('latin1').split(boundary).slice(1, -1)) {
    const [head, ...rest] = part.split('\r\n\r\n');
    const bytes = Buffer.from(rest.join('\r\n\r\n').slice(0, -2), 'latin1');
    const content = bytes.toString('utf8');
    const name = /name="([^"]*)"/.exec(head)[1];
    const filename = /filename="([^"]*)"/.exec(head);
    fields[name] = filename
      ? { filename: filename[1], content, base64: bytes.toString('base64') } : content;
  }
  return fields;
};
let nextMessageId = 1000000;
shim.all('/bot:token/:method', async (req, res) => {
  const { token, method } = req.params;
  const type = req.headers['content-type'] || '';
  const call = { token, method, params: params(req) };
  if (type.startsWith('multipart/form-data')) {
    call.params = { ...call.params, ...parseMultipart(await readBody(req), type) };
  }
  absorbed.push(call);
  const result = !method.startsWith('send') ? true : {
    message_id: nextMessageId++,
    date: Math.floor(Date.now() / 1000),
    chat: { id: Number(call.params.chat_id), type: 'private', first_name: 'Test' },
  };
  res.json({ ok: true, result });
});

// The test user's side (/sendMessage, /sendCommand, /sendCallback, /getUpdates) is the
// emulator's own client API.
shim.use(emulator.webServer);

// The emulator rejects promises it never awaits; a test's mistake must not kill the server.
process.on('unhandledRejection', (error) => console.error(`unhandled rejection: ${error}`));

const server = http.createServer(shim);
server.listen(Number(option('--port') || 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
