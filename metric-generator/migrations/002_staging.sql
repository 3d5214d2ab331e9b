-- Time-ordered staging for new samples (see src/fold.ts and docs/performance.md, "Generator bench").
-- With `samples (server_id, ts)`, one row per server per tick lands on that server's own leaf
-- page: once history builds up, every tick dirties one page per server (10,000 pages per commit
-- at 10,000 servers). A tick is therefore appended to the ACTIVE staging table, keyed by
-- (ts, server_id), where it fills a few fresh pages at the end of the tree. Once the active table
-- spans a generation of ticks the two tables swap roles; the other one is then copied into
-- `samples` a slice of servers per tick (each server's leaf page touched once per generation, with
-- a generation of rows) and emptied in one statement when the copy is complete.
CREATE TABLE recent_0 (
  ts INTEGER NOT NULL,
  server_id INTEGER NOT NULL,
  cpu_pct REAL NOT NULL,
  mem_pct REAL NOT NULL,
  disk_pct REAL NOT NULL,
  net_rx_bps INTEGER NOT NULL,
  net_tx_bps INTEGER NOT NULL,
  load1 REAL NOT NULL,
  PRIMARY KEY (ts, server_id)
) WITHOUT ROWID;

CREATE TABLE recent_1 (
  ts INTEGER NOT NULL,
  server_id INTEGER NOT NULL,
  cpu_pct REAL NOT NULL,
  mem_pct REAL NOT NULL,
  disk_pct REAL NOT NULL,
  net_rx_bps INTEGER NOT NULL,
  net_tx_bps INTEGER NOT NULL,
  load1 REAL NOT NULL,
  PRIMARY KEY (ts, server_id)
) WITHOUT ROWID;

-- Which staging table receives new ticks; the other one, when not empty, is being folded.
CREATE TABLE staging_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  active INTEGER NOT NULL CHECK (active IN (0, 1))
);
INSERT INTO staging_state (id, active) VALUES (1, 0);
