// Signs a bearer token for a user with the configured HS256 secret: for development, tests and the bench.
// Production tokens come from the real identity provider (RS256 public key in JWT_PUBLIC_KEY).
import { createSigner } from 'fast-jwt'
import type { Config } from '../config.js'

/** `scope`: space-separated scopes, e.g. `admin` for the operator routes. */
export function signToken(config: Config, userId: string, expiresInSeconds = 30 * 24 * 3600, scope?: string): string {
  if (config.jwt.algorithm !== 'HS256') throw new Error('tokens can be signed here only with JWT_SECRET (HS256)')
  const sign = createSigner({
    key: config.jwt.key,
    algorithm: 'HS256',
    expiresIn: expiresInSeconds * 1000,
    ...(config.jwtIssuer && { iss: config.jwtIssuer }),
    ...(config.jwtAudience && { aud: config.jwtAudience }),
  })
  return sign({ sub: userId, ...(scope && { scope }) })
}
