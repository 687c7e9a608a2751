/**
 * LibreLinkUp simulator: login with region redirects and terms steps, header rules (product, minimum version,
 * Bearer ticket, Account-Id), connections/graph/logbook, and `/__sim/` test controls.
 * Facts: /work/shared/reference/PROVIDERS.md (Abbott FreeStyle Libre — LibreLinkUp).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createHarness, SIM_PREFIX, type SimulatorControls, controlsOf } from '../harness.js';
import {
  buildAccount,
  DEFAULT_ACCOUNTS,
  LLU_REGIONS,
  LluTickets,
  type LluAccount,
  type LluAccountOptions,
  type LluPatient,
  type LluRegion,
  type LluStep,
} from './accounts.js';
import { LluReadings } from './measurements.js';
import { registerLluRoutes } from './routes.js';

export type { LluAccountOptions, LluPatientOptions, LluRegion, LluStep } from './accounts.js';
export { DEFAULT_PASSWORD, sha256Hex } from './accounts.js';
export { lluTimestamp } from './measurements.js';

export interface LibreLinkUpSimulatorOptions {
  host?: string;
  port?: number;
  now?: () => number;
  logger?: boolean;
  /** Default: us-, de-, eu- (mmol/L) and tou- (pending terms) followers, password `sim-password`. */
  accounts?: LluAccountOptions[];
  /** Oldest accepted `version` header (PROVIDERS.md: ≥ 4.16.0 since 2025-10). */
  minimumVersion?: string;
  /** Region the un-prefixed global host answers as (default `us`). */
  globalRegion?: LluRegion;
  /** Auth ticket lifetime (default 180 days, the real `duration`). */
  ticketDurationMs?: number;
  dataDelayMs?: number;
  hangMs?: number;
}

export interface LibreLinkUpSimulator extends SimulatorControls {
  /** The global host (api.libreview.io). */
  baseUrl: string;
  /** `{baseUrl}/{region}`: where api-{region}.libreview.io lives. */
  regionUrlTemplate: string;
  regionBaseUrl(region: LluRegion): string;
  close(): Promise<void>;
  accounts: LluAccount[];
  /** Expire every auth ticket (of one account): the next data call gets 401 and the client must log in again. */
  expireTokens(email?: string): number;
  setPendingStep(email: string, step: LluStep | null): void;
  setMinimumVersion(version: string): void;
  setDataDelay(ms: number): void;
  /** Set the reading at an exact time (null removes it). */
  putReading(patientId: string, time: number | Date, mgdl: number | null): void;
}

export async function startLibreLinkUpSimulator(options: LibreLinkUpSimulatorOptions = {}): Promise<LibreLinkUpSimulator> {
  const harness = createHarness({ now: options.now, logger: options.logger, hangMs: options.hangMs, failureBody: (status) => ({ message: `Simulated ${status}` }) });
  const accounts = (options.accounts ?? DEFAULT_ACCOUNTS).map(buildAccount);
  let minimumVersion = options.minimumVersion ?? '4.16.0';
  let dataDelayMs = options.dataDelayMs ?? 0;
  let baseUrl = '';
  const regionBaseUrl = (region: LluRegion): string => `${baseUrl}/${region}`;
  const tickets = new LluTickets(harness.now, options.ticketDurationMs);
  const readings = new LluReadings(harness.now, () => dataDelayMs);

  registerLluRoutes(harness.app, {
    accounts: () => accounts,
    tickets,
    readings,
    minimumVersion: () => minimumVersion,
    now: harness.now,
    globalRegion: options.globalRegion ?? 'us',
    regionBaseUrl,
  });

  const accountOf = (email: string): LluAccount => {
    const account = accounts.find((a) => a.email === email);
    if (!account) throw new Error(`no simulated LibreLinkUp account "${email}"`);
    return account;
  };
  const patientOf = (patientId: string): LluPatient => {
    const patient = accounts.flatMap((a) => a.patients).find((p) => p.patientId === patientId);
    if (!patient) throw new Error(`no simulated LibreLinkUp patient "${patientId}"`);
    return patient;
  };

  const sim: Omit<LibreLinkUpSimulator, 'baseUrl' | 'regionUrlTemplate'> = {
    regionBaseUrl,
    close: harness.close,
    accounts,
    expireTokens: (email) => tickets.expire(email),
    setPendingStep(email, step) {
      accountOf(email).pendingStep = step;
    },
    setMinimumVersion(version) {
      minimumVersion = version;
    },
    setDataDelay(ms) {
      dataDelayMs = ms;
    },
    putReading(patientId, time, mgdl) {
      readings.put(patientOf(patientId), typeof time === 'number' ? time : time.getTime(), mgdl);
    },
    ...controlsOf(harness),
  };

  registerControls(harness.app, sim, () => ({ minimumVersion, dataDelayMs }));
  baseUrl = await harness.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return { baseUrl, regionUrlTemplate: `${baseUrl}/{region}`, ...sim };
}

