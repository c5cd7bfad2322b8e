/**
 * Imported first by every entry point (before express and node:http load): starts tracing when the OTEL_*
 * variables ask for it, under a service name that says which process this is (OTEL_SERVICE_NAME overrides it).
 */
import { startTracing } from './tracing';

const SERVICES: Array<[RegExp, string]> = [
  [/workers[\\/]main\.ts$/, 'parking-worker'],
  [/sandbox[\\/]main\.ts$/, 'parking-sandbox'],
  [/tools[\\/]dev\.ts$/, 'parking-engine'],
  [/src[\\/]main\.ts$/, 'parking-api'],
];

const entry = process.argv[1] ?? '';
startTracing(SERVICES.find(([re]) => re.test(entry))?.[1] ?? 'parking-engine');
