import t from 'tap';
import {
  DEFAULT_PASSWORD,
  lluTimestamp,
  sha256Hex,
  startLibreLinkUpSimulator,
} from '../../src/simulators/libre-link-up/index.js';

const NOW = Date.UTC(2025, 9, 20, 14, 0, 0);
const HEADERS = { product: 'llu.android', version: '4.16.0', 'content-type': 'application/json' };
const TIMESTAMP = /^(1[0-2]|[1-9])\/([1-9]|[12]\d|3[01])\/\d{4} (1[0-2]|[1-9]):[0-5]\d:[0-5]\d (AM|PM)$/;

/** Parse `12/30/2022 4:47:40 PM` as if it were UTC. */
function parseLlu(text: string): number {
  const m = /^(\d+)\/(\d+)\/(\d+) (\d+):(\d+):(\d+) (AM|PM)$/.exec(text);
  if (!m) throw new Error(`not an LLU timestamp: ${text}`);
  const hour = (Number(m[4]) % 12) + (m[7] === 'PM' ? 12 : 0);
  return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), hour, Number(m[5]), Number(m[6]));
}

t.test('timestamp format', async (t) => {
  t.equal(lluTimestamp(Date.UTC(2022, 11, 30, 16, 47, 40)), '12/30/2022 4:47:40 PM');
  t.equal(lluTimestamp(Date.UTC(2023, 0, 5, 0, 3, 9)), '1/5/2023 12:03:09 AM');
  t.equal(lluTimestamp(Date.UTC(2023, 6, 4, 12, 0, 0)), '7/4/2023 12:00:00 PM');
});

