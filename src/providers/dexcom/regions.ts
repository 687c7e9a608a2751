// Dexcom API hosts per region (shared/reference/PROVIDERS.md, from developer.dexcom.com endpoint overview). A user's
// tokens are valid only at the host that issued them, so the region is chosen when connecting and kept with the
// connection.
export const DEXCOM_REGIONS = {
  us: 'https://api.dexcom.com',
  eu: 'https://api.dexcom.eu', // EU and the rest of the world outside the US and Japan
  jp: 'https://api.dexcom.jp',
  sandbox: 'https://sandbox-api.dexcom.com',
} as const
export type DexcomRegion = keyof typeof DEXCOM_REGIONS

/**
 * A named region maps to its host. No region means the configured DEXCOM_BASE_URL, reported under the region whose
 * host it is, or `custom` (a simulator or a proxy).
 */
export function resolveDexcomRegion(region: string | undefined, defaultBaseUrl: string): { region: string; baseUrl: string } | undefined {
  if (region !== undefined) {
    return Object.hasOwn(DEXCOM_REGIONS, region) ? { region, baseUrl: DEXCOM_REGIONS[region as DexcomRegion] } : undefined
  }
  const named = (Object.keys(DEXCOM_REGIONS) as DexcomRegion[]).find((r) => DEXCOM_REGIONS[r] === defaultBaseUrl)
  return { region: named ?? 'custom', baseUrl: defaultBaseUrl }
}
