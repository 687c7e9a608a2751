/**
 * A Nightscout site (cgm-remote-monitor API v1) acting as a glucose SOURCE: entries with the v1 query language,
 * status, and the two ways a client authenticates (PROVIDERS.md, Nightscout):
 *  - header `api-secret: <sha1 hex of API_SECRET>` → full access (read and write);
 *  - `?token=<access token>` (or `Authorization: Bearer <token>`) → the token's role (read-only by default).
 * Anything else is 401 `{status:401, message:"Unauthorized", description:"Invalid/Missing"}` (the body
 * cgm-remote-monitor's authorization.js sends), unless the site lets anonymous readers in (AUTH_DEFAULT_ROLES).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHarness, SIM_PREFIX, type SimulatorControls, controlsOf } from '../harness.js';
import { NsEntries, parseEntriesQuery, type NsEntry } from './entries.js';

export type { NsEntry } from './entries.js';

export interface NightscoutSimulatorOptions {
  host?: string;
  port?: number;
  now?: () => number;
  logger?: boolean;
  /** API_SECRET of the site (Nightscout requires at least 12 characters). */
  apiSecret?: string;
  /** Access-token subjects; each gets a token `<name>-<16 hex>` like Nightscout's admin tool makes. */
  readers?: string[];
  /** AUTH_DEFAULT_ROLES: 'readable' lets anyone read, 'denied' (default) requires a secret or token. */
  authDefaultRoles?: 'readable' | 'denied';
  seed?: string | number;
  utcOffsetMinutes?: number;
  device?: string;
  historyDays?: number;
  mbgPerDay?: number;
  /** `/api/v1/entries` without `.json` when the client accepts anything: 'tsv' (classic) or 405 (newest releases). */
  plainEntries?: 'tsv' | '405';
  dataDelayMs?: number;
  hangMs?: number;
}

export interface NightscoutSimulator extends SimulatorControls {
  baseUrl: string;
  close(): Promise<void>;
  apiSecret: string;
  /** What clients put in the `api-secret` header. */
  apiSecretHash: string;
  /** Reader tokens by subject name. */
  tokens: Record<string, string>;
  /** Add or replace an entry (upsert on type + date, as Nightscout does). */
  putEntry(entry: Partial<NsEntry>): NsEntry;
  deleteEntry(type: string, date: number): void;
  setDataDelay(ms: number): void;
}

/**
 * Content negotiation as Express's res.format (npm `negotiator`): for each offered type take its best-matching
 * Accept range; prefer higher q, then the more specific match, then the earlier range, then the earlier offer.
 */
export function negotiate(accept: string, offers: string[]): string | undefined {
  const ranges = accept.split(',').map((part, index) => {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { range: range.trim(), q: q === undefined ? 1 : Number(q.slice(2)), index };
  });
  let best: { offer: string; key: number[] } | undefined;
  offers.forEach((offer, i) => {
    const [type, sub] = offer.split('/');
    let match: number[] | undefined;
    for (const r of ranges) {
      const [rt, rs] = r.range.split('/');
      const s = rt === type && rs === sub ? 2 : rt === type && rs === '*' ? 1 : rt === '*' && rs === '*' ? 0 : -1;
      if (s < 0 || !(r.q > 0)) continue;
      if (!match || s > (match[1] ?? 0)) match = [r.q, s, -r.index, -i];
    }
    if (match && (!best || isGreater(match, best.key))) best = { offer, key: match };
  });
  return best?.offer;
}

function isGreater(a: number[], b: number[]): boolean {
  for (let k = 0; k < a.length; k++) if ((a[k] ?? 0) !== (b[k] ?? 0)) return (a[k] ?? 0) > (b[k] ?? 0);
  return false;
}

export const sha1Hex = (text: string): string => createHash('sha1').update(text).digest('hex');

