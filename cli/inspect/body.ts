// A dead-lettered body as the operator wants to read it: the JSON the device sent, also when the IoT rule
// wrapped it in base64 (the SQS action's useBase64), which the bridge decodes the same way.

export type BodyEncoding = 'text' | 'base64';

export interface ReadableBody {
  readonly text: string;
  /** `base64` when `text` is the decoded body. */
  readonly encoding: BodyEncoding;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body, base64-decoded when it is the base64 of UTF-8 JSON (an object or an array). */
export function readableBody(body: string): ReadableBody {
  const compact = body.replace(/\s+/g, '');
  if (compact.length < 4 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    return { text: body, encoding: 'text' };
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(compact, 'base64'));
  } catch {
    return { text: body, encoding: 'text' };
  }
  const start = decoded.trimStart()[0];
  return start === '{' || start === '['
    ? { text: decoded, encoding: 'base64' }
    : { text: body, encoding: 'text' };
}
