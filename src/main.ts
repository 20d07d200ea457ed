/**
 * The process: the entry point of the bundle. It sets the exit code and
 * catches stray rejections; src/app.ts does the work.
 */
import { reportStray, runCommandLine } from './app.js';

process.on('unhandledRejection', (reason) => {
  reportStray(reason);
  process.exitCode = 1;
});

runCommandLine(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
