-- Every server that ever wrote a sample: samples store its integer key, not its name
-- (server-N has key N, host has key 0), so a row is 8 small values and the primary key stays short.
CREATE TABLE servers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- One row per server per tick. ts is the tick in epoch milliseconds. The clustered primary key
-- (server_id, ts) makes a server's history one contiguous range and its pruning a range delete.
CREATE TABLE samples (
  server_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  cpu_pct REAL NOT NULL,
  mem_pct REAL NOT NULL,
  disk_pct REAL NOT NULL,
  net_rx_bps INTEGER NOT NULL,
  net_tx_bps INTEGER NOT NULL,
  load1 REAL NOT NULL,
  PRIMARY KEY (server_id, ts)
) WITHOUT ROWID;
