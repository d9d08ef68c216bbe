// The query-plan pane: the plan of the last operation run from the editor, as a tree (one box
// per fetch with its subgraph and operation), the gateway's printed text, or raw JSON.
import { parse, print } from 'graphql';
import { useState, useSyncExternalStore, type CSSProperties, type ReactNode } from 'react';
import { countFetches, printFlattenPath, printRequires, printRewrite, readPlan, type ReadPlan } from './read';
import type { PlanState, PlanStore } from './store';
import type { FetchNode, PlanNode } from './types';

type View = 'tree' | 'text' | 'json';

export function PlanPane({ store }: { store: PlanStore }) {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return (
    <section className="pg-plan" aria-label="Query plan" data-testid="plan-pane">
      <header className="pg-plan-header">
        <h2>Query plan</h2>
        {'operationName' in state && state.operationName && (
          <span className="pg-muted">{state.operationName}</span>
        )}
      </header>
      <PlanBody state={state} />
    </section>
  );
}

function PlanBody({ state }: { state: PlanState }) {
  switch (state.status) {
    case 'idle':
      return <p className="pg-muted pg-plan-note">Run an operation to see how the gateway plans it.</p>;
    case 'pending':
      return <p className="pg-muted pg-plan-note">Planning…</p>;
    case 'missing':
      return (
        <p className="pg-muted pg-plan-note" data-testid="plan-missing">
          {state.reason}
        </p>
      );
    case 'ready':
      return <ReadyPlan plan={readPlan(state.plan)} raw={state.plan} />;
  }
}

function ReadyPlan({ plan, raw }: { plan: ReadPlan; raw: unknown }) {
  const views: View[] =
    plan.kind === 'tree'
      ? plan.text
        ? ['tree', 'text', 'json']
        : ['tree', 'json']
      : plan.kind === 'text'
        ? ['text', 'json']
        : ['json'];
  const [chosen, setView] = useState<View>(views[0]);
  const view = views.includes(chosen) ? chosen : views[0];
  return (
    <div className="pg-plan-body">
      <div className="pg-plan-toolbar" role="tablist">
        {plan.kind === 'tree' && <PlanSummary root={plan.root} />}
        <span className="pg-spacer" />
        {views.map((v) => (
          <button
            key={v}
            type="button"
            role="tab"
            aria-selected={v === view}
            className={v === view ? 'pg-tab pg-tab-active' : 'pg-tab'}
            onClick={() => setView(v)}
          >
            {v === 'tree' ? 'Tree' : v === 'text' ? 'Text' : 'JSON'}
          </button>
        ))}
      </div>
      <div className="pg-plan-content" data-testid="plan-content">
        {view === 'tree' &&
          plan.kind === 'tree' &&
          (plan.root ? (
            <NodeView node={plan.root} />
          ) : (
            <p className="pg-muted">No subgraph fetch: the gateway answers this operation itself.</p>
          ))}
        {view === 'text' && (
          <pre className="pg-code" data-testid="plan-text">
            {plan.kind === 'raw' ? '' : plan.text}
          </pre>
        )}
        {view === 'json' && <pre className="pg-code">{JSON.stringify(raw, null, 2)}</pre>}
      </div>
    </div>
  );
}

function PlanSummary({ root }: { root: PlanNode | null }) {
  const subgraphs = [...new Set(collectSubgraphs(root))];
  const fetches = countFetches(root);
  return (
    <span className="pg-muted">
      {fetches} fetch{fetches === 1 ? '' : 'es'}
      {subgraphs.length > 0 && ' · '}
      {subgraphs.map((s) => (
        <SubgraphBadge key={s} name={s} />
      ))}
    </span>
  );
}

function collectSubgraphs(node: PlanNode | null): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node.subgraph];
    case 'Flatten':
      return collectSubgraphs(node.node);
    case 'Condition':
      return [...collectSubgraphs(node.if_clause), ...collectSubgraphs(node.else_clause)];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(collectSubgraphs);
  }
}

