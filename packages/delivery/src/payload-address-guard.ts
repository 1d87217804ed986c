import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { parseAddressRange } from "@m10/shared";
import { PermanentDeliveryError, RetryableDeliveryError } from "./errors.js";

// Payload-addressed event types (http:*, webhook:*, notify:* with slack_webhook_url) take their
// URL from the event, that is from whoever could publish one: a server-side request forgery
// vector (docs/architecture.md §4.6). They are off unless enabled, reach only allow-listed hosts,
// and never a loopback, private, link-local, unspecified or multicast address unless the operator
// allows that address; the check runs on the resolved addresses and the request connects to the
// address that passed, so a second DNS answer (rebinding) cannot swap it.

export interface PayloadAddressing {
  /** OUTBOX_PAYLOAD_ADDRESSING_ENABLED: payload-addressed URLs are refused (dead-lettered) when false. */
  enabled: boolean;
  /** OUTBOX_PAYLOAD_ALLOWED_HOSTS: exact host names or IP literals, "*.example.com" for subdomains, "*" for any host. */
  allowedHosts: readonly string[];
  /** OUTBOX_PAYLOAD_ALLOWED_PRIVATE: non-public addresses (IPs or CIDRs) that may be reached anyway. */
  allowedPrivateAddresses: readonly string[];
}

export const PAYLOAD_ADDRESSING_OFF: PayloadAddressing = { enabled: false, allowedHosts: [], allowedPrivateAddresses: [] };

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** A host name to its addresses (dns.lookup with all: true; injectable in tests). */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

const systemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));

/** Every range that is not a public unicast address (IANA special-purpose registries, IPv4 and IPv6). */
const NON_PUBLIC = (() => {
  const list = new BlockList();
  const v4: [string, number][] = [
    ["0.0.0.0", 8], // "this network", unspecified
    ["10.0.0.0", 8],
    ["100.64.0.0", 10], // carrier-grade NAT
    ["127.0.0.0", 8],
    ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.0.2.0", 24],
    ["192.88.99.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["198.51.100.0", 24],
    ["203.0.113.0", 24],
    ["224.0.0.0", 4], // multicast
    ["240.0.0.0", 4], // reserved, broadcast
  ];
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, "ipv4");
  const v6: [string, number][] = [
    ["::", 128], // unspecified
    ["::1", 128], // loopback
    ["64:ff9b::", 96], // NAT64: an IPv4 address behind a translator
    ["64:ff9b:1::", 48],
    ["100::", 64], // discard
    ["2001::", 23], // IETF protocol assignments (Teredo, ...)
    ["2001:db8::", 32], // documentation
    ["2002::", 16], // 6to4: an embedded IPv4 address
    ["fc00::", 7], // unique local
    ["fe80::", 10], // link-local
    ["fec0::", 10], // site-local (deprecated)
    ["ff00::", 8], // multicast
  ];
  for (const [network, prefix] of v6) list.addSubnet(network, prefix, "ipv6");
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked against the IPv4 ranges by BlockList itself.
  return list;
})();

const familyOf = (address: string): "ipv4" | "ipv6" => (isIP(address) === 6 ? "ipv6" : "ipv4");

/** True for loopback, private, link-local, unspecified, multicast and other non-public addresses (IPv4, IPv6, IPv4-mapped IPv6). */
export function isNonPublicAddress(address: string): boolean {
  return NON_PUBLIC.check(address, familyOf(address));
}

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    const pattern = entry.toLowerCase().replace(/^\[(.*)\]$/, "$1");
    if (pattern === "*") return true;
    if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern || (isIP(host) !== 0 && isIP(pattern) !== 0 && sameAddress(host, pattern));
  });
}

/** Two IP literals naming the same address (e.g. ::ffff:7f00:1 and 127.0.0.1). */
function sameAddress(a: string, b: string): boolean {
  const list = new BlockList();
  list.addAddress(b, familyOf(b));
  return list.check(a, familyOf(a));
}

export interface PayloadAddressGuard {
  /**
   * The address a payload-addressed request to `url` may connect to. Throws a
   * PermanentDeliveryError when the policy refuses it (disabled, host not allowed, a non-public
   * address), a RetryableDeliveryError when the name does not resolve.
   */
  check(url: string): Promise<ResolvedAddress>;
}

/** The configuration schema has checked allowedPrivateAddresses; an entry that is neither an IP nor a CIDR throws. */
export function createPayloadAddressGuard(policy: PayloadAddressing, resolve: HostResolver = systemResolver): PayloadAddressGuard {
  const allowedPrivate = new BlockList();
  for (const entry of policy.allowedPrivateAddresses) {
    const range = parseAddressRange(entry);
    if (!range) throw new Error(`OUTBOX_PAYLOAD_ALLOWED_PRIVATE: "${entry}" is not an IP address or CIDR`);
    if (range.prefix === undefined) allowedPrivate.addAddress(range.network, range.family);
    else allowedPrivate.addSubnet(range.network, range.prefix, range.family);
  }
  const reachable = (address: string) => !isNonPublicAddress(address) || allowedPrivate.check(address, familyOf(address));

  return {
    async check(url) {
      if (!policy.enabled) throw new PermanentDeliveryError("Payload-addressed delivery is disabled (OUTBOX_PAYLOAD_ADDRESSING_ENABLED=false)");
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new PermanentDeliveryError("Invalid URL in payload");
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new PermanentDeliveryError(`Unsupported URL scheme: ${parsed.protocol}`);
      const host = parsed.hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
      if (!hostAllowed(host, policy.allowedHosts)) {
        throw new PermanentDeliveryError(`Refused payload address: host ${host} is not in OUTBOX_PAYLOAD_ALLOWED_HOSTS`);
      }
      let addresses: ResolvedAddress[];
      if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
      else {
        try {
          addresses = await resolve(host);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          throw new RetryableDeliveryError(`Request error: ${typeof code === "string" ? code : "DNS lookup failed"}`);
        }
      }
      if (addresses.length === 0) throw new RetryableDeliveryError("Request error: ENOTFOUND");
      // Any non-public answer refuses the host: a name that mixes public and internal addresses is an attack or a mistake.
      const refused = addresses.find((entry) => !reachable(entry.address));
      if (refused) {
        throw new PermanentDeliveryError(
          `Refused payload address: ${host} resolves to ${refused.address}, a loopback, private, link-local or otherwise non-public address (OUTBOX_PAYLOAD_ALLOWED_PRIVATE)`,
        );
      }
      return addresses[0] as ResolvedAddress;
    },
  };
}
