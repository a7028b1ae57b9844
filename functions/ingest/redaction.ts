// Removes the credentials in use from text that comes from outside the bridge (receiver answers, network and
// auth errors) where it enters, so no log line, metric, dead-letter attribute or CLI output downstream can hold
// them: a receiver may echo the request's Authorization header in its error body.

/** What a removed credential is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Literal values shorter than this are not searched for: replacing every `ab` would destroy the text and say
 * little about the credential. The header patterns below still remove them in their usual places.
 */
export const MIN_SECRET_LENGTH = 4;

// A header or field name, its separator (`: `, `=`, `":"`) and up to two value tokens (scheme and credential).
const HEADER_VALUE = String.raw`["']?\s*[:=]\s*\[?["']?[^\s"',;\]}]+(?:\s+[^\s"',;\]}]+)?`;
const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [new RegExp(`((?:proxy-)?authorization)${HEADER_VALUE}`, 'gi'), `$1: ${REDACTED}`],
  [new RegExp(`(x-amz-security-token)${HEADER_VALUE}`, 'gi'), `$1: ${REDACTED}`],
  // The token of an auth scheme wherever it stands: `Bearer abc`, `Basic dXNlcjpwdw==`.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${REDACTED}`],
  // SigV4 in headers and presigned URLs.
  [/\b(Signature=)[0-9a-f]{16,}/gi, `$1${REDACTED}`],
  [/\b(X-Amz-Security-Token=)[^\s&"',;]+/gi, `$1${REDACTED}`],
];

/** The forms a credential can take in an echoed request: as sent, base64, URL- and JSON-escaped. */
export function secretForms(secret: string): string[] {
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  const forms = [
    secret,
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** Removes any suffix of `text` that begins one of `forms`: the text was cut inside a credential. */
function withoutCutCredential(text: string, forms: readonly string[]): string {
  for (const form of forms) {
    for (let length = Math.min(form.length - 1, text.length); length >= MIN_SECRET_LENGTH; length--) {
      if (text.endsWith(form.slice(0, length))) return `${text.slice(0, text.length - length)}${REDACTED}`;
    }
  }
  return text;
}

/**
 * `text` without the given credentials (in every form of secretForms) and without anything shaped like an
 * Authorization value, a bearer or basic token, a SigV4 signature or a session token. `cut` says the text was
 * cut short, so a credential's beginning at its end is removed too.
 */
export function redact(text: string, secrets: readonly string[], cut = false): string {
  if (text === '') return text;
  const forms = secrets
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .flatMap(secretForms)
    // Longest first, so a credential is removed whole before any part of it.
    .sort((a, b) => b.length - a.length);
  let out = cut ? withoutCutCredential(text, forms) : text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  for (const form of forms) out = out.split(form).join(REDACTED);
  return out;
}

/** The credentials in the headers of a request: whole Authorization values, their tokens, session tokens. */
export function credentialsInHeaders(headers: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      found.push(value);
      const token = /^\S+\s+(\S+)$/.exec(value)?.[1];
      if (token !== undefined) found.push(token);
      const signature = /Signature=([0-9a-f]+)/i.exec(value)?.[1];
      if (signature !== undefined) found.push(signature);
    } else if (lower === 'x-amz-security-token') {
      found.push(value);
    }
  }
  return found;
}
