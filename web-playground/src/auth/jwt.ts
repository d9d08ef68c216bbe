// Reads (never verifies: the gateway does that) the claims of an access token for display and
// for scheduling the refresh.

export interface AccessClaims {
  sub?: string;
  email?: string;
  roles: string[];
  scopes: string[];
  /** Expiry, unix seconds. */
  exp?: number;
  iss?: string;
}

function base64UrlDecode(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The payload of a JWT, or `null` when the token is not a readable JWT. */
export function decodeClaims(token: string): AccessClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const roles = Array.isArray(p.roles) ? p.roles.filter((r): r is string => typeof r === 'string') : [];
  const scope = str(p.scope) ?? '';
  return {
    sub: str(p.sub),
    email: str(p.email),
    roles,
    scopes: scope.split(' ').filter((s) => s.length > 0),
    exp: typeof p.exp === 'number' ? p.exp : undefined,
    iss: str(p.iss),
  };
}

/**
 * `expiresAt` as the server sends it (unix seconds or milliseconds, or an RFC 3339 string) in
 * unix milliseconds; `undefined` when it cannot be read.
 */
export function parseExpiresAt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Seconds until the year 33658; anything larger is already milliseconds.
    return value < 1e12 ? value * 1000 : value;
  }
  if (typeof value === 'string' && value.length > 0) {
    if (/^\d+$/.test(value)) return parseExpiresAt(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
