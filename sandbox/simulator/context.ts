import type { AppRegistry } from './app-registry';
import type { SimClock } from './clock';
import type { DirectoryStore } from './directory-store';
import type { FaultController } from './fault-controller';
import type { FileStore } from './file-store';
import type { MessageStore } from './message-store';
import type { SessionStore } from './session-store';
import type { TokenStore } from './token-store';
import type { RouteOptions, SimHandler } from './types';

/** What route modules get: the stores and a way to mount routes. */
export interface SimContext {
  route(method: string, path: string, handler: SimHandler, options?: RouteOptions): void;
  baseUrl(): string;
  clock: SimClock;
  apps: AppRegistry;
  tokens: TokenStore;
  messages: MessageStore;
  sessions: SessionStore;
  directory: DirectoryStore;
  files: FileStore;
  faults: FaultController;
}
