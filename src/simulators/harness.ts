/**
 * What the three simulators share: a Fastify app on loopback, a steerable clock, injected failures, a log of the
 * requests the service made, and the `/__sim/` routes that drive those from outside the process.
 *
 * `/__sim/` is deliberately no provider's path: everything under it is a test control, never part of an API.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FAULT_KINDS, sendFault, type FaultKind } from './faults.js';

export const SIM_PREFIX = '/__sim';

export { FAULT_KINDS, type FaultKind } from './faults.js';

export interface FailureSpec {
  /** HTTP status to answer with (500, 502, 503, 429…), or a broken answer (FaultKind). */
  status: number | FaultKind;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** Only requests whose path starts with this fail (default: every provider request). */
  pathPrefix?: string;
  /** Sent as Retry-After on 429/503. */
  retryAfterSeconds?: number;
  /** How many matching requests succeed before the failures start (default 0), e.g. to fail a sync half-way. */
  after?: number;
  /** Size of a 'huge' or 'huge-declared' body (default 200 MB). */
  hugeBytes?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  path: string;
  /** The route pattern that matched, e.g. `/llu/connections/:patientId/graph`. */
  route: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  statusCode: number | undefined;
  at: number;
  /** Body bytes a streamed fault ('slow', 'truncated', 'huge'…) got onto the wire before it ended or the client left. */
  bytesSent?: number;
}

export interface HarnessOptions {
  /** Wall clock; the harness adds the offset that `advanceClock` accumulates. */
  now?: () => number;
  logger?: boolean;
  /** How long a 'timeout' failure holds the socket before dropping it (default 60 s). */
  hangMs?: number;
  /** Body of an injected failure, so each simulator can answer in its provider's error shape. */
  failureBody?: (status: number) => unknown;
  /** How many requests the log keeps (default 500). */
  maxRecorded?: number;
}

export interface Harness {
  app: FastifyInstance;
  now(): number;
  advanceClock(ms: number): void;
  injectFailures(spec: FailureSpec): void;
  clearFailures(): void;
  /** Every provider request is answered this many milliseconds late (default 0): a real API's latency. */
  setLatency(ms: number): void;
  /** Requests the service made (test-control calls excluded), oldest first. */
  requests(pathPrefix?: string): RecordedRequest[];
  lastRequest(pathPrefix?: string): RecordedRequest | undefined;
  callCount(pathPrefix?: string): number;
  resetCalls(): void;
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

/** The test controls every simulator offers (its own interface adds the provider's). */
export type SimulatorControls = Pick<Harness, 'now' | 'advanceClock' | 'injectFailures' | 'clearFailures' | 'setLatency' | 'requests' | 'lastRequest' | 'callCount' | 'resetCalls'>;

export function controlsOf(h: Harness): SimulatorControls {
  const { now, advanceClock, injectFailures, clearFailures, setLatency, requests, lastRequest, callCount, resetCalls } = h;
  return { now, advanceClock, injectFailures, clearFailures, setLatency, requests, lastRequest, callCount, resetCalls };
}

interface PendingFailure {
  status: number | FaultKind;
  /** Matching requests still to let through before failing. */
  skip: number;
  remaining: number;
  pathPrefix: string;
  retryAfterSeconds: number | undefined;
  hugeBytes: number;
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const wallClock = options.now ?? Date.now;
  let clockOffset = 0;
  const now = (): number => wallClock() + clockOffset;
  const hangMs = options.hangMs ?? 60_000;
  const maxRecorded = options.maxRecorded ?? 500;
  const failures: PendingFailure[] = [];
  const recorded: RecordedRequest[] = [];
  let totalCalls: RecordedRequest[] = [];
  const hanging = new Set<NodeJS.Timeout>();
  const entryOf = new WeakMap<FastifyRequest, RecordedRequest>();
  let latencyMs = 0;

