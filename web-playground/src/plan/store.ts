// The plan of the last operation the user ran, fed by the fetcher and read by the plan pane.

export type PlanState =
  | { status: 'idle' }
  | { status: 'pending'; operationName: string | null }
  /** `plan` is the untouched `extensions.queryPlan` value. */
  | { status: 'ready'; operationName: string | null; plan: unknown }
  /** The response had no plan: the gateway's `expose_query_plan` is off, or the request failed early. */
  | { status: 'missing'; operationName: string | null; reason: string };

type Listener = () => void;

export class PlanStore {
  private state: PlanState = { status: 'idle' };
  private listeners = new Set<Listener>();
  /** Only the latest run may update the pane, even if an older response arrives last. */
  private generation = 0;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): PlanState => this.state;

  begin(operationName: string | null): number {
    this.generation += 1;
    this.set({ status: 'pending', operationName });
    return this.generation;
  }

  finish(run: number, next: PlanState): void {
    if (run === this.generation) this.set(next);
  }

  private set(state: PlanState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
