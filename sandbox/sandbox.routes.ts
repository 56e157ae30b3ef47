import type { Express, NextFunction, Request, Response } from 'express';
import type { DingTalkSimulator } from './simulator';
import type { HostHarness } from './host/harness';
import { DEMO_HTTP, DEMO_STREAM } from './demo';
import { integrationById, SANDBOX_USERS, sandboxWindows, UserMessageLog } from './sandbox-api/conversations';
import { isJsonRequest, readJsonBody, sendWebFile } from './sandbox-api/http-helpers';
import { readPluginState } from './sandbox-api/plugin-state';
import { sendAsUser } from './sandbox-api/send';

export interface SandboxRouteDeps {
  simulator: DingTalkSimulator;
  url: () => string;
  /** The plugin host, once started (the routes are mounted before it listens); feeds the side panel. */
  host?: () => HostHarness | undefined;
  /** The log of what users typed (restored from the history file on a restart). */
  userMessages?: UserMessageLog;
  /** Called after a user message changed (sent, delivered), so the history file is kept current. */
  onChange?: () => void;
}

/** The sandbox exposes demo secrets, so it answers only callers on this machine. */
function loopbackOnly(req: Request, res: Response, next: NextFunction): void {
  const address = req.socket.remoteAddress ?? '';
  if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return next();
  res.status(403).json({ code: 'sandbox_loopback_only', message: 'The sandbox answers only on this machine.' });
}

const MAX_TEXT = 20_000;

function hostInfo(host: HostHarness | undefined): { profile: string; adminToken: string } | null {
  return host ? { profile: host.profile, adminToken: host.adminToken } : null;
}

export function mountSandboxRoutes(app: Express, deps: SandboxRouteDeps): void {
  const userMessages = deps.userMessages ?? new UserMessageLog();
  app.use('/sandbox', loopbackOnly);

  // The page: three static files from sandbox/web (no build step).
  // Express matches `/sandbox` and `/sandbox/` alike; only the slash form makes relative URLs work.
  app.get('/sandbox', (req, res, next) => {
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(302, '/sandbox/');
    void sendWebFile('index.html', res).catch(next);
  });
  app.get('/sandbox/:file', (req, res, next) => void sendWebFile(String(req.params.file), res).catch(next));

  app.get('/sandbox/api/state', (_req, res, next) => {
    readPluginState(deps.host?.())
      .then((plugin) => {
        const connections = plugin.connections as Record<string, unknown>;
        res.json({
          integrations: [DEMO_HTTP, DEMO_STREAM].map((integration) => ({
            id: integration.id,
            name: integration.name,
            mode: integration.options.mode,
            clientId: integration.options.clientId,
            clientSecret: integration.options.clientSecret,
            robotCode: integration.options.robotCode,
            callbackToken: 'callbackToken' in integration.options ? integration.options.callbackToken : undefined,
            callbackAesKey: 'callbackAesKey' in integration.options ? integration.options.callbackAesKey : undefined,
            webhookUrl: `${deps.url()}/api/dingtalk/webhook/${integration.id}`,
            stream: connections[integration.id],
            gatewayConnections: deps.simulator.gateway.connections(integration.options.clientId).filter((c) => c.open).length,
            gatewayPending: deps.simulator.gateway.pendingCount(integration.options.clientId),
          })),
          simulator: { baseUrl: deps.simulator.baseUrl },
          // Scripts use the token for authenticated host routes (Test, the status route).
          host: hostInfo(deps.host?.()),
          windows: sandboxWindows(),
          users: SANDBOX_USERS,
          queue: plugin.queue,
          spool: plugin.spool,
          deadLetters: plugin.deadLetters,
          triggerBindings: plugin.triggerBindings,
          sessions: plugin.sessions,
          inbound: plugin.inbound,
          refusals: plugin.refusals,
          stoppedRuns: plugin.stoppedRuns,
          stateErrors: plugin.errors,
        });
      })
      .catch(next);
  });

  // Polled by the page (every 500 ms): what the users typed and what the bot sent, in full.
  app.get('/sandbox/api/messages', (_req, res) => {
    res.set('cache-control', 'no-store').json({ user: userMessages.list(), bot: deps.simulator.messages() });
  });

  // A card button press by a sandbox user: the simulator calls the bot back as DingTalk would
  // (through the registered HTTP route, or the Stream CALLBACK topic), with that user's id.
  app.post('/sandbox/api/card-click', (req, res, next) => {
    void (async () => {
      const body = await readJsonBody(req);
      const user = SANDBOX_USERS.find((u) => u.id === body?.userId);
      if (!user || typeof body?.outTrackId !== 'string' || !body?.params || typeof body.params !== 'object') {
        res.status(400).json({ code: 'sandbox_click_invalid', message: 'Need outTrackId, a sandbox userId and params.' });
        return;
      }
      const result = await deps.simulator.cardCallbacks.click({ outTrackId: body.outTrackId, userId: user.id, params: body.params as Record<string, unknown>, actionId: typeof body.actionId === 'string' ? body.actionId : undefined });
      res.json(result);
    })().catch(next);
  });

  app.post('/sandbox/api/send', (req, res, next) => {
    if (!isJsonRequest(req)) {
      res.status(415).json({ code: 'sandbox_json_only', message: 'Send application/json.' });
      return;
    }
    void (async () => {
      const body = await readJsonBody(req);
      const integration = integrationById(body?.integrationId);
      const conversation = body?.conversation;
      const text = typeof body?.text === 'string' ? body.text.trim() : '';
      const user = SANDBOX_USERS.find((u) => u.id === body?.userId);
      if (!integration || (conversation !== 'private' && conversation !== 'group') || !user || !text || text.length > MAX_TEXT) {
        res.status(400).json({ code: 'sandbox_send_invalid', message: 'Need integrationId, conversation (private|group), a sandbox userId and text.' });
        return;
      }
      const atBot = conversation === 'private' || body?.atBot !== false;
      const record = userMessages.add({ windowKey: `${integration.options.mode}-${conversation}`, userId: user.id, nick: user.nick, text, atBot });
      try {
        const result = await sendAsUser({ simulator: deps.simulator, hostUrl: deps.url() }, { integration, conversation, userId: user.id, text, atBot }, record);
        res.status(result.ok ? 200 : 502).json({ id: record.id, ...result });
      } catch (error) {
        // The plugin could not be reached at all: say so in the chat instead of a silent failure.
        record.delivery = `failed: ${(error as Error).message}`;
        res.status(502).json({ id: record.id, ok: false, delivery: record.delivery });
      } finally {
        deps.onChange?.();
      }
    })().catch(next);
  });
}
