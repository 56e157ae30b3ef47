import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

export interface ClusterOptions {
  ports: number[];
  env: Record<string, string>;
  /** Folder for each replica's output (stdout/stderr), kept as a CI artifact. */
  logDir: string;
  /** The replica's entry script; defaults to the suite's host-process.ts. It prints `READY <url>`. */
  entry?: string;
}

export interface Replica {
  name: string;
  port: number;
  url: string;
  /** Pids of every process this replica slot has run, oldest first. */
  pids: number[];
  alive: boolean;
  kills: number;
}

const ENTRY = resolve(__dirname, 'host-process.ts');
const READY_TIMEOUT_MS = 90_000;

/**
 * Several host processes sharing one database, each on a fixed port so that a restarted replica is
 * reachable where the old one was (what a load balancer in front of them would see).
 */
export class Cluster {
  readonly replicas: Replica[];
  private readonly children = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, WriteStream>();

  constructor(private readonly options: ClusterOptions) {
    mkdirSync(options.logDir, { recursive: true });
    this.replicas = options.ports.map((port, i) => ({ name: `replica-${String.fromCharCode(97 + i)}`, port, url: `http://127.0.0.1:${port}`, pids: [], alive: false, kills: 0 }));
  }

  /** Starts the replicas one after another (the first creates the host table unraced). */
  async start(): Promise<void> {
    for (const replica of this.replicas) await this.boot(replica);
  }

  live(): Replica[] {
    return this.replicas.filter((r) => r.alive);
  }

  /** SIGKILL: no shutdown hook runs, leases stay held, sockets are cut by the kernel. */
  async kill(replica: Replica): Promise<void> {
    const child = this.children.get(replica.name);
    if (!child || !replica.alive) throw new Error(`${replica.name} is not running`);
    replica.alive = false;
    replica.kills += 1;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(replica: Replica): Promise<void> {
    await this.boot(replica);
  }

  /** True when every replica that should run still does (none died on its own). */
  allAlive(): boolean {
    return this.replicas.every((r) => r.alive && this.children.get(r.name)?.exitCode === null);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (replica) => {
        const child = this.children.get(replica.name);
        if (!child || child.exitCode !== null) return;
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        replica.alive = false;
      }),
    );
    for (const log of this.logs.values()) log.end();
  }

  private log(replica: Replica): WriteStream {
    let log = this.logs.get(replica.name);
    if (!log) {
      log = createWriteStream(join(this.options.logDir, `${replica.name}.log`), { flags: 'w' });
      this.logs.set(replica.name, log);
    }
    return log;
  }

  private boot(replica: Replica): Promise<void> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', this.options.entry ?? ENTRY], {
      env: { ...process.env, ...this.options.env, RELIABILITY_PORT: String(replica.port), TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.set(replica.name, child);
    replica.pids.push(child.pid ?? -1);
    const log = this.log(replica);
    log.write(`--- ${replica.name} pid ${child.pid} starting at ${new Date().toISOString()}\n`);
    child.stderr?.pipe(log, { end: false });
    return new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`${replica.name} did not start within ${READY_TIMEOUT_MS} ms (see ${replica.name}.log)`)), READY_TIMEOUT_MS);
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        log.write(chunk);
        buffered += chunk.toString();
        if (!replica.alive && buffered.includes('READY ')) {
          replica.alive = true;
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code, signal) => {
        log.write(`--- ${replica.name} pid ${child.pid} exited (code ${code}, signal ${signal})\n`);
        if (!replica.alive) {
          clearTimeout(timer);
          fail(new Error(`${replica.name} exited before it was ready (code ${code}, signal ${signal})`));
        }
        replica.alive = false;
      });
    });
  }
}
