// @ts-check
/**
 * ESLint's Node API with the project's eslint.config.mjs, in a Node process of its own: ESLint loads its config
 * with a dynamic import(), which jest's module runtime cannot serve. Reads [{ code, filePath }] as JSON on stdin,
 * writes one array of { ruleId, severity, message } per input as JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';

const inputs = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { code, filePath } of inputs) {
  const [result] = await eslint.lintText(code, { filePath });
  out.push(result.messages.map(({ ruleId, severity, message }) => ({ ruleId, severity, message })));
}
process.stdout.write(JSON.stringify(out));
