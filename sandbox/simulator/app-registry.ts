import type { SimApp, SimAppInput } from './types';

/**
 * Apps the simulator knows (ClientID → app). Shared with anything mounted on the simulator — a
 * Stream gateway validates `clientId/clientSecret` with `validate()`.
 */
export class AppRegistry {
  private readonly byClientId = new Map<string, SimApp>();

  register(input: SimAppInput): SimApp {
    const app: SimApp = {
      clientId: input.clientId,
      clientSecret: input.clientSecret,
      robotCode: input.robotCode || input.clientId,
      scopes: input.scopes ? [...input.scopes] : undefined,
      corpId: input.corpId ?? 'dingsimcorp0001',
    };
    this.byClientId.set(app.clientId, app);
    return app;
  }

  get(clientId: string): SimApp | undefined {
    return this.byClientId.get(clientId);
  }

  /** The app when the secret matches, else undefined. */
  validate(clientId: unknown, clientSecret: unknown): SimApp | undefined {
    const app = typeof clientId === 'string' ? this.byClientId.get(clientId) : undefined;
    return app && app.clientSecret === clientSecret ? app : undefined;
  }

  byRobotCode(robotCode: string): SimApp | undefined {
    for (const app of this.byClientId.values()) if (app.robotCode === robotCode) return app;
    return undefined;
  }

  /** Replaces the granted scopes; undefined = every scope granted. */
  setScopes(clientId: string, scopes: string[] | undefined): void {
    const app = this.byClientId.get(clientId);
    if (app) app.scopes = scopes ? [...scopes] : undefined;
  }

  remove(clientId: string): void {
    this.byClientId.delete(clientId);
  }

  list(): SimApp[] {
    return [...this.byClientId.values()];
  }
}
