/**
 * The process: the entry point of the bundle. It sets the exit code and
 * nothing else; src/app.ts does the work.
 */
import { runCommandLine } from './app.js';

runCommandLine(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
