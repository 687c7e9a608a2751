/**
 * LibreLinkUp HTTP API (PROVIDERS.md, Abbott). Every route exists on the global host (`{baseUrl}/llu/…`, which
 * plays api.libreview.io) and on each regional host (`{baseUrl}/{region}/llu/…`, which plays
 * api-{region}.libreview.io), so a client configured with a region URL template reaches them all.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkClientHeaders, LLU_REGIONS, type LluAccount, type LluRegion, type LluTickets } from './accounts.js';
import type { LluReadings } from './measurements.js';

export interface LluRouteDeps {
  accounts: () => LluAccount[];
  tickets: LluTickets;
  readings: LluReadings;
  minimumVersion: () => string;
  now: () => number;
  /** Region the un-prefixed host answers as. */
  globalRegion: LluRegion;
  /** Base URL of a region, for `/llu/config/country`'s regionalMap. */
  regionBaseUrl: (region: LluRegion) => string;
}

const STEP_TITLES: Record<string, string> = { tou: 'Common.termsOfUse', pp: 'Common.privacyPolicy', verifyEmail: 'Common.verifyEmail' };

export function registerLluRoutes(app: FastifyInstance, deps: LluRouteDeps): void {
  const regionOf = (request: FastifyRequest): LluRegion | undefined => {
    const param = (request.params as { region?: string }).region;
    if (param === undefined) return deps.globalRegion;
    return (LLU_REGIONS as readonly string[]).includes(param) ? (param as LluRegion) : undefined;
  };

  /** Header rules for every call; returns the region when the request may go on. */
  const gate = (request: FastifyRequest, reply: FastifyReply): LluRegion | undefined => {
    const region = regionOf(request);
    if (!region) {
      reply.code(404).send({ message: 'Not Found' });
      return undefined;
    }
    const rejection = checkClientHeaders(request, deps.minimumVersion());
    if (rejection) {
      reply.code(rejection.code).send(rejection.body);
      return undefined;
    }
    return region;
  };

  /**
   * After login: a valid ticket for this region, and `Account-Id` = SHA-256 hex of the user id (PROVIDERS.md).
   * A bad or expired ticket is 401 `{"message":"invalid or expired jwt"}` (nightscout-librelink-up #33, #82);
   * a missing Account-Id is 400 `{"message":"RequiredHeaderMissing"}` (xdripswift PR #550). A present but wrong
   * Account-Id is 403 — the simulator's choice, no public report shows that case.
   */
  const authenticate = (request: FastifyRequest, reply: FastifyReply): { account: LluAccount; region: LluRegion } | undefined => {
    const region = gate(request, reply);
    if (!region) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) {
      reply.code(401).send({ message: 'missing or malformed jwt' });
      return undefined;
    }
    const email = deps.tickets.verify(match[1], region);
    const account = deps.accounts().find((a) => a.email === email);
    if (!account) {
      reply.code(401).send({ message: 'invalid or expired jwt' });
      return undefined;
    }
    const accountId = request.headers['account-id'];
    if (accountId === undefined || accountId === '') {
      reply.code(400).send({ message: 'RequiredHeaderMissing' });
      return undefined;
    }
    if (accountId !== account.accountIdHash) {
      reply.code(403).send({ message: 'Forbidden' });
      return undefined;
    }
    return { account, region };
  };

  /** Data responses carry a renewed ticket beside `data` (graph/logbook dumps). */
  const withTicket = (request: FastifyRequest, account: LluAccount, region: LluRegion, data: unknown) => ({
    status: 0,
    data,
    ticket: deps.tickets.issue(account, region, String(request.headers.product)),
  });

  for (const prefix of ['', '/:region']) {
    app.post(`${prefix}/llu/auth/login`, async (request, reply) => {
      const region = gate(request, reply);
      if (!region) return reply;
      const { email, password } = (request.body ?? {}) as { email?: unknown; password?: unknown };
      const account = deps.accounts().find((a) => a.email.toLowerCase() === String(email ?? '').toLowerCase());
      // Bad credentials are HTTP 200 with status 2 (DiaKEM/libre-link-up-api-client PR #17).
      if (!account || account.password !== password) return { status: 2, error: { message: 'notAuthenticated' } };
      if (account.region !== region) return { status: 0, data: { redirect: true, region: account.region } };
      const product = String(request.headers.product);
      if (account.pendingStep) {
        // A step to accept in the app: status 4 with a short ticket that cannot read data
        // (nightscout-librelink-up #33, #198). Clients must surface it, not retry.
        return {
          status: 4,
          data: {
            step: { type: account.pendingStep, componentName: 'AcceptDocument', props: { reaccept: true, titleKey: STEP_TITLES[account.pendingStep], type: account.pendingStep } },
            user: { accountType: 'pat', country: account.country, uiLanguage: 'en-US' },
            authTicket: deps.tickets.issue(account, region, product, true),
          },
        };
      }
      const nowSec = Math.floor(deps.now() / 1000);
      return {
        status: 0,
        data: {
          user: {
            id: account.id,
            firstName: account.firstName,
            lastName: account.lastName,
            email: account.email,
            country: account.country,
            uiLanguage: 'en-US',
            communicationLanguage: 'en-US',
            accountType: 'pat',
            uom: String(account.glucoseUnits),
            dateFormat: '2',
            timeFormat: '2',
            emailDay: [1],
            system: { messages: { firstUsePhoenix: nowSec - 86_400 * 200, lluOnboarding: nowSec - 86_400 * 200 } },
            details: {},
            twoFactor: { primaryMethod: '', primaryValue: '', secondaryMethod: '', secondaryValue: '' },
            created: nowSec - 86_400 * 400,
            lastLogin: nowSec,
            programs: {},
            dateOfBirth: 29_894_400,
            practices: {},
            devices: {},
            consents: { llu: { policyAccept: nowSec - 86_400 * 200, touAccept: nowSec - 86_400 * 200 } },
          },
          messages: { unread: 0 },
          notifications: { unresolved: 0 },
          authTicket: deps.tickets.issue(account, region, product),
          invitations: null,
          trustedDeviceToken: '',
        },
      };
    });

    // Where each region's API lives (the DiaKEM client reads regionalMap[region].lslApi after a redirect).
    app.get(`${prefix}/llu/config/country`, async (request, reply) => {
      if (!gate(request, reply)) return reply;
      const regionalMap = Object.fromEntries(
        LLU_REGIONS.map((r) => [r, { lslApi: deps.regionBaseUrl(r), socketHub: deps.regionBaseUrl(r).replace(/^http/, 'ws') }]),
      );
      return { status: 0, data: { regionalMap } };
    });

    app.get(`${prefix}/llu/connections`, async (request, reply) => {
      const auth = authenticate(request, reply);
      if (!auth) return reply;
      const { account, region } = auth;
      const data = account.patients.map((p) => deps.readings.connection(p, account.glucoseUnits, account.country));
      return withTicket(request, account, region, data);
    });

    for (const view of ['graph', 'logbook'] as const) {
      app.get(`${prefix}/llu/connections/:patientId/${view}`, async (request, reply) => {
        const auth = authenticate(request, reply);
        if (!auth) return reply;
        const { account, region } = auth;
        const { patientId } = request.params as { patientId: string };
        const patient = account.patients.find((p) => p.patientId === patientId);
        // Unknown patient: status 4 "couldNotLoadPatient" (pylibrelinkup fixture patient_not_found.json).
        if (!patient) return { error: { message: 'couldNotLoadPatient' }, status: 4 };
        const units = account.glucoseUnits;
        if (view === 'logbook') return withTicket(request, account, region, deps.readings.logbook(patient, units));
        const sensor = deps.readings.sensor(patient);
        return withTicket(request, account, region, {
          connection: deps.readings.connection(patient, units, account.country),
          activeSensors: [{ sensor, device: deps.readings.patientDevice(patient) }],
          graphData: deps.readings.graph(patient, units),
        });
      });
    }
  }
}
