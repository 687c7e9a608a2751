// LibreLinkUp HTTP calls (shared/reference/PROVIDERS.md, Abbott section): login with its region redirect and
// terms steps, then authenticated GETs that log in again once when the ticket is refused.
// There is no official API: every answer is checked for the shape we rely on, and anything else is a clear
// bad_response rather than a half-understood success.
import { createHash } from 'node:crypto'
import { providerFetch, readJson } from '../http.js'
import { ProviderError } from '../provider.js'

export interface LluSettings {
  /** Global host; logins start here. */
  baseUrl: string
  /** A region's host, `{region}` replaced. */
  regionUrlTemplate: string
  /** App version sent in `version`; too old is refused with 403. */
  version: string
}

export interface LluCredentials {
  email: string
  password: string
  /** Region the account lives in, or null when the global host served it without a redirect. */
  region: string | null
  patientId: string
  token: string
  /** Ticket expiry, seconds since the epoch (authTicket.expires). */
  expires: number
  /** SHA-256 hex of the LibreLinkUp user id: the Account-Id header. */
  accountId: string
  [key: string]: string | number | null
}

export type LluTicket = Pick<LluCredentials, 'region' | 'token' | 'expires' | 'accountId'>

const NAME = 'libre-link-up'
// The Android app's product id; the iOS one (llu.ios) works the same (PROVIDERS.md).
const PRODUCT = 'llu.android'
// A region comes from the server's redirect answer and is put into a host name: only a short code is accepted,
// so a strange answer cannot point our requests (with the user's password) at another host.
const REGION = /^[a-z]{2}[a-z0-9]{0,6}$/
// Log in again this long before the ticket's stated expiry, so a sync never starts with a dying ticket.
const EXPIRY_MARGIN_MS = 60_000

export function hostFor(settings: LluSettings, region: string | null): string {
  return region === null ? settings.baseUrl : settings.regionUrlTemplate.replace('{region}', region)
}

function headers(settings: LluSettings, ticket?: LluTicket): Record<string, string> {
  return {
    product: PRODUCT,
    version: settings.version,
    'content-type': 'application/json',
    accept: 'application/json',
    ...(ticket && { authorization: `Bearer ${ticket.token}`, 'account-id': ticket.accountId }),
  }
}

/** Failures every LibreLinkUp call shares, beyond those providerFetch already turns into errors. */
function checkStatus(settings: LluSettings, url: URL, response: Response, body: unknown): void {
  const b = body as { status?: unknown; data?: { minimumVersion?: unknown } } | null
  if (response.status === 403 && b?.status === 920) {
    const minimum = typeof b.data?.minimumVersion === 'string' ? b.data.minimumVersion.slice(0, 20) : 'a newer version'
    throw new ProviderError('denied', `LibreLinkUp requires app version ${minimum} (we send ${settings.version}); set LIBRE_LINK_UP_VERSION=${minimum}`)
  }
  // 430: LibreView's answer to too many logins (seen by the open-source clients); wait rather than insist.
  if (response.status === 430) throw new ProviderError('rate_limited', 'LibreLinkUp: too many requests; retry in 5 minutes', 300)
  if (!response.ok && response.status !== 401) throw new ProviderError('bad_response', `LibreLinkUp ${url.pathname} answered ${response.status}`)
}

/**
 * POST /llu/auth/login, following at most one region redirect. Wrong email or password is HTTP 200 with status 2;
 * a terms-of-use or privacy step is status 4 with data.step, which only the app can clear: surfaced, never retried.
 */
export async function login(settings: LluSettings, email: string, password: string, region: string | null): Promise<LluTicket> {
  let current = region
  for (let hop = 0; hop < 2; hop++) {
    const url = new URL(`${hostFor(settings, current)}/llu/auth/login`)
    const response = await providerFetch(NAME, url, { method: 'POST', headers: headers(settings), body: JSON.stringify({ email, password }) })
    const body = await readJson(NAME, url, response)
    checkStatus(settings, url, response, body)
    const b = body as { status?: unknown; data?: Record<string, any> } | null
    if (b?.status === 2) throw new ProviderError('reauth_required', 'LibreLinkUp did not accept the email or password; connect LibreLinkUp again with the right ones')
    const data = b?.data
    if (b?.status === 4 && data?.step) {
      const step = typeof data.step.type === 'string' ? data.step.type.slice(0, 20) : 'a step'
      const what = step === 'tou' ? 'the new terms of use' : step === 'pp' ? 'the new privacy policy' : `"${step}"`
      throw new ProviderError('action_required', `LibreLinkUp asks this account to accept ${what}: open the LibreLinkUp app, accept, then try again`)
    }
    if (b?.status === 0 && data?.redirect === true) {
      if (hop > 0 || typeof data.region !== 'string' || !REGION.test(data.region)) {
        throw new ProviderError('bad_response', 'LibreLinkUp answered the login with an unusable region redirect')
      }
      current = data.region
      continue
    }
    const id = data?.user?.id
    const ticket = data?.authTicket
    if (b?.status !== 0 || typeof id !== 'string' || typeof ticket?.token !== 'string' || typeof ticket?.expires !== 'number') {
      throw new ProviderError('bad_response', `LibreLinkUp login answered an unknown shape (status ${String(b?.status).slice(0, 10)})`)
    }
    return { region: current, token: ticket.token, expires: ticket.expires, accountId: createHash('sha256').update(id).digest('hex') }
  }
  throw new ProviderError('bad_response', 'LibreLinkUp redirected the login twice')
}

/** Authenticated GETs for one connection; a refused ticket means one new login, then the call again. */
export class LluSession {
  constructor(
    private readonly settings: LluSettings,
    private credentials: LluCredentials,
    private readonly save: (credentials: LluCredentials) => Promise<void>,
  ) {}

  get current(): LluCredentials {
    return this.credentials
  }

  /** The answer's `data`, checked to be present. */
  async get(path: string): Promise<unknown> {
    if (this.credentials.expires * 1000 - Date.now() < EXPIRY_MARGIN_MS) await this.relogin()
    let { response, url } = await this.call(path)
    if (response.status === 401) {
      await response.body?.cancel()
      await this.relogin()
      ;({ response, url } = await this.call(path))
      if (response.status === 401) {
        await response.body?.cancel()
        throw new ProviderError('denied', `LibreLinkUp refused a fresh login ticket for ${url.pathname}`)
      }
    }
    const body = await readJson(NAME, url, response)
    checkStatus(this.settings, url, response, body)
    const b = body as { status?: unknown; data?: unknown; error?: { message?: unknown } } | null
    // status 4 couldNotLoadPatient: the patient stopped sharing with this account; only a new connect can fix it.
    if (b?.status === 4 && b.error?.message === 'couldNotLoadPatient') {
      throw new ProviderError('reauth_required', 'the LibreLinkUp patient of this connection is no longer shared with the account; connect LibreLinkUp again')
    }
    if (b?.status !== 0 || b.data === undefined || b.data === null) throw new ProviderError('bad_response', `LibreLinkUp ${url.pathname} answered without data`)
    return b.data
  }

  private async relogin(): Promise<void> {
    const ticket = await login(this.settings, this.credentials.email, this.credentials.password, this.credentials.region)
    this.credentials = { ...this.credentials, ...ticket }
    await this.save(this.credentials)
  }

  private async call(path: string): Promise<{ response: Response; url: URL }> {
    const url = new URL(`${hostFor(this.settings, this.credentials.region)}${path}`)
    return { response: await providerFetch(NAME, url, { headers: headers(this.settings, this.credentials) }), url }
  }
}
