// GraphiQL's fetcher: adds the signed-in user's bearer token, asks the gateway for the query
// plan, and moves `extensions.queryPlan` out of the response into the plan pane.
import type { Fetcher, FetcherOpts, FetcherParams } from '@graphiql/toolkit';
import { Kind, parse } from 'graphql';
import type { SessionStore } from '../auth/session';
import type { PlanStore } from '../plan/store';
import { GRAPHQL_ENDPOINT, postGraphql, type GraphqlResponse } from './http';

/** GraphiQL's own schema request; it gets no plan header and does not touch the plan pane. */
export const INTROSPECTION_QUERY_NAME = 'IntrospectionQuery';
export const QUERY_PLAN_HEADER = 'x-query-plan';

export function createFetcher(session: SessionStore, plans: PlanStore, endpoint = GRAPHQL_ENDPOINT): Fetcher {
  return async (params: FetcherParams, opts?: FetcherOpts) => {
    const introspection = params.operationName === INTROSPECTION_QUERY_NAME;
    const headers = stringHeaders(opts?.headers);
    // A hand-written Authorization header in the headers pane wins over the session's token.
    if (!hasHeader(headers, 'authorization')) {
      const token = await session.accessToken();
      if (token) headers.authorization = `Bearer ${token}`;
    }
    if (introspection) {
      return (await postGraphql(params, headers, endpoint)) as never;
    }
    if (!hasHeader(headers, QUERY_PLAN_HEADER)) headers[QUERY_PLAN_HEADER] = 'include';
    const operationName = resolveOperationName(params.query, params.operationName ?? null);
    const run = plans.begin(operationName);
    const response = await postGraphql({ ...params, operationName }, headers, endpoint);
    const plan = takePlan(response);
    plans.finish(
      run,
      plan !== undefined
        ? { status: 'ready', operationName, plan }
        : {
            status: 'missing',
            operationName,
            reason: response.data
              ? 'The gateway sent no plan. Is `expose_query_plan` on in its config?'
              : 'No plan: the request failed before planning (see the errors in the result).',
          },
    );
    return response as never;
  };
}

/** Removes and returns `extensions.queryPlan`, dropping `extensions` when nothing else is left. */
export function takePlan(response: GraphqlResponse): unknown {
  const extensions = response.extensions;
  if (!extensions || !('queryPlan' in extensions)) return undefined;
  const { queryPlan, ...rest } = extensions;
  if (Object.keys(rest).length > 0) response.extensions = rest;
  else delete response.extensions;
  return queryPlan;
}

/**
 * GraphiQL refreshes its idea of the operation name shortly after an edit, so a run right after
 * typing can carry the name of an operation that no longer exists. When the document has a
 * single operation, that one is meant; otherwise the name is left for the server to judge.
 */
export function resolveOperationName(query: string, operationName: string | null): string | null {
  let names: (string | null)[];
  try {
    names = parse(query, { noLocation: true })
      .definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)
      .map((d) => d.name?.value ?? null);
  } catch {
    return operationName;
  }
  if (operationName !== null && names.includes(operationName)) return operationName;
  return names.length === 1 ? names[0] : operationName;
}

function stringHeaders(raw: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return headers;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}
