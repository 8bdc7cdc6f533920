/** JSON schemas shared by the routes. */
import { MAX_CODE_LENGTH } from "./units.js";

export const HASH32 = { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } as const;

/** `:code`: any printed form of a unit code, bounded. */
export const CODE_PARAMS = {
  type: "object",
  required: ["code"],
  properties: { code: { type: "string", minLength: 1, maxLength: MAX_CODE_LENGTH } },
} as const;

export const ROOT_PARAMS = {
  type: "object",
  required: ["root"],
  properties: { root: HASH32 },
} as const;

/** The refusal every route may answer. */
export const ERROR_BODY = {
  type: "object",
  required: ["error", "message"],
  properties: { error: { type: "string" }, message: { type: "string" } },
} as const;
