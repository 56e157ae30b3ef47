import type { PluginPermission } from '../../src/host/host-317.types';

/**
 * How a host service is gated: the permission `type` the plugin must declare to resolve it, and the
 * operation each method needs (a method without one cannot be called, as on the host).
 */
export interface ServiceGate {
  type: string;
  operations: Record<string, string>;
}

interface Entry {
  impl: object;
  gate: ServiceGate;
}

/**
 * The host services a 3.17 plugin reaches through `ctx.resolve(token)`, keyed by token. `resolve`
 * refuses a token whose permission type the plugin did not declare, and the returned proxy refuses
 * a method whose operation is not in the declared `operations` (all of the type's operations when
 * none are listed), as `packages/server/src/plugin/permissions/*` does.
 */
export class HostServices {
  private readonly entries = new Map<unknown, Entry>();

  provide(token: unknown, impl: object, gate: ServiceGate): void {
    this.entries.set(token, { impl, gate });
  }

  has(token: unknown): boolean {
    return this.entries.has(token);
  }

  /** The service itself, ungated (for the harness's own use). */
  get<T>(token: unknown): T | undefined {
    return this.entries.get(token)?.impl as T | undefined;
  }

  resolverFor(pluginName: string, permissions: PluginPermission[]): (token: unknown) => unknown {
    return (token) => {
      const entry = this.entries.get(token);
      if (!entry) throw new Error(`Plugin '${pluginName}' attempted to resolve '${String(token)}' but the host has no such service.`);
      const declared = permissions.filter((p) => p.type === entry.gate.type);
      if (declared.length === 0) {
        throw new Error(`Plugin '${pluginName}' attempted to resolve '${String(token)}' without declaring a '${entry.gate.type}' permission.`);
      }
      const listed = declared.flatMap((p) => p.operations ?? []);
      const allowed = listed.length ? new Set(listed) : new Set(Object.values(entry.gate.operations));
      return guard(pluginName, entry, allowed);
    };
  }
}

function guard(pluginName: string, entry: Entry, allowed: Set<string>): object {
  return new Proxy(entry.impl, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const operation = entry.gate.operations[String(property)];
      return (...args: unknown[]) => {
        if (!operation) throw new Error(`Plugin '${pluginName}' attempted to call unannotated ${entry.gate.type} method '${String(property)}'.`);
        if (!allowed.has(operation)) {
          throw new Error(`Plugin '${pluginName}' attempted ${entry.gate.type} operation '${operation}' without declaring it in '${entry.gate.type}.operations'.`);
        }
        return value.apply(target, args);
      };
    },
  });
}

export const INTEGRATION_SERVICE_GATE: ServiceGate = { type: 'integration', operations: { read: 'read', findAll: 'read' } };
export const HANDOFF_QUEUE_GATE: ServiceGate = { type: 'handoff', operations: { enqueue: 'enqueue', enqueueAndWait: 'wait' } };
