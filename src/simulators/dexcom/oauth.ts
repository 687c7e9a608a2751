/**
 * Dexcom's OAuth2 authorization-code flow (PROVIDERS.md, Dexcom: `/v2/oauth2/login`, `/v2/oauth2/token`).
 *
 * There is no human to click "authorize", so the login endpoint answers 302 straight to redirect_uri with a
 * code and the caller's state. The user is chosen by `login_hint` (or `username`, `sandboxUser`), else the
 * default user — mirroring the sandbox login page, which offers SandboxUser1…7 without a password.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface DexcomClientApp {
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs; undefined accepts any http(s) URI (handy for random test ports). */
  redirectUris?: string[];
}

export interface TokenGrant {
  clientId: string;
  username: string;
}

interface AccessToken extends TokenGrant {
  expiresAt: number;
}

interface RefreshToken extends TokenGrant {
  expiresAt: number | null;
  state: 'active' | 'used' | 'revoked';
}

interface AuthCode extends TokenGrant {
  redirectUri: string;
  /** PKCE (RFC 7636): the S256 challenge the login was given, checked against code_verifier at the token endpoint. */
  codeChallenge: string | undefined;
  expiresAt: number;
  used: boolean;
}

export interface OAuthOptions {
  clients: DexcomClientApp[];
  usernames: () => string[];
  defaultUsername: string;
  now: () => number;
  /** expires_in of access tokens; Dexcom's examples show 7200 s. */
  accessTokenTtlSeconds?: number;
  /** Refresh-token lifetime is UNCONFIRMED (PROVIDERS.md): null = never expires unless revoked. */
  refreshTokenTtlMs?: number | null;
  /** How long a code can be exchanged (simulator default 60 s). */
  authCodeTtlMs?: number;
}

export type BearerCheck = { ok: true; grant: TokenGrant } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

const opaque = (bytes: number): string => randomBytes(bytes).toString('base64url');

export class DexcomOAuth {
  private readonly codes = new Map<string, AuthCode>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  readonly accessTokenTtlSeconds: number;

  constructor(private readonly options: OAuthOptions) {
    this.accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 7200;
  }

  client(clientId: string | undefined): DexcomClientApp | undefined {
    return this.options.clients.find((c) => c.clientId === clientId);
  }

  /** Issue a token pair without the browser dance (test control and the token endpoint share it). */
  issue(grant: TokenGrant): { access_token: string; expires_in: number; token_type: 'Bearer'; refresh_token: string } {
    const now = this.options.now();
    const access = opaque(32);
    const refresh = opaque(32);
    this.accessTokens.set(access, { ...grant, expiresAt: now + this.accessTokenTtlSeconds * 1000 });
    const ttl = this.options.refreshTokenTtlMs ?? null;
    this.refreshTokens.set(refresh, { ...grant, state: 'active', expiresAt: ttl === null ? null : now + ttl });
    return { access_token: access, expires_in: this.accessTokenTtlSeconds, token_type: 'Bearer', refresh_token: refresh };
  }

