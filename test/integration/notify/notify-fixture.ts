import { randomUUID } from 'node:crypto';
import { BaseMessage } from '@langchain/core/messages';
import type { DynamicStructuredTool } from '@langchain/core/tools';
import { Annotation, END, messagesStateReducer, START, StateGraph } from '@langchain/langgraph';
import type { AgentMiddleware } from '@xpert-ai/plugin-sdk';
import { parsePluginConfig } from '../../../src/config/plugin-config';
import type { DingTalkIntegrationOptions } from '../../../src/kernel/integration';
import { DingTalkError } from '../../../src/kernel/errors';
import { DingTalkClientRegistry } from '../../../src/integration/client-registry';
import { createNotifyMiddleware, type DingTalkRunContext, type NotifyDeps } from '../../../src/notify';
import { createSimulator, type DingTalkSimulator } from '../../../sandbox/simulator';
import { openTestDatabase, resetTables, type TestDatabase } from '../../support/database';

/**
 * The notify middleware against the real pieces it uses: the DingTalk simulator over HTTP, the
 * plugin database (PGlite, or the server in DATABASE_URL) and the shared client registry. Tools
 * run inside a one-node LangGraph graph, so `getCurrentTaskInput()` and Command updates behave as
 * in an agent run.
 */

export const APP = { clientId: 'dingnotifyapp', clientSecret: 'notify-app-secret-0123456789', robotCode: 'dingnotifyapp' };
export const CARD_APP = { clientId: 'dingnotifycardapp', clientSecret: 'notify-card-secret-0123456789', robotCode: 'dingnotifycardapp' };
export const INTEGRATION_ID = 'int-notify';
export const CARD_INTEGRATION_ID = 'int-notify-card';
export const PUBLIC_BASE_URL = 'https://xpert.example.com';

