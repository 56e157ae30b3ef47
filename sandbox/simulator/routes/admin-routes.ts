import type { SimContext } from '../context';
import type { SimCall } from '../types';

/** Inspection endpoints for tests and the sandbox page; never recorded, never faulted. */
export function registerAdminRoutes(ctx: SimContext, calls: { list: () => SimCall[]; clear: () => void }): void {
  const internal = { record: false, faults: false } as const;
  ctx.route('GET', '/_simulator/calls', () => ({ status: 200, body: calls.list() }), internal);
  ctx.route(
    'DELETE',
    '/_simulator/calls',
    () => {
      calls.clear();
      return { status: 204 };
    },
    internal,
  );
  ctx.route('GET', '/_simulator/messages', () => ({ status: 200, body: ctx.messages.list() }), internal);
}
