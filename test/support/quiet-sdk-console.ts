/* eslint-disable no-console -- this file exists to filter the console */
/**
 * The dingtalk-stream SDK prints "connect success" and "Disconnecting." with console.info on every
 * connection, whatever its `debug` setting. Those two lines are dropped in tests so that any other
 * console output (a real finding) still stands out.
 */
const SDK_CHATTER = [/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] connect success$/, /^Disconnecting\.$/];
const info = console.info.bind(console);

console.info = (...args: unknown[]) => {
  if (args.length === 1 && typeof args[0] === 'string' && SDK_CHATTER.some((pattern) => pattern.test(args[0] as string))) return;
  info(...args);
};
