// Text that came from a message (bodies, attribute names and values, reasons) is device data: printed raw,
// escape sequences could retitle the terminal, clear it, plant links or hide lines, and bidi controls could
// reorder what the operator reads. Every such field goes through safeText before it is printed, in text and
// in --json (a `jq -r` of the JSON must be as safe as the text), and is cut to a documented length.

/** Longest printed body, unless --body-chars says otherwise. */
export const BODY_CHARS = 300;
/** Longest printed reason (`bridge-error`). */
export const REASON_CHARS = 200;
/** Longest printed attribute value. */
export const ATTRIBUTE_VALUE_CHARS = 100;
/** Longest printed attribute name or message id. */
export const NAME_CHARS = 80;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

// C0 controls, DEL, C1 controls, the bidi controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI), the line and
// paragraph separators, and lone surrogates (which a terminal renders as garbage).
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeOne(char: string): string {
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Escapes every unsafe character as `\xNN` / `\uNNNN` (`\n`, `\r`, `\t` for those three). */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/**
 * The text, cut to `maxChars` code points (noting the full length) and escaped. The cut comes first, so an
 * escape is never split and the limit counts the characters the message really had.
 */
export function safeText(text: string, maxChars: number): string {
  const points = Array.from(text);
  if (points.length <= maxChars) return escapeUnsafe(text);
  return `${escapeUnsafe(points.slice(0, maxChars).join(''))}… (${points.length} chars)`;
}
