/** DingTalk-blue speech bubble with a wing; kept inline so the package needs no asset folder. */
export const DINGTALK_ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#3296FA"/>' +
  '<path fill="#fff" d="M47.6 27.9c-.4 1.6-2.6 5.1-4.6 7.9l-.1.1.9.1h3.6l-7 9.2 1.6-6.3h-3.1l1.1-4.4c-.9.2-2 .5-3.2.9 0 0-1.7.9-4.8-1.8 0 0-2.1-1.8-.9-2.3.5-.2 2.5-.4 4-.6 2-.3 3.2-.2 3.2-.2s-6.2.1-7.6-.1c-1.5-.2-3.3-2.5-3.7-4.6 0 0-.6-1.1 1.3-.6 1.9.5 9.6 2 9.6 2s-10-3.1-10.7-3.8c-.7-.7-2-3.7-1.8-5.6 0 0 .1-.5.6-.4 0 0 7.5 3.3 12.6 5.1 5.1 1.8 9.6 2.7 9 4.9z"/></svg>';

export const DINGTALK_ICON = { type: 'svg' as const, value: DINGTALK_ICON_SVG, color: '#3296FA' };
