/**
 * DingTalk simulator for tests and the sandbox. `createSimulator()` starts it on 127.0.0.1 (random
 * port). The DingTalk user driver (signed robot messages, encrypted events, card callbacks) lives in
 * `./user-driver`, kept out of this barrel so the simulator has no dependency on the plugin's crypto.
 */
export { createSimulator, type DingTalkSimulator, type SimulatorOptions } from './simulator';
export type { FaultSpec } from './fault-controller';
export type { SimSession } from './session-store';
export type { SimDepartment, SimUser } from './directory-store';
export type { SimFile } from './file-store';
export { AppRegistry } from './app-registry';
export type * from './types';
