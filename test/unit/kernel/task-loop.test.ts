import { TaskLoop } from '../../../src/kernel/task-loop';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('TaskLoop', () => {
  it('shares the run in flight and starts a new one after it settled', async () => {
    const gates = [deferred<number>(), deferred<number>()];
    let started = 0;
    const loop = new TaskLoop(() => gates[started++].promise);
    const a = loop.run();
    const b = loop.run();
    expect(b).toBe(a);
    expect(started).toBe(1);
    gates[0].resolve(7);
    await expect(a).resolves.toBe(7);
    const c = loop.run();
    expect(c).not.toBe(a);
    expect(started).toBe(2);
    gates[1].resolve(8);
    await expect(c).resolves.toBe(8);
  });

  it('stop waits for the run in flight, then refuses new runs', async () => {
    const gate = deferred<void>();
    const loop = new TaskLoop(() => gate.promise);
    void loop.run();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(loop.stopped).toBe(true);
    expect(loop.run()).toBeUndefined();
  });

  it('a failed run does not stick: the next call runs again', async () => {
    let calls = 0;
    const loop = new TaskLoop(async () => {
      calls += 1;
      if (calls === 1) throw new Error('first fails');
      return calls;
    });
    await expect(loop.run()).rejects.toThrow('first fails');
    await expect(loop.run()).resolves.toBe(2);
  });
});
