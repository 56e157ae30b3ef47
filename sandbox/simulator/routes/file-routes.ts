import type { SimContext } from '../context';
import { ok } from '../error-bodies';
import type { SimResponse } from '../types';
import { asObject, bad, checkRobotCode } from './validation';

/**
 * Files users sent to the robot: `POST /v1.0/robot/messageFiles/download` turns a downloadCode into a
 * temporary URL, served by the simulator itself under `/_simulator/files/`.
 */
export function registerFileRoutes(ctx: SimContext): void {
  ctx.route(
    'POST',
    '/v1.0/robot/messageFiles/download',
    (req) => {
      const body = asObject(req.body);
      const robot = checkRobotCode(ctx.apps, req.app, body.robotCode);
      if (!robot.ok) return robot.error;
      if (typeof body.downloadCode !== 'string' || body.downloadCode === '') return bad('invalidParameter.downloadCode.empty', 'downloadCode不能为空').error;
      if (!ctx.files.get(body.downloadCode)) return bad('invalidParameter.downloadCode.invalid', 'downloadCode无效').error;
      return ok({ downloadUrl: `${ctx.baseUrl()}/_simulator/files/${encodeURIComponent(body.downloadCode)}` });
    },
    { family: 'new', scope: 'qyapi_robot_sendmsg' },
  );

  ctx.route(
    'GET',
    '/_simulator/files/',
    (req): SimResponse => {
      const file = ctx.files.get(decodeURIComponent(req.path.slice('/_simulator/files/'.length)));
      if (!file) return { status: 404, raw: 'not found', headers: { 'content-type': 'text/plain' } };
      return {
        status: 200,
        raw: file.bytes,
        headers: { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${encodeURIComponent(file.fileName)}"` },
      };
    },
    { prefix: true, record: false, faults: false },
  );
}
