// The header's sign-in form, or who is signed in (from the access token's claims) with their
// roles and scopes and a sign-out button.
import { useEffect, useState, useSyncExternalStore, type FormEvent } from 'react';
import type { SessionStore } from './session';

export function SignInPanel({ store }: { store: SessionStore }) {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await store.signIn(email.trim(), password)) setPassword('');
  };

  if (!state.session) {
    return (
      <form className="pg-signin" onSubmit={submit} data-testid="sign-in-form">
        <input
          type="email"
          name="email"
          autoComplete="username"
          placeholder="Email"
          aria-label="Email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="sign-in-email"
        />
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          placeholder="Password"
          aria-label="Password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          data-testid="sign-in-password"
        />
        <button type="submit" disabled={state.busy} data-testid="sign-in-submit">
          {state.busy ? 'Signing in…' : 'Sign in'}
        </button>
        {state.error && (
          <span className="pg-error" role="alert" data-testid="sign-in-error">
            {state.error}
          </span>
        )}
      </form>
    );
  }

  const claims = state.claims;
  const who = claims?.email ?? state.session.user?.email ?? '(unknown)';
  const subject = claims?.sub ?? state.session.user?.id;
  return (
    <div className="pg-signed-in" data-testid="signed-in">
      <div className="pg-who">
        <span className="pg-label">Signed in as</span> <strong data-testid="signed-in-email">{who}</strong>
        {subject && (
          <span className="pg-sub" title="sub claim">
            {' '}
            {subject}
          </span>
        )}
        <Expiry expiresAt={state.session.expiresAt} />
      </div>
      <ClaimList label="Roles" values={claims?.roles ?? []} testId="signed-in-roles" />
      <ClaimList label="Scopes" values={claims?.scopes ?? []} testId="signed-in-scopes" />
      <button type="button" onClick={() => void store.signOut()} data-testid="sign-out">
        Sign out
      </button>
      {state.error && (
        <span className="pg-error" role="alert">
          {state.error}
        </span>
      )}
    </div>
  );
}

/** Shows a few values inline; the full list is one click away so many scopes don't flood the header. */
function ClaimList({ label, values, testId }: { label: string; values: string[]; testId: string }) {
  const inline = values.slice(0, 3);
  const rest = values.length - inline.length;
  return (
    <details className="pg-claims" data-testid={testId}>
      <summary>
        <span className="pg-label">{label}</span>{' '}
        {values.length === 0 ? (
          <span className="pg-muted">none</span>
        ) : (
          <>
            {inline.map((v) => (
              <span key={v} className="pg-chip">
                {v}
              </span>
            ))}
            {rest > 0 && <span className="pg-muted"> +{rest}</span>}
          </>
        )}
      </summary>
      {values.length > 0 && (
        <ul className="pg-claims-popover">
          {values.map((v) => (
            <li key={v}>
              <code>{v}</code>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

function Expiry({ expiresAt }: { expiresAt: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  const seconds = Math.max(0, Math.round((expiresAt - now) / 1000));
  const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  return (
    <span className="pg-muted" title={new Date(expiresAt).toISOString()}>
      {' '}
      · token expires in {text}
    </span>
  );
}