t.test('librelinkup simulator', async (t) => {
  const sim = await startLibreLinkUpSimulator({ now: () => NOW });
  t.teardown(() => sim.close());

  const post = (base: string, body: unknown, headers: Record<string, string> = HEADERS) =>
    fetch(`${base}/llu/auth/login`, { method: 'POST', headers, body: JSON.stringify(body) });
  const login = async (base: string, email: string) => (await (await post(base, { email, password: DEFAULT_PASSWORD })).json()) as any;
  const authed = (token: string, accountId: string | undefined): Record<string, string> => ({
    ...HEADERS,
    authorization: `Bearer ${token}`,
    ...(accountId === undefined ? {} : { 'account-id': accountId }),
  });

  t.test('region redirect, then login on the regional host', async (t) => {
    const redirect = await login(sim.baseUrl, 'de-follower@example.com');
    t.same(redirect, { status: 0, data: { redirect: true, region: 'de' } });
    t.equal(sim.regionBaseUrl('de'), `${sim.baseUrl}/de`);
    t.equal(sim.regionUrlTemplate.replace('{region}', 'de'), sim.regionBaseUrl('de'));

    const ok = await login(sim.regionBaseUrl(redirect.data.region), 'de-follower@example.com');
    t.equal(ok.status, 0);
    t.equal(ok.data.user.id, sim.accounts[1]!.id);
    t.equal(ok.data.user.country, 'DE');
    t.equal(ok.data.authTicket.duration, 15_552_000_000);
    t.equal(ok.data.authTicket.expires, Math.floor((NOW + 15_552_000_000) / 1000));
    t.match(ok.data.authTicket.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    const claims = JSON.parse(Buffer.from(ok.data.authTicket.token.split('.')[1], 'base64url').toString());
    t.same([claims.id, claims.region], [ok.data.user.id, 'de']);

    const country = (await (await fetch(`${sim.baseUrl}/llu/config/country?country=DE`, { headers: HEADERS })).json()) as any;
    t.equal(country.data.regionalMap.de.lslApi, sim.regionBaseUrl('de'));
    t.equal((await fetch(`${sim.baseUrl}/xx/llu/connections`, { headers: HEADERS })).status, 404, 'unknown region');
  });

  t.test('wrong password is HTTP 200 with status 2', async (t) => {
    const res = await post(sim.baseUrl, { email: 'us-follower@example.com', password: 'wrong' });
    t.equal(res.status, 200);
    t.same(await res.json(), { status: 2, error: { message: 'notAuthenticated' } });
  });

  t.test('client headers: old version → 403 status 920; missing product → 400', async (t) => {
    const old = await post(sim.baseUrl, { email: 'us-follower@example.com', password: DEFAULT_PASSWORD }, { ...HEADERS, version: '4.12.0' });
    t.equal(old.status, 403);
    t.same(await old.json(), { data: { minimumVersion: '4.16.0' }, status: 920 });
    const numeric = await post(sim.baseUrl, { email: 'us-follower@example.com', password: DEFAULT_PASSWORD }, { ...HEADERS, version: '4.9.0' });
    t.equal(numeric.status, 403, '4.9.0 is older than 4.16.0 although "9" > "1"');
    t.equal((await post(sim.baseUrl, {}, { ...HEADERS, version: '4.17.1' })).status, 200, 'newer versions pass');
    const { product: _product, ...noProduct } = HEADERS;
    const missing = await post(sim.baseUrl, { email: 'us-follower@example.com', password: DEFAULT_PASSWORD }, noProduct);
    t.same([missing.status, await missing.json()], [400, { message: 'RequiredHeaderMissing' }]);
  });

  t.test('Account-Id and ticket rules; connections, graph, logbook', async (t) => {
    const ok = await login(sim.regionBaseUrl('de'), 'de-follower@example.com');
    const token = ok.data.authTicket.token as string;
    const base = sim.regionBaseUrl('de');
    const accountId = sha256Hex(ok.data.user.id);
    t.equal(accountId, sim.accounts[1]!.accountIdHash);

    const missing = await fetch(`${base}/llu/connections`, { headers: authed(token, undefined) });
    t.same([missing.status, await missing.json()], [400, { message: 'RequiredHeaderMissing' }]);
    t.equal((await fetch(`${base}/llu/connections`, { headers: authed(token, sha256Hex('someone else')) })).status, 403);
    const noBearer = await fetch(`${base}/llu/connections`, { headers: { ...HEADERS, 'account-id': accountId } });
    t.equal(noBearer.status, 401);
    const otherRegion = await fetch(`${sim.baseUrl}/llu/connections`, { headers: authed(token, accountId) });
    t.equal(otherRegion.status, 401, 'a de ticket is not valid on the global host');

    const connections = (await (await fetch(`${base}/llu/connections`, { headers: authed(token, accountId) })).json()) as any;
    t.equal(connections.status, 0);
    t.same(connections.data.map((c: any) => c.firstName), ['Jonas', 'Lena']);
    t.ok(connections.ticket.token, 'a renewed ticket rides along');
    const jonas = connections.data[0];
    t.equal(jonas.glucoseMeasurement.type, 1);
    t.ok([1, 2, 3, 4, 5].includes(jonas.glucoseMeasurement.TrendArrow));

    const graph = (await (await fetch(`${base}/llu/connections/${jonas.patientId}/graph`, { headers: authed(token, accountId) })).json()) as any;
    const points = graph.data.graphData as any[];
    t.ok(points.length >= 143 && points.length <= 145, `about 12 h at 5 min (${points.length})`);
    t.same(Object.keys(points[0]).sort(), ['FactoryTimestamp', 'GlucoseUnits', 'MeasurementColor', 'Timestamp', 'Value', 'ValueInMgPerDl', 'isHigh', 'isLow', 'type']);
    for (const p of points) {
      t.match(p.FactoryTimestamp, TIMESTAMP);
      t.equal(parseLlu(p.Timestamp) - parseLlu(p.FactoryTimestamp), 60 * 60_000, 'Timestamp is local (UTC+1), Factory is UTC');
    }
    const times = points.map((p) => parseLlu(p.FactoryTimestamp));
    t.same(times, [...times].sort((a, b) => a - b), 'oldest first');
    t.equal(times[1]! - times[0]!, 300_000);
    t.ok(NOW - times.at(-1)! < 300_000 && NOW - times[0]! <= 12 * 3_600_000);
    t.same([points[0].type, points[0].GlucoseUnits, points[0].Value], [0, 1, points[0].ValueInMgPerDl]);
    const current = graph.data.connection.glucoseMeasurement;
    t.ok(NOW - parseLlu(current.FactoryTimestamp) < 60_000, 'current reading is under a minute old');
    t.equal(graph.data.activeSensors.length, 1);

    sim.putReading(jonas.patientId, times[5]!, 333);
    const revised = (await (await fetch(`${base}/llu/connections/${jonas.patientId}/graph`, { headers: authed(token, accountId) })).json()) as any;
    t.equal(revised.data.graphData[5].ValueInMgPerDl, 333);
    t.equal(revised.data.graphData[5].MeasurementColor, 3);

    const logbook = (await (await fetch(`${base}/llu/connections/${jonas.patientId}/logbook`, { headers: authed(token, accountId) })).json()) as any;
    t.ok(logbook.data.length > 0);
    for (const e of logbook.data) t.ok(e.type === 1 && (e.ValueInMgPerDl < 70 || e.ValueInMgPerDl > 240) && e.TrendArrow >= 1);
    const lt = logbook.data.map((e: any) => parseLlu(e.FactoryTimestamp));
    t.same(lt, [...lt].sort((a, b) => b - a), 'newest first');

    const unknown = (await (await fetch(`${base}/llu/connections/00000000-0000-4000-8000-000000000000/graph`, { headers: authed(token, accountId) })).json()) as any;
    t.same(unknown, { error: { message: 'couldNotLoadPatient' }, status: 4 });

    t.equal(sim.expireTokens('de-follower@example.com') > 0, true);
    const expired = await fetch(`${base}/llu/connections`, { headers: authed(token, accountId) });
    t.same([expired.status, await expired.json()], [401, { message: 'invalid or expired jwt' }]);
    const again = await login(base, 'de-follower@example.com');
    t.equal((await fetch(`${base}/llu/connections`, { headers: authed(again.data.authTicket.token, accountId) })).status, 200, 'a new login works');
  });

  t.test('mmol/L account', async (t) => {
    const ok = await login(sim.regionBaseUrl('eu'), 'eu-follower@example.com');
    const headers = authed(ok.data.authTicket.token, sha256Hex(ok.data.user.id));
    const connections = (await (await fetch(`${sim.regionBaseUrl('eu')}/llu/connections`, { headers })).json()) as any;
    const m = connections.data[0].glucoseMeasurement;
    t.equal(m.GlucoseUnits, 0);
    t.equal(m.Value, Math.round((m.ValueInMgPerDl / 18) * 10) / 10);
  });

  t.test('terms-of-use step surfaces as status 4 and its ticket reads nothing', async (t) => {
    const step = await login(sim.baseUrl, 'tou-follower@example.com');
    t.equal(step.status, 4);
    t.same(step.data.step, { type: 'tou', componentName: 'AcceptDocument', props: { reaccept: true, titleKey: 'Common.termsOfUse', type: 'tou' } });
    t.equal(step.data.authTicket.duration, 3_600_000);
    const id = sim.accounts[3]!.id;
    const res = await fetch(`${sim.baseUrl}/llu/connections`, { headers: authed(step.data.authTicket.token, sha256Hex(id)) });
    t.equal(res.status, 401);
    sim.setPendingStep('tou-follower@example.com', null);
    t.equal((await login(sim.baseUrl, 'tou-follower@example.com')).status, 0, 'accepted in the app → login works');
  });

  t.test('controls over HTTP', async (t) => {
    const state = (await (await fetch(`${sim.baseUrl}/__sim/state`)).json()) as any;
    t.equal(state.minimumVersion, '4.16.0');
    t.equal(state.accounts.length, 4);
    const set = await fetch(`${sim.baseUrl}/__sim/minimum-version`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: '4.17.0' }) });
    t.equal(set.status, 200);
    t.equal((await post(sim.baseUrl, {})).status, 403, '4.16.0 is now too old');
    sim.setMinimumVersion('4.16.0');
    sim.injectFailures({ status: 430, pathPrefix: '/llu/auth/login' });
    t.equal((await post(sim.baseUrl, {})).status, 430, 'LibreView answers 430 to too many logins');
    t.equal(sim.lastRequest('/llu/auth/login')?.statusCode, 430);
  });
});
