/**
 * The client, its types and the emulator checked against TalkJS's own
 * reference pages and example code (issue 11).
 *
 * Every fixture is quoted from TalkJS: the source URL is beside it. Doc text
 * comes from the stored page copies (TalkJS's line-number gutter removed,
 * whitespace normalised); example code from `talkjs/talkjs-examples` at the
 * pinned commit. TalkJS's oddities are kept and marked (sic). Where the
 * printed JSON is invalid, it is quoted in a comment and the test uses the
 * corrected object. Where an example builds a body from variables, the
 * variable is replaced by a placeholder value, named in the comment.
 *
 * Three kinds of test:
 * - **request**: the exact request a documented call sends through our
 *   client (method, path, query, body), recorded by a loopback server;
 * - **answer**: a documented answer served verbatim, returned intact by the
 *   typed method (nothing stripped);
 * - **emulator**: the emulator accepting each documented request and
 *   answering in the documented shape (field names and types, not values),
 *   and following the behaviour TalkJS documents per API version.
 *
 * The last section tests endpoints TalkJS documents that the project adds
 * (`files.upload`, `participants.email`, `users.presences`).
 */
import assert from "node:assert/strict";
import { jwtVerify } from "jose";
import { compareShapes, shapeOf } from "../bin/_shape.ts";
import { createUserToken } from "../src/auth.ts";
import { createClient, type TalkJsClient } from "../src/client.ts";
import { paginate } from "../src/paginate.ts";
import type {
  BatchOperation,
  BatchResult,
  Conversation,
  ConversationInput,
  ImportMessageInput,
  Message,
  MessageInput,
  NotificationInput,
  ParticipantInput,
  ParticipantPatch,
  User,
  UserInput,
  UserMessageInput,
} from "../src/types.ts";
import {
  signWebhook,
  verifyWebhook,
  type WebhookEventType,
} from "../src/webhooks.ts";
import {
  createEmulator,
  createManualClock,
  type Emulator,
  type ManualClock,
} from "../testing.ts";
import {
  cutBody,
  type FakeServer,
  json,
  type Recorded,
  startFakeServer,
} from "./_fake_server.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/** No test may run longer than this, whatever the code under test does. */
const LIMIT_MS = 10_000;