type Controls = Omit<LibreLinkUpSimulator, 'baseUrl' | 'regionUrlTemplate'>;

/** `/__sim/` HTTP controls (not part of LibreLinkUp), for driving the simulator from another process. */
function registerControls(app: FastifyInstance, sim: Controls, settings: () => Record<string, unknown>): void {
  // A thrown Error (unknown account, bad body) becomes a 400 that says what was wrong.
  const run = async (reply: FastifyReply, fn: () => unknown): Promise<unknown> => {
    try {
      return fn() ?? { ok: true };
    } catch (error) {
      return reply.code(400).send({ error: error instanceof Error ? error.message : String(error) });
    }
  };
  const body = (raw: unknown): Record<string, unknown> => (raw ?? {}) as Record<string, unknown>;

  app.get(`${SIM_PREFIX}/state`, async () => ({
    ...settings(),
    regions: LLU_REGIONS,
    now: new Date(sim.now()).toISOString(),
    accounts: sim.accounts.map((a) => ({
      email: a.email,
      region: a.region,
      id: a.id,
      accountIdHash: a.accountIdHash,
      pendingStep: a.pendingStep,
      patients: a.patients.map((p) => ({ patientId: p.patientId, firstName: p.firstName, lastName: p.lastName })),
    })),
  }));
  app.post(`${SIM_PREFIX}/tokens/expire`, async (req) => {
    const email = body(req.body).email;
    return { expired: sim.expireTokens(typeof email === 'string' ? email : undefined) };
  });
  app.post(`${SIM_PREFIX}/step`, async (req, reply) =>
    run(reply, () => {
      const { email, step } = body(req.body);
      sim.setPendingStep(String(email), step === null || step === undefined ? null : (String(step) as LluStep));
    }),
  );
  app.post(`${SIM_PREFIX}/minimum-version`, async (req, reply) =>
    run(reply, () => {
      const { version } = body(req.body);
      if (typeof version !== 'string' || !/^\d+(\.\d+)*$/.test(version)) throw new Error('body must be {"version": "4.16.0"}');
      sim.setMinimumVersion(version);
    }),
  );
  app.post(`${SIM_PREFIX}/data-delay`, async (req, reply) =>
    run(reply, () => {
      const { ms } = body(req.body);
      if (typeof ms !== 'number' || ms < 0) throw new Error('body must be {"ms": <non-negative number>}');
      sim.setDataDelay(ms);
    }),
  );
  app.post(`${SIM_PREFIX}/readings`, async (req, reply) =>
    run(reply, () => {
      const { patientId, time, mgdl } = body(req.body);
      const at = typeof time === 'number' ? time : Date.parse(String(time));
      if (Number.isNaN(at)) throw new Error('time must be epoch ms or an ISO 8601 string with zone');
      if (mgdl !== null && typeof mgdl !== 'number') throw new Error('mgdl must be a number, or null to delete the reading');
      sim.putReading(String(patientId), at, mgdl);
    }),
  );
}
