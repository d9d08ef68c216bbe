// The page: header with the sign-in panel, GraphiQL (editor, docs, explorer, history,
// variables and headers) and the query-plan pane beside it.
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { GraphiQL } from 'graphiql';
import { useState } from 'react';
import { SignInPanel } from './auth/SignInPanel';
import { SessionStore } from './auth/session';
import { createFetcher, INTROSPECTION_QUERY_NAME } from './graphql/fetcher';
import { PlanPane } from './plan/PlanPane';
import { PlanStore } from './plan/store';

const DEFAULT_QUERY = `# Welcome to the platform playground.
#
# Sign in above: your access token is then sent with every request.
# Ctrl-Space completes, Ctrl-Enter runs, Shift-Ctrl-P prettifies.
# The plan the gateway made for each run shows on the right.

query Me {
  me {
    id
    email
  }
}
`;

// One of each per page, outside React: they must keep their identity across renders (and
// StrictMode's double invocations), and the session's refresh timer must exist only once.
const plugins = [explorerPlugin()];
const session = new SessionStore();
const plans = new PlanStore();
const fetcher = createFetcher(session, plans);

export function App() {
  const [planOpen, setPlanOpen] = useState(true);

  return (
    <div className="pg-app">
      <header className="pg-header">
        <h1 className="pg-title">Platform playground</h1>
        <SignInPanel store={session} />
        <button
          type="button"
          className="pg-toggle"
          aria-pressed={planOpen}
          onClick={() => setPlanOpen((open) => !open)}
          data-testid="plan-toggle"
        >
          {planOpen ? 'Hide plan' : 'Show plan'}
        </button>
      </header>
      <main className="pg-main">
        <div className="pg-editor">
          <GraphiQL
            fetcher={fetcher}
            plugins={plugins}
            defaultQuery={DEFAULT_QUERY}
            introspectionQueryName={INTROSPECTION_QUERY_NAME}
            isHeadersEditorEnabled
            shouldPersistHeaders={false}
            defaultEditorToolsVisibility
          >
            <GraphiQL.Logo>
              <span />
            </GraphiQL.Logo>
          </GraphiQL>
        </div>
        {planOpen && <PlanPane store={plans} />}
      </main>
    </div>
  );
}
