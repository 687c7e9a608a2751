// Server-side request forgery guard for user-supplied provider URLs (a Nightscout site is any URL a user types):
// without it, "connect Nightscout at http://169.254.169.254/" makes the service fetch its cloud metadata, or an
// internal admin port, and report what answered. Every address the host name resolves to must be public.
// Checked before each request; a DNS answer that changes between the check and the connect (rebinding) is not
// covered here — a resolving proxy or egress firewall is the complete answer in production.
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { ProviderError } from './provider.js'

const blocked = new BlockList()
// IPv4: this network, private (RFC 1918), carrier-grade NAT, loopback, link-local (cloud metadata), IETF protocol
// assignments, benchmarking, multicast and reserved.
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  blocked.addSubnet(net, bits, 'ipv4')
}
// IPv6: unspecified, loopback, unique local, link-local, multicast.
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  blocked.addSubnet(net, bits, 'ipv6')
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) // IPv4-mapped IPv6 reaches the IPv4 host
  if (mapped) return blocked.check(mapped[1]!, 'ipv4')
  return blocked.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
}

/** Throws unless every address `url`'s host resolves to is public. */
export async function assertPublicHost(provider: string, url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  } catch {
    throw new ProviderError('unavailable', `${provider}: cannot resolve ${host}; check the address`)
  }
  const inside = addresses.find(isPrivateAddress)
  if (inside !== undefined) {
    throw new ProviderError('reauth_required', `${provider}: ${host} resolves to a private or local address (${inside}); only sites on the public internet can be connected`)
  }
}