/** `Deno.test`, bounded in time: a hang fails the test instead of the run. */
function test(name: string, fn: () => Promise<void>): void {
  Deno.test(name, async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no result within ${LIMIT_MS} ms`)),
            LIMIT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** TalkJS's docs write the app ID as `YOUR_APP_ID`. */
const APP = "YOUR_APP_ID";
const SECRET = "sk_test_reference_0123456789abcdef";

/** A client on the loopback server: no pacing, no retries, 5 s per attempt. */
function fakeClient(
  server: FakeServer,
  extra: Partial<Parameters<typeof createClient>[0]> = {},
): TalkJsClient {
  return createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: server.url,
    limiter: false,
    retry: false,
    timeoutMs: 5_000,
    ...extra,
  });
}

interface ExpectedRequest {
  method: string;
  /** The path after `/v1/{appId}`. */
  path: string;
  /** Query parameters (any order); none when absent. */
  query?: Record<string, string>;
  /** The JSON body; no body at all when absent. */
  body?: unknown;
  /** The app ID of the path, when not {@linkcode APP}. */
  appId?: string;
}

/** Asserts that `req` is exactly `want`: method, path, query and body. */
function assertRequest(req: Recorded | undefined, want: ExpectedRequest): void {
  assert.ok(req, `no request recorded, expected ${want.method} ${want.path}`);
  const url = new URL(req.path, "http://recorded.invalid");
  assert.equal(req.method, want.method, "method");
  assert.equal(url.pathname, `/v1/${want.appId ?? APP}${want.path}`, "path");
  assert.deepEqual(
    [...url.searchParams].sort(),
    Object.entries(want.query ?? {}).sort(),
    "query",
  );
  if (want.body === undefined) {
    assert.equal(req.body, "", "body");
    return;
  }
  assert.equal(
    req.headers.get("content-type"),
    "application/json",
    "content-type",
  );
  assert.deepEqual(JSON.parse(req.body), want.body, "body");
}

/** An emulator on a manual clock, and raw requests to it. */
interface World {
  emu: Emulator;
  clock: ManualClock;
  /**
   * Sends `body` as JSON (with `Content-Type: application/json` on every
   * method but GET, as TalkJS's curl examples do), under `version` when given
   * (`TalkJS-REST-Version`). Authorizes with the secret key (TalkJS's legacy
   * scheme), so the manual clock never expires a token.
   */
  call(
    method: string,
    path: string,
    body?: unknown,
    version?: string,
  ): Promise<{ status: number; body: Json }>;
  /** A typed client on the emulator, sending `version` when given. */
  client(version?: string): TalkJsClient;
}

const T0 = 1_700_000_000_000;

function world(): World {
  const clock = createManualClock(T0);
  const emu = createEmulator({ rateLimit: false, clock });
  return {
    emu,
    clock,
    async call(method, path, body, version) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${emu.secretKey}`,
      };
      if (method !== "GET") headers["content-type"] = "application/json";
      if (version !== undefined) headers["TalkJS-REST-Version"] = version;
      const res = await emu.fetch(`${emu.baseUrl}/v1/${emu.appId}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch { /* not JSON: kept as text */ }
      return { status: res.status, body: parsed };
    },
    client(version) {
      return createClient({
        appId: emu.appId,
        secretKey: emu.secretKey,
        baseUrl: emu.baseUrl,
        fetch: emu.fetch,
        auth: "secret-key",
        limiter: false,
        retry: false,
        timeoutMs: 5_000,
        ...(version === undefined ? {} : { apiVersion: version }),
      });
    },
  };
}

/** Asserts a 200, naming the request and the answer when not. */
async function ok(
  w: World,
  method: string,
  path: string,
  body?: unknown,
  version?: string,
): Promise<Json> {
  const answer = await w.call(method, path, body, version);
  assert.equal(
    answer.status,
    200,
    `${method} ${path}${
      version ? ` (version ${version})` : ""
    } answered ${answer.status} ${JSON.stringify(answer.body)}`,
  );
  return answer.body;
}

/** Creates users (name = ID) and a conversation with them as participants. */
async function seed(
  w: World,
  conversationId: string,
  participants: string[],
): Promise<void> {
  await ok(
    w,
    "PUT",
    "/users",
    Object.fromEntries(participants.map((id) => [id, { name: id }])),
  );
  await ok(w, "PUT", `/conversations/${conversationId}`, { participants });
}

/** The IDs of a list answer, in order. */
function ids(page: Json): string[] {
  return (page.data as { id: string }[]).map((c) => c.id);
}

/**
 * Asserts that `actual` has the shape of TalkJS's `documented` example: the
 * same field paths with the same value types. `mapFields` name objects whose
 * keys are data (`custom`, `participants`); `notInExample` are fields of
 * TalkJS's printed type that its example does not show (cut off, or added
 * later), which `actual` may carry.
 */
function assertShape(
  actual: unknown,
  documented: unknown,
  mapFields: string[] = [],
  notInExample: string[] = [],
): void {
  const fields = new Set(mapFields);
  const differences = compareShapes(
    shapeOf(actual, fields),
    shapeOf(documented, fields),
  ).filter((d) =>
    !(d.b.length === 0 &&
      notInExample.some((p) =>
        d.path === p || d.path.startsWith(p + ".") ||
        d.path.startsWith(p + "[")
      ))
  );
  assert.deepEqual(
    differences,
    [],
    "differences from TalkJS's example (a: ours, b: TalkJS's)",
  );
}

// ---------------------------------------------------------------------------
// Fixtures quoted from TalkJS
// ---------------------------------------------------------------------------
// Each is typed with our input or answer type, so that the types are checked
// against TalkJS's documented bodies too.

/** What `messages.edit` takes. */
type MessageEdit = Parameters<TalkJsClient["messages"]["edit"]>[2];

// https://talkjs.com/docs/Reference/REST_API/Users — `PUT /v1/{appId}/users/{userId}`,
// as printed (the stored copy lacks its `email` line, and a comma is missing
// after "custom": {…} (sic)):
// {
//  "name": "Alice",
//  "welcomeMessage": "Hi there, how are you? :-)",
//  "photoUrl": "https://talkjs.com/images/avatar-1.jpg",
//  "locale": "ar",
//  "role": "buyer",
//  "phone": ["+1123456789"],
//  "custom": {
//  "country": "ca"
//  }
//  "pushTokens": {
//  "fcm:MY_TOKEN_ID": true
//  }
// }
// Invalid JSON: the object below restores the comma.
const USER_PUT: UserInput = {
  "name": "Alice",
  "welcomeMessage": "Hi there, how are you? :-)",
  "photoUrl": "https://talkjs.com/images/avatar-1.jpg",
  "locale": "ar",
  "role": "buyer",
  "phone": ["+1123456789"],
  "custom": {
    "country": "ca",
  },
  "pushTokens": {
    "fcm:MY_TOKEN_ID": true,
  },
};

// https://talkjs.com/docs/Reference/REST_API/Reference/Users.html — the old
// copy, with `configuration` (the former name of `role`); the crawler
// replaced the email address with "[email protected]" (kept as found).
const USER_PUT_OLD: UserInput = {
  "name": "Alice",
  "email": ["[email protected]"],
  "welcomeMessage": "Hi there, how are you? :-)",
  "photoUrl": "https://demo.talkjs.com/img/alice.jpg",
  "configuration": "buyer",
  "phone": ["+1123456789"],
  "custom": {
    "country": "ca",
  },
};

// https://talkjs.com/docs/Reference/REST_API/Getting_Started/Starting_a_conversation.html
// (email addresses replaced by the crawler, kept as found):
// -d '{ "name":"Alice", "email": ["[email protected]"], "photoUrl": "https://yoursite.com/userpictures/12081.png", "welcomeMessage": "Hey there! :-)", "role": "buyer" }'
const GUIDE_USER_12081: UserInput = {
  "name": "Alice",
  "email": ["[email protected]"],
  "photoUrl": "https://yoursite.com/userpictures/12081.png",
  "welcomeMessage": "Hey there! :-)",
  "role": "buyer",
};
// -d '{ "name":"Bob", "email":["[email protected]"], "photoUrl":"https://yoursite.com/userpictures/8029.png", "welcomeMessage":"Hey there! :-)", "role":"seller", "custom": { "birthday": "1487842094224" } }'
const GUIDE_USER_8029: UserInput = {
  "name": "Bob",
  "email": ["[email protected]"],
  "photoUrl": "https://yoursite.com/userpictures/8029.png",
  "welcomeMessage": "Hey there! :-)",
  "role": "seller",
  "custom": { "birthday": "1487842094224" },
};

// https://talkjs.com/docs/Reference/REST_API/Users — `PUT /v1/{appId}/users`,
// cut off in the stored copy after sebastian's `"custom": {` (and its line 4,
// an `email` line, is missing). The readable part, sebastian without the
// cut-off `custom`:
const USERS_PUT: Record<string, UserInput> = {
  "alice": {
    "name": "Alice",
    "phone": ["+1123456789"],
    "locale": "ar",
  },
  "sebastian": {
    "name": "Sebastian",
    "phone": ["+1123456789"],
  },
};

// https://talkjs.com/docs/Reference/REST_API/Users/ — `GET /v1/{appId}/users/{userId}`,
// as printed (a comma is missing before "pushTokens" (sic); there is no
// "email" key):
// {"availabilityText": null,"createdAt": 1623926680918,"custom": {},"id": "123456789","locale": "en-US","name": "Alice","phone": null,"photoUrl": "https://demo.talkjs.com/marketplace_demo/img/alice.jpg","role": "default","welcomeMessage": "Hey there! How are you? :-)""pushTokens": {"apns:MY_TOKEN_ID": true}}
// Invalid JSON: the object below restores the comma.
const USER_ANSWER: User = {
  "availabilityText": null,
  "createdAt": 1623926680918,
  "custom": {},
  "id": "123456789",
  "locale": "en-US",
  "name": "Alice",
  "phone": null,
  "photoUrl": "https://demo.talkjs.com/marketplace_demo/img/alice.jpg",
  "role": "default",
  "welcomeMessage": "Hey there! How are you? :-)",
  "pushTokens": { "apns:MY_TOKEN_ID": true },
};
// The `User` type printed on the same page lists `email` and
// `headerPhotoUrl`, which the example does not show.
const USER_FIELDS_NOT_IN_EXAMPLE = ["email", "headerPhotoUrl"];

// https://talkjs.com/resources/how-do-i-create-a-session-in-rest-api-for-a-group-conversation
// (a stored copy of the current Conversations reference) — `PUT /v1/{appId}/conversations/{conversationId}`;
// example URL printed: `/v1/q3k1pa9d/conversations/order_fc_491731`.
const CONVERSATION_PUT: ConversationInput = {
  "participants": ["123456", "654321"],
  "subject": "Black leather boots",
  "welcomeMessages": [
    "Hello there!",
    "I'm currently out of town, leave a message and I'll respond ASAP. :)",
  ],
  "custom": {
    "productId": "454545",
  },
  "photoUrl": "https://example.com/productpictures/454545.png",
};

// https://talkjs.com/docs/Reference/REST_API/Conversations/ — a conversation
// answer (older copy, which predates `isUnread`), as printed, cut off in the
// stored copy:
// {"createdAt": 1623926680929,"custom": {},"id": "87d70908d90cee5d12bd","lastMessage": {"attachment": null,"conversationId": "87d70908d90cee5d12bd","createdAt": 1632919967033,"editedAt": null,"custom": {},"id": "msg_0UQbqdxnQWkoIw7Db7fZHK","location": null,"origin": "web","readBy": [],"senderId": "432156789","text": "Hey, I'm in London","type": "UserMessage","referencedMessageId": null},"participants": {"123456789": {"access": "ReadWrite","notify": true},"432156789": {"access": "ReadWrite","notify": true}},"photoUrl": null,"subject": "Random conversation","topicI[cut off]
// The `lastMessage` object is complete as printed.
const MESSAGE_ANSWER: Message = {
  "attachment": null,
  "conversationId": "87d70908d90cee5d12bd",
  "createdAt": 1632919967033,
  "editedAt": null,
  "custom": {},
  "id": "msg_0UQbqdxnQWkoIw7Db7fZHK",
  "location": null,
  "origin": "web",
  "readBy": [],
  "senderId": "432156789",
  "text": "Hey, I'm in London",
  "type": "UserMessage",
  "referencedMessageId": null,
};
// The conversation, closed after "subject" (the readable part); its keys are
// in alphabetical order, so the cut-off tail holds `topicId` and
// `welcomeMessages`.
const CONVERSATION_ANSWER = {
  "createdAt": 1623926680929,
  "custom": {},
  "id": "87d70908d90cee5d12bd",
  "lastMessage": MESSAGE_ANSWER,
  "participants": {
    "123456789": { "access": "ReadWrite", "notify": true },
    "432156789": { "access": "ReadWrite", "notify": true },
  },
  "photoUrl": null,
  "subject": "Random conversation",
};
// Fields of the current `Conversation` type (same source as
// CONVERSATION_PUT) that the example cannot show: cut off, or added later.
const CONVERSATION_FIELDS_NOT_IN_EXAMPLE = [
  "topicId",
  "welcomeMessages",
  "participants.{}.isUnread",
];

// https://talkjs.com/docs/Reference/REST_API/Messages/ — send, as printed:
// [
//  {
//  "text": "Meet me outside",
//  "sender": "123143551",
//  "type": "UserMessage",
//  "referencedMessageId": "msg_6TKoWs0Jm8XrjPOmFdOGiX"
//  }
// ]
const SEND: UserMessageInput = {
  "text": "Meet me outside",
  "sender": "123143551",
  "type": "UserMessage",
  "referencedMessageId": "msg_6TKoWs0Jm8XrjPOmFdOGiX",
};
// Same page, the send answer, as printed (the `...` is TalkJS's elision):
// [
//  {"id": "msg_abcdefghijklm"},
//  {"id": "msg_nopqrstuvwxyz"},
//  ...
// ]
const SEND_ANSWER = [
  { "id": "msg_abcdefghijklm" },
  { "id": "msg_nopqrstuvwxyz" },
];

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/chatbot-integration/openai-chatgpt/server.js#L24-L47
// (`botId` is "chatbotExampleBot", line 12):
//       body: JSON.stringify([
//         {
//           text: "_Let me think for a bit..._", // Placeholder text that the theme will replace with a typing indicator
//           sender: botId,
//           type: "UserMessage",
//           custom: { isTyping: "true" },
//         },
//       ]),
const CHATBOT_SEND: UserMessageInput = {
  text: "_Let me think for a bit..._",
  sender: "chatbotExampleBot",
  type: "UserMessage",
  custom: { isTyping: "true" },
};
// Same file, L49-L64, the edit (`text` is the bot's answer: placeholder "Hello!"):
//       body: JSON.stringify({
//         text: text,
//         custom: { isTyping: "false" },
//       }),
const CHATBOT_EDIT: MessageEdit = {
  text: "Hello!",
  custom: { isTyping: "false" },
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-make-a-threaded-chat/server.js#L73-L87
// (`count` placeholder 3):
//       body: JSON.stringify({
//         custom: { replyCount: count.toString() },
//       }),
const THREAD_EDIT: MessageEdit = { custom: { replyCount: "3" } };

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-add-forwarding/server.js#L69-L78
// (`messageText` "Look at this", `senderId` "exampleUser1", `conversationOrigin` "c_origin"):
// 	const requestBody = [
//     	{
//         	"text": messageText,
//         	"sender": senderId,
//         	"type": "UserMessage",
//         	"custom": {
//             		"forwardedFrom": conversationOrigin,
//         	}
//     	}
// 	];
const FORWARD_SEND: UserMessageInput = {
  "text": "Look at this",
  "sender": "exampleUser1",
  "type": "UserMessage",
  "custom": {
    "forwardedFrom": "c_origin",
  },
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-create-a-poll/server.js#L94-L101
const POLL_SEND: MessageInput = {
  text: "Would you use TalkJS instead of developing your own chat solution?\n" +
    "<actionbutton:yesOrNo?choice=yes|Yes><actionbutton:yesOrNo?choice=no|No>" +
    "<actionbutton:yesOrNo?choice=end|End Poll>",
  type: "SystemMessage",
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-set-an-away-message/server.js#L43-L48
const AWAY_SEND: MessageInput = {
  text:
    "We're currently out of the office and will get back to you during our support hours.",
  type: "SystemMessage",
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-add-forwarding/server.js#L159-L165
const MINIMAL_SEND: UserMessageInput = {
  text: "Hi there!",
  sender: "exampleUser1",
  type: "UserMessage",
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/anonymizing-user/anonymiseUser.ts#L52-L96
// (`userId` placeholder "user_924772", `conversation.id` "order_391_fc"):
//     const user: User = {
//         id: userId,
//         name: "[DELETED]",
//         email: null,
//         phone: null,
//         custom: null,
//         welcomeMessage: null,
//         photoUrl: null,
//         role: null,
//         availabilityText: null,
//         locale: null
//     };
const ANONYMISE_USER: UserInput = {
  id: "user_924772",
  name: "[DELETED]",
  email: null,
  phone: null,
  custom: null,
  welcomeMessage: null,
  photoUrl: null,
  role: null,
  availabilityText: null,
  locale: null,
};
//             const c: Conversation = {
//                 id: conversation.id,
//                 participants: [userId],
//                 subject: "[DELETED]",
//                 photoUrl: null,
//                 custom: null,
//                 welcomeMessages: null
//             };
const ANONYMISE_CONVERSATION: ConversationInput = {
  id: "order_391_fc",
  participants: ["user_924772"],
  subject: "[DELETED]",
  photoUrl: null,
  custom: null,
  welcomeMessages: null,
};
//             const m = {
//                 custom: null,
//                 text: "[DELETED]"
//             };
const ANONYMISE_MESSAGE: MessageEdit = {
  custom: null,
  text: "[DELETED]",
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/migrate-data-from-sendbird-to-talkjs/importers/userImporter.js#L37-L51
// (`sendbirdUser.user_id` "sb_user_1", `nickname` "Nick"):
//         const user = {
//           id: sendbirdUser.user_id,
//           name: sendbirdUser.nickname,
//         };
const SENDBIRD_USER: UserInput = { id: "sb_user_1", name: "Nick" };

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-let-visitors-join-a-chat/add-user-info.php#L14-L27
// (`$id` "visitor_1", `$email` "visitor@example.com"):
//     $user = [
//         "id" => $id,
//         "name" => $email ? strtok($email, '@') : "Visitor",
//         "email" => [ $email ],
//         "configuration" => "visitor"
//     ];
const PHP_VISITOR: UserInput = {
  "id": "visitor_1",
  "name": "visitor",
  "email": ["visitor@example.com"],
  "configuration": "visitor",
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-make-a-threaded-chat/server.js#L33-L52
// (JSON sent to `PUT /conversations/replyto_{parentMessageId}`; participants
// "exampleUser1", parent "c_chat" / "msg_parent"):
const THREAD_CONVERSATION: ConversationInput = {
  participants: ["exampleUser1"],
  subject: "Replies",
  custom: { parentConvId: "c_chat", parentMessageId: "msg_parent" },
};

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-mark-a-conversation-as-answered/server.js#L13-L27
const MARK_ANSWERED: ConversationInput = { custom: { answered: "true" } };

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/migrate-data-from-sendbird-to-talkjs/importers/channelImporter.js#L44-L56
// (participants "sb_user_1", channel name "General"):
const SENDBIRD_CHANNEL: ConversationInput = {
  participants: ["sb_user_1"],
  subject: "General",
};

// https://talkjs.com/docs/Reference/REST_API/Participation — join, as printed
// (no `\` after `-X PUT` (sic)):
// curl https://api.talkjs.com/v1/<APP_ID>/conversations/order_391_fc/participants/user_924772 \
// -H "Content-Type: application/json" \
// -H "Authorization: Bearer <YOUR_TOKEN>" \
// -X PUT
// -d '{ "access": "Read", "notify": true }'
const JOIN: ParticipantInput = { "access": "Read", "notify": true };
// https://talkjs.com/docs/Reference/REST_API/Participation.html — modify:
// -X PATCH
// -d '{ "access": "ReadWrite", "notify": false }'
const MODIFY: ParticipantPatch = { "access": "ReadWrite", "notify": false };

// https://talkjs.com/docs/Reference/REST_API/Importing_Messages/ — as printed
// (the path is printed `/import/conversation/5abq2/messages`, singular (sic);
// the endpoint line says `POST /v1/{appId}/import/conversations/{conversationId}/messages`;
// a comma is missing after 1509132622706 (sic)):
// [
//  {
//  "text": "Hello!",
//  "sender": "1234",
//  "timestamp": 1509132622706
//  "type": "UserMessage",
//  "readBy": ["5678"]
//  },
//  {
//  "text": "Well hi there, how are you?",
//  "sender": "5678",
//  "timestamp": 1509132692706,
//  "type": "UserMessage",
//  "readBy": ["1234"],
//  "attachmentToken": "L0oQOg5DVENGFVQZABpOQVNRCxs...EFFbHxhiXVEYUBw"
//  }
// ]
// Invalid JSON: the array below restores the comma.
const IMPORT: ImportMessageInput[] = [
  {
    "text": "Hello!",
    "sender": "1234",
    "timestamp": 1509132622706,
    "type": "UserMessage",
    "readBy": ["5678"],
  },
  {
    "text": "Well hi there, how are you?",
    "sender": "5678",
    "timestamp": 1509132692706,
    "type": "UserMessage",
    "readBy": ["1234"],
    "attachmentToken": "L0oQOg5DVENGFVQZABpOQVNRCxs...EFFbHxhiXVEYUBw",
  },
];

// https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/migrate-data-from-sendbird-to-talkjs/importers/messageImporter.js#L50-L74
// (`message.message` "Hi from Sendbird", `user_id` "sb_user_1", `created_at` 1600000000000):
//         let messageObj = {
//           text: message.message,
//           sender: message.user.user_id,
//           type: "UserMessage",
//           timestamp: message.created_at,
//           readBy: [],
//         };
const SENDBIRD_IMPORT: ImportMessageInput = {
  text: "Hi from Sendbird",
  sender: "sb_user_1",
  type: "UserMessage",
  timestamp: 1600000000000,
  readBy: [] as string[],
};

// https://talkjs.com/docs/Reference/REST_API/Notifications/ — cut off in the
// stored copy inside `emailSettings`, after "inboxUrl" ("send[cut off]"); the
// comments are TalkJS's:
// {
//  "channels": ["email", "sms"], // Required. Provide at least one channel to trigger.
//  // Rest of the values are optional
//  "recipients": ["user-1", "user-2"], // Omit this field to trigger for all participants with unanswered messages
//  "smsSettings": {
//  "smsTemplate": "({{app.name}}) {{sender.name}}: \"{{messages}}\". Reply here: https://yoursite.com/inbox"
//  },
//  "emailSettings": {
//  "footer": "On behalf of {{sender.name}},\nThe {{app.name}} team",
//  "header": "Hi {{recipient.name}},\n\n{{sender.name}} wants to chat with you on {{app.name}}:",
//  "subject": "{{sender.name}} wants to chat with you on {{app.name}}",
//  "inboxUrl": "https://yoursite.com/inbox",
//  "send[cut off]
// The readable part, closed after "inboxUrl":
const NOTIFY: NotificationInput = {
  "channels": ["email", "sms"],
  "recipients": ["user-1", "user-2"],
  "smsSettings": {
    "smsTemplate":
      '({{app.name}}) {{sender.name}}: "{{messages}}". Reply here: https://yoursite.com/inbox',
  },
  "emailSettings": {
    "footer": "On behalf of {{sender.name}},\nThe {{app.name}} team",
    "header":
      "Hi {{recipient.name}},\n\n{{sender.name}} wants to chat with you on {{app.name}}:",
    "subject": "{{sender.name}} wants to chat with you on {{app.name}}",
    "inboxUrl": "https://yoursite.com/inbox",
  },
};

// https://talkjs.com/docs/Reference/REST_API/Batch — `POST /v1/{appId}/batch`:
// [
//  [1, "GET", "/users/user_01"],
//  [2, "GET", "/users/user_01/conversations", {"limit": "30", "unreadsOnly": "true", "lastMessageAfter": "17100697559480"}],
//  [3, "POST", "/conversations/conv_01/messages", [{"text": "This is a system message", "type": "SystemMessage"}]],
//  [4, "PUT", "/users/user_02", {"name": "Alice"}, {"api_version": "2021-01-01"}],
//  [5, "GET", "/non/existing/endpoint"]
// ]
const BATCH: BatchOperation[] = [
  [1, "GET", "/users/user_01"],
  [2, "GET", "/users/user_01/conversations", {
    "limit": "30",
    "unreadsOnly": "true",
    "lastMessageAfter": "17100697559480",
  }],
  [3, "POST", "/conversations/conv_01/messages", [{
    "text": "This is a system message",
    "type": "SystemMessage",
  }]],
  [4, "PUT", "/users/user_02", { "name": "Alice" }, {
    "api_version": "2021-01-01",
  }],
  [5, "GET", "/non/existing/endpoint"],
];

// https://talkjs.com/docs/Reference/REST_API/User_Presence — answer example:
const PRESENCES_ANSWER = {
  "data": {
    "623b106653a97": {
      "status": "online",
      "backgroundSessions": [],
      "widgets": [
        {
          "selectedConversationId": "987654",
          "custom": {},
          "hasFocus": true,
          "isTyping": false,
          "sessionId": "0123456789-0123456789-abcde-abcde",
        },
      ],
    },
  },
};

// ---------------------------------------------------------------------------
// (a) Requests our client sends for TalkJS's documented calls
// ---------------------------------------------------------------------------

test("reference: app token — Authorization: Bearer <JWT> with tokenType 'app', issuer the app ID, expiring in 30 s, HS256", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Getting_Started/Introduction/
  // const encoded_jwt = jwt.sign({ tokenType: 'app' }, '<SECRET_KEY>', {
  //  issuer: '<APP_ID>',
  //  expiresIn: '30s',
  // });
  // Authorization: Bearer <YOUR_TOKEN>
  await using server = startFakeServer();
  await fakeClient(server).users.put("12081", GUIDE_USER_12081);
  const auth = server.requests[0]!.headers.get("authorization") ?? "";
  assert.match(auth, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  const { payload, protectedHeader } = await jwtVerify(
    auth.slice("Bearer ".length),
    new TextEncoder().encode(SECRET),
    { issuer: APP, algorithms: ["HS256"] },
  );
  assert.equal(protectedHeader.alg, "HS256");
  assert.equal(payload.tokenType, "app");
  assert.equal(payload.exp! - payload.iat!, 30);
});

test("reference: legacy auth — Authorization: Bearer <secret key> with auth 'secret-key'", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Getting_Started/Introduction/
  // Authorization: Bearer sk_live...
  await using server = startFakeServer();
  await fakeClient(server, { auth: "secret-key" }).users.put(
    "12081",
    GUIDE_USER_12081,
  );
  assert.equal(
    server.requests[0]!.headers.get("authorization"),
    `Bearer ${SECRET}`,
  );
});

test("reference: version header — GET /users/{userId} carries TalkJS-REST-Version: 2021-02-09", async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/
  // curl /v1/${appId}/users/${userId} \
  //  -H "TalkJS-REST-Version: 2021-02-09"
  await using server = startFakeServer();
  server.queue(() => json(USER_ANSWER));
  await fakeClient(server, { apiVersion: "2021-02-09" }).users.get(
    "123456789",
  );
  const req = server.requests[0];
  assertRequest(req, { method: "GET", path: "/users/123456789" });
  assert.equal(req!.headers.get("talkjs-rest-version"), "2021-02-09");
});

test("reference: users reference — PUT /users/{userId} sends TalkJS's example body, pushTokens included", async () => {
  await using server = startFakeServer();
  await fakeClient(server).users.put("alice", USER_PUT);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users/alice",
    body: USER_PUT,
  });
});

test("reference: pushTokens — a null token unregisters one device, pushTokens: null all, sent as given", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users
  // "the value for each key can be either true for registering the device for
  // push notifications, or null for unregistering the device. Setting
  // pushTokens to null unregisters all the previously registered devices."
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.users.put("alice", { pushTokens: { "fcm:MY_TOKEN_ID": null } });
  await talk.users.put("alice", { pushTokens: null });
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users/alice",
    body: { pushTokens: { "fcm:MY_TOKEN_ID": null } },
  });
  assertRequest(server.requests[1], {
    method: "PUT",
    path: "/users/alice",
    body: { pushTokens: null },
  });
});

test("reference: old users reference — PUT /users/{userId} sends `configuration` (the former `role`) as given", async () => {
  await using server = startFakeServer();
  await fakeClient(server).users.put("alice", USER_PUT_OLD);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users/alice",
    body: USER_PUT_OLD,
  });
});

test("reference: starting-a-conversation guide — PUT /users/12081 and /users/8029 bodies sent as printed", async () => {
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.users.put("12081", GUIDE_USER_12081);
  await talk.users.put("8029", GUIDE_USER_8029);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users/12081",
    body: GUIDE_USER_12081,
  });
  assertRequest(server.requests[1], {
    method: "PUT",
    path: "/users/8029",
    body: GUIDE_USER_8029,
  });
});

test("reference: batch user update — PUT /users sends { [userId]: body } as printed", async () => {
  await using server = startFakeServer();
  await fakeClient(server).users.putMany(USERS_PUT);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users",
    body: USERS_PUT,
  });
});

test("reference: anonymise example — PUT /users/{id} body sent as TalkJS's example sends it", async () => {
  await using server = startFakeServer();
  await fakeClient(server).users.put("user_924772", ANONYMISE_USER);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users/user_924772",
    body: ANONYMISE_USER,
  });
});

test("reference: anonymise example — GET /users/{id}/conversations?limit=100", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/anonymizing-user/anonymiseUser.ts#L70
  //     let conversations = await listResources({app: app, resource: `users/${userId}/conversations`, limit: 100});
  await using server = startFakeServer();
  server.queue(() => json({ data: [] }));
  await fakeClient(server).users.conversations({
    userId: "user_924772",
    limit: 100,
  });
  assert.equal(
    server.requests[0]!.path,
    `/v1/${APP}/users/user_924772/conversations?limit=100`,
  );
});

test("reference: anonymise example — PUT /conversations/{id} body sent as TalkJS's example sends it", async () => {
  await using server = startFakeServer();
  await fakeClient(server).conversations.put(
    "order_391_fc",
    ANONYMISE_CONVERSATION,
  );
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/conversations/order_391_fc",
    body: ANONYMISE_CONVERSATION,
  });
});

test('reference: anonymise example — message edit sends { custom: null, text: "[DELETED]" }', async () => {
  await using server = startFakeServer();
  await fakeClient(server).messages.edit(
    "order_391_fc",
    "msg_0UQbqdxnQWkoIw7Db7fZHK",
    ANONYMISE_MESSAGE,
  );
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/conversations/order_391_fc/messages/msg_0UQbqdxnQWkoIw7Db7fZHK",
    body: ANONYMISE_MESSAGE,
  });
});

test("reference: Sendbird and PHP examples — PUT /users/{id} bodies with `id` (and `configuration`) sent as given", async () => {
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.users.put("sb_user_1", SENDBIRD_USER);
  await talk.users.put("visitor_1", PHP_VISITOR);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/users/sb_user_1",
    body: SENDBIRD_USER,
  });
  assertRequest(server.requests[1], {
    method: "PUT",
    path: "/users/visitor_1",
    body: PHP_VISITOR,
  });
});

test("reference: export example — paging users, conversations and messages sends ?limit=100, then ?limit=100&startingAfter=<last id> while a page is full", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/export-data/exportData.js#L15-L43
  //     const limit = 100;
  //     let users = await listResources({ app: source, resource: "users", limit });
  //     let conversations = await listResources({ app: source, resource: "conversations", limit });
  //         const messages = await listResources({ app: source, resource: `conversations/${conversation.id}/messages`, limit });
  // async function listResources({ app, resource, lastId, limit }) {
  //     const paginateMaybe = lastId ? `&startingAfter=${lastId}` : "";
  //     const path = host + `/v1/${app.id}/${resource}?limit=${limit}${paginateMaybe}`;
  //     let resources = await doRequest(path, app.secretKey, "GET");
  //     if (resources.length === limit) {
  //         const [last] = resources.slice(-1);
  //         const newOnes = await listResources({ app, resource, limit, lastId: last.id });
  await using server = startFakeServer();
  const full = (prefix: string) =>
    json({
      data: Array.from({ length: 100 }, (_, i) => ({ id: `${prefix}${i}` })),
    });
  const short = (prefix: string) => json({ data: [{ id: `${prefix}last` }] });
  server.queue(
    () => full("u"),
    () => short("u"),
    () => full("c"),
    () => short("c"),
    () => full("m"),
    () => short("m"),
  );
  const talk = fakeClient(server);
  for await (const _ of paginate(talk.users.list, { limit: 100 })) { /* all */ }
  for await (
    const _ of paginate(talk.conversations.list, { limit: 100 })
  ) { /* all */ }
  for await (
    const _ of paginate(talk.messages.list, {
      conversationId: "c0",
      limit: 100,
    })
  ) { /* all */ }
  assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
    `GET /v1/${APP}/users?limit=100`,
    `GET /v1/${APP}/users?limit=100&startingAfter=u99`,
    `GET /v1/${APP}/conversations?limit=100`,
    `GET /v1/${APP}/conversations?limit=100&startingAfter=c99`,
    `GET /v1/${APP}/conversations/c0/messages?limit=100`,
    `GET /v1/${APP}/conversations/c0/messages?limit=100&startingAfter=m99`,
  ]);
});

test('reference: conversation lists from 2021-02-09 — offsetTs, orderBy "lastActivity" and orderDirection sent as query parameters', async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/ — 2021-02-09:
  // "Added sorting options · Changed default sorting to be by last activity ·
  // Added offsetTs for pagination"; https://talkjs.com/docs/Reference/REST_API/Users/ —
  // "You can change the order by using orderBy and orderDirection query
  // parameters." (the exact values are cut off: "lastActivity" is our reading)
  await using server = startFakeServer();
  server.queue(() => json({ data: [] }), () => json({ data: [] }));
  const talk = fakeClient(server, { apiVersion: "2021-02-09" });
  await talk.conversations.list({
    limit: 100,
    orderBy: "lastActivity",
    orderDirection: "DESC",
    offsetTs: 1632919967033,
  });
  await talk.users.conversations({
    userId: "123456789",
    limit: 100,
    orderBy: "lastActivity",
    offsetTs: 1632919967033,
  });
  assertRequest(server.requests[0], {
    method: "GET",
    path: "/conversations",
    query: {
      limit: "100",
      orderBy: "lastActivity",
      orderDirection: "DESC",
      offsetTs: "1632919967033",
    },
  });
  assertRequest(server.requests[1], {
    method: "GET",
    path: "/users/123456789/conversations",
    query: {
      limit: "100",
      orderBy: "lastActivity",
      offsetTs: "1632919967033",
    },
  });
});

test("reference: user conversation filters — unreadsOnly and lastMessageAfter sent as the batch example's query", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Batch — operation 2's payload
  // is the query of `GET /users/user_01/conversations`:
  // {"limit": "30", "unreadsOnly": "true", "lastMessageAfter": "17100697559480"}
  await using server = startFakeServer();
  server.queue(() => json({ data: [] }));
  await fakeClient(server).users.conversations({
    userId: "user_01",
    limit: 30,
    unreadsOnly: true,
    lastMessageAfter: 17100697559480,
  });
  assertRequest(server.requests[0], {
    method: "GET",
    path: "/users/user_01/conversations",
    query: {
      "limit": "30",
      "unreadsOnly": "true",
      "lastMessageAfter": "17100697559480",
    },
  });
});

test("reference: conversations reference — PUT /v1/q3k1pa9d/conversations/order_fc_491731 sends TalkJS's example body", async () => {
  await using server = startFakeServer();
  await fakeClient(server, { appId: "q3k1pa9d" }).conversations.put(
    "order_fc_491731",
    CONVERSATION_PUT,
  );
  assertRequest(server.requests[0], {
    appId: "q3k1pa9d",
    method: "PUT",
    path: "/conversations/order_fc_491731",
    body: CONVERSATION_PUT,
  });
});

test("reference: thread, mark-answered and Sendbird examples — PUT /conversations/{id} bodies sent as given", async () => {
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.conversations.put("replyto_msg_parent", THREAD_CONVERSATION);
  await talk.conversations.put("c_chat", MARK_ANSWERED);
  await talk.conversations.put("sb_channel", SENDBIRD_CHANNEL);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/conversations/replyto_msg_parent",
    body: THREAD_CONVERSATION,
  });
  assertRequest(server.requests[1], {
    method: "PUT",
    path: "/conversations/c_chat",
    body: MARK_ANSWERED,
  });
  assertRequest(server.requests[2], {
    method: "PUT",
    path: "/conversations/sb_channel",
    body: SENDBIRD_CHANNEL,
  });
});

test("reference: participation — join PUT, modify PATCH and leave DELETE of user_924772 in order_391_fc as the curl examples send them", async () => {
  // https://talkjs.com/resources/how-to-ban-users-from-all-chats-with-talkjs — leave:
  // curl https://api.talkjs.com/v1/tG5nSzBD/conversations/order_391_fc/participants/user_924772 \
  // -H "Content-Type: application/json" \
  // -H "Authorization: Bearer <SECRET_KEY>" \
  // -X DELETE
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.participants.put("order_391_fc", "user_924772", JOIN);
  await talk.participants.patch("order_391_fc", "user_924772", MODIFY);
  await fakeClient(server, { appId: "tG5nSzBD" }).participants.delete(
    "order_391_fc",
    "user_924772",
  );
  const path = "/conversations/order_391_fc/participants/user_924772";
  assertRequest(server.requests[0], { method: "PUT", path, body: JOIN });
  assertRequest(server.requests[1], { method: "PATCH", path, body: MODIFY });
  assertRequest(server.requests[2], {
    appId: "tG5nSzBD",
    method: "DELETE",
    path,
  });
});

test('reference: chatbot example — participant access flipped with PUT { "access": "Read" } then { "access": "ReadWrite" }', async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/chatbot-integration/openai-chatgpt/server.js#L66-L78
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.participants.put("c_chat", "exampleUser1", { access: "Read" });
  await talk.participants.put("c_chat", "exampleUser1", {
    access: "ReadWrite",
  });
  const path = "/conversations/c_chat/participants/exampleUser1";
  assertRequest(server.requests[0], {
    method: "PUT",
    path,
    body: { access: "Read" },
  });
  assertRequest(server.requests[1], {
    method: "PUT",
    path,
    body: { access: "ReadWrite" },
  });
});

test("reference: send example — POST /conversations/{id}/messages sends TalkJS's example with referencedMessageId, plus the optional idempotencyKey the client adds", async () => {
  await using server = startFakeServer();
  await fakeClient(server).messages.send("order_391_fc", SEND);
  const req = server.requests[0];
  assertRequest(req, {
    method: "POST",
    path: "/conversations/order_391_fc/messages",
    body: JSON.parse(req!.body),
  });
  const [sent, ...rest] = JSON.parse(req!.body);
  assert.equal(rest.length, 0);
  const { idempotencyKey, ...documented } = sent;
  assert.deepEqual(documented, SEND);
  // `idempotencyKey?: string` is in TalkJS's send type (same page).
  assert.equal(typeof idempotencyKey, "string");
  assert.ok(idempotencyKey.length > 0);
});

test("reference: send example — an idempotencyKey given is sent untouched, beside referencedMessageId", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Messages/
  //  referencedMessageId?: string
  //  custom?: { [key: string]: string }
  //  idempotencyKey?: string
  await using server = startFakeServer();
  const message = { ...SEND, idempotencyKey: "order_391_fc-meet-1" };
  await fakeClient(server).messages.send("order_391_fc", message);
  assertRequest(server.requests[0], {
    method: "POST",
    path: "/conversations/order_391_fc/messages",
    body: [message],
  });
});

test("reference: system message examples — poll and away messages sent exactly as TalkJS's examples send them", async () => {
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.messages.send("c_chat", POLL_SEND);
  await talk.messages.send("c_chat", AWAY_SEND);
  assertRequest(server.requests[0], {
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: [POLL_SEND],
  });
  assertRequest(server.requests[1], {
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: [AWAY_SEND],
  });
});

test("reference: chatbot, forwarding and minimal examples — user messages sent as TalkJS's examples (plus idempotencyKey)", async () => {
  await using server = startFakeServer();
  const talk = fakeClient(server);
  for (const m of [CHATBOT_SEND, FORWARD_SEND, MINIMAL_SEND]) {
    await talk.messages.send("c_chat", m);
  }
  for (const [i, m] of [CHATBOT_SEND, FORWARD_SEND, MINIMAL_SEND].entries()) {
    const req = server.requests[i]!;
    assertRequest(req, {
      method: "POST",
      path: "/conversations/c_chat/messages",
      body: JSON.parse(req.body),
    });
    const [{ idempotencyKey, ...sent }] = JSON.parse(req.body);
    assert.deepEqual(sent, m);
    assert.equal(typeof idempotencyKey, "string");
  }
});

test("reference: chatbot and thread examples — message edits PUT { text, custom } and { custom } as given", async () => {
  await using server = startFakeServer();
  const talk = fakeClient(server);
  await talk.messages.edit("c_chat", "msg_bot", CHATBOT_EDIT);
  await talk.messages.edit("c_chat", "msg_parent", THREAD_EDIT);
  assertRequest(server.requests[0], {
    method: "PUT",
    path: "/conversations/c_chat/messages/msg_bot",
    body: CHATBOT_EDIT,
  });
  assertRequest(server.requests[1], {
    method: "PUT",
    path: "/conversations/c_chat/messages/msg_parent",
    body: THREAD_EDIT,
  });
});

test("reference: poll example — DELETE /conversations/{id}/messages/{messageId} without a body", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-create-a-poll/server.js#L18-L27
  //   return fetch(`${basePath}/v1/${appId}/conversations/${conversationId}/messages/${messageId}`, {
  //     method: "DELETE",
  await using server = startFakeServer();
  await fakeClient(server).messages.delete("c_chat", "msg_poll");
  assertRequest(server.requests[0], {
    method: "DELETE",
    path: "/conversations/c_chat/messages/msg_poll",
  });
});

test("reference: GIF example — a message with an attachmentToken and no text is sent as TalkJS's example sends it", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/3fa9ebce65e4e542be585f7d6ce52c5418dd13ec/rest-api/add-gif-picker/server/server.js#L15-L64
  // (`attachmentToken` placeholder: the token printed on the import page;
  // `senderId` "exampleUser1"):
  //   const data = [
  //     {
  //       attachmentToken: attachmentToken,
  //       sender: senderId,
  //       type: "UserMessage",
  //     },
  //   ];
  await using server = startFakeServer();
  const gif: MessageInput = {
    attachmentToken: "L0oQOg5DVENGFVQZABpOQVNRCxs...EFFbHxhiXVEYUBw",
    sender: "exampleUser1",
    type: "UserMessage",
  };
  await fakeClient(server).messages.send("c_chat", gif);
  const req = server.requests[0]!;
  assertRequest(req, {
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: JSON.parse(req.body),
  });
  const [{ idempotencyKey, ...sent }] = JSON.parse(req.body);
  assert.deepEqual(sent, gif);
  assert.equal(typeof idempotencyKey, "string");
});

test("reference: import example — POST /import/conversations/5abq2/messages sends both messages with readBy and attachmentToken", async () => {
  await using server = startFakeServer();
  await fakeClient(server).messages.import("5abq2", IMPORT);
  assertRequest(server.requests[0], {
    method: "POST",
    // The endpoint line's `conversations`, not the example's `conversation` (sic).
    path: "/import/conversations/5abq2/messages",
    body: IMPORT,
  });
});

test("reference: Sendbird importer — import body with readBy: [] sent as given", async () => {
  await using server = startFakeServer();
  await fakeClient(server).messages.import("sb_channel", SENDBIRD_IMPORT);
  assertRequest(server.requests[0], {
    method: "POST",
    path: "/import/conversations/sb_channel/messages",
    body: [SENDBIRD_IMPORT],
  });
});

test("reference: notifications example — POST /conversations/{id}/notifications sends channels, recipients, smsSettings and emailSettings", async () => {
  await using server = startFakeServer();
  await fakeClient(server).conversations.notify("c_chat", NOTIFY);
  assertRequest(server.requests[0], {
    method: "POST",
    path: "/conversations/c_chat/notifications",
    body: NOTIFY,
  });
});

test("reference: batch example — POST /batch sends the five documented operations, api_version option included, as printed", async () => {
  await using server = startFakeServer();
  server.queue(() => json(BATCH.map(([seq]): BatchResult => [seq, 200, {}])));
  await fakeClient(server).batch(BATCH);
  assertRequest(server.requests[0], {
    method: "POST",
    path: "/batch",
    body: BATCH,
  });
});

test("reference: base URL — by default the client calls https://api.talkjs.com/v1/{appId}/…", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Getting_Started/Introduction/
  // fetch('https://api.talkjs.com/v1/<APP_ID>', {
  //  headers: {
  //  Authorization: 'Bearer ' + generateToken(),
  //  },
  // });
  // No network: the transport records the URL and answers TalkJS's example user.
  const urls: string[] = [];
  const talk = createClient({
    appId: APP,
    secretKey: SECRET,
    limiter: false,
    retry: false,
    timeoutMs: 5_000,
    fetch: (input: string | URL | Request) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return Promise.resolve(json(USER_ANSWER));
    },
  });
  assert.deepEqual(await talk.users.get("123456789"), USER_ANSWER);
  assert.deepEqual(urls, [`https://api.talkjs.com/v1/${APP}/users/123456789`]);
});

test("reference: user token — createUserToken signs { tokenType: 'user' } with issuer the app ID and subject the user ID, HS256, as TalkJS's snippet does", async () => {
  // https://talkjs.com/docs/Features/Security_Settings/Authentication
  // const encoded_jwt = jwt.sign({ tokenType: 'user' }, '<SECRET_KEY>', {
  //  issuer: '<APP_ID>',
  //  subject: '<USER_ID>',
  //  expiresIn: '1d',
  // });
  // (jsonwebtoken signs HS256 by default; '1d' is 86,400 s; our default
  // lifetime is 1 h, so the snippet's day is passed explicitly)
  const token = await createUserToken({
    appId: APP,
    secretKey: SECRET,
    userId: "EXAMPLE_USER",
    ttlSeconds: 86_400,
  });
  const { payload, protectedHeader } = await jwtVerify(
    token,
    new TextEncoder().encode(SECRET),
    { issuer: APP, subject: "EXAMPLE_USER", algorithms: ["HS256"] },
  );
  assert.equal(protectedHeader.alg, "HS256");
  assert.equal(payload.tokenType, "user");
  assert.equal(payload.exp! - payload.iat!, 86_400);
});

test("reference: participation is idempotent — participants.put, patch and delete are sent again after a lost answer", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation — "All calls on
  // this page are idempotent operations and can be called multiple times in a
  // row." So a call whose answer was lost may run again (a POST without an
  // idempotency key may not: tests/client_test.ts).
  await using server = startFakeServer();
  server.queue(
    cutBody,
    () => json({}),
    cutBody,
    () => json({}),
    cutBody,
    () => json({}),
  );
  const talk = fakeClient(server, {
    retry: { retries: 1, minDelayMs: 0, maxDelayMs: 0 },
  });
  await talk.participants.put("order_391_fc", "user_924772", JOIN);
  await talk.participants.patch("order_391_fc", "user_924772", MODIFY);
  await talk.participants.delete("order_391_fc", "user_924772");
  const path = "/conversations/order_391_fc/participants/user_924772";
  const sent = server.requests.map((r) => `${r.method} ${r.body}`);
  assert.deepEqual(sent, [
    `PUT ${JSON.stringify(JOIN)}`,
    `PUT ${JSON.stringify(JOIN)}`,
    `PATCH ${JSON.stringify(MODIFY)}`,
    `PATCH ${JSON.stringify(MODIFY)}`,
    "DELETE ",
    "DELETE ",
  ]);
  for (const r of server.requests) {
    assert.equal(
      new URL(r.path, "http://x.invalid").pathname,
      `/v1/${APP}${path}`,
    );
  }
});

