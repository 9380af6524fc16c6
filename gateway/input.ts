import { decodeJson } from '../agent-runtime/protocol/codec.ts';
import { wrongContentTypeError } from './errors.ts';

const NO_INPUT = new Uint8Array(0);

/** `application/json`, with or without parameters, or a `+json` media type such as `application/merge-patch+json`. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json') return true;
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

/**
 * The call's input: the raw bytes of the request body, forwarded to NATS as
 * they came. The body is parsed once, only to reject what is not JSON before
 * it reaches a pod. An empty body is no input, whatever its content-type.
 */
export function readInput(body: unknown, contentType: string | undefined): Uint8Array {
  if (!(body instanceof Uint8Array) || body.byteLength === 0) return NO_INPUT;
  if (!isJsonContentType(contentType)) throw wrongContentTypeError(contentType);
  decodeJson(body, 'the request body');
  return body;
}

/**
 * A request body as a JSON value, for the routes that read it (the workflow
 * verbs): undefined for an empty body, whatever its content-type.
 */
export function readJsonBody(body: unknown, contentType: string | undefined): unknown {
  if (!(body instanceof Uint8Array) || body.byteLength === 0) return undefined;
  if (!isJsonContentType(contentType)) throw wrongContentTypeError(contentType);
  return decodeJson(body, 'the request body');
}
