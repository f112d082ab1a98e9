// One line per subcommand, for its own help and for `smc --help`, which lists every command without
// loading any of them (loading all, with the chat, exchange and database clients, takes most of a second).
export const COMMAND_SUMMARIES = {
  detect: { summary: 'list every detected structure (swings, order blocks, FVGs, sweeps, BOS/CHoCH) of one candle file', options: true },
  backtest: { summary: 'backtest the strategy on historical candles (1m or 5m base) across several coins', options: true },
  run: { summary: 'run the bot: paper trading by default (TRADING_MODE), alerts and commands over Telegram/Discord', options: true },
  replay: { summary: 'run the live runtime on recorded candles (paper fills) at N× speed', options: true },
  download: { summary: 'download Bybit USDT-perpetual candles (public data, no keys) as <out>/<SYMBOL>-<TF>.csv.gz; resumes existing files', options: true },
  'check-data': { summary: 'validate candle files or data folders and report their rows, range and gaps', options: false, args: '<paths...>' },
  ml: { summary: 'the ML confidence model: train it, export its dataset', options: false },
  db: { summary: 'database: apply migrations, show the store and its queue', options: false },
} as const satisfies Record<string, { summary: string; options: boolean; args?: string }>;

export type CommandName = keyof typeof COMMAND_SUMMARIES;
