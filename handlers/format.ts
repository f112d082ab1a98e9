// Number and time formatting for chat messages: short, fixed precision, explicit signs for PnL.

/** Price with precision by magnitude, so BTC and DOGE both read naturally. */
export function price(p: number): string {
  if (!Number.isFinite(p)) return '—';
  const a = Math.abs(p);
  const digits = a >= 1000 ? 2 : a >= 10 ? 3 : a >= 1 ? 4 : a >= 0.01 ? 5 : 8;
  return p.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** US dollars with two decimals; `signed` adds + to positive values (PnL). */
export function usd(v: number, signed = false): string {
  if (!Number.isFinite(v)) return '—';
  const body = `$${Math.abs(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (v < 0 && Math.abs(v) >= 0.005) return `-${body}`;
  return signed && v >= 0.005 ? `+${body}` : body;
}

export function pct(v: number, signed = true, digits = 2): string {
  if (!Number.isFinite(v)) return '—';
  const s = v.toFixed(digits);
  return signed && v > 0 && Number(s) !== 0 ? `+${s}%` : `${s}%`;
}

export function qty(q: number): string {
  if (!Number.isFinite(q)) return '—';
  return Number(q.toPrecision(8)).toString();
}

/** "2h 5m", "45s": how long, for uptime and expiry. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "2026-11-24 14:05 UTC". */
export function utc(t: number | Date): string {
  const d = typeof t === 'number' ? new Date(t) : t;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function hhmm(t: number): string {
  return new Date(t).toISOString().slice(11, 16);
}

/** Signed move in % from `from` to `to`, in the trade's favour for `direction`. */
export function movePercent(from: number, to: number, direction: 'long' | 'short'): number {
  const raw = ((to - from) / from) * 100;
  return direction === 'long' ? raw : -raw;
}
