// The signed-in session: tokens kept in sessionStorage (gone when the tab closes), the access
// token refreshed shortly before it expires, and a tiny subscribe/getSnapshot store so React
// (`useSyncExternalStore`) and the fetcher read the same state.
import {
  errorSummary,
  GRAPHQL_ENDPOINT,
  isTransportFailure,
  postGraphql,
  type GraphqlRequest,
  type GraphqlResponse,
} from '../graphql/http';
import { decodeClaims, parseExpiresAt, type AccessClaims } from './jwt';
import { LOGIN_FIELD, LOGIN_MUTATION, LOGOUT_MUTATION, REFRESH_FIELD, REFRESH_MUTATION } from './operations';

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Access token expiry, unix milliseconds. */
  expiresAt: number;
  user: { id: string; email: string } | null;
}

export interface SessionState {
  session: Session | null;
  claims: AccessClaims | null;
  busy: boolean;
  error: string | null;
}

const STORAGE_KEY = 'platform-playground.session';
/** Refresh this long before expiry (or with a fifth of the lifetime left, for short tokens). */
const REFRESH_MARGIN_MS = 60_000;
/** Never refresh more often than this, whatever the server's token lifetime. */
const MIN_REFRESH_DELAY_MS = 1_000;
/** Wait before retrying a refresh that did not reach the server. */
const RETRY_DELAY_MS = 10_000;
/** A token this close to expiry is refreshed before a request instead of being sent. */
const STALE_MS = 5_000;

type Listener = () => void;

export class SessionStore {
  private state: SessionState;
  private listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<boolean> | null = null;

  private readonly storage: Storage | null;
  private readonly endpoint: string;

