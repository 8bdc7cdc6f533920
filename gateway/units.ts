/**
 * Finding a box's unit in the stored lists: the code is parsed as the SDK parses any
 * printed form (GS1 with or without parentheses or FNC1, China's 20-digit code), its unit
 * hash looked up, and the Merkle proof read from the list's tree. A GS1 code that carries
 * its lot names its batch, which settles the rare code committed in two batches; a list
 * this gateway lacks is pulled from its peers first (checked against the chain).
 */
import { type UnitCode, batchIdOf, parseUnitCode } from "../sdk/codes.js";
import { ApiError } from "./errors.js";
import type { Replicator } from "./replication.js";
import type { Store } from "./store.js";
import type { TreeCache } from "./trees.js";

/** What `GET /v1/units/:code` answers. */
export interface LocatedUnit {
  code: string;
  batchId: string;
  root: string;
  index: number;
  unitHash: string;
  proof: string[];
}

/** Longest code accepted: a GS1 element string with every AI a box carries is under 100 characters. */
export const MAX_CODE_LENGTH = 128;

/** The code as the SDK parses it, or `invalid_code`. */
export function parseCode(code: string): UnitCode {
  try {
    return parseUnitCode(code.trim());
  } catch (error) {
    throw new ApiError(400, "invalid_code", (error as Error).message);
  }
}

const batchIds = new Map<string, string>();

/** The batch a code names by itself (a GS1 code with its lot), if any; remembered per GTIN and lot. */
export function namedBatch(unit: UnitCode): string | undefined {
  if (unit.kind !== "gs1" || unit.lot === undefined) return undefined;
  const key = `${unit.gtin}/${unit.lot}`;
  let id = batchIds.get(key);
  if (id === undefined) {
    id = batchIdOf(unit.gtin, unit.lot).toLowerCase();
    if (batchIds.size >= 10_000) batchIds.clear();
    batchIds.set(key, id);
  }
  return id;
}

export class UnitIndex {
  constructor(
    private readonly store: Store,
    private readonly trees: TreeCache,
    private readonly replicator?: Replicator,
  ) {}

  /** The unit and its proof, or undefined when no stored (or pullable) list holds it. */
  async locate(unit: UnitCode): Promise<LocatedUnit | undefined> {
    const wanted = namedBatch(unit);
    let places = this.store.findUnit(unit.unitHash);
    if (wanted !== undefined && this.replicator !== undefined && !places.some((p) => p.batchId === wanted)) {
      if (await this.replicator.pullBatch(wanted)) places = this.store.findUnit(unit.unitHash);
    }
    const place = places.find((p) => p.batchId === wanted) ?? places[0];
    if (place === undefined) return undefined;
    const list = this.store.getListFacts(place.root);
    if (list === undefined) return undefined;
    const tree = await this.trees.of(list, () => this.store.getList(list.root)!);
    return { code: unit.canonical, batchId: place.batchId, root: place.root, index: place.index, unitHash: unit.unitHash.toLowerCase(), proof: tree.proof(place.index) };
  }
}