  // forceCloseConnections: close() must not wait for keep-alive sockets or for requests we chose to hang.
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });

  const isControl = (url: string): boolean => url.startsWith(SIM_PREFIX);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (isControl(request.url)) return;
    const path = request.url.split('?')[0] ?? request.url;
    const entry: RecordedRequest = {
      method: request.method,
      url: request.url,
      path,
      route: request.routeOptions.url,
      headers: { ...request.headers },
      body: undefined,
      statusCode: undefined,
      at: now(),
    };
    entryOf.set(request, entry);
    recorded.push(entry);
    totalCalls.push(entry);
    if (recorded.length > maxRecorded) recorded.shift();
    if (totalCalls.length > maxRecorded) totalCalls = totalCalls.slice(-maxRecorded);

    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const failure = failures.find((f) => f.remaining > 0 && path.startsWith(f.pathPrefix));
    if (!failure) return;
    if (failure.skip > 0) {
      failure.skip -= 1;
      return;
    }
    failure.remaining -= 1;
    if (typeof failure.status === 'string') {
      // Written on the raw socket: Fastify would fix the very things these faults get wrong (lengths, types).
      reply.hijack();
      const hang = (): void => {
        // The socket is dropped after hangMs (or at close) so nothing leaks past the test.
        const timer = setTimeout(() => {
          hanging.delete(timer);
          request.raw.socket.destroy();
        }, hangMs);
        hanging.add(timer);
      };
      sendFault(failure.status, reply.raw, entry, failure.hugeBytes, hang);
      return reply;
    }
    if (failure.retryAfterSeconds !== undefined) reply.header('retry-after', String(failure.retryAfterSeconds));
    return reply.code(failure.status).send(options.failureBody?.(failure.status) ?? { error: 'simulated failure' });
  });

  app.addHook('preHandler', async (request) => {
    const entry = entryOf.get(request);
    if (entry) entry.body = request.body;
  });

  app.addHook('onResponse', async (request, reply) => {
    const entry = entryOf.get(request);
    if (entry) entry.statusCode = reply.statusCode;
  });

  const matching = (pathPrefix?: string): RecordedRequest[] =>
    pathPrefix === undefined ? [...recorded] : recorded.filter((r) => r.path.startsWith(pathPrefix));

  const harness: Harness = {
    app,
    now,
    advanceClock(ms) {
      clockOffset += ms;
    },
    injectFailures(spec) {
      failures.push({
        status: spec.status,
        skip: spec.after ?? 0,
        remaining: spec.count ?? 1,
        pathPrefix: spec.pathPrefix ?? '/',
        retryAfterSeconds: spec.retryAfterSeconds,
        hugeBytes: spec.hugeBytes ?? 200 * 1024 * 1024,
      });
    },
    clearFailures() {
      failures.length = 0;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    requests: matching,
    lastRequest: (pathPrefix) => matching(pathPrefix).at(-1),
    callCount: (pathPrefix) =>
      pathPrefix === undefined ? totalCalls.length : totalCalls.filter((r) => r.path.startsWith(pathPrefix)).length,
    resetCalls() {
      recorded.length = 0;
      totalCalls = [];
    },
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('simulator did not bind a TCP port');
      return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    },
    async close() {
      for (const timer of hanging) clearTimeout(timer);
      hanging.clear();
      await app.close();
    },
  };

  registerCommonControls(harness);
  return harness;
}

/** `/__sim/calls`, `/__sim/failures`, `/__sim/clock`: the controls every simulator has. */
function registerCommonControls(h: Harness): void {
  const { app } = h;
  app.get(`${SIM_PREFIX}/calls`, async (request) => {
    const { pathPrefix } = request.query as { pathPrefix?: string };
    const requests = h.requests(pathPrefix);
    return { count: h.callCount(pathPrefix), last: requests.at(-1) ?? null, requests };
  });
  app.delete(`${SIM_PREFIX}/calls`, async () => {
    h.resetCalls();
    return { ok: true };
  });
  app.post(`${SIM_PREFIX}/failures`, async (request, reply) => {
    const spec = request.body as Partial<FailureSpec> | undefined;
    const status = spec?.status;
    const isFault = typeof status === 'string' && (FAULT_KINDS as readonly string[]).includes(status);
    if (!isFault && (typeof status !== 'number' || status < 400 || status > 599)) {
      return reply.code(400).send({ error: `status must be an HTTP error code (400–599) or one of ${FAULT_KINDS.join(', ')}` });
    }
    h.injectFailures({ ...spec, status: status as FailureSpec['status'] });
    return { ok: true };
  });
  app.delete(`${SIM_PREFIX}/failures`, async () => {
    h.clearFailures();
    return { ok: true };
  });
  app.get(`${SIM_PREFIX}/clock`, async () => ({ now: new Date(h.now()).toISOString(), epochMs: h.now() }));
  app.post(`${SIM_PREFIX}/clock`, async (request, reply) => {
    const { advanceMs } = (request.body ?? {}) as { advanceMs?: unknown };
    if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs)) {
      return reply.code(400).send({ error: 'body must be {"advanceMs": <number>}' });
    }
    h.advanceClock(advanceMs);
    return { now: new Date(h.now()).toISOString(), epochMs: h.now() };
  });
}