// ---------------------------------------------------------------------------
// (b) TalkJS's documented answers, returned intact
// ---------------------------------------------------------------------------

test("reference: GET user answer — TalkJS's example (availabilityText, pushTokens, no email) returned intact", async () => {
  await using server = startFakeServer();
  server.queue(() => json(USER_ANSWER));
  const user = await fakeClient(server).users.get("123456789");
  assert.deepEqual(user, USER_ANSWER);
});

test("reference: GET conversation answer — TalkJS's example returned intact, lastMessage included", async () => {
  await using server = startFakeServer();
  server.queue(() => json(CONVERSATION_ANSWER));
  const conversation = await fakeClient(server).conversations.get(
    "87d70908d90cee5d12bd",
  );
  assert.deepEqual(conversation, CONVERSATION_ANSWER);
});

test("reference: conversation answer with the current type's fields (topicId, participants' isUnread, MentionsOnly) returned intact", async () => {
  // https://talkjs.com/resources/how-do-i-create-a-session-in-rest-api-for-a-group-conversation
  //  participants: {
  //  [id: UserId]: {
  //  access: 'ReadWrite' | 'Read';
  //  notify: boolean | 'MentionsOnly';
  //  isUnread: boolean;
  //  };
  //  };
  //  createdAt: UnixMilliseconds;
  //  topicId: string;
  // (values ours: TalkJS prints no example of these fields)
  const answer: Conversation = {
    ...CONVERSATION_ANSWER,
    participants: {
      "123456789": { access: "ReadWrite", notify: true, isUnread: false },
      "432156789": { access: "Read", notify: "MentionsOnly", isUnread: true },
    },
    topicId: "topic_1",
    welcomeMessages: null,
  };
  await using server = startFakeServer();
  server.queue(() => json(answer));
  assert.deepEqual(
    await fakeClient(server).conversations.get("87d70908d90cee5d12bd"),
    answer,
  );
});

