/**
 * The process: the entry point of the bundle. It sets the exit code and
 * catches stray rejections; src/app.ts does the work.
 */
import { reportStray, runCommandLine } from './app.js';

process.on('unhandledRejection', (reason) => {
  reportStray(reason);
  process.exitCode = 1;
});

// Exit as soon as the work is done: output is flushed by then (stdout
// writes are awaited, stderr is synchronous), and Node's teardown of a
// large heap adds several milliseconds to every run.
runCommandLine(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
