/**
 * `/__sim/` HTTP controls of the Dexcom simulator, for driving it from another process (demos, the CLI).
 * Not part of Dexcom's API. Each route calls the same function the in-process control object exposes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SIM_PREFIX } from '../harness.js';
import type { DexcomSimulator, EventInput } from './index.js';

type Controls = Omit<DexcomSimulator, 'baseUrl'>;

/** Run a control; a thrown Error (unknown user, bad time) becomes a 400 that says what was wrong. */
async function attempt(reply: FastifyReply, fn: () => unknown): Promise<unknown> {
  try {
    return (await fn()) ?? { ok: true };
  } catch (error) {
    return reply.code(400).send({ error: error instanceof Error ? error.message : String(error) });
  }
}

export function registerDexcomControls(
  app: FastifyInstance,
  sim: Controls,
  settings: () => { dataDelayMs: number; hourlyCallLimit: number },
): void {
  const body = (raw: unknown): Record<string, unknown> => (raw ?? {}) as Record<string, unknown>;
  const str = (v: unknown, name: string): string => {
    if (typeof v !== 'string' || v === '') throw new Error(`${name} (string) is required`);
    return v;
  };
  const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

  app.get(`${SIM_PREFIX}/state`, async () => ({
    ...settings(),
    usernames: sim.usernames,
    clients: sim.clients.map((c) => ({ clientId: c.clientId, callsThisHour: sim.callsThisHour(c.clientId) })),
    now: new Date(sim.now()).toISOString(),
  }));

  app.post(`${SIM_PREFIX}/tokens/issue`, async (req, reply) =>
    attempt(reply, () => {
      const b = body(req.body);
      return sim.issueTokens(str(b.username, 'username'), optStr(b.clientId));
    }),
  );
  app.post(`${SIM_PREFIX}/tokens/expire`, async (req) => ({ expired: sim.expireAccessTokens(optStr(body(req.body).username)) }));
  app.post(`${SIM_PREFIX}/tokens/revoke`, async (req) => ({ revoked: sim.revokeRefreshTokens(optStr(body(req.body).username)) }));

  app.post(`${SIM_PREFIX}/data-delay`, async (req, reply) =>
    attempt(reply, () => {
      const ms = body(req.body).ms;
      if (typeof ms !== 'number' || ms < 0) throw new Error('body must be {"ms": <non-negative number>}');
      sim.setDataDelay(ms);
    }),
  );
  app.post(`${SIM_PREFIX}/rate-limit`, async (req, reply) =>
    attempt(reply, () => {
      const limit = body(req.body).hourlyCallLimit;
      if (typeof limit !== 'number' || limit < 0) throw new Error('body must be {"hourlyCallLimit": <non-negative number>}');
      sim.setHourlyCallLimit(limit);
    }),
  );

  // EGVs are addressed by user + systemTime (epoch ms or ISO; zone-less means UTC).
  app.post(`${SIM_PREFIX}/egvs`, async (req, reply) =>
    attempt(reply, () => {
      const { username, systemTime, ...patch } = body(req.body);
      return sim.putEgv(str(username, 'username'), systemTime as number | string, patch);
    }),
  );
  app.post(`${SIM_PREFIX}/egvs/delete`, async (req, reply) =>
    attempt(reply, () => {
      const b = body(req.body);
      return { deleted: sim.deleteEgv(str(b.username, 'username'), b.systemTime as number | string) };
    }),
  );

  app.post(`${SIM_PREFIX}/events`, async (req, reply) =>
    attempt(reply, () => {
      const { username, ...event } = body(req.body);
      return { key: sim.addEvent(str(username, 'username'), event as unknown as EventInput) };
    }),
  );
  app.post(`${SIM_PREFIX}/events/update`, async (req, reply) =>
    attempt(reply, () => {
      const { username, key, ...patch } = body(req.body);
      return sim.updateEvent(str(username, 'username'), str(key, 'key'), patch);
    }),
  );
  app.post(`${SIM_PREFIX}/events/delete`, async (req, reply) =>
    attempt(reply, () => {
      const b = body(req.body);
      return sim.deleteEvent(str(b.username, 'username'), str(b.key, 'key'));
    }),
  );
}
