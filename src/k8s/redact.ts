/**
 * Hides credentials in request and response bodies shown at -v 8.
 *
 * The Logger also replaces every secret it was told about; this catches the
 * ones it cannot know in advance, such as the token in a TokenRequest reply
 * or the data of a token Secret.
 */

const secretKeys = new Set([
  'token',
  'password',
  'client-key-data',
  'clientKeyData',
  'data',
  'stringData',
]);

/** Returns `body` with the values of credential fields replaced. */
export function redactBody(body: string): string {
  if (body.length === 0) return body;
  try {
    return JSON.stringify(JSON.parse(body, redactValue));
  } catch {
    return `<${body.length} bytes, not JSON: not shown>`;
  }
}

function redactValue(key: string, value: unknown): unknown {
  if (!secretKeys.has(key) || value === null || value === undefined) return value;
  return '<redacted>';
}
