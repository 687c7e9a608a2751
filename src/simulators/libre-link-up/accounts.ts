/**
 * LibreLinkUp accounts, auth tickets and the header rules every call must pass.
 * Sources: PROVIDERS.md (Abbott section), the khskekec request dump and the clients it cites; response shapes
 * of errors as reported in those clients' issue trackers (cited at each rule).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DAY_MS, uuidFrom } from '../realistic-trace.js';

/** Regions seen in the wild (PROVIDERS.md). */
export const LLU_REGIONS = ['us', 'eu', 'eu2', 'de', 'fr', 'jp', 'ap', 'au', 'ae', 'ca', 'la'] as const;
export type LluRegion = (typeof LLU_REGIONS)[number];
export type LluStep = 'tou' | 'pp' | 'verifyEmail';

export interface LluPatientOptions {
  patientId?: string;
  firstName: string;
  lastName: string;
  /** Trace seed; defaults to the patient id. */
  seed?: string | number;
  /** The patient's phone time zone, minutes east of UTC: `Timestamp` is local, `FactoryTimestamp` UTC. */
  utcOffsetMinutes?: number;
  targetLow?: number;
  targetHigh?: number;
}

export interface LluAccountOptions {
  email: string;
  password: string;
  /** Home region; logging in anywhere else answers with a redirect to it. */
  region: LluRegion;
  id?: string;
  firstName?: string;
  lastName?: string;
  country?: string;
  /** GlucoseUnits: 1 = mg/dL, 0 = mmol/L (PROVIDERS.md). */
  glucoseUnits?: 0 | 1;
  /** A terms-of-use / privacy step the user has not accepted in the app yet. */
  pendingStep?: LluStep | null;
  /** People this follower account sees under /llu/connections. */
  patients?: LluPatientOptions[];
}

export interface LluPatient extends Required<Omit<LluPatientOptions, 'seed'>> {
  seed: string;
}

export interface LluAccount extends Required<Omit<LluAccountOptions, 'patients' | 'pendingStep'>> {
  pendingStep: LluStep | null;
  patients: LluPatient[];
  /** SHA-256 hex of the user id: the Account-Id header (PROVIDERS.md). */
  accountIdHash: string;
}

export const DEFAULT_PASSWORD = 'sim-password';

export const DEFAULT_ACCOUNTS: readonly LluAccountOptions[] = [
  { email: 'us-follower@example.com', password: DEFAULT_PASSWORD, region: 'us', country: 'US', firstName: 'Uma', lastName: 'Follower', patients: [{ firstName: 'Sam', lastName: 'Sample', utcOffsetMinutes: -300 }] },
  { email: 'de-follower@example.com', password: DEFAULT_PASSWORD, region: 'de', country: 'DE', firstName: 'Dora', lastName: 'Follower', patients: [{ firstName: 'Jonas', lastName: 'Muster', utcOffsetMinutes: 60 }, { firstName: 'Lena', lastName: 'Muster', utcOffsetMinutes: 60, targetHigh: 160 }] },
  { email: 'eu-follower@example.com', password: DEFAULT_PASSWORD, region: 'eu', country: 'GB', glucoseUnits: 0, firstName: 'Eve', lastName: 'Follower', patients: [{ firstName: 'Alex', lastName: 'Smith', utcOffsetMinutes: 0 }] },
  { email: 'tou-follower@example.com', password: DEFAULT_PASSWORD, region: 'us', country: 'US', pendingStep: 'tou', firstName: 'Toby', lastName: 'Pending', patients: [{ firstName: 'Pat', lastName: 'Pending' }] },
];

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function buildAccount(options: LluAccountOptions): LluAccount {
  const id = options.id ?? uuidFrom('llu-account', options.email);
  return {
    email: options.email,
    password: options.password,
    region: options.region,
    id,
    firstName: options.firstName ?? 'Sim',
    lastName: options.lastName ?? 'Follower',
    country: options.country ?? options.region.toUpperCase(),
    glucoseUnits: options.glucoseUnits ?? 1,
    pendingStep: options.pendingStep ?? null,
    accountIdHash: sha256Hex(id),
    patients: (options.patients ?? []).map((p) => {
      const patientId = p.patientId ?? uuidFrom('llu-patient', options.email, p.firstName, p.lastName);
      return {
        patientId,
        firstName: p.firstName,
        lastName: p.lastName,
        seed: String(p.seed ?? patientId),
        utcOffsetMinutes: p.utcOffsetMinutes ?? 0,
        targetLow: p.targetLow ?? 70,
        targetHigh: p.targetHigh ?? 180,
      };
    }),
  };
}

/** Compare dotted versions numerically: 4.16.0 > 4.9.0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface Rejection {
  code: number;
  body: unknown;
}

/**
 * Headers every call needs (PROVIDERS.md): `product` llu.android|llu.ios and a `version` no older than the
 * server's minimum. Too old → 403 `{"data":{"minimumVersion":"4.16.0"},"status":920}` (reported verbatim in
 * gillesvs/librelink PR #45). A missing product is answered like a missing Account-Id (see below).
 */
export function checkClientHeaders(request: FastifyRequest, minimumVersion: string): Rejection | undefined {
  const product = request.headers.product;
  if (product !== 'llu.android' && product !== 'llu.ios') return { code: 400, body: { message: 'RequiredHeaderMissing' } };
  const version = request.headers.version;
  if (typeof version !== 'string' || !/^\d+(\.\d+)*$/.test(version) || compareVersions(version, minimumVersion) < 0) {
    return { code: 403, body: { data: { minimumVersion }, status: 920 } };
  }
  return undefined;
}

interface TicketRecord {
  email: string;
  region: LluRegion;
  exp: number;
  /** Tickets handed out with a pending step only let the app show the step, not read data. */
  limited: boolean;
}

/** Auth tickets are HS256 JWTs, as the real ones are, so clients that decode them keep working. */
export class LluTickets {
  private readonly secret = randomBytes(32);
  private readonly issued = new Map<string, TicketRecord>();

  constructor(
    private readonly now: () => number,
    /** 180 days, the `duration` seen in real tickets (15552000000 ms). */
    private readonly durationMs: number = 180 * DAY_MS,
  ) {}

  issue(account: LluAccount, region: LluRegion, product: string, limited = false): { token: string; expires: number; duration: number } {
    const duration = limited ? 3_600_000 : this.durationMs;
    const exp = Math.floor((this.now() + duration) / 1000);
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const payload = { id: account.id, firstName: account.firstName, lastName: account.lastName, country: account.country, region, role: 'patient', units: account.glucoseUnits, practices: [], c: 1, s: product, exp, jti: randomBytes(6).toString('hex') };
    const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(payload)}`;
    const token = `${unsigned}.${createHmac('sha256', this.secret).update(unsigned).digest('base64url')}`;
    this.issued.set(token, { email: account.email, region, exp, limited });
    return { token, expires: exp, duration };
  }

  /** The account email behind a valid full ticket for this region, or undefined. */
  verify(token: string, region: LluRegion): string | undefined {
    const record = this.issued.get(token);
    if (!record || record.limited || record.region !== region) return undefined;
    if (record.exp * 1000 <= this.now()) return undefined;
    return record.email;
  }

  /** Test control: expire every ticket (of one account). */
  expire(email?: string): number {
    let n = 0;
    for (const record of this.issued.values()) {
      if (email === undefined || record.email === email) {
        record.exp = Math.floor(this.now() / 1000) - 1;
        n++;
      }
    }
    return n;
  }
}
