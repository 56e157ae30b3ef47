import { ignoredOptionKeys } from '../config/legacy-options';

/**
 * The Test checklist names settings kept from the earlier 0.0.9 plugin that nothing here reads
 * (its custom-robot webhook keys), so the admin knows they have no effect rather than guessing.
 */
export function ignoredKeysWarning(options: unknown): { warnings?: string[] } {
  const keys = ignoredOptionKeys(options);
  if (keys.length === 0) return {};
  return {
    warnings: [
      `Ignored settings from the earlier DingTalk plugin: ${keys.join(', ')}. They are kept unchanged but have no effect; this plugin answers through the app robot (Client ID / Client Secret).`,
    ],
  };
}
