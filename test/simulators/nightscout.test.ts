import { createHash } from 'node:crypto';
import t from 'tap';
import { negotiate, startNightscoutSimulator, type NsEntry } from '../../src/simulators/nightscout/index.js';

const NOW = Date.UTC(2025, 2, 10, 8, 30, 0);
const DAY = 86_400_000;
const DIRECTIONS = ['NONE', 'TripleUp', 'DoubleUp', 'SingleUp', 'FortyFiveUp', 'Flat', 'FortyFiveDown', 'SingleDown', 'DoubleDown', 'TripleDown', 'NOT COMPUTABLE', 'RATE OUT OF RANGE'];

t.test('content negotiation follows Express res.format', async (t) => {
  const offers = ['text/plain', 'text/csv', 'application/json'];
  t.equal(negotiate('*/*', offers), 'text/plain');
  t.equal(negotiate('application/json, text/plain, */*', offers), 'application/json', 'axios default');
  t.equal(negotiate('text/plain;q=0.5, application/json', offers), 'application/json');
  t.equal(negotiate('image/png', offers), undefined);
});

t.test('nightscout simulator', async (t) => {
  const sim = await startNightscoutSimulator({ now: () => NOW });
  t.teardown(() => sim.close());
  const secret = { 'api-secret': createHash('sha1').update(sim.apiSecret).digest('hex') };
  t.equal(secret['api-secret'], sim.apiSecretHash);
  const json = async (path: string, headers: Record<string, string> = secret) => {
    const res = await fetch(`${sim.baseUrl}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as any };
  };

  t.test('authentication', async (t) => {
    const unauthorized = { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' };
    t.same(await json('/api/v1/entries.json', {}), { status: 401, body: unauthorized });
    t.same(await json('/api/v1/status.json', {}), { status: 401, body: unauthorized }, 'status checks the secret too');
    t.equal((await json('/api/v1/entries.json', { 'api-secret': sim.apiSecret })).status, 401, 'the plain secret is not accepted');
    t.equal((await json('/api/v1/entries.json', { 'api-secret': 'f'.repeat(40) })).status, 401);
    t.equal((await json('/api/v1/entries.json')).status, 200);
    t.equal((await json('/api/v1/entries.json', { 'api-secret': sim.apiSecretHash.toUpperCase() })).status, 200, 'hex case does not matter');
    const token = sim.tokens['sim-reader']!;
    t.match(token, /^sim-reader-[0-9a-f]{16}$/);
    t.equal((await json(`/api/v1/entries.json?token=${token}`, {})).status, 200);
    t.equal((await json('/api/v1/entries.json', { authorization: `Bearer ${token}` })).status, 200);
    t.equal((await json('/api/v1/entries.json?token=sim-reader-0000000000000000', {})).status, 401);
    const write = await fetch(`${sim.baseUrl}/api/v1/entries?token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ type: 'sgv', sgv: 100, date: NOW }]) });
    t.equal(write.status, 401, 'a read token cannot write');

    const open = await startNightscoutSimulator({ now: () => NOW, authDefaultRoles: 'readable' });
    t.teardown(() => open.close());
    t.equal((await fetch(`${open.baseUrl}/api/v1/entries.json`)).status, 200, 'AUTH_DEFAULT_ROLES=readable');
  });

  t.test('status.json', async (t) => {
    const { status, body } = await json('/api/v1/status.json');
    t.equal(status, 200);
    t.same([body.status, body.name, body.serverTimeEpoch, body.serverTime, body.settings.units, body.apiEnabled], ['ok', 'nightscout', NOW, new Date(NOW).toISOString(), 'mg/dl', true]);
  });

  t.test('entries: newest first, count 10 by default, documented fields', async (t) => {
    const { body } = await json('/api/v1/entries.json');
    const list = body as NsEntry[];
    t.equal(list.length, 10);
    const dates = list.map((e) => e.date);
    t.same(dates, [...dates].sort((a, b) => b - a));
    t.ok(NOW - dates[0]! < 300_000, 'the newest reading is under 5 minutes old');
    const sgv = list.find((e) => e.type === 'sgv')!;
    t.equal(sgv.dateString, new Date(sgv.date).toISOString());
    t.ok(Number.isInteger(sgv.sgv) && sgv.sgv! >= 35 && sgv.sgv! <= 450);
    t.ok(DIRECTIONS.includes(String(sgv.direction)));
    t.equal(sgv.device, 'xDrip-DexcomG6');
    t.equal(typeof sgv.delta, 'number');
    t.equal(sgv.noise, 1);
    t.equal(list.filter((e) => e.type === 'sgv').length >= 9, true);
  });

  t.test('date filters', async (t) => {
    const recent = (await json('/api/v1/entries/sgv.json?count=3')).body as NsEntry[];
    const pivot = recent[1]!.date;
    const gt = (await json(`/api/v1/entries/sgv.json?find[date][$gt]=${pivot}`)).body as NsEntry[];
    t.same(gt.map((e) => e.date), [recent[0]!.date], '$gt excludes the pivot');
    const gte = (await json(`/api/v1/entries/sgv.json?find[date][$gte]=${pivot}`)).body as NsEntry[];
    t.same(gte.map((e) => e.date), [recent[0]!.date, pivot], '$gte includes it');

    const since = new Date(NOW - 3_600_000).toISOString();
    const byString = (await json(`/api/v1/entries/sgv.json?find[dateString][$gte]=${encodeURIComponent(since)}&count=1000`)).body as NsEntry[];
    t.equal(byString.length, 12, 'one hour of 5-minute readings');
    t.ok(byString.every((e) => e.dateString >= since));

    const range = (await json(`/api/v1/entries/sgv.json?find[date][$gte]=${NOW - DAY}&find[date][$lt]=${NOW - DAY + 3_600_000}&count=1000`)).body as NsEntry[];
    t.equal(range.length, 12);

    const unfiltered = (await json('/api/v1/entries.json?count=100000')).body as NsEntry[];
    const oldest = unfiltered.at(-1)!.date;
    t.ok(oldest >= NOW - 4 * DAY && oldest < NOW - 4 * DAY + 300_000, 'no date filter → only the last 4 days');
    const older = (await json(`/api/v1/entries.json?count=100000&find[date][$gte]=${NOW - 10 * DAY}`)).body as NsEntry[];
    t.ok(older.length > 2.4 * unfiltered.length, 'an explicit date filter reaches further back');
    t.ok(older.some((e) => e.type === 'mbg'), 'real sites mix entry types');
    const onlySgv = (await json(`/api/v1/entries/sgv.json?count=100000&find[date][$gte]=${NOW - 10 * DAY}`)).body as NsEntry[];
    t.ok(onlySgv.every((e) => e.type === 'sgv'));
    const isoForDate = (await json('/api/v1/entries.json?find[date][$gte]=2025-03-10T00:00:00Z&count=100000')).body as NsEntry[];
    t.ok(isoForDate.length > unfiltered.length, 'find[date] is parseInt-ed: "2025-03-10…" becomes 2025 and matches everything');
    t.equal((await json('/api/v1/entries.json?find[date][$where]=1')).status, 400, 'unsupported operators are refused');
  });

  t.test('entries without .json negotiate like Express', async (t) => {
    const plain = await fetch(`${sim.baseUrl}/api/v1/entries?count=2`, { headers: secret });
    t.match(plain.headers.get('content-type'), /^text\/plain/);
    const lines = (await plain.text()).split('\n');
    t.equal(lines.length, 2);
    t.match(lines[0], /^"\d{4}-\d{2}-\d{2}T[\d:.]+Z"\t\d{13}\t\d+\t"[A-Za-z ]*"\t"[^"]+"$/);
    const asJson = await fetch(`${sim.baseUrl}/api/v1/entries?count=2`, { headers: { ...secret, accept: 'application/json' } });
    t.equal(((await asJson.json()) as unknown[]).length, 2);
  });

  t.test('uploads upsert on type + date; deletions vanish', async (t) => {
    const date = NOW - 60_000;
    const post = (sgv: number) =>
      fetch(`${sim.baseUrl}/api/v1/entries`, { method: 'POST', headers: { ...secret, 'content-type': 'application/json' }, body: JSON.stringify([{ type: 'sgv', sgv, date, direction: 'Flat', device: 'test' }]) });
    t.equal((await post(111)).status, 200);
    t.equal((await post(112)).status, 200);
    const found = (await json(`/api/v1/entries.json?find[date]=${date}`)).body as NsEntry[];
    t.same(found.map((e) => [e.sgv, e.device]), [[112, 'test']]);
    sim.deleteEntry('sgv', date);
    t.same((await json(`/api/v1/entries.json?find[date]=${date}`)).body, []);
  });

  t.test('failures and data delay', async (t) => {
    sim.resetCalls();
    sim.injectFailures({ status: 500, pathPrefix: '/api/v1/entries' });
    t.equal((await json('/api/v1/entries.json')).status, 500);
    t.equal((await json('/api/v1/entries.json')).status, 200);
    sim.setDataDelay(30 * 60_000);
    const latest = ((await json('/api/v1/entries/sgv.json?count=1')).body as NsEntry[])[0]!;
    t.ok(latest.date <= NOW - 30 * 60_000 && latest.date > NOW - 35 * 60_000);
    sim.setDataDelay(0);
    t.equal(sim.callCount('/api/v1/entries'), 3, 'three entry reads, the failed one included');
  });
});
