// When a connection is next due, by the outcome of its last sync: the one place for the cadence and the backoff.
import { ProviderError } from '../providers/provider.js'

export type SyncOutcome = 'ok' | 'rate_limited' | 'unavailable' | 'reauth_required' | 'error' | 'crashed'

export const BACKOFF = {
  baseMs: 60_000,
  /** Provider down or slow, or our own failure: it usually recovers within the hour. */
  maxTransientMs: 3_600_000,
  /** An answer we do not understand, or a step the user must take at the provider (new terms): no hurry. */
  maxErrorMs: 6 * 3_600_000,
}

export function outcomeOf(error: unknown): SyncOutcome {
  if (!(error instanceof ProviderError)) return 'crashed'
  switch (error.kind) {
    case 'reauth_required':
      return 'reauth_required'
    case 'rate_limited':
      return 'rate_limited'
    case 'unavailable':
      return 'unavailable'
    default:
      return 'error' // bad_response, denied, action_required
  }
}

export interface NextSyncInput {
  outcome: SyncOutcome
  now: number
  /** The provider's data cadence (ProviderLimits.cadenceMs). */
  cadenceMs: number
  /** Failures in a row including this one (0 after a success). */
  failures: number
  retryAfterSeconds?: number | undefined
  random?: () => number
}

/** Null: do not schedule again (only the user can fix it, by reconnecting). */
export function nextSyncAt(input: NextSyncInput): Date | null {
  const random = input.random ?? Math.random
  switch (input.outcome) {
    case 'ok':
      // ±10 %: connections created in the same second drift apart instead of firing together for ever.
      return new Date(input.now + input.cadenceMs * (0.9 + 0.2 * random()))
    case 'reauth_required':
      return null
    case 'rate_limited':
      // The provider said when; without a Retry-After the backoff below decides. A little jitter so the
      // connections it refused together do not all come back in the same second.
      if (input.retryAfterSeconds !== undefined) return new Date(input.now + input.retryAfterSeconds * 1000 * (1 + 0.1 * random()))
      return new Date(input.now + backoffMs(input.failures, BACKOFF.maxTransientMs, random))
    case 'unavailable':
    case 'crashed':
      return new Date(input.now + backoffMs(input.failures, BACKOFF.maxTransientMs, random))
    case 'error':
      return new Date(input.now + backoffMs(input.failures, BACKOFF.maxErrorMs, random))
  }
}

/**
 * Exponential backoff with "equal jitter" (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015):
 * the ceiling doubles with each failure up to `capMs`, and the delay is half the ceiling plus a random half, so
 * retries spread out but never come back immediately.
 */
export function backoffMs(failures: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, BACKOFF.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 20)))
  return ceiling / 2 + (ceiling / 2) * random()
}