const UNAUTHORIZED = { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' };
const ENTRY_TYPES = new Set(['sgv', 'mbg', 'cal']);

export async function startNightscoutSimulator(options: NightscoutSimulatorOptions = {}): Promise<NightscoutSimulator> {
  const harness = createHarness({ now: options.now, logger: options.logger, hangMs: options.hangMs, failureBody: (status) => ({ status, message: `Simulated ${status}` }) });
  const { app } = harness;
  const apiSecret = options.apiSecret ?? 'sim-api-secret-0123';
  if (apiSecret.length < 12) throw new Error('Nightscout refuses an API_SECRET shorter than 12 characters');
  const apiSecretHash = sha1Hex(apiSecret);
  const tokens = Object.fromEntries((options.readers ?? ['sim-reader']).map((name) => [name, `${name}-${sha1Hex(`${apiSecret}${name}`).slice(0, 16)}`]));
  let dataDelayMs = options.dataDelayMs ?? 0;
  const entries = new NsEntries(
    {
      seed: options.seed ?? 'nightscout-site',
      utcOffsetMinutes: options.utcOffsetMinutes ?? 60,
      device: options.device ?? 'xDrip-DexcomG6',
      historyDays: options.historyDays ?? 30,
      mbgPerDay: options.mbgPerDay ?? 1,
    },
    harness.now,
    () => dataDelayMs,
  );

  /** 'admin' for the hashed secret, 'readable' for a reader token (or anonymous on an open site). */
  const roleOf = (request: FastifyRequest): 'admin' | 'readable' | undefined => {
    const secret = request.headers['api-secret'];
    if (typeof secret === 'string' && secret.toLowerCase() === apiSecretHash) return 'admin';
    const query = request.query as { token?: string };
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const token = query.token ?? bearer;
    if (token !== undefined && Object.values(tokens).includes(token)) return 'readable';
    return options.authDefaultRoles === 'readable' ? 'readable' : undefined;
  };
  const requireRead = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (roleOf(request)) return true;
    reply.code(401).send(UNAUTHORIZED);
    return false;
  };

  /** Classic Nightscout TSV line: "dateString"\tdate\tsgv\t"direction"\t"device". */
  const tsv = (list: NsEntry[]): string =>
    list.map((e) => `"${e.dateString}"\t${e.date}\t${e.sgv ?? e.mbg ?? ''}\t"${e.direction ?? ''}"\t"${e.device}"`).join('\n');

  const listEntries = (type: string | undefined, forceJson: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!requireRead(request, reply)) return reply;
    const parsed = parseEntriesQuery(request.query as Record<string, string | string[] | undefined>, type);
    if (!parsed.ok) return reply.code(400).send({ status: 400, message: parsed.message });
    const found = entries.find(parsed.conditions, parsed.count);
    if (found[0]) reply.header('last-modified', new Date(found[0].date).toUTCString());
    // Express res.format({text, csv, json}) as in lib/api/entries: `*/*` or no Accept picks text first.
    if (forceJson || negotiate(request.headers.accept ?? '*/*', ['text/plain', 'text/csv', 'application/json']) === 'application/json') return found;
    if (options.plainEntries === '405') return reply.code(405).send({ status: 405, message: 'Method Not Allowed (only json is supported)', type: 'internal' });
    return reply.type('text/plain; charset=utf-8').send(tsv(found));
  };

  app.get('/api/v1/entries.json', listEntries(undefined, true));
  app.get('/api/v1/entries', listEntries(undefined, false));
  app.get('/api/v1/entries/:spec', async (request, reply) => {
    const raw = (request.params as { spec: string }).spec;
    const json = raw.endsWith('.json');
    const spec = json ? raw.slice(0, -5) : raw;
    if (spec === 'current') {
      (request.query as Record<string, string>).count = '1';
      return listEntries('sgv', json)(request, reply);
    }
    if (!ENTRY_TYPES.has(spec)) return reply.code(404).send({ status: 404, message: `unknown entry type "${spec}"` });
    return listEntries(spec, json)(request, reply);
  });

  const insert = async (request: FastifyRequest, reply: FastifyReply) => {
    if (roleOf(request) !== 'admin') return reply.code(401).send(UNAUTHORIZED);
    const body = request.body;
    const docs = (Array.isArray(body) ? body : body && typeof body === 'object' && 'date' in body ? [body] : []) as Array<Partial<NsEntry>>;
    try {
      return docs.map((doc) => entries.upsert(doc));
    } catch (error) {
      return reply.code(400).send({ status: 400, message: error instanceof Error ? error.message : String(error) });
    }
  };
  app.post('/api/v1/entries', insert);
  app.post('/api/v1/entries.json', insert);

  const status = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!requireRead(request, reply)) return reply;
    const now = harness.now();
    return {
      status: 'ok',
      name: 'nightscout',
      version: '15.0.3',
      serverTime: new Date(now).toISOString(),
      serverTimeEpoch: now,
      apiEnabled: true,
      careportalEnabled: true,
      boluscalcEnabled: true,
      settings: {
        units: 'mg/dl',
        timeFormat: 24,
        customTitle: 'Nightscout',
        theme: 'colors',
        authDefaultRoles: options.authDefaultRoles ?? 'denied',
        thresholds: { bgHigh: 260, bgTargetTop: 180, bgTargetBottom: 80, bgLow: 55 },
        enable: ['careportal', 'boluscalc', 'iob', 'cob', 'rawbg', 'delta', 'direction', 'upbat', 'errorcodes'],
      },
      extendedSettings: { devicestatus: { advanced: true } },
      authorized: null,
      runtimeState: 'loaded',
    };
  };
  app.get('/api/v1/status.json', status);
  app.get('/api/v1/status', status);

  const sim: Omit<NightscoutSimulator, 'baseUrl'> = {
    close: harness.close,
    apiSecret,
    apiSecretHash,
    tokens,
    putEntry: (entry) => entries.upsert(entry),
    deleteEntry: (type, date) => entries.remove(type, date),
    setDataDelay(ms) {
      dataDelayMs = ms;
    },
    ...controlsOf(harness),
  };

  // `/__sim/` controls (not part of Nightscout).
  app.get(`${SIM_PREFIX}/state`, async () => ({ apiSecretHash, tokens, dataDelayMs, now: new Date(harness.now()).toISOString() }));
  app.post(`${SIM_PREFIX}/entries`, async (request, reply) => {
    try {
      return sim.putEntry((request.body ?? {}) as Partial<NsEntry>);
    } catch (error) {
      return reply.code(400).send({ error: error instanceof Error ? error.message : String(error) });
    }
  });
  app.post(`${SIM_PREFIX}/entries/delete`, async (request, reply) => {
    const { type, date } = (request.body ?? {}) as { type?: unknown; date?: unknown };
    if (typeof type !== 'string' || typeof date !== 'number') return reply.code(400).send({ error: 'body must be {"type": "sgv", "date": <epoch ms>}' });
    sim.deleteEntry(type, date);
    return { ok: true };
  });
  app.post(`${SIM_PREFIX}/data-delay`, async (request, reply) => {
    const { ms } = (request.body ?? {}) as { ms?: unknown };
    if (typeof ms !== 'number' || ms < 0) return reply.code(400).send({ error: 'body must be {"ms": <non-negative number>}' });
    sim.setDataDelay(ms);
    return { ok: true };
  });

  const baseUrl = await harness.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return { baseUrl, ...sim };
}