test("reference: list answers — { data: [...] } of TalkJS's example conversation, user and message returned intact", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users/ — `GET /v1/{appId}/users/{userId}/conversations`
  // answers {"data": Array<Conversation>}
  await using server = startFakeServer();
  server.queue(
    () => json({ data: [CONVERSATION_ANSWER] }),
    () => json({ data: [CONVERSATION_ANSWER] }),
    () => json({ data: [USER_ANSWER] }),
    () => json({ data: [MESSAGE_ANSWER] }),
  );
  const talk = fakeClient(server);
  assert.deepEqual(
    await talk.users.conversations({ userId: "123456789", limit: 100 }),
    { data: [CONVERSATION_ANSWER] },
  );
  assert.deepEqual(await talk.conversations.list({ limit: 100 }), {
    data: [CONVERSATION_ANSWER],
  });
  assert.deepEqual(await talk.users.list({ limit: 100 }), {
    data: [USER_ANSWER],
  });
  assert.deepEqual(
    await talk.messages.list({
      conversationId: "87d70908d90cee5d12bd",
      limit: 100,
    }),
    { data: [MESSAGE_ANSWER] },
  );
});

test("reference: send answer — [{ id }, { id }] of TalkJS's example resolves with its ids, in order", async () => {
  await using server = startFakeServer();
  server.queue(() => json(SEND_ANSWER));
  const result = await fakeClient(server).messages.send("order_391_fc", [
    SEND,
    MINIMAL_SEND,
  ]);
  assert.deepEqual(result.ids, ["msg_abcdefghijklm", "msg_nopqrstuvwxyz"]);
});

test("reference: chatbot example — the send answer's data[0].id is the ID to edit later", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/chatbot-integration/openai-chatgpt/server.js#L44-L46
  //   // Return the message ID for later editing
  //   const data = await response.json();
  //   return data[0].id;
  await using server = startFakeServer();
  server.queue(() => json([SEND_ANSWER[0]]));
  const talk = fakeClient(server);
  const { ids: [id] } = await talk.messages.send("c_chat", CHATBOT_SEND);
  await talk.messages.edit("c_chat", id!, CHATBOT_EDIT);
  assertRequest(server.requests[1], {
    method: "PUT",
    path: "/conversations/c_chat/messages/msg_abcdefghijklm",
    body: CHATBOT_EDIT,
  });
});

test("reference: batch answer — [sequence_number, http_status_code, operation_response] returned untouched, a string response too", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Batch/ — the answer is an array
  // of `[sequence_number, http_status_code, operation_response]`; the type of
  // operation_response is cut off at "stri…" and no example answer is
  // readable. The answer below is ours, in that format, with one response
  // as JSON text and one parsed, so neither form is altered.
  const answer = [
    [1, 200, JSON.stringify(USER_ANSWER)],
    [2, 200, { data: [] }],
    [5, 404, "Not found"],
  ];
  await using server = startFakeServer();
  server.queue(() => json(answer));
  const results = await fakeClient(server).batch([
    BATCH[0]!,
    BATCH[1]!,
    BATCH[4]!,
  ]);
  assert.deepEqual(results, answer);
});

test("reference: webhook — TalkJS's logged message.sent envelope, signed as TalkJS documents (uppercase hex HMAC-SHA256 of timestamp.body), verified and returned intact", async () => {
  // https://talkjs.com/docs/Features/Security_Settings/Security_Recommendations/
  // payload = timestamp + '.' + raw_post_body;
  // // Generate a HMAC-SHA256 signature of the payload. The result should be encoded as uppercase hexadecimal characters (A-Z0-9).
  // valid_signature = HMAC_SHA256(your_secret_key, payload);
  //
  // https://github.com/talkjs/tutorials/blob/d86831832d51305c3266ae8d9424a8c30f3841a7/how-to-set-an-away-message/how-to-set-an-away-message.md#L58-L78
  // (Node's console.log of the parsed body, with TalkJS's own elisions:
  // `custom: [Object]` and the "// ... more fields here ..." parts are left
  // out; no signed sample event is published, so the signature is computed
  // here from the definition above; the timestamp unit is not documented:
  // milliseconds here, the envelope's createdAt):
  // {
  //   createdAt: 1683276915840,
  //   data: {
  //     conversation: {
  //       createdAt: 1683275536667,
  //       custom: [Object],
  //       id: '15966c817cb1473d9b0a',
  //       // ... more fields here ...
  //     },
  //     message: {
  //       // ... message fields here ...
  //     },
  //     sender: {
  //       // ... sender fields here ...
  //     }
  //   },
  //   id: 'evt_AVL7tDG9V7CPSXBfG4',
  //   type: 'message.sent'
  // }
  const envelope = {
    createdAt: 1683276915840,
    data: {
      conversation: {
        createdAt: 1683275536667,
        custom: {},
        id: "15966c817cb1473d9b0a",
      },
      message: {},
      sender: {},
    },
    id: "evt_AVL7tDG9V7CPSXBfG4",
    type: "message.sent",
  };
  const body = JSON.stringify(envelope);
  const timestamp = "1683276915840";
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = [
    ...new Uint8Array(
      await crypto.subtle.sign("HMAC", key, enc.encode(`${timestamp}.${body}`)),
    ),
  ].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
  const clock = createManualClock(1683276915840);
  const event = await verifyWebhook({
    secret: SECRET,
    body,
    headers: {
      "X-TalkJS-Signature": signature,
      "X-TalkJS-Timestamp": timestamp,
    },
    clock,
  });
  assert.deepEqual(event, envelope);
  // The older copy spells the header `X-Talkjs-Signature` (headers are
  // case-insensitive): https://talkjs.com/docs/Features/Security_Settings/Security%20Recommendations.html
  const again = await verifyWebhook({
    secret: SECRET,
    body,
    headers: {
      "X-Talkjs-Signature": signature,
      "X-TalkJS-Timestamp": timestamp,
    },
    clock,
  });
  assert.deepEqual(again, envelope);
});

test("reference: a user's conversations — fields beyond Conversation (TalkJS: 'additional, user specific fields') are returned intact", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users — GET /users/{userId}/conversations:
  // "The response is structured similarly to the one when listing all
  // conversations, but it contains additional, user specific fields." The
  // field list is cut off in the stored copy; the names below are stand-ins
  // from the JS SDK's per-user conversation (npm talkjs@0.46.0
  // `types/talk.types.d.ts` lines 1369-1450), not REST's.
  const mine = {
    ...CONVERSATION_ANSWER,
    unreadMessageCount: 1,
    readUntil: 1632919967033,
    joinedAt: 1623926680929,
  };
  await using server = startFakeServer();
  server.queue(() => json({ data: [mine] }));
  assert.deepEqual(
    await fakeClient(server).users.conversations({ userId: "123456789" }),
    { data: [mine] },
  );
});