export interface NotifyFixture {
  sim: DingTalkSimulator;
  db: TestDatabase;
  deps: NotifyDeps;
  warnings: string[];
  middleware(options: Record<string, unknown>, agentKey?: string): AgentMiddleware;
  tool(middleware: AgentMiddleware, name: string): DynamicStructuredTool;
  /** Runs the tool as one graph node with `state`; returns the final graph state. */
  run(tool: DynamicStructuredTool, args: Record<string, unknown>, state?: Record<string, unknown>, options?: RunOptions): Promise<RunResult>;
  runContext(overrides?: Partial<DingTalkRunContext>): DingTalkRunContext;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface RunOptions {
  toolCallId?: string;
  threadId?: string;
  /** Invoke the tool this many times in the same task (a LangGraph retry of the step); the last answer counts. */
  repeat?: number;
}

export interface RunResult {
  state: Record<string, unknown>;
  /** Content of the ToolMessage the tool produced. */
  content: string;
  /** The content parsed as JSON, or undefined for an error text. */
  json?: Record<string, any>;
  status?: string;
}

export async function startNotifyFixture(): Promise<NotifyFixture> {
  const sim = await createSimulator();
  sim.apps.register(APP);
  sim.apps.register(CARD_APP);
  const db = await openTestDatabase();
  const config = parsePluginConfig({ apiBaseUrl: sim.baseUrl, oapiBaseUrl: sim.baseUrl, publicBaseUrl: PUBLIC_BASE_URL, requestTimeoutMs: 5000 });
  const registry = new DingTalkClientRegistry(config);
  const integrations: Record<string, DingTalkIntegrationOptions> = {
    [INTEGRATION_ID]: { ...APP, mode: 'stream' },
    [CARD_INTEGRATION_ID]: { ...CARD_APP, mode: 'stream', cardTemplateId: 'tpl.notify.interactive' },
  };
  const warnings: string[] = [];
  const deps: NotifyDeps = {
    resolveIntegration: async (id) => {
      const options = integrations[id];
      if (!options) throw new DingTalkError('dingtalk_integration_not_found', 'No integration with this id.', 404);
      return { id, options };
    },
    clientFor: (options) => registry.forOptions(options),
    openDatabase: async () => db.db,
    hosts: { apiBaseUrl: config.apiBaseUrl, oapiBaseUrl: config.oapiBaseUrl, publicBaseUrl: PUBLIC_BASE_URL },
    now: () => Date.now(),
    logger: { debug: () => undefined, warn: (message) => warnings.push(message) },
  };

  return {
    sim,
    db,
    deps,
    warnings,
    middleware: (options, agentKey) => createNotifyMiddleware(deps, options, { tenantId: 't', userId: 'u', agentKey, node: null as never }),
    tool: (middleware, name) => {
      const found = middleware.tools?.find((t) => t.name === name);
      if (!found) throw new Error(`tool ${name} not found`);
      return found;
    },
    run: (tool, args, state = {}, options = {}) => runInGraph(tool, args, state, options),
    runContext: (overrides = {}) => ({
      integrationId: INTEGRATION_ID,
      conversationType: 'group',
      conversationId: 'cidGroupOne==',
      senderStaffId: 'staff-alice',
      senderNick: 'Alice',
      eventId: `msg-${randomUUID()}`,
      language: 'en',
      ...overrides,
    }),
    reset: async () => {
      sim.faults.clear();
      sim.clearCalls();
      sim.clearMessages();
      sim.directory.clear();
      warnings.length = 0;
      await resetTables(db.db);
    },
    close: async () => {
      await db.close();
      await sim.close();
    },
  };
}

async function runInGraph(tool: DynamicStructuredTool, args: Record<string, unknown>, state: Record<string, unknown>, options: RunOptions): Promise<RunResult> {
  const keys = new Set([...Object.keys(state), 'human', 'dingtalk_notify_last_result', 'dingtalk_notify_last_message_ids']);
  keys.delete('messages');
  const channels: Record<string, any> = { messages: Annotation<BaseMessage[]>({ reducer: messagesStateReducer, default: () => [] }) };
  for (const key of keys) channels[key] = Annotation<unknown>();
  const toolCallId = options.toolCallId ?? `call_${randomUUID()}`;
  const graph = new StateGraph(Annotation.Root(channels))
    .addNode('tools', async (_state: unknown, config: any) => {
      let out: unknown;
      for (let i = 0; i < (options.repeat ?? 1); i += 1) out = await tool.invoke({ id: toolCallId, name: tool.name, args, type: 'tool_call' }, config);
      return out;
    })
    .addEdge(START, 'tools')
    .addEdge('tools', END)
    .compile();
  const final = (await graph.invoke(state, { configurable: { thread_id: options.threadId ?? `thread-${randomUUID()}` } })) as Record<string, unknown>;
  const messages = final.messages as BaseMessage[];
  const last = messages[messages.length - 1] as BaseMessage & { status?: string };
  const content = typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
  let json: Record<string, any> | undefined;
  try {
    json = JSON.parse(content);
  } catch {
    json = undefined;
  }
  return { state: final, content, json, status: last.status };
}

/** The notify tools, by the names a model calls them. */
export const TEXT = 'dingtalk_send_text_notification';
export const RICH = 'dingtalk_send_rich_notification';
export const UPDATE = 'dingtalk_update_message';
export const RECALL = 'dingtalk_recall_message';
export const FILE = 'dingtalk_send_file';
export const LIST = 'dingtalk_list_users';

/** DingTalk routes the tests look for in the simulator's call log. */
export const BATCH_SEND = '/v1.0/robot/oToMessages/batchSend';
export const GROUP_SEND = '/v1.0/robot/groupMessages/send';
export const CARD_SEND = '/v1.0/card/instances/createAndDeliver';
export const UPLOAD = '/media/upload';

/** One fixture for the test file, started once and reset before each test; `use` receives it. */
export function useNotifyFixture(use: (fixture: NotifyFixture) => void): void {
  let fixture: NotifyFixture | undefined;
  beforeAll(async () => {
    fixture = await startNotifyFixture();
    use(fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });
  beforeEach(async () => {
    await fixture!.reset();
  });
}