function NodeView({ node }: { node: PlanNode }): ReactNode {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return (
        <Group
          kind={node.kind}
          title={node.kind === 'Sequence' ? 'Sequence' : 'Parallel'}
          hint={node.kind === 'Sequence' ? 'one after another' : 'at the same time'}
        >
          {node.nodes.map((child, i) => (
            <li key={i}>
              <NodeView node={child} />
            </li>
          ))}
        </Group>
      );
    case 'Flatten':
      return (
        <Group kind="Flatten" title="Flatten" hint={<code>{printFlattenPath(node.path)}</code>}>
          <li>
            <NodeView node={node.node} />
          </li>
        </Group>
      );
    case 'Condition':
      return (
        <Group kind="Condition" title="Condition" hint={<code>${node.variable}</code>}>
          <li>
            <span className="pg-branch">if true</span>
            {node.if_clause ? <NodeView node={node.if_clause} /> : <span className="pg-muted"> nothing</span>}
          </li>
          <li>
            <span className="pg-branch">else</span>
            {node.else_clause ? (
              <NodeView node={node.else_clause} />
            ) : (
              <span className="pg-muted"> nothing</span>
            )}
          </li>
        </Group>
      );
    case 'Fetch':
      return <FetchView fetch={node} />;
  }
}

function Group({
  kind,
  title,
  hint,
  children,
}: {
  kind: string;
  title: string;
  hint: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className={`pg-node pg-node-${kind.toLowerCase()}`} data-kind={kind}>
      <div className="pg-node-title">
        <strong>{title}</strong> <span className="pg-muted">{hint}</span>
      </div>
      <ol className="pg-node-children">{children}</ol>
    </div>
  );
}

function FetchView({ fetch }: { fetch: FetchNode }) {
  const entity = fetch.requires.length > 0;
  const rewrites = [...(fetch.input_rewrites ?? []), ...(fetch.output_rewrites ?? [])];
  return (
    <div
      className="pg-node pg-fetch"
      style={{ '--pg-hue': String(hue(fetch.subgraph)) } as CSSProperties}
      data-kind="Fetch"
      data-testid="plan-fetch"
      data-subgraph={fetch.subgraph}
    >
      <div className="pg-node-title">
        <strong>Fetch</strong> <SubgraphBadge name={fetch.subgraph} />{' '}
        <span className="pg-muted">
          {entity ? 'entities' : (fetch.operation_kind ?? 'Query').toLowerCase()}
          {fetch.operation_name ? ` · ${fetch.operation_name}` : ''}
        </span>
      </div>
      {entity && (
        <div className="pg-fetch-detail">
          <span className="pg-label">requires</span> <code>{printRequires(fetch.requires)}</code>
        </div>
      )}
      {fetch.variable_usages?.length > 0 && (
        <div className="pg-fetch-detail">
          <span className="pg-label">variables</span>{' '}
          <code>{fetch.variable_usages.map((v) => `$${v}`).join(' ')}</code>
        </div>
      )}
      {rewrites.length > 0 && (
        <div className="pg-fetch-detail">
          <span className="pg-label">rewrites</span> <code>{rewrites.map(printRewrite).join('; ')}</code>
        </div>
      )}
      <pre className="pg-code pg-fetch-operation">{prettyOperation(fetch.operation)}</pre>
    </div>
  );
}

/** The planner prints compactly; re-print for reading, leaving it as is if it does not parse. */
function prettyOperation(operation: string): string {
  try {
    return print(parse(operation, { noLocation: true }));
  } catch {
    return operation;
  }
}

function SubgraphBadge({ name }: { name: string }) {
  return (
    <span
      className="pg-subgraph"
      style={{ '--pg-hue': String(hue(name)) } as CSSProperties}
      data-testid="plan-subgraph"
    >
      {name}
    </span>
  );
}

/** A stable color per subgraph name, so the same subgraph looks the same in every plan. */
function hue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
  return h;
}
