import { createReadStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ColonyError } from '../agent-runtime/protocol/errors.ts';
import { quote } from './errors.ts';

/** A file a page of the gateway serves: one on disk (where it is), or text made in code. */
export type StaticFile = { contentType: string; path: string } | { contentType: string; text: string };

export const JS_TYPE = 'text/javascript; charset=utf-8';
export const CSS_TYPE = 'text/css; charset=utf-8';
export const HTML_TYPE = 'text/html; charset=utf-8';

export interface StaticFilesOptions {
  /** The page's path: its files are `<path>/<name>`. */
  path: string;
  /** What each name serves: a fixed list, so no request can name another file. */
  files: ReadonlyMap<string, StaticFile>;
  /** The files' cache-control header. */
  cacheControl: string;
  /** What the page is, for the 404 of a name it does not serve (`the API reference`). */
  what: string;
}

/** GET <path>/:file — the files of a page (/docs, /ui), open like the page itself. */
export function registerStaticFiles(app: FastifyInstance, options: StaticFilesOptions): void {
  const { path, files, cacheControl, what } = options;
  app.get<{ Params: { file: string } }>(`${path}/:file`, async (request, reply) => {
    const file = files.get(request.params.file);
    if (file === undefined) throw new ColonyError('not_found', `there is no file ${quote(request.params.file)} in ${path}; ${what} is at ${path}`);
    reply.type(file.contentType).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff');
    return reply.send('text' in file ? file.text : createReadStream(file.path));
  });
}
