// Button ids travel through Telegram callback_data (max 64 bytes) and Discord custom_id (max 100),
// so they are short prefixes plus an id: "ap:<approvalId>", "rj:<approvalId>", "cf:<nonce>", "cn:<nonce>".

export const MAX_BUTTON_ID_BYTES = 64;

export type ButtonAction =
  | { kind: 'approve'; approvalId: string }
  | { kind: 'reject'; approvalId: string }
  | { kind: 'confirm'; nonce: string }
  | { kind: 'cancel'; nonce: string };

function make(prefix: string, id: string): string {
  const out = `${prefix}:${id}`;
  if (Buffer.byteLength(out, 'utf8') > MAX_BUTTON_ID_BYTES) {
    throw new Error(`button id for "${id}" is longer than ${MAX_BUTTON_ID_BYTES} bytes (Telegram's callback_data limit)`);
  }
  return out;
}

export const approveButtonId = (approvalId: string) => make('ap', approvalId);
export const rejectButtonId = (approvalId: string) => make('rj', approvalId);
export const confirmButtonId = (nonce: string) => make('cf', nonce);
export const cancelButtonId = (nonce: string) => make('cn', nonce);

export function parseButtonId(id: string): ButtonAction | null {
  const m = /^(ap|rj|cf|cn):(.+)$/.exec(id);
  if (!m) return null;
  const v = m[2];
  switch (m[1]) {
    case 'ap':
      return { kind: 'approve', approvalId: v };
    case 'rj':
      return { kind: 'reject', approvalId: v };
    case 'cf':
      return { kind: 'confirm', nonce: v };
    default:
      return { kind: 'cancel', nonce: v };
  }
}
