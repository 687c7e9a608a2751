// Provider name -> implementation. Adding a provider is adding its folder and one line here.
import type { Config } from '../config.js'
import { createDexcomProvider } from './dexcom/index.js'
import { setProviderHttpLimits } from './http.js'
import { createLibreLinkUpProvider } from './libre-link-up/index.js'
import { createNightscoutProvider } from './nightscout/index.js'
import type { CgmProvider } from './provider.js'

export type ProviderRegistry = ReadonlyMap<string, CgmProvider>

export function createProviders(config: Config): ProviderRegistry {
  setProviderHttpLimits(config.providerHttp)
  const providers: CgmProvider[] = [
    createDexcomProvider(config.dexcom),
    createLibreLinkUpProvider(config.libreLinkUp),
    createNightscoutProvider({ allowPrivateHosts: config.providerAllowPrivateHosts }),
  ]
  return new Map(providers.map((p) => [p.name, p]))
}
