/**
 * An instance address, `<agent>/<key>` or `<workflow>/<id>`: the name is up to
 * the first slash, the key is the rest (it may hold slashes). Undefined when
 * either part is empty or there is no slash.
 */
export function splitAddress(address: string): { name: string; key: string } | undefined {
  const slash = address.indexOf('/');
  if (slash <= 0 || slash === address.length - 1) return undefined;
  return { name: address.slice(0, slash), key: address.slice(slash + 1) };
}
