/**
 * Start one provider simulator for manual use and demos:
 *
 *   tsx src/simulators/cli.ts dexcom|libre|nightscout [--port N] [--host 127.0.0.1] [--delay-minutes M]
 *
 * It prints where it listens and the credentials a client needs, then runs until Ctrl-C. Test controls live
 * under `/__sim/` on the same port (e.g. `curl -XPOST localhost:N/__sim/tokens/expire`).
 */
import { startDexcomSimulator } from './dexcom/index.js';
import { startLibreLinkUpSimulator } from './libre-link-up/index.js';
import { startNightscoutSimulator } from './nightscout/index.js';

const USAGE = 'usage: tsx src/simulators/cli.ts dexcom|libre|nightscout [--port N] [--host H] [--delay-minutes M]';

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: readonly string[]): Promise<void> {
  const [kind] = args;
  const port = Number(flag(args, 'port') ?? 0);
  const host = flag(args, 'host') ?? '127.0.0.1';
  const dataDelayMs = Number(flag(args, 'delay-minutes') ?? 0) * 60_000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0–65535, got "${flag(args, 'port')}"`);
  if (!Number.isFinite(dataDelayMs) || dataDelayMs < 0) throw new Error('--delay-minutes must be a non-negative number');

  let close: () => Promise<void>;
  if (kind === 'dexcom') {
    const sim = await startDexcomSimulator({ host, port, dataDelayMs, logger: true });
    close = sim.close;
    const client = sim.clients[0];
    console.log(`Dexcom API v3 simulator on ${sim.baseUrl}`);
    console.log(`  client_id=${client?.clientId} client_secret=${client?.clientSecret} (any http(s) redirect_uri)`);
    console.log(`  users: ${sim.usernames.join(', ')} (choose with login_hint=…)`);
    console.log(`  login: ${sim.baseUrl}/v2/oauth2/login?client_id=${client?.clientId}&redirect_uri=http://localhost/cb&response_type=code&scope=offline_access&state=s`);
  } else if (kind === 'libre') {
    const sim = await startLibreLinkUpSimulator({ host, port, dataDelayMs, logger: true });
    close = sim.close;
    console.log(`LibreLinkUp simulator: global host ${sim.baseUrl}, regional hosts ${sim.regionUrlTemplate}`);
    console.log('  headers: product: llu.android, version: 4.16.0 (or newer)');
    for (const a of sim.accounts) console.log(`  ${a.email} / ${a.password} (region ${a.region}${a.pendingStep ? `, pending step ${a.pendingStep}` : ''})`);
  } else if (kind === 'nightscout') {
    const sim = await startNightscoutSimulator({ host, port, dataDelayMs, logger: true });
    close = sim.close;
    console.log(`Nightscout simulator on ${sim.baseUrl}`);
    console.log(`  API_SECRET=${sim.apiSecret} → header api-secret: ${sim.apiSecretHash}`);
    for (const [name, token] of Object.entries(sim.tokens)) console.log(`  read token (${name}): ?token=${token}`);
  } else {
    throw new Error(USAGE);
  }

  const stop = (): void => {
    void close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
