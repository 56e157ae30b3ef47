/**
 * Resolves once `condition` holds, checking every few milliseconds; for states that change in
 * another component with no event to await. Fails after `timeoutMs` with `what` in the message.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