  constructor(options: { storage?: Storage | null; endpoint?: string } = {}) {
    this.storage = options.storage === undefined ? safeSessionStorage() : options.storage;
    this.endpoint = options.endpoint ?? GRAPHQL_ENDPOINT;
    const session = this.load();
    this.state = {
      session,
      claims: session ? decodeClaims(session.accessToken) : null,
      busy: false,
      error: null,
    };
    this.schedule();
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SessionState => this.state;

  /** Stops the refresh timer (the session itself stays stored). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The access token to send now, refreshing first when it is (nearly) expired. */
  async accessToken(): Promise<string | null> {
    const session = this.state.session;
    if (!session) return null;
    if (session.expiresAt - Date.now() < STALE_MS) {
      const ok = await this.refresh();
      return ok ? (this.state.session?.accessToken ?? null) : null;
    }
    return session.accessToken;
  }

  async signIn(email: string, password: string): Promise<boolean> {
    this.update({ busy: true, error: null });
    const response = await this.post(
      { query: LOGIN_MUTATION, operationName: 'PlaygroundLogin', variables: { email, password } },
      {},
    );
    const session = sessionFrom(response, LOGIN_FIELD, null);
    if (!session) {
      this.update({ busy: false, error: errorSummary(response) ?? 'Sign-in failed: unexpected response' });
      return false;
    }
    this.setSession(session);
    return true;
  }

  /** Trades the refresh token for a new pair; signs out locally when the server refuses. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const current = this.state.session;
    if (!current) return false;
    const response = await this.post(
      {
        query: REFRESH_MUTATION,
        operationName: 'PlaygroundRefresh',
        variables: { refreshToken: current.refreshToken },
      },
      {},
    );
    // Signed out (or signed in again) while the request was in flight: keep the newer state.
    if (this.state.session !== current) return this.state.session !== null;
    if (isTransportFailure(response)) {
      // The server never saw the refresh token: keep the session and try again shortly.
      this.update({ error: `Token refresh failed, retrying: ${errorSummary(response)}` });
      this.schedule(RETRY_DELAY_MS);
      return false;
    }
    const next = sessionFrom(response, REFRESH_FIELD, current.user);
    if (!next) {
      this.clear(`Session ended: ${errorSummary(response) ?? 'token refresh failed'}`);
      return false;
    }
    this.setSession(next);
    return true;
  }

  async signOut(): Promise<void> {
    const current = this.state.session;
    this.clear(null);
    if (!current) return;
    // Best effort: the local session is gone either way.
    const response = await this.post(
      {
        query: LOGOUT_MUTATION,
        operationName: 'PlaygroundLogout',
        variables: { refreshToken: current.refreshToken },
      },
      { authorization: `Bearer ${current.accessToken}` },
    );
    const problem = errorSummary(response);
    if (problem) this.update({ error: `Signed out locally; the server said: ${problem}` });
  }

  private post(request: GraphqlRequest, headers: Record<string, string>): Promise<GraphqlResponse> {
    return postGraphql(request, headers, this.endpoint);
  }

  private setSession(session: Session): void {
    this.state = { session, claims: decodeClaims(session.accessToken), busy: false, error: null };
    this.save(session);
    this.schedule();
    this.emit();
  }

  private clear(error: string | null): void {
    this.state = { session: null, claims: null, busy: false, error };
    this.save(null);
    this.schedule();
    this.emit();
  }

  private update(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  private schedule(after?: number): void {
    this.dispose();
    const session = this.state.session;
    if (!session) return;
    const delay = after ?? refreshDelay(session.expiresAt - Date.now());
    // setTimeout overflows past ~24.8 days; such a token gets re-scheduled on the next load.
    this.timer = setTimeout(() => void this.refresh(), Math.min(delay, 2 ** 31 - 1));
  }

  private load(): Session | null {
    const raw = this.storage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      const value = JSON.parse(raw) as Partial<Session>;
      if (
        typeof value.accessToken === 'string' &&
        typeof value.refreshToken === 'string' &&
        typeof value.expiresAt === 'number'
      ) {
        return {
          accessToken: value.accessToken,
          refreshToken: value.refreshToken,
          expiresAt: value.expiresAt,
          user: value.user ?? null,
        };
      }
    } catch {
      // A corrupt entry is dropped below.
    }
    this.storage?.removeItem(STORAGE_KEY);
    return null;
  }

  private save(session: Session | null): void {
    try {
      if (session) this.storage?.setItem(STORAGE_KEY, JSON.stringify(session));
      else this.storage?.removeItem(STORAGE_KEY);
    } catch {
      // Storage full or disabled: the session still works until the page reloads.
    }
  }
}

/** How long to wait before refreshing a token that expires in `remaining` ms. */
export function refreshDelay(remaining: number): number {
  if (remaining <= 0) return 0;
  const margin = Math.min(REFRESH_MARGIN_MS, remaining * 0.2);
  return Math.max(MIN_REFRESH_DELAY_MS, remaining - margin);
}

/** Reads the token payload at `data[field]`; `null` when it is missing or malformed. */
function sessionFrom(
  response: GraphqlResponse,
  field: string,
  previousUser: Session['user'],
): Session | null {
  const payload = response.data?.[field];
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Record<string, unknown>;
  if (typeof p.accessToken !== 'string' || typeof p.refreshToken !== 'string') return null;
  const claims = decodeClaims(p.accessToken);
  // Prefer the token's own `exp`; `expiresAt` is the fallback for opaque tokens.
  const expiresAt =
    (claims?.exp !== undefined ? claims.exp * 1000 : undefined) ??
    parseExpiresAt(p.expiresAt) ??
    Date.now() + 15 * 60_000;
  const user = readUser(p.user) ?? previousUser;
  return { accessToken: p.accessToken, refreshToken: p.refreshToken, expiresAt, user };
}

function readUser(value: unknown): Session['user'] {
  if (typeof value !== 'object' || value === null) return null;
  const u = value as Record<string, unknown>;
  if (typeof u.id !== 'string') return null;
  return { id: u.id, email: typeof u.email === 'string' ? u.email : '' };
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
