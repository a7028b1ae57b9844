// The seam between the remote-write client and the four auth modes of REMOTE_WRITE_AUTH.

/** A request about to be sent, as the signer needs to see it. */
export interface OutgoingRequest {
  readonly url: URL;
  /** Lower-case names; includes `host` and every header that will be sent. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface Authenticator {
  /** Headers to add to this attempt (called for every attempt, so SigV4 signs each one afresh). */
  authorize(request: OutgoingRequest): Promise<Record<string, string>>;
  /**
   * The receiver answered 401/403: drop cached credentials. Returns true when fresh credentials may fix it,
   * i.e. the attempt deserves one repeat.
   */
  invalidate(): boolean;
  /**
   * The credentials this authenticator sends or holds (tokens, passwords, session tokens), so that text
   * coming back from the receiver can be cleaned of them before anything logs it.
   */
  secrets?(): readonly string[];
}

/** Thrown when credentials cannot be obtained: a deployment problem, never a message's fault. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}

export const noAuth: Authenticator = {
  authorize: () => Promise.resolve({}),
  invalidate: () => false,
};
