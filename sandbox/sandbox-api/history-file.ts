import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DemoThread } from '../fake-xpert/demo-expert';
import type { StoredThread } from '../fake-xpert/threads-api';
import type { SimMessage } from '../simulator/types';
import type { UserMessage } from './conversations';

/** What the sandbox keeps next to its database so a restart shows the same chats. */
export interface SandboxHistory {
  user: UserMessage[];
  bot: SimMessage[];
  threads: StoredThread[];
  /** The 3.17 host's own dispatch keeps its conversations apart from the threads API's. */
  conversations?: DemoThread[];
}

const EMPTY: SandboxHistory = { user: [], bot: [], threads: [] };

/**
 * The page's chats (what the users typed, what the bot sent) and the demo expert's threads, in one
 * JSON file. The plugin keeps its sessions in the database; without this the page would be empty
 * and the demo expert would have forgotten the thread the plugin continues. Written whole (to a
 * temporary file, then renamed) so a crash mid-write leaves the previous version.
 */
export class SandboxHistoryFile {
  constructor(private readonly path: string) {}

  load(): SandboxHistory {
    if (!existsSync(this.path)) return { ...EMPTY };
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<SandboxHistory>;
      return { user: parsed.user ?? [], bot: parsed.bot ?? [], threads: parsed.threads ?? [], conversations: parsed.conversations ?? [] };
    } catch {
      // An unreadable file (hand-edited, half-copied) starts the chats afresh rather than failing.
      return { ...EMPTY };
    }
  }

  save(history: SandboxHistory): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify(history));
    renameSync(temporary, this.path);
  }
}
