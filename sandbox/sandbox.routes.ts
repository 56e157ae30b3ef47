import type { Express, NextFunction, Request, Response } from 'express';
import type { DingTalkSimulator } from './simulator';
import { DEMO_HTTP, DEMO_STREAM } from './demo';

export interface SandboxRouteDeps {
  simulator: DingTalkSimulator;
  url: () => string;
}

/** The sandbox exposes demo secrets, so it answers only callers on this machine. */
function loopbackOnly(req: Request, res: Response, next: NextFunction): void {
  const address = req.socket.remoteAddress ?? '';
  if (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1') return next();
  res.status(403).json({ code: 'sandbox_loopback_only', message: 'The sandbox answers only on this machine.' });
}

export function mountSandboxRoutes(app: Express, deps: SandboxRouteDeps): void {
  app.use('/sandbox', loopbackOnly);
  app.get('/sandbox/api/state', (_req, res) => {
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
      })),
      simulator: { baseUrl: deps.simulator.baseUrl },
    });
  });
}
