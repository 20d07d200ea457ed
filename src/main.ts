/**
 * The process: the entry point of the binary. It sets the exit code and
 * nothing else; src/app.ts does the work.
 *
 * `--version` alone is answered before anything else loads: scripts and
 * krew call it to probe the plugin, and loading the API client costs more
 * than the rest of the answer. app.ts (yargs) prints the same version for
 * any other spelling.
 */
import pkg from '../package.json' with { type: 'json' };

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  process.stdout.write(`${pkg.version}\n`);
} else {
  import('./app.js')
    .then(({ runCommandLine }) => runCommandLine(argv, process.env))
    .then(
      (code) => {
        process.exitCode = code;
      },
      () => {
        process.exitCode = 1;
      },
    );
}