test("reference: message answer — an attachment with the SDK's dimensions is returned intact", async () => {
  // npm talkjs@0.46.0 `types/talk.types.d.ts` lines 78-88: "Attachment
  // dimensions (in px) are sometimes available" (`{ width?, height?,
  // duration? }`); whether REST answers them is not readable. Our `Message`
  // type names `{ url, size }` only; the answer is not stripped.
  const answer = {
    ...MESSAGE_ANSWER,
    text: null,
    attachment: {
      url: "https://example.com/download.gif",
      size: 1024,
      dimensions: { width: 480, height: 270 },
    },
  };
  await using server = startFakeServer();
  server.queue(() => json(answer));
  assert.deepEqual(
    await fakeClient(server).messages.get(
      "87d70908d90cee5d12bd",
      "msg_0UQbqdxnQWkoIw7Db7fZHK",
    ),
    answer,
  );
});

test("reference: webhook events — each event type TalkJS lists is typed, verifies and is returned intact", async () => {
  // https://talkjs.com/docs/Reference/Webhooks.html — the events:
  // user.created, user.updated, message.sent, message.read, message.updated,
  // message.deleted, conversation.deleted, notification.triggered,
  // notification.sent, notification.delivered, notification.bounced,
  // notification.opened, notification.link.clicked.
  // A record keyed by our union: a missing or an extra name fails type checking.
  const listed: Record<WebhookEventType, true> = {
    "user.created": true,
    "user.updated": true,
    "message.sent": true,
    "message.read": true,
    "message.updated": true,
    "message.deleted": true,
    "conversation.deleted": true,
    "notification.triggered": true,
    "notification.sent": true,
    "notification.delivered": true,
    "notification.bounced": true,
    "notification.opened": true,
    "notification.link.clicked": true,
  };
  const clock = createManualClock(1683276915840);
  for (const type of Object.keys(listed)) {
    const envelope = {
      createdAt: 1683276915840,
      data: {},
      id: "evt_AVL7tDG9V7CPSXBfG4",
      type,
    };
    const body = JSON.stringify(envelope);
    const headers = await signWebhook({ secret: SECRET, body, clock });
    assert.deepEqual(
      await verifyWebhook({ secret: SECRET, body, headers, clock }),
      envelope,
      type,
    );
  }
});

test("reference: webhook handlers — the fields TalkJS's example handlers read are typed and returned", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/webhooks/nodejs/express-webhook/controllers/webhookController.js#L1-L23
  //   console.log(`Message sent from "${event.data.message.senderId}" \nText: "${event.data.message.text}"\n`);
  //   console.log(`User "${event.data.recipient.id}" read a message from "${event.data.message.senderId}" \nText: "${event.data.message.text}"\n`);
  //   console.log(`User created: ${event.data.user.id}`);
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-set-an-away-message/server.js#L53-L58
  //   const conversationId = data.conversation.id;
  //   const role = data.sender?.role;
  //   const date = new Date(data.message.createdAt);
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-make-a-threaded-chat/server.js#L109-L120
  //   const messageType = data.message.type;
  //   const { parentMessageId, parentConvId } = data.conversation.custom;
  // (values ours, the partial objects TalkJS's handlers read; the payloads
  // are not printed in full anywhere readable)
  const clock = createManualClock(1683276915840);
  const receive = async (envelope: unknown) => {
    const body = JSON.stringify(envelope);
    const headers = await signWebhook({ secret: SECRET, body, clock });
    const event = await verifyWebhook({ secret: SECRET, body, headers, clock });
    assert.deepEqual(event, envelope);
    return event;
  };
  const sent = await receive({
    type: "message.sent",
    data: {
      conversation: {
        id: "replyto_msg_parent",
        custom: { parentMessageId: "msg_parent", parentConvId: "c_chat" },
      },
      message: {
        senderId: "exampleUser1",
        text: "Hi there!",
        type: "UserMessage",
        createdAt: 1683276915840,
      },
      sender: { id: "exampleUser1", role: "default" },
    },
  });
  const read = await receive({
    type: "message.read",
    data: {
      recipient: { id: "exampleUser2" },
      message: { senderId: "exampleUser1", text: "Hi there!" },
    },
  });
  const created = await receive({
    type: "user.created",
    data: { user: { id: "exampleUser3" } },
  });
  assert.ok(sent.type === "message.sent");
  assert.ok(read.type === "message.read");
  assert.ok(created.type === "user.created");
  // Read through our types, as the handlers read them.
  assert.deepEqual(
    [
      sent.data.conversation.id,
      sent.data.conversation.custom.parentMessageId,
      sent.data.message.senderId,
      sent.data.message.text,
      sent.data.message.type,
      new Date(sent.data.message.createdAt).getTime(),
      sent.data.sender?.role,
    ],
    [
      "replyto_msg_parent",
      "msg_parent",
      "exampleUser1",
      "Hi there!",
      "UserMessage",
      1683276915840,
      "default",
    ],
  );
  assert.deepEqual(
    [
      read.data.recipient.id,
      read.data.message.senderId,
      read.data.message.text,
    ],
    ["exampleUser2", "exampleUser1", "Hi there!"],
  );
  assert.equal(created.data.user.id, "exampleUser3");
});

// ---------------------------------------------------------------------------
// (c) The emulator: documented requests accepted, documented answer shapes
// ---------------------------------------------------------------------------

/**
 * The users and conversations TalkJS's fixtures name, and one message in
 * `c_chat` (its ID is answered) for edits and references.
 */
async function seedFixtures(w: World): Promise<string> {
  await seed(w, "order_391_fc", ["12081", "8029", "user_924772"]);
  await seed(w, "5abq2", ["1234", "5678"]);
  await seed(w, "sb_channel", ["sb_user_1"]);
  await seed(w, "c_chat", [
    "123143551",
    "chatbotExampleBot",
    "exampleUser1",
    "user-1",
    "user-2",
  ]);
  await ok(w, "PUT", "/users", {
    "123456": { name: "123456" },
    "654321": { name: "654321" },
  });
  const [{ id }] = await ok(w, "POST", "/conversations/c_chat/messages", [
    { type: "UserMessage", sender: "exampleUser1", text: "seed" },
  ]);
  return id;
}

/** What TalkJS answers a documented request, by its reference. */
type AnswerKind = "{}" | "ids" | "page";

interface EmulatorCase {
  name: string;
  method: string;
  /** `{mid}` is replaced by the seeded message's ID. */
  path: string;
  body?: (messageId: string) => unknown;
  answer: AnswerKind;
}

// "All API responses are JSON. Even calls that return no data have a {}
// response." — https://talkjs.com/docs/REST_API/Getting_Started.html
const EMULATOR_CASES: EmulatorCase[] = [
  {
    name: "the users reference's PUT /users/{id} body (pushTokens)",
    method: "PUT",
    path: "/users/alice",
    body: () => USER_PUT,
    answer: "{}",
  },
  {
    name: "the old users reference's PUT /users/{id} body (configuration)",
    method: "PUT",
    path: "/users/alice",
    body: () => USER_PUT_OLD,
    answer: "{}",
  },
  {
    name: "the starting-a-conversation guide's PUT /users/12081",
    method: "PUT",
    path: "/users/12081",
    body: () => GUIDE_USER_12081,
    answer: "{}",
  },
  {
    name: "the starting-a-conversation guide's PUT /users/8029",
    method: "PUT",
    path: "/users/8029",
    body: () => GUIDE_USER_8029,
    answer: "{}",
  },
  {
    name: "the batch user update PUT /users",
    method: "PUT",
    path: "/users",
    body: () => USERS_PUT,
    answer: "{}",
  },
  {
    name:
      "the anonymise example's PUT /users/{id} (id, availabilityText: null)",
    method: "PUT",
    path: "/users/user_924772",
    body: () => ANONYMISE_USER,
    answer: "{}",
  },
  {
    name: "the Sendbird importer's PUT /users/{id} (id)",
    method: "PUT",
    path: "/users/sb_user_1",
    body: () => SENDBIRD_USER,
    answer: "{}",
  },
  {
    name: "the PHP visitor example's PUT /users/{id} (id, configuration)",
    method: "PUT",
    path: "/users/visitor_1",
    body: () => PHP_VISITOR,
    answer: "{}",
  },
  {
    name: "the conversations reference's PUT /conversations/order_fc_491731",
    method: "PUT",
    path: "/conversations/order_fc_491731",
    body: () => CONVERSATION_PUT,
    answer: "{}",
  },
  {
    name: "the anonymise example's PUT /conversations/{id} (id, custom: null)",
    method: "PUT",
    path: "/conversations/order_391_fc",
    body: () => ANONYMISE_CONVERSATION,
    answer: "{}",
  },
  {
    name: "the thread example's PUT /conversations/replyto_{id}",
    method: "PUT",
    path: "/conversations/replyto_msg_parent",
    body: () => THREAD_CONVERSATION,
    answer: "{}",
  },
  {
    name: "the mark-answered example's PUT /conversations/{id}",
    method: "PUT",
    path: "/conversations/c_chat",
    body: () => MARK_ANSWERED,
    answer: "{}",
  },
  {
    name: "the Sendbird importer's PUT /conversations/{id}",
    method: "PUT",
    path: "/conversations/sb_channel",
    body: () => SENDBIRD_CHANNEL,
    answer: "{}",
  },
  {
    name: "the participation reference's join PUT",
    method: "PUT",
    path: "/conversations/order_391_fc/participants/user_924772",
    body: () => JOIN,
    answer: "{}",
  },
  {
    name: "the participation reference's modify PATCH",
    method: "PATCH",
    path: "/conversations/order_391_fc/participants/user_924772",
    body: () => MODIFY,
    answer: "{}",
  },
  {
    name: "the ban article's leave DELETE",
    method: "DELETE",
    path: "/conversations/order_391_fc/participants/user_924772",
    answer: "{}",
  },
  {
    name: "the chatbot example's participant PUT { access: Read }",
    method: "PUT",
    path: "/conversations/c_chat/participants/exampleUser1",
    body: () => ({ access: "Read" }),
    answer: "{}",
  },
  {
    // TalkJS's referencedMessageId (msg_6TKoWs0Jm8XrjPOmFdOGiX) cannot exist
    // in the emulator: the seeded message's ID stands in for it.
    name: "the messages reference's send (referencedMessageId)",
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: (mid) => [{ ...SEND, referencedMessageId: mid }],
    answer: "ids",
  },
  {
    name: "the messages reference's send with an idempotencyKey",
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: () => [{ ...MINIMAL_SEND, idempotencyKey: "k1" }],
    answer: "ids",
  },
  {
    name: "the chatbot example's send (custom)",
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: () => [CHATBOT_SEND],
    answer: "ids",
  },
  {
    name: "the forwarding example's send",
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: () => [FORWARD_SEND],
    answer: "ids",
  },
  {
    name: "the poll and away examples' system messages, in one send",
    method: "POST",
    path: "/conversations/c_chat/messages",
    body: () => [POLL_SEND, AWAY_SEND],
    answer: "ids",
  },
  {
    name: "the chatbot example's edit { text, custom }",
    method: "PUT",
    path: "/conversations/c_chat/messages/{mid}",
    body: () => CHATBOT_EDIT,
    answer: "{}",
  },
  {
    name: "the thread example's edit { custom }",
    method: "PUT",
    path: "/conversations/c_chat/messages/{mid}",
    body: () => THREAD_EDIT,
    answer: "{}",
  },
  {
    name: "the anonymise example's edit { custom: null, text }",
    method: "PUT",
    path: "/conversations/c_chat/messages/{mid}",
    body: () => ANONYMISE_MESSAGE,
    answer: "{}",
  },
  {
    name: "the poll example's message DELETE",
    method: "DELETE",
    path: "/conversations/c_chat/messages/{mid}",
    answer: "{}",
  },
  {
    // The second message's attachmentToken names no upload in the emulator:
    // it is left out here (the files section imports with a real token).
    name: "the import reference's two messages (readBy)",
    method: "POST",
    path: "/import/conversations/5abq2/messages",
    body: () => {
      const { attachmentToken: _, ...second } = IMPORT[1]!;
      return [IMPORT[0], second];
    },
    answer: "{}",
  },
  {
    name: "the Sendbird importer's import (readBy: [])",
    method: "POST",
    path: "/import/conversations/sb_channel/messages",
    body: () => [SENDBIRD_IMPORT],
    answer: "{}",
  },
  {
    name: "the notifications reference's body (smsSettings, emailSettings)",
    method: "POST",
    path: "/conversations/c_chat/notifications",
    body: () => NOTIFY,
    answer: "{}",
  },
  {
    name: "the export example's GET /users?limit=100",
    method: "GET",
    path: "/users?limit=100",
    answer: "page",
  },
  {
    name: "the export example's GET /conversations?limit=100",
    method: "GET",
    path: "/conversations?limit=100",
    answer: "page",
  },
  {
    name: "the export example's GET /conversations/{id}/messages?limit=100",
    method: "GET",
    path: "/conversations/c_chat/messages?limit=100",
    answer: "page",
  },
  {
    name: "the anonymise example's GET /users/{id}/conversations?limit=100",
    method: "GET",
    path: "/users/user_924772/conversations?limit=100",
    answer: "page",
  },
];

for (const c of EMULATOR_CASES) {
  test(`reference: emulator accepts ${c.name} and answers ${c.answer}`, async () => {
    const w = world();
    const mid = await seedFixtures(w);
    const body = c.body?.(mid);
    const answer = await ok(w, c.method, c.path.replace("{mid}", mid), body);
    if (c.answer === "{}") assert.deepEqual(answer, {});
    if (c.answer === "ids") {
      assertShape(
        answer,
        SEND_ANSWER.slice(0, (body as unknown[]).length),
      );
    }
    if (c.answer === "page") assert.ok(Array.isArray(answer.data));
  });
}

test("reference: emulator — GET user answers in the shape of TalkJS's example (availabilityText, pushTokens)", async () => {
  // The example user re-created field by field (null where the example shows
  // null), so that shapes compare.
  const w = world();
  await ok(w, "PUT", "/users/123456789", {
    name: "Alice",
    locale: "en-US",
    photoUrl: "https://demo.talkjs.com/marketplace_demo/img/alice.jpg",
    role: "default",
    welcomeMessage: "Hey there! How are you? :-)",
    pushTokens: { "apns:MY_TOKEN_ID": true },
  });
  const user = await ok(w, "GET", "/users/123456789");
  assertShape(
    user,
    USER_ANSWER,
    ["custom", "pushTokens"],
    USER_FIELDS_NOT_IN_EXAMPLE,
  );
  const page = await ok(w, "GET", "/users?limit=100");
  assertShape(
    page,
    { data: [USER_ANSWER] },
    ["custom", "pushTokens"],
    USER_FIELDS_NOT_IN_EXAMPLE.map((f) => `data[].${f}`),
  );
});

