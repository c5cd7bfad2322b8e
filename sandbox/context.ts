/** What every provider sandbox is given when it is mounted on the sandbox server. */
export interface SandboxContext {
  /** Where the sandbox server itself is reachable, e.g. http://127.0.0.1:4010 (pages, redirects). */
  sandboxBaseUrl: string;
  /** Where our API is reachable, for callbacks and webhooks the sandbox sends to us. */
  apiBaseUrl: string;
  log: (message: string) => void;
}
