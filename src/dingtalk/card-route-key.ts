/**
 * Route key under which an HTTP-mode integration registers its card callback URL
 * (`POST /v1.0/card/callbacks/register`); every card created with `callbackType: "HTTP"` names it,
 * or DingTalk calls nobody back.
 */
export function cardCallbackRouteKey(integrationId: string): string {
  return `xpert_dingtalk_${integrationId}`.slice(0, 64);
}