test("reference: emulator — a user without tokens answers pushTokens: null (TalkJS's User type: pushTokens not optional)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users/ —
  // type User = {…;createdAt: UnixMilliseconds;pushTokens: { [token_id: string]: true | null } | null;};
  const w = world();
  await ok(w, "PUT", "/users/alice", { name: "Alice" });
  const user = await ok(w, "GET", "/users/alice");
  assert.ok(Object.hasOwn(user, "pushTokens"), "pushTokens is missing");
  assert.equal(user.pushTokens, null);
});

test("reference: emulator — pushTokens: a null value unregisters that device, pushTokens: null every device", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users — quoted above.
  const w = world();
  await ok(w, "PUT", "/users/alice", {
    name: "Alice",
    pushTokens: { "fcm:MY_TOKEN_ID": true, "apns:MY_TOKEN_ID": true },
  });
  assert.equal(
    (await ok(w, "GET", "/users/alice")).pushTokens?.["fcm:MY_TOKEN_ID"],
    true,
  );
  await ok(w, "PUT", "/users/alice", {
    pushTokens: { "fcm:MY_TOKEN_ID": null },
  });
  const one = (await ok(w, "GET", "/users/alice")).pushTokens;
  assert.notEqual(one?.["fcm:MY_TOKEN_ID"], true, "fcm token still on");
  assert.equal(one?.["apns:MY_TOKEN_ID"], true, "apns token lost");
  await ok(w, "PUT", "/users/alice", { pushTokens: null });
  const none = (await ok(w, "GET", "/users/alice")).pushTokens;
  assert.ok(
    none === null || !Object.values(none).includes(true),
    `tokens still registered: ${JSON.stringify(none)}`,
  );
});

test("reference: emulator — GET conversation and its lastMessage answer in the shape of TalkJS's example", async () => {
  // The example conversation re-created: two participants, subject, one user
  // message by 432156789 that nobody read.
  const w = world();
  await seed(w, "87d70908d90cee5d12bd", ["123456789", "432156789"]);
  await ok(w, "PUT", "/conversations/87d70908d90cee5d12bd", {
    subject: "Random conversation",
  });
  await w.clock.advance(1000);
  await ok(w, "POST", "/conversations/87d70908d90cee5d12bd/messages", [
    { type: "UserMessage", sender: "432156789", text: "Hey, I'm in London" },
  ]);
  const maps = ["custom", "participants"];
  const conversation = await ok(
    w,
    "GET",
    "/conversations/87d70908d90cee5d12bd",
  );
  assertShape(
    conversation,
    CONVERSATION_ANSWER,
    maps,
    CONVERSATION_FIELDS_NOT_IN_EXAMPLE,
  );
  const fromList = (x: string[]) => x.map((f) => `data[].${f}`);
  assertShape(
    await ok(w, "GET", "/conversations?limit=100"),
    { data: [CONVERSATION_ANSWER] },
    maps,
    fromList(CONVERSATION_FIELDS_NOT_IN_EXAMPLE),
  );
  // "it contains additional, user specific fields" (names cut off:
  // https://talkjs.com/docs/Reference/REST_API/Users): only TalkJS's fields
  // are compared here.
  const mine = await ok(w, "GET", "/users/123456789/conversations?limit=100");
  const known = new Set([
    ...Object.keys(CONVERSATION_ANSWER),
    ...CONVERSATION_FIELDS_NOT_IN_EXAMPLE,
  ]);
  assertShape(
    {
      data: mine.data.map((c: Json) =>
        Object.fromEntries(Object.entries(c).filter(([k]) => known.has(k)))
      ),
    },
    { data: [CONVERSATION_ANSWER] },
    maps,
    fromList(CONVERSATION_FIELDS_NOT_IN_EXAMPLE),
  );
  assertShape(
    await ok(
      w,
      "GET",
      "/conversations/87d70908d90cee5d12bd/messages?limit=100",
    ),
    { data: [MESSAGE_ANSWER] },
    ["custom"],
  );
});

test("reference: emulator — a conversation carries the current type's topicId and each participant's isUnread", async () => {
  // https://talkjs.com/resources/how-do-i-create-a-session-in-rest-api-for-a-group-conversation
  //  participants: { [id: UserId]: { access: …; notify: …; isUnread: boolean; }; };
  //  createdAt: UnixMilliseconds;
  //  topicId: string;
  // isUnread (our reading; TalkJS prints no definition): after a message
  // that bob has not read, bob has an unread message, its writer alice none.
  const w = world();
  await seed(w, "c1", ["alice", "bob"]);
  await ok(w, "POST", "/conversations/c1/messages", [
    { type: "UserMessage", sender: "alice", text: "Hi" },
  ]);
  const conversation = await ok(w, "GET", "/conversations/c1");
  assert.ok(Object.hasOwn(conversation, "topicId"), "topicId is missing");
  assert.ok(
    conversation.topicId === null || typeof conversation.topicId === "string",
  );
  assert.equal(conversation.participants.alice.isUnread, false);
  assert.equal(conversation.participants.bob.isUnread, true);
});

test("reference: emulator — TalkJS's anonymise flow runs end to end: user, conversations (limit 100), messages (limit 100), each edited", async () => {
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/rest-api/anonymizing-user/anonymiseUser.ts#L52-L96
  const w = world();
  await seed(w, "order_391_fc", ["user_924772", "8029"]);
  await ok(w, "PUT", "/users/user_924772", {
    name: "Anne",
    email: ["anne@example.com"],
    custom: { country: "ca" },
  });
  await ok(w, "POST", "/conversations/order_391_fc/messages", [
    { type: "UserMessage", sender: "user_924772", text: "my address is …" },
  ]);
  await ok(w, "PUT", "/users/user_924772", ANONYMISE_USER);
  const conversations = await ok(
    w,
    "GET",
    "/users/user_924772/conversations?limit=100",
  );
  assert.deepEqual(ids(conversations), ["order_391_fc"]);
  for (const { id } of conversations.data) {
    await ok(w, "PUT", `/conversations/${id}`, {
      ...ANONYMISE_CONVERSATION,
      id,
    });
    const messages = await ok(
      w,
      "GET",
      `/conversations/${id}/messages?limit=100`,
    );
    for (const m of messages.data) {
      if (m.senderId !== "user_924772") continue;
      await ok(
        w,
        "PUT",
        `/conversations/${id}/messages/${m.id}`,
        ANONYMISE_MESSAGE,
      );
    }
  }
  const user = await ok(w, "GET", "/users/user_924772");
  assert.equal(user.name, "[DELETED]");
  assert.deepEqual(user.custom ?? {}, {});
  assert.equal(user.email ?? null, null);
  const [message] = (await ok(w, "GET", "/conversations/order_391_fc/messages"))
    .data;
  assert.equal(message.text, "[DELETED]");
  assert.deepEqual(message.custom, {});
  const conversation = await ok(w, "GET", "/conversations/order_391_fc");
  assert.equal(conversation.subject, "[DELETED]");
  assert.deepEqual(conversation.custom, {});
});

test("reference: emulator — import keeps each documented message at its timestamp, with its readBy and origin import", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Importing_Messages/ —
  //  timestamp: number, // in milliseconds
  //  readBy: Array<string>, // a list of user ids who have read the message
  const w = world();
  await seed(w, "5abq2", ["1234", "5678"]);
  const { attachmentToken: _, ...second } = IMPORT[1]!;
  await ok(w, "POST", "/import/conversations/5abq2/messages", [
    IMPORT[0],
    second,
  ]);
  const stored = w.emu.store.messages("5abq2").map((m) => ({
    senderId: m.senderId,
    text: m.text,
    createdAt: m.createdAt,
    readBy: m.readBy,
    origin: m.origin,
  }));
  assert.deepEqual(stored, [
    {
      senderId: "1234",
      text: "Hello!",
      createdAt: 1509132622706,
      readBy: ["5678"],
      origin: "import",
    },
    {
      senderId: "5678",
      text: "Well hi there, how are you?",
      createdAt: 1509132692706,
      readBy: ["1234"],
      origin: "import",
    },
  ]);
});

test("reference: emulator — import refuses a message without readBy (TalkJS: 'All fields are required.')", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Importing_Messages/
  // // All fields are required.
  // [ { text: string, sender: string, timestamp: number, readBy: Array<string>, type: "UserMessage", attachmentToken?: string, custom?: … } ]
  const w = world();
  await seed(w, "5abq2", ["1234", "5678"]);
  const { readBy: _, ...withoutReadBy } = IMPORT[0]!;
  const answer = await w.call(
    "POST",
    "/import/conversations/5abq2/messages",
    [withoutReadBy],
  );
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.match(JSON.stringify(answer.body), /readBy/);
  assert.equal(w.emu.store.messages("5abq2").length, 0);
});

test("reference: emulator — import refuses a sender who is not a participant, and system messages", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Importing_Messages/ —
  // "Currently you can only import messages sent by conversation
  // participants. You can't import system messages or messages sent by
  // guests."
  const w = world();
  await seed(w, "5abq2", ["1234", "5678"]);
  await ok(w, "PUT", "/users/guest", { name: "Guest" });
  const stranger = await w.call(
    "POST",
    "/import/conversations/5abq2/messages",
    [
      { ...IMPORT[0], sender: "guest" },
    ],
  );
  assert.equal(stranger.status, 400, JSON.stringify(stranger.body));
  assert.match(JSON.stringify(stranger.body), /sender/);
  const system = await w.call("POST", "/import/conversations/5abq2/messages", [
    {
      text: "Hello!",
      timestamp: 1509132622706,
      type: "SystemMessage",
      readBy: [],
    },
  ]);
  assert.equal(system.status, 400, JSON.stringify(system.body));
  assert.equal(w.emu.store.messages("5abq2").length, 0);
});

test("reference: emulator — notifications without recipients go to whoever did not write the latest message (one-on-one: precisely one)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Notifications/ — "Omit this
  // field to trigger for all participants with unanswered messages"; in a
  // one-on-one conversation "precisely 1 notification … to whoever did not
  // write the latest message".
  const w = world();
  await seed(w, "c1", ["alice", "bob"]);
  await ok(w, "POST", "/conversations/c1/messages", [
    { type: "UserMessage", sender: "alice", text: "Are you there?" },
  ]);
  await ok(w, "POST", "/conversations/c1/notifications", {
    channels: ["email"],
  });
  assert.deepEqual(
    w.emu.store.notifications().map((n) => n.recipients),
    [["bob"]],
  );
});

test("reference: emulator — notifications without recipients in a group skip the latest message's sender (our reading of 'unanswered')", async () => {
  const w = world();
  await seed(w, "g1", ["alice", "bob", "carol"]);
  await ok(w, "POST", "/conversations/g1/messages", [
    { type: "UserMessage", sender: "bob", text: "Hello all" },
  ]);
  await w.clock.advance(1000);
  await ok(w, "POST", "/conversations/g1/messages", [
    { type: "UserMessage", sender: "alice", text: "Anyone?" },
  ]);
  await ok(w, "POST", "/conversations/g1/notifications", {
    channels: ["email", "sms"],
  });
  const [sent] = w.emu.store.notifications();
  assert.deepEqual([...(sent?.recipients ?? [])].sort(), ["bob", "carol"]);
});

test("reference: emulator — a repeated participant DELETE answers 200 (TalkJS: 'All calls on this page are idempotent')", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation — "All calls on
  // this page are idempotent operations and can be called multiple times in a
  // row."
  const w = world();
  await seed(w, "order_391_fc", ["12081", "user_924772"]);
  const path = "/conversations/order_391_fc/participants/user_924772";
  assert.deepEqual(await ok(w, "DELETE", path), {});
  assert.deepEqual(await ok(w, "DELETE", path), {});
  const conversation = await ok(w, "GET", "/conversations/order_391_fc");
  assert.ok(!Object.hasOwn(conversation.participants, "user_924772"));
});

test("reference: emulator — the join PUT overwrites earlier values, and an empty join gives the documented defaults", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation — "It always
  // overwrites values set before"; defaults when nothing is passed:
  // {
  //  "access": "ReadWrite",
  //  "notify": true
  // }
  const w = world();
  await seed(w, "order_391_fc", ["12081"]);
  await ok(w, "PUT", "/users/user_924772", { name: "U" });
  const path = "/conversations/order_391_fc/participants/user_924772";
  await ok(w, "PUT", path, JOIN);
  let conversation = await ok(w, "GET", "/conversations/order_391_fc");
  assert.equal(conversation.participants.user_924772.access, "Read");
  assert.equal(conversation.participants.user_924772.notify, true);
  await ok(w, "PUT", path, {});
  conversation = await ok(w, "GET", "/conversations/order_391_fc");
  assert.equal(conversation.participants.user_924772.access, "ReadWrite");
  assert.equal(conversation.participants.user_924772.notify, true);
});

test("reference: emulator — the documented batch runs: operations 1-4 answer 200, the non-existing endpoint (5) answers an error status, in its own result", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Batch — quoted at BATCH; "The
  // operations may execute in a different order than the one specified".
  const w = world();
  await seed(w, "conv_01", ["user_01"]);
  const results: Json[] = await ok(w, "POST", "/batch", BATCH);
  const bySeq = new Map(results.map((r) => [r[0], r]));
  assert.deepEqual([...bySeq.keys()].sort(), [1, 2, 3, 4, 5]);
  for (const r of results) {
    assert.equal(r.length, 3, `result ${JSON.stringify(r)}`);
    assert.equal(typeof r[1], "number");
  }
  assert.deepEqual([1, 2, 3, 4].map((s) => bySeq.get(s)[1]), [
    200,
    200,
    200,
    200,
  ]);
  assert.notEqual(bySeq.get(5)[1], 200);
  // operation_response: its type is cut off at "stri…"; read either form.
  const body = (r: Json) => typeof r[2] === "string" ? JSON.parse(r[2]) : r[2];
  assert.equal(body(bySeq.get(1)).id, "user_01");
  assert.ok(Array.isArray(body(bySeq.get(2)).data));
  assertShape(body(bySeq.get(3)), [SEND_ANSWER[0]]);
  assert.equal(w.emu.store.user("user_02")?.name, "Alice");
});

