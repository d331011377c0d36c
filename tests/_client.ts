/** A client for the loopback fake server: no pacing, quick retries. */
import {
  type ClientOptions,
  createClient,
  type TalkJsClient,
} from "../src/client.ts";

export const APP = "tApp";
export const SECRET = "sk_test_0123456789abcdefSECRET";

export function client(
  url: string,
  extra: Partial<ClientOptions> = {},
): TalkJsClient {
  return createClient({
    appId: APP,
    secretKey: SECRET,
    baseUrl: url,
    limiter: false,
    retry: { minDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  });
}