  checkBearer(header: string | undefined): BearerCheck {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match?.[1]) return { ok: false, reason: 'missing' };
    const token = this.accessTokens.get(match[1]);
    if (!token) return { ok: false, reason: 'invalid' };
    if (token.expiresAt <= this.options.now()) return { ok: false, reason: 'expired' };
    return { ok: true, grant: { clientId: token.clientId, username: token.username } };
  }

  /** Test control: every matching access token expires now. Returns how many. */
  expireAccessTokens(username?: string): number {
    let n = 0;
    for (const token of this.accessTokens.values()) {
      if (username === undefined || token.username === username) {
        token.expiresAt = this.options.now() - 1;
        n++;
      }
    }
    return n;
  }

  /** Test control: every matching refresh token is revoked (as when the user disconnects the app). */
  revokeRefreshTokens(username?: string): number {
    let n = 0;
    for (const token of this.refreshTokens.values()) {
      if ((username === undefined || token.username === username) && token.state === 'active') {
        token.state = 'revoked';
        n++;
      }
    }
    return n;
  }

  register(app: FastifyInstance): void {
    // The token endpoint is form-encoded (PROVIDERS.md); Fastify parses only JSON by default.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    app.get('/v2/oauth2/login', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = this.client(q.client_id);
      // An unknown client or redirect URI must not be redirected to (RFC 6749 §4.1.2.1): answer here.
      if (!client) return reply.code(400).send({ error: 'invalid_client', error_description: `unknown client_id "${q.client_id ?? ''}"` });
      const redirectUri = q.redirect_uri;
      if (!redirectUri || !this.redirectAllowed(client, redirectUri)) {
        return reply.code(400).send({ error: 'invalid_request', error_description: 'redirect_uri is missing or not registered for this client' });
      }
      const back = (params: Record<string, string>): FastifyReply => {
        const url = new URL(redirectUri);
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
        if (q.state !== undefined) url.searchParams.set('state', q.state);
        return reply.redirect(url.toString(), 302);
      };
      if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' });
      // offline_access is the only scope (PROVIDERS.md).
      if (q.scope !== 'offline_access') return back({ error: 'invalid_scope' });
      // PKCE, as a server that supports it (RFC 7636 §4.4.1): only S256 here; 'plain' or an absent method is refused.
      if (q.code_challenge !== undefined && (q.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge))) {
        return back({ error: 'invalid_request', error_description: 'code_challenge must be S256 (43 base64url characters)' });
      }
      const username = q.login_hint ?? q.username ?? q.sandboxUser ?? this.options.defaultUsername;
      if (q.login_hint === 'deny') return back({ error: 'access_denied' });
      if (!this.options.usernames().includes(username)) {
        return reply.code(400).send({ error: 'invalid_request', error_description: `no simulated user "${username}"` });
      }
      const code = opaque(24);
      this.codes.set(code, {
        clientId: client.clientId,
        username,
        redirectUri,
        codeChallenge: q.code_challenge,
        used: false,
        expiresAt: this.options.now() + (this.options.authCodeTtlMs ?? 60_000),
      });
      return back({ code });
    });

    app.post('/v2/oauth2/token', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, string | undefined>;
      const client = this.client(body.client_id);
      if (!client || client.clientSecret !== body.client_secret) return reply.code(401).send({ error: 'invalid_client' });
      const invalidGrant = (): FastifyReply => reply.code(400).send({ error: 'invalid_grant' });
      const now = this.options.now();
      if (body.grant_type === 'authorization_code') {
        const code = this.codes.get(body.code ?? '');
        if (!code || code.used || code.expiresAt <= now || code.clientId !== client.clientId || code.redirectUri !== body.redirect_uri) {
          return invalidGrant();
        }
        // Spent by any attempt, as a real server would: a code presented with a wrong verifier is not retried.
        code.used = true;
        if (code.codeChallenge !== undefined && !verifierMatches(code.codeChallenge, body.code_verifier)) return invalidGrant();
        return this.issue({ clientId: client.clientId, username: code.username });
      }
      if (body.grant_type === 'refresh_token') {
        const token = this.refreshTokens.get(body.refresh_token ?? '');
        if (!token || token.state !== 'active' || token.clientId !== client.clientId || (token.expiresAt !== null && token.expiresAt <= now)) {
          return invalidGrant();
        }
        // Refresh tokens rotate: the one just used is spent.
        token.state = 'used';
        return this.issue({ clientId: client.clientId, username: token.username });
      }
      return reply.code(400).send({ error: 'unsupported_grant_type' });
    });
  }

  private redirectAllowed(client: DexcomClientApp, uri: string): boolean {
    if (client.redirectUris) return client.redirectUris.includes(uri);
    try {
      return ['http:', 'https:'].includes(new URL(uri).protocol);
    } catch {
      return false;
    }
  }
}

/** RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge; a verifier is 43–128 unreserved characters. */
function verifierMatches(challenge: string, verifier: string | undefined): boolean {
  if (verifier === undefined || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
