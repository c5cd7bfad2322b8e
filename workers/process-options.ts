/**
 * How the worker process is started, wherever it is started (package.json `start:worker`, docker-compose.yml and
 * the Dockerfile, the production topology's app processes, bench:load's worker). Measured with bench:load: with
 * these, an idle worker holds about 210 MiB and one with 10,000 open sessions about 275 MiB (under 300 MB); with the
 * defaults of Node and glibc (and a cache of 250) it held 268 MiB idle.
 *
 * - `--max-old-space-size=256` (MiB, for each V8 isolate: the main one and the workflow thread's): well above what
 *   either was seen to hold live (the main one at most about 110 MiB), but V8 sizes its heap growth from it. Under
 *   the default (about 4 GiB on a large machine) each heap grew to several times its live size before a full
 *   collection, and the worker swung between 280 and 410 MiB; at 512 it stayed under 285. A cache of many hundred
 *   workflows (WORKER_MAX_CACHED_WORKFLOWS) needs a larger ceiling: a heap that reaches it ends the process.
 * - `--max-semi-space-size=4` (MiB): the young generation of each isolate, 16 MiB per semi-space by default.
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates (Temporal core's Rust threads, libuv's, V8's) an
 *   arena of its own, up to 8 per core, each keeping memory it freed; at 1,000 open sessions 20 arenas held 68 MiB.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=4'] as const;

/** Read by glibc when the process starts: it has to be in the environment the worker is started with. */
export const WORKER_PROCESS_ENV = { MALLOC_ARENA_MAX: '2' } as const;
