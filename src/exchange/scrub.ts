// Errors from the SDK carry the API key, secret and request signatures (bybit-api puts the client
// options in `requestOptions`, axios puts signed headers in `config`). Nothing from an SDK error
// reaches a log or a user before it went through here.

const SIGNATURE_PATTERNS: RegExp[] = [
  /("?x-bapi-(?:sign|api-key)"?\s*[:=]\s*"?)[^",\s}]+/gi,
  /((?:^|[?&"\s])(?:sign|signature|api_key|apiKey|secret)"?\s*[:=]\s*"?)[^&",\s}]+/gi,
  /("op"\s*:\s*"auth"\s*,\s*"args"\s*:\s*\[)[^\]]*/gi,
];

/** Removes every occurrence of the secrets and anything that looks like a signature. */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const re of SIGNATURE_PATTERNS) out = out.replace(re, '$1[redacted]');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export interface ScrubbedError {
  message: string;
  retCode?: number;
  retMsg?: string;
  status?: number;
  code?: string;
}

/** A small, log-safe summary of any thrown value: only the fields worth knowing, all scrubbed. */
export function scrubError(err: unknown, secrets: readonly string[] = []): ScrubbedError {
  const out: ScrubbedError = { message: '' };
  if (typeof err === 'string') {
    out.message = err;
  } else if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    const body = e.body as Record<string, unknown> | undefined;
    if (typeof e.retCode === 'number') out.retCode = e.retCode;
    else if (body && typeof body.retCode === 'number') out.retCode = body.retCode;
    const retMsg = e.retMsg ?? body?.retMsg;
    if (typeof retMsg === 'string') out.retMsg = scrubText(retMsg, secrets);
    if (typeof e.code === 'number') out.status = e.code;
    else if (typeof e.code === 'string') out.code = e.code;
    if (typeof e.status === 'number') out.status = e.status;
    const msg = e.message ?? e.statusText ?? out.retMsg ?? 'unknown error';
    out.message = typeof msg === 'string' ? msg : String(msg);
  } else {
    out.message = String(err);
  }
  out.message = scrubText(out.message, secrets);
  return out;
}
