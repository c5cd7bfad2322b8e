/**
 * The product's one logger: pino, JSON lines (pretty on a terminal outside production), redacted, and every
 * line carries the context of the work it belongs to — request id in the API, workflow id / run id / activity
 * in the worker, session id wherever it is known — from an AsyncLocalStorage the HTTP middleware and the
 * activity interceptor fill.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import { censor, REDACT_PATHS, scrubText } from './redact';

export interface LogContext {
  requestId?: string;
  sessionId?: number | string;
  workflowId?: string;
  runId?: string;
  activityType?: string;
}

const contextStore = new AsyncLocalStorage<LogContext>();

/** Runs fn with these fields added to every log line written inside it (async continuations included). */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return contextStore.run({ ...contextStore.getStore(), ...ctx }, fn);
}

/** Adds fields to the current context (a session id learnt half-way through a request). */
export function bindLogContext(ctx: LogContext): void {
  const store = contextStore.getStore();
  if (store) Object.assign(store, ctx);
}

export function currentLogContext(): LogContext {
  return { ...contextStore.getStore() };
}

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  destination?: DestinationStream;
}

/** Pretty only for a person at a terminal; anything collected (pipes, files, containers, production) gets JSON. */
export function loggerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoggerOptions {
  const production = env.APP_MODE === 'production' || env.NODE_ENV === 'production';
  const format = env.LOG_FORMAT ?? (process.stdout.isTTY && !production ? 'pretty' : 'json');
  const level = env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info');
  return { level, pretty: format === 'pretty' && !production };
}

const errSerializer = (err: unknown) => {
  // `error: String(err)` is common in log calls: a string stays a string (spread, it became one key per character).
  if (typeof err !== 'object' || err === null) return typeof err === 'string' ? scrubText(err) : err;
  const out = pino.stdSerializers.err(err as Error);
  return { ...out, message: scrubText(String(out.message ?? '')), stack: out.stack ? scrubText(out.stack) : undefined };
};

export function createLogger(opts: LoggerOptions): Logger {
  const destination = opts.destination ?? (opts.pretty ? PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : undefined);
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor },
    serializers: { err: errSerializer, error: errSerializer },
    mixin: () => ({ ...contextStore.getStore() }),
    hooks: {
      // Free text is scrubbed too: a message may quote a URL or an upstream error.
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as typeof args;
        return method.apply(this, scrubbed);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

let root: Logger = createLogger(loggerOptionsFromEnv());

/** The process's root logger; components take a child with `logger.child({ component })`. */
export function rootLogger(): Logger {
  return root;
}

/** A component's logger; it follows the root even when the root is replaced later (tests, entry points). */
export function componentLogger(component: string): Logger {
  let cached: { root: Logger; child: Logger } | undefined;
  const current = () => {
    if (cached?.root !== root) cached = { root, child: root.child({ component }) };
    return cached.child;
  };
  return new Proxy({} as Logger, {
    get: (_t, prop) => {
      const target = current();
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Replaces the root logger (a test capturing lines, an entry point with its own options). */
export function setRootLogger(logger: Logger): void {
  root = logger;
}
