-- Staged ticks in blocks (see src/staged-blocks.ts and docs/performance.md, "Generator bench").
-- A commit wrote one staging row per server per tick: at 100,000 servers that was 100,000 b-tree
-- inserts, two thirds of the tick. A staging row now holds one tick of up to ~17 servers (as many
-- as fit on a 4 KB page without overflow), in ascending key order; `lo` and `hi` are the first and
-- last key it holds. The fold (src/fold.ts) still copies them into `samples`, one row per sample.
--
-- What the per-row staging tables still hold is copied into `samples` first: the table being
-- folded, then the active one, whose rows win (the precedence of history-merge.ts).
INSERT OR REPLACE INTO samples
  (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
  SELECT server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1 FROM recent_0
  WHERE (SELECT active FROM staging_state) = 1;
INSERT OR REPLACE INTO samples
  (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
  SELECT server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1 FROM recent_1
  WHERE (SELECT active FROM staging_state) = 0;
INSERT OR REPLACE INTO samples
  (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
  SELECT server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1 FROM recent_0
  WHERE (SELECT active FROM staging_state) = 0;
INSERT OR REPLACE INTO samples
  (server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1)
  SELECT server_id, ts, cpu_pct, mem_pct, disk_pct, net_rx_bps, net_tx_bps, load1 FROM recent_1
  WHERE (SELECT active FROM staging_state) = 1;
DROP TABLE recent_0;
DROP TABLE recent_1;

CREATE TABLE staged_0 (
  ts INTEGER NOT NULL,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL,
  v BLOB NOT NULL,
  PRIMARY KEY (ts, lo)
) WITHOUT ROWID;

CREATE TABLE staged_1 (
  ts INTEGER NOT NULL,
  lo INTEGER NOT NULL,
  hi INTEGER NOT NULL,
  v BLOB NOT NULL,
  PRIMARY KEY (ts, lo)
) WITHOUT ROWID;

UPDATE staging_state SET active = 0;
