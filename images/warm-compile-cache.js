// Run at image build time: compiles the given modules once, so that V8's code cache
// (NODE_COMPILE_CACHE) ships inside the image and every pod starts warm, even with a
// read-only root filesystem. Best-effort: a module that fails to load is reported and skipped.
import module from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const specifier of process.argv.slice(2)) {
  const target = /^[./]/.test(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
  try {
    await import(target);
  } catch (error) {
    process.stderr.write(`compile cache: skipped ${specifier}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
module.flushCompileCache?.();
process.stdout.write(`compile cache: ${module.getCompileCacheDir?.() ?? 'disabled (set NODE_COMPILE_CACHE)'}\n`);
// Imported modules may hold timers or sockets open; the cache is written, so leave now.
process.exit(0);
