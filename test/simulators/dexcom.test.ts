import t from 'tap';
import { startDexcomSimulator, type DexcomSimulator } from '../../src/simulators/dexcom/index.js';

// A fixed clock makes every number below reproducible.
const NOW = Date.UTC(2025, 1, 6, 12, 0, 0);
const CLIENT = { client_id: 'sim-client-id', client_secret: 'sim-client-secret' };
const REDIRECT = 'http://127.0.0.1:9/callback';

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function login(sim: DexcomSimulator, params: Record<string, string> = {}): Promise<URL> {
  const query = new URLSearchParams({
    client_id: CLIENT.client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'offline_access',
    state: 'xyz-123',
    ...params,
  });
  const res = await fetch(`${sim.baseUrl}/v2/oauth2/login?${query}`, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`login answered ${res.status}`);
  return new URL(res.headers.get('location') ?? '');
}

const get = (sim: DexcomSimulator, path: string, token: string): Promise<Response> =>
  fetch(`${sim.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

t.test('dexcom simulator', async (t) => {
  const sim = await startDexcomSimulator({ now: () => NOW });
  t.teardown(() => sim.close());
  t.match(sim.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

  t.test('authorization code → token → refresh → reused refresh token is invalid_grant', async (t) => {
    const back = await login(sim, { login_hint: 'SandboxUser7' });
    t.equal(back.origin + back.pathname, REDIRECT);
    t.equal(back.searchParams.get('state'), 'xyz-123');
    const code = back.searchParams.get('code') ?? '';
    t.ok(code.length >= 20, 'a code is issued');

    const tokenRes = await fetch(`${sim.baseUrl}/v2/oauth2/token`, form({ ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT }));
    t.equal(tokenRes.status, 200);
    const tokens = (await tokenRes.json()) as Record<string, unknown>;
    t.same(Object.keys(tokens).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
    t.equal(tokens.expires_in, 7200);
    t.equal(tokens.token_type, 'Bearer');

    const again = await fetch(`${sim.baseUrl}/v2/oauth2/token`, form({ ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT }));
    t.equal(again.status, 400, 'a code works once');
    t.same(await again.json(), { error: 'invalid_grant' });

    const refresh = (rt: string) => fetch(`${sim.baseUrl}/v2/oauth2/token`, form({ ...CLIENT, grant_type: 'refresh_token', refresh_token: rt, redirect_uri: REDIRECT }));
    const refreshed = await refresh(String(tokens.refresh_token));
    t.equal(refreshed.status, 200);
    const next = (await refreshed.json()) as Record<string, unknown>;
    t.not(next.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
    t.not(next.access_token, tokens.access_token);

    const reused = await refresh(String(tokens.refresh_token));
    t.equal(reused.status, 400);
    t.same(await reused.json(), { error: 'invalid_grant' });

    const wrongSecret = await fetch(`${sim.baseUrl}/v2/oauth2/token`, form({ ...CLIENT, client_secret: 'nope', grant_type: 'refresh_token', refresh_token: String(next.refresh_token) }));
    t.equal(wrongSecret.status, 401);
    t.same(await wrongSecret.json(), { error: 'invalid_client' });

    const egvs = await get(sim, '/v3/users/self/devices', String(next.access_token));
    const devices = (await egvs.json()) as { records: Array<{ transmitterGeneration: string }> };
    t.equal(devices.records[0]?.transmitterGeneration, 'g7', 'login_hint chose SandboxUser7');

    t.equal(sim.revokeRefreshTokens('SandboxUser7'), 1);
    const revoked = await refresh(String(next.refresh_token));
    t.same([revoked.status, await revoked.json()], [400, { error: 'invalid_grant' }]);
  });

  t.test('login errors go back to the redirect URI with the state', async (t) => {
    const scope = await login(sim, { scope: 'egv' });
    t.equal(scope.searchParams.get('error'), 'invalid_scope');
    t.equal(scope.searchParams.get('state'), 'xyz-123');
    const denied = await login(sim, { login_hint: 'deny' });
    t.equal(denied.searchParams.get('error'), 'access_denied');
    const unknown = await fetch(`${sim.baseUrl}/v2/oauth2/login?client_id=nobody&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=offline_access`, { redirect: 'manual' });
    t.equal(unknown.status, 400, 'an unknown client is not redirected');
  });

  const { access_token: token } = sim.issueTokens('SandboxUser1');

  t.test('egvs window validation', async (t) => {
    const cases: Array<[string, string]> = [
      ['missing both', ''],
      ['missing endDate', '?startDate=2025-02-06T09:00:00'],
      ['Z suffix', '?startDate=2025-02-06T09:00:00Z&endDate=2025-02-06T10:00:00Z'],
      ['offset suffix', '?startDate=2025-02-06T09:00:00%2B01:00&endDate=2025-02-06T10:00:00'],
      ['more than 30 days', '?startDate=2025-01-01T00:00:00&endDate=2025-01-31T00:00:01'],
      ['end before start', '?startDate=2025-02-06T10:00:00&endDate=2025-02-06T09:00:00'],
    ];
    for (const [name, query] of cases) {
      const res = await get(sim, `/v3/users/self/egvs${query}`, token);
      t.equal(res.status, 400, name);
      const body = (await res.json()) as { error: string; message: string };
      t.equal(body.error, 'invalid_request', `${name}: error code`);
    }
    const thirty = await get(sim, '/v3/users/self/egvs?startDate=2025-01-01T00:00:00&endDate=2025-01-31T00:00:00', token);
    t.equal(thirty.status, 200, 'exactly 30 days is allowed');
    const body = (await thirty.json()) as { records: unknown[] };
    t.equal(body.records.length, 30 * 288, '288 readings a day at 5-minute spacing');
  });

  t.test('egvs envelope and record fields', async (t) => {
    const res = await get(sim, '/v3/users/self/egvs?startDate=2025-02-06T10:00:00&endDate=2025-02-06T11:00:00', token);
    t.equal(res.status, 200);
    const body = (await res.json()) as { recordType: string; recordVersion: string; userId: string; records: Array<Record<string, unknown>> };
    t.equal(body.recordType, 'egv');
    t.equal(body.recordVersion, '3.0');
    t.match(body.userId, /^[0-9a-f]{64}$/);
    t.equal(body.records.length, 12);
    const first = body.records[0] ?? {};
    t.same(Object.keys(first).sort(), [
      'displayDevice', 'displayTime', 'rateUnit', 'recordId', 'status', 'systemTime', 'transmitterGeneration',
      'transmitterId', 'transmitterTicks', 'trend', 'trendRate', 'unit', 'value',
    ]);
    t.match(first.recordId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // SandboxUser1 uses the iOS app at UTC-8: both times carry offsets, displayTime 8 h behind.
    t.match(first.systemTime, /^2025-02-06T10:\d{2}:\d{2}\+00:00$/);
    const sys = Date.parse(String(first.systemTime));
    t.equal(Date.parse(String(first.displayTime)), sys, 'displayTime is the same instant in local time');
    t.match(first.displayTime, /^2025-02-06T02:\d{2}:\d{2}-08:00$/);
    t.equal(first.unit, 'mg/dL');
    t.equal(first.rateUnit, 'mg/dL/min');
    t.equal(first.displayDevice, 'iOS');
    t.equal(first.transmitterGeneration, 'g6');
    t.match(first.transmitterId, /^[0-9a-f]{64}$/);
    const times = body.records.map((r) => Date.parse(String(r.systemTime)));
    t.same(times, [...times].sort((a, b) => b - a), 'newest first');
    t.equal(times[0]! - times[1]!, 300_000, '5-minute spacing');
    for (const r of body.records) {
      t.ok(r.value === null || (Number.isInteger(r.value) && (r.value as number) >= 40 && (r.value as number) <= 400), 'value is an integer in 40–400 or null');
      t.ok(['ok', 'high', 'low', 'unknown'].includes(String(r.status)));
    }
    const receiverToken = sim.issueTokens('SandboxUser3').access_token;
    const receiver = (await (await get(sim, '/v3/users/self/egvs?startDate=2025-02-06T10:00:00&endDate=2025-02-06T10:10:00', receiverToken)).json()) as { records: Array<{ systemTime: string; displayTime: string }> };
    t.match(receiver.records[0]?.systemTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'receiver records carry no offset');
    t.match(receiver.records[0]?.displayTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });

  t.test('the same seed and clock give the same values', async (t) => {
    const other = await startDexcomSimulator({ now: () => NOW });
    t.teardown(() => other.close());
    const q = '/v3/users/self/egvs?startDate=2025-02-05T00:00:00&endDate=2025-02-06T00:00:00';
    const a = (await (await get(sim, q, token)).json()) as { records: Array<{ value: number | null }> };
    const b = (await (await get(other, q, other.issueTokens('SandboxUser1').access_token)).json()) as typeof a;
    t.same(a.records.map((r) => r.value), b.records.map((r) => r.value));
    t.equal(a.records.length, 288);
  });

  t.test('revisions keep the recordId; deletions remove the record; events honour deletes', async (t) => {
    const q = '/v3/users/self/egvs?startDate=2025-02-06T11:00:00&endDate=2025-02-06T11:30:00';
    const before = (await (await get(sim, q, token)).json()) as { records: Array<{ recordId: string; systemTime: string; value: number }> };
    const target = before.records[2]!;
    sim.putEgv('SandboxUser1', target.systemTime, { value: 222 });
    const after = (await (await get(sim, q, token)).json()) as typeof before;
    const revised = after.records.find((r) => r.recordId === target.recordId);
    t.equal(revised?.value, 222);
    t.equal(after.records.length, before.records.length);
    t.ok(sim.deleteEgv('SandboxUser1', target.systemTime));
    const gone = (await (await get(sim, q, token)).json()) as typeof before;
    t.equal(gone.records.length, before.records.length - 1);

    const key = sim.addEvent('SandboxUser1', { time: '2025-02-06T11:15:00', eventType: 'carbs', value: 45 });
    const eq = '/v3/users/self/events?startDate=2025-02-06T11:00:00&endDate=2025-02-06T11:30:00';
    const events = (await (await get(sim, eq, token)).json()) as { recordType: string; records: Array<Record<string, unknown>> };
    t.equal(events.recordType, 'event');
    const added = events.records.find((r) => r.recordId === sim.recordIdFor('SandboxUser1', key));
    t.same([added?.eventType, added?.value, added?.unit, added?.eventStatus], ['carbs', '45', 'grams', 'created']);
    sim.deleteEvent('SandboxUser1', key);
    const deleted = (await (await get(sim, eq, token)).json()) as typeof events;
    t.equal(deleted.records.find((r) => r.recordId === added?.recordId)?.eventStatus, 'deleted');
  });

  t.test('dataRange with and without lastSyncTime', async (t) => {
    const range = (await (await get(sim, '/v3/users/self/dataRange', token)).json()) as Record<string, { start: { systemTime: string | null }; end: { systemTime: string | null } }>;
    t.equal(range.recordType as unknown, 'dataRange');
    t.ok(NOW - Date.parse(range.egvs!.end.systemTime!) < 300_000, 'egvs end within one interval of now');
    t.equal(range.calibrations!.start.systemTime, null);
    const since = new Date(NOW).toISOString().slice(0, 19);
    const nothingNew = (await (await get(sim, `/v3/users/self/dataRange?lastSyncTime=${since}`, token)).json()) as typeof range;
    t.equal(nothingNew.egvs!.end.systemTime, null, 'no data arrived after lastSyncTime');
    sim.advanceClock(10 * 60_000);
    const twoNew = (await (await get(sim, `/v3/users/self/dataRange?lastSyncTime=${since}`, token)).json()) as typeof range;
    const span = Date.parse(twoNew.egvs!.end.systemTime!) - Date.parse(twoNew.egvs!.start.systemTime!);
    t.equal(span, 300_000, 'two readings arrived in ten minutes');
    sim.advanceClock(-10 * 60_000);
  });

  t.test('data delay hides recent readings', async (t) => {
    sim.setDataDelay(3 * 3_600_000);
    t.teardown(() => sim.setDataDelay(0));
    const body = (await (await get(sim, '/v3/users/self/egvs?startDate=2025-02-06T06:00:00&endDate=2025-02-06T12:00:00', token)).json()) as { records: Array<{ systemTime: string }> };
    const latest = Date.parse(body.records[0]!.systemTime);
    t.ok(latest <= NOW - 3 * 3_600_000 && latest > NOW - 3 * 3_600_000 - 300_000);
  });

  t.test('expired access token → 401; hourly budget → 429 with Retry-After', async (t) => {
    const pair = sim.issueTokens('SandboxUser2');
    t.equal((await get(sim, '/v3/users/self/devices', pair.access_token)).status, 200);
    sim.expireAccessTokens('SandboxUser2');
    const expired = await get(sim, '/v3/users/self/devices', pair.access_token);
    t.equal(expired.status, 401);
    t.match(await expired.json(), { fault: { detail: { errorcode: 'keymanagement.service.access_token_expired' } } });
    t.equal((await fetch(`${sim.baseUrl}/v3/users/self/devices`)).status, 401, 'no token');

    const limited = await startDexcomSimulator({ now: () => NOW + 15 * 60_000, hourlyCallLimit: 2 });
    t.teardown(() => limited.close());
    const tk = limited.issueTokens('SandboxUser1').access_token;
    t.equal((await get(limited, '/v3/users/self/devices', tk)).status, 200);
    t.equal((await get(limited, '/v3/users/self/devices', tk)).status, 200);
    const over = await get(limited, '/v3/users/self/devices', tk);
    t.equal(over.status, 429);
    t.equal(over.headers.get('retry-after'), String(45 * 60), 'retry when the hour window ends');
    limited.advanceClock(45 * 60_000);
    t.equal((await get(limited, '/v3/users/self/devices', tk)).status, 200, 'a new hour, a new budget');
  });

  t.test('injected failures and call log', async (t) => {
    sim.resetCalls();
    sim.injectFailures({ status: 503, count: 2, pathPrefix: '/v3/', retryAfterSeconds: 7 });
    const first = await get(sim, '/v3/users/self/devices', token);
    t.same([first.status, first.headers.get('retry-after')], [503, '7']);
    t.equal((await get(sim, '/v3/users/self/devices', token)).status, 503);
    t.equal((await get(sim, '/v3/users/self/devices', token)).status, 200);
    t.equal(sim.callCount('/v3/users/self/devices'), 3);
    t.equal(sim.lastRequest()?.headers.authorization, `Bearer ${token}`);

    const viaHttp = await fetch(`${sim.baseUrl}/__sim/failures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'timeout', pathPrefix: '/v3/' }) });
    t.equal(viaHttp.status, 200);
    const aborted = await fetch(`${sim.baseUrl}/v3/users/self/devices`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(500) })
      .then(() => 'answered', (e: Error) => e.name);
    t.equal(aborted, 'TimeoutError', 'the request hangs until the client gives up');
  });
});

