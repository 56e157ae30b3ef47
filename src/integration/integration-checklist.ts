import type { DingTalkIntegrationOptions } from '../kernel/integration';
import { isDingTalkApiError, type DingTalkApiError } from '../dingtalk/api-error';
import type { DingTalkClient } from '../dingtalk/client';

/**
 * The permission probes behind the Test checklist. Each probe is a call that changes nothing on
 * DingTalk (it names a message or card that does not exist) but that DingTalk authorises first, so
 * a missing scope or a foreign robot code is refused before the "not found" answer.
 */

type ProbeClient = Pick<DingTalkClient, 'recallUserMessages' | 'updateCard' | 'streamCard' | 'listSubDepartments'>;

interface ScopeProbe {
  scope: string;
  /** What the scope is for, in the admin's terms. */
  purpose: string;
  run(client: ProbeClient, options: DingTalkIntegrationOptions): Promise<unknown>;
  /** The feature is on for these settings. */
  needed(options: DingTalkIntegrationOptions): boolean;
}

const PROBE_ID = 'dingtalk-plugin-permission-probe';

const SCOPE_PROBES: ScopeProbe[] = [
  {
    scope: 'qyapi_robot_sendmsg',
    purpose: 'the robot sends answers and notifications',
    needed: () => true,
    run: (client, options) => client.recallUserMessages([PROBE_ID], options.robotCode || options.clientId),
  },
  {
    scope: 'Card.Instance.Write',
    purpose: 'answers are delivered as AI cards (a card template is set)',
    needed: (options) => Boolean(options.cardTemplateId),
    run: (client) => client.updateCard({ outTrackId: PROBE_ID, cardData: { cardParamMap: {} } }),
  },
  {
    scope: 'Card.Streaming.Write',
    purpose: 'answers stream into the AI card',
    needed: (options) => Boolean(options.cardTemplateId),
    run: (client) => client.streamCard({ outTrackId: PROBE_ID, guid: PROBE_ID, key: 'content', content: '', isFull: true, isFinalize: false, isError: false }),
  },
  {
    scope: 'qyapi_get_department_list',
    purpose: "the notify tools look up the organization's users",
    needed: () => true,
    run: (client) => client.listSubDepartments(1),
  },
];

const ROBOT_CODE_ERRORS = /robotCode/i;

/** Runs every probe the settings need and returns one warning per thing to fix; never throws. */
export async function probePermissions(client: ProbeClient, options: DingTalkIntegrationOptions): Promise<string[]> {
  const warnings: string[] = [];
  for (const probe of SCOPE_PROBES.filter((p) => p.needed(options))) {
    try {
      await probe.run(client, options);
    } catch (error) {
      const warning = probeWarning(probe, error, options);
      if (warning) warnings.push(warning);
    }
  }
  return warnings;
}

function probeWarning(probe: ScopeProbe, error: unknown, options: DingTalkIntegrationOptions): string | undefined {
  if (!isDingTalkApiError(error)) return `Could not check the permission ${probe.scope} (${codeOf(error)}); Test again later.`;
  if (error.code === 'dingtalk_permission_missing') {
    const scopes = error.requiredScopes.length ? error.requiredScopes : [probe.scope];
    return `Permission ${scopes.join(', ')} is missing (DingTalk ${platformCodes(error)}); it is needed because ${probe.purpose}. Grant it in the developer console → 权限管理 (Permission management), then publish the app version.`;
  }
  if (ROBOT_CODE_ERRORS.test(error.platformCode)) {
    return `Robot code '${options.robotCode || options.clientId}' is not a robot of this app (DingTalk ${error.platformCode}): enable the Robot capability (应用能力 → 机器人) in the developer console and copy its RobotCode into the integration.`;
  }
  if (error.retryable || error.code === 'dingtalk_ip_not_allowed' || error.code === 'dingtalk_token_invalid') {
    return `Could not check the permission ${probe.scope} (${error.code}); Test again later.`;
  }
  // Any other refusal is the "no such message/card" the probe expects: the call was authorised.
  return undefined;
}

function platformCodes(error: DingTalkApiError): string {
  return error.subCode ? `${error.platformCode}/${error.subCode}` : error.platformCode;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'unknown_error';
}
