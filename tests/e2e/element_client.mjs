// A partner on Element's own crypto stack: matrix-js-sdk with its Rust crypto (the stack
// Element Web uses), in the mode that excludes insecure devices (MSC4153: keys go only to
// devices their owner cross-signed, and only such devices' messages decrypt).
//
//   node tests/e2e/element_client.mjs NODE_MODULES_DIR < scenario.json
//
// The scenario (JSON on stdin): homeserver, user_id, password, access_token, device_id,
// bot_user_id, question. The partner sets up its own cross-signing, opens a DM with the
// bot as Element does (is_direct, trusted_private_chat, encrypted from the start), asks,
// waits for the bot's reply and prints one line "RESULT {json}": what it decrypted and the
// shield Element would draw next to it. Exit 0 with that line; anything else is a failure.

import path from "node:path";
import { pathToFileURL } from "node:url";

// Node 20 lacks Promise.withResolvers (ES2024), which matrix-js-sdk 40+ uses.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const modules = process.argv[2];
const load = (file) => import(pathToFileURL(path.join(modules, "matrix-js-sdk", "lib", file)).href);
const sdk = await load("index.js");
const { logger } = await load("logger.js");
const cryptoApi = await load("crypto-api/index.js");
logger.setLevel("error");

const TIMEOUT_MS = 45_000;
const scenario = JSON.parse(await readStdin());

function readStdin() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
  });
}

function fail(message) {
  process.stderr.write(`element_client: ${message}\n`);
  process.exit(1);
}

setTimeout(() => fail(`no answer within ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();

/** Resolve when `check()` returns a value, re-checking on every timeline event. */
function waitFor(client, check) {
  return new Promise((resolve, reject) => {
    const test = async () => {
      try {
        const found = await check();
        if (found !== undefined) {
          client.off(sdk.RoomEvent.Timeline, test);
          resolve(found);
        }
      } catch (error) {
        reject(error);
      }
    };
    client.on(sdk.RoomEvent.Timeline, test);
    test();
  });
}

const client = sdk.createClient({
  baseUrl: scenario.homeserver,
  userId: scenario.user_id,
  accessToken: scenario.access_token,
  deviceId: scenario.device_id,
});
await client.initRustCrypto({ useIndexedDB: false });
const crypto = client.getCrypto();
crypto.setDeviceIsolationMode(new cryptoApi.OnlySignedDevicesIsolationMode());
await crypto.bootstrapCrossSigning({
  authUploadDeviceSigningKeys: (makeRequest) =>
    makeRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: scenario.user_id },
      password: scenario.password,
    }),
});

const prepared = new Promise((resolve) =>
  client.on(sdk.ClientEvent.Sync, (state) => state === "PREPARED" && resolve()),
);
await client.startClient({ initialSyncLimit: 10 });
await prepared;

const { room_id: roomId } = await client.createRoom({
  is_direct: true,
  preset: sdk.Preset.TrustedPrivateChat,
  invite: [scenario.bot_user_id],
  initial_state: [
    { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
  ],
});
await client.setAccountData("m.direct", { [scenario.bot_user_id]: [roomId] });
await waitFor(client, () =>
  client.getRoom(roomId)?.getMember(scenario.bot_user_id)?.membership === "join" ? true : undefined,
);

const { event_id: questionId } = await client.sendMessage(roomId, {
  msgtype: "m.text",
  body: scenario.question,
});

const reply = await waitFor(client, async () => {
  const room = client.getRoom(roomId);
  for (const event of room?.getLiveTimeline().getEvents() ?? []) {
    if (event.getSender() !== scenario.bot_user_id || !event.isEncrypted()) continue;
    await client.decryptEventIfNeeded(event);
    const relation = event.getContent()["m.relates_to"]?.["m.in_reply_to"]?.event_id;
    if (event.isDecryptionFailure() || relation === questionId) return event;
  }
  return undefined;
});

const info = reply.isDecryptionFailure() ? null : await crypto.getEncryptionInfoForEvent(reply);
process.stdout.write(
  "RESULT " +
  JSON.stringify({
    decrypted: !reply.isDecryptionFailure(),
    failure: reply.decryptionFailureReason ?? null,
    msgtype: reply.getContent().msgtype ?? null,
    body: reply.getContent().body ?? null,
    shield: info ? cryptoApi.EventShieldColour[info.shieldColour] : null,
    shield_reason: info && info.shieldReason !== null ? cryptoApi.EventShieldReason[info.shieldReason] : null,
  }) + "\n",
);
client.stopClient();
process.exit(0);
