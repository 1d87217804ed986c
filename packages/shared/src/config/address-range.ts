import { isIP } from "node:net";

export interface AddressRange {
  network: string;
  /** Undefined for a single address. */
  prefix: number | undefined;
  family: "ipv4" | "ipv6";
}

/** An IP ("10.1.2.3", "::1") or a CIDR ("10.1.0.0/16", "fd00::/8"); undefined when it is neither. */
export function parseAddressRange(entry: string): AddressRange | undefined {
  const [network = "", prefix, extra] = entry.split("/");
  const version = isIP(network);
  if (version === 0 || extra !== undefined) return undefined;
  const family = version === 6 ? "ipv6" : "ipv4";
  if (prefix === undefined) return { network, prefix: undefined, family };
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  return bits >= 0 && bits <= (version === 4 ? 32 : 128) ? { network, prefix: bits, family } : undefined;
}

/** A comma-separated list as its trimmed, non-empty entries. */
export function commaList(text: string): string[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
