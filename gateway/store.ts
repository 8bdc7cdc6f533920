/**
 * The gateway's embedded store: SQLite through `node:sqlite` (no native build), in WAL
 * mode, under `--data DIR` (`gateway.sqlite`). It holds the unit lists (the unit hashes of
 * a batch, in index order, with who published them or which peer they came from), an index
 * from unit hash to list and position, the digests of accepted publications (a replay is
 * refused), and the replication cursor. Everything it holds was checked against the chain
 * before it was written, and each list is written in one transaction.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type { DatabaseSync as Database } from "node:sqlite";

import { makeDirectory } from "../sdk/files.js";

/** A stored unit list. */
export interface StoredList {
  root: string;
  batchId: string;
  count: number;
  /** How the tree's leaves are laid out: unit order (what `batch create` commits) or sorted by hash. */
  order: "index" | "hash";
  /** n × 32 bytes: the unit hashes by index. */
  hashes: Uint8Array;
  /** The member who published it, or null for a list pulled from a peer. */
  signer: string | null;
  party: string | null;
  /** `publication` or the peer's URL. */
  source: string;
}

/** One place a unit hash is found. */
export interface UnitPlace {
  root: string;
  batchId: string;
  index: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lists (
  root TEXT PRIMARY KEY,
  batch_id TEXT NOT NULL,
  count INTEGER NOT NULL,
  ordering TEXT NOT NULL,
  signer TEXT,
  party TEXT,
  source TEXT NOT NULL,
  stored_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lists_by_batch ON lists (batch_id);
-- The hashes apart, so that reading a list's facts never pages through its blob.
CREATE TABLE IF NOT EXISTS list_hashes (
  root TEXT PRIMARY KEY,
  hashes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS units (
  unit_hash BLOB NOT NULL,
  root TEXT NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (unit_hash, root)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS publications (
  digest TEXT PRIMARY KEY,
  root TEXT NOT NULL,
  signer TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** `node:sqlite` without its one-time ExperimentalWarning on the operator's terminal. */
function databaseClass(): typeof Database {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (/SQLite/i.test(text)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return (createRequire(import.meta.url)("node:sqlite") as { DatabaseSync: typeof Database }).DatabaseSync;
  } finally {
    process.emitWarning = emit;
  }
}

/** A publication's key: its digest and who signed it (two members may sign the same content in one second). */
const publicationKey = (digest: string, signer: string) => `${digest.toLowerCase()}:${signer.toLowerCase()}`;

const bytes = (hash: string) => Buffer.from(hash.slice(2), "hex");

/** A stored list without its hashes (what a lookup needs when the tree is cached). */
export type ListFacts = Omit<StoredList, "hashes">;

export class Store {
  private readonly db: Database;
  private readonly statements = new Map<string, ReturnType<Database["prepare"]>>();
  /** Called after a list is stored. */
  onStored: (root: string) => void = () => {};

  /** `sql`, prepared once. */
  private sql(text: string): ReturnType<Database["prepare"]> {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private constructor(file: string) {
    const DatabaseSync = databaseClass();
    this.db = new DatabaseSync(file);
    if (file !== ":memory:") this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    this.db.exec(SCHEMA);
  }

  /** Opens (creating if need be) the store in `dir`, or an in-memory one for `":memory:"`. */
  static async open(dir: string): Promise<Store> {
    if (dir === ":memory:") return new Store(dir);
    await makeDirectory(dir);
    return new Store(path.join(dir, "gateway.sqlite"));
  }

  /** The journal mode SQLite reports (`wal` for a store on disk). */
  journalMode(): string {
    return String((this.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode);
  }

  hasList(root: string): boolean {
    return this.sql("SELECT 1 FROM lists WHERE root = ?").get(root.toLowerCase()) !== undefined;
  }

  listCount(): number {
    return Number((this.sql("SELECT count(*) AS n FROM lists").get() as { n: number }).n);
  }

  /** A list's facts, without reading its hashes. */
  getListFacts(root: string): ListFacts | undefined {
    const row = this.sql("SELECT root, batch_id, count, ordering, signer, party, source FROM lists WHERE root = ?").get(root.toLowerCase()) as
      | Record<string, unknown>
      | undefined;
    if (row === undefined) return undefined;
    return {
      root: String(row.root),
      batchId: String(row.batch_id),
      count: Number(row.count),
      order: row.ordering === "hash" ? "hash" : "index",
      signer: row.signer === null ? null : String(row.signer),
      party: row.party === null ? null : String(row.party),
      source: String(row.source),
    };
  }

  getList(root: string): StoredList | undefined {
    const facts = this.getListFacts(root);
    if (facts === undefined) return undefined;
    const row = this.sql("SELECT hashes FROM list_hashes WHERE root = ?").get(facts.root) as { hashes: Uint8Array };
    return { ...facts, hashes: row.hashes };
  }

  /** The lists a unit hash is in (a unit is in one batch; a maker could commit a code twice). */
  findUnit(unitHash: string): UnitPlace[] {
    const rows = this.sql("SELECT units.root AS root, units.idx AS idx, lists.batch_id AS batch_id FROM units JOIN lists ON lists.root = units.root WHERE unit_hash = ?").all(
      bytes(unitHash),
    ) as { root: string; idx: number; batch_id: string }[];
    return rows.map((r) => ({ root: r.root, batchId: r.batch_id, index: Number(r.idx) }));
  }

  /** Whether this signer's publication with this digest was accepted before. */
  hasPublication(digest: string, signer: string): boolean {
    return this.sql("SELECT 1 FROM publications WHERE digest = ?").get(publicationKey(digest, signer)) !== undefined;
  }

  /**
   * Stores a checked list and its unit index in one transaction (with the publication's
   * digest when it was published here). Returns false, storing nothing but the digest,
   * when the list was already held.
   */
  putList(list: StoredList, publication?: { digest: string; signer: string }): boolean {
    const now = Date.now();
    this.db.exec("BEGIN IMMEDIATE");
    try {
      if (publication !== undefined) {
        this.sql("INSERT INTO publications (digest, root, signer, at) VALUES (?, ?, ?, ?)").run(
          publicationKey(publication.digest, publication.signer),
          list.root.toLowerCase(),
          publication.signer,
          now,
        );
      }
      const held = this.hasList(list.root);
      if (!held) {
        const root = list.root.toLowerCase();
        this.sql("INSERT INTO lists (root, batch_id, count, ordering, signer, party, source, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
          root,
          list.batchId.toLowerCase(),
          list.count,
          list.order,
          list.signer,
          list.party,
          list.source,
          now,
        );
        this.sql("INSERT INTO list_hashes (root, hashes) VALUES (?, ?)").run(root, list.hashes);
        const insert = this.sql("INSERT OR IGNORE INTO units (unit_hash, root, idx) VALUES (?, ?, ?)");
        for (let i = 0; i < list.count; i++) insert.run(list.hashes.subarray(i * 32, i * 32 + 32), root, i);
      }
      this.db.exec("COMMIT");
      if (!held) this.onStored(list.root.toLowerCase());
      return !held;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  getMeta(key: string): string | undefined {
    const row = this.sql("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