test("reference: emulator — TalkJS's examples' headers: a GET with Content-Type: application/json, a DELETE with it and one without, neither with a body", async () => {
  // https://talkjs.com/docs/REST_API/Getting_Started.html — "Only requests
  // with Content-type: application/json are accepted, except for HTTP GET
  // requests, which have no content." TalkJS's own examples send the header
  // on GETs and DELETEs too, and leave it out on some DELETEs:
  // https://github.com/talkjs/talkjs-examples/blob/bfb25ca6c68acd070e067b22a50a97afd1e80c77/howtos/how-to-delete-a-conversation/server.js#L17-L26
  //   return fetch(`${basePath}/v1/${appId}/conversations/${conversationId}`, {
  //     method: "DELETE",
  //     headers: {
  //       "Content-Type": "application/json",
  //       Authorization: `Bearer ${secretKey}`,
  //     },
  //   });
  // (and, in the same file's setup, the same DELETE with only
  // `Authorization`); the export example's `doRequest` (same repository,
  // rest-api/export-data/exportData.js) sends every GET with
  // "Content-Type": "application/json" and `body: JSON.stringify(undefined)`,
  // that is no body.
  const w = world();
  await seed(w, "deleteConversationExample1", [
    "deleteConversationExampleUser1",
  ]);
  await seed(w, "deleteConversationExample2", [
    "deleteConversationExampleUser2",
  ]);
  const send = async (method: string, path: string, json: boolean) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${w.emu.secretKey}`,
    };
    if (json) headers["Content-Type"] = "application/json";
    const res = await w.emu.fetch(`${w.emu.baseUrl}/v1/${w.emu.appId}${path}`, {
      method,
      headers,
    });
    return { status: res.status, body: await res.json() };
  };
  const listed = await send("GET", "/conversations?limit=100", true);
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.equal(listed.body.data.length, 2);
  for (const [i, json] of [[1, true], [2, false]] as const) {
    assert.deepEqual(
      await send(
        "DELETE",
        `/conversations/deleteConversationExample${i}`,
        json,
      ),
      { status: 200, body: {} },
      `DELETE ${json ? "with" : "without"} Content-Type`,
    );
  }
  assert.equal(w.emu.store.conversations().length, 0);
});

test("reference: emulator — welcome messages do not appear when listing messages", async () => {
  // npm talkjs@0.46.0 `types/talk.types.d.ts` lines 1382-1389: welcome
  // messages "do not appear when you list messages using the REST API".
  const w = world();
  await seed(w, "order_fc_491731", ["123456", "654321"]);
  await ok(w, "PUT", "/conversations/order_fc_491731", CONVERSATION_PUT);
  const conversation = await ok(w, "GET", "/conversations/order_fc_491731");
  assert.deepEqual(
    conversation.welcomeMessages,
    CONVERSATION_PUT.welcomeMessages,
  );
  assert.equal(conversation.lastMessage, null);
  assert.deepEqual(
    await ok(w, "GET", "/conversations/order_fc_491731/messages?limit=100"),
    { data: [] },
  );
});

test("reference: emulator — a repeated participant PUT and PATCH answer 200 and leave the same participation (TalkJS: 'idempotent')", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation — "All calls on
  // this page are idempotent operations and can be called multiple times in a
  // row." (The repeated DELETE: the test above.)
  const w = world();
  await seed(w, "order_391_fc", ["12081"]);
  await ok(w, "PUT", "/users/user_924772", { name: "U" });
  const path = "/conversations/order_391_fc/participants/user_924772";
  const participation = async () =>
    (await ok(w, "GET", "/conversations/order_391_fc")).participants
      .user_924772;
  assert.deepEqual(await ok(w, "PUT", path, JOIN), {});
  const joined = await participation();
  assert.deepEqual(await ok(w, "PUT", path, JOIN), {});
  assert.deepEqual(await participation(), joined);
  assert.deepEqual(await ok(w, "PATCH", path, MODIFY), {});
  const modified = await participation();
  assert.deepEqual(await ok(w, "PATCH", path, MODIFY), {});
  assert.deepEqual(await participation(), modified);
  assert.deepEqual(
    [modified.access, modified.notify],
    [MODIFY.access, MODIFY.notify],
  );
});

test("reference: emulator — no participant cap (TalkJS's cap depends on the plan: 100 Basic, 300 Growth): 301 participants are taken", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation — plan limits:
  // 100 participants per chat (Basic), 300 (Growth), customisable
  // (Enterprise). The emulator plays no plan: ours, no cap.
  const w = world();
  const participants = Array.from({ length: 301 }, (_, i) => `u${i}`);
  await ok(w, "PUT", "/conversations/big", { participants });
  const conversation = await ok(w, "GET", "/conversations/big");
  assert.equal(Object.keys(conversation.participants).length, 301);
});

test("reference: emulator — 'type must be \"UserMessage\" when sender is provided': a SystemMessage with a sender and a message without type are refused", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Messages/ — "sender has to be
  // a participant"; "type must be "UserMessage" when sender is provided or
  // the request fails."
  const w = world();
  await seed(w, "c_chat", ["123143551"]);
  for (
    const [message, field] of [
      [
        { ...SEND, type: "SystemMessage", referencedMessageId: undefined },
        "[0].sender",
      ],
      [{ text: "Meet me outside", sender: "123143551" }, "[0].type"],
    ] as const
  ) {
    const answer = await w.call("POST", "/conversations/c_chat/messages", [
      message,
    ]);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(
      JSON.stringify(answer.body),
      new RegExp(
        field.replace(/[[\]]/g, "\\$&"),
      ),
    );
  }
  assert.equal(w.emu.store.messages("c_chat").length, 0);
});

test("reference: emulator — a referencedMessageId that names no message of the conversation is a 400 (ours: TalkJS silent)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Messages/ — TalkJS's send
  // example replies to msg_6TKoWs0Jm8XrjPOmFdOGiX; what TalkJS answers when
  // that message does not exist is not documented. The emulator is strict.
  const w = world();
  await seed(w, "c_chat", ["123143551"]);
  const answer = await w.call("POST", "/conversations/c_chat/messages", [SEND]);
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.match(JSON.stringify(answer.body), /\[0\]\.referencedMessageId/);
  assert.equal(w.emu.store.messages("c_chat").length, 0);
});

test("reference: emulator — a location on a sent message is refused (TalkJS: 'UserMessage also supports sending … locations'; the field's form is not readable)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Messages/ — "UserMessage also
  // supports sending attachments and locations. See Sending Files." The
  // send form of a location is cut off in every stored copy; the Message
  // concept page (https://talkjs.com/docs/Reference/Concepts/Messages/) shows
  // the answer's `location` as two numbers, e.g. [51.481083, -3.178306]. Not
  // supported here until `deno task parity` shows TalkJS's form: a remaining
  // difference (docs/talkjs-api.md).
  const w = world();
  await seed(w, "c_chat", ["exampleUser1"]);
  const answer = await w.call("POST", "/conversations/c_chat/messages", [{
    text: "Here I am",
    sender: "exampleUser1",
    type: "UserMessage",
    location: [51.481083, -3.178306],
  }]);
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.match(JSON.stringify(answer.body), /\[0\]\.location/);
});

test("reference: emulator — a sent message as the Message concept page describes it: readBy without the sender, origin rest, no attachment or location", async () => {
  // https://talkjs.com/docs/Reference/Concepts/Messages/ — readBy: user IDs
  // that read it, excluding the sender; attachment "Only given if this
  // message is a file transfer"; location "Only given if … a shared
  // location"; origin "rest" for a REST send (npm talkjs@0.46.0
  // `types/talk.types.d.ts` lines 2741-2755). The REST example answer shows
  // absent ones as null (https://talkjs.com/docs/Reference/REST_API/Conversations/),
  // as the emulator does.
  const w = world();
  await seed(w, "c_chat", ["exampleUser1", "exampleUser2"]);
  await ok(w, "POST", "/conversations/c_chat/messages", [
    MINIMAL_SEND,
    AWAY_SEND,
  ]);
  const { data } = await ok(w, "GET", "/conversations/c_chat/messages");
  const byType = new Map(data.map((m: Json) => [m.type, m]));
  const user = byType.get("UserMessage") as Json;
  const system = byType.get("SystemMessage") as Json;
  assert.deepEqual(
    [user.senderId, user.readBy, user.origin, user.attachment, user.location],
    ["exampleUser1", [], "rest", null, null],
  );
  assert.equal(user.text, MINIMAL_SEND.text);
  assert.deepEqual([system.senderId, system.origin], [null, "rest"]);
  assertShape(user, MESSAGE_ANSWER, ["custom"]);
});

test("reference: emulator — an import takes at most 10 messages ('The maximum amount of messages sent in one request is 10.')", async () => {
  // https://talkjs.com/docs/Features/Customizations/Importing_Messages.html
  const w = world();
  await seed(w, "5abq2", ["1234", "5678"]);
  const message = (i: number) => ({
    ...IMPORT[0]!,
    timestamp: IMPORT[0]!.timestamp + i,
  });
  const eleven = Array.from({ length: 11 }, (_, i) => message(i));
  const refused = await w.call(
    "POST",
    "/import/conversations/5abq2/messages",
    eleven,
  );
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(w.emu.store.messages("5abq2").length, 0);
  await ok(w, "POST", "/import/conversations/5abq2/messages", eleven.slice(1));
  assert.equal(w.emu.store.messages("5abq2").length, 10);
});

test("reference: old presence API — GET /users/{userId}/sessions has no typed method and no emulator route; talk.request reaches it", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Reference/User_Presence.html
  // (2018): GET /v1/{appId}/users/{userId}/sessions answering
  // [{ "isTyping": boolean, "currentConversationId": string | null }, ...].
  // Whether TalkJS still serves it is unknown; `POST /presences` replaces it.
  const w = world();
  await ok(w, "PUT", "/users/alice", { name: "Alice" });
  const answer = await w.call("GET", "/users/alice/sessions");
  assert.equal(answer.status, 404, JSON.stringify(answer.body));
  assert.match(
    JSON.stringify(answer.body),
    /no endpoint GET \/users\/alice\/sessions/,
  );
  // The client's escape hatch sends it as TalkJS printed it (values ours).
  const sessions = [{ isTyping: false, currentConversationId: null }];
  await using server = startFakeServer();
  server.queue(() => json(sessions));
  assert.deepEqual(
    await fakeClient(server).request("GET", ["users", "alice", "sessions"]),
    sessions,
  );
  assertRequest(server.requests[0], {
    method: "GET",
    path: "/users/alice/sessions",
  });
});

// ---- API versions ----
// https://talkjs.com/docs/Reference/REST_API/API_changelog/ — versions
// 2021-01-01, 2021-02-09, 2021-07-30, 2024-01-01; "All API requests use the
// latest version by default"; per request: -H "TalkJS-REST-Version: 2021-02-09".

/**
 * Three conversations of alice's: `old` created first, `mid` second, `new`
 * third; then a message in `old`, so by last activity `old` is the latest.
 * Answers the time of that message.
 */
async function activityWorld(w: World): Promise<number> {
  await ok(w, "PUT", "/users/alice", { name: "Alice" });
  for (const id of ["old", "mid", "new"]) {
    await w.clock.advance(1000);
    await ok(w, "PUT", `/conversations/${id}`, { participants: ["alice"] });
  }
  await w.clock.advance(1000);
  await ok(w, "POST", "/conversations/old/messages", [
    { type: "UserMessage", sender: "alice", text: "Bump" },
  ]);
  return w.clock.now();
}

test("reference: emulator — from 2021-02-09 (and by default) conversation lists are by last activity, latest first", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users/ — "By default,
  // conversations are returned in the order of the last activity in them,
  // latest first." (2021-02-09: "Changed default sorting to be by last
  // activity")
  const w = world();
  await activityWorld(w);
  for (const version of ["2021-02-09", "2021-07-30", "2024-01-01", undefined]) {
    for (const path of ["/conversations", "/users/alice/conversations"]) {
      assert.deepEqual(
        ids(await ok(w, "GET", path, undefined, version)),
        ["old", "new", "mid"],
        `${path} under ${version ?? "no header"}`,
      );
    }
  }
});

test("reference: emulator — before 2021-02-09 conversation lists are createdAt DESC", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users/ — "Default order in
  // versions before 2021-02-09 is createdAt DESC and cannot be changed"
  const w = world();
  await activityWorld(w);
  for (const path of ["/conversations", "/users/alice/conversations"]) {
    assert.deepEqual(
      ids(await ok(w, "GET", path, undefined, "2021-01-01")),
      ["new", "mid", "old"],
      path,
    );
  }
});

test("reference: emulator — before 2021-02-09 orderBy and offsetTs cannot change the list (refused or ignored)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users/ — "Ordering is available
  // since API version 2021-02-09 · Default order in versions before
  // 2021-02-09 is createdAt DESC and cannot be changed"
  const w = world();
  const bumped = await activityWorld(w);
  for (const path of ["/conversations", "/users/alice/conversations"]) {
    for (
      const query of [
        "orderBy=lastActivity",
        "orderBy=createdAt&orderDirection=ASC",
        // offsetTs came with 2021-02-09 too ("Added offsetTs for pagination").
        `offsetTs=${bumped}`,
      ]
    ) {
      const answer = await w.call(
        "GET",
        `${path}?${query}`,
        undefined,
        "2021-01-01",
      );
      if (answer.status === 400) continue;
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(
        ids(answer.body),
        ["new", "mid", "old"],
        `${path}?${query} changed the order under 2021-01-01`,
      );
    }
  }
});

test("reference: emulator — from 2021-02-09 orderBy and orderDirection choose creation date or last activity", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Users/ — "Conversations can
  // either be sorted by creation date or by the last activity in the
  // conversation." (value names cut off: createdAt / lastActivity are ours)
  const w = world();
  await activityWorld(w);
  const cases: [string, string[]][] = [
    ["orderBy=createdAt&orderDirection=DESC", ["new", "mid", "old"]],
    ["orderBy=createdAt&orderDirection=ASC", ["old", "mid", "new"]],
    ["orderBy=lastActivity&orderDirection=DESC", ["old", "new", "mid"]],
    ["orderBy=lastActivity&orderDirection=ASC", ["mid", "new", "old"]],
  ];
  for (const path of ["/conversations", "/users/alice/conversations"]) {
    for (const [query, want] of cases) {
      assert.deepEqual(
        ids(await ok(w, "GET", `${path}?${query}`, undefined, "2021-02-09")),
        want,
        `${path}?${query}`,
      );
    }
  }
});

test("reference: emulator — from 2021-02-09 offsetTs pages conversations by last activity (our reading: strictly before offsetTs)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/ — 2021-02-09
  // "Added offsetTs for pagination"; its semantics are not readable: this is
  // our reading (deviations D2), to be confirmed by `deno task parity`.
  const w = world();
  const bumped = await activityWorld(w);
  for (const path of ["/conversations", "/users/alice/conversations"]) {
    assert.deepEqual(
      ids(
        await ok(
          w,
          "GET",
          `${path}?offsetTs=${bumped}`,
          undefined,
          "2021-02-09",
        ),
      ),
      ["new", "mid"],
      `${path}?offsetTs=${bumped}`,
    );
    assert.deepEqual(
      ids(
        await ok(
          w,
          "GET",
          `${path}?offsetTs=${bumped + 1}`,
          undefined,
          "2024-01-01",
        ),
      ),
      ["old", "new", "mid"],
      `${path}?offsetTs=${bumped + 1}`,
    );
  }
});

test("reference: emulator — from 2021-07-30 a DELETEd participant's conversation leaves their list", async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/ — 2021-07-30:
  // leaving a conversation removes it from the user's conversation list.
  for (const version of ["2021-07-30", "2024-01-01"]) {
    const w = world();
    await seed(w, "order_391_fc", ["12081", "user_924772"]);
    await ok(
      w,
      "DELETE",
      "/conversations/order_391_fc/participants/user_924772",
      undefined,
      version,
    );
    const page = await ok(
      w,
      "GET",
      "/users/user_924772/conversations",
      undefined,
      version,
    );
    assert.deepEqual(ids(page), [], version);
  }
});

test("reference: emulator — before 2021-07-30 a DELETEd participant's conversation stays in their list", async () => {
  // https://talkjs.com/resources/how-to-ban-users-from-all-chats-with-talkjs —
  // before 2021-07-30 the conversation "will still appear in their list of
  // conversations … when the user's conversations are fetched via the REST
  // API"; they are no longer listed as a participant either way.
  for (const version of ["2021-01-01", "2021-02-09"]) {
    const w = world();
    await seed(w, "order_391_fc", ["12081", "user_924772"]);
    await ok(
      w,
      "DELETE",
      "/conversations/order_391_fc/participants/user_924772",
      undefined,
      version,
    );
    const page = await ok(
      w,
      "GET",
      "/users/user_924772/conversations",
      undefined,
      version,
    );
    assert.deepEqual(ids(page), ["order_391_fc"], version);
    const conversation = await ok(
      w,
      "GET",
      "/conversations/order_391_fc",
      undefined,
      version,
    );
    assert.ok(!Object.hasOwn(conversation.participants, "user_924772"));
  }
});

test("reference: emulator — from 2024-01-01 (and by default) a non-existing user's conversations answer 404", async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/ — 2024-01-01:
  // listing conversations of a non-existing user answers 404.
  const w = world();
  for (const version of ["2024-01-01", undefined]) {
    const answer = await w.call(
      "GET",
      "/users/nobody/conversations",
      undefined,
      version,
    );
    assert.equal(answer.status, 404, `under ${version ?? "no header"}`);
  }
});

test("reference: emulator — before 2024-01-01 a non-existing user's conversations answer 200 with empty data", async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/ — before
  // 2024-01-01: 200.
  const w = world();
  for (const version of ["2021-01-01", "2021-02-09", "2021-07-30"]) {
    assert.deepEqual(
      await ok(w, "GET", "/users/nobody/conversations", undefined, version),
      { data: [] },
      version,
    );
  }
});

test("reference: emulator — a batch operation's { api_version } overrides the request's version for that operation alone", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Batch —
  //  options?: {"api_version": string}
  //  [4, "PUT", "/users/user_02", {"name": "Alice"}, {"api_version": "2021-01-01"}],
  const w = world();
  const results: Json[] = await ok(
    w,
    "POST",
    "/batch",
    [
      [1, "GET", "/users/nobody/conversations", {}, {
        "api_version": "2021-07-30",
      }],
      [2, "GET", "/users/nobody/conversations"],
    ],
    "2024-01-01",
  );
  const status = new Map(results.map((r) => [r[0], r[1]]));
  assert.equal(status.get(1), 200, "operation pinned to 2021-07-30");
  assert.equal(status.get(2), 404, "operation under the header's 2024-01-01");
  const reverse: Json[] = await ok(
    w,
    "POST",
    "/batch",
    [
      [1, "GET", "/users/nobody/conversations", {}, {
        "api_version": "2024-01-01",
      }],
      [2, "GET", "/users/nobody/conversations"],
    ],
    "2021-01-01",
  );
  const statusReverse = new Map(reverse.map((r) => [r[0], r[1]]));
  assert.equal(statusReverse.get(1), 404, "operation pinned to 2024-01-01");
  assert.equal(statusReverse.get(2), 200, "operation under 2021-01-01");
});

test("reference: emulator — a version between the changelog's dates follows the newest one before it (2022-06-01: 2021-07-30's rules)", async () => {
  // https://talkjs.com/docs/Reference/REST_API/API_changelog/ — versions
  // 2021-01-01, 2021-02-09, 2021-07-30, 2024-01-01. A date in between names
  // no version of its own; the emulator applies every change dated on or
  // before it (ours: TalkJS does not say what it does with such a date).
  const w = world();
  await seed(w, "order_391_fc", ["12081", "user_924772"]);
  await ok(
    w,
    "DELETE",
    "/conversations/order_391_fc/participants/user_924772",
    undefined,
    "2022-06-01",
  );
  assert.deepEqual(
    await ok(
      w,
      "GET",
      "/users/user_924772/conversations",
      undefined,
      "2022-06-01",
    ),
    { data: [] },
    "2021-07-30: a left conversation leaves the user's list",
  );
  assert.deepEqual(
    await ok(w, "GET", "/users/nobody/conversations", undefined, "2022-06-01"),
    { data: [] },
    "before 2024-01-01: a non-existing user's conversations answer 200",
  );
  const later = await w.call(
    "GET",
    "/users/nobody/conversations",
    undefined,
    "2025-03-01",
  );
  assert.equal(later.status, 404, "after 2024-01-01: 404");
});

test("reference: emulator — a client with apiVersion 2021-01-01 lists by createdAt DESC, one with 2021-02-09 by last activity", async () => {
  const w = world();
  await activityWorld(w);
  const old = await w.client("2021-01-01").conversations.list({ limit: 100 });
  const current = await w.client("2021-02-09").users.conversations({
    userId: "alice",
    limit: 100,
  });
  assert.deepEqual(ids(old), ["new", "mid", "old"]);
  assert.deepEqual(ids(current), ["old", "new", "mid"]);
});

// ---------------------------------------------------------------------------
// Endpoints TalkJS documents that the project adds (deviations D6, D10):
// files.upload, participants.email, users.presences
// ---------------------------------------------------------------------------

// https://github.com/talkjs/talkjs-examples/blob/3fa9ebce65e4e542be585f7d6ce52c5418dd13ec/rest-api/add-gif-picker/server/server.js#L15-L39
// (and `.env_new` beside it: TALKJS_URL=https://api.talkjs.com/v1):
//   const talkJSFilesURL = `${process.env.TALKJS_URL}/${process.env.APP_ID}/files`;
//
//   let data = new FormData();
//   data.append('file', fs.createReadStream('download.gif'));
//   data.append('filename', 'Test');
//   …
//     const responseBody = await response.data;
//     await addGIFtoChat(senderId, conversationId, responseBody.attachmentToken);
// The file's bytes are a stand-in (a GIF header); the answer's token value
// is the one TalkJS prints on the import page (the upload answer's value is
// not printed).
const GIF = new TextEncoder().encode("GIF89a-reference");
const UPLOAD_ANSWER = {
  attachmentToken: "L0oQOg5DVENGFVQZABpOQVNRCxs...EFFbHxhiXVEYUBw",
};

test("reference: files — files.upload sends POST /files as multipart with the fields file and filename, as TalkJS's GIF example does", async () => {
  await using server = startFakeServer();
  server.queue(() => json(UPLOAD_ANSWER));
  await fakeClient(server).files.upload(
    new Blob([GIF], { type: "image/gif" }),
    { filename: "Test" },
  );
  const req = server.requests[0]!;
  assert.equal(req.method, "POST");
  assert.equal(req.path, `/v1/${APP}/files`);
  const type = req.headers.get("content-type") ?? "";
  assert.match(type, /^multipart\/form-data; *boundary=/);
  assert.match(req.headers.get("authorization") ?? "", /^Bearer /);
  const form = await new Request("http://recorded.invalid", {
    method: "POST",
    headers: { "content-type": type },
    body: req.body,
  }).formData();
  assert.equal(form.get("filename"), "Test");
  const file = form.get("file");
  assert.ok(file instanceof Blob, "the file field is not a file");
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), GIF);
});

test("reference: files — files.upload returns the answer's attachmentToken intact", async () => {
  await using server = startFakeServer();
  server.queue(() => json(UPLOAD_ANSWER));
  const answer = await fakeClient(server).files.upload(GIF, {
    filename: "Test",
  });
  assert.deepEqual(answer, UPLOAD_ANSWER);
});

test("reference: participant email — participants.email sends GET /conversations/order_391_fc/participants/user_924772/email", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation
  // GET /v1/{appId}/conversations/{conversationId}/participants/{userId}/email
  // "In this example we fetch the reply-to email address for user
  // user_924772 in conversation order_391_fc." (the printed curl URL lacks
  // the /email suffix (sic); the endpoint line has it)
  await using server = startFakeServer();
  server.queue(() => json({ emailAddress: "reply@example.com" }));
  await fakeClient(server).participants.email("order_391_fc", "user_924772");
  assertRequest(server.requests[0], {
    method: "GET",
    path: "/conversations/order_391_fc/participants/user_924772/email",
  });
});

test("reference: participant email — the { emailAddress } answer is returned intact", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Participation
  // {
  //  "emailAddress": string
  // }
  // (the value is ours: TalkJS prints only the type)
  const answer = { emailAddress: "conv-order_391_fc+user_924772@example.com" };
  await using server = startFakeServer();
  server.queue(() => json(answer));
  assert.deepEqual(
    await fakeClient(server).participants.email("order_391_fc", "user_924772"),
    answer,
  );
});

test("reference: presences — users.presences sends POST /presences with the documented filters", async () => {
  // https://talkjs.com/docs/Reference/REST_API/User_Presence
  // POST /v1/{appId}/presences
  // {
  //  includeBackgroundSessions?: boolean,
  //  selectedConversationId?: string | null,
  //  hasFocus?: boolean,
  //  isTyping?: boolean,
  //  userIds?: string[]
  // }
  // (the values are ours, taken from the answer example: TalkJS prints only
  // the type)
  const filters = {
    includeBackgroundSessions: true,
    selectedConversationId: "987654",
    hasFocus: true,
    isTyping: false,
    userIds: ["623b106653a97"],
  };
  await using server = startFakeServer();
  server.queue(() => json(PRESENCES_ANSWER));
  await fakeClient(server).users.presences(filters);
  assertRequest(server.requests[0], {
    method: "POST",
    path: "/presences",
    body: filters,
  });
});

test("reference: presences — TalkJS's example answer is returned intact", async () => {
  await using server = startFakeServer();
  server.queue(() => json(PRESENCES_ANSWER));
  assert.deepEqual(
    await fakeClient(server).users.presences({ userIds: ["623b106653a97"] }),
    PRESENCES_ANSWER,
  );
});

/** `POST /files` on the emulator, as TalkJS's GIF example sends it. */
async function upload(w: World): Promise<{ status: number; body: Json }> {
  const data = new FormData();
  data.append("file", new Blob([GIF], { type: "image/gif" }), "download.gif");
  data.append("filename", "Test");
  const res = await w.emu.fetch(`${w.emu.baseUrl}/v1/${w.emu.appId}/files`, {
    method: "POST",
    headers: { authorization: `Bearer ${w.emu.secretKey}` },
    body: data,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* kept as text */ }
  return { status: res.status, body };
}

/** An upload's attachmentToken, asserting that the upload answered 200. */
async function uploaded(w: World): Promise<string> {
  const answer = await upload(w);
  assert.equal(
    answer.status,
    200,
    `POST /files answered ${answer.status} ${JSON.stringify(answer.body)}`,
  );
  assert.equal(typeof answer.body.attachmentToken, "string");
  return answer.body.attachmentToken;
}

test("reference: emulator files — POST /files (multipart file, filename) answers { attachmentToken: string }", async () => {
  const w = world();
  const answer = await upload(w);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assertShape(answer.body, UPLOAD_ANSWER);
});

test("reference: emulator files — a message sent with the upload's attachmentToken and no text is stored with attachment { url, size }", async () => {
  // GIF example: send [{ attachmentToken, sender, type: "UserMessage" }];
  // https://talkjs.com/docs/Reference/Concepts/Messages/ — "attachment · {
  // url: string, size: number } · Read-only. Only given if this message is a
  // file transfer."
  const w = world();
  await seed(w, "c_chat", ["exampleUser1"]);
  const attachmentToken = await uploaded(w);
  const sent = await ok(w, "POST", "/conversations/c_chat/messages", [
    { attachmentToken, sender: "exampleUser1", type: "UserMessage" },
  ]);
  assertShape(sent, [SEND_ANSWER[0]]);
  const [message] = (await ok(w, "GET", "/conversations/c_chat/messages")).data;
  assertShape(message.attachment, { url: "https://…", size: 1 });
});

test("reference: emulator files — the import example's second message, with an uploaded attachmentToken, is imported", async () => {
  // https://talkjs.com/docs/Reference/REST_API/Importing_Messages/ — "To
  // import messages with attachments, first upload the file, then specify the
  // attachment token when importing the message."
  const w = world();
  await seed(w, "5abq2", ["1234", "5678"]);
  const attachmentToken = await uploaded(w);
  await ok(w, "POST", "/import/conversations/5abq2/messages", [
    IMPORT[0],
    { ...IMPORT[1], attachmentToken },
  ]);
  const stored = w.emu.store.messages("5abq2");
  assert.equal(stored.length, 2);
  assert.equal(stored[0]!.attachment, null);
  assertShape(stored[1]!.attachment, { url: "https://…", size: 1 });
});

test("reference: emulator participant email — GET …/participants/{userId}/email answers { emailAddress: string }", async () => {
  const w = world();
  await seed(w, "order_391_fc", ["12081", "user_924772"]);
  const answer = await ok(
    w,
    "GET",
    "/conversations/order_391_fc/participants/user_924772/email",
  );
  assertShape(answer, { emailAddress: "x@example.com" });
  const viaClient = await w.client().participants.email(
    "order_391_fc",
    "user_924772",
  );
  assert.deepEqual(viaClient, answer);
});

test("reference: emulator presences — POST /presences with the documented filters answers { data: { [userId]: presence } }", async () => {
  // No one is online in an emulator: `data` holds no user, or users in the
  // shape of TalkJS's example.
  const w = world();
  await ok(w, "PUT", "/users/623b106653a97", { name: "Online" });
  for (
    const body of [
      {},
      {
        includeBackgroundSessions: true,
        selectedConversationId: null,
        hasFocus: true,
        isTyping: false,
        userIds: ["623b106653a97"],
      },
    ]
  ) {
    const answer = await ok(w, "POST", "/presences", body);
    assert.equal(typeof answer.data, "object");
    assert.ok(answer.data && !Array.isArray(answer.data));
    for (const presence of Object.values(answer.data)) {
      assertShape(
        presence,
        PRESENCES_ANSWER.data["623b106653a97"],
        ["custom"],
      );
    }
  }
  const viaClient = await w.client().users.presences({});
  assert.equal(typeof viaClient.data, "object");
});
